//! The REST API: one table of every route (method, path, handler, documentation) from which
//! both the router and the OpenAPI document are built, so the two cannot drift.

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;

use crate::AppState;

mod acme;
mod agent;
mod certs;
mod channels;
mod connectors;
mod events;
mod fleet;
mod jobs;
pub mod openapi;
mod org;
mod records;
pub mod system;

/// One documented route under `/api/v1`.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// Schema name of the JSON body, if any.
    pub body: Option<&'static str>,
    /// Schema name of the success response (`Page<T>` for lists, `text` for PEM).
    pub response: &'static str,
    pub status: u16,
    /// The handler's path, as the OpenAPI operation id (`certs::list`).
    pub handler: &'static str,
}

macro_rules! endpoints {
    ($($method:ident $path:literal => $handler:path, $tag:literal, $summary:literal, $status:literal, body: $body:expr, resp: $resp:literal;)*) => {
        /// Every `/api/v1` route.
        pub const ENDPOINTS: &[Endpoint] = &[$(Endpoint {
            method: stringify!($method),
            path: $path,
            tag: $tag,
            summary: $summary,
            body: $body,
            response: $resp,
            status: $status,
            handler: stringify!($handler),
        },)*];

        fn v1_routes() -> Router<AppState> {
            let mut r = Router::new();
            $(r = r.route($path, axum::routing::$method($handler));)*
            r
        }
    };
}

