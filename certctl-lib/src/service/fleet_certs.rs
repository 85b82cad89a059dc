//! Fleet certificates: a certificate bound to an agent group (`agent_group_id` + `target_template`)
//! is a template, never issued itself. Each member agent gets a child certificate (`parent_id`)
//! with its own key: names with `{hostname}`, `{agent_id}`, `{agent_name}` expanded, one target
//! from the template on that agent, the template's issuer, renewal policy, environment, owner,
//! team and tags, and an issuance job. Children are materialised when the template is created or
//! changed, when membership changes (heartbeats, group changes) and on every renewal check.
//!
//! An agent that leaves the group has its child archived. One that comes back gets the same
//! child back (un-archived, same id and history, a fresh issuance with a new key): there is at
//! most one child per template and agent. A child that an `enforce` policy rejects is not created
//! (nor brought back; a live one whose template changed is archived); why is recorded as a
//! `fleet_child_rejected` event on the template. A live child the template does not change is
//! left alone: a rule it no longer meets is a stored violation, as for any certificate.

use std::collections::HashMap;

use super::connectors::{require_admin_for_target, validate_target};
use super::{Actor, Service};
use crate::error::{Error, Result};
use crate::groups::template::{self, Values};
use crate::model::*;

/// Audit details of a template's target: its type, commands (defaults filled in) and paths.
pub(super) fn template_audit_details(cert: &Certificate) -> serde_json::Value {
    match &cert.target_template {
        Some(t) => {
            let mut d = crate::target::privileged::commands_and_paths(&t.target_type, &t.config);
            d["type"] = t.target_type.clone().into();
            d
        }
        None => serde_json::Value::Null,
    }
}

/// What the template asks for on one agent.
struct Desired {
    common_name: String,
    sans: Vec<String>,
    target_name: String,
    target_type: String,
    target_config: serde_json::Value,
}

impl Service {
    /// Checks the fleet parts of a draft template: a group that exists, a target template whose
    /// type and config are valid once expanded, no explicit targets.
    pub(super) async fn check_template(&self, cert: &Certificate) -> Result<()> {
        let group = cert.agent_group_id.as_ref().ok_or_else(|| {
            Error::invalid(
                "agent_group_id",
                "a fleet certificate needs agent_group_id (with target_template)",
            )
        })?;
        super::org::exists(self.store().get_group(group).await, "agent_group_id", group)?;
        let t = cert.target_template.as_ref().ok_or_else(|| {
            Error::invalid(
                "target_template",
                "a fleet certificate needs target_template (with agent_group_id)",
            )
        })?;
        if !cert.target_ids.is_empty() {
            return Err(Error::invalid(
                "target_ids",
                "a fleet certificate has no targets of its own: each child gets one from target_template",
            ));
        }
        if cert.parent_id.is_some() {
            return Err(Error::invalid(
                "agent_group_id",
                "a fleet child cannot be a fleet certificate",
            ));
        }
        if let Some(n) = &t.name {
            template::check("target_template.name", n)?;
            super::validate::text("target_template.name", n, 200)?;
        }
        template::check_json("target_template.config", &t.config)?;
        let sample = template::expand_json(&t.config, &Values::sample());
        validate_target(&t.target_type, &sample).map_err(|e| match e {
            Error::Invalid { field, message } => {
                Error::invalid(format!("target_template.{field}"), message)
            }
            e => e,
        })
    }

    /// A target template with admin-only parts (commands, webroot, paths outside the default
    /// prefixes: [`crate::target::privileged`]) needs the admin role, as a target would: the
    /// template spreads it to every agent of the group.
    pub(super) fn require_admin_for_template(
        actor: &Actor,
        what: &str,
        cert: &Certificate,
    ) -> Result<()> {
        match &cert.target_template {
            Some(t) => require_admin_for_target(
                actor,
                &format!("{what} (its target_template is deployed on every agent of the group)"),
                &t.target_type,
                &t.config,
            ),
            None => Ok(()),
        }
    }

    /// Stores a checked template and materialises a child for each member of its group.
    pub(super) async fn create_template(
        &self,
        actor: &Actor,
        cert: Certificate,
    ) -> Result<Certificate> {
        Self::require_admin_for_template(
            actor,
            "creating a fleet certificate whose target_template sets these",
            &cert,
        )?;
        let audit = actor.audit("certificate_created", "certificate", cert.id.as_str()).with_details(serde_json::json!({
            "common_name": cert.common_name, "environment": cert.environment, "agent_group_id": cert.agent_group_id,
            "target_template": template_audit_details(&cert),
        }));
        let cert = self.store().create_certificate(&cert, &audit).await?;
        let agents = self.store().all_agents().await?;
        self.reconcile_template(actor, &cert, &agents).await?;
        self.certificate_view(actor, &cert.id).await
    }

