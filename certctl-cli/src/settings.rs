//! Connection settings: the global flags (clap reads `CERTCTL_*` too) handed to the library's
//! resolution ([`certctl::client::Settings`]: flags, then the config file's context, then the
//! default URL); an unknown context is a usage error.

use std::path::PathBuf;

use certctl::client::{Client, Settings, SettingsError};
pub use certctl::client::{ConfigFile, Context};

use crate::args::Global;
use crate::error::Failure;

/// The explicit settings of the command line.
pub fn settings(g: &Global) -> Settings {
    Settings {
        server: g.server.clone(),
        api_key: g.api_key.clone(),
        api_key_file: g.api_key_file.clone(),
        ca_cert: g.ca_cert.clone(),
        context: g.context.clone(),
        config_file: g.config_file.clone(),
    }
}

/// `--config-file`, else `$XDG_CONFIG_HOME/certctl/config.toml`, else `~/.config/...`.
pub fn config_path(g: &Global) -> Option<PathBuf> {
    settings(g).config_path()
}

/// Builds the client from the settings in force.
pub fn client(g: &Global) -> anyhow::Result<Client> {
    settings(g).client().map_err(usage_or_other)
}

/// An unknown context is a usage error (exit 2); the rest keeps its cause.
pub fn usage_or_other(e: SettingsError) -> anyhow::Error {
    match e {
        e @ SettingsError::UnknownContext { .. } => Failure::usage(e.to_string()),
        SettingsError::Client(c) => c.into(),
        e => e.into(),
    }
}
