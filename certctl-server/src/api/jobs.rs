//! `/jobs`: list, inspect, cancel, retry.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use certctl::api::JobQuery;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, OptionalJson, Query};

pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<JobQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_jobs(&a, &q).await?))
}
pub async fn get(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_job(&a, &id.as_str().into()).await?))
}
pub async fn cancel(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.cancel_job(&a, &id.as_str().into()).await?))
}
pub async fn retry(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.retry_job(&a, &id.as_str().into()).await?))
}
