//! Settings from flags, `CERTCTL_*` environment variables and an optional TOML file (in that
//! order of precedence), resolved into [`Settings`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use certctl::config::Secret;
use certctl::issuer::acme::DnsHooks;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

/// certctl control plane: REST API, scheduler and dashboard.
#[derive(Debug, Parser)]
#[command(name = "certctl-server", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub opts: Opts,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands (the default is to serve).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the control plane (the default).
    Serve,
    /// Audit trail maintenance.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

/// `audit` actions.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Walk the keyed chain (needs the secret key) and compare it with the stored checkpoints,
    /// the data dir's checkpoint file and --expect; report the first problem (exit 1).
    Verify(VerifyArgs),
}

/// Options of `audit verify`.
#[derive(Debug, Args, Default)]
pub struct VerifyArgs {
    /// After a successful verify, write a signed checkpoint of the chain's head (database,
    /// data dir, log) and print it as SEQ:MAC.
    #[arg(long)]
    pub checkpoint: bool,
    /// A checkpoint kept elsewhere (SEQ:MAC, as the server logged it): the chain must contain
    /// that event unchanged, so events removed after it are detected. Repeatable.
    #[arg(long, value_name = "SEQ:MAC")]
    pub expect: Vec<String>,
}

/// Authentication mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// Bearer API keys (default).
    ApiKey,
    /// No authentication: loopback demo only.
    None,
}

/// Where private keys are generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Keygen {
    /// On the agents (default): keys never reach the server.
    Agent,
    /// On the server: demo only.
    Server,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting; each may also come from the environment or the TOML file.
