//! One module per resource: its clap arguments and its three steps (parse, call, render).

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command, Generate};
use crate::output::Out;
use crate::{generate, settings};

pub mod agents;
pub mod certs;
pub mod channels;
pub mod config;
pub mod connectors;
pub mod groups;
pub mod jobs;
pub mod org;
pub mod policies;
pub mod records;
mod status;

/// Runs the parsed command; the exit code of a success (a followed job may fail).
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let out = Out::new(cli.global.output);
    let client = || settings::client(&cli.global);
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "certctl", &mut std::io::stdout());
        }
        Command::Generate(Generate::Man { out_dir }) => generate::man(&out_dir)?,
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
        Command::Targets(c) => connectors::run_targets(c, &client()?, &out).await?,
        Command::Teams(c) => org::run_teams(c, &client()?, &out).await?,
        Command::Owners(c) => org::run_owners(c, &client()?, &out).await?,
        Command::RenewalPolicies(c) => org::run_renewal_policies(c, &client()?, &out).await?,
        Command::Audit(c) => return records::run_audit(c, &client()?, &out).await,
        Command::Notifications(c) => records::run_notifications(c, &client()?, &out).await?,
        Command::ApiKeys(c) => records::run_api_keys(c, &client()?, &out).await?,
        Command::Channels(c) => channels::run(c, &client()?, &out).await?,
    }
    Ok(ExitCode::SUCCESS)
}
