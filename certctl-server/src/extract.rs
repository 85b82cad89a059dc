//! Extractors: the authenticated caller (authentication only: what it may do is checked by the
//! service), JSON bodies whose rejections are API errors, optional action bodies, and query
//! parameters decoded into the API's query structs.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use certctl::service::Actor;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The authenticated caller (any role); the service checks what it may do.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let bearer = parts.headers.get(header::AUTHORIZATION).map(|h| {
            h.to_str()
                .ok()
                .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    certctl::Error::Unauthenticated(
                        "the Authorization header must be \"Bearer <api key>\"".into(),
                    )
                })
        });
        let actor = if state.auth_disabled {
            // `--auth none`: everyone is admin, but an agent still acts with its own key (the
            // agent endpoints take nothing else)
            match bearer {
                Some(Ok(token)) => {
                    state.svc.authenticate(token).await.unwrap_or_else(|_| Actor::anonymous_admin())
                }
                _ => Actor::anonymous_admin(),
            }
        } else {
            let token = bearer.ok_or_else(|| {
                certctl::Error::Unauthenticated("missing Authorization: Bearer <api key>".into())
            })??;
            state.svc.authenticate(token).await?
        };
        parts.extensions.insert(Caller(actor.clone()));
        Ok(Caller(actor))
    }
}

/// The address the request came from (the TCP peer), when the server knows it.
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// A JSON body; malformed JSON is a 400, a body of the wrong shape a 422, a body over the limit
/// a 413, a body that is not JSON a 415.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(r) => Err(json_rejection(r)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::BadRequest(format!("malformed JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => ApiError::Unprocessable(e.body_text()),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::TooLarge("request body is larger than the limit".into())
        }
        other => ApiError::BadRequest(other.body_text()),
    }
}

/// An action body that may be empty (no Content-Type needed): empty means `T::default()`.
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge("request body is larger than the limit".into())
            } else {
                ApiError::BadRequest(e.body_text())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match T::deserialize(de) {
            Ok(v) => Ok(OptionalJson(v)),
            Err(e) if e.is_data() => Err(ApiError::Unprocessable(e.to_string())),
            Err(e) => Err(ApiError::BadRequest(format!("malformed JSON: {e}"))),
        }
    }
}

/// Query parameters decoded into one of the [`certctl::api::query`] structs (the format the
/// client encodes); a bad value is a 400 naming the parameter.
#[derive(Debug, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        certctl::api::query::decode(parts.uri.query().unwrap_or(""))
            .map(Query)
            .map_err(ApiError::BadRequest)
    }
}