endpoints! {
    get "/certificates" => certs::list, "certificates", "List certificates", 200, body: None, resp: "Page<Certificate>";
    post "/certificates" => certs::create, "certificates", "Create a certificate", 201, body: Some("CertificateInput"), resp: "Certificate";
    get "/certificates/{id}" => certs::get, "certificates", "Get a certificate", 200, body: None, resp: "Certificate";
    put "/certificates/{id}" => certs::update, "certificates", "Update a certificate", 200, body: Some("CertificatePatch"), resp: "Certificate";
    delete "/certificates/{id}" => certs::archive, "certificates", "Archive a certificate", 204, body: None, resp: "empty";
    get "/certificates/{id}/violations" => certs::violations, "certificates", "Policy violations of a certificate (open and resolved)", 200, body: None, resp: "Page<PolicyViolation>";
    get "/certificates/{id}/versions" => certs::versions, "certificates", "List issued versions, newest first", 200, body: None, resp: "Page<CertificateVersion>";
    get "/certificates/{id}/export" => certs::export, "certificates", "The current PEM chain (leaf first)", 200, body: None, resp: "pem";
    post "/certificates/{id}/renew" => certs::renew, "certificates", "Start issuance or renewal (idempotent)", 202, body: None, resp: "Job";
    post "/certificates/{id}/deploy" => certs::deploy, "certificates", "Deploy the current version to every target", 202, body: None, resp: "Page<Job>";
    post "/certificates/{id}/export-key" => certs::export_key, "certificates", "Export the server-held private key (server keygen demo mode, admin, audited)", 200, body: None, resp: "pem";
    post "/certificates/{id}/revoke" => certs::revoke, "certificates", "Revoke the current version", 200, body: Some("RevokeInput"), resp: "Certificate";

    get "/issuers" => connectors::list_issuers, "issuers", "List issuers", 200, body: None, resp: "Page<Issuer>";
    post "/issuers" => connectors::create_issuer, "issuers", "Create an issuer", 201, body: Some("ConnectorInput"), resp: "Issuer";
    get "/issuers/{id}" => connectors::get_issuer, "issuers", "Get an issuer", 200, body: None, resp: "Issuer";
    put "/issuers/{id}" => connectors::update_issuer, "issuers", "Update an issuer", 200, body: Some("ConnectorInput"), resp: "Issuer";
    delete "/issuers/{id}" => connectors::delete_issuer, "issuers", "Delete an issuer", 204, body: None, resp: "empty";
    post "/issuers/{id}/test" => connectors::test_issuer, "issuers", "Check that the issuer can issue", 200, body: None, resp: "TestResult";
    get "/issuers/{id}/ca" => connectors::issuer_ca, "issuers", "The issuer's CA certificate(s) as PEM", 200, body: None, resp: "pem";

    get "/targets" => connectors::list_targets, "targets", "List deployment targets", 200, body: None, resp: "Page<Target>";
    post "/targets" => connectors::create_target, "targets", "Create a target", 201, body: Some("ConnectorInput"), resp: "Target";
    get "/targets/{id}" => connectors::get_target, "targets", "Get a target", 200, body: None, resp: "Target";
    put "/targets/{id}" => connectors::update_target, "targets", "Update a target", 200, body: Some("ConnectorInput"), resp: "Target";
    delete "/targets/{id}" => connectors::delete_target, "targets", "Delete a target", 204, body: None, resp: "empty";

    get "/agents" => fleet::list_agents, "agents", "List agents", 200, body: None, resp: "Page<Agent>";
    post "/agents" => fleet::register_agent, "agents", "Register an agent (returns its API key once)", 201, body: Some("AgentInput"), resp: "AgentRegistered";
    get "/agents/{id}" => fleet::get_agent, "agents", "Get an agent, with the groups it belongs to", 200, body: None, resp: "AgentView";
    put "/agents/{id}" => fleet::update_agent, "agents", "Rename an agent or replace its operator labels (operator)", 200, body: Some("AgentUpdate"), resp: "Agent";
    post "/agents/{id}/approve" => fleet::approve_agent, "agents", "Admit a Pending agent that registered with a bootstrap token (operator)", 200, body: None, resp: "Agent";
    post "/agents/{id}/retire" => fleet::retire_agent, "agents", "Retire an agent and revoke its keys", 200, body: None, resp: "Agent";
    post "/agents/{id}/heartbeat" => fleet::heartbeat, "agents", "Report host metadata (the agent's own key only; the source address is stored as observed_ip)", 200, body: Some("AgentMetadata"), resp: "Agent";
    get "/agents/{id}/work" => agent::work, "agents", "Jobs for this agent: CSRs to send, deployments to run (the agent's own key only; none while Pending)", 200, body: None, resp: "Page<WorkItem>";
    post "/agents/{id}/csr" => agent::csr, "agents", "Submit a CSR for an AwaitingCSR job (the agent's own key only)", 200, body: Some("CsrSubmission"), resp: "Job";
    post "/agents/{id}/jobs/{job_id}/status" => agent::report, "agents", "Report the outcome of a deployment (Completed/Failed) or that an HTTP-01 token is served (Ready) (the agent's own key only)", 200, body: Some("JobReport"), resp: "Job";

    get "/bootstrap-tokens" => fleet::list_bootstrap_tokens, "bootstrap-tokens", "List agent bootstrap tokens (admin; secrets never shown)", 200, body: None, resp: "Page<BootstrapToken>";
    post "/bootstrap-tokens" => fleet::create_bootstrap_token, "bootstrap-tokens", "Create an agent bootstrap token (admin; the secret is shown once)", 201, body: Some("BootstrapTokenInput"), resp: "BootstrapTokenCreated";
    get "/bootstrap-tokens/{id}" => fleet::get_bootstrap_token, "bootstrap-tokens", "Get a bootstrap token (admin)", 200, body: None, resp: "BootstrapToken";
    post "/bootstrap-tokens/{id}/revoke" => fleet::revoke_bootstrap_token, "bootstrap-tokens", "Revoke a bootstrap token (admin): it registers no more agents", 200, body: None, resp: "BootstrapToken";

    get "/agent-groups" => fleet::list_groups, "agent-groups", "List agent groups", 200, body: None, resp: "Page<AgentGroup>";
    post "/agent-groups/preview" => fleet::preview_group, "agent-groups", "The agents some criteria would select now, without saving a group", 200, body: Some("GroupPreviewInput"), resp: "Page<Agent>";
    post "/agent-groups" => fleet::create_group, "agent-groups", "Create an agent group", 201, body: Some("GroupInput"), resp: "AgentGroup";
    get "/agent-groups/{id}" => fleet::get_group, "agent-groups", "Get an agent group", 200, body: None, resp: "AgentGroup";
    get "/agent-groups/{id}/members" => fleet::group_members, "agent-groups", "The group's members now (criteria evaluated live)", 200, body: None, resp: "Page<Agent>";
    put "/agent-groups/{id}" => fleet::update_group, "agent-groups", "Update an agent group", 200, body: Some("GroupInput"), resp: "AgentGroup";
    delete "/agent-groups/{id}" => fleet::delete_group, "agent-groups", "Delete an agent group", 204, body: None, resp: "empty";

    get "/jobs" => jobs::list, "jobs", "List jobs, newest first", 200, body: None, resp: "Page<Job>";
    get "/jobs/{id}" => jobs::get, "jobs", "Get a job", 200, body: None, resp: "Job";
    post "/jobs/{id}/cancel" => jobs::cancel, "jobs", "Cancel a job", 200, body: None, resp: "Job";
    post "/jobs/{id}/retry" => jobs::retry, "jobs", "Retry a failed or cancelled job", 200, body: None, resp: "Job";

    get "/policies" => records::list_policies, "policies", "List policy rules", 200, body: None, resp: "Page<PolicyRule>";
    post "/policies" => records::create_policy, "policies", "Create a policy rule", 201, body: Some("PolicyInput"), resp: "PolicyRule";
    post "/policies/evaluate" => records::evaluate_policies, "policies", "Explain: evaluate a certificate or a draft (and ?with= a draft rule) without changing anything", 200, body: Some("EvaluateInput"), resp: "Evaluation";
    get "/policies/{id}" => records::get_policy, "policies", "Get a policy rule", 200, body: None, resp: "PolicyRule";
    put "/policies/{id}" => records::update_policy, "policies", "Update a policy rule", 200, body: Some("PolicyInput"), resp: "PolicyRule";
    delete "/policies/{id}" => records::delete_policy, "policies", "Delete a policy rule", 204, body: None, resp: "empty";
    get "/policies/{id}/violations" => records::policy_violations, "policies", "Violations of a rule", 200, body: None, resp: "Page<PolicyViolation>";

    get "/teams" => org::list_teams, "teams", "List teams", 200, body: None, resp: "Page<Team>";
    post "/teams" => org::create_team, "teams", "Create a team", 201, body: Some("TeamInput"), resp: "Team";
    get "/teams/{id}" => org::get_team, "teams", "Get a team", 200, body: None, resp: "Team";
    put "/teams/{id}" => org::update_team, "teams", "Update a team", 200, body: Some("TeamInput"), resp: "Team";
    delete "/teams/{id}" => org::delete_team, "teams", "Delete a team", 204, body: None, resp: "empty";

    get "/owners" => org::list_owners, "owners", "List owners", 200, body: None, resp: "Page<Owner>";
    post "/owners" => org::create_owner, "owners", "Create an owner", 201, body: Some("OwnerInput"), resp: "Owner";
    get "/owners/{id}" => org::get_owner, "owners", "Get an owner", 200, body: None, resp: "Owner";
    put "/owners/{id}" => org::update_owner, "owners", "Update an owner", 200, body: Some("OwnerInput"), resp: "Owner";
    delete "/owners/{id}" => org::delete_owner, "owners", "Delete an owner", 204, body: None, resp: "empty";

    get "/renewal-policies" => org::list_renewal_policies, "renewal-policies", "List renewal policies", 200, body: None, resp: "Page<RenewalPolicy>";
    post "/renewal-policies" => org::create_renewal_policy, "renewal-policies", "Create a renewal policy", 201, body: Some("RenewalPolicyInput"), resp: "RenewalPolicy";
    get "/renewal-policies/{id}" => org::get_renewal_policy, "renewal-policies", "Get a renewal policy", 200, body: None, resp: "RenewalPolicy";
    put "/renewal-policies/{id}" => org::update_renewal_policy, "renewal-policies", "Update a renewal policy", 200, body: Some("RenewalPolicyInput"), resp: "RenewalPolicy";
    delete "/renewal-policies/{id}" => org::delete_renewal_policy, "renewal-policies", "Delete a renewal policy", 204, body: None, resp: "empty";

    get "/audit" => records::list_audit, "audit", "List audit events, newest first", 200, body: None, resp: "Page<AuditEvent>";
    get "/audit/verify" => records::verify_audit, "audit", "Verify the audit hash chain", 200, body: None, resp: "ChainReport";
    get "/audit/{id}" => records::get_audit, "audit", "Get an audit event", 200, body: None, resp: "AuditEvent";

    get "/notifications" => records::list_notifications, "notifications", "List notifications", 200, body: None, resp: "Page<Notification>";
    get "/notifications/{id}" => records::get_notification, "notifications", "Get a notification", 200, body: None, resp: "Notification";
    post "/notifications/{id}/read" => records::read_notification, "notifications", "Mark a notification as read", 200, body: None, resp: "Notification";
    post "/notifications/{id}/requeue" => channels::requeue, "notifications", "Send the notification's dead deliveries again", 200, body: None, resp: "Notification";

    get "/notification-channels" => channels::list, "notification-channels", "List notification channels (secrets never shown)", 200, body: None, resp: "Page<NotificationChannel>";
    post "/notification-channels" => channels::create, "notification-channels", "Create a notification channel (email, webhook, slack, teams)", 201, body: Some("ChannelInput"), resp: "NotificationChannel";
    get "/notification-channels/{id}" => channels::get, "notification-channels", "Get a notification channel", 200, body: None, resp: "NotificationChannel";
    put "/notification-channels/{id}" => channels::update, "notification-channels", "Update a notification channel (omitted secrets are kept)", 200, body: Some("ChannelInput"), resp: "NotificationChannel";
    delete "/notification-channels/{id}" => channels::delete, "notification-channels", "Delete a notification channel", 204, body: None, resp: "empty";
    post "/notification-channels/{id}/test" => channels::test, "notification-channels", "Send a test message through the channel", 200, body: None, resp: "TestResult";

    get "/api-keys" => fleet::list_api_keys, "api-keys", "List API keys (admin)", 200, body: None, resp: "Page<ApiKey>";
    post "/api-keys" => fleet::create_api_key, "api-keys", "Create an API key (admin; the secret is shown once)", 201, body: Some("ApiKeyInput"), resp: "ApiKeyCreated";
    get "/api-keys/{id}" => fleet::get_api_key, "api-keys", "Get an API key (admin)", 200, body: None, resp: "ApiKey";
    delete "/api-keys/{id}" => fleet::revoke_api_key, "api-keys", "Revoke an API key (admin)", 204, body: None, resp: "empty";

    get "/summary" => system::summary, "system", "Certificates, agents and jobs at a glance", 200, body: None, resp: "Summary";
    get "/whoami" => system::whoami, "system", "The presented key's name, role and what it allows", 200, body: None, resp: "Whoami";
    get "/events" => events::stream, "events", "Server-Sent Events: audit events as they are committed (event: audit, id: seq, data: AuditEvent), filtered to the caller's role; resumes after Last-Event-ID", 200, body: None, resp: "sse";
}

