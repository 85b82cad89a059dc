//! Managed certificates, their versions, renewal policies and deployment targets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    AgentId, CertificateId, ChannelId, GroupId, IssuerId, OwnerId, RenewalPolicyId, TargetId,
    TeamId, Timestamp, VersionId, string_enum,
};

string_enum! {
    /// Lifecycle status of a managed certificate.
    CertificateStatus {
        /// Created, never issued.
        Pending = "Pending",
        /// Issued and valid.
        Active = "Active",
        /// Inside its renewal window or an alert threshold.
        Expiring = "Expiring",
        /// Past `expires_at`.
        Expired = "Expired",
        /// An issuance or renewal job is open.
        RenewalInProgress = "RenewalInProgress",
        /// The last issuance or renewal failed.
        Failed = "Failed",
        /// The current version was revoked.
        Revoked = "Revoked",
        /// Soft-deleted; kept for history.
        Archived = "Archived",
    }
}

impl CertificateStatus {
    /// The status a certificate's expiry alone gives it (`renewal_window_days` of its renewal
    /// policy): Pending without one, Expired once past, Expiring inside the window, else Active.
    /// The renewal checker moves certificates by the same rule, and a job that ends without a
    /// new version (cancelled, failed to start) leaves the certificate here, never by the job.
    pub fn by_expiry(
        expires_at: Option<Timestamp>,
        renewal_window_days: i64,
        now: Timestamp,
    ) -> Self {
        match expires_at {
            None => CertificateStatus::Pending,
            Some(e) if e <= now => CertificateStatus::Expired,
            Some(e) if e <= now.plus(time::Duration::days(renewal_window_days)) => {
                CertificateStatus::Expiring
            }
            Some(_) => CertificateStatus::Active,
        }
    }
}

/// A certificate the control plane manages (`mc-` id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Certificate {
    pub id: CertificateId,
    pub name: String,
    pub common_name: String,
    pub sans: Vec<String>,
    pub environment: Option<String>,
    pub owner_id: Option<OwnerId>,
    pub team_id: Option<TeamId>,
    pub issuer_id: IssuerId,
    pub renewal_policy_id: RenewalPolicyId,
    pub status: CertificateStatus,
    pub expires_at: Option<Timestamp>,
    pub tags: BTreeMap<String, String>,
    /// Targets this certificate is deployed to (from the mapping table).
    #[serde(default)]
    pub target_ids: Vec<TargetId>,
    pub last_renewal_at: Option<Timestamp>,
    pub last_deployment_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Fleet child: the fleet certificate (template) it was materialised from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CertificateId>,
    /// Fleet child: the member agent it belongs to (its key lives there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    /// Fleet certificate (template): the agent group whose members each get a child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_group_id: Option<GroupId>,
    /// Fleet certificate (template): the target each child gets on its agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_template: Option<TargetTemplate>,
    /// Fleet certificate (template), on `GET /certificates/{id}`: its children, archived ones too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<FleetChild>>,
}

impl Certificate {
    /// Whether this is a fleet certificate (template): bound to a group, never issued itself.
    pub fn is_template(&self) -> bool {
        self.agent_group_id.is_some()
    }
}

/// The target a fleet certificate gives each child, on the child's agent. `{hostname}`,
/// `{agent_id}` and `{agent_name}` are expanded in `name` and in every string of `config`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TargetTemplate {
    /// Target connector type (`file`, `nginx`, ...).
    #[serde(rename = "type")]
    pub target_type: String,
    /// Name of each child's target; defaults to `<template name> on {agent_name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The connector's config, as for `POST /targets`.
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

/// One child of a fleet certificate, as its template lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FleetChild {
    pub id: CertificateId,
    pub agent_id: Option<AgentId>,
    pub common_name: String,
    pub status: CertificateStatus,
}

/// One issued certificate of a managed certificate (`cv-` id): public material only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CertificateVersion {
    pub id: VersionId,
    pub certificate_id: CertificateId,
    /// Hex, lowercase, no separators.
    pub serial_number: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// SHA-256 of the leaf's DER, lowercase hex.
    pub fingerprint_sha256: String,
    /// Leaf first, then intermediates.
    pub pem_chain: String,
    pub csr_pem: Option<String>,
    pub key_algorithm: String,
    pub key_size: i64,
    pub revoked_at: Option<Timestamp>,
    pub revocation_reason: Option<String>,
    /// Server keygen (demo) only: the private key, AES-256-GCM encrypted with a key that is not
    /// in the database. Never serialised.
    #[serde(skip)]
    pub key_ciphertext: Option<String>,
    pub created_at: Timestamp,
}

/// When and how a certificate is renewed and alerted on (`rp-` id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RenewalPolicy {
    pub id: RenewalPolicyId,
    pub name: String,
    pub renewal_window_days: i64,
    pub auto_renew: bool,
    pub max_retries: i64,
    pub retry_interval_seconds: i64,
    pub alert_thresholds_days: Vec<i64>,
    pub notification_channel_ids: Vec<ChannelId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl RenewalPolicy {
    /// The default alert thresholds in days before expiry.
    pub const DEFAULT_THRESHOLDS: [i64; 4] = [30, 14, 7, 0];

    /// A policy with the defaults: 30-day window, auto-renew, 3 retries 60 s apart, alerts at
    /// 30/14/7/0 days, no channels.
    pub fn with_defaults(id: RenewalPolicyId, name: impl Into<String>, now: Timestamp) -> Self {
        RenewalPolicy {
            id,
            name: name.into(),
            renewal_window_days: 30,
            auto_renew: true,
            max_retries: 3,
            retry_interval_seconds: 60,
            alert_thresholds_days: Self::DEFAULT_THRESHOLDS.to_vec(),
            notification_channel_ids: vec![],
            created_at: now,
            updated_at: now,
        }
    }
}

/// Where a certificate is deployed (`t-` id): a connector type, its config and the agent that runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Target {
    pub id: TargetId,
    pub name: String,
    #[serde(rename = "type")]
    pub target_type: String,
    pub agent_id: Option<AgentId>,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A certificate bound to a target, with the state of its last deployment there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CertificateTarget {
    pub certificate_id: CertificateId,
    pub target_id: TargetId,
    /// `Pending`, `Deployed` or `Failed`; `None` before the first deployment.
    pub deployment_status: Option<String>,
    pub deployed_version_id: Option<VersionId>,
    pub last_deployed_at: Option<Timestamp>,
    pub last_error: Option<String>,
}
