//! Create and update bodies. Ids and references are plain strings here so that the service can
//! reject a bad one with a 422 naming the field instead of a generic parse error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::present;
use crate::model::{GroupCriteria, PolicyMode, PolicyScope, Severity};

/// `POST /certificates`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct CertificateInput {
    pub id: Option<String>,
    /// Defaults to the common name.
    pub name: Option<String>,
    pub common_name: String,
    pub sans: Vec<String>,
    pub environment: Option<String>,
    pub owner_id: Option<String>,
    pub team_id: Option<String>,
    /// Defaults to `iss-local`.
    pub issuer_id: Option<String>,
    /// Defaults to `rp-default`.
    pub renewal_policy_id: Option<String>,
    pub target_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// Fleet certificate: every member of this agent group gets its own child certificate
    /// (with `target_template`; `{hostname}`, `{agent_id}`, `{agent_name}` allowed in names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_group_id: Option<String>,
    /// Fleet certificate: the target each child gets on its agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_template: Option<crate::model::TargetTemplate>,
}

/// `PUT /certificates/{id}`: absent fields keep their value, `null` clears optional ones.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct CertificatePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sans: Option<Vec<String>>,
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub environment: Option<Option<String>>,
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Option<String>>,
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_policy_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// Fleet certificates only: another group (children re-materialised).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_group_id: Option<String>,
    /// Fleet certificates only: another target template (children's targets follow).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_template: Option<crate::model::TargetTemplate>,
}

/// `POST /teams`, and `PUT` (absent fields keep their value).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct TeamInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `POST /owners`, and `PUT`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct OwnerInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Option<String>>,
}

/// `POST /renewal-policies`, and `PUT`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct RenewalPolicyInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_window_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_interval_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert_thresholds_days: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_channel_ids: Option<Vec<String>>,
}

/// `POST /issuers` and `POST /targets` (connector type + JSON config), and `PUT`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ConnectorInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub connector_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Targets only: the agent that deploys to this target.
    #[serde(deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Option<String>>,
}

/// `POST /agents` (admin registration or self-registration with a bootstrap token).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct AgentInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `PUT /agents/{id}`: what an operator asserts about an agent. Absent fields stay as they are;
/// `labels` replaces the operator labels as a whole (the agent's reported labels are untouched).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct AgentUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// `POST /bootstrap-tokens`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct BootstrapTokenInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    /// How long it can be used: `30m`, `24h`, `7d` (default `24h`, at most `365d`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
    /// Registrations allowed in all (default: unlimited until it expires).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<i64>,
    /// Operator labels stamped on every agent it registers.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Approve the agents it registers at once (default false: they wait, `Pending`).
    pub auto_approve: bool,
}

/// `POST /agent-groups`, and `PUT`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct GroupInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria: Option<GroupCriteria>,
}

/// `POST /policies`, and `PUT`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct PolicyInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub rule_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<PolicyMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<PolicyScope>,
}
