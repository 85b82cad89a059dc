//! certctl-agent: the daemon on each host (heartbeats, local keys, CSRs, verified deployments)
//! and `simulate`, a fleet of virtual agents for load tests. The logic lives in `certctl::agent`.

mod daemon;
mod simulate;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use certctl::target::policy;
use clap::{Args, Parser, Subcommand};

/// The certctl agent: keeps this host's certificates issued, deployed and verified. Private keys
/// are generated here and never leave the host; the server only ever sees CSRs.
#[derive(Debug, Parser)]
#[command(name = "certctl-agent", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run N virtual agents in this process (real heartbeats and polls) and print the achieved
    /// heartbeat rate and latencies.
    Simulate(simulate::SimArgs),
}

/// Settings of the agent daemon; each flag is also an environment variable.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The control plane's URL
    #[arg(long, env = "CERTCTL_SERVER_URL")]
    pub server: Option<String>,
    /// This agent's id (with --api-key), when an operator registered it
    #[arg(long, env = "CERTCTL_AGENT_ID")]
    pub agent_id: Option<String>,
    /// This agent's API key (with --agent-id)
    #[arg(long, env = "CERTCTL_API_KEY", hide_env_values = true)]
    pub api_key: Option<certctl::config::Secret>,
    /// Register once with this bootstrap token and save the identity in the state dir (the agent
    /// then waits for approval unless the token auto-approves)
    #[arg(long, env = "CERTCTL_AGENT_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<certctl::config::Secret>,
    /// Name to register with [default: the host name]
    #[arg(long, env = "CERTCTL_AGENT_NAME")]
    pub name: Option<String>,
    /// Operator labels sent with every heartbeat: k=v,k2=v2
    #[arg(long, env = "CERTCTL_AGENT_LABELS", default_value = "")]
    pub labels: String,
    /// Where agent.json (identity, 0600) and the deployment journal live
    #[arg(long, env = "CERTCTL_STATE_DIR", default_value = "/var/lib/certctl")]
    pub state_dir: PathBuf,
    /// Private keys (0700 directory, 0600 files) [default: <state-dir>/keys]
    #[arg(long, env = "CERTCTL_KEY_DIR")]
    pub key_dir: Option<PathBuf>,
    /// Trust only this CA (PEM) for the server's certificate, instead of the system roots
    #[arg(long, env = "CERTCTL_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Time between heartbeats (±10% jitter)
    #[arg(long, env = "CERTCTL_HEARTBEAT_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub heartbeat_interval: Duration,
    /// Time between work polls (±10% jitter)
    #[arg(long, env = "CERTCTL_POLL_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Answer ACME HTTP-01 challenges (issuers with `http01_mode: agent`) on this address, e.g.
    /// 0.0.0.0:80 or a port the web server proxies `/.well-known/acme-challenge/` to; without it,
    /// a `webroot` in the target config is used
    #[arg(long, env = "CERTCTL_HTTP01_LISTEN")]
    pub http01_listen: Option<std::net::SocketAddr>,
    /// Commands this host lets deployments run: `;`-separated entries, each one of
    ///   nginx                  nginx -t | nginx -s reload
    ///   apache                 apachectl configtest | apachectl graceful
    ///   haproxy                haproxy -c -f /etc/haproxy/haproxy.cfg | systemctl reload haproxy
    ///   systemd-reload:UNIT    systemctl reload UNIT
    ///   ["/usr/bin/x","--y"]   exactly this argv (a JSON array)
    ///   none                   no command at all
    /// Every profile command is also allowed with `sudo -n` in front. A command must equal an
    /// allowed argv element by element; a job that asks for another fails on this host before
    /// anything is written or run. Default: `nginx`, the nginx connector's default commands
    #[arg(long, env = policy::COMMANDS_SETTING, default_value = policy::DEFAULT_COMMANDS, verbatim_doc_comment)]
    pub allowed_commands: String,
    /// Path prefixes (absolute, `:`-separated) under which deployments and HTTP-01 webroot
    /// tokens may write, strictly below a prefix. Paths are resolved first: `..` components are
    /// refused, and so is a symlink (a directory or the file itself) that leads outside
    #[arg(long, env = policy::PATHS_SETTING, default_value = policy::DEFAULT_PATHS, verbatim_doc_comment)]
    pub allowed_paths: String,
    /// One heartbeat, one poll and the work it brings, then exit (non-zero if anything failed)
    #[arg(long)]
    pub once: bool,
}

pub use certctl::config::parse_interval as parse_duration;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("CERTCTL_LOG")
        .unwrap_or_else(|_| "info".into());
    // colours only for a person at a terminal (not journald, files or pipes) without NO_COLOR
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
    let rt = match &cli.command {
        // One agent needs little: a single-threaded runtime keeps its memory small.
        None => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        Some(_) => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("certctl-agent: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::Simulate(args)) => rt.block_on(simulate::run(args)).map(|()| true),
        None => rt.block_on(daemon::run(cli.run)),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("certctl-agent: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err() && parse_duration("1y").is_err());
    }
}
