//! `/health`, `/ready` and the one-screen summary.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Caller;

/// The process is up.
pub async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// The database answers and every migration is applied.
pub async fn ready(State(s): State<AppState>) -> impl IntoResponse {
    let r = s.svc.readiness(s.auth_disabled).await;
    let status = if r.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(r))
}

/// Certificates by status, expiring soon, agents by status, failed jobs.
pub async fn summary(State(s): State<AppState>, Caller(a): Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.summary(&a).await?))
}

/// Who the presented key is and what its role allows (any authenticated caller).
pub async fn whoami(Caller(a): Caller) -> impl IntoResponse {
    axum::Json(a.whoami())
}

/// The OpenAPI 3.1 document of this API (public: it describes, it does not reveal).
pub async fn openapi() -> impl IntoResponse {
    axum::Json(super::openapi::document())
}
