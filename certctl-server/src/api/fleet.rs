//! `/agents` (registration, heartbeat, retirement), `/agent-groups` and `/api-keys`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use certctl::api::{
    AgentInput, AgentQuery, AgentUpdate, ApiKeyInput, BootstrapTokenInput, GroupInput,
    GroupPreviewInput, PageQuery,
};
use certctl::model::AgentMetadata;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, Json, OptionalJson, PeerIp, Query};

pub async fn list_agents(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<AgentQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_agents(&a, &q).await?))
}
pub async fn get_agent(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.agent_view(&a, &id.as_str().into()).await?))
}
pub async fn register_agent(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<AgentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.register_agent(&a, &i).await?))
}
pub async fn retire_agent(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.retire_agent(&a, &id.as_str().into()).await?))
}
pub async fn update_agent(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<AgentUpdate>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_agent(&a, &id.as_str().into(), &i).await?))
}
pub async fn approve_agent(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.approve_agent(&a, &id.as_str().into()).await?))
}
pub async fn heartbeat(
    State(s): State<AppState>,
    Caller(a): Caller,
    PeerIp(peer): PeerIp,
    Path(id): Path<String>,
    Json(meta): Json<AgentMetadata>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.heartbeat(&a, &id.as_str().into(), &meta, peer).await?))
}

pub async fn list_bootstrap_tokens(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_bootstrap_tokens(&a, &q).await?))
}
pub async fn get_bootstrap_token(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_bootstrap_token(&a, &id.as_str().into()).await?))
}
pub async fn create_bootstrap_token(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<BootstrapTokenInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_bootstrap_token(&a, &i).await?))
}
pub async fn revoke_bootstrap_token(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.revoke_bootstrap_token(&a, &id.as_str().into()).await?))
}

pub async fn list_groups(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_groups(&a, &q).await?))
}
pub async fn get_group(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_group(&a, &id.as_str().into()).await?))
}
pub async fn group_members(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_group_members(&a, &id.as_str().into(), &q).await?))
}
/// The agents some criteria would select, without saving (readers may preview).
pub async fn preview_group(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
    Json(i): Json<GroupPreviewInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.preview_group(&a, &i.criteria, &q).await?))
}
pub async fn create_group(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<GroupInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_group(&a, &i).await?))
}
pub async fn update_group(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<GroupInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_group(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_group(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_group(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_api_keys(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_api_keys(&a, &q).await?))
}
pub async fn get_api_key(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_api_key(&a, &id.as_str().into()).await?))
}
pub async fn create_api_key(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<ApiKeyInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_api_key(&a, &i).await?))
}
pub async fn revoke_api_key(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.revoke_api_key(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
