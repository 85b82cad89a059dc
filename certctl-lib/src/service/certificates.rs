//! Managed certificates: create, update, archive, export, revoke.

use std::collections::BTreeSet;

use super::org::exists;
use super::validate::{certificate_name, tags, text};
use super::{Actor, DEFAULT_RENEWAL_POLICY_ID, KeygenMode, LOCAL_ISSUER_ID, Service};
use crate::api::{CertificateInput, CertificatePatch};
use crate::error::{Error, Result};
use crate::model::*;

/// RFC 5280 revocation reasons, as the API spells them.
pub const REVOCATION_REASONS: &[&str] = &[
    "unspecified",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "removeFromCRL",
    "privilegeWithdrawn",
    "aACompromise",
];

impl Service {
    /// Creates a certificate (status Pending). With targets, its first issuance starts at once.
    pub async fn create_certificate(
        &self,
        actor: &Actor,
        input: &CertificateInput,
    ) -> Result<Certificate> {
        actor.require(&super::Access::Write)?;
        let cert = self.draft_certificate(input).await?;
        if cert.is_template() {
            return self.create_template(actor, cert).await;
        }
        let evaluation = self.enforce_policies(&cert, None).await?;
        let audit = actor
            .audit("certificate_created", "certificate", cert.id.as_str())
            .with_details(serde_json::json!({"common_name": cert.common_name, "environment": cert.environment}));
        let cert = self.store().create_certificate(&cert, &audit).await?;
        self.sync_violations(actor, &cert.id, &evaluation).await?;
        if !cert.target_ids.is_empty() {
            self.renew_certificate(actor, &cert.id).await?;
            return self.store().get_certificate(&cert.id).await;
        }
        Ok(cert)
    }

    /// A certificate from a create body, validated and with its references checked, not stored.
    pub async fn draft_certificate(&self, input: &CertificateInput) -> Result<Certificate> {
        let now = Timestamp::now();
        let fleet = input.agent_group_id.is_some() || input.target_template.is_some();
        let common_name = name_or_template("common_name", &input.common_name, fleet)?;
        let mut cert = Certificate {
            id: super::validate::new_id(
                input.id.as_deref(),
                CertificateId::parse,
                CertificateId::generate,
            )?,
            name: match input.name.as_deref() {
                Some(n) => text("name", n, 200)?,
                None => common_name.clone(),
            },
            sans: sans(&input.sans, fleet)?,
            common_name,
            environment: environment(input.environment.as_deref())?,
            owner_id: None,
            team_id: None,
            issuer_id: IssuerId::from_trusted(
                input.issuer_id.clone().unwrap_or_else(|| LOCAL_ISSUER_ID.into()),
            ),
            renewal_policy_id: RenewalPolicyId::from_trusted(
                input.renewal_policy_id.clone().unwrap_or_else(|| DEFAULT_RENEWAL_POLICY_ID.into()),
            ),
            status: CertificateStatus::Pending,
            expires_at: None,
            tags: input.tags.clone(),
            target_ids: input
                .target_ids
                .iter()
                .map(|t| TargetId::from_trusted(t.clone()))
                .collect(),
            last_renewal_at: None,
            last_deployment_at: None,
            created_at: now,
            updated_at: now,
            parent_id: None,
            agent_id: None,
            agent_group_id: input
                .agent_group_id
                .as_deref()
                .map(|g| GroupId::from_trusted(g.to_owned())),
            target_template: input.target_template.clone(),
            children: None,
        };
        tags("tags", &cert.tags)?;
        cert.owner_id = self.owner_ref(input.owner_id.clone()).await?;
        cert.team_id = self.team_ref(input.team_id.clone()).await?;
        self.check_refs(&cert).await?;
        if fleet {
            self.check_template(&cert).await?;
        }
        Ok(cert)
    }

