//! The agent's identity: its id and API key, given by the operator or obtained once by
//! registering with the bootstrap token, saved 0600 in `<state dir>/agent.json`.

use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::AgentError;
use crate::api::AgentInput;
use crate::client::Client;
use crate::error::Error;

/// Id and API key of this agent. `Debug` hides the key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub agent_id: String,
    pub api_key: String,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("agent_id", &self.agent_id)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// The file the identity is saved in.
pub const STATE_FILE: &str = "agent.json";

impl Identity {
    /// The identity saved in `state_dir`, if any.
    pub fn load(state_dir: &Path) -> Result<Option<Self>, Error> {
        let path = state_dir.join(STATE_FILE);
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
                Error::invalid(path.display().to_string(), format!("not an agent state file: {e}"))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
        }
    }

    /// Saves it as `state_dir/agent.json` (0600; the directory is created 0700).
    pub fn save(&self, state_dir: &Path) -> Result<(), Error> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(state_dir)
            .map_err(|e| Error::io(format!("cannot create {}", state_dir.display()), e))?;
        let path = state_dir.join(STATE_FILE);
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::Storage(e.to_string()))?;
        crate::target::write_replace(&path, &bytes, 0o600)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
    }

    /// Registers a new agent with the bootstrap token (`client` carries it as its API key) and
    /// saves the answer in `state_dir` before returning it.
    pub async fn register(
        client: &Client,
        name: &str,
        labels: &BTreeMap<String, String>,
        state_dir: &Path,
    ) -> Result<Self, AgentError> {
        let reg = client
            .register_agent(&AgentInput { id: None, name: name.to_owned(), labels: labels.clone() })
            .await?;
        let id = Self { agent_id: reg.agent.id.to_string(), api_key: reg.api_key };
        id.save(state_dir)?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn saved_0600_and_reloaded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        assert_eq!(Identity::load(&dir).unwrap(), None);
        let id = Identity { agent_id: "ag-x".into(), api_key: "secret-key".into() };
        id.save(&dir).unwrap();
        assert_eq!(
            std::fs::metadata(dir.join(STATE_FILE)).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(Identity::load(&dir).unwrap(), Some(id.clone()));
        assert!(!format!("{id:?}").contains("secret-key"));
        id.save(&dir).unwrap();
    }
}
