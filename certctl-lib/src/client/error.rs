//! [`ClientError`]: what a call of the typed client can fail with, mapped from transport errors
//! and from the server's `{"error":{"code","message"}}` envelope.

use std::error::Error as StdError;

use crate::api::ErrorBody;

/// Result of every [`Client`](super::Client) call.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// Why a client call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with a non-success status; `code` and `message` come from its error
    /// body (`code` is `http_<status>` when the body was not the API's error envelope).
    #[error("{message} (HTTP {status}, {code})")]
    Api {
        /// HTTP status, e.g. 404.
        status: u16,
        /// Stable machine-readable code: `not_found`, `conflict`, `validation_failed`, ...
        code: String,
        /// Human-readable; names the offending field for validation errors.
        message: String,
    },
    /// The server could not be reached or the connection failed: DNS, refused connection, TLS
    /// handshake or certificate verification, connection reset.
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// The request did not complete within the configured timeout.
    #[error("the request timed out")]
    Timeout,
    /// A success response whose body is not what the API promises.
    #[error("unexpected response body: {0}")]
    Decode(String),
    /// The base URL is not an absolute `http://` or `https://` URL.
    #[error("invalid server URL: {0}")]
    InvalidUrl(String),
    /// The client could not be configured (unreadable CA file, API key not usable in a header,
    /// a filter the API cannot express, ...).
    #[error("client configuration: {0}")]
    Config(String),
}

impl ClientError {
    /// The HTTP status of an [`Api`](ClientError::Api) error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The API error code (`not_found`, `conflict`, ...) of an [`Api`](ClientError::Api) error.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The server answered 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The server answered 401 or 403.
    pub fn is_auth(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }

    /// The server was not reached at all (connect, DNS, TLS) — the CLI's exit code 6.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClientError::Unreachable(_))
    }

    /// Maps a reqwest error (no HTTP status involved) to a variant.
    pub(crate) fn from_transport(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            ClientError::Timeout
        } else if e.is_builder() {
            ClientError::Config(chain(&e))
        } else if e.is_decode() {
            ClientError::Decode(chain(&e))
        } else {
            ClientError::Unreachable(chain(&e))
        }
    }

    /// Builds an [`Api`](ClientError::Api) error from a non-success status and its body.
    pub(crate) fn from_status(status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(b) => ClientError::Api { status, code: b.error.code, message: b.error.message },
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let message = if text.is_empty() {
                    reqwest::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("unexpected status")
                        .to_owned()
                } else {
                    text.chars().take(500).collect()
                };
                ClientError::Api { status, code: format!("http_{status}"), message }
            }
        }
    }
}

/// The error and its sources, `": "`-separated (reqwest's own message alone says little).
fn chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_parsed_from_envelope() {
        let e = ClientError::from_status(
            404,
            br#"{"error":{"code":"not_found","message":"certificate mc-x not found"}}"#,
        );
        assert_eq!(
            e,
            ClientError::Api {
                status: 404,
                code: "not_found".into(),
                message: "certificate mc-x not found".into()
            }
        );
        assert!(e.is_not_found());
        assert_eq!(e.status(), Some(404));
        assert_eq!(e.code(), Some("not_found"));
        assert_eq!(e.to_string(), "certificate mc-x not found (HTTP 404, not_found)");
    }

    #[test]
    fn api_error_without_envelope() {
        let e = ClientError::from_status(502, b"");
        assert_eq!(
            e,
            ClientError::Api {
                status: 502,
                code: "http_502".into(),
                message: "Bad Gateway".into()
            }
        );
        let e = ClientError::from_status(500, b"  boom\n");
        assert_eq!(e.code(), Some("http_500"));
        assert!(e.to_string().starts_with("boom"));
        assert!(!e.is_not_found());
        assert_eq!(ClientError::Timeout.status(), None);
        assert!(ClientError::from_status(403, b"").is_auth());
    }
}
