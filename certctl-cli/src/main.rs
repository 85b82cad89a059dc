//! `certctl`: the scriptable command-line client of the certctl control plane.
//!
//! Three steps per command — parse (clap, [`cli`]), call the typed client
//! ([`certctl::client::Client`]), render ([`output`]: tables or the API's JSON). Modules, each
//! depending only on those before it: [`args`] the shared arguments and value parsers, [`error`]
//! exit codes, [`table`] and [`output`] rendering, [`body`] request bodies from flags and
//! `--from-file`, [`settings`] connection settings and the context file, [`wait`] following jobs,
//! [`generate`] man pages, [`cmd`] one file per resource (plain CRUD on the generic
//! [`cmd::crud::Crud`]), [`cli`] the command tree and its dispatch.

mod args;
mod body;
mod cli;
mod cmd;
mod error;
mod generate;
mod output;
mod settings;
mod table;
mod wait;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.global.output == args::Format::Json;
    // The console runs its own runtime and terminal loop.
    if let cli::Command::Tui(args) = &cli.command {
        return match settings::client(&cli.global)
            .and_then(|client| certctl_tui::run_client(&client, args))
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => error::report(&e, json),
        };
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return error::report(&anyhow::Error::new(e).context("starting the runtime"), json);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => error::report(&e, json),
    }
}
