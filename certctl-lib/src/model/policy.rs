//! Policy rules and the violations they record.

use serde::{Deserialize, Serialize};

use super::{CertificateId, GroupId, PolicyId, Timestamp, ViolationId, string_enum};

string_enum! {
    /// Kind of rule; each has its own config shape.
    PolicyType {
        AllowedIssuers = "AllowedIssuers",
        AllowedDomains = "AllowedDomains",
        RequiredMetadata = "RequiredMetadata",
        AllowedEnvironments = "AllowedEnvironments",
        RenewalLeadTime = "RenewalLeadTime",
        CertificateLifetime = "CertificateLifetime",
        KeyAlgorithm = "KeyAlgorithm",
        SanRules = "SanRules",
    }
}

string_enum! {
    /// How bad a violation is.
    Severity {
        Warning = "Warning",
        Error = "Error",
        Critical = "Critical",
    }
}

string_enum! {
    /// `enforce` rejects, `warn` records a violation and lets the change through.
    PolicyMode {
        Enforce = "enforce",
        Warn = "warn",
    }
}

/// Where a rule applies; empty lists mean everywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct PolicyScope {
    pub agent_group_ids: Vec<GroupId>,
    pub environments: Vec<String>,
}

/// A policy rule (`pol-` id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PolicyRule {
    pub id: PolicyId,
    pub name: String,
    #[serde(rename = "type")]
    pub rule_type: PolicyType,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub severity: Severity,
    pub mode: PolicyMode,
    pub scope: PolicyScope,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A rule that a certificate broke (`viol-` id); resolved violations keep `resolved_at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PolicyViolation {
    pub id: ViolationId,
    pub policy_id: PolicyId,
    pub certificate_id: CertificateId,
    pub message: String,
    pub severity: Severity,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}