/// `/api/v1` routes plus `/health` and `/ready`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .nest("/api/v1", v1_routes().fallback(no_route))
        .route("/health", axum::routing::get(system::health))
        .route("/ready", axum::routing::get(system::ready))
        .route("/.well-known/acme-challenge/{token}", axum::routing::get(acme::http01))
        .route("/api/v1/openapi.json", axum::routing::get(system::openapi))
        .fallback(top_fallback)
        .method_not_allowed_fallback(|| async { crate::error::ApiError::MethodNotAllowed })
}

/// Outside `/api/v1`: the dashboard (GET), else the API's 404.
async fn top_fallback(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    match crate::web::serve(&method, &uri) {
        Some(r) => r,
        None => no_route(uri).await.into_response(),
    }
}

async fn no_route(uri: axum::http::Uri) -> crate::error::ApiError {
    crate::error::ApiError::NoRoute(uri.path().to_owned())
}

/// 201 with a JSON body.
pub(crate) fn created<T: Serialize>(v: T) -> impl IntoResponse {
    (StatusCode::CREATED, axum::Json(v))
}

/// A whole list in the list envelope (one page holding everything).
pub(crate) fn list_of<T>(data: Vec<T>) -> certctl::model::Page<T> {
    let n = data.len();
    certctl::model::Page { data, total: n as i64, page: 1, per_page: n as u32 }
}
