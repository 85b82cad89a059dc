//! DNS-01 providers behind one small interface ([`DnsUpdater`]): a hook the server's owner
//! defined by name ([`super::hooks`]; certbot/acme.sh manual-hook convention: `<argv...>
//! add|remove <record-fqdn> <txt-value>`, the same in `CERTCTL_ACME_DNS_*` env vars, run with a
//! cleared environment) or RFC 2136 dynamic updates ([`super::rfc2136`]).

use std::time::{Duration, Instant};

use super::hooks::DnsHooks;
use super::rfc2136::{Rfc2136, Rfc2136Config};
use crate::error::{Error, Result};

/// Which provider sets the `_acme-challenge` TXT records (`dns_provider` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsProvider {
    /// `dns_hook`: the name of a hook defined in the server's config.
    Hook(String),
    /// `rfc2136_*`: TSIG-signed dynamic updates to a primary.
    Rfc2136(Rfc2136Config),
}

/// A provider ready to use (its secret unsealed).
#[derive(Debug, Clone)]
pub enum DnsUpdater {
    Hook(Vec<String>),
    Rfc2136(Rfc2136),
}

/// How often the rfc2136 provider asks the primary whether it serves the values yet.
const VISIBLE_POLL: Duration = Duration::from_millis(250);

impl DnsUpdater {
    /// The updater of `provider`: a hook name resolved in `hooks` (an unknown name is an error
    /// on `config.dns_hook`); `unseal` opens a sealed secret (the rfc2136 TSIG secret).
    pub fn new(
        provider: &DnsProvider,
        hooks: &DnsHooks,
        unseal: impl FnOnce(&str) -> Result<String>,
    ) -> Result<Self> {
        Ok(match provider {
            DnsProvider::Hook(name) => Self::Hook(hooks.resolve("config.dns_hook", name)?.to_vec()),
            DnsProvider::Rfc2136(c) => {
                let secret = match (&c.secret, &c.secret_sealed) {
                    (Some(s), _) => s.clone(),
                    (None, Some(sealed)) => unseal(sealed)?,
                    (None, None) => {
                        return Err(Error::invalid(
                            "config.rfc2136_tsig_secret",
                            "is required with dns_provider rfc2136",
                        ));
                    }
                };
                Self::Rfc2136(Rfc2136::new(c, &secret)?)
            }
        })
    }

    /// Adds the TXT value `value` to `name` (other values of the name stay).
    pub async fn add(&self, name: &str, value: &str) -> Result<()> {
        match self {
            Self::Hook(argv) => run_hook(argv, "add", name, value).await,
            Self::Rfc2136(u) => u.add(name, value).await,
        }
    }

    /// Removes exactly the TXT value `value` of `name`.
    pub async fn remove(&self, name: &str, value: &str) -> Result<()> {
        match self {
            Self::Hook(argv) => run_hook(argv, "remove", name, value).await,
            Self::Rfc2136(u) => u.remove(name, value).await,
        }
    }

    /// After the adds: waits `wait` (the configured propagation time). The rfc2136 provider also
    /// checks, within that time, that the primary serves every value of `records`, and fails
    /// (transient) when it does not; a primary that refuses the lookup only logs a warning.
    pub async fn propagate(&self, records: &[(String, String)], wait: Duration) -> Result<()> {
        let deadline = Instant::now() + wait;
        if let Self::Rfc2136(u) = self {
            let mut names: Vec<&str> = records.iter().map(|(n, _)| n.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            'poll: loop {
                let mut missing = None;
                for name in &names {
                    let values: Vec<&str> = records
                        .iter()
                        .filter(|(n, _)| n == name)
                        .map(|(_, v)| v.as_str())
                        .collect();
                    match u.serves(name, &values).await {
                        Ok(true) => {}
                        Ok(false) => {
                            missing = Some(*name);
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(
                                "DNS-01: cannot check that the primary serves the TXT records: {e}"
                            );
                            break 'poll;
                        }
                    }
                }
                let Some(name) = missing else { break };
                if Instant::now() >= deadline {
                    return Err(Error::Connector {
                        message: format!(
                            "rfc2136 at {}: the primary does not serve the TXT values of {name} {}s after the update",
                            u.server(),
                            wait.as_secs()
                        ),
                        transient: true,
                    });
                }
                tokio::time::sleep(
                    VISIBLE_POLL.min(deadline.saturating_duration_since(Instant::now())),
                )
                .await;
            }
        }
        tokio::time::sleep_until(deadline.into()).await;
        Ok(())
    }
}

/// Longest a hook may run.
const HOOK_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest tail of the hook's output kept in an error.
const MAX_OUTPUT: usize = 2000;
/// `PATH` of a hook when the server has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The TXT record name of an identifier (a wildcard shares its apex's), without trailing dot.
pub fn record_name(identifier: &str) -> String {
    let base = identifier.strip_prefix("*.").unwrap_or(identifier).trim_end_matches('.');
    format!("_acme-challenge.{base}")
}