#[derive(Debug, Args, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Opts {
    /// TOML file with any of these settings (flags and environment win over it).
    #[arg(long, env = "CERTCTL_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database, the Local CA and admin.key [default: ./certctl-data]
    #[arg(long, env = "CERTCTL_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://... [default: sqlite://DATA_DIR/certctl.db]
    #[arg(long, env = "CERTCTL_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// Address to listen on [default: 127.0.0.1:8443]
    #[arg(long, env = "CERTCTL_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// TLS certificate chain (PEM) to serve.
    #[arg(long, env = "CERTCTL_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) to serve.
    #[arg(long, env = "CERTCTL_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a certificate from the server's own Local CA (its fingerprint is printed).
    #[arg(long, env = "CERTCTL_TLS_SELF_SIGNED", conflicts_with = "tls_cert", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    #[serde(default)]
    pub tls_self_signed: Option<bool>,
    /// Allow plain HTTP on a non-loopback address.
    #[arg(long, env = "CERTCTL_INSECURE_HTTP", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub insecure_http: Option<bool>,
    /// Authentication mode [default: api-key]
    #[arg(long, env = "CERTCTL_AUTH", value_enum)]
    pub auth: Option<AuthMode>,
    /// Quick-start token with which agents may register themselves: no expiry, no limit, each
    /// agent Pending until approved (warned at start); prefer `certctl bootstrap-tokens create`
    #[arg(long, env = "CERTCTL_AGENT_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<Secret>,
    /// Where private keys are generated [default: agent]
    #[arg(long, env = "CERTCTL_KEYGEN_MODE", value_enum)]
    pub keygen_mode: Option<Keygen>,
    /// Seed realistic demo data on first start, run an agent in this process that renews and
    /// deploys three of its certificates to files under <data-dir>/demo-targets, and print what to
    /// try next
    #[arg(long, env = "CERTCTL_DEMO", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub demo: Option<bool>,
    /// Log format [default: text]
    #[arg(long, env = "CERTCTL_LOG_FORMAT", value_enum, global = true)]
    pub log_format: Option<LogFormat>,
    /// Request body limit in bytes [default: 1048576]
    #[arg(long, env = "CERTCTL_BODY_LIMIT")]
    pub body_limit: Option<usize>,
    /// Key sealing server-held private keys (server keygen): 64 hex characters [default: DATA_DIR/secret.key]
    #[arg(long, env = "CERTCTL_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<Secret>,
    /// How often certificates are checked for expiry and renewal [default: 1h]
    #[arg(long, env = "CERTCTL_RENEWAL_CHECK_INTERVAL", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "de_duration")]
    pub renewal_check_interval: Option<Duration>,
    /// How often due jobs are processed [default: 30s]
    #[arg(long, env = "CERTCTL_JOB_PROCESSOR_INTERVAL", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "de_duration")]
    pub job_processor_interval: Option<Duration>,
    /// How often agent heartbeats are checked [default: 2m]
    #[arg(long, env = "CERTCTL_AGENT_HEALTH_INTERVAL", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "de_duration")]
    pub agent_health_interval: Option<Duration>,
    /// How often pending notifications are delivered [default: 1m]
    #[arg(long, env = "CERTCTL_NOTIFICATION_INTERVAL", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "de_duration")]
    pub notification_interval: Option<Duration>,
    /// An agent silent for longer than this is Offline [default: 180s]
    #[arg(long, env = "CERTCTL_AGENT_OFFLINE_AFTER", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "de_duration")]
    pub agent_offline_after: Option<Duration>,
    /// A job waiting for an agent (CSR, deployment report) longer than this fails [default: 24h]
    #[arg(long, env = "CERTCTL_AGENT_TIMEOUT", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "de_duration")]
    pub agent_timeout: Option<Duration>,
    /// Notification channels (nc-... ids, comma-separated) of events whose renewal policy names none, and of agent events
    #[arg(long, env = "CERTCTL_NOTIFICATION_DEFAULT_CHANNELS", value_delimiter = ',')]
    pub notification_default_channels: Option<Vec<String>>,
    /// Attempts per notification delivery before it is dead [default: 5]
    #[arg(long, env = "CERTCTL_NOTIFICATION_MAX_ATTEMPTS", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub notification_max_attempts: Option<u32>,
    /// Bound on one notification send (connect and answer) [default: 10s]
    #[arg(long, env = "CERTCTL_NOTIFICATION_TIMEOUT", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "de_duration")]
    pub notification_timeout: Option<Duration>,
    /// Base URL of this server as users reach it, for links in notifications [default: from --listen]
    #[arg(long, env = "CERTCTL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Internal address ranges (CIDRs, comma-separated) that webhooks, chat and email channels, ACME directories and rfc2136 servers may reach; loopback, link-local, private and other non-public addresses are refused unless listed here [default: none]
    #[arg(long, env = "CERTCTL_ALLOW_PRIVATE_TARGETS", value_delimiter = ',')]
    pub allow_private_targets: Option<Vec<String>>,
    /// How long the job processor's claim on a Running job lasts unless renewed; a job whose
    /// server died goes back to Pending after it [default: 5m]
    #[arg(long, env = "CERTCTL_JOB_LEASE", value_parser = parse_duration)]
    #[serde(default, deserialize_with = "de_duration")]
    pub job_lease: Option<Duration>,
    /// Write a signed audit checkpoint after this many new events (also hourly when any) [default: 1000]
    #[arg(long, env = "CERTCTL_AUDIT_CHECKPOINT_EVERY", value_parser = clap::value_parser!(u64).range(1..))]
    pub audit_checkpoint_every: Option<u64>,
    /// DNS-01 hooks issuers may name (dns_hook), as JSON {"NAME": ["/abs/program", "arg", ...]}; replaces the file's [acme.dns_hooks.NAME] argv = [...]
    #[arg(long, env = "CERTCTL_ACME_DNS_HOOKS")]
    #[serde(skip)]
    pub acme_dns_hooks: Option<String>,
    /// `[acme]` of the TOML file (`[acme.dns_hooks.NAME] argv = [...]`).
    #[arg(skip)]
    pub acme: Option<AcmeFile>,
}

/// `[acme]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeFile {
    /// `[acme.dns_hooks.NAME] argv = ["/abs/program", "arg", ...]`
    #[serde(default)]
    pub dns_hooks: std::collections::BTreeMap<String, HookFile>,
}

/// One `[acme.dns_hooks.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookFile {
    pub argv: Vec<String>,
}

/// The DNS hooks from `CERTCTL_ACME_DNS_HOOKS` (or `--acme-dns-hooks`), else from the file's
/// `[acme.dns_hooks.NAME]`: names and argvs checked, each program present.
fn dns_hooks(flag: Option<String>, file: Option<AcmeFile>) -> anyhow::Result<DnsHooks> {
    let (origin, hooks) = match flag.filter(|f| !f.trim().is_empty()) {
        Some(json) => {
            ("CERTCTL_ACME_DNS_HOOKS", DnsHooks::from_json("CERTCTL_ACME_DNS_HOOKS", &json))
        }
        None => (
            "acme.dns_hooks",
            DnsHooks::new(
                "acme.dns_hooks",
                file.unwrap_or_default().dns_hooks.into_iter().map(|(k, v)| (k, v.argv)),
            ),
        ),
    };
    let hooks = hooks.map_err(|e| anyhow::anyhow!("DNS hooks: {e}"))?;
    hooks.check_programs(origin).map_err(|e| anyhow::anyhow!("DNS hooks: {e}"))?;
    Ok(hooks)
}

