//! Policies at work: every change to a certificate, and every CSR, is evaluated against the
//! rules in scope — `enforce` failures refuse the change with every reason, `warn` failures are
//! stored as violations (and resolved when they no longer hold). `evaluate` runs the same code
//! path without changing anything.

use super::{Actor, Service};
use crate::api::EvaluateInput;
use crate::error::{Error, Result};
use crate::model::*;
use crate::policy::{CompiledPolicies, Evaluation, Subject};

use super::snapshot::Snapshot;

impl Service {
    /// Evaluates `cert` against every rule in scope (plus `extra`); `key` when a CSR is known.
    pub async fn evaluate_certificate(
        &self,
        cert: &Certificate,
        key: Option<(&str, u32)>,
        extra: Option<&PolicyRule>,
    ) -> Result<Evaluation> {
        let agent = self.key_agent(cert).await?;
        self.evaluate_on_agent(cert, agent.as_ref(), key, extra).await
    }

    /// Evaluates `cert` as if its key lived on `agent` (a fleet child before its target exists).
    pub(super) async fn evaluate_on_agent(
        &self,
        cert: &Certificate,
        agent: Option<&AgentId>,
        key: Option<(&str, u32)>,
        extra: Option<&PolicyRule>,
    ) -> Result<Evaluation> {
        let snapshot = self.snapshot().await?;
        if snapshot.rules.is_empty() && extra.is_none() {
            return Ok(Evaluation { allowed: true, results: Vec::new() });
        }
        let mut compiled = CompiledPolicies::new(&snapshot.rules);
        if let Some(r) = extra {
            compiled.push(r);
        }
        let groups = match agent {
            Some(agent) => match self.store().get_agent(agent).await {
                Ok(a) => self.membership().await?.groups_of_agent(&a),
                Err(Error::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e),
            },
            None => Vec::new(),
        };
        let window = self
            .renewal_policy_of(&cert.renewal_policy_id)
            .await
            .ok()
            .map(|p| p.renewal_window_days);
        let lifetime = self.issuer_of(&cert.issuer_id).await.ok().map(|i| validity_days(&i));
        let subject = Subject {
            renewal_window_days: window,
            lifetime_days: lifetime,
            key,
            ..Subject::from_certificate(cert, &groups)
        };
        Ok(compiled.evaluate(&subject))
    }

    /// Evaluates and refuses (every reason) when an `enforce` rule fails.
    pub(super) async fn enforce_policies(
        &self,
        cert: &Certificate,
        key: Option<(&str, u32)>,
    ) -> Result<Evaluation> {
        let evaluation = self.evaluate_certificate(cert, key, None).await?;
        if !evaluation.allowed {
            return Err(Error::PolicyRejected(
                evaluation.rejections().map(|r| format!("{}: {}", r.name, r.reason)).collect(),
            ));
        }
        Ok(evaluation)
    }

    /// Opens a violation for each failing `warn` rule without an open one, and resolves open
    /// violations of the certificate that no longer hold.
    pub(super) async fn sync_violations(
        &self,
        actor: &Actor,
        cert: &CertificateId,
        evaluation: &Evaluation,
    ) -> Result<()> {
        if evaluation.results.is_empty() && self.snapshot().await?.rules.is_empty() {
            // no rule exists: no violation can (deleting a rule deletes its violations)
            return Ok(());
        }
        let filter = ViolationFilter {
            certificate_id: Some(cert.clone()),
            open_only: true,
            ..Default::default()
        };
        let open =
            self.store().list_violations(&filter, PageRequest::new(1, MAX_PER_PAGE)).await?.data;
        self.apply_violations(actor, cert, evaluation, &open).await.map(|_| ())
    }

    /// Opens a violation for each failing rule without an open one in `open` (the certificate's
    /// open violations) and resolves those that no longer fail; returns (opened, resolved).
    pub(super) async fn apply_violations(
        &self,
        actor: &Actor,
        cert: &CertificateId,
        evaluation: &Evaluation,
        open: &[PolicyViolation],
    ) -> Result<(usize, usize)> {
        let now = Timestamp::now();
        let (mut opened, mut resolved) = (0, 0);
        // failing `enforce` rules only reach here for certificates that already exist (a
        // re-evaluation after a membership or rule change): they are violations too
        for w in evaluation.failures() {
            if open.iter().any(|v| v.policy_id == w.policy_id) {
                continue;
            }
            let v = PolicyViolation {
                id: ViolationId::generate(),
                policy_id: w.policy_id.clone(),
                certificate_id: cert.clone(),
                message: w.reason.clone(),
                severity: w.severity,
                created_at: now,
                resolved_at: None,
            };
            let audit = actor.audit("policy_violation_opened", "certificate", cert.as_str()).with_details(serde_json::json!({"policy_id": v.policy_id, "violation_id": v.id, "message": v.message}));
            self.store().create_violation(&v, &audit).await?;
            self.record_violation(&v, now).await;
            opened += 1;
        }
        for v in open.iter().filter(|v| !evaluation.failures().any(|w| w.policy_id == v.policy_id))
        {
            let audit = actor
                .audit("policy_violation_resolved", "certificate", cert.as_str())
                .with_details(serde_json::json!({"policy_id": v.policy_id, "violation_id": v.id}));
            self.store().resolve_violation(&v.id, now, &audit).await?;
            resolved += 1;
        }
        Ok((opened, resolved))
    }

    /// `POST /policies/evaluate`: the verdict and every in-scope rule's result, for an existing
    /// certificate or a draft, optionally with a draft rule; nothing is stored.
    pub async fn evaluate_policies(
        &self,
        actor: &Actor,
        input: &EvaluateInput,
    ) -> Result<Evaluation> {
        actor.require(&super::Access::Read)?;
        let cert = match &input.certificate_id {
            Some(id) => {
                self.store().get_certificate(&CertificateId::from_trusted(id.clone())).await?
            }
            None => self.draft_certificate(&input.draft).await?,
        };
        if cert.is_template() {
            return Err(Error::invalid(
                if input.certificate_id.is_some() { "certificate_id" } else { "agent_group_id" },
                format!(
                    "{} is a fleet certificate: policies are evaluated for each child on its agent; evaluate a child (GET /certificates?parent_id={})",
                    cert.id, cert.id
                ),
            ));
        }
        let extra = match &input.with {
            Some(p) => Some(self.draft_policy(p)?),
            None => None,
        };
        self.evaluate_certificate(&cert, None, extra.as_ref()).await
    }
}

/// Renewal window and lifetime of `cert`, as far as the snapshot knows them.
pub(super) fn known_facts(snapshot: &Snapshot, cert: &Certificate) -> (Option<i64>, Option<i64>) {
    let window =
        snapshot.renewal_policies.get(&cert.renewal_policy_id).map(|p| p.renewal_window_days);
    (window, snapshot.issuers.get(&cert.issuer_id).map(validity_days))
}

/// The validity an issuer gives (its `validity_days`, else the Local CA's default).
fn validity_days(issuer: &Issuer) -> i64 {
    issuer
        .config
        .get("validity_days")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(crate::issuer::local::DEFAULT_VALIDITY_DAYS.into())
}
