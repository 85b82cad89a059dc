//! Deployment targets: the [`Target`] trait, the `file` and `nginx` connectors, and the shared
//! transactional deployment primitive the agent runs on its host (feature `agent`).
//!
//! Every deployment follows the same steps (see [`install`]): write each file to a temp file in
//! its destination directory, fsync, set its mode (keys 0600, certificates 0644), keep the current
//! file as a backup (a hard link), rename into place, run the validate command, run the reload
//! command, verify that the new certificate is what is served — and on any failure put the backups
//! back and reload again. Deploying the same material twice changes nothing. Commands are argv
//! arrays run without a shell ([`argv`] refuses shell metacharacters, at the API and here).
//! Before any of this, the host's [`policy`] checks every command and every path of the target:
//! the server asks, the host decides.
//!
//! ```no_run
//! # #[cfg(feature = "agent")]
//! # async fn run(chain_pem: String, key_pem: String) -> Result<(), Box<dyn std::error::Error>> {
//! use certctl::target::{from_config, DeployOptions, HostPolicy, Material};
//!
//! let target = from_config("file", &serde_json::json!({
//!     "fullchain_path": "/etc/ssl/certctl/app/fullchain.pem", "key_path": "/etc/ssl/certctl/app/key.pem",
//!     "reload_command": ["systemctl", "reload", "app"],
//! }))?;
//! // what this host allows (the agent reads it from CERTCTL_AGENT_ALLOWED_COMMANDS / _PATHS)
//! let opts = DeployOptions { policy: HostPolicy::parse("systemd-reload:app", "/etc/ssl/certctl")?, ..Default::default() };
//! let outcome = target.deploy(&Material::new(&chain_pem, key_pem)?, &opts).await?;
//! println!("deployed {} (changed: {})", outcome.fingerprint, outcome.changed);
//! # Ok(()) }
//! ```

mod argv;
mod owner;
pub mod privileged;
pub use argv::{SHELL_METACHARACTERS, argv, config_path};
pub use owner::account;

#[cfg(feature = "agent")]
mod command;
#[cfg(feature = "agent")]
mod deploy;
#[cfg(feature = "agent")]
mod file;
#[cfg(feature = "agent")]
mod material;
#[cfg(feature = "agent")]
mod nginx;
#[cfg(feature = "agent")]
pub mod policy;
#[cfg(feature = "agent")]
mod verify;

#[cfg(feature = "agent")]
pub use agent_side::*;

#[cfg(feature = "agent")]
mod agent_side {
    use std::fmt;
    use std::path::PathBuf;
    use std::time::Duration;

    pub use super::command::{CommandError, run_command};
    pub(crate) use super::deploy::write_replace;
    pub use super::deploy::{FileSpec, install, recover};
    pub use super::file::FileTarget;
    pub use super::material::{Material, leaf_spki};
    pub use super::nginx::NginxTarget;
    pub use super::owner::Ownership;
    pub use super::policy::HostPolicy;
    pub use super::verify::served_fingerprint;
    use crate::error::{Error, Result};

