//! Wire types of the REST API that are not plain model values: request bodies, the error
//! envelope and action results. Shared by the server, the typed client and the tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::model::{Agent, ApiKey, BootstrapToken, Role, Timestamp};

mod inputs;
pub use inputs::*;
mod channels;
pub use channels::ChannelInput;
pub mod query;
pub use query::{
    AgentQuery, AuditQuery, CertificateQuery, EvaluateQuery, JobQuery, NotificationQuery,
    OwnerQuery, PageQuery, TargetQuery, ViolationQuery,
};

/// `{"error": {"code": "...", "message": "..."}}` — every non-2xx response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code: `not_found`, `conflict`, `validation_failed`, ...
    pub code: String,
    /// Human-readable; names the offending field for validation errors.
    pub message: String,
}

/// `GET /agents/{id}`: the agent with the groups it belongs to now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AgentView {
    #[serde(flatten)]
    pub agent: Agent,
    /// Groups whose criteria the agent matches, evaluated live.
    pub groups: Vec<crate::model::GroupId>,
}

impl std::ops::Deref for AgentView {
    type Target = Agent;
    fn deref(&self) -> &Agent {
        &self.agent
    }
}

/// `POST /agents` response: the agent and, once, its API key.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AgentRegistered {
    #[serde(flatten)]
    pub agent: Agent,
    /// Shown once; only its hash is stored.
    pub api_key: String,
}

/// `POST /api-keys` response: the key record and, once, the secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// Shown once; only its hash is stored.
    pub key: String,
}

/// `POST /bootstrap-tokens` response: the token record and, once, the secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BootstrapTokenCreated {
    #[serde(flatten)]
    pub bootstrap_token: BootstrapToken,
    /// Shown once; only its hash is stored. Give it to agents as `CERTCTL_AGENT_BOOTSTRAP_TOKEN`.
    pub token: String,
}

/// Body of `POST /api-keys`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApiKeyInput {
    pub name: String,
    pub role: Role,
}

/// Result of `POST /issuers/{id}/test` and similar checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TestResult {
    pub ok: bool,
    pub message: String,
}

/// `GET /ready` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Readiness {
    pub ready: bool,
    pub database: String,
    /// Warnings an operator should see (e.g. server keygen mode).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Body of `POST /certificates/{id}/revoke`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RevokeInput {
    /// RFC 5280 reason in camelCase (`keyCompromise`, `superseded`, ...); default `unspecified`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One-screen summary (`GET /api/v1/summary`) for `certctl status` and dashboards.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Summary {
    pub certificates_by_status: BTreeMap<String, i64>,
    pub expiring_within_7_days: i64,
    pub expiring_within_30_days: i64,
    pub agents_by_status: BTreeMap<String, i64>,
    pub failed_jobs: i64,
    pub generated_at: Option<Timestamp>,
    /// Not archived, expiring in the next 14 days.
    #[serde(default)]
    pub expiring_within_14_days: i64,
    /// Jobs that failed in the last 24 hours.
    #[serde(default)]
    pub failed_jobs_24h: i64,
    /// Policy violations not resolved yet.
    #[serde(default)]
    pub open_violations: i64,
    /// Not-archived certificates by expiry over the next 90 days: weekly buckets
    /// (`[0,7)`, `[7,14)`, ... `[84,90)` days from `generated_at`).
    #[serde(default)]
    pub expiry_histogram: Vec<ExpiryBucket>,
}

/// One bar of [`Summary::expiry_histogram`]: certificates expiring in `[from_day, to_day)` days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ExpiryBucket {
    pub from_day: i64,
    pub to_day: i64,
    pub count: i64,
}

/// The day edges of [`Summary::expiry_histogram`]: weeks up to 90 days.
pub const EXPIRY_HISTOGRAM_EDGES: [i64; 13] = [7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 90];

/// Deserialises a present field (even `null`) as `Some(..)`, so that PUT bodies can tell
/// "absent: keep" from "null: clear".
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// One item of `GET /agents/{id}/work`: the job (same fields as `GET /jobs/{id}`) and what the
/// agent needs to act on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkItem {
    #[serde(flatten)]
    pub job: crate::model::Job,
    /// Names the CSR must carry (issuance and renewal) or the certificate has (deployment).
    pub common_name: String,
    pub sans: Vec<String>,
    /// Deployment: the chain to deploy, leaf first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem_chain: Option<String>,
    /// Deployment: the target connector type (`nginx`, `file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// Deployment: the target's config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_config: Option<serde_json::Value>,
    /// Validation (ACME HTTP-01, agent mode): the token to serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationWork>,
}

/// An HTTP-01 token for the agent to serve at `/.well-known/acme-challenge/{token}`; the agent
/// reports `Ready` once it does, and stops serving it when the job is no longer handed out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ValidationWork {
    pub token: String,
    pub key_authorization: String,
    pub http01: Http01Work,
}

/// How the agent serves an HTTP-01 token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Http01Work {
    /// `webroot` (write `<webroot>/.well-known/acme-challenge/<token>`) or `listener` (the
    /// agent's built-in responder, `CERTCTL_HTTP01_LISTEN`).
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webroot: Option<String>,
}

/// Body of `POST /policies/evaluate`: an existing certificate, or a draft with the fields of
/// create; `with` adds a draft rule to see what it would do before it exists.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EvaluateInput {
    #[serde(default)]
    pub certificate_id: Option<String>,
    #[serde(flatten)]
    pub draft: CertificateInput,
    #[serde(default)]
    pub with: Option<PolicyInput>,
}

/// Body of `POST /agents/{id}/csr`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CsrSubmission {
    pub job_id: String,
    pub csr_pem: String,
}

/// Body of `POST /agents/{id}/jobs/{job_id}/status`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct JobReport {
    /// `Completed` or `Failed`.
    pub status: String,
    /// What happened; for failures, which step failed and the command's output.
    #[serde(default)]
    pub message: Option<String>,
}

/// `GET /api/v1/whoami`: who the presented key is, so a client (the dashboard) can show only
/// the actions its role allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Whoami {
    /// The key's name (the agent id for agent keys).
    pub name: String,
    pub role: Role,
    /// `User`, `Agent` or `System`.
    pub actor_type: crate::model::ActorType,
    /// Operator and admin: may create, change and run actions.
    pub can_write: bool,
    /// Admin: may manage API keys.
    pub can_admin: bool,
}

/// Body of `POST /api/v1/agent-groups/preview`: criteria to evaluate without saving a group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GroupPreviewInput {
    #[serde(default)]
    pub criteria: crate::model::GroupCriteria,
}
