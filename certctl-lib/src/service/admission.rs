//! Agent admission: bootstrap tokens created through the API (expiry, uses, labels to stamp,
//! approval) and the approval of agents that registered themselves (`Pending` until then).

use super::auth::{self, Access, Bootstrap};
use super::validate::{new_id, required, tags, text};
use super::{Actor, Service};
use crate::api::{BootstrapTokenCreated, BootstrapTokenInput};
use crate::error::{Error, Result};
use crate::model::*;

/// Lifetime of a bootstrap token when none is given.
const DEFAULT_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// Longest lifetime of a bootstrap token.
const MAX_TTL: std::time::Duration = std::time::Duration::from_secs(365 * 86_400);
/// Most registrations one token may allow.
const MAX_USES: i64 = 1_000_000;

impl Service {
    /// Creates a bootstrap token (admin); the secret is returned once.
    pub async fn create_bootstrap_token(
        &self,
        actor: &Actor,
        input: &BootstrapTokenInput,
    ) -> Result<BootstrapTokenCreated> {
        actor.require(&Access::Admin)?;
        let now = Timestamp::now();
        let name = text("name", &required("name", Some(&input.name))?, 200)?;
        tags("labels", &input.labels)?;
        let ttl = match input.expires_in.as_deref() {
            None => DEFAULT_TTL,
            Some(s) => {
                crate::config::parse_duration(s).map_err(|e| Error::invalid("expires_in", e))?
            }
        };
        if ttl < std::time::Duration::from_secs(60) || ttl > MAX_TTL {
            return Err(Error::invalid("expires_in", "must be from 1m to 365d"));
        }
        if let Some(m) = input.max_uses
            && !(1..=MAX_USES).contains(&m)
        {
            return Err(Error::invalid("max_uses", format!("must be from 1 to {MAX_USES}")));
        }
        let secret = auth::generate_secret()?;
        let token = BootstrapToken {
            id: new_id(input.id.as_deref(), BootstrapTokenId::parse, BootstrapTokenId::generate)?,
            name,
            token_hash: auth::hash_secret(&secret),
            labels: input.labels.clone(),
            auto_approve: input.auto_approve,
            max_uses: input.max_uses,
            uses: 0,
            expires_at: now.plus(
                time::Duration::try_from(ttl)
                    .map_err(|_| Error::invalid("expires_in", "is too long"))?,
            ),
            created_by: actor.name.clone(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        let audit = actor.audit("bootstrap_token_created", "bootstrap_token", token.id.as_str()).with_details(serde_json::json!({
            "name": token.name, "expires_at": token.expires_at, "max_uses": token.max_uses, "labels": token.labels,
            "auto_approve": token.auto_approve,
        }));
        let bootstrap_token = self.store().create_bootstrap_token(&token, &audit).await?;
        Ok(BootstrapTokenCreated { bootstrap_token, token: secret })
    }

    /// Every bootstrap token (admin), newest last; never the secrets.
    pub async fn list_bootstrap_tokens(
        &self,
        actor: &Actor,
        q: &crate::api::PageQuery,
    ) -> Result<Page<BootstrapToken>> {
        actor.require(&Access::Admin)?;
        self.store().list_bootstrap_tokens(q.page_request()).await
    }

    pub async fn get_bootstrap_token(
        &self,
        actor: &Actor,
        id: &BootstrapTokenId,
    ) -> Result<BootstrapToken> {
        actor.require(&Access::Admin)?;
        self.store().get_bootstrap_token(id).await
    }

    /// Revokes a bootstrap token (admin): it registers no more agents; those it registered stay.
    pub async fn revoke_bootstrap_token(
        &self,
        actor: &Actor,
        id: &BootstrapTokenId,
    ) -> Result<BootstrapToken> {
        actor.require(&Access::Admin)?;
        self.store()
            .revoke_bootstrap_token(
                id,
                Timestamp::now(),
                &actor.audit("bootstrap_token_revoked", "bootstrap_token", id.as_str()),
            )
            .await
    }

    /// The caller presenting the bootstrap token with SHA-256 `hash`, if it is one that can still
    /// register an agent.
    pub(super) async fn bootstrap_actor(&self, hash: &str) -> Result<Actor> {
        match self.store().find_bootstrap_token_by_hash(hash).await? {
            Some(t) if auth::secrets_equal(&t.token_hash, hash) => {
                if !t.usable(Timestamp::now()) {
                    return Err(Error::Unauthenticated(format!(
                        "bootstrap token {} is revoked, expired or used up",
                        t.id
                    )));
                }
                Ok(Actor {
                    name: format!("bootstrap token {}", t.id),
                    kind: ActorType::Agent,
                    role: Role::Agent,
                    agent_id: None,
                    bootstrap: Some(Bootstrap::Token(t.id)),
                })
            }
            _ => Err(Error::Unauthenticated("invalid or revoked API key".into())),
        }
    }

    /// Admits a `Pending` agent (operator or admin): it gets work, joins its groups and gets its
    /// fleet certificates from now on.
    pub async fn approve_agent(&self, actor: &Actor, id: &AgentId) -> Result<Agent> {
        actor.require(&Access::Write)?;
        let mut agent = self.store().get_agent(id).await?;
        if agent.status != AgentStatus::Pending {
            return Err(Error::Conflict(format!(
                "agent {id} is {}, not Pending: only a pending agent can be approved",
                agent.status
            )));
        }
        // the health loop moves it to Offline if its heartbeats have stopped
        agent.status = if agent.last_heartbeat_at.is_some() {
            AgentStatus::Online
        } else {
            AgentStatus::Offline
        };
        agent.updated_at = Timestamp::now();
        let audit = actor.audit("agent_approved", "agent", id.as_str()).with_details(serde_json::json!({
            "hostname": agent.hostname, "observed_ip": agent.observed_ip, "reported_labels": agent.reported_labels, "labels": agent.labels,
        }));
        let agent = self.store().update_agent(&agent, &audit).await?;
        self.reconcile_agents(std::slice::from_ref(&agent)).await?;
        Ok(agent)
    }

    /// [`Error::Forbidden`] while agent `id` waits for approval.
    pub(super) async fn require_admitted(&self, id: &AgentId) -> Result<()> {
        let agent = self.store().get_agent(id).await?;
        if agent.status == AgentStatus::Pending {
            return Err(Error::Forbidden(format!(
                "agent {id} is pending approval (certctl agents approve {id})"
            )));
        }
        Ok(())
    }
}
