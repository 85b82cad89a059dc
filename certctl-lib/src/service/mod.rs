//! Use cases of the control plane: what the REST API, the scheduler and the demo run. Handlers
//! parse, call one of these, render; every rule (validation, defaults, permissions, audit) is here.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::issuer::{AcmeIssuer, IssuerConnector, IssuerRegistry, LocalCa, LocalIssuer};
use crate::model::*;
use crate::store::Store;

mod acme;
mod acme_host;
mod admission;
pub mod audit;
pub mod auth;
mod batch;
mod bootstrap;
mod certificates;
mod channels;
mod commits;
mod connectors;
pub mod demo;
mod engine;
pub mod events;
mod fleet;
mod fleet_certs;
mod heartbeats;
mod jobs;
pub mod keystore;
mod lifecycle;
pub mod notify;
mod org;
mod outbound;
mod policies;
mod processor;
mod reads;
mod records;
mod snapshot;
mod tasks;
pub mod validate;
mod violations;

pub use crate::api::EvaluateInput;
pub use audit::AuditFeed;
pub use auth::{Access, Actor, Bootstrap};
pub use bootstrap::Bootstrapped;
pub use events::visible_to;
pub use jobs::Started;
pub use keystore::KeyStore;
pub use notify::{DeliveryReport, NotifySettings};
pub use processor::RenewalReport;
pub use violations::ViolationReport;

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

/// How long the job processor's claim on a Running job lasts without being extended: a server
/// that dies holding a claim leaves the job Running for at most this long before another pass
/// (of this server after a restart, or of another replica) takes it back.
pub const DEFAULT_JOB_LEASE: std::time::Duration = std::time::Duration::from_secs(300);

/// A signed checkpoint of the audit chain is written after this many new events by default.
pub const DEFAULT_AUDIT_CHECKPOINT_EVERY: u64 = 1000;

/// How long a job waits for an agent (CSR or deployment report) before it fails.
pub const DEFAULT_AGENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Settings of the service that do not live in the database.
#[derive(Clone)]
pub struct ServiceConfig {
    /// Token with which agents may register themselves (`CERTCTL_AGENT_BOOTSTRAP_TOKEN`).
    pub bootstrap_token: Option<String>,
    pub keygen_mode: KeygenMode,
    /// How long a job waits for an agent before failing (default 24 h).
    pub agent_timeout: std::time::Duration,
    /// Key that seals server-held keys (`CERTCTL_SECRET_KEY`, 64 hex chars); else `secret.key`.
    pub secret_key: Option<String>,
    /// Notification delivery: default channels, public URL, retries, timeouts.
    pub notify: NotifySettings,
    /// DNS-01 hooks by name (`CERTCTL_ACME_DNS_HOOKS` / `[acme.dns_hooks.NAME]`): the only
    /// commands the server runs; issuer configs name one with `dns_hook`.
    pub dns_hooks: crate::issuer::acme::DnsHooks,
    /// How long the job processor's claim on a Running job lasts unless extended (default 5 min).
    pub job_lease: std::time::Duration,
    /// A signed audit checkpoint after this many new events (default 1000).
    pub audit_checkpoint_every: u64,
    /// Where the latest checkpoint's `SEQ:MAC` is written (`Service::open`: `<data-dir>/audit-checkpoint`).
    pub audit_checkpoint_file: Option<std::path::PathBuf>,
    /// Which addresses outbound connections that users configure (channels, ACME, rfc2136) may
    /// reach: global ones plus `CERTCTL_ALLOW_PRIVATE_TARGETS` (default: no internal range).
    pub outbound: crate::net::AddressPolicy,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            bootstrap_token: None,
            keygen_mode: KeygenMode::Agent,
            agent_timeout: DEFAULT_AGENT_TIMEOUT,
            secret_key: None,
            notify: NotifySettings::default(),
            job_lease: DEFAULT_JOB_LEASE,
            audit_checkpoint_every: DEFAULT_AUDIT_CHECKPOINT_EVERY,
            audit_checkpoint_file: None,
            dns_hooks: Default::default(),
            outbound: crate::net::AddressPolicy::strict(),
        }
    }
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("bootstrap_token", &self.bootstrap_token.as_ref().map(|_| "<redacted>"))
            .field("keygen_mode", &self.keygen_mode)
            .field("agent_timeout", &self.agent_timeout)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<redacted>"))
            .field("notify", &self.notify)
            .field("dns_hooks", &self.dns_hooks.names())
            .field("job_lease", &self.job_lease)
            .field("audit_checkpoint_every", &self.audit_checkpoint_every)
            .field("audit_checkpoint_file", &self.audit_checkpoint_file)
            .field("outbound", &self.outbound)
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
    issuers: Arc<IssuerRegistry>,
    keystore: Option<Arc<KeyStore>>,
    tasks: Arc<tasks::Tasks>,
    snapshot: Arc<snapshot::SnapshotCell>,
    events: Arc<events::AuditFeed>,
    notify_ctx: Arc<std::sync::OnceLock<crate::notify::NotifyContext>>,
    acme: Arc<acme::AcmeRuntime>,
}

