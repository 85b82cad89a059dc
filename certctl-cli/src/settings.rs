//! Connection settings: flags, then `CERTCTL_*` variables (clap reads both), then the chosen
//! context of the config file (`$XDG_CONFIG_HOME/certctl/config.toml`), then the default URL.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use certctl::client::Client;
use serde::{Deserialize, Serialize};

use crate::cli::Global;
use crate::error::Failure;

/// Server URL when nothing else names one (the server's default listen address).
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8443";

/// The config file: named contexts, kubectl style.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

/// One named context. The API key is best kept in a file of its own (`api-key-file`).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<certctl::config::Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

/// `--config-file`, else `$XDG_CONFIG_HOME/certctl/config.toml`, else `~/.config/...`.
pub fn config_path(g: &Global) -> Option<PathBuf> {
    if let Some(p) = &g.config_file {
        return Some(p.clone());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("certctl").join("config.toml"))
}

impl ConfigFile {
    /// Reads the file; a missing file is an empty config.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("reading {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the file (mode 0600: it may hold an API key), creating its directory.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = toml::to_string(self).context("encoding the config")?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(path).with_context(|| format!("writing {}", path.display()))?;
        std::io::Write::write_all(&mut f, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
    }
}

/// The context in force: `--context`/`CERTCTL_CONTEXT`, else the file's current context.
fn context(g: &Global) -> anyhow::Result<Context> {
    let Some(path) = config_path(g) else { return Ok(Context::default()) };
    let file = ConfigFile::load(&path)?;
    let name = g.context.clone().or(file.current_context.clone());
    match name {
        None => Ok(Context::default()),
        Some(n) => file
            .contexts
            .get(&n)
            .cloned()
            .ok_or_else(|| Failure::usage(format!("no context {n:?} in {}", path.display()))),
    }
}

fn read_key(path: &Path) -> anyhow::Result<String> {
    let key = std::fs::read_to_string(path).with_context(|| format!("reading the API key file {}", path.display()))?;
    Ok(key.trim().to_owned())
}

/// Builds the client from the settings in force.
pub fn client(g: &Global) -> anyhow::Result<Client> {
    let ctx = context(g)?;
    let server = g.server.clone().or(ctx.server).unwrap_or_else(|| DEFAULT_SERVER.to_owned());
    let key = match (&g.api_key, &g.api_key_file) {
        (Some(k), _) => Some(k.expose().trim().to_owned()),
        (None, Some(f)) => Some(read_key(f)?),
        (None, None) => match (&ctx.api_key, &ctx.api_key_file) {
            (Some(k), _) => Some(k.expose().to_owned()),
            (None, Some(f)) => Some(read_key(f)?),
            (None, None) => None,
        },
    };
    let mut b = Client::builder(server);
    if let Some(k) = key.filter(|k| !k.is_empty()) {
        b = b.api_key(k);
    }
    if let Some(ca) = g.ca_cert.clone().or(ctx.ca_cert) {
        b = b.ca_cert_file(ca);
    }
    Ok(b.build()?)
}
