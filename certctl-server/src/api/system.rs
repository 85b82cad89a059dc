//! `/health`, `/ready` and the one-screen summary.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use certctl::api::{Readiness, Whoami};
use certctl::service::KeygenMode;

use crate::error::ApiResult;
use certctl::service::Access;

use crate::AppState;
use crate::extract::{Caller, Reader};

/// The process is up.
pub async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// The database answers and every migration is applied.
pub async fn ready(State(s): State<AppState>) -> impl IntoResponse {
    let mut warnings = Vec::new();
    if s.svc.config().keygen_mode == KeygenMode::Server {
        warnings.push(
            "server keygen mode: private keys are generated on the control plane (demo only)"
                .to_owned(),
        );
    }
    if s.auth_disabled {
        warnings.push("authentication is disabled (--auth none)".to_owned());
    }
    let backend = s.svc.store().backend().to_owned();
    match s.svc.store().ready().await {
        Ok(()) => {
            (StatusCode::OK, axum::Json(Readiness { ready: true, database: backend, warnings }))
        }
        Err(e) => {
            warnings.push(e.to_string());
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(Readiness { ready: false, database: backend, warnings }),
            )
        }
    }
}

/// Certificates by status, expiring soon, agents by status, failed jobs.
pub async fn summary(State(s): State<AppState>, _: Reader) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(s.svc.summary().await?))
}

/// Who the presented key is and what its role allows (any authenticated caller).
pub async fn whoami(Caller(a): Caller) -> impl IntoResponse {
    axum::Json(Whoami {
        can_write: a.allows(&Access::Write),
        can_admin: a.allows(&Access::Admin),
        name: a.name,
        role: a.role,
        actor_type: a.kind,
    })
}

/// The OpenAPI 3.1 document of this API (public: it describes, it does not reveal).
pub async fn openapi() -> impl IntoResponse {
    axum::Json(super::openapi::document())
}
