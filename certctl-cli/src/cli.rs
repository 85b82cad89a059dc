//! The grammar: `certctl [--server URL] [--api-key KEY] [-o table|json] <resource> <verb> [args]`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cmd::{
    agents, certs, channels, config, connectors, groups, jobs, org, policies, records,
};

/// certctl: inventory, renew and deploy TLS certificates from the terminal.
///
/// Every verb of the REST API, with tables for people (`-o table`) and the API's own JSON for
/// scripts (`-o json`). Exit codes: 0 ok, 1 other failure, 2 usage, 3 not found,
/// 4 unauthenticated or forbidden, 5 rejected (validation or policy), 6 server unreachable.
#[derive(Debug, Parser)]
#[command(name = "certctl", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table sized to the terminal.
    Table,
    /// Exactly the API's JSON; a list prints its `data` array.
    Json,
}

/// Connection settings and output, accepted before or after the subcommand.
#[derive(Debug, Args)]
pub struct Global {
    /// Server URL [default: the context's, else http://127.0.0.1:8443]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        hide_env_values = true,
        env = "CERTCTL_SERVER_URL",
        value_name = "URL"
    )]
    pub server: Option<String>,
    /// API key (prefer the environment variable or --api-key-file: arguments are visible to `ps`)
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        hide_env_values = true,
        env = "CERTCTL_API_KEY",
        value_name = "KEY"
    )]
    pub api_key: Option<certctl::config::Secret>,
    /// File holding the API key
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        hide_env_values = true,
        env = "CERTCTL_API_KEY_FILE",
        value_name = "FILE"
    )]
    pub api_key_file: Option<PathBuf>,
    /// PEM file of the CA that signed the server's certificate (instead of the system roots)
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        hide_env_values = true,
        env = "CERTCTL_CA_CERT",
        value_name = "FILE"
    )]
    pub ca_cert: Option<PathBuf>,
    /// Context of the config file to use [default: its current-context]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        hide_env_values = true,
        env = "CERTCTL_CONTEXT",
        value_name = "NAME"
    )]
    pub context: Option<String>,
    /// Config file [default: $XDG_CONFIG_HOME/certctl/config.toml]
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        hide_env_values = true,
        env = "CERTCTL_CONFIG",
        value_name = "FILE"
    )]
    pub config_file: Option<PathBuf>,
    /// Output format
    #[arg(short, long, global = true, help_heading = "Global options", hide_env_values = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// Resources and top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Managed certificates: inventory, issuance, renewal, deployment, revocation
    #[command(subcommand, visible_alias = "certificates")]
    Certs(certs::Cmd),
    /// Agents: the hosts that hold the keys
    #[command(subcommand)]
    Agents(agents::Cmd),
    /// Bootstrap tokens with which agents register themselves (admin)
    #[command(subcommand)]
    BootstrapTokens(agents::TokenCmd),
    /// Agent groups, selected by criteria
    #[command(subcommand, visible_alias = "agent-groups")]
    Groups(groups::Cmd),
    /// Issuance, renewal and deployment jobs
    #[command(subcommand)]
    Jobs(jobs::Cmd),
    /// Policy rules and their violations
    #[command(subcommand)]
    Policies(policies::Cmd),
    /// Issuers: the connectors that sign certificates
    #[command(subcommand)]
    Issuers(connectors::IssuerCmd),
    /// Deployment targets
    #[command(subcommand)]
    Targets(connectors::TargetCmd),
    /// Teams
    #[command(subcommand)]
    Teams(org::TeamCmd),
    /// Owners
    #[command(subcommand)]
    Owners(org::OwnerCmd),
    /// Renewal policies
    #[command(subcommand)]
    RenewalPolicies(org::RenewalPolicyCmd),
    /// The hash-chained audit log
    #[command(subcommand)]
    Audit(records::AuditCmd),
    /// Notifications
    #[command(subcommand)]
    Notifications(records::NotificationCmd),
    /// API keys (admin)
    #[command(subcommand)]
    ApiKeys(records::ApiKeyCmd),
    /// Notification channels: email, webhook, Slack, Teams
    #[command(subcommand, visible_alias = "notification-channels")]
    Channels(channels::Cmd),
    /// One-screen summary: certificates by status, expiring soon, agents, failed jobs
    Status,
    /// The interactive console (certificates, fleet, groups, jobs, policies, audit) with this
    /// command's connection settings; the same as `certctl-tui`
    Tui(certctl_tui::ConsoleArgs),
    /// Print a shell completion script
    Completions {
        /// bash, zsh, fish, powershell or elvish
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Named connection contexts in the config file
    #[command(subcommand)]
    Config(config::Cmd),
    /// Generate man pages
    #[command(subcommand, hide = true)]
    Generate(Generate),
}

/// `certctl generate ...` (hidden).
#[derive(Debug, Subcommand)]
pub enum Generate {
    /// Write one man page per command into DIR
    Man {
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
    },
}

/// Paging of every list.
#[derive(Debug, Args, Clone, Copy)]
pub struct Paging {
    /// Page number (1-based)
    #[arg(long, default_value_t = 1)]
    pub page: u32,
    /// Rows per page (at most 500)
    #[arg(long, default_value_t = 50)]
    pub per_page: u32,
    /// Walk every page (JSON is streamed as it arrives)
    #[arg(long, conflicts_with = "page")]
    pub all: bool,
}

/// An id argument.
#[derive(Debug, Args)]
pub struct Id {
    /// The resource's id
    pub id: String,
}

/// `--from-file FILE.json|-`: a JSON body; flags given too override its fields.
#[derive(Debug, Args, Clone)]
pub struct FromFile {
    /// JSON body to send (`-` reads stdin); flags given too override its fields
    #[arg(long, short = 'f', value_name = "FILE.json|-")]
    pub from_file: Option<PathBuf>,
}
