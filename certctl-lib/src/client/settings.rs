//! Connection settings shared by every client binary (`certctl`, `certctl-tui`): explicit values
//! (flags or `CERTCTL_*` variables, which the binaries' clap reads), then the chosen context of the
//! config file (`$XDG_CONFIG_HOME/certctl/config.toml`, kubectl style), then the default URL.
//!
//! ```no_run
//! # fn run() -> Result<(), certctl::client::SettingsError> {
//! use certctl::client::Settings;
//! let settings = Settings { context: Some("prod".into()), ..Default::default() };
//! let client = settings.client()?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Client, ClientError};
use crate::config::Secret;

/// Server URL when nothing else names one (the server's default listen address).
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8443";

/// Why the settings could not be resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The named context is not in the config file.
    #[error("no context {name:?} in {}", path.display())]
    UnknownContext { name: String, path: PathBuf },
    /// A file (config, API key) could not be read or written.
    #[error("{what} {}: {source}", path.display())]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
    /// The config file is not valid TOML of the expected shape.
    #[error("reading {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    /// The config could not be encoded.
    #[error("encoding the config: {0}")]
    Encode(String),
    /// The client could not be built (bad URL, unreadable CA file).
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// The config file: named contexts.
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
    pub api_key: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

impl ConfigFile {
    /// Reads the file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| SettingsError::Parse {
                path: path.to_owned(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => {
                Err(SettingsError::Io { what: "reading", path: path.to_owned(), source })
            }
        }
    }

    /// Writes the file (mode 0600 from creation: it may hold an API key), creating its directory.
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        fn io<'a>(
            what: &'static str,
            p: &'a Path,
        ) -> impl FnOnce(std::io::Error) -> SettingsError + 'a {
            move |source| SettingsError::Io { what, path: p.to_owned(), source }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io("creating", dir))?;
        }
        let text = toml::to_string(self).map_err(|e| SettingsError::Encode(e.to_string()))?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(path).map_err(io("writing", path))?;
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io("writing", path))
    }
}

/// What the user gave explicitly (flags or environment); unset fields fall back to the context.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub server: Option<String>,
    pub api_key: Option<Secret>,
    pub api_key_file: Option<PathBuf>,
    pub ca_cert: Option<PathBuf>,
    /// Context name [default: the file's current context].
    pub context: Option<String>,
    /// Config file [default: `$XDG_CONFIG_HOME/certctl/config.toml`, else `~/.config/...`].
    pub config_file: Option<PathBuf>,
}

fn read_key(path: &Path) -> Result<String, SettingsError> {
    let key = std::fs::read_to_string(path).map_err(|source| SettingsError::Io {
        what: "reading the API key file",
        path: path.to_owned(),
        source,
    })?;
    Ok(key.trim().to_owned())
}

impl Settings {
    /// The config file in force, if a location can be named at all.
    pub fn config_path(&self) -> Option<PathBuf> {
        if let Some(p) = &self.config_file {
            return Some(p.clone());
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("certctl").join("config.toml"))
    }

    /// The context in force: [`Settings::context`], else the file's current context, else none.
    pub fn resolve_context(&self) -> Result<Context, SettingsError> {
        let Some(path) = self.config_path() else {
            return Ok(Context::default());
        };
        let file = ConfigFile::load(&path)?;
        match self.context.clone().or(file.current_context.clone()) {
            None => Ok(Context::default()),
            Some(name) => file
                .contexts
                .get(&name)
                .cloned()
                .ok_or(SettingsError::UnknownContext { name, path }),
        }
    }

    /// Builds the client from the settings in force.
    pub fn client(&self) -> Result<Client, SettingsError> {
        let ctx = self.resolve_context()?;
        let server =
            self.server.clone().or(ctx.server).unwrap_or_else(|| DEFAULT_SERVER.to_owned());
        let key = match (&self.api_key, &self.api_key_file) {
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
        if let Some(ca) = self.ca_cert.clone().or(ctx.ca_cert) {
            b = b.ca_cert_file(ca);
        }
        Ok(b.build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_context_and_unknown_context_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let key = dir.path().join("key");
        std::fs::write(&key, "ck_from_file\n").unwrap();
        let mut file = ConfigFile { current_context: Some("prod".into()), ..Default::default() };
        file.contexts.insert(
            "prod".into(),
            Context {
                server: Some("https://prod:8443".into()),
                api_key_file: Some(key),
                ..Default::default()
            },
        );
        file.save(&path).unwrap();
        let s = Settings { config_file: Some(path.clone()), ..Default::default() };
        assert_eq!(s.client().unwrap().base_url().as_str(), "https://prod:8443/");
        let s = Settings {
            server: Some("http://flag:1".into()),
            config_file: Some(path.clone()),
            ..Default::default()
        };
        assert_eq!(s.client().unwrap().base_url().as_str(), "http://flag:1/");
        let s = Settings {
            context: Some("nope".into()),
            config_file: Some(path),
            ..Default::default()
        };
        assert!(
            matches!(s.client(), Err(SettingsError::UnknownContext { name, .. }) if name == "nope")
        );
        let none =
            Settings { config_file: Some(dir.path().join("missing.toml")), ..Default::default() };
        assert_eq!(none.client().unwrap().base_url().as_str(), "http://127.0.0.1:8443/");
    }
}