    /// The step of a deployment, named in every failure report.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum Step {
        /// The host's execution policy refused a command or a path; nothing was written or run.
        Policy,
        /// Writing the temp files, the backups or renaming them into place.
        Write,
        /// The validate command (e.g. `nginx -t`).
        Validate,
        /// The reload command (e.g. `nginx -s reload`).
        Reload,
        /// Checking that the new certificate is served.
        Verify,
        /// Putting the previous files back after a failure.
        Rollback,
    }

    impl fmt::Display for Step {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                Step::Policy => "policy",
                Step::Write => "write",
                Step::Validate => "validate",
                Step::Reload => "reload",
                Step::Verify => "verify",
                Step::Rollback => "rollback",
            })
        }
    }

    /// A failed deployment: the step that failed and what happened (command stderr tail,
    /// whether the previous files were restored).
    #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
    #[error("{step}: {message}")]
    pub struct DeployError {
        /// The step that failed.
        pub step: Step,
        /// What happened, ending with the rollback outcome when files had been replaced.
        pub message: String,
    }

    impl DeployError {
        pub(crate) fn new(step: Step, message: impl Into<String>) -> Self {
            Self { step, message: message.into() }
        }
    }

    /// A successful deployment.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct DeployOutcome {
        /// SHA-256 of the deployed leaf (lowercase hex).
        pub fingerprint: String,
        /// False when every file already held this material (nothing was written or reloaded).
        pub changed: bool,
    }

    /// Settings of a deployment run that do not come from the target's config.
    #[derive(Clone, Debug)]
    pub struct DeployOptions {
        /// Where the in-flight deployment is journaled, so that [`recover`] can put the previous
        /// files back after a crash or restart mid-deployment (the agent keeps it in its state dir).
        pub journal: Option<PathBuf>,
        /// Limit for each validate or reload command.
        pub command_timeout: Duration,
        /// What this host allows: every command and every file of a deployment is checked
        /// against it before anything is written or run (default: [`HostPolicy::default`]).
        pub policy: HostPolicy,
    }

    impl Default for DeployOptions {
        fn default() -> Self {
            Self {
                journal: None,
                command_timeout: Duration::from_secs(60),
                policy: HostPolicy::default(),
            }
        }
    }

    /// A deployment target connector.
    #[async_trait::async_trait]
    pub trait Target: Send + Sync + fmt::Debug {
        /// The connector type (`file`, `nginx`).
        fn kind(&self) -> &'static str;
        /// The files this target installs for `material`, with their modes.
        fn files(&self, material: &Material) -> Vec<FileSpec>;
        /// The reload command, if any (also run again after a rollback).
        fn reload_command(&self) -> Option<&[String]>;
        /// Every command a deployment may run, by config key (`validate_command`,
        /// `reload_command`): checked against the host's [`HostPolicy`] before anything runs.
        fn commands(&self) -> Vec<(&'static str, &[String])>;
        /// Checks the installed configuration (e.g. `nginx -t`); Ok when there is nothing to check.
        async fn validate(&self, opts: &DeployOptions) -> Result<(), DeployError>;
        /// Checks that the certificate with `fingerprint` is what is served; Ok when the target
        /// has no way to tell.
        async fn verify(&self, fingerprint: &str) -> Result<(), DeployError>;
        /// Installs `material` with the shared transactional primitive ([`install`]).
        async fn deploy(
            &self,
            material: &Material,
            opts: &DeployOptions,
        ) -> Result<DeployOutcome, DeployError> {
            install(self, material, opts).await
        }
    }

    /// The connector for a target type and its JSON config (as stored on the server).
    pub fn from_config(target_type: &str, config: &serde_json::Value) -> Result<Box<dyn Target>> {
        match target_type {
            "file" => Ok(Box::new(FileTarget::from_config(config)?)),
            "nginx" => Ok(Box::new(NginxTarget::from_config(config)?)),
            other => Err(Error::invalid(
                "target_type",
                format!("this agent has no {other:?} connector; available: file, nginx"),
            )),
        }
    }

    /// An optional command of a config (`<key>` as an argv array), checked with [`argv`].
    pub(crate) fn opt_command(
        config: &serde_json::Value,
        key: &str,
    ) -> Result<Option<Vec<String>>> {
        match config.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => super::argv(&format!("config.{key}"), v).map(Some),
        }
    }

    /// An optional absolute path of a config (no `..` component, no NUL), checked with [`config_path`](super::config_path).
    pub(crate) fn opt_path(config: &serde_json::Value, key: &str) -> Result<Option<PathBuf>> {
        match config.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => super::config_path(&format!("config.{key}"), v).map(Some),
        }
    }
}

#[cfg(all(test, feature = "agent"))]
mod tests;
