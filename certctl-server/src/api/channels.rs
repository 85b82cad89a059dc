//! `/notification-channels` (secrets are write-only: responses show `<key>_set`) and
//! `/notifications/{id}/requeue`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use certctl::api::ChannelInput;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Json, OptionalJson, Params, Reader, Writer};

pub async fn list(State(s): State<AppState>, _: Reader, q: Params) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().list_channels(q.page()?).await?))
}
pub async fn get(
    State(s): State<AppState>,
    _: Reader,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.store().get_channel(&id.as_str().into()).await?))
}
pub async fn create(
    State(s): State<AppState>,
    Writer(a): Writer,
    Json(i): Json<ChannelInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.svc.create_channel(&a, &i).await?))
}
pub async fn update(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    Json(i): Json<ChannelInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.update_channel(&a, &id.as_str().into(), &i).await?))
}
pub async fn delete(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    s.svc.delete_channel(&a, &id.as_str().into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
pub async fn test(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.test_channel(&a, &id.as_str().into()).await?))
}
pub async fn requeue(
    State(s): State<AppState>,
    Writer(a): Writer,
    Path(id): Path<String>,
    _: OptionalJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.requeue_notification(&a, &id.as_str().into()).await?))
}
