//! The `nginx` connector: full chain and key where `ssl_certificate` / `ssl_certificate_key`
//! point, `nginx -t`, `nginx -s reload`, then a TLS handshake until the new leaf is served.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::privileged::{NGINX_RELOAD_COMMAND, NGINX_VALIDATE_COMMAND};
use super::{
    DeployError, DeployOptions, FileSpec, Material, Ownership, Step, Target, opt_command, opt_path,
    run_command, served_fingerprint,
};
use crate::error::{Error, Result};

/// Handshakes in a row that must show the deployed leaf.
const CONSECUTIVE_MATCHES: u32 = 3;

/// Config of an `nginx` target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NginxTarget {
    /// `ssl_certificate`: the full chain, or the leaf alone when `chain_path` is set.
    pub cert_path: PathBuf,
    /// `ssl_certificate_key` (0600).
    pub key_path: PathBuf,
    /// Intermediates in their own file (e.g. for `ssl_trusted_certificate`).
    pub chain_path: Option<PathBuf>,
    /// Default `["nginx", "-t"]`.
    pub validate_command: Vec<String>,
    /// Default `["nginx", "-s", "reload"]`.
    pub reload_command: Vec<String>,
    /// `host:port` to handshake with after the reload; no check when absent.
    pub verify_address: Option<String>,
    /// SNI sent in the check.
    pub verify_server_name: Option<String>,
    /// How long the new certificate may take to be served (reloads are asynchronous); default 15 s.
    pub verify_timeout: Duration,
    /// Owner and group of the files written (`owner`, `group`: names or ids).
    pub owner: Ownership,
}

impl NginxTarget {
    /// Reads the JSON config stored on the server.
    pub fn from_config(c: &serde_json::Value) -> Result<Self> {
        let need = |k: &str| {
            opt_path(c, k)?.ok_or_else(|| {
                Error::invalid(format!("config.{k}"), "is required for an nginx target")
            })
        };
        let text = |k: &str| -> Result<Option<String>> {
            match c.get(k) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) => v
                    .as_str()
                    .map(|s| Some(s.to_owned()))
                    .ok_or_else(|| Error::invalid(format!("config.{k}"), "must be a string")),
            }
        };
        let secs = match c.get("verify_timeout_seconds") {
            None | Some(serde_json::Value::Null) => 15,
            Some(v) => v.as_u64().filter(|s| (1..=600).contains(s)).ok_or_else(|| {
                Error::invalid("config.verify_timeout_seconds", "must be 1..=600")
            })?,
        };
        Ok(Self {
            cert_path: need("cert_path")?,
            key_path: need("key_path")?,
            chain_path: opt_path(c, "chain_path")?,
            validate_command: opt_command(c, "validate_command")?
                .unwrap_or_else(|| owned(NGINX_VALIDATE_COMMAND)),
            reload_command: opt_command(c, "reload_command")?
                .unwrap_or_else(|| owned(NGINX_RELOAD_COMMAND)),
            verify_address: text("verify_address")?,
            verify_server_name: text("verify_server_name")?,
            verify_timeout: Duration::from_secs(secs),
            owner: Ownership::from_config(c)?,
        })
    }
}

fn owned(argv: &[&str]) -> Vec<String> {
    argv.iter().map(|s| (*s).to_owned()).collect()
}

#[async_trait::async_trait]
impl Target for NginxTarget {
    fn kind(&self) -> &'static str {
        "nginx"
    }

    fn files(&self, m: &Material) -> Vec<FileSpec> {
        let cert =
            if self.chain_path.is_some() { m.cert_pem().to_owned() } else { m.fullchain_pem() };
        let mut files = vec![
            FileSpec {
                field: "cert_path",
                path: self.cert_path.clone(),
                contents: cert.into_bytes(),
                mode: 0o644,
                owner: self.owner,
            },
            FileSpec {
                field: "key_path",
                path: self.key_path.clone(),
                contents: m.key_pem().as_bytes().to_vec(),
                mode: 0o600,
                owner: self.owner,
            },
        ];
        if let Some(p) = &self.chain_path {
            files.push(FileSpec {
                field: "chain_path",
                path: p.clone(),
                contents: m.chain_pem().as_bytes().to_vec(),
                mode: 0o644,
                owner: self.owner,
            });
        }
        files
    }

    fn reload_command(&self) -> Option<&[String]> {
        Some(&self.reload_command)
    }

    fn commands(&self) -> Vec<(&'static str, &[String])> {
        vec![("validate_command", &self.validate_command), ("reload_command", &self.reload_command)]
    }

    async fn validate(&self, opts: &DeployOptions) -> Result<(), DeployError> {
        run_command(&self.validate_command, opts.command_timeout)
            .await
            .map_err(|e| DeployError::new(Step::Validate, e.to_string()))
    }

    async fn verify(&self, fingerprint: &str) -> Result<(), DeployError> {
        let Some(addr) = &self.verify_address else { return Ok(()) };
        let deadline = Instant::now() + self.verify_timeout;
        // During a reload the old worker may still answer a few connections: the new leaf must
        // be seen on several handshakes in a row.
        let mut in_a_row = 0;
        loop {
            let seen = served_fingerprint(addr, self.verify_server_name.as_deref()).await;
            match &seen {
                Ok(fp) if fp == fingerprint => {
                    in_a_row += 1;
                    if in_a_row >= CONSECUTIVE_MATCHES {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ if Instant::now() >= deadline => {
                    let what = match seen {
                        Ok(fp) => format!("{addr} still serves {fp}"),
                        Err(e) => e,
                    };
                    return Err(DeployError::new(
                        Step::Verify,
                        format!(
                            "{what}, not the deployed {fingerprint}, after {} s",
                            self.verify_timeout.as_secs()
                        ),
                    ));
                }
                _ => {
                    in_a_row = 0;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}
