//! Teams, owners, issuers, notifications and API keys.

use serde::{Deserialize, Serialize};

use super::{
    AgentId, ApiKeyId, CertificateId, IssuerId, NotificationId, OwnerId, TeamId, Timestamp,
    string_enum,
};

/// A team (`team-` id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A person responsible for certificates (`o-` id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Owner {
    pub id: OwnerId,
    pub name: String,
    pub email: String,
    pub team_id: Option<TeamId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A certificate authority connection (`iss-` id): a connector type and its config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Issuer {
    pub id: IssuerId,
    pub name: String,
    #[serde(rename = "type")]
    pub issuer_type: String,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

string_enum! {
    /// Delivery state of a notification: Pending until every channel it was routed to has it,
    /// Recorded when no channel was (kept in the in-app inbox only, nothing sent), Sent when
    /// every delivery succeeded, Dead when one gave up.
    NotificationStatus {
        Pending = "Pending",
        Recorded = "Recorded",
        Sent = "Sent",
        Failed = "Failed",
        Dead = "Dead",
    }
}

/// A notification event (`n-` id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Notification {
    pub id: NotificationId,
    /// What happened: `expiry_threshold`, `renewal_failed`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub certificate_id: Option<CertificateId>,
    pub channel: String,
    pub recipient: String,
    pub message: String,
    pub status: NotificationStatus,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    /// At most one event per key (`expiry:<certificate>:<expires_at>:<threshold>`); not serialised.
    #[serde(skip)]
    pub dedup_key: Option<String>,
    /// `info`, `warning` or `critical`.
    #[serde(default = "default_severity")]
    pub severity: super::NotifySeverity,
    /// What the event is about: `certificate {id, name, common_name}`, `days_left`, `expires_at`,
    /// `error`, `target_id`, `step`, `agent_id`, ... (by kind).
    #[serde(default)]
    pub details: serde_json::Value,
    /// Its delivery to each routed channel, with attempts and last error (not a column).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliveries: Vec<super::Delivery>,
}

fn default_severity() -> super::NotifySeverity {
    super::NotifySeverity::Info
}

string_enum! {
    /// What an API key may do.
    Role {
        /// Everything.
        Admin = "admin",
        /// Everything but key and role management.
        Operator = "operator",
        /// Read only.
        Viewer = "viewer",
        /// Only the agent endpoints of its own agent.
        Agent = "agent",
    }
}

/// An API key (`key-` id). The secret is never stored, only its SHA-256.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub role: Role,
    /// SHA-256 of the secret, hex; never serialised.
    #[serde(skip)]
    pub key_hash: String,
    pub agent_id: Option<AgentId>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("key_hash", &"<redacted>")
            .field("agent_id", &self.agent_id)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}