    /// Applies a patch; archived certificates cannot change.
    pub async fn update_certificate(
        &self,
        actor: &Actor,
        id: &CertificateId,
        p: &CertificatePatch,
    ) -> Result<Certificate> {
        actor.require(&super::Access::Write)?;
        let mut cert = self.store().get_certificate(id).await?;
        if cert.status == CertificateStatus::Archived {
            return Err(Error::Conflict(format!("certificate {id} is archived")));
        }
        if let Some(parent) = &cert.parent_id {
            return Err(Error::Conflict(format!(
                "certificate {id} is a child of fleet certificate {parent}: change {parent} instead"
            )));
        }
        let fleet = cert.is_template();
        let spread_before = (cert.agent_group_id.clone(), cert.target_template.clone());
        if !fleet && (p.agent_group_id.is_some() || p.target_template.is_some()) {
            let field =
                if p.agent_group_id.is_some() { "agent_group_id" } else { "target_template" };
            return Err(Error::invalid(
                field,
                format!(
                    "certificate {id} is not a fleet certificate: create one with agent_group_id and target_template"
                ),
            ));
        }
        if let Some(g) = &p.agent_group_id {
            cert.agent_group_id = Some(GroupId::from_trusted(g.clone()));
        }
        if let Some(t) = &p.target_template {
            cert.target_template = Some(t.clone());
        }
        if let Some(n) = &p.name {
            cert.name = text("name", n, 200)?;
        }
        if let Some(cn) = &p.common_name {
            cert.common_name = name_or_template("common_name", cn, fleet)?;
        }
        if let Some(s) = &p.sans {
            cert.sans = sans(s, fleet)?;
        }
        if let Some(e) = &p.environment {
            cert.environment = environment(e.as_deref())?;
        }
        if let Some(o) = &p.owner_id {
            cert.owner_id = self.owner_ref(o.clone()).await?;
        }
        if let Some(t) = &p.team_id {
            cert.team_id = self.team_ref(t.clone()).await?;
        }
        if let Some(i) = &p.issuer_id {
            cert.issuer_id = IssuerId::from_trusted(i.clone());
        }
        if let Some(r) = &p.renewal_policy_id {
            cert.renewal_policy_id = RenewalPolicyId::from_trusted(r.clone());
        }
        if let Some(t) = &p.target_ids {
            cert.target_ids = t.iter().map(|t| TargetId::from_trusted(t.clone())).collect();
        }
        if let Some(t) = &p.tags {
            tags("tags", t)?;
            cert.tags = t.clone();
        }
        self.check_refs(&cert).await?;
        cert.updated_at = Timestamp::now();
        let fields: Vec<String> = serde_json::to_value(p)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        if fleet {
            self.check_template(&cert).await?;
            // other fields are an operator's; what runs and is written where, and on which group, is not
            if spread_before != (cert.agent_group_id.clone(), cert.target_template.clone()) {
                Self::require_admin_for_template(
                    actor,
                    &format!(
                        "changing fleet certificate {id} so that its target_template sets these"
                    ),
                    &cert,
                )?;
            }
            let audit = actor
                .audit("certificate_updated", "certificate", id.as_str())
                .with_details(serde_json::json!({"fields": fields, "agent_group_id": cert.agent_group_id, "target_template": super::fleet_certs::template_audit_details(&cert)}));
            let cert = self.store().update_certificate(&cert, &audit).await?;
            let agents = self.store().all_agents().await?;
            self.reconcile_template(actor, &cert, &agents).await?;
            return self.certificate_view(actor, id).await;
        }
        let evaluation = self.enforce_policies(&cert, None).await?;
        let audit = actor
            .audit("certificate_updated", "certificate", id.as_str())
            .with_details(serde_json::json!({"fields": fields}));
        let cert = self.store().update_certificate(&cert, &audit).await?;
        self.sync_violations(actor, id, &evaluation).await?;
        Ok(cert)
    }

    /// Archives (soft-deletes) a certificate and cancels its open jobs; a fleet certificate's
    /// children are archived with it.
    pub async fn archive_certificate(
        &self,
        actor: &Actor,
        id: &CertificateId,
    ) -> Result<Certificate> {
        actor.require(&super::Access::Write)?;
        let cert = self.store().get_certificate(id).await?;
        if cert.status == CertificateStatus::Archived {
            return Err(Error::Conflict(format!("certificate {id} is already archived")));
        }
        let fleet = cert.is_template();
        let archived = self.archive_inner(actor, cert, serde_json::Value::Null).await?;
        if fleet {
            self.reconcile_template(actor, &archived, &[]).await?;
        }
        Ok(archived)
    }

    /// Cancels the open jobs of `cert` and marks it Archived (audit details `details`).
    pub(super) async fn archive_inner(
        &self,
        actor: &Actor,
        mut cert: Certificate,
        details: serde_json::Value,
    ) -> Result<Certificate> {
        for job in self.store().open_jobs(&cert.id).await? {
            self.cancel_job_inner(actor, job, "certificate archived").await?;
        }
        cert.status = CertificateStatus::Archived;
        cert.updated_at = Timestamp::now();
        let mut audit = actor.audit("certificate_archived", "certificate", cert.id.as_str());
        if !details.is_null() {
            audit = audit.with_details(details);
        }
        self.store().update_certificate(&cert, &audit).await
    }

    /// The current chain (leaf first) of the newest version.
    pub async fn export_certificate(&self, actor: &Actor, id: &CertificateId) -> Result<String> {
        actor.require(&super::Access::Read)?;
        self.store().get_certificate(id).await?;
        let versions = self.store().list_versions(id).await?;
        versions.into_iter().next().map(|v| v.pem_chain).ok_or_else(|| {
            Error::not_found("certificate version", format!("of {id} (not issued yet)"))
        })
    }