    /// A certificate as `GET /certificates/{id}` shows it: a template lists its children.
    pub async fn certificate_view(&self, actor: &Actor, id: &CertificateId) -> Result<Certificate> {
        actor.require(&super::Access::Read)?;
        let mut cert = self.store().get_certificate(id).await?;
        if cert.is_template() {
            cert.children = Some(self.store().fleet_children(id).await?);
        }
        Ok(cert)
    }

    /// Every child of a template, archived ones too.
    async fn children_of(&self, template: &CertificateId) -> Result<Vec<Certificate>> {
        let filter = CertificateFilter { parent_id: Some(template.clone()), ..Default::default() };
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let p = self
                .store()
                .list_certificates(&filter, PageRequest::new(page, MAX_PER_PAGE))
                .await?;
            let n = p.data.len();
            out.extend(p.data);
            if n < MAX_PER_PAGE as usize {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// The agents (of `agents`) that are members of `group` now; none when it no longer exists.
    async fn live_members<'a>(
        &self,
        group: &GroupId,
        agents: &'a [Agent],
    ) -> Result<Vec<&'a Agent>> {
        let g = match self.store().get_group(group).await {
            Ok(g) => g,
            Err(Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let Ok(criteria) = crate::groups::compile(&g.criteria) else { return Ok(Vec::new()) };
        Ok(agents
            .iter()
            .filter(|a| super::fleet::admitted(a) && criteria.matches_agent(a))
            .collect())
    }

    /// Brings the children of `template` in line with its group's members and its fields: a child
    /// for each member (created, un-archived or updated), archived for everyone else.
    pub(super) async fn reconcile_template(
        &self,
        actor: &Actor,
        template: &Certificate,
        agents: &[Agent],
    ) -> Result<()> {
        let children = self.children_of(&template.id).await?;
        let members = match (&template.agent_group_id, template.status) {
            (Some(g), s) if s != CertificateStatus::Archived => {
                self.live_members(g, agents).await?
            }
            _ => Vec::new(),
        };
        let by_agent: HashMap<&AgentId, &Certificate> =
            children.iter().filter_map(|c| c.agent_id.as_ref().map(|a| (a, c))).collect();
        for agent in &members {
            self.materialise_child(actor, template, agent, by_agent.get(&agent.id).copied())
                .await?;
        }
        for child in children.iter().filter(|c| c.status != CertificateStatus::Archived) {
            if !members.iter().any(|a| Some(&a.id) == child.agent_id.as_ref()) {
                let why = match template.status {
                    CertificateStatus::Archived => "its fleet certificate was archived".to_owned(),
                    _ => format!(
                        "agent {} is no longer a member of {}",
                        child.agent_id.as_ref().map_or("?", |a| a.as_str()),
                        template.agent_group_id.as_ref().map_or("?", |g| g.as_str())
                    ),
                };
                self.archive_child(actor, child, &why).await?;
            }
        }
        Ok(())
    }

    /// Membership changed: each template of an affected group gives joining agents their child and
    /// archives the children of agents that left.
    pub(super) async fn fleet_membership_changed(
        &self,
        joins: &[(GroupId, AgentId)],
        leaves: &[(GroupId, AgentId)],
    ) -> Result<()> {
        let mut groups: Vec<&GroupId> = joins.iter().chain(leaves).map(|(g, _)| g).collect();
        groups.sort();
        groups.dedup();
        let sys = Actor::system();
        for g in groups {
            let filter = CertificateFilter {
                agent_group_id: Some(g.clone()),
                exclude_archived: true,
                ..Default::default()
            };
            let templates = self
                .store()
                .list_certificates(&filter, PageRequest::new(1, MAX_PER_PAGE))
                .await?
                .data;
            for t in &templates {
                for (_, a) in joins.iter().filter(|(x, _)| x == g) {
                    let agent = self.store().get_agent(a).await?;
                    let existing = self.child_on(&t.id, a).await?;
                    self.materialise_child(&sys, t, &agent, existing.as_ref()).await?;
                }
                for (_, a) in leaves.iter().filter(|(x, _)| x == g) {
                    if let Some(child) = self
                        .child_on(&t.id, a)
                        .await?
                        .filter(|c| c.status != CertificateStatus::Archived)
                    {
                        self.archive_child(&sys, &child, &format!("agent {a} left group {g}"))
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Re-materialises every live template (renewal checker): retries children that could not be
    /// made before (e.g. a policy changed) and follows membership the heartbeats may have missed.
    pub(super) async fn reconcile_fleets(&self) -> Result<usize> {
        let filter = CertificateFilter {
            templates_only: true,
            exclude_archived: true,
            ..Default::default()
        };
        let mut templates = Vec::new();
        let mut page = 1;
        loop {
            let p = self
                .store()
                .list_certificates(&filter, PageRequest::new(page, MAX_PER_PAGE))
                .await?;
            let n = p.data.len();
            templates.extend(p.data);
            if n < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        if templates.is_empty() {
            return Ok(0);
        }
        let agents = self.store().all_agents().await?;
        let sys = Actor::system();
        for t in &templates {
            self.reconcile_template(&sys, t, &agents).await?;
        }
        Ok(templates.len())
    }

    /// The child of `template` on `agent`, archived or not.
    async fn child_on(
        &self,
        template: &CertificateId,
        agent: &AgentId,
    ) -> Result<Option<Certificate>> {
        let filter = CertificateFilter {
            parent_id: Some(template.clone()),
            key_agent_id: Some(agent.clone()),
            ..Default::default()
        };
        Ok(self
            .store()
            .list_certificates(&filter, PageRequest::new(1, 10))
            .await?
            .data
            .into_iter()
            .find(|c| c.agent_id.as_ref() == Some(agent)))
    }

    /// Names and target of the child on `agent`, or why the template cannot give it one.
    fn desired(template: &Certificate, agent: &Agent) -> std::result::Result<Desired, String> {
        let v = Values::of(agent);
        let t = template
            .target_template
            .as_ref()
            .ok_or("the fleet certificate has no target_template")?;
        let common_name = super::validate::certificate_name(
            "common_name",
            &template::expand(&template.common_name, &v),
        )
        .map_err(|e| e.to_string())?;
        let mut sans: Vec<String> = Vec::with_capacity(template.sans.len());
        for (i, s) in template.sans.iter().enumerate() {
            let n =
                super::validate::certificate_name(&format!("sans[{i}]"), &template::expand(s, &v))
                    .map_err(|e| e.to_string())?;
            if !sans.contains(&n) {
                sans.push(n);
            }
        }
        let target_name = match &t.name {
            Some(n) => template::expand(n, &v),
            None => format!("{} on {}", template.name, agent.name),
        };
        let target_config = template::expand_json(&t.config, &v);
        validate_target(&t.target_type, &target_config).map_err(|e| e.to_string())?;
        Ok(Desired {
            common_name,
            sans,
            target_name: target_name.chars().take(200).collect(),
            target_type: t.target_type.clone(),
            target_config,
        })
    }

    /// Creates, un-archives or updates the child of `template` on `agent` (see the module doc).
    async fn materialise_child(
        &self,
        actor: &Actor,
        template: &Certificate,
        agent: &Agent,
        existing: Option<&Certificate>,
    ) -> Result<()> {
        let live = existing.filter(|c| c.status != CertificateStatus::Archived);
        let d = match Self::desired(template, agent) {
            Ok(d) => d,
            Err(why) => return self.reject_child(actor, template, agent, live, vec![why]).await,
        };
        let now = Timestamp::now();
        let mut child = match existing {
            Some(c) => c.clone(),
            None => Certificate {
                id: CertificateId::generate(),
                name: String::new(),
                common_name: String::new(),
                sans: Vec::new(),
                environment: None,
                owner_id: None,
                team_id: None,
                issuer_id: template.issuer_id.clone(),
                renewal_policy_id: template.renewal_policy_id.clone(),
                status: CertificateStatus::Pending,
                expires_at: None,
                tags: Default::default(),
                target_ids: vec![TargetId::generate()],
                last_renewal_at: None,
                last_deployment_at: None,
                created_at: now,
                updated_at: now,
                parent_id: Some(template.id.clone()),
                agent_id: Some(agent.id.clone()),
                agent_group_id: None,
                target_template: None,
                children: None,
            },
        };
        let before = child.clone();
        child.name = format!("{} on {}", template.name, agent.name).chars().take(200).collect();
        child.common_name = d.common_name;
        child.sans = d.sans;
        child.environment = template.environment.clone();
        child.owner_id = template.owner_id.clone();
        child.team_id = template.team_id.clone();
        child.issuer_id = template.issuer_id.clone();
        child.renewal_policy_id = template.renewal_policy_id.clone();
        child.tags = template.tags.clone();
        let target = Target {
            id: child.target_ids.first().cloned().unwrap_or_else(TargetId::generate),
            name: d.target_name,
            target_type: d.target_type,
            agent_id: Some(agent.id.clone()),
            config: d.target_config,
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        if live.is_some() && child == before {
            // nothing the template says has changed: a rule that the existing child no longer
            // meets is a violation (the checker records it), not a reason to take it away
            return self.sync_child_target(actor, &target).await;
        }
        let evaluation = self.evaluate_on_agent(&child, Some(&agent.id), None, None).await?;
        if !evaluation.allowed {
            let reasons =
                evaluation.rejections().map(|r| format!("{}: {}", r.name, r.reason)).collect();
            return self.reject_child(actor, template, agent, live, reasons).await;
        }
        let names_changed = before.common_name != child.common_name || before.sans != child.sans;
        match existing {
            None => {
                let audits = [
                    actor.audit("target_created", "target", target.id.as_str()).with_details(serde_json::json!({"agent_id": agent.id, "parent_id": template.id})),
                    actor.audit("certificate_created", "certificate", child.id.as_str()).with_details(serde_json::json!({
                        "common_name": child.common_name, "environment": child.environment, "parent_id": template.id, "agent_id": agent.id,
                    })),
                ];
                match self.store().create_fleet_child(&target, &child, &audits).await {
                    Ok(_) => {}
                    // made meanwhile by another request or replica (one child per template and agent)
                    Err(Error::Conflict(_)) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
            Some(_) => {
                self.sync_child_target(actor, &target).await?;
                let comes_back = before.status == CertificateStatus::Archived;
                if comes_back {
                    child.status = CertificateStatus::Pending;
                }
                child.updated_at = now;
                let audit = if comes_back {
                    actor.audit("certificate_unarchived", "certificate", child.id.as_str()).with_details(serde_json::json!({"reason": format!("agent {} is a member of {} again", agent.id, template.agent_group_id.as_ref().map_or("?", |g| g.as_str())), "parent_id": template.id}))
                } else {
                    actor.audit("certificate_updated", "certificate", child.id.as_str()).with_details(serde_json::json!({"reason": "its fleet certificate changed", "parent_id": template.id}))
                };
                self.store().update_certificate(&child, &audit).await?;
                if !comes_back && !names_changed {
                    self.sync_violations(actor, &child.id, &evaluation).await?;
                    return Ok(());
                }
            }
        }
        self.sync_violations(actor, &child.id, &evaluation).await?;
        match self.renew_certificate(actor, &child.id).await {
            Ok(_) => Ok(()),
            // e.g. server keygen without an agent: the child exists, the processor reports why
            Err(Error::Conflict(why)) => {
                tracing::warn!(certificate = %child.id, %why, "fleet child created without an issuance job");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Keeps the child's target as the template says (name, type, config, enabled).
    async fn sync_child_target(&self, actor: &Actor, want: &Target) -> Result<()> {
        match self.store().get_target(&want.id).await {
            Ok(t)
                if t.name == want.name
                    && t.target_type == want.target_type
                    && t.config == want.config
                    && t.enabled
                    && t.agent_id == want.agent_id =>
            {
                Ok(())
            }
            Ok(mut t) => {
                t.name = want.name.clone();
                t.target_type = want.target_type.clone();
                t.config = want.config.clone();
                t.enabled = true;
                t.agent_id = want.agent_id.clone();
                t.updated_at = Timestamp::now();
                self.store()
                    .update_target(
                        &t,
                        &actor.audit("target_updated", "target", t.id.as_str()).with_details(
                            serde_json::json!({"reason": "its fleet certificate changed"}),
                        ),
                    )
                    .await?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The template cannot give `agent` a child: a live one is archived, and why is recorded on
    /// the template (once for the same reasons, not again on every reconciliation).
    async fn reject_child(
        &self,
        actor: &Actor,
        template: &Certificate,
        agent: &Agent,
        live: Option<&Certificate>,
        reasons: Vec<String>,
    ) -> Result<()> {
        if let Some(child) = live {
            self.archive_child(actor, child, &format!("rejected: {}", reasons.join("; "))).await?;
        }
        let filter = AuditFilter {
            action: Some("fleet_child_rejected".into()),
            resource_type: Some("certificate".into()),
            resource_id: Some(template.id.to_string()),
            ..Default::default()
        };
        let recent = self.store().list_audit(&filter, PageRequest::new(1, 100)).await?.data;
        let details = serde_json::json!({"agent_id": agent.id, "reasons": reasons});
        if recent
            .iter()
            .find(|e| e.details.get("agent_id") == details.get("agent_id"))
            .is_some_and(|e| e.details == details)
        {
            return Ok(());
        }
        tracing::info!(template = %template.id, agent = %agent.id, ?reasons, "fleet child not created");
        self.store()
            .append_audit(
                &actor
                    .audit("fleet_child_rejected", "certificate", template.id.as_str())
                    .with_details(details),
            )
            .await?;
        Ok(())
    }

    /// Archives a child (open jobs cancelled), saying why.
    async fn archive_child(&self, actor: &Actor, child: &Certificate, why: &str) -> Result<()> {
        self.archive_inner(
            actor,
            child.clone(),
            serde_json::json!({"reason": why, "parent_id": child.parent_id}),
        )
        .await
        .map(|_| ())
    }
}
