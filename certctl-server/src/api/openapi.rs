//! The OpenAPI 3.1 document, built from [`ENDPOINTS`](super::ENDPOINTS) (the same table the
//! router is built from) and JSON schemas derived from the library's wire types.

use certctl::api::*;
use certctl::model::*;
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::{ENDPOINTS, Endpoint};

/// Query parameters of the list endpoints (the filters the handlers parse).
const LIST_PARAMS: &[(&str, &[&str])] = &[
    (
        "/certificates",
        &[
            "status",
            "environment",
            "owner_id",
            "team_id",
            "issuer_id",
            "renewal_policy_id",
            "expires_before",
            "expires_after",
            "q",
            "tag",
            "include_archived",
            "after",
            "parent_id",
            "agent_group_id",
            "sort",
        ],
    ),
    ("/agents", &["status", "os", "arch", "group_id"]),
    ("/jobs", &["status", "type", "certificate_id", "agent_id"]),
    ("/audit", &["actor", "action", "resource_type", "resource_id", "since", "until"]),
    ("/notifications", &["status", "certificate_id", "unread"]),
    ("/owners", &["team_id"]),
    ("/targets", &["agent_id"]),
    ("/policies/{id}/violations", &["open"]),
    ("/certificates/{id}/violations", &["open"]),
];

/// The `$ref` schema of a wire type named in the endpoint table; `None` for an unknown name.
pub fn schema_for(g: &mut SchemaGenerator, name: &str) -> Option<Value> {
    if let Some(inner) = name.strip_prefix("Page<").and_then(|n| n.strip_suffix('>')) {
        let item = schema_for(g, inner)?;
        return Some(json!({
            "type": "object",
            "required": ["data", "total", "page", "per_page"],
            "properties": {
                "data": {"type": "array", "items": item},
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
            }
        }));
    }
    let s = match name {
        "Certificate" => g.subschema_for::<Certificate>(),
        "CertificateVersion" => g.subschema_for::<CertificateVersion>(),
        "CertificateInput" => g.subschema_for::<CertificateInput>(),
        "CertificatePatch" => g.subschema_for::<CertificatePatch>(),
        "RevokeInput" => g.subschema_for::<RevokeInput>(),
        "Job" => g.subschema_for::<Job>(),
        "Issuer" => g.subschema_for::<Issuer>(),
        "Target" => g.subschema_for::<Target>(),
        "ConnectorInput" => g.subschema_for::<ConnectorInput>(),
        "TestResult" => g.subschema_for::<TestResult>(),
        "NotificationChannel" => g.subschema_for::<certctl::model::NotificationChannel>(),
        "ChannelInput" => g.subschema_for::<certctl::api::ChannelInput>(),
        "Agent" => g.subschema_for::<Agent>(),
        "AgentInput" => g.subschema_for::<AgentInput>(),
        "AgentUpdate" => g.subschema_for::<certctl::api::AgentUpdate>(),
        "BootstrapToken" => g.subschema_for::<certctl::model::BootstrapToken>(),
        "BootstrapTokenInput" => g.subschema_for::<certctl::api::BootstrapTokenInput>(),
        "BootstrapTokenCreated" => g.subschema_for::<certctl::api::BootstrapTokenCreated>(),
        "AgentRegistered" => g.subschema_for::<AgentRegistered>(),
        "AgentMetadata" => g.subschema_for::<AgentMetadata>(),
        "AgentGroup" => g.subschema_for::<AgentGroup>(),
        "GroupInput" => g.subschema_for::<GroupInput>(),
        "PolicyRule" => g.subschema_for::<PolicyRule>(),
        "PolicyInput" => g.subschema_for::<PolicyInput>(),
        "PolicyViolation" => g.subschema_for::<PolicyViolation>(),
        "Team" => g.subschema_for::<Team>(),
        "TeamInput" => g.subschema_for::<TeamInput>(),
        "Owner" => g.subschema_for::<Owner>(),
        "OwnerInput" => g.subschema_for::<OwnerInput>(),
        "RenewalPolicy" => g.subschema_for::<RenewalPolicy>(),
        "RenewalPolicyInput" => g.subschema_for::<RenewalPolicyInput>(),
        "AuditEvent" => g.subschema_for::<AuditEvent>(),
        "ChainReport" => g.subschema_for::<certctl::audit::ChainReport>(),
        "Notification" => g.subschema_for::<Notification>(),
        "ApiKey" => g.subschema_for::<ApiKey>(),
        "ApiKeyInput" => g.subschema_for::<ApiKeyInput>(),
        "ApiKeyCreated" => g.subschema_for::<ApiKeyCreated>(),
        "Summary" => g.subschema_for::<Summary>(),
        "Readiness" => g.subschema_for::<Readiness>(),
        "ErrorBody" => g.subschema_for::<ErrorBody>(),
        "WorkItem" => g.subschema_for::<WorkItem>(),
        "AgentView" => g.subschema_for::<AgentView>(),
        "EvaluateInput" => g.subschema_for::<certctl::service::EvaluateInput>(),
        "Evaluation" => g.subschema_for::<certctl::policy::Evaluation>(),
        "CsrSubmission" => g.subschema_for::<CsrSubmission>(),
        "JobReport" => g.subschema_for::<JobReport>(),
        "Whoami" => g.subschema_for::<Whoami>(),
        "GroupPreviewInput" => g.subschema_for::<GroupPreviewInput>(),
        _ => return None,
    };
    Some(s.to_value())
}

