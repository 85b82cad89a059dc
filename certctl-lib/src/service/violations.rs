//! Stored violations kept true after the fact: re-evaluated when an agent's group membership
//! changes (for the certificates whose key lives on it: a group-scoped rule may now apply or no
//! longer apply) and on every renewal-checker run (every certificate). Each failing rule has at
//! most one open violation per certificate; one that no longer fails gets `resolved_at`.
//!
//! The checker pass reads the rules (compiled once), agents, groups, targets and open violations
//! once, then walks the certificates in id order by keyset pages, writing only what changed.

use std::collections::HashMap;

use super::policies::known_facts;
use super::{Actor, Service};
use crate::error::Result;
use crate::model::*;
use crate::policy::{CompiledPolicies, Subject};

/// What one re-evaluation pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ViolationReport {
    /// Certificates evaluated.
    pub checked: usize,
    pub opened: usize,
    pub resolved: usize,
}

impl Service {
    /// Re-evaluates the certificates whose key lives on one of `agents` (their groups changed),
    /// when some enabled rule is scoped to groups.
    pub(super) async fn recheck_agents(&self, agents: &[AgentId]) -> Result<()> {
        let snapshot = self.snapshot().await?;
        if !snapshot.rules.iter().any(|r| r.enabled && !r.scope.agent_group_ids.is_empty()) {
            return Ok(());
        }
        let sys = Actor::system();
        for a in agents {
            let mut filter = CertificateFilter {
                key_agent_id: Some(a.clone()),
                exclude_archived: true,
                exclude_templates: true,
                ..Default::default()
            };
            loop {
                let page = self.store().scan_certificates(&filter, MAX_PER_PAGE).await?;
                for cert in &page {
                    let evaluation = self.evaluate_certificate(cert, None, None).await?;
                    self.sync_violations(&sys, &cert.id, &evaluation).await?;
                }
                match page.last() {
                    Some(last) if page.len() == MAX_PER_PAGE as usize => {
                        filter.after = Some(last.id.clone())
                    }
                    _ => break,
                }
            }
        }
        Ok(())
    }

    /// Re-evaluates every certificate against the rules and brings the stored violations in line:
    /// new failures opened, fixed ones resolved; open violations of archived certificates and
    /// fleet templates resolved too. Run by the renewal checker.
    pub async fn recheck_violations(&self) -> Result<ViolationReport> {
        let mut report = ViolationReport::default();
        let snapshot = self.snapshot().await?;
        let mut open: HashMap<CertificateId, Vec<PolicyViolation>> = HashMap::new();
        let mut page = 1;
        loop {
            let filter = ViolationFilter { open_only: true, ..Default::default() };
            let p =
                self.store().list_violations(&filter, PageRequest::new(page, MAX_PER_PAGE)).await?;
            let n = p.data.len();
            for v in p.data {
                open.entry(v.certificate_id.clone()).or_default().push(v);
            }
            if n < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        if snapshot.rules.is_empty() && open.is_empty() {
            return Ok(report);
        }
        let compiled = CompiledPolicies::new(&snapshot.rules);
        let membership = self.membership().await?;
        let groups_of: HashMap<AgentId, Vec<GroupId>> = self
            .store()
            .all_agents()
            .await?
            .iter()
            .map(|a| (a.id.clone(), membership.groups_of_agent(a)))
            .collect();
        let mut agent_of: HashMap<TargetId, AgentId> = HashMap::new();
        let mut page = 1;
        loop {
            let p = self.store().list_targets(None, PageRequest::new(page, MAX_PER_PAGE)).await?;
            let n = p.data.len();
            agent_of.extend(p.data.into_iter().filter_map(|t| t.agent_id.map(|a| (t.id, a))));
            if n < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        let sys = Actor::system();
        let none: Vec<GroupId> = Vec::new();
        let mut filter = CertificateFilter {
            exclude_archived: true,
            exclude_templates: true,
            ..Default::default()
        };
        loop {
            let certs = self.store().scan_certificates(&filter, MAX_PER_PAGE).await?;
            for cert in &certs {
                let groups = cert
                    .target_ids
                    .iter()
                    .find_map(|t| agent_of.get(t))
                    .and_then(|a| groups_of.get(a))
                    .unwrap_or(&none);
                let (window, lifetime) = known_facts(&snapshot, cert);
                let subject = Subject {
                    renewal_window_days: window,
                    lifetime_days: lifetime,
                    ..Subject::from_certificate(cert, groups)
                };
                let evaluation = compiled.evaluate(&subject);
                let had = open.remove(&cert.id).unwrap_or_default();
                report.checked += 1;
                if evaluation.failures().next().is_none() && had.is_empty() {
                    continue;
                }
                let (o, r) = self.apply_violations(&sys, &cert.id, &evaluation, &had).await?;
                report.opened += o;
                report.resolved += r;
            }
            match certs.last() {
                Some(last) if certs.len() == MAX_PER_PAGE as usize => {
                    filter.after = Some(last.id.clone())
                }
                _ => break,
            }
        }
        // what is left belongs to certificates no longer evaluated (archived, templates)
        let now = Timestamp::now();
        for (cert, vs) in open {
            for v in vs {
                let audit = sys.audit("policy_violation_resolved", "certificate", cert.as_str()).with_details(serde_json::json!({"policy_id": v.policy_id, "violation_id": v.id, "reason": "certificate archived"}));
                self.store().resolve_violation(&v.id, now, &audit).await?;
                report.resolved += 1;
            }
        }
        Ok(report)
    }
}
