//! `certctl-server`: the control plane binary.

use std::process::ExitCode;

use certctl_server::config::{AuditAction, Cli, Command, LogFormat};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.opts.resolve() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("certctl-server: {e:#}");
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CERTCTL_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    // colours only for a person at a terminal (not journald, files or pipes) without NO_COLOR
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match settings.log_format {
        LogFormat::Json => fmt.json().init(),
        LogFormat::Text => fmt.init(),
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("certctl-server: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            None | Some(Command::Serve) => {
                certctl_server::serve::run(settings).await.map(|()| true)
            }
            Some(Command::Audit { action: AuditAction::Verify(args) }) => {
                certctl_server::serve::audit_verify(settings, args).await
            }
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("certctl-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}
