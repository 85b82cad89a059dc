//! Exit codes (DESIGN §5) and error reporting on stderr, as text or as the API's error JSON.

use std::process::ExitCode;

use certctl::client::ClientError;
use serde_json::json;

/// 0 ok, 1 other failure, 2 usage, 3 not found, 4 unauthenticated or forbidden, 5 rejected
/// (400, 409, 413, 422: validation or policy), 6 server unreachable, 7 a followed job failed.
pub const OTHER: u8 = 1;
pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const AUTH: u8 = 4;
pub const REJECTED: u8 = 5;
pub const UNREACHABLE: u8 = 6;
/// A job that `--wait` or `jobs watch` followed failed or was cancelled.
pub const JOB_FAILED: u8 = 7;

/// A failure the CLI detects itself, with its exit code and API-like error code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub exit: u8,
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    /// A value the server would reject (bad enum value, unreadable body): exit 5.
    pub fn rejected(message: impl Into<String>) -> anyhow::Error {
        Failure { exit: REJECTED, code: "validation_failed", message: message.into() }.into()
    }

    /// A usage error found after parsing (missing setting): exit 2.
    pub fn usage(message: impl Into<String>) -> anyhow::Error {
        Failure { exit: USAGE, code: "usage", message: message.into() }.into()
    }

    /// A job or check that ended badly: exit 1.
    pub fn failed(code: &'static str, message: impl Into<String>) -> anyhow::Error {
        Failure { exit: OTHER, code, message: message.into() }.into()
    }
}

/// The exit code and `(code, message)` of an error.
fn classify(e: &anyhow::Error) -> (u8, String, String) {
    for cause in e.chain() {
        if let Some(c) = cause.downcast_ref::<ClientError>() {
            let exit = match c {
                ClientError::Api { status: 404, .. } => NOT_FOUND,
                ClientError::Api { status: 401 | 403, .. } => AUTH,
                ClientError::Api { status: 400 | 409 | 413 | 422, .. } => REJECTED,
                ClientError::Unreachable(_) | ClientError::Timeout => UNREACHABLE,
                ClientError::InvalidUrl(_) => USAGE,
                _ => OTHER,
            };
            let (code, message) = match c {
                ClientError::Api { code, message, .. } => (code.clone(), message.clone()),
                ClientError::Unreachable(_) => ("unreachable".into(), format!("{e:#}")),
                ClientError::Timeout => ("timeout".into(), format!("{e:#}")),
                ClientError::InvalidUrl(_) => ("usage".into(), format!("{e:#}")),
                _ => ("client_error".into(), format!("{e:#}")),
            };
            return (exit, code, message);
        }
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return (f.exit, f.code.to_owned(), format!("{e:#}"));
        }
    }
    (OTHER, "error".into(), format!("{e:#}"))
}

/// Every reason of a rejection, one per item (`rejected by policy: a: x; b: y` → two).
pub fn reasons(message: &str) -> Vec<String> {
    match message.strip_prefix("rejected by policy: ") {
        Some(rest) => rest.split("; ").map(|r| format!("rejected by policy: {r}")).collect(),
        None => vec![message.to_owned()],
    }
}

/// Prints the error on stderr and returns its exit code.
pub fn report(e: &anyhow::Error, json: bool) -> ExitCode {
    // A reader that stopped early (`certctl ... | head`) is not a failure worth a message.
    if e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    let (exit, code, message) = classify(e);
    if json {
        let mut detail = json!({"code": code, "message": message});
        if exit == REJECTED {
            detail["reasons"] = json!(reasons(&message));
        }
        eprintln!("{}", json!({ "error": detail }));
    } else {
        for line in reasons(&message) {
            // the message may quote what a user stored: control characters shown, not sent
            eprintln!("error: {}", certctl::text::visible(&line));
        }
    }
    ExitCode::from(exit)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let api = |status| {
            anyhow::Error::new(ClientError::Api { status, code: "x".into(), message: "m".into() })
        };
        assert_eq!(classify(&api(404)).0, NOT_FOUND);
        assert_eq!(classify(&api(401)).0, AUTH);
        assert_eq!(classify(&api(403)).0, AUTH);
        assert_eq!(classify(&api(422)).0, REJECTED);
        assert_eq!(classify(&api(409)).0, REJECTED);
        assert_eq!(classify(&api(500)).0, OTHER);
        assert_eq!(classify(&ClientError::Unreachable("refused".into()).into()).0, UNREACHABLE);
        assert_eq!(classify(&api(404).context("getting mc-x")).0, NOT_FOUND);
        assert_eq!(classify(&Failure::rejected("bad")).0, REJECTED);
        assert_eq!(classify(&anyhow::anyhow!("x")).0, OTHER);
    }

    #[test]
    fn every_policy_reason() {
        assert_eq!(
            reasons("rejected by policy: a: x; b: y"),
            ["rejected by policy: a: x", "rejected by policy: b: y"]
        );
        assert_eq!(reasons("common_name: bad"), ["common_name: bad"]);
    }
}
