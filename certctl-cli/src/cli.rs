//! The grammar, `certctl [--server URL] [--api-key KEY] [-o table|json] <resource> <verb> [args]`
//! (the command tree over the resources of [`crate::cmd`]), and [`run`], which hands each parsed
//! command to its resource's module.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::args::Global;
use crate::cmd::{
    agents, certs, channels, config, connectors, groups, jobs, org, policies, records, status,
};
use crate::output::Out;
use crate::{generate, settings};

/// certctl: inventory, renew and deploy TLS certificates from the terminal.
///
/// Every verb of the REST API, with tables for people (`-o table`) and the API's own JSON for
/// scripts (`-o json`). Exit codes: 0 ok, 1 other failure, 2 usage, 3 not found,
/// 4 unauthenticated or forbidden, 5 rejected (validation or policy), 6 server unreachable,
/// 7 a job followed by --wait or `jobs watch ID` failed or was cancelled.
#[derive(Debug, Parser)]
#[command(name = "certctl", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
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

/// Runs the parsed command; the exit code of a success (a followed job may fail).
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let out = Out::new(cli.global.output, cli.global.wide);
    let client = || settings::client(&cli.global);
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "certctl", &mut std::io::stdout());
        }
        Command::Generate(Generate::Man { out_dir }) => generate::man(Cli::command(), &out_dir)?,
        Command::Config(c) => config::run(c, &cli.global, &out)?,
        Command::Status => status::run(&client()?, &out).await?,
        // main runs the console before any runtime starts
        Command::Tui(_) => anyhow::bail!("the console cannot start inside a running command"),
        Command::Certs(c) => return certs::run(c, &client()?, &out).await,
        Command::Agents(c) => agents::run(c, &client()?, &out).await?,
        Command::BootstrapTokens(c) => agents::run_tokens(c, &client()?, &out).await?,
        Command::Groups(c) => groups::run(c, &client()?, &out).await?,
        Command::Jobs(c) => return jobs::run(c, &client()?, &out).await,
        Command::Policies(c) => policies::run(c, &client()?, &out).await?,
        Command::Issuers(c) => connectors::run_issuers(c, &client()?, &out).await?,
        Command::Targets(c) => c.run(&client()?, &out).await?,
        Command::Teams(c) => c.run(&client()?, &out).await?,
        Command::Owners(c) => c.run(&client()?, &out).await?,
        Command::RenewalPolicies(c) => c.run(&client()?, &out).await?,
        Command::Audit(c) => return records::run_audit(c, &client()?, &out).await,
        Command::Notifications(c) => records::run_notifications(c, &client()?, &out).await?,
        Command::ApiKeys(c) => records::run_api_keys(c, &client()?, &out).await?,
        Command::Channels(c) => channels::run(c, &client()?, &out).await?,
    }
    Ok(ExitCode::SUCCESS)
}
