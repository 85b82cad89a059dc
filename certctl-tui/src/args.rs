//! Command-line options: the console's own ([`ConsoleArgs`], shared by `certctl tui`) and the
//! standalone binary's ([`Cli`]: connection settings like the CLI's, plus the hidden
//! `generate man`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Options of the console itself.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Hide every action that changes the server (renew, deploy, archive, revoke, cancel, retry)
    #[arg(long, env = "CERTCTL_TUI_READ_ONLY")]
    pub read_only: bool,
    /// Auto-refresh interval of the visible screen, e.g. 10s, 1m, 500ms
    #[arg(long, env = "CERTCTL_TUI_REFRESH", value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub refresh: Duration,
}

/// `10s`, `1m`, `500ms`, `2h` or plain seconds; at least 1 second.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 =
        n.parse().map_err(|_| format!("{s:?} is not a duration such as 10s, 1m or 500ms"))?;
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(format!("{s:?}: unit must be ms, s, m or h")),
    };
    if d < Duration::from_secs(1) {
        return Err(format!("{s:?}: the refresh interval must be at least 1s"));
    }
    Ok(d)
}

/// certctl-tui: the interactive console of certctl — certificates, fleet, groups, jobs,
/// policies and audit in one terminal screen, refreshed live. Keys: `?` lists them, `q` quits.
///
/// `certctl tui [--read-only] [--refresh DURATION]` starts the same console with certctl's
/// global connection options. Works in 80×24 over SSH, keyboard only; `NO_COLOR` turns colours
/// off. Lists are paged, filtered and sorted by the server (`/` searches name, common name and
/// SANs; `tag:KEY=VALUE` filters by tag; `s` sorts the whole list by common name, status,
/// expiry, name or creation, `S` reverses).
#[derive(Debug, Parser)]
#[command(name = "certctl-tui", version, max_term_width = 100)]
pub struct Cli {
    /// Server URL [default: the context's, else http://127.0.0.1:8443]
    #[arg(long, hide_env_values = true, env = "CERTCTL_SERVER_URL", value_name = "URL")]
    pub server: Option<String>,
    /// API key (prefer the environment variable or --api-key-file: arguments are visible to `ps`)
    #[arg(long, hide_env_values = true, env = "CERTCTL_API_KEY", value_name = "KEY")]
    pub api_key: Option<certctl::config::Secret>,
    /// File holding the API key
    #[arg(long, hide_env_values = true, env = "CERTCTL_API_KEY_FILE", value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// PEM file of the CA that signed the server's certificate (instead of the system roots)
    #[arg(long, hide_env_values = true, env = "CERTCTL_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Context of the config file to use [default: its current-context]
    #[arg(long, hide_env_values = true, env = "CERTCTL_CONTEXT", value_name = "NAME")]
    pub context: Option<String>,
    /// Config file [default: $XDG_CONFIG_HOME/certctl/config.toml]
    #[arg(long, hide_env_values = true, env = "CERTCTL_CONFIG", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    #[command(flatten)]
    pub console: ConsoleArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands (hidden).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate man pages
    #[command(subcommand, hide = true)]
    Generate(Generate),
}

/// `certctl-tui generate ...`.
#[derive(Debug, Subcommand)]
pub enum Generate {
    /// Write the man page into DIR
    Man {
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
    },
}

impl Cli {
    /// The connection settings given explicitly.
    pub fn settings(&self) -> certctl::client::Settings {
        certctl::client::Settings {
            server: self.server.clone(),
            api_key: self.api_key.clone(),
            api_key_file: self.api_key_file.clone(),
            ca_cert: self.ca_cert.clone(),
            context: self.context.clone(),
            config_file: self.config_file.clone(),
        }
    }
}

/// Writes `certctl-tui.1` into `dir` (`certctl-tui generate man`, and `certctl generate man`
/// for `certctl tui`, which it documents too).
pub fn write_man(dir: &std::path::Path) -> std::io::Result<()> {
    use clap::CommandFactory;
    std::fs::create_dir_all(dir)?;
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    std::fs::write(dir.join("certctl-tui.1"), page)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("500ms").unwrap_err().contains("at least 1s"));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").unwrap_err().contains("unit"));
    }
}