/// The environment of a hook: only `PATH` and `LANG` of the server (nothing else of it: no
/// `CERTCTL_SECRET_KEY`, database URL or token) and the three `CERTCTL_ACME_DNS_*` values.
pub fn hook_env(action: &str, name: &str, value: &str) -> Vec<(String, String)> {
    let mut env = vec![(
        "PATH".to_owned(),
        std::env::var("PATH")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| DEFAULT_PATH.to_owned()),
    )];
    if let Ok(lang) = std::env::var("LANG") {
        env.push(("LANG".to_owned(), lang));
    }
    env.extend([
        ("CERTCTL_ACME_DNS_ACTION".to_owned(), action.to_owned()),
        ("CERTCTL_ACME_DNS_NAME".to_owned(), name.to_owned()),
        ("CERTCTL_ACME_DNS_VALUE".to_owned(), value.to_owned()),
    ]);
    env
}

/// Runs the hook `argv... action name value` as the server's user, with a cleared environment
/// ([`hook_env`]), stdin from /dev/null, in `/`, for at most two minutes. Non-zero exit is an error
/// carrying the tail of its stderr and stdout.
pub async fn run_hook(argv: &[String], action: &str, name: &str, value: &str) -> Result<()> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| Error::invalid("config.dns_hook", "the hook's argv is empty"))?;
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .args([action, name, value])
        .env_clear()
        .envs(hook_env(action, name, value))
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| Error::Connector {
        message: format!("dns hook {prog:?} {action} {name}: cannot start: {e}"),
        transient: false,
    })?;
    let out = tokio::time::timeout(HOOK_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| Error::Connector {
            message: format!(
                "dns hook {prog:?} {action} {name}: timed out after {}s",
                HOOK_TIMEOUT.as_secs()
            ),
            transient: true,
        })?
        .map_err(|e| Error::Connector {
            message: format!("dns hook {prog:?} {action} {name}: {e}"),
            transient: false,
        })?;
    if out.status.success() {
        return Ok(());
    }
    let mut said = Vec::new();
    for (label, bytes) in [("stderr", &out.stderr), ("stdout", &out.stdout)] {
        let text = String::from_utf8_lossy(bytes);
        let text = tail(text.trim(), MAX_OUTPUT);
        if !text.is_empty() {
            said.push(format!("{label}: {text}"));
        }
    }
    let said = if said.is_empty() { "no output".to_owned() } else { said.join("; ") };
    Err(Error::Connector {
        message: format!("dns hook {prog:?} {action} {name} failed ({}): {said}", out.status),
        transient: false,
    })
}

/// The last `max` characters of `text`.
fn tail(text: &str, max: usize) -> &str {
    let n = text.chars().count();
    match text.char_indices().nth(n.saturating_sub(max)) {
        Some((i, _)) if n > max => &text[i..],
        _ => text,
    }
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
        let script = format!(
            "echo \"$1 $2 $3 $CERTCTL_ACME_DNS_ACTION $CERTCTL_ACME_DNS_NAME $CERTCTL_ACME_DNS_VALUE\" >> {}; [ \"$1\" = add ] || {{ echo nope >&2; exit 3; }}",
            log.display()
        );
        let argv = vec!["/bin/sh".to_owned(), "-c".to_owned(), script, "hook".to_owned()];
        run_hook(&argv, "add", "_acme-challenge.x.test", "val").await.unwrap();
        let e = run_hook(&argv, "remove", "_acme-challenge.x.test", "val")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope") && e.contains("remove"), "{e}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.starts_with("add _acme-challenge.x.test val add _acme-challenge.x.test val\n"),
            "{text}"
        );
    }

    /// The hook sees only PATH, LANG and the CERTCTL_ACME_DNS_* variables (not the test
    /// process's HOME or cargo's variables), runs in `/` with no stdin; a failure keeps the
    /// tail of its output.
    #[tokio::test]
    async fn hook_environment_is_cleared() {
        assert!(
            std::env::var_os("HOME").is_some() || std::env::var_os("CARGO_MANIFEST_DIR").is_some()
        );
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("env");
        let script =
            format!("env > {}; pwd >> {}; cat >> {}", out.display(), out.display(), out.display());
        let argv = vec!["/bin/sh".to_owned(), "-c".to_owned(), script, "hook".to_owned()];
        run_hook(&argv, "add", "_acme-challenge.x.test", "val").await.unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let mut keys: Vec<&str> =
            text.lines().filter_map(|l| l.split_once('=').map(|(k, _)| k)).collect();
        keys.sort_unstable();
        // dash adds PWD itself
        let allowed = [
            "CERTCTL_ACME_DNS_ACTION",
            "CERTCTL_ACME_DNS_NAME",
            "CERTCTL_ACME_DNS_VALUE",
            "LANG",
            "PATH",
            "PWD",
        ];
        assert!(keys.iter().all(|k| allowed.contains(k)), "{text}");
        assert!(keys.contains(&"PATH") && keys.contains(&"CERTCTL_ACME_DNS_VALUE"), "{text}");
        assert!(text.lines().any(|l| l == "/"), "runs in /: {text}");

        let noisy = vec![
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            "head -c 5000 /dev/zero | tr '\\0' x; echo END; echo oops >&2; exit 2".to_owned(),
        ];
        let e = run_hook(&noisy, "add", "n", "v").await.unwrap_err().to_string();
        assert!(e.contains("stderr: oops") && e.contains("xEND") && e.len() < 2600, "{e}");
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ab", 3), "ab");
    }
}
