//! DNS-01 through an operator's hook command (certbot/acme.sh manual-hook convention):
//! `<argv...> add|remove <record-fqdn> <txt-value>`, the same in `CERTCTL_ACME_DNS_*` env vars.

use std::time::Duration;

use crate::error::{Error, Result};

/// Longest a hook may run.
const HOOK_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest stderr kept in an error.
const MAX_STDERR: usize = 2000;

/// The TXT record name of an identifier (a wildcard shares its apex's), without trailing dot.
pub fn record_name(identifier: &str) -> String {
    let base = identifier.strip_prefix("*.").unwrap_or(identifier).trim_end_matches('.');
    format!("_acme-challenge.{base}")
}

/// Runs the hook: `argv... action name value`. Non-zero exit is an error carrying its stderr.
pub async fn run_hook(argv: &[String], action: &str, name: &str, value: &str) -> Result<()> {
    let (prog, args) = argv.split_first().ok_or_else(|| Error::invalid("config.dns_hook_command", "is empty"))?;
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .args([action, name, value])
        .env("CERTCTL_ACME_DNS_ACTION", action)
        .env("CERTCTL_ACME_DNS_NAME", name)
        .env("CERTCTL_ACME_DNS_VALUE", value)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| Error::Connector { message: format!("dns hook {prog:?} {action} {name}: cannot start: {e}"), transient: false })?;
    let out = tokio::time::timeout(HOOK_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| Error::Connector { message: format!("dns hook {prog:?} {action} {name}: timed out after {}s", HOOK_TIMEOUT.as_secs()), transient: true })?
        .map_err(|e| Error::Connector { message: format!("dns hook {prog:?} {action} {name}: {e}"), transient: false })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr: String = String::from_utf8_lossy(&out.stderr).trim().chars().take(MAX_STDERR).collect();
    Err(Error::Connector { message: format!("dns hook {prog:?} {action} {name} failed ({}): {stderr}", out.status), transient: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_names() {
        assert_eq!(record_name("example.com"), "_acme-challenge.example.com");
        assert_eq!(record_name("*.example.com"), "_acme-challenge.example.com");
        assert_eq!(record_name("a.example.com."), "_acme-challenge.a.example.com");
    }

    #[tokio::test]
    async fn hook_args_env_and_failure() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let script = format!("echo \"$1 $2 $3 $CERTCTL_ACME_DNS_ACTION $CERTCTL_ACME_DNS_NAME $CERTCTL_ACME_DNS_VALUE\" >> {}; [ \"$1\" = add ] || {{ echo nope >&2; exit 3; }}", log.display());
        let argv = vec!["/bin/sh".to_owned(), "-c".to_owned(), script, "hook".to_owned()];
        run_hook(&argv, "add", "_acme-challenge.x.test", "val").await.unwrap();
        let e = run_hook(&argv, "remove", "_acme-challenge.x.test", "val").await.unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("remove"), "{e}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with("add _acme-challenge.x.test val add _acme-challenge.x.test val\n"), "{text}");
    }
}
