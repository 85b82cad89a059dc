//! Use cases of the control plane: what the REST API, the scheduler and the demo run. Handlers
//! parse, call one of these, render; every rule (validation, defaults, permissions, audit) is here.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::issuer::LocalCa;
use crate::model::*;
use crate::store::Store;

pub mod auth;
mod bootstrap;
mod certificates;
mod connectors;
pub mod demo;
mod fleet;
mod jobs;
mod org;
mod records;
pub mod validate;

pub use auth::{Access, Actor};
pub use bootstrap::Bootstrapped;

/// Id of the Local CA issuer every installation has.
pub const LOCAL_ISSUER_ID: &str = "iss-local";
/// Id of the renewal policy certificates get when they name none.
pub const DEFAULT_RENEWAL_POLICY_ID: &str = "rp-default";

/// Where private keys are generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeygenMode {
    /// On the agent that deploys the certificate (default; keys never reach the server).
    #[default]
    Agent,
    /// On the server (demo only).
    Server,
}

/// Settings of the service that do not live in the database.
#[derive(Clone, Default)]
pub struct ServiceConfig {
    /// Token with which agents may register themselves (`CERTCTL_AGENT_BOOTSTRAP_TOKEN`).
    pub bootstrap_token: Option<String>,
    pub keygen_mode: KeygenMode,
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("bootstrap_token", &self.bootstrap_token.as_ref().map(|_| "<redacted>"))
            .field("keygen_mode", &self.keygen_mode)
            .finish()
    }
}

/// How long a verified API key is remembered. Revoking a key clears this replica's cache at
/// once; other replicas stop accepting it within this time.
pub const AUTH_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Verified keys by hash: skips one database read per request.
type AuthCache = std::sync::Mutex<std::collections::HashMap<String, (Actor, std::time::Instant)>>;

/// The control plane's use cases over a [`Store`] and the Local CA.
#[derive(Debug, Clone)]
pub struct Service {
    store: Arc<dyn Store>,
    ca: Arc<LocalCa>,
    config: Arc<ServiceConfig>,
    auth_cache: Arc<AuthCache>,
}

impl Service {
    /// A service over `store`, with the Local CA kept in `data_dir`.
    pub fn new(store: Arc<dyn Store>, ca: LocalCa, config: ServiceConfig) -> Self {
        Self { store, ca: Arc::new(ca), config: Arc::new(config), auth_cache: Arc::default() }
    }

    /// Opens the Local CA in `data_dir` (creating it on first start) and builds the service.
    pub fn open(store: Arc<dyn Store>, data_dir: &Path, config: ServiceConfig) -> Result<Self> {
        Ok(Self::new(store, LocalCa::load_or_create(data_dir)?, config))
    }

    /// The store, for reads that need no rule.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// A shared handle on the store.
    pub fn store_arc(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The Local CA.
    pub fn local_ca(&self) -> &LocalCa {
        &self.ca
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Who is calling, from a bearer token: the bootstrap token, or an unrevoked API key.
    pub async fn authenticate(&self, bearer: &str) -> Result<Actor> {
        if let Some(token) = self.config.bootstrap_token.as_deref()
            && auth::secrets_equal(bearer, token)
        {
            return Ok(Actor { name: "bootstrap".into(), kind: ActorType::Agent, role: Role::Agent, agent_id: None, bootstrap: true });
        }
        let hash = auth::hash_secret(bearer);
        if let Ok(cache) = self.auth_cache.lock()
            && let Some((actor, at)) = cache.get(&hash)
            && at.elapsed() < AUTH_CACHE_TTL
        {
            return Ok(actor.clone());
        }
        let key = self.store.find_api_key_by_hash(&hash).await?;
        let actor = match key {
            Some(k) if auth::secrets_equal(&k.key_hash, &hash) => match k.agent_id {
                Some(agent) => Actor { name: agent.to_string(), kind: ActorType::Agent, role: Role::Agent, agent_id: Some(agent), bootstrap: false },
                None => Actor { name: k.name, kind: ActorType::User, role: k.role, agent_id: None, bootstrap: false },
            },
            _ => return Err(Error::Unauthenticated("invalid or revoked API key".into())),
        };
        if let Ok(mut cache) = self.auth_cache.lock() {
            if cache.len() >= 10_000 {
                cache.clear();
            }
            cache.insert(hash, (actor.clone(), std::time::Instant::now()));
        }
        Ok(actor)
    }

    /// Forgets every remembered key (after a revocation).
    pub(crate) fn clear_auth_cache(&self) {
        if let Ok(mut cache) = self.auth_cache.lock() {
            cache.clear();
        }
    }
}
