//! `/issuers` and `/targets`.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use certctl::api::{ConnectorInput, PageQuery, TargetQuery};

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, Json, OptionalJson, Query};

pub async fn list_issuers(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_issuers(&a, &q).await?))
}
pub async fn get_issuer(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_issuer(&a, &id.as_str().into()).await?))
}
pub async fn create_issuer(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<ConnectorInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_issuer(&a, &i).await?))
}
pub async fn update_issuer(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<ConnectorInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_issuer(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_issuer(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_issuer(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
pub async fn test_issuer(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.test_issuer(&a, &id.as_str().into()).await?))
}
pub async fn issuer_ca(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let pem = s.svc.issuer_ca_pem(&a, &id.as_str().into()).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem))
}

pub async fn list_targets(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<TargetQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_targets(&a, &q).await?))
}
pub async fn get_target(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_target(&a, &id.as_str().into()).await?))
}
pub async fn create_target(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<ConnectorInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_target(&a, &i).await?))
}
pub async fn update_target(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<ConnectorInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_target(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_target(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_target(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
