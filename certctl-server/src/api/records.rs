//! `/audit`, `/notifications` and `/policies`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use certctl::api::PolicyInput;
use certctl::model::*;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Json, OptionalJson, Params, Reader, Writer};

pub async fn list_audit(
    State(s): State<AppState>,
    Reader(actor): Reader,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    let filter = AuditFilter {
        actor: q.str("actor"),
        action: q.str("action"),
        resource_type: q.str("resource_type"),
        resource_id: q.str("resource_id"),
        since: q.time("since")?,
        until: q.time("until")?,
        exclude_resource_types: Vec::new(),
    };
    Ok(axum::Json(s.svc.list_audit(&actor, &filter, q.page()?).await?))
}
pub async fn get_audit(
    State(s): State<AppState>,
    Reader(actor): Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_audit(&actor, &id.as_str().into()).await?))
}
pub async fn verify_audit(State(s): State<AppState>, _: Reader) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.verify_audit(&[]).await?))
}

pub async fn list_notifications(
    State(s): State<AppState>,
    _: Reader,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    let filter = NotificationFilter {
        // `?status=dead` as well as `Dead`
        status: q
            .str("status")
            .map(|v| {
                NotificationStatus::ALL.iter().copied().find(|st| st.as_str().eq_ignore_ascii_case(&v)).ok_or_else(|| {
                    crate::error::ApiError::BadRequest(format!("query parameter status: {v:?} is not one of Pending, Sent, Failed, Dead"))
                })
            })
            .transpose()?,
        certificate_id: q.str("certificate_id").map(CertificateId::from_trusted),
        unread: q.flag("unread")?,
    };
    Ok(axum::Json(s.svc.list_notifications(&filter, q.page()?).await?))
}
pub async fn get_notification(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_notification(&id.as_str().into()).await?))
}
pub async fn read_notification(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.mark_notification_read(&a, &id.as_str().into()).await?))
}

pub async fn list_policies(
    State(s): State<AppState>,
    _: Reader,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().list_policies(q.page()?).await?))
}
pub async fn evaluate_policies(
    State(s): State<AppState>,
    _: Reader,
    q: Params,
    Json(mut input): Json<certctl::service::EvaluateInput>,
) -> ApiResult<impl IntoResponse> {
    if let Some(with) = q.str("with") {
        input.with = Some(serde_json::from_str(&with).map_err(|e| {
            crate::error::ApiError::BadRequest(format!(
                "query parameter with: not a policy rule: {e}"
            ))
        })?);
    }
    Ok(axum::Json(s.svc.evaluate_policies(&input).await?))
}
pub async fn get_policy(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().get_policy(&id.as_str().into()).await?))
}
pub async fn create_policy(
    State(s): State<AppState>,
    Writer(a): Writer,
    Json(i): Json<PolicyInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_policy(&a, &i).await?))
}
pub async fn update_policy(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    Json(i): Json<PolicyInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_policy(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete_policy(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_policy(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
pub async fn policy_violations(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<impl IntoResponse> {
    let id = PolicyId::from(id.as_str());
    s.svc.store().get_policy(&id).await?;
    let filter =
        ViolationFilter { policy_id: Some(id), certificate_id: None, open_only: q.flag("open")? };
    Ok(axum::Json(s.svc.store().list_violations(&filter, q.page()?).await?))
}
