//! The audit trail as callers see it: who may read which events (one rule for `GET /audit`
//! and the live feed), verification with the server's key, signed checkpoints, and the record
//! of the switch from the legacy unkeyed chain.

use std::time::Duration;

use super::{Access, Actor, Service};
use crate::error::{Error, Result};
use crate::model::*;

/// A checkpoint is also written when the last one is older than this and events were added.
pub const CHECKPOINT_MAX_AGE: Duration = Duration::from_secs(3600);

/// Resource types whose audit events `actor` may not read: events about API keys are for
/// admins only. The one rule of `GET /audit`, `GET /audit/{id}` and the SSE feed.
pub fn hidden_audit_types(actor: &Actor) -> &'static [&'static str] {
    if actor.role == Role::Admin { &[] } else { &["api_key"] }
}

impl Service {
    /// The audit chain's MAC key (derived from the secret key).
    pub fn audit_key(&self) -> Result<AuditKey> {
        Ok(self.keystore()?.audit_key())
    }

    /// One page of the events `actor` may read (readers: all but the hidden types), newest first.
    pub async fn list_audit(
        &self,
        actor: &Actor,
        q: &crate::api::AuditQuery,
    ) -> Result<Page<AuditEvent>> {
        actor.require(&Access::Read)?;
        let mut f = q.filter();
        f.exclude_resource_types =
            hidden_audit_types(actor).iter().map(|t| (*t).to_owned()).collect();
        self.store().list_audit(&f, q.page_request()).await
    }

    /// One event, if `actor` may read it (a hidden one is not found).
    pub async fn get_audit(&self, actor: &Actor, id: &EventId) -> Result<AuditEvent> {
        actor.require(&Access::Read)?;
        let ev = self.store().get_audit_event(id).await?;
        if hidden_audit_types(actor).contains(&ev.resource_type.as_str()) {
            return Err(Error::not_found("audit event", id.as_str()));
        }
        Ok(ev)
    }

    /// Verifies the chain with the server's key against the stored checkpoints, this server's
    /// checkpoint file and `expect`.
    pub async fn verify_audit(
        &self,
        actor: &Actor,
        expect: &[ExpectedCheckpoint],
    ) -> Result<ChainReport> {
        actor.require(&super::Access::Read)?;
        let mut all = expect.to_vec();
        if let Some(path) = &self.config().audit_checkpoint_file
            && let Some(e) = crate::audit::read_checkpoint_file(path)?
        {
            all.push(e);
        }
        crate::audit::verify_chain(self.store(), &self.audit_key()?, &all).await
    }

    /// Writes a signed checkpoint of the chain's head when at least `min_new` events were added
    /// since the last one (0: always), to the database, the checkpoint file and the log (one
    /// line to ship off-host). Returns it when one was written.
    pub async fn audit_checkpoint(
        &self,
        min_new: i64,
        now: Timestamp,
    ) -> Result<Option<AuditCheckpoint>> {
        let Some(head) = self.store().audit_head().await? else { return Ok(None) };
        let last = self.store().latest_audit_checkpoint().await?;
        if head.seq - last.as_ref().map_or(0, |c| c.seq) < min_new {
            return Ok(None);
        }
        let key = self.audit_key()?;
        let cp = AuditCheckpoint::sign(head.seq, &head.hash, &key, now);
        self.store().put_audit_checkpoint(&cp).await?;
        if let Some(path) = &self.config().audit_checkpoint_file {
            crate::audit::write_checkpoint_file(path, &cp)?;
        }
        tracing::info!(seq = cp.seq, head_hash = %cp.head_hash, checkpoint = %cp.token(), "audit checkpoint (keep it off this host; `certctl-server audit verify --expect SEQ:MAC` detects events removed before it)");
        Ok(Some(cp))
    }

    /// The scheduler's checkpoint: when `audit_checkpoint_every` events were added since the
    /// last checkpoint, or the last one is older than [`CHECKPOINT_MAX_AGE`] and any was.
    pub async fn audit_checkpoint_if_due(&self, now: Timestamp) -> Result<Option<AuditCheckpoint>> {
        let every = self.config().audit_checkpoint_every.max(1) as i64;
        let Some(head) = self.store().audit_head().await? else { return Ok(None) };
        let last = self.store().latest_audit_checkpoint().await?;
        let new = head.seq - last.as_ref().map_or(0, |c| c.seq);
        let old = last.as_ref().is_none_or(|c| {
            c.created_at.plus(time::Duration::seconds(CHECKPOINT_MAX_AGE.as_secs() as i64)) <= now
        });
        if new >= every || (new > 0 && old) {
            return self.audit_checkpoint(1, now).await;
        }
        Ok(None)
    }

    /// On start: when the chain ends with legacy (unkeyed) events, appends `audit_chain_keyed`,
    /// the first keyed event, whose MAC covers the last legacy hash.
    pub(super) async fn record_audit_keying(&self) -> Result<()> {
        if let Some(head) = self.store().audit_head().await?
            && head.mac_version == MAC_LEGACY
        {
            let details = serde_json::json!({"legacy_events": head.seq, "legacy_head_hash": head.hash, "mac": "HMAC-SHA-256"});
            self.store()
                .append_audit(
                    &Actor::system()
                        .audit("audit_chain_keyed", "audit", "chain")
                        .with_details(details),
                )
                .await?;
            tracing::info!(
                legacy_events = head.seq,
                "audit chain: events from now on are keyed (HMAC-SHA-256); the {} earlier events keep their unkeyed hashes",
                head.seq
            );
        }
        Ok(())
    }
}

/// The live audit feed of one caller: events committed after the replay, only those the caller
/// may read ([`super::visible_to`]).
#[derive(Debug)]
pub struct AuditFeed {
    rx: tokio::sync::broadcast::Receiver<std::sync::Arc<AuditEvent>>,
    actor: Actor,
    skip_through: Option<i64>,
}

impl AuditFeed {
    /// The next visible event; `Lagged(n)` when the caller fell `n` events behind, `Closed` when
    /// the feed ended.
    pub async fn recv(
        &mut self,
    ) -> std::result::Result<std::sync::Arc<AuditEvent>, tokio::sync::broadcast::error::RecvError>
    {
        loop {
            let ev = self.rx.recv().await?;
            if self.skip_through.is_some_and(|s| ev.seq <= s)
                || !super::visible_to(&self.actor, &ev)
            {
                continue;
            }
            return Ok(ev);
        }
    }
}

impl Service {
    /// `GET /events` for `actor` (a reader): the events after `resume_after` it may read (at most
    /// `replay_limit` read back, for a client resuming with `Last-Event-ID`), then the live feed
    /// without those again.
    pub async fn audit_feed(
        &self,
        actor: &Actor,
        resume_after: Option<i64>,
        replay_limit: i64,
    ) -> Result<(Vec<AuditEvent>, AuditFeed)> {
        actor.require(&Access::Read)?;
        let rx = self.subscribe_audit().await?;
        let replay = match resume_after {
            Some(seq) if seq >= 0 => self.audit_after(seq, replay_limit).await?,
            _ => Vec::new(),
        };
        let skip_through = replay.last().map(|e| e.seq);
        let backlog = replay.into_iter().filter(|e| super::visible_to(actor, e)).collect();
        Ok((backlog, AuditFeed { rx, actor: actor.clone(), skip_through }))
    }
}
