//! `/jobs`: list, inspect, cancel, retry.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use certctl::model::*;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{OptionalJson, Params, Reader, Writer};

pub async fn list(State(s): State<AppState>, _: Reader, q: Params) -> ApiResult<impl IntoResponse> {
    let filter = JobFilter {
        status: q.parse("status")?,
        job_type: q.parse("type")?,
        certificate_id: q.str("certificate_id").map(CertificateId::from_trusted),
        agent_id: q.str("agent_id").map(AgentId::from_trusted),
    };
    Ok(axum::Json(s.svc.store().list_jobs(&filter, q.page()?).await?))
}
pub async fn get(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().get_job(&id.as_str().into()).await?))
}
pub async fn cancel(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.cancel_job(&a, &id.as_str().into()).await?))
}
pub async fn retry(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.retry_job(&a, &id.as_str().into()).await?))
}
