//! Persistence: one small trait per aggregate under the [`Store`] supertrait, implemented for
//! SQLite ([`SqliteStore`], the embedded default) and PostgreSQL ([`PgStore`]).
//!
//! Every mutating method takes the [`AuditDraft`] that describes it and appends that event to the
//! hash chain in the same transaction as the change: either both are written or neither.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::model::*;

mod codec;
#[macro_use]
mod rows;
#[macro_use]
mod sql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PgStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// Every store trait, for `use certctl::store::prelude::*;` to bring their methods into scope.
pub mod prelude {
    pub use super::{
        AcmeStore, AgentStore, ApiKeyStore, AuditStore, BootstrapTokenStore, CertificateStore,
        ChannelStore, DeliveryStore, GroupStore, IssuerStore, JobStore, NotificationStore,
        OwnerStore, PolicyStore, RenewalPolicyStore, Store, TargetStore, TeamStore,
    };
}

/// Teams.
#[async_trait]
pub trait TeamStore {
    async fn create_team(&self, team: &Team, audit: &AuditDraft) -> Result<Team>;
    async fn get_team(&self, id: &TeamId) -> Result<Team>;
    async fn list_teams(&self, page: PageRequest) -> Result<Page<Team>>;
    async fn update_team(&self, team: &Team, audit: &AuditDraft) -> Result<Team>;
    async fn delete_team(&self, id: &TeamId, audit: &AuditDraft) -> Result<()>;
}

/// Owners.
#[async_trait]
pub trait OwnerStore {
    async fn create_owner(&self, owner: &Owner, audit: &AuditDraft) -> Result<Owner>;
    async fn get_owner(&self, id: &OwnerId) -> Result<Owner>;
    async fn list_owners(&self, team_id: Option<&TeamId>, page: PageRequest)
    -> Result<Page<Owner>>;
    async fn update_owner(&self, owner: &Owner, audit: &AuditDraft) -> Result<Owner>;
    async fn delete_owner(&self, id: &OwnerId, audit: &AuditDraft) -> Result<()>;
}

/// Renewal policies.
#[async_trait]
pub trait RenewalPolicyStore {
    async fn create_renewal_policy(
        &self,
        p: &RenewalPolicy,
        audit: &AuditDraft,
    ) -> Result<RenewalPolicy>;
    async fn get_renewal_policy(&self, id: &RenewalPolicyId) -> Result<RenewalPolicy>;
    async fn list_renewal_policies(&self, page: PageRequest) -> Result<Page<RenewalPolicy>>;
    async fn update_renewal_policy(
        &self,
        p: &RenewalPolicy,
        audit: &AuditDraft,
    ) -> Result<RenewalPolicy>;
    async fn delete_renewal_policy(&self, id: &RenewalPolicyId, audit: &AuditDraft) -> Result<()>;
}

/// Issuers.
#[async_trait]
pub trait IssuerStore {
    async fn create_issuer(&self, issuer: &Issuer, audit: &AuditDraft) -> Result<Issuer>;
    async fn get_issuer(&self, id: &IssuerId) -> Result<Issuer>;
    async fn list_issuers(&self, page: PageRequest) -> Result<Page<Issuer>>;
    async fn update_issuer(&self, issuer: &Issuer, audit: &AuditDraft) -> Result<Issuer>;
    async fn delete_issuer(&self, id: &IssuerId, audit: &AuditDraft) -> Result<()>;
}

/// Deployment targets and their bindings to certificates.
#[async_trait]
pub trait TargetStore {
    async fn create_target(&self, target: &Target, audit: &AuditDraft) -> Result<Target>;
    async fn get_target(&self, id: &TargetId) -> Result<Target>;
    async fn list_targets(
        &self,
        agent_id: Option<&AgentId>,
        page: PageRequest,
    ) -> Result<Page<Target>>;
    async fn update_target(&self, target: &Target, audit: &AuditDraft) -> Result<Target>;
    async fn delete_target(&self, id: &TargetId, audit: &AuditDraft) -> Result<()>;
    /// Deployment state of a certificate on each of its targets.
    async fn list_certificate_targets(
        &self,
        certificate_id: &CertificateId,
    ) -> Result<Vec<CertificateTarget>>;
    /// Records the outcome of a deployment on one binding.
    async fn update_certificate_target(&self, binding: &CertificateTarget) -> Result<()>;
}