impl Service {
    /// A service over `store` with the Local CA `ca`, its background tasks started on the
    /// current tokio runtime ([`tasks`]).
    fn new(store: Arc<dyn Store>, ca: LocalCa, config: ServiceConfig) -> Result<Self> {
        let ca = Arc::new(ca);
        let mut issuers = IssuerRegistry::default();
        issuers.register(Arc::new(LocalIssuer::new(ca.clone())));
        issuers
            .register(Arc::new(AcmeIssuer::new(config.dns_hooks.clone(), config.outbound.clone())));
        let events = events::AuditFeed::new(&*store);
        let tasks = Arc::new(tasks::Tasks::start(&store, &events)?);
        Ok(Self {
            store,
            ca,
            config: Arc::new(config),
            auth_cache: Arc::default(),
            issuers: Arc::new(issuers),
            keystore: None,
            tasks,
            snapshot: Arc::default(),
            events,
            acme: Arc::default(),
            notify_ctx: Arc::default(),
        })
    }

    /// The same service sealing server-held keys with `keystore`; the store MACs audit events
    /// with the audit key derived from it.
    pub fn with_keystore(mut self, keystore: KeyStore) -> Self {
        self.store.set_audit_key(keystore.audit_key());
        self.keystore = Some(Arc::new(keystore));
        self
    }

    /// The key store (server-held keys, ACME account keys, EAB keys, the audit key).
    pub(crate) fn keystore(&self) -> Result<&KeyStore> {
        self.keystore.as_deref().ok_or_else(|| Error::Conflict("no secret key is configured (CERTCTL_SECRET_KEY or <data-dir>/secret.key) to seal server-held keys and ACME accounts".into()))
    }

    /// Moves each secret `key` of a JSON config (a string in the clear) to `<key>_sealed`,
    /// sealed with the key store, so it is stored but never shown. Issuer and notification
    /// channel configs both go through here.
    pub(crate) fn seal_config_secrets(
        &self,
        config: &mut serde_json::Value,
        keys: &[&str],
    ) -> Result<()> {
        if let Some(obj) = config.as_object_mut() {
            for k in keys {
                if let Some(serde_json::Value::String(plain)) = obj.remove(*k) {
                    obj.insert(
                        format!("{k}_sealed"),
                        self.keystore()?.seal(plain.as_bytes())?.into(),
                    );
                }
            }
        }
        Ok(())
    }

    /// The same service with one more issuer connector.
    pub fn with_issuer(mut self, c: Arc<dyn IssuerConnector>) -> Self {
        Arc::make_mut(&mut self.issuers).register(c);
        self
    }

    /// The connector for an issuer record's type.
    pub fn connector(&self, issuer_type: &str) -> Result<Arc<dyn IssuerConnector>> {
        self.issuers.get(issuer_type).cloned().ok_or_else(|| {
            Error::invalid(
                "type",
                format!(
                    "unknown issuer type {issuer_type:?}; available: {}",
                    self.issuers.types().join(", ")
                ),
            )
        })
    }

    /// Opens the Local CA in `data_dir` (creating it on first start) and builds the service.
    /// The key store (server-held keys, ACME accounts) is `CERTCTL_SECRET_KEY` or
    /// `<data-dir>/secret.key` (created 0600 on first start). Starts the service's background
    /// tasks on the current tokio runtime (an error outside one); they end on
    /// [`shutdown`](Self::shutdown) or when the last clone of the service is dropped.
    pub fn open(store: Arc<dyn Store>, data_dir: &Path, mut config: ServiceConfig) -> Result<Self> {
        config
            .audit_checkpoint_file
            .get_or_insert_with(|| data_dir.join(crate::audit::CHECKPOINT_FILE));
        let keystore = match &config.secret_key {
            Some(hex) => Some(KeyStore::from_hex(hex)?),
            None => Some(KeyStore::load_or_create(data_dir)?),
        };
        let svc = Self::new(store, LocalCa::load_or_create(data_dir)?, config)?;
        Ok(match keystore {
            Some(k) => svc.with_keystore(k),
            None => svc,
        })
    }

    /// The store (callers outside the library go through the service's methods).
    pub(crate) fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// A shared handle on the store.
    pub(crate) fn store_arc(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The store, for test suites that arrange or inspect rows directly (feature `testing`
    /// only: the server and the tools never see it).
    #[cfg(feature = "testing")]
    pub fn store_for_tests(&self) -> &dyn Store {
        &*self.store
    }

    /// A shared handle on the store, for test suites that open a second service over it
    /// (feature `testing` only).
    #[cfg(feature = "testing")]
    pub fn store_arc_for_tests(&self) -> Arc<dyn Store> {
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
            return Ok(Actor {
                name: "bootstrap".into(),
                kind: ActorType::Agent,
                role: Role::Agent,
                agent_id: None,
                bootstrap: Some(Bootstrap::Setting),
            });
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
                Some(agent) => Actor {
                    name: agent.to_string(),
                    kind: ActorType::Agent,
                    role: Role::Agent,
                    agent_id: Some(agent),
                    bootstrap: None,
                },
                None => Actor {
                    name: k.name,
                    kind: ActorType::User,
                    role: k.role,
                    agent_id: None,
                    bootstrap: None,
                },
            },
            // a bootstrap token created through the API (not cached: expiry and uses change)
            _ => return self.bootstrap_actor(&hash).await,
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