pub use certctl::config::parse_interval as parse_duration;

/// Notification settings from flags/env or the file (flags win), checked.
fn notify_settings(
    flag_channels: &Option<Vec<String>>,
    file_channels: &Option<Vec<String>>,
    max_attempts: Option<u32>,
    timeout: Option<Duration>,
    public_url: Option<String>,
) -> anyhow::Result<certctl::service::NotifySettings> {
    let mut n = certctl::service::NotifySettings::default();
    for id in flag_channels
        .as_ref()
        .or(file_channels.as_ref())
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let id = certctl::model::ChannelId::parse(id)
            .map_err(|e| anyhow::anyhow!("--notification-default-channels: {e}"))?;
        if !n.default_channel_ids.contains(&id) {
            n.default_channel_ids.push(id);
        }
    }
    if let Some(a) = max_attempts {
        if a == 0 {
            bail!("--notification-max-attempts must be at least 1");
        }
        n.max_attempts = a;
    }
    if let Some(t) = timeout {
        n.send_timeout = t;
    }
    if let Some(u) = public_url {
        let u = u.trim().trim_end_matches('/').to_owned();
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            bail!("--public-url must start with http:// or https://");
        }
        n.public_url = Some(u);
    }
    Ok(n)
}

fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map(Some).map_err(serde::de::Error::custom)
}

/// The resolved settings.
#[derive(Debug)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// May hold a password: read it with `expose()`.
    pub database_url: Secret,
    pub listen: SocketAddr,
    pub tls: Tls,
    pub insecure_http: bool,
    pub auth: AuthMode,
    pub bootstrap_token: Option<Secret>,
    pub keygen_mode: Keygen,
    pub demo: bool,
    pub log_format: LogFormat,
    pub body_limit: usize,
    pub secret_key: Option<Secret>,
    pub intervals: Intervals,
    pub agent_offline_after: Duration,
    pub agent_timeout: Duration,
    /// Notification delivery: default channels, public URL, attempts, timeout.
    pub notify: certctl::service::NotifySettings,
    /// DNS-01 hooks by name: the only commands the server runs.
    pub dns_hooks: DnsHooks,
    pub job_lease: Duration,
    pub audit_checkpoint_every: u64,
    /// Internal ranges outbound connections to user-configured destinations may reach.
    pub outbound: certctl::net::AddressPolicy,
}

/// How often each scheduler loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub renewal_check: Duration,
    pub job_processor: Duration,
    pub agent_health: Duration,
    pub notification: Duration,
}

/// How the listener is secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    None,
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned,
}

