//! Agents, the metadata they report, and agent groups with their criteria.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{string_enum, AgentId, GroupId, Timestamp};

string_enum! {
    /// Health of an agent as seen by the control plane.
    AgentStatus {
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

/// What an agent reports about its host in each heartbeat.
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
#[cfg_attr(feature = "store", derive(sqlx::FromRow))]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub status: AgentStatus,
    pub hostname: String,
    pub os: String,
    pub os_version: String,
    pub arch: String,
    #[cfg_attr(feature = "store", sqlx(json))]
    pub ip_addresses: Vec<String>,
    pub agent_version: String,
    #[cfg_attr(feature = "store", sqlx(json))]
    pub labels: BTreeMap<String, String>,
    pub last_heartbeat_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Agent {
    /// A newly registered agent: Offline until its first heartbeat, no metadata yet.
    pub fn registered(id: AgentId, name: impl Into<String>, labels: BTreeMap<String, String>, now: Timestamp) -> Self {
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
            last_heartbeat_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The metadata part of the agent.
    pub fn metadata(&self) -> AgentMetadata {
        AgentMetadata {
            hostname: self.hostname.clone(),
            os: self.os.clone(),
            os_version: self.os_version.clone(),
            arch: self.arch.clone(),
            ip_addresses: self.ip_addresses.clone(),
            agent_version: self.agent_version.clone(),
            labels: self.labels.clone(),
        }
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
    /// IPv4 / IPv6 networks.
    pub cidr: Vec<String>,
    /// All must match.
    pub labels: BTreeMap<String, String>,
    /// Semver requirement, e.g. `>=1.2`; empty = any.
    pub agent_version: String,
    pub include: Vec<AgentId>,
    /// Wins over everything else.
    pub exclude: Vec<AgentId>,
}

/// A dynamic agent group (`grp-` id): criteria, not a member list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "store", derive(sqlx::FromRow))]
pub struct AgentGroup {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    #[cfg_attr(feature = "store", sqlx(json))]
    pub criteria: GroupCriteria,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