/// Managed certificates and their versions.
#[async_trait]
pub trait CertificateStore {
    /// Inserts the certificate and its target bindings (`target_ids`).
    async fn create_certificate(
        &self,
        cert: &Certificate,
        audit: &AuditDraft,
    ) -> Result<Certificate>;
    /// Inserts many certificates in one transaction (inventory imports), each with its own
    /// audit event: `audit` with `resource_id` set to the certificate's id.
    async fn import_certificates(&self, certs: &[Certificate], audit: &AuditDraft) -> Result<()>;
    async fn get_certificate(&self, id: &CertificateId) -> Result<Certificate>;
    async fn list_certificates(
        &self,
        filter: &CertificateFilter,
        page: PageRequest,
    ) -> Result<Page<Certificate>>;
    /// Up to `limit` certificates of `filter` in the list's order, after `filter.after`, without
    /// counting a total (walks over every certificate: the renewal checker's policy pass).
    async fn scan_certificates(
        &self,
        filter: &CertificateFilter,
        limit: u32,
    ) -> Result<Vec<Certificate>>;
    /// The children of a fleet certificate (archived ones too), in id order.
    async fn fleet_children(&self, parent: &CertificateId) -> Result<Vec<FleetChild>>;
    /// Inserts a fleet child and the target it gets on its agent, with their audit events, in
    /// one transaction (Conflict when the template already has a child on that agent).
    async fn create_fleet_child(
        &self,
        target: &Target,
        cert: &Certificate,
        audits: &[AuditDraft],
    ) -> Result<Certificate>;
    /// Replaces every field but `id` and `created_at`; target bindings follow `target_ids`.
    async fn update_certificate(
        &self,
        cert: &Certificate,
        audit: &AuditDraft,
    ) -> Result<Certificate>;
    /// Exact number of certificates per status (from maintained counters, not a scan).
    async fn count_certificates_by_status(&self) -> Result<Vec<(CertificateStatus, i64)>>;
    /// For each of `edges`, how many certificates that are not archived expire in `[from, edge)`
    /// (one range scan of the expiry index, whatever the number of edges).
    async fn count_expiring_before(&self, from: Timestamp, edges: &[Timestamp])
    -> Result<Vec<i64>>;
    /// Active or Expiring certificates whose `expires_at` lies within their renewal policy's
    /// window of `now`, soonest first, at most `limit`.
    async fn certificates_due_for_renewal(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<Certificate>>;
    async fn add_version(
        &self,
        version: &CertificateVersion,
        audit: &AuditDraft,
    ) -> Result<CertificateVersion>;
    async fn get_version(&self, id: &VersionId) -> Result<CertificateVersion>;
    /// Newest first.
    async fn list_versions(
        &self,
        certificate_id: &CertificateId,
    ) -> Result<Vec<CertificateVersion>>;
    async fn revoke_version(
        &self,
        id: &VersionId,
        reason: &str,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<CertificateVersion>;
    /// Commits issuances in one transaction (group commit): for each, the job's final state, the
    /// version, the certificate, the deployment jobs and their audit events. A record whose job
    /// someone else moved first gets `Err(Conflict)` in its slot and writes nothing; the others
    /// commit. The outer error means nothing was written.
    async fn record_issuances(&self, records: &[IssuanceRecord]) -> Result<Vec<Result<()>>>;
    /// One issuance (see [`record_issuances`](Self::record_issuances)).
    async fn record_issuance(&self, r: &IssuanceRecord) -> Result<()> {
        self.record_issuances(std::slice::from_ref(r)).await?.pop().unwrap_or(Ok(()))
    }
}

/// Agents.
#[async_trait]
pub trait AgentStore {
    async fn create_agent(&self, agent: &Agent, audit: &AuditDraft) -> Result<Agent>;
    async fn get_agent(&self, id: &AgentId) -> Result<Agent>;
    async fn list_agents(&self, filter: &AgentFilter, page: PageRequest) -> Result<Page<Agent>>;
    /// Every agent (for group membership computations).
    async fn all_agents(&self) -> Result<Vec<Agent>>;
    /// Renames, changes status or operator labels.
    async fn update_agent(&self, agent: &Agent, audit: &AuditDraft) -> Result<Agent>;
    /// Stores reported metadata and `last_heartbeat_at` (no observed address); an Offline agent
    /// comes back Online. As [`record_heartbeats`](Self::record_heartbeats) for one agent; a
    /// retired agent is a [`Error::Conflict`].
    async fn record_heartbeat(
        &self,
        id: &AgentId,
        meta: &AgentMetadata,
        at: Timestamp,
    ) -> Result<Agent>;
    /// Many heartbeats in one statement (the last one per agent wins); returns the agents it
    /// updated — unknown and retired agents are left out. A heartbeat whose reported facts or
    /// observed address differ from the stored ones appends an `agent_facts_changed` event (with
    /// what changed) in the same transaction; an unchanged heartbeat is not audited.
    async fn record_heartbeats(&self, beats: &[Beat], at: Timestamp) -> Result<Vec<Agent>>;
    /// Marks Online/Degraded agents whose last heartbeat is older than `cutoff` as Offline and
    /// returns their ids.
    async fn mark_stale_agents_offline(&self, cutoff: Timestamp) -> Result<Vec<AgentId>>;
}

/// Agent groups.
#[async_trait]
pub trait GroupStore {
    async fn create_group(&self, group: &AgentGroup, audit: &AuditDraft) -> Result<AgentGroup>;
    async fn get_group(&self, id: &GroupId) -> Result<AgentGroup>;
    async fn list_groups(&self, page: PageRequest) -> Result<Page<AgentGroup>>;
    async fn update_group(&self, group: &AgentGroup, audit: &AuditDraft) -> Result<AgentGroup>;
    async fn delete_group(&self, id: &GroupId, audit: &AuditDraft) -> Result<()>;
    /// Stored memberships `(group, agent)` of these agents.
    async fn memberships_of(&self, agents: &[AgentId]) -> Result<Vec<(GroupId, AgentId)>>;
    /// Stored members of a group.
    async fn stored_members(&self, group: &GroupId) -> Result<Vec<AgentId>>;
    /// Records joins and leaves, with their audit events, in one transaction.
    async fn apply_membership(
        &self,
        joins: &[(GroupId, AgentId)],
        leaves: &[(GroupId, AgentId)],
        at: Timestamp,
        audits: &[AuditDraft],
    ) -> Result<()>;
}

/// Everything an issuance writes, committed in one transaction by
/// [`CertificateStore::record_issuances`].
#[derive(Debug, Clone)]
pub struct IssuanceRecord {
    /// The job in its final state; written only if its stored status is still `expected`.
    pub job: Job,
    pub expected: JobStatus,
    pub version: CertificateVersion,
    /// The certificate with its new status, expiry and renewal time.
    pub certificate: Certificate,
    /// New deployment jobs (their target bindings become `Pending`).
    pub deployments: Vec<Job>,
    /// Open deployment jobs of an older version to cancel (already in their Cancelled state).
    pub superseded: Vec<Job>,
    pub audits: Vec<AuditDraft>,
}

/// Jobs.
#[async_trait]
pub trait JobStore {
    async fn create_job(&self, job: &Job, audit: &AuditDraft) -> Result<Job>;
    async fn get_job(&self, id: &JobId) -> Result<Job>;
    async fn list_jobs(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>>;
    /// How many jobs failed (status Failed, last changed) at or after `since`.
    async fn count_failed_jobs_since(&self, since: Timestamp) -> Result<i64>;
    /// The jobs of a certificate that have not ended, oldest first.
    async fn open_jobs(&self, certificate_id: &CertificateId) -> Result<Vec<Job>>;
    /// Writes `job` if its stored status is still `expected` (optimistic concurrency) and the
    /// move is legal; otherwise [`Error::Conflict`].
    async fn update_job(
        &self,
        job: &Job,
        expected: JobStatus,
        audit: Option<&AuditDraft>,
    ) -> Result<Job>;
    /// Atomically takes the oldest Pending job of one of `types` that is due at `now`, moving it
    /// to Running with its claim held until `claimed_until`, and counting the attempt. Two
    /// claimers never get the same job.
    async fn claim_job(
        &self,
        types: &[JobType],
        now: Timestamp,
        claimed_until: Timestamp,
    ) -> Result<Option<Job>>;
    /// Running jobs whose claim expired before `now` (the server that claimed them stopped),
    /// oldest claim first, at most `limit`.
    async fn expired_claims(&self, now: Timestamp, limit: i64) -> Result<Vec<Job>>;
    /// Extends the claim of a Running, claimed job to `until`; false when the job is no longer
    /// Running under a claim (finished, or taken back after its claim expired).
    async fn extend_claim(&self, id: &JobId, until: Timestamp) -> Result<bool>;
}

/// Policy rules and violations.
#[async_trait]
pub trait PolicyStore {
    async fn create_policy(&self, rule: &PolicyRule, audit: &AuditDraft) -> Result<PolicyRule>;
    async fn get_policy(&self, id: &PolicyId) -> Result<PolicyRule>;
    async fn list_policies(&self, page: PageRequest) -> Result<Page<PolicyRule>>;
    async fn update_policy(&self, rule: &PolicyRule, audit: &AuditDraft) -> Result<PolicyRule>;
    async fn delete_policy(&self, id: &PolicyId, audit: &AuditDraft) -> Result<()>;
    async fn create_violation(
        &self,
        v: &PolicyViolation,
        audit: &AuditDraft,
    ) -> Result<PolicyViolation>;
    async fn list_violations(
        &self,
        filter: &ViolationFilter,
        page: PageRequest,
    ) -> Result<Page<PolicyViolation>>;
    async fn resolve_violation(
        &self,
        id: &ViolationId,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<PolicyViolation>;
}

/// The audit chain: append and read, never change.
#[async_trait]
pub trait AuditStore {
    /// Sets the key appended events are MACed with (the service sets it from its secret key;
    /// the store never sees the secret key itself). Until a key is set, appends fail.
    fn set_audit_key(&self, key: AuditKey);
    /// Wakes `wake` after each commit that appended audit events (the service's live feed reads
    /// the chain then). Held weakly: dropping the `Notify` ends it.
    fn watch_audit(&self, wake: &Arc<tokio::sync::Notify>);
    /// Appends one event on its own (mutating methods append theirs themselves).
    async fn append_audit(&self, draft: &AuditDraft) -> Result<AuditEvent>;
    async fn get_audit_event(&self, id: &EventId) -> Result<AuditEvent>;
    /// Newest first.
    async fn list_audit(&self, filter: &AuditFilter, page: PageRequest)
    -> Result<Page<AuditEvent>>;
    /// Events with `seq > after_seq` in chain order, at most `limit` (for verification walks).
    async fn audit_chain(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>>;
    /// The newest event, if any.
    async fn audit_head(&self) -> Result<Option<AuditEvent>>;
    /// Stores a checkpoint (one per seq: a second one of the same seq is ignored).
    async fn put_audit_checkpoint(&self, cp: &AuditCheckpoint) -> Result<()>;
    /// Every stored checkpoint, by seq.
    async fn audit_checkpoints(&self) -> Result<Vec<AuditCheckpoint>>;
    /// The stored checkpoint with the highest seq.
    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>>;
}

/// The audit key a store MACs appended events with, set once the service knows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditKeyCell(Arc<std::sync::RwLock<Option<AuditKey>>>);

impl AuditKeyCell {
    pub(crate) fn set(&self, key: AuditKey) {
        if let Ok(mut k) = self.0.write() {
            *k = Some(key);
        }
    }

    pub(crate) fn get(&self) -> Result<AuditKey> {
        self.0
            .read()
            .ok()
            .and_then(|k| k.clone())
            .ok_or_else(|| Error::Storage("no audit key is set: the store cannot append to the keyed audit chain (open it through the service, which derives the key from the secret key)".into()))
    }
}

/// Who is woken after a commit that appended audit events ([`AuditStore::watch_audit`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditWatchers(Arc<std::sync::Mutex<Vec<std::sync::Weak<tokio::sync::Notify>>>>);

impl AuditWatchers {
    pub(crate) fn add(&self, wake: &Arc<tokio::sync::Notify>) {
        if let Ok(mut ws) = self.0.lock() {
            ws.retain(|w| w.strong_count() > 0);
            ws.push(Arc::downgrade(wake));
        }
    }

    /// Wakes every live watcher (called after the commit, so what they read includes it).
    pub(crate) fn committed(&self) {
        if let Ok(ws) = self.0.lock() {
            for w in ws.iter().filter_map(std::sync::Weak::upgrade) {
                w.notify_one();
            }
        }
    }
}

/// Notification events.
#[async_trait]
pub trait NotificationStore {
    /// Creates the event, or nothing (`None`) when one with the same `dedup_key` exists.
    async fn create_notification(&self, n: &Notification) -> Result<Option<Notification>>;
    async fn get_notification(&self, id: &NotificationId) -> Result<Notification>;
    async fn list_notifications(
        &self,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> Result<Page<Notification>>;
    async fn mark_notification_read(
        &self,
        id: &NotificationId,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<Notification>;
    /// Records delivery: status Sent, `sent_at`.
    async fn mark_notification_sent(&self, id: &NotificationId, at: Timestamp) -> Result<()>;
}

/// Notification channels (configs hold secrets: callers redact them on the way out).
#[async_trait]
pub trait ChannelStore {
    async fn create_channel(
        &self,
        c: &NotificationChannel,
        audit: &AuditDraft,
    ) -> Result<NotificationChannel>;
    async fn get_channel(&self, id: &ChannelId) -> Result<NotificationChannel>;
    async fn list_channels(&self, page: PageRequest) -> Result<Page<NotificationChannel>>;
    async fn update_channel(
        &self,
        c: &NotificationChannel,
        audit: &AuditDraft,
    ) -> Result<NotificationChannel>;
    async fn delete_channel(&self, id: &ChannelId, audit: &AuditDraft) -> Result<()>;
}

/// Deliveries of notification events to channels: one row per event and channel (the dedup
/// that survives restarts), with attempts, backoff and a dead state.
#[async_trait]
pub trait DeliveryStore {
    /// Creates the event and one Pending delivery per channel in one transaction, or nothing
    /// (`None`) when an event with the same `dedup_key` exists.
    async fn create_routed_notification(
        &self,
        n: &Notification,
        channels: &[ChannelId],
    ) -> Result<Option<Notification>>;
    /// Pending deliveries whose next attempt is due, oldest first.
    async fn due_deliveries(&self, now: Timestamp, limit: i64) -> Result<Vec<Delivery>>;
    async fn notifications_by_ids(&self, ids: &[NotificationId]) -> Result<Vec<Notification>>;
    /// Every delivery of these events.
    async fn deliveries_of(&self, ids: &[NotificationId]) -> Result<Vec<Delivery>>;
    /// Records a pass's outcomes in one transaction and updates the events' statuses (Pending
    /// while a delivery is, else Dead when one is, else Sent).
    async fn record_deliveries(
        &self,
        outcomes: &[(NotificationId, ChannelId, DeliveryOutcome)],
        now: Timestamp,
    ) -> Result<()>;
    /// Pending events with nothing left to deliver (inbox only) become Sent.
    async fn settle_notifications(&self, now: Timestamp) -> Result<u64>;
    /// Dead deliveries of the event go back to Pending with no attempt counted; returns how many.
    async fn requeue_notification(
        &self,
        id: &NotificationId,
        now: Timestamp,
        audit: &AuditDraft,
    ) -> Result<u64>;
}

/// One heartbeat to store: what the agent reported and the address the server saw it come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Beat {
    pub agent_id: AgentId,
    pub meta: AgentMetadata,
    /// The TCP peer of the request (`None` keeps the stored one).
    pub observed_ip: Option<String>,
}

/// Agent bootstrap tokens (hashes only).
#[async_trait]
pub trait BootstrapTokenStore {
    async fn create_bootstrap_token(
        &self,
        token: &BootstrapToken,
        audit: &AuditDraft,
    ) -> Result<BootstrapToken>;
    async fn get_bootstrap_token(&self, id: &BootstrapTokenId) -> Result<BootstrapToken>;
    /// The token with this SHA-256 hash, whatever its state.
    async fn find_bootstrap_token_by_hash(&self, hash: &str) -> Result<Option<BootstrapToken>>;
    async fn list_bootstrap_tokens(&self, page: PageRequest) -> Result<Page<BootstrapToken>>;
    async fn revoke_bootstrap_token(
        &self,
        id: &BootstrapTokenId,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<BootstrapToken>;
    /// Takes one use of the token and creates `agent` in one transaction: fails with
    /// [`Error::Unauthenticated`] (and writes nothing) when the token is revoked, expired or used
    /// up at `at` — also when several registrations race for its last use.
    async fn register_with_bootstrap_token(
        &self,
        token: &BootstrapTokenId,
        agent: &Agent,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<Agent>;
}

/// API keys (hashes only).
#[async_trait]
pub trait ApiKeyStore {
    async fn create_api_key(&self, key: &ApiKey, audit: &AuditDraft) -> Result<ApiKey>;
    async fn get_api_key(&self, id: &ApiKeyId) -> Result<ApiKey>;
    /// The unrevoked key with this SHA-256 hash.
    async fn find_api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>>;
    async fn list_api_keys(&self, page: PageRequest) -> Result<Page<ApiKey>>;
    async fn revoke_api_key(
        &self,
        id: &ApiKeyId,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<ApiKey>;
}

/// An ACME account of an issuer; the credentials (account key) are sealed with the secret key.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "store", derive(sqlx::FromRow))]
pub struct AcmeAccountRow {
    pub issuer_id: IssuerId,
    pub directory_url: String,
    pub account_url: String,
    /// `KeyStore::seal` output: never the plaintext key.
    pub credentials_sealed: String,
    pub created_at: Timestamp,
}

/// The ACME order of an issuance job in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct AcmeOrderRow {
    pub job_id: JobId,
    pub issuer_id: IssuerId,
    pub order_url: Option<String>,
    /// Driver state (DNS records added, ...), JSON.
    pub state: serde_json::Value,
    pub lease_owner: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An HTTP-01 token being served, by the control plane (`mode = server`) or an agent.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "store", derive(sqlx::FromRow))]
pub struct AcmeChallengeRow {
    pub token: String,
    pub key_authorization: String,
    pub order_job_id: JobId,
    /// Agent mode: the Validation job that hands the token to the agent.
    pub validation_job_id: Option<JobId>,
    /// `server` or `agent`.
    pub mode: String,
    pub webroot: Option<String>,
    pub created_at: Timestamp,
}

/// ACME accounts, orders in flight and HTTP-01 tokens.
#[async_trait]
pub trait AcmeStore {
    async fn get_acme_account(&self, issuer: &IssuerId) -> Result<Option<AcmeAccountRow>>;
    /// Stores the account unless one exists; returns the stored one (first writer wins).
    async fn put_acme_account(&self, row: &AcmeAccountRow) -> Result<AcmeAccountRow>;
    async fn delete_acme_account(&self, issuer: &IssuerId) -> Result<()>;
    async fn get_acme_order(&self, job: &JobId) -> Result<Option<AcmeOrderRow>>;
    /// Inserts or replaces the order row of a job (lease columns untouched on update).
    async fn put_acme_order(&self, row: &AcmeOrderRow) -> Result<()>;
    /// Takes or extends the lease of a job's order for `owner` until `until`; false when
    /// another owner holds an unexpired lease.
    async fn lease_acme_order(
        &self,
        job: &JobId,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool>;
    /// Orders whose lease expired before `now` (or was never taken).
    async fn stale_acme_orders(&self, now: Timestamp, limit: i64) -> Result<Vec<AcmeOrderRow>>;
    async fn delete_acme_order(&self, job: &JobId) -> Result<()>;
    async fn put_acme_challenge(&self, row: &AcmeChallengeRow) -> Result<()>;
    async fn get_acme_challenge(&self, token: &str) -> Result<Option<AcmeChallengeRow>>;
    async fn acme_challenge_of_validation(&self, job: &JobId) -> Result<Option<AcmeChallengeRow>>;
    async fn delete_acme_challenges(&self, order_job: &JobId) -> Result<()>;
}

/// Everything the control plane persists.
#[async_trait]
pub trait Store:
    TeamStore
    + OwnerStore
    + RenewalPolicyStore
    + IssuerStore
    + TargetStore
    + CertificateStore
    + AgentStore
    + GroupStore
    + JobStore
    + PolicyStore
    + AuditStore
    + NotificationStore
    + ChannelStore
    + DeliveryStore
    + ApiKeyStore
    + BootstrapTokenStore
    + AcmeStore
    + Send
    + Sync
    + std::fmt::Debug
    + std::any::Any
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Takes the cluster-wide lock `name` for one scheduler pass, or `None` when another
    /// replica holds it (PostgreSQL advisory lock; SQLite has one process and always grants it).
    /// The lock is released when the returned guard is dropped.
    async fn try_lock(&self, name: &str) -> Result<Option<LoopLock>>;
    /// The database answers and the migrations are applied.
    async fn ready(&self) -> Result<()>;
}

/// A held [`Store::try_lock`] lock; dropping it releases the lock.
#[derive(Debug)]
pub struct LoopLock {
    /// PostgreSQL: the session holding the advisory lock, closed (not pooled) on drop so the
    /// lock can never leak into another pass.
    #[cfg(feature = "postgres")]
    _session: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
}

impl LoopLock {
    /// A lock with nothing to release (single-process backends).
    pub fn local() -> Self {
        Self {
            #[cfg(feature = "postgres")]
            _session: None,
        }
    }
}

/// Advisory lock key of a named lock (stable across replicas and versions).
pub fn lock_key(name: &str) -> i64 {
    let d = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("certctl-lock:{name}").as_bytes(),
    );
    let mut b = [0u8; 8];
    b.copy_from_slice(&d.as_ref()[..8]);
    i64::from_be_bytes(b)
}

/// Opens the store named by `url` (`sqlite://path/to/file.db` or `postgres://...`), applying
/// migrations. A SQLite file is created when missing.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    #[cfg(feature = "sqlite")]
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        return Ok(Arc::new(SqliteStore::open(std::path::Path::new(path)).await?));
    }
    #[cfg(feature = "postgres")]
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::connect(url).await?));
    }
    Err(Error::invalid(
        "database_url",
        format!(
            "unsupported database URL {:?}: expected sqlite://PATH or postgres://...",
            redact_url(url)
        ),
    ))
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Ready when the database answers and every migration of `migrator` is applied.
async fn check_migrations<'a, E>(exec: E, migrator: &sqlx::migrate::Migrator) -> Result<()>
where
    E: sqlx::Executor<'a>,
    i64: sqlx::Type<E::Database> + for<'r> sqlx::Decode<'r, E::Database>,
    for<'q> <E::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, E::Database>,
    (i64,): for<'r> sqlx::FromRow<'r, <E::Database as sqlx::Database>::Row>,
{
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(exec)
        .await
        .map_err(|e| Error::Storage(format!("database not ready: {e}")))?;
    let wanted = migrator.iter().count() as i64;
    if applied < wanted {
        return Err(Error::Storage(format!("{applied} of {wanted} migrations applied")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(super::redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
