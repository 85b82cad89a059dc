//! Managed certificates: create, update, archive, export, revoke.

use std::collections::BTreeSet;

use super::org::exists;
use super::validate::{certificate_name, tags, text};
use super::{Actor, KeygenMode, Service, DEFAULT_RENEWAL_POLICY_ID, LOCAL_ISSUER_ID};
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
    pub async fn create_certificate(&self, actor: &Actor, input: &CertificateInput) -> Result<Certificate> {
        let cert = self.draft_certificate(input).await?;
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
        let common_name = certificate_name("common_name", &input.common_name)?;
        let mut cert = Certificate {
            id: super::validate::new_id(input.id.as_deref(), CertificateId::parse, CertificateId::generate)?,
            name: match input.name.as_deref() {
                Some(n) => text("name", n, 200)?,
                None => common_name.clone(),
            },
            sans: sans(&input.sans)?,
            common_name,
            environment: environment(input.environment.as_deref())?,
            owner_id: None,
            team_id: None,
            issuer_id: IssuerId::from_trusted(input.issuer_id.clone().unwrap_or_else(|| LOCAL_ISSUER_ID.into())),
            renewal_policy_id: RenewalPolicyId::from_trusted(input.renewal_policy_id.clone().unwrap_or_else(|| DEFAULT_RENEWAL_POLICY_ID.into())),
            status: CertificateStatus::Pending,
            expires_at: None,
            tags: input.tags.clone(),
            target_ids: input.target_ids.iter().map(|t| TargetId::from_trusted(t.clone())).collect(),
            last_renewal_at: None,
            last_deployment_at: None,
            created_at: now,
            updated_at: now,
        };
        tags("tags", &cert.tags)?;
        cert.owner_id = self.owner_ref(input.owner_id.clone()).await?;
        cert.team_id = self.team_ref(input.team_id.clone()).await?;
        self.check_refs(&cert).await?;
        Ok(cert)
    }

    /// Applies a patch; archived certificates cannot change.
    pub async fn update_certificate(&self, actor: &Actor, id: &CertificateId, p: &CertificatePatch) -> Result<Certificate> {
        let mut cert = self.store().get_certificate(id).await?;
        if cert.status == CertificateStatus::Archived {
            return Err(Error::Conflict(format!("certificate {id} is archived")));
        }
        if let Some(n) = &p.name {
            cert.name = text("name", n, 200)?;
        }
        if let Some(cn) = &p.common_name {
            cert.common_name = certificate_name("common_name", cn)?;
        }
        if let Some(s) = &p.sans {
            cert.sans = sans(s)?;
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
        let evaluation = self.enforce_policies(&cert, None).await?;
        let audit = actor.audit("certificate_updated", "certificate", id.as_str()).with_details(serde_json::json!({"fields": fields}));
        let cert = self.store().update_certificate(&cert, &audit).await?;
        self.sync_violations(actor, id, &evaluation).await?;
        Ok(cert)
    }

    /// Archives (soft-deletes) a certificate and cancels its open jobs.
    pub async fn archive_certificate(&self, actor: &Actor, id: &CertificateId) -> Result<Certificate> {
        let mut cert = self.store().get_certificate(id).await?;
        if cert.status == CertificateStatus::Archived {
            return Err(Error::Conflict(format!("certificate {id} is already archived")));
        }
        for job in self.store().open_jobs(id).await? {
            self.cancel_job_inner(actor, job, "certificate archived").await?;
        }
        cert.status = CertificateStatus::Archived;
        cert.updated_at = Timestamp::now();
        self.store().update_certificate(&cert, &actor.audit("certificate_archived", "certificate", id.as_str())).await
    }

    /// The current chain (leaf first) of the newest version.
    pub async fn export_certificate(&self, id: &CertificateId) -> Result<String> {
        self.store().get_certificate(id).await?;
        let versions = self.store().list_versions(id).await?;
        versions
            .into_iter()
            .next()
            .map(|v| v.pem_chain)
            .ok_or_else(|| Error::not_found("certificate version", format!("of {id} (not issued yet)")))
    }

    /// Revokes the newest unrevoked version and marks the certificate Revoked.
    pub async fn revoke_certificate(&self, actor: &Actor, id: &CertificateId, reason: Option<&str>) -> Result<Certificate> {
        let reason = reason.unwrap_or("unspecified");
        if !REVOCATION_REASONS.contains(&reason) {
            return Err(Error::invalid("reason", format!("{reason:?} is not an RFC 5280 reason; one of {}", REVOCATION_REASONS.join(", "))));
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
        let req = crate::issuer::RevokeRequest { pem_chain: &version.pem_chain, serial_number: &version.serial_number, reason, config: &issuer.config };
        if issuer.issuer_type == "acme" {
            self.acme_revoke(&issuer, &version.pem_chain, reason).await?;
        } else {
            self.connector(&issuer.issuer_type)?.revoke(&req).await?;
        }
        let now = Timestamp::now();
        let audit = actor
            .audit("certificate_revoked", "certificate", id.as_str())
            .with_details(serde_json::json!({"serial_number": version.serial_number, "reason": reason, "version_id": version.id}));
        self.store().revoke_version(&version.id, reason, now, &audit).await?;
        cert.status = CertificateStatus::Revoked;
        cert.updated_at = now;
        self.store().update_certificate(&cert, &actor.audit("certificate_status_changed", "certificate", id.as_str()).with_details(serde_json::json!({"status": "Revoked"}))).await
    }

    /// Server keygen (demo) only: the private key of the newest version, unsealed, for an admin,
    /// with an audit event. Agent-held keys are never on the server and cannot be exported.
    pub async fn export_server_key(&self, actor: &Actor, id: &CertificateId) -> Result<String> {
        actor.require(&super::Access::Admin)?;
        if self.config().keygen_mode != KeygenMode::Server {
            return Err(Error::Conflict("keys are generated on the agents (agent keygen mode); the server holds none".into()));
        }
        let version = self.store().list_versions(id).await?.into_iter().next().ok_or_else(|| Error::Conflict(format!("certificate {id} has no version")))?;
        let sealed = version.key_ciphertext.as_deref().ok_or_else(|| Error::Conflict(format!("version {} of {id} has no server-held key", version.id)))?;
        let pem = String::from_utf8(self.keystore()?.open(sealed)?).map_err(|_| Error::Storage("server-held key is not UTF-8".into()))?;
        self.store().append_audit(&actor.audit("private_key_exported", "certificate", id.as_str()).with_details(serde_json::json!({"version_id": version.id}))).await?;
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
        exists(self.store().get_renewal_policy(&cert.renewal_policy_id).await, "renewal_policy_id", &cert.renewal_policy_id)?;
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

fn sans(list: &[String]) -> Result<Vec<String>> {
    if list.len() > 100 {
        return Err(Error::invalid("sans", "at most 100 names"));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let n = certificate_name(&format!("sans[{i}]"), s)?;
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
