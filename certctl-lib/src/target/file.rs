//! The `file` connector: certificate, chain, full chain, key and an optional combined PEM written
//! to configured paths, then an optional validate and reload command.

use std::path::PathBuf;

use super::{
    DeployError, DeployOptions, FileSpec, Material, Ownership, Step, Target, opt_command, opt_path,
    run_command,
};
use crate::error::{Error, Result};

/// Config of a `file` target (all paths absolute; at least one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileTarget {
    /// The leaf alone.
    pub cert_path: Option<PathBuf>,
    /// The intermediates.
    pub chain_path: Option<PathBuf>,
    /// Leaf + intermediates.
    pub fullchain_path: Option<PathBuf>,
    /// The private key (0600).
    pub key_path: Option<PathBuf>,
    /// Key + leaf + intermediates in one file (0600, it holds the key).
    pub combined_path: Option<PathBuf>,
    /// Checks the result before the reload.
    pub validate_command: Option<Vec<String>>,
    /// Makes the consumer pick the files up.
    pub reload_command: Option<Vec<String>>,
    /// Owner and group of every file written (`owner`, `group`: names or ids).
    pub owner: Ownership,
}

impl FileTarget {
    /// Reads the JSON config stored on the server.
    pub fn from_config(c: &serde_json::Value) -> Result<Self> {
        let t = Self {
            cert_path: opt_path(c, "cert_path")?,
            chain_path: opt_path(c, "chain_path")?,
            fullchain_path: opt_path(c, "fullchain_path")?,
            key_path: opt_path(c, "key_path")?,
            combined_path: opt_path(c, "combined_path")?,
            validate_command: opt_command(c, "validate_command")?,
            reload_command: opt_command(c, "reload_command")?,
            owner: Ownership::from_config(c)?,
        };
        if [&t.cert_path, &t.chain_path, &t.fullchain_path, &t.key_path, &t.combined_path]
            .iter()
            .all(|p| p.is_none())
        {
            return Err(Error::invalid(
                "config",
                "a file target needs at least one of cert_path, chain_path, fullchain_path, key_path, combined_path",
            ));
        }
        Ok(t)
    }
}

#[async_trait::async_trait]
impl Target for FileTarget {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn files(&self, m: &Material) -> Vec<FileSpec> {
        let spec = |field, p: &Option<PathBuf>, contents: String, mode| {
            p.as_ref().map(|p| FileSpec {
                field,
                path: p.clone(),
                contents: contents.into_bytes(),
                mode,
                owner: self.owner,
            })
        };
        [
            spec("cert_path", &self.cert_path, m.cert_pem().to_owned(), 0o644),
            spec("chain_path", &self.chain_path, m.chain_pem().to_owned(), 0o644),
            spec("fullchain_path", &self.fullchain_path, m.fullchain_pem(), 0o644),
            spec("key_path", &self.key_path, m.key_pem().to_owned(), 0o600),
            spec("combined_path", &self.combined_path, m.combined_pem(), 0o600),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn reload_command(&self) -> Option<&[String]> {
        self.reload_command.as_deref()
    }

    fn commands(&self) -> Vec<(&'static str, &[String])> {
        [
            ("validate_command", self.validate_command.as_deref()),
            ("reload_command", self.reload_command.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, c)| c.map(|c| (k, c)))
        .collect()
    }

    async fn validate(&self, opts: &DeployOptions) -> Result<(), DeployError> {
        match &self.validate_command {
            Some(c) => run_command(c, opts.command_timeout)
                .await
                .map_err(|e| DeployError::new(Step::Validate, e.to_string())),
            None => Ok(()),
        }
    }

    async fn verify(&self, _fingerprint: &str) -> Result<(), DeployError> {
        Ok(())
    }
}
