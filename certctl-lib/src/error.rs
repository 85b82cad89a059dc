//! The library's error type: typed, non-exhaustive, one variant per kind of failure a caller handles.

use std::fmt;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A referenced resource does not exist.
    #[error("{resource} {id} not found")]
    NotFound {
        /// Kind of resource (`certificate`, `agent`, ...).
        resource: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// The change conflicts with existing state (duplicate id, illegal transition, ...).
    #[error("{0}")]
    Conflict(String),
    /// Input is well-formed but its content is invalid; names the offending field.
    #[error("{field}: {message}")]
    Invalid {
        /// JSON field name (dotted for nested fields).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Policy rules in `enforce` mode refuse the change; one reason per failing rule.
    #[error("rejected by policy: {}", .0.join("; "))]
    PolicyRejected(Vec<String>),
    /// No valid credentials were presented.
    #[error("{0}")]
    Unauthenticated(String),
    /// The credentials are valid but do not allow this action.
    #[error("{0}")]
    Forbidden(String),
    /// A connector (CA, target, notifier) failed; `transient` failures are worth retrying.
    #[error("{message}")]
    Connector {
        /// What went wrong, with the remote side's own words when there are any.
        message: String,
        /// Retrying later may succeed (timeouts, rate limits, unreachable).
        transient: bool,
    },
    /// PEM, DER, CSR or certificate material could not be parsed or verified.
    #[error("{0}")]
    Pki(String),
    /// The storage backend failed (connection lost, disk full, ...); not caused by the input.
    #[error("storage error: {0}")]
    Storage(String),
    /// Filesystem access failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::Invalid { field: field.into(), message: message.to_string() }
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(resource: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound { resource, id: id.into() }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}
