//! `/audit`, `/notifications` and `/policies`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use certctl::api::{
    AuditQuery, EvaluateQuery, NotificationQuery, PageQuery, PolicyInput, ViolationQuery,
};

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, Json, OptionalJson, Query};

pub async fn list_audit(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_audit(&a, &q).await?))
}
pub async fn get_audit(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_audit(&a, &id.as_str().into()).await?))
}
pub async fn verify_audit(
    State(s): State<AppState>,
    Caller(a): Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.verify_audit(&a, &[]).await?))
}

pub async fn list_notifications(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_notifications(&a, &q).await?))
}
pub async fn get_notification(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_notification(&a, &id.as_str().into()).await?))
}
pub async fn read_notification(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.mark_notification_read(&a, &id.as_str().into()).await?))
}

pub async fn list_policies(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_policies(&a, &q).await?))
}
pub async fn evaluate_policies(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<EvaluateQuery>,
    Json(mut input): Json<certctl::service::EvaluateInput>,
) -> ApiResult<impl IntoResponse> {
    input.with = q.with.or(input.with);
    Ok(axum::Json(s.svc.evaluate_policies(&a, &input).await?))
}
pub async fn get_policy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_policy(&a, &id.as_str().into()).await?))
}
pub async fn create_policy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<PolicyInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_policy(&a, &i).await?))
}
pub async fn update_policy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<PolicyInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_policy(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_policy(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_policy(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
pub async fn policy_violations(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Query(q): Query<ViolationQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.policy_violations(&a, &id.as_str().into(), &q).await?))
}
