//! `certctl-tui`: parses the options and hands over to [`certctl_tui::run`].

use std::process::ExitCode;

use anyhow::Context;
use certctl_tui::args::{Cli, Command, Generate};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("certctl-tui: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Generate(Generate::Man { out_dir })) = &cli.command {
        return certctl_tui::args::write_man(out_dir)
            .with_context(|| format!("writing the man page into {}", out_dir.display()));
    }
    certctl_tui::run(&cli.settings(), &cli.console)
}