    /// Revokes the newest unrevoked version and marks the certificate Revoked.
    pub async fn revoke_certificate(
        &self,
        actor: &Actor,
        id: &CertificateId,
        reason: Option<&str>,
    ) -> Result<Certificate> {
        actor.require(&super::Access::Write)?;
        let reason = reason.unwrap_or("unspecified");
        if !REVOCATION_REASONS.contains(&reason) {
            return Err(Error::invalid(
                "reason",
                format!(
                    "{reason:?} is not an RFC 5280 reason; one of {}",
                    REVOCATION_REASONS.join(", ")
                ),
            ));
        }
        let mut cert = self.store().get_certificate(id).await?;
        if cert.status == CertificateStatus::Archived {
            return Err(Error::Conflict(format!("certificate {id} is archived")));
        }
        let version = self
            .store()
            .list_versions(id)
            .await?
            .into_iter()
            .find(|v| v.revoked_at.is_none())
            .ok_or_else(|| Error::Conflict(format!("certificate {id} has no unrevoked version")))?;
        let issuer = self.store().get_issuer(&cert.issuer_id).await?;
        let req = crate::issuer::RevokeRequest {
            pem_chain: &version.pem_chain,
            serial_number: &version.serial_number,
            reason,
            config: &issuer.config,
        };
        self.revoke_with_issuer(&issuer, &req).await?;
        let now = Timestamp::now();
        let audit = actor
            .audit("certificate_revoked", "certificate", id.as_str())
            .with_details(serde_json::json!({"serial_number": version.serial_number, "reason": reason, "version_id": version.id}));
        self.store().revoke_version(&version.id, reason, now, &audit).await?;
        cert.status = CertificateStatus::Revoked;
        cert.updated_at = now;
        self.store()
            .update_certificate(
                &cert,
                &actor
                    .audit("certificate_status_changed", "certificate", id.as_str())
                    .with_details(serde_json::json!({"status": "Revoked"})),
            )
            .await
    }

    /// Server keygen (demo) only: the private key of the newest version, unsealed, for an admin,
    /// with an audit event. Agent-held keys are never on the server and cannot be exported.
    pub async fn export_server_key(&self, actor: &Actor, id: &CertificateId) -> Result<String> {
        actor.require(&super::Access::Admin)?;
        if self.config().keygen_mode != KeygenMode::Server {
            return Err(Error::Conflict(
                "keys are generated on the agents (agent keygen mode); the server holds none"
                    .into(),
            ));
        }
        let version = self
            .store()
            .list_versions(id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Conflict(format!("certificate {id} has no version")))?;
        let sealed = version.key_ciphertext.as_deref().ok_or_else(|| {
            Error::Conflict(format!("version {} of {id} has no server-held key", version.id))
        })?;
        let pem = String::from_utf8(self.keystore()?.open(sealed)?)
            .map_err(|_| Error::Storage("server-held key is not UTF-8".into()))?;
        self.store()
            .append_audit(
                &actor
                    .audit("private_key_exported", "certificate", id.as_str())
                    .with_details(serde_json::json!({"version_id": version.id})),
            )
            .await?;
        Ok(pem)
    }

    async fn owner_ref(&self, id: Option<String>) -> Result<Option<OwnerId>> {
        let Some(id) = id.filter(|s| !s.is_empty()) else { return Ok(None) };
        let id = OwnerId::from_trusted(id);
        exists(self.store().get_owner(&id).await, "owner_id", &id)?;
        Ok(Some(id))
    }

    /// Issuer, renewal policy and targets exist; in agent keygen mode the targets are on one agent.
    async fn check_refs(&self, cert: &Certificate) -> Result<()> {
        exists(self.store().get_issuer(&cert.issuer_id).await, "issuer_id", &cert.issuer_id)?;
        exists(
            self.store().get_renewal_policy(&cert.renewal_policy_id).await,
            "renewal_policy_id",
            &cert.renewal_policy_id,
        )?;
        let mut agents = BTreeSet::new();
        for (i, t) in cert.target_ids.iter().enumerate() {
            let target = exists(self.store().get_target(t).await, &format!("target_ids[{i}]"), t)?;
            if let Some(a) = target.agent_id {
                agents.insert(a);
            }
        }
        if self.config().keygen_mode == KeygenMode::Agent && agents.len() > 1 {
            let list: Vec<String> = agents.iter().map(ToString::to_string).collect();
            return Err(Error::Conflict(format!(
                "the targets of {} are on {} different agents ({}); a private key lives on one host — use a fleet certificate (agent_group_id + target_template) to give each host its own key and certificate",
                cert.id,
                agents.len(),
                list.join(", ")
            )));
        }
        Ok(())
    }
}

/// A certificate name; in a fleet certificate it may hold placeholders and is kept as written
/// (trimmed, lowercase) once a sample expansion is a valid name.
fn name_or_template(field: &str, name: &str, fleet: bool) -> Result<String> {
    if !fleet {
        return certificate_name(field, name);
    }
    crate::groups::template::check(field, name)?;
    certificate_name(
        field,
        &crate::groups::template::expand(name, &crate::groups::template::Values::sample()),
    )?;
    let n = name.trim();
    Ok(n.strip_suffix('.').unwrap_or(n).to_ascii_lowercase())
}

fn sans(list: &[String], fleet: bool) -> Result<Vec<String>> {
    if list.len() > 100 {
        return Err(Error::invalid("sans", "at most 100 names"));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let n = name_or_template(&format!("sans[{i}]"), s, fleet)?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

fn environment(e: Option<&str>) -> Result<Option<String>> {
    match e.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => Ok(Some(text("environment", v, 64)?)),
    }
}
