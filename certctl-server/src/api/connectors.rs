//! `/issuers` and `/targets`.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use certctl::api::ConnectorInput;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Json, OptionalJson, Params, Reader, Writer};

pub async fn list_issuers(
    State(s): State<AppState>,
    _: Reader,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().list_issuers(q.page()?).await?))
}
pub async fn get_issuer(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().get_issuer(&id.as_str().into()).await?))
}
pub async fn create_issuer(
    State(s): State<AppState>,
    Writer(a): Writer,
    Json(i): Json<ConnectorInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_issuer(&a, &i).await?))
}
pub async fn update_issuer(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    Json(i): Json<ConnectorInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_issuer(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_issuer(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_issuer(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
pub async fn test_issuer(
    State(s): State<AppState>,
    _: Writer,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.test_issuer(&id.as_str().into()).await?))
}
pub async fn issuer_ca(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let pem = s.svc.issuer_ca_pem(&id.as_str().into()).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem))
}

pub async fn list_targets(
    State(s): State<AppState>,
    _: Reader,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    let agent = q.str("agent_id").map(certctl::model::AgentId::from_trusted);
    Ok(axum::Json(s.svc.store().list_targets(agent.as_ref(), q.page()?).await?))
}
pub async fn get_target(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().get_target(&id.as_str().into()).await?))
}
pub async fn create_target(
    State(s): State<AppState>,
    Writer(a): Writer,
    Json(i): Json<ConnectorInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_target(&a, &i).await?))
}
pub async fn update_target(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    Json(i): Json<ConnectorInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_target(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_target(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_target(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
