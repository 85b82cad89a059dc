//! `GET /.well-known/acme-challenge/{token}`: HTTP-01 answers of ACME issuers in `http01_mode:
//! server` (no authentication: the CA asks, and the key authorization is public by design).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub async fn http01(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match s.svc.acme_http01_response(&token).await {
        Ok(Some(ka)) => ([(header::CONTENT_TYPE, "text/plain")], ka).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such ACME challenge token\n").into_response(),
        Err(e) => {
            tracing::error!("answering an HTTP-01 challenge: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "try again\n").into_response()
        }
    }
}