fn operation(g: &mut SchemaGenerator, e: &Endpoint) -> Value {
    let mut params: Vec<Value> = e
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if e.method == "get" {
        if let Some((_, names)) = LIST_PARAMS.iter().find(|(p, _)| *p == e.path) {
            params.extend(names.iter().map(|n| json!({"name": n, "in": "query", "required": false, "schema": {"type": "string"}})));
        }
        if e.response.starts_with("Page<") {
            for n in ["page", "per_page"] {
                params.push(json!({"name": n, "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1}}));
            }
        }
    }
    let ok = match e.response {
        "empty" => json!({"description": "done"}),
        "pem" => {
            json!({"description": "PEM text", "content": {"application/x-pem-file": {"schema": {"type": "string"}}}})
        }
        "sse" => {
            json!({"description": "an event stream; each `data:` line is one AuditEvent", "content": {"text/event-stream": {"schema": {"type": "string"}, "x-event-data": schema_for(g, "AuditEvent")}}})
        }
        name => {
            json!({"description": "success", "content": {"application/json": {"schema": schema_for(g, name).unwrap_or(Value::Null)}}})
        }
    };
    let error = json!({"description": "error", "content": {"application/json": {"schema": schema_for(g, "ErrorBody")}}});
    let mut op = json!({
        "operationId": e.handler.replace("::", "_"),
        "summary": e.summary,
        "tags": [e.tag],
        "parameters": params,
        "responses": {e.status.to_string(): ok, "4XX": error},
        "security": [{"bearer": []}],
    });
    if let Some(body) = e.body {
        op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": schema_for(g, body)}}});
    }
    op
}

/// The whole document.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut g = settings.into_generator();
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let op = operation(&mut g, e);
        let entry = paths.entry(format!("/api/v1{}", e.path)).or_insert_with(|| json!({}));
        entry[e.method] = op;
    }
    for (path, summary, schema) in [
        ("/health", "The process is up", None),
        ("/ready", "The database answers and migrations are applied", Some("Readiness")),
    ] {
        let content = schema
            .map(|n| json!({"application/json": {"schema": schema_for(&mut g, n)}}))
            .unwrap_or(json!({}));
        paths.insert(path.into(), json!({"get": {"operationId": path.trim_start_matches('/'), "summary": summary, "tags": ["system"], "security": [], "responses": {"200": {"description": "ok", "content": content}}}}));
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "certctl API", "version": env!("CARGO_PKG_VERSION"), "description": "The certctl control plane: certificate inventory, lifecycle, fleet and audit."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": g.take_definitions(true),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key: Authorization: Bearer certctl_..."}},
        },
    })
}
