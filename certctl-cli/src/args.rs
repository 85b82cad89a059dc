//! The arguments every command shares: global options and output format, paging, an id,
//! `--from-file`, and the value parsers of flags. Depends on nothing else in the crate.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

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
    /// Tables: every column (by default a list shows the columns that fit 80 characters)
    #[arg(long, global = true, help_heading = "Global options")]
    pub wide: bool,
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

/// `k=v` of `--tag` and `--label`.
pub fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("{s:?} is not KEY=VALUE")),
    }
}

pub use certctl::config::parse_duration as duration;

/// An RFC 3339 timestamp flag.
pub fn timestamp(s: &str) -> Result<certctl::model::Timestamp, String> {
    certctl::model::Timestamp::parse(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(key_value("app=web=1"), Ok(("app".into(), "web=1".into())));
        assert!(key_value("=x").is_err() && key_value("x").is_err());
    }
}
