//! Extractors: the authenticated caller, JSON bodies whose rejections are API errors, optional
//! action bodies, and query parameters with typed getters.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use certctl::service::{Access, Actor};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The authenticated caller (any role).
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

macro_rules! access_extractor {
    ($(#[$doc:meta])* $name:ident => $access:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Actor);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
                let Caller(actor) = Caller::from_request_parts(parts, state).await?;
                actor.require(&$access)?;
                Ok($name(actor))
            }
        }
    };
}

access_extractor!(
    /// A caller allowed to read (viewer and up).
    Reader => Access::Read
);
access_extractor!(
    /// A caller allowed to change things (operator and up).
    Writer => Access::Write
);
access_extractor!(
    /// An admin.
    Admin => Access::Admin
);
access_extractor!(
    /// A caller allowed to register agents (operator, admin or the bootstrap token).
    Registrar => Access::RegisterAgent
);

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

/// Query parameters, keeping repeated keys (`tag=a:1&tag=b:2`).
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        Ok(Params(form_urlencoded::parse(q.as_bytes()).into_owned().collect()))
    }
}

impl Params {
    /// The last non-empty value of `name`.
    pub fn str(&self, name: &str) -> Option<String> {
        self.0.iter().rev().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone())
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone()).collect()
    }

    /// `name` parsed; a bad value is a 400 naming the parameter.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        self.str(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| ApiError::BadRequest(format!("query parameter {name}: {e}")))
            })
            .transpose()
    }

    /// A timestamp parameter (RFC 3339).
    pub fn time(&self, name: &str) -> Result<Option<certctl::model::Timestamp>, ApiError> {
        self.str(name)
            .map(|v| {
                certctl::model::Timestamp::parse(&v)
                    .map_err(|e| ApiError::BadRequest(format!("query parameter {name}: {e}")))
            })
            .transpose()
    }

    /// A boolean flag (`true`/`false`/`1`/`0`).
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.str(name).as_deref() {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(v) => Err(ApiError::BadRequest(format!(
                "query parameter {name}: {v:?} is not true or false"
            ))),
        }
    }

    /// `page` and `per_page` (per_page capped at the maximum).
    pub fn page(&self) -> Result<certctl::model::PageRequest, ApiError> {
        let page = self.parse::<u32>("page")?.unwrap_or(1);
        let per_page = self.parse::<u32>("per_page")?.unwrap_or(certctl::model::DEFAULT_PER_PAGE);
        Ok(certctl::model::PageRequest::new(page, per_page))
    }
}
