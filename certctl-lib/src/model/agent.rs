//! Agents, the metadata they report, and agent groups with their criteria. What an agent reports
//! about itself (hostname, OS, addresses, reported labels) is kept apart from what an operator set
//! through the API (`labels`) and from what the server observed (`observed_ip`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{AgentId, GroupId, Timestamp, string_enum};

string_enum! {
    /// Health of an agent as seen by the control plane.
    AgentStatus {
        /// Registered with a bootstrap token and not approved yet: it may send heartbeats but gets
        /// no work, belongs to no group and gets no fleet certificate.
        Pending = "Pending",
        /// Heartbeats arrive.
        Online = "Online",
        /// No heartbeat for longer than the offline threshold (or never).
        Offline = "Offline",
        /// The last deployment failed.
        Degraded = "Degraded",
        /// Retired by an operator; its key no longer works.
        Retired = "Retired",
    }
}

/// What an agent reports about its host in each heartbeat (`labels` are its *reported* labels,
/// `CERTCTL_AGENT_LABELS` on the host; they never become the operator's labels).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AgentMetadata {
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub os_version: String,
    #[serde(default)]
    pub arch: String,
    #[serde(default)]
    pub ip_addresses: Vec<String>,
    #[serde(default)]
    pub agent_version: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// A registered agent (`ag-` id) with its latest metadata, flat as in the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub status: AgentStatus,
    pub hostname: String,
    pub os: String,
    pub os_version: String,
    pub arch: String,
    pub ip_addresses: Vec<String>,
    pub agent_version: String,
    /// Labels an operator set through the API (at registration, from the bootstrap token, or with
    /// `PUT /agents/{id}`); group criteria `labels` match these.
    pub labels: BTreeMap<String, String>,
    /// Labels the agent reports about itself in its heartbeats; group criteria
    /// `reported_labels` match these.
    pub reported_labels: BTreeMap<String, String>,
    /// The source address of the last heartbeat as the server saw it (the TCP peer).
    pub observed_ip: Option<String>,
    pub last_heartbeat_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Agent {
    /// A newly registered agent: Offline until its first heartbeat, no metadata yet.
    pub fn registered(
        id: AgentId,
        name: impl Into<String>,
        labels: BTreeMap<String, String>,
        now: Timestamp,
    ) -> Self {
        Agent {
            id,
            name: name.into(),
            status: AgentStatus::Offline,
            hostname: String::new(),
            os: String::new(),
            os_version: String::new(),
            arch: String::new(),
            ip_addresses: vec![],
            agent_version: String::new(),
            labels,
            reported_labels: BTreeMap::new(),
            observed_ip: None,
            last_heartbeat_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The metadata the agent reported (its reported labels, not the operator's).
    pub fn metadata(&self) -> AgentMetadata {
        AgentMetadata {
            hostname: self.hostname.clone(),
            os: self.os.clone(),
            os_version: self.os_version.clone(),
            arch: self.arch.clone(),
            ip_addresses: self.ip_addresses.clone(),
            agent_version: self.agent_version.clone(),
            labels: self.reported_labels.clone(),
        }
    }

    /// What changed in the agent's self-reported facts and observed address if it now reported
    /// `meta` from `observed`: `{"field": {"from": .., "to": ..}}` for each change, `None` when
    /// nothing changed (audited as `agent_facts_changed`).
    pub fn fact_changes(
        &self,
        meta: &AgentMetadata,
        observed: Option<&str>,
    ) -> Option<serde_json::Value> {
        let mut out = serde_json::Map::new();
        let mut diff = |field: &str, from: serde_json::Value, to: serde_json::Value| {
            if from != to {
                out.insert(field.to_owned(), serde_json::json!({"from": from, "to": to}));
            }
        };
        use serde_json::json;
        diff("hostname", json!(self.hostname), json!(meta.hostname));
        diff("os", json!(self.os), json!(meta.os));
        diff("os_version", json!(self.os_version), json!(meta.os_version));
        diff("arch", json!(self.arch), json!(meta.arch));
        diff("ip_addresses", json!(self.ip_addresses), json!(meta.ip_addresses));
        diff("agent_version", json!(self.agent_version), json!(meta.agent_version));
        diff("reported_labels", json!(self.reported_labels), json!(meta.labels));
        if let Some(ip) = observed {
            diff("observed_ip", json!(self.observed_ip), json!(ip));
        }
        (!out.is_empty()).then_some(serde_json::Value::Object(out))
    }
}

/// Selection criteria of a dynamic agent group. Fields combine with AND; lists are any-of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct GroupCriteria {
    pub os: Vec<String>,
    pub arch: Vec<String>,
    /// Glob patterns.
    pub hostname: Vec<String>,
    /// IPv4 / IPv6 networks matched against the addresses the agent reports.
    pub cidr: Vec<String>,
    /// Operator labels (set through the API); all must match.
    pub labels: BTreeMap<String, String>,
    /// Labels the agent reports about itself; all must match. Self-asserted: any host can claim
    /// them, so use them only where that is acceptable.
    pub reported_labels: BTreeMap<String, String>,
    /// IPv4 / IPv6 networks matched against the address the server saw the heartbeat come from
    /// (`observed_ip`), not what the agent reports.
    pub observed_cidr: Vec<String>,
    /// Semver requirement, e.g. `>=1.2`; empty = any.
    pub agent_version: String,
    pub include: Vec<AgentId>,
    /// Wins over everything else.
    pub exclude: Vec<AgentId>,
}

/// A dynamic agent group (`grp-` id): criteria, not a member list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AgentGroup {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub criteria: GroupCriteria,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A bootstrap token (`bt-` id): lets agents register themselves, until it expires, is used up or
/// revoked. The secret is shown once at creation and stored hashed.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BootstrapToken {
    pub id: super::BootstrapTokenId,
    pub name: String,
    /// SHA-256 of the secret, hex; never serialised.
    #[serde(skip)]
    pub token_hash: String,
    /// Operator labels stamped on every agent registered with it.
    pub labels: BTreeMap<String, String>,
    /// Agents registered with it are approved at once (otherwise they are `Pending`).
    pub auto_approve: bool,
    /// Registrations allowed in all; unlimited (until expiry) when absent.
    pub max_uses: Option<i64>,
    /// Registrations so far.
    pub uses: i64,
    pub expires_at: Timestamp,
    /// The API key (name) that created it.
    pub created_by: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl BootstrapToken {
    /// Whether it can register one more agent at `now`.
    pub fn usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none()
            && self.expires_at > now
            && self.max_uses.is_none_or(|m| self.uses < m)
    }
}

impl std::fmt::Debug for BootstrapToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("token_hash", &"<redacted>")
            .field("auto_approve", &self.auto_approve)
            .field("uses", &self.uses)
            .field("max_uses", &self.max_uses)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}
