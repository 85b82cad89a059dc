//! `/agents` (registration, heartbeat, retirement), `/agent-groups` and `/api-keys`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use certctl::api::{
    AgentInput, AgentUpdate, ApiKeyInput, BootstrapTokenInput, GroupInput, GroupPreviewInput,
};
use certctl::model::*;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{
    Admin, Caller, Json, OptionalJson, Params, PeerIp, Reader, Registrar, Writer,
};

pub async fn list_agents(
    State(s): State<AppState>,
    _: Reader,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    let filter = AgentFilter {
        status: q.parse("status")?,
        os: q.str("os"),
        arch: q.str("arch"),
        group_id: q.str("group_id").map(GroupId::from_trusted),
        ids: None,
    };
    Ok(axum::Json(s.svc.list_agents(&filter, q.page()?).await?))
}
pub async fn get_agent(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.agent_view(&id.as_str().into()).await?))
}
pub async fn register_agent(
    State(s): State<AppState>,
    Registrar(a): Registrar,
    Json(i): Json<AgentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.register_agent(&a, &i).await?))
}
pub async fn retire_agent(
    State(s): State<AppState>,
    Writer(a): Writer,
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
    q: Params,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_bootstrap_tokens(&a, q.page()?).await?))
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
    _: Reader,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().list_groups(q.page()?).await?))
}
pub async fn get_group(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().get_group(&id.as_str().into()).await?))
}
pub async fn group_members(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    let filter = AgentFilter { group_id: Some(id.as_str().into()), ..Default::default() };
    Ok(axum::Json(s.svc.list_agents(&filter, q.page()?).await?))
}
/// The agents some criteria would select, without saving (readers may preview).
pub async fn preview_group(
    State(s): State<AppState>,
    _: Reader,
    q: Params,
    Json(i): Json<GroupPreviewInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.preview_group(&i.criteria, q.page()?).await?))
}
pub async fn create_group(
    State(s): State<AppState>,
    Writer(a): Writer,
    Json(i): Json<GroupInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_group(&a, &i).await?))
}
pub async fn update_group(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    Json(i): Json<GroupInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_group(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_group(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_group(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_api_keys(
    State(s): State<AppState>,
    _: Admin,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().list_api_keys(q.page()?).await?))
}
pub async fn get_api_key(
    State(s): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().get_api_key(&id.as_str().into()).await?))
}
pub async fn create_api_key(
    State(s): State<AppState>,
    Admin(a): Admin,
    Json(i): Json<ApiKeyInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_api_key(&a, &i).await?))
}
pub async fn revoke_api_key(
    State(s): State<AppState>,
    Admin(a): Admin,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.revoke_api_key(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
