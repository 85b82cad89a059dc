//! The agent's logic (feature `agent`), shared by the `certctl-agent` binary and its simulator:
//! host [`metadata`], the saved [`identity`], the local [`keys`] store, and the [`worker`] that
//! turns work items into CSRs and verified deployments.

pub mod http01;
pub mod identity;
pub mod keys;
pub mod metadata;
pub mod worker;

pub use http01::Http01Tokens;
pub use identity::Identity;
pub use keys::{KeyDir, KeySlot};
pub use worker::{RoundReport, Worker};

use crate::client::ClientError;

/// What an agent operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// Talking to the server failed (see [`ClientError::is_unreachable`] for back-off).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Something on this host failed (key directory, state file).
    #[error(transparent)]
    Local(#[from] crate::Error),
}

impl AgentError {
    /// The server could not be reached or did not answer in time: worth retrying with back-off.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AgentError::Client(c) if c.is_unreachable() || matches!(c, ClientError::Timeout))
    }
}
