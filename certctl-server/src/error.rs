//! One error type for every handler: the library's errors and request-parsing failures, each
//! rendered as `{"error":{"code","message"}}` with a fitting status. Never a stack trace.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use certctl::Error;
use certctl::api::{ErrorBody, ErrorDetail};

/// A failed request.
#[derive(Debug)]
pub enum ApiError {
    /// From the library.
    Lib(Error),
    /// Malformed request (bad JSON syntax, bad query parameter).
    BadRequest(String),
    /// Valid JSON whose shape does not fit (missing or mistyped field).
    Unprocessable(String),
    /// Body over the limit.
    TooLarge(String),
    /// Body is not JSON.
    UnsupportedMediaType(String),
    /// No such route.
    NoRoute(String),
    /// Route exists, method does not.
    MethodNotAllowed,
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Lib(e)
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::Lib(e) => match e {
                Error::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found", e.to_string()),
                Error::Conflict(_) => (StatusCode::CONFLICT, "conflict", e.to_string()),
                Error::Invalid { .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", e.to_string())
                }
                Error::PolicyRejected(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "policy_rejected", e.to_string())
                }
                Error::Pki(_) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_certificate_material",
                    e.to_string(),
                ),
                Error::Unauthenticated(_) => {
                    (StatusCode::UNAUTHORIZED, "unauthenticated", e.to_string())
                }
                Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", e.to_string()),
                Error::Connector { transient: true, .. } => {
                    (StatusCode::SERVICE_UNAVAILABLE, "connector_unavailable", e.to_string())
                }
                Error::Connector { .. } => {
                    (StatusCode::BAD_GATEWAY, "connector_failed", e.to_string())
                }
                _ => {
                    tracing::error!(error = %e, "internal error");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "internal error; the server log has the details".into(),
                    )
                }
            },
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            ApiError::Unprocessable(m) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", m.clone())
            }
            ApiError::TooLarge(m) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", m.clone())
            }
            ApiError::UnsupportedMediaType(m) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", m.clone())
            }
            ApiError::NoRoute(p) => (StatusCode::NOT_FOUND, "not_found", format!("no route {p}")),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this route".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let mut resp =
            (status, axum::Json(ErrorBody { error: ErrorDetail { code: code.into(), message } }))
                .into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;