impl Opts {
    /// Flags/env first, then the file, then defaults; checks combinations.
    pub fn resolve(self) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(p) => load_file(p)?,
            None => Opts::default(),
        };
        let data_dir =
            self.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from("certctl-data"));
        let database_url = self.database_url.or(file.database_url).unwrap_or_else(|| {
            Secret::from(format!("sqlite://{}", data_dir.join("certctl.db").display()))
        });
        let tls = match (
            self.tls_cert.or(file.tls_cert),
            self.tls_key.or(file.tls_key),
            self.tls_self_signed.or(file.tls_self_signed).unwrap_or(false),
        ) {
            (Some(cert), Some(key), false) => Tls::Files { cert, key },
            (Some(_), Some(_), true) => {
                bail!("--tls-cert/--tls-key and --tls-self-signed exclude each other")
            }
            (Some(_), None, _) | (None, Some(_), _) => {
                bail!("--tls-cert and --tls-key go together")
            }
            (None, None, true) => Tls::SelfSigned,
            (None, None, false) => Tls::None,
        };
        let s = Settings {
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8443))),
            insecure_http: self.insecure_http.or(file.insecure_http).unwrap_or(false),
            auth: self.auth.or(file.auth).unwrap_or(AuthMode::ApiKey),
            bootstrap_token: self
                .bootstrap_token
                .or(file.bootstrap_token)
                .filter(|t| !t.expose().is_empty()),
            keygen_mode: self.keygen_mode.or(file.keygen_mode).unwrap_or(Keygen::Agent),
            demo: self.demo.or(file.demo).unwrap_or(false),
            log_format: self.log_format.or(file.log_format).unwrap_or(LogFormat::Text),
            body_limit: self.body_limit.or(file.body_limit).unwrap_or(crate::DEFAULT_BODY_LIMIT),
            secret_key: self.secret_key.or(file.secret_key).filter(|k| !k.expose().is_empty()),
            intervals: Intervals {
                renewal_check: self
                    .renewal_check_interval
                    .or(file.renewal_check_interval)
                    .unwrap_or(Duration::from_secs(3600)),
                job_processor: self
                    .job_processor_interval
                    .or(file.job_processor_interval)
                    .unwrap_or(Duration::from_secs(30)),
                agent_health: self
                    .agent_health_interval
                    .or(file.agent_health_interval)
                    .unwrap_or(Duration::from_secs(120)),
                notification: self
                    .notification_interval
                    .or(file.notification_interval)
                    .unwrap_or(Duration::from_secs(60)),
            },
            agent_offline_after: self
                .agent_offline_after
                .or(file.agent_offline_after)
                .unwrap_or(Duration::from_secs(180)),
            agent_timeout: self
                .agent_timeout
                .or(file.agent_timeout)
                .unwrap_or(certctl::service::DEFAULT_AGENT_TIMEOUT),
            notify: notify_settings(
                &self.notification_default_channels,
                &file.notification_default_channels,
                self.notification_max_attempts.or(file.notification_max_attempts),
                self.notification_timeout.or(file.notification_timeout),
                self.public_url.or(file.public_url),
            )?,
            dns_hooks: dns_hooks(self.acme_dns_hooks, file.acme)?,
            job_lease: self
                .job_lease
                .or(file.job_lease)
                .unwrap_or(certctl::service::DEFAULT_JOB_LEASE),
            audit_checkpoint_every: self
                .audit_checkpoint_every
                .or(file.audit_checkpoint_every)
                .unwrap_or(certctl::service::DEFAULT_AUDIT_CHECKPOINT_EVERY)
                .max(1),
            outbound: certctl::net::AddressPolicy::parse(
                self.allow_private_targets
                    .or(file.allow_private_targets)
                    .as_deref()
                    .unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!("--allow-private-targets: {e}"))?,
            data_dir,
            database_url,
            tls,
        };
        let mut s = s;
        if s.notify.public_url.is_none() {
            let scheme = if s.tls == Tls::None { "http" } else { "https" };
            s.notify.public_url = Some(format!("{scheme}://{}", s.listen));
        }
        if !s.listen.ip().is_loopback() && s.tls == Tls::None && !s.insecure_http {
            bail!(
                "refusing to serve plain HTTP on the non-loopback address {}: give --tls-cert and --tls-key, or --tls-self-signed, or accept the risk with --insecure-http",
                s.listen
            );
        }
        if s.auth == AuthMode::None && !s.listen.ip().is_loopback() {
            bail!(
                "--auth none is only allowed on a loopback address (it gives every caller admin rights)"
            );
        }
        if let Some(t) = &s.bootstrap_token
            && t.expose().len() < 16
        {
            bail!("the agent bootstrap token must be at least 16 characters");
        }
        Ok(s)
    }
}

