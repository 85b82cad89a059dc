//! `/notification-channels` (secrets are write-only: responses show `<key>_set`) and
//! `/notifications/{id}/requeue`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use certctl::api::{ChannelInput, PageQuery};

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Caller, Json, OptionalJson, Query};

pub async fn list(
    State(s): State<AppState>,
    Caller(a): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.list_channels(&a, &q).await?))
}
pub async fn get(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.get_channel(&a, &id.as_str().into()).await?))
}
pub async fn create(
    State(s): State<AppState>,
    Caller(a): Caller,
    Json(i): Json<ChannelInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_channel(&a, &i).await?))
}
pub async fn update(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    Json(i): Json<ChannelInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_channel(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_channel(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
pub async fn test(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.test_channel(&a, &id.as_str().into()).await?))
}
pub async fn requeue(
    State(s): State<AppState>,
    Caller(a): Caller,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.requeue_notification(&a, &id.as_str().into()).await?))
}
