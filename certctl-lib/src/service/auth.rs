//! API keys and who may do what: secrets are random, stored as SHA-256, compared in constant
//! time; roles map to [`Access`] levels.

use std::fmt;

use aws_lc_rs::{constant_time, digest, rand};

use crate::error::{Error, Result};
use crate::model::{ActorType, AgentId, AuditDraft, BootstrapTokenId, Role};

/// Prefix of every secret certctl generates (helps secret scanners spot leaked keys).
pub const SECRET_PREFIX: &str = "certctl_";

/// A new random secret: the prefix and 32 random bytes in hex.
pub fn generate_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes).map_err(|_| Error::Storage("the random generator failed".into()))?;
    Ok(format!("{SECRET_PREFIX}{}", hex::encode(bytes)))
}

/// SHA-256 of a secret, lowercase hex: what the database stores.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, secret.as_bytes()))
}

/// Compares two secrets (or hashes) in time independent of where they differ.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (ha, hb) = (
        digest::digest(&digest::SHA256, a.as_bytes()),
        digest::digest(&digest::SHA256, b.as_bytes()),
    );
    constant_time::verify_slices_are_equal(ha.as_ref(), hb.as_ref()).is_ok()
}

/// What a request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read anything (viewer and up).
    Read,
    /// Change inventory and run actions (operator and up).
    Write,
    /// Manage API keys and roles (admin only).
    Admin,
    /// Act as this agent: its own key only (no user role may heartbeat, fetch work, send CSRs
    /// or report jobs for an agent).
    Agent(AgentId),
    /// Register an agent (admin/operator, or the bootstrap token).
    RegisterAgent,
}

/// The authenticated caller.
#[derive(Clone, PartialEq, Eq)]
pub struct Actor {
    /// Key name, or the agent id for agent keys.
    pub name: String,
    pub kind: ActorType,
    pub role: Role,
    /// Set for agent keys.
    pub agent_id: Option<AgentId>,
    /// Authenticated with an agent bootstrap token (may only self-register).
    pub bootstrap: Option<Bootstrap>,
}

/// Which bootstrap token a caller presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// The server setting `CERTCTL_AGENT_BOOTSTRAP_TOKEN` (quick start: no expiry, no limit).
    Setting,
    /// A token created through the API (`POST /bootstrap-tokens`).
    Token(BootstrapTokenId),
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Actor({} {:?} {})", self.name, self.kind, self.role)
    }
}

impl Actor {
    /// The control plane itself (scheduler loops, start-up).
    pub fn system() -> Self {
        Actor {
            name: "system".into(),
            kind: ActorType::System,
            role: Role::Admin,
            agent_id: None,
            bootstrap: None,
        }
    }

    /// Everything is allowed (`--auth none` demo mode); audited as `anonymous`.
    pub fn anonymous_admin() -> Self {
        Actor {
            name: "anonymous".into(),
            kind: ActorType::User,
            role: Role::Admin,
            agent_id: None,
            bootstrap: None,
        }
    }

    /// Whether this caller may do what `access` requires.
    pub fn allows(&self, access: &Access) -> bool {
        if self.bootstrap.is_some() {
            return *access == Access::RegisterAgent;
        }
        match (self.role, access) {
            (Role::Agent, Access::Agent(id)) => self.agent_id.as_ref() == Some(id),
            (Role::Agent, _) | (_, Access::Agent(_)) => false,
            (Role::Admin, _) => true,
            (Role::Operator, Access::Admin) => false,
            (Role::Operator, _) => true,
            (Role::Viewer, Access::Read) => true,
            (Role::Viewer, _) => false,
        }
    }

    /// [`Error::Forbidden`] unless [`allows`](Self::allows).
    pub fn require(&self, access: &Access) -> Result<()> {
        if self.allows(access) {
            return Ok(());
        }
        let what = match access {
            Access::Read => "read access".to_owned(),
            Access::Write => "the operator or admin role".to_owned(),
            Access::Admin => "the admin role".to_owned(),
            Access::Agent(id) => format!("the key of agent {id}"),
            Access::RegisterAgent => "the operator or admin role or the bootstrap token".to_owned(),
        };
        Err(Error::Forbidden(format!(
            "{} ({}) may not do this: it needs {what}",
            self.name, self.role
        )))
    }

    /// `GET /whoami`: who this caller is and what its role allows.
    pub fn whoami(&self) -> crate::api::Whoami {
        crate::api::Whoami {
            name: self.name.clone(),
            role: self.role,
            actor_type: self.kind,
            can_write: self.allows(&Access::Write),
            can_admin: self.allows(&Access::Admin),
        }
    }

    /// An audit draft for an action of this caller.
    pub fn audit(
        &self,
        action: &str,
        resource_type: &str,
        resource_id: impl Into<String>,
    ) -> AuditDraft {
        AuditDraft::new(self.name.clone(), self.kind, action, resource_type, resource_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        let a = generate_secret().unwrap();
        assert!(a.starts_with(SECRET_PREFIX) && a.len() == SECRET_PREFIX.len() + 64);
        assert_ne!(a, generate_secret().unwrap());
        assert_eq!(hash_secret(&a).len(), 64);
        assert!(secrets_equal(&a, &a.clone()));
        assert!(!secrets_equal(&a, "certctl_x"));
    }

    #[test]
    fn roles() {
        let user = |role| Actor {
            name: "k".into(),
            kind: ActorType::User,
            role,
            agent_id: None,
            bootstrap: None,
        };
        let agent = Actor {
            name: "ag-1".into(),
            kind: ActorType::Agent,
            role: Role::Agent,
            agent_id: Some("ag-1".into()),
            bootstrap: None,
        };
        assert!(
            user(Role::Viewer).allows(&Access::Read) && !user(Role::Viewer).allows(&Access::Write)
        );
        assert!(
            user(Role::Operator).allows(&Access::Write)
                && !user(Role::Operator).allows(&Access::Admin)
        );
        assert!(user(Role::Admin).allows(&Access::Admin));
        assert!(
            agent.allows(&Access::Agent("ag-1".into()))
                && !agent.allows(&Access::Agent("ag-2".into()))
        );
        assert!(!agent.allows(&Access::Read));
        let boot = Actor { bootstrap: Some(Bootstrap::Setting), ..agent.clone() };
        assert!(boot.allows(&Access::RegisterAgent) && !boot.allows(&Access::Agent("ag-1".into())));
        // only the agent's own key acts as the agent: no user role, however high
        for role in [Role::Admin, Role::Operator, Role::Viewer] {
            assert!(!user(role).allows(&Access::Agent("ag-1".into())), "{role}");
        }
        assert!(
            user(Role::Admin)
                .require(&Access::Agent("ag-1".into()))
                .unwrap_err()
                .to_string()
                .contains("the key of agent ag-1")
        );
        assert!(
            user(Role::Viewer)
                .require(&Access::Write)
                .unwrap_err()
                .to_string()
                .contains("operator")
        );
    }
}
