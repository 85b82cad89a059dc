//! The live audit feed: audit events, in chain order, broadcast to subscribers (the server's
//! `GET /api/v1/events`) as they are committed.
//!
//! Events are appended inside the store's transactions, so the feed does not publish from there
//! (a rolled-back transaction must publish nothing). One tailer task reads the chain by `seq`
//! after each commit it is woken for ([`Service::audit_written`]) and at least every
//! [`TAIL_INTERVAL`] while anybody listens (writes from the scheduler's loops and from other
//! server processes on the same database), and broadcasts what it read. It runs only while there
//! are subscribers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use super::{Actor, Service};
use crate::model::{AuditEvent, AuditFilter, PageRequest};

/// How often the tailer reads the chain when nothing woke it.
pub const TAIL_INTERVAL: Duration = Duration::from_millis(500);

/// Events buffered per subscriber before it lags (it is then told to reload everything).
const CAPACITY: usize = 1024;

/// Events read per query.
const BATCH: i64 = 500;

/// The shared state of the feed (one per [`Service`]).
#[derive(Debug)]
pub(crate) struct AuditFeed {
    tx: broadcast::Sender<Arc<AuditEvent>>,
    wake: Notify,
    running: Mutex<bool>,
}

impl Default for AuditFeed {
    fn default() -> Self {
        Self { tx: broadcast::channel(CAPACITY).0, wake: Notify::new(), running: Mutex::new(false) }
    }
}

/// Whether `actor` may see `ev` on the feed: the same rule as the REST API
/// ([`hidden_audit_types`](super::audit::hidden_audit_types)) — readers (viewer and up) see the
/// audit trail, except events about API keys, which only admins may see; agent keys and the
/// bootstrap token see nothing.
pub fn visible_to(actor: &Actor, ev: &AuditEvent) -> bool {
    if actor.bootstrap.is_some() || !actor.allows(&super::Access::Read) {
        return false;
    }
    !super::audit::hidden_audit_types(actor).contains(&ev.resource_type.as_str())
}

impl Service {
    /// Subscribes to audit events committed from now on (every event; filter with
    /// [`visible_to`]). Starts the tailer if it is not running. Needs a tokio runtime.
    pub async fn subscribe_audit(&self) -> crate::Result<broadcast::Receiver<Arc<AuditEvent>>> {
        let rx = self.events.tx.subscribe();
        let start = {
            let mut running = self
                .events
                .running
                .lock()
                .map_err(|_| crate::Error::Storage("audit feed lock poisoned".into()))?;
            !std::mem::replace(&mut *running, true)
        };
        if start {
            match self.audit_head().await {
                Ok(head) => {
                    tokio::spawn(self.clone().tail(head));
                }
                Err(e) => {
                    if let Ok(mut r) = self.events.running.lock() {
                        *r = false;
                    }
                    return Err(e);
                }
            }
        }
        Ok(rx)
    }

    /// Tells the feed that audit events may have been committed (read them now rather than at
    /// the next tick). Cheap; call it after any write.
    pub fn audit_written(&self) {
        self.events.wake.notify_one();
    }

    /// Events after `seq`, in order (at most `limit`): for a client resuming with `Last-Event-ID`.
    pub async fn audit_after(&self, seq: i64, limit: i64) -> crate::Result<Vec<AuditEvent>> {
        self.store().audit_chain(seq, limit).await
    }

    /// The seq of the newest event (0 for an empty chain).
    async fn audit_head(&self) -> crate::Result<i64> {
        let newest =
            self.store().list_audit(&AuditFilter::default(), PageRequest::new(1, 1)).await?;
        Ok(newest.data.first().map_or(0, |e| e.seq))
    }

    async fn tail(self, mut after: i64) {
        loop {
            tokio::select! {
                _ = self.events.wake.notified() => {}
                _ = tokio::time::sleep(TAIL_INTERVAL) => {}
            }
            if self.events.tx.receiver_count() == 0
                && let Ok(mut running) = self.events.running.lock()
            {
                // checked under the lock: a subscriber arriving now restarts the tailer
                if self.events.tx.receiver_count() == 0 {
                    *running = false;
                    return;
                }
            }
            loop {
                match self.store().audit_chain(after, BATCH).await {
                    Ok(evs) => {
                        let n = evs.len() as i64;
                        for ev in evs {
                            after = ev.seq;
                            let _ = self.events.tx.send(Arc::new(ev));
                        }
                        if n < BATCH {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "audit feed: reading the chain failed; retrying");
                        break;
                    }
                }
            }
        }
    }
}