fn load_file(p: &Path) -> anyhow::Result<Opts> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> Opts {
        Cli::parse_from(std::iter::once("certctl-server").chain(args.iter().copied())).opts
    }

    #[test]
    fn defaults_and_precedence() {
        let s = opts(&[]).resolve().unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(s.database_url.expose(), "sqlite://certctl-data/certctl.db");
        assert_eq!(s.intervals.job_processor, Duration::from_secs(30));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err() && parse_duration("5 weeks").is_err());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/certctl\"\nkeygen_mode = \"server\"\n",
        )
        .unwrap();
        let s = opts(&["--config", file.to_str().unwrap(), "--listen", "127.0.0.1:9100"])
            .resolve()
            .unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:9100", "flags win over the file");
        assert_eq!(s.data_dir, PathBuf::from("/srv/certctl"));
        assert_eq!(s.keygen_mode, Keygen::Server);
        std::fs::write(&file, "lisen = 1\n").unwrap();
        assert!(
            format!("{:#}", opts(&["--config", file.to_str().unwrap()]).resolve().unwrap_err())
                .contains("lisen")
        );
    }

    /// DNS hooks from the file's `[acme.dns_hooks.NAME]` or the environment's JSON (which
    /// replaces the file's); a bad name, a relative or missing program, an empty argument stop
    /// the server with a message naming the setting.
    #[test]
    fn dns_hooks_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        let f = file.to_str().unwrap();
        std::fs::write(&file, "[acme.dns_hooks.zone-a]\nargv = [\"/bin/sh\", \"/etc/certctl/hook.sh\", \"--zone\", \"a\"]\n[acme.dns_hooks.b]\nargv = [\"/bin/true\"]\n").unwrap();
        let s = opts(&["--config", f]).resolve().unwrap();
        assert_eq!(s.dns_hooks.names(), ["b", "zone-a"]);
        assert_eq!(
            s.dns_hooks.resolve("x", "zone-a").unwrap(),
            ["/bin/sh", "/etc/certctl/hook.sh", "--zone", "a"]
        );
        let s = opts(&["--config", f, "--acme-dns-hooks", r#"{"c": ["/bin/true"]}"#])
            .resolve()
            .unwrap();
        assert_eq!(s.dns_hooks.names(), ["c"], "the environment replaces the file's hooks");
        assert!(opts(&[]).resolve().unwrap().dns_hooks.is_empty());
        let err =
            |json: &str| format!("{:#}", opts(&["--acme-dns-hooks", json]).resolve().unwrap_err());
        assert!(err(r#"{"A": ["/bin/true"]}"#).contains("CERTCTL_ACME_DNS_HOOKS.A:"));
        assert!(err(r#"{"a": ["true"]}"#).contains("absolute path"));
        assert!(
            err(r#"{"a": ["/bin/true", ""]}"#).contains("CERTCTL_ACME_DNS_HOOKS.a[1]: is empty")
        );
        assert!(
            err(r#"{"a": ["/nonexistent/dns-hook"]}"#)
                .contains("/nonexistent/dns-hook does not exist")
        );
        assert!(err(r#"["/bin/true"]"#).contains("must be a JSON object"));
        for bad in [
            "[acme.dns_hooks.a]\nargv = [\"bin/true\"]\n",
            "[acme.dns_hooks.a]\ncommand = [\"/bin/true\"]\n",
            "[acme]\nhooks = 1\n",
        ] {
            std::fs::write(&file, bad).unwrap();
            assert!(opts(&["--config", f]).resolve().is_err(), "{bad}");
        }
        std::fs::write(&file, "[acme.dns_hooks.a]\nargv = [\"bin/true\"]\n").unwrap();
        assert!(
            format!("{:#}", opts(&["--config", f]).resolve().unwrap_err())
                .contains("acme.dns_hooks.a: the program \"bin/true\" must be an absolute path")
        );
    }

    #[test]
    fn allow_private_targets() {
        assert!(
            opts(&[]).resolve().unwrap().outbound.allowed_ranges().is_empty(),
            "no internal range by default"
        );
        let s = opts(&["--allow-private-targets", "127.0.0.0/8,::1/128"]).resolve().unwrap();
        assert_eq!(
            s.outbound.allowed_ranges().iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            ["127.0.0.0/8", "::1/128"]
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "allow_private_targets = [\"10.20.0.0/16\"]\n").unwrap();
        let s = opts(&["--config", file.to_str().unwrap()]).resolve().unwrap();
        assert_eq!(s.outbound.allowed_ranges()[0].to_string(), "10.20.0.0/16");
        let e = format!(
            "{:#}",
            opts(&["--allow-private-targets", "10.0.0.0/8,intranet"]).resolve().unwrap_err()
        );
        assert!(e.contains("--allow-private-targets") && e.contains("intranet"), "{e}");
    }

    #[test]
    fn refuses_plain_http_off_loopback() {
        let e = opts(&["--listen", "0.0.0.0:8443"]).resolve().unwrap_err().to_string();
        assert!(e.contains("--tls-self-signed"), "{e}");
        assert!(opts(&["--listen", "0.0.0.0:8443", "--insecure-http"]).resolve().is_ok());
        assert!(opts(&["--listen", "0.0.0.0:8443", "--tls-self-signed"]).resolve().is_ok());
        assert!(
            opts(&["--listen", "0.0.0.0:8443", "--auth", "none", "--insecure-http"])
                .resolve()
                .is_err()
        );
    }
}
