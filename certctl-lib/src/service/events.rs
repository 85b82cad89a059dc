//! The live audit feed: audit events, in chain order, broadcast to subscribers (the server's
//! `GET /api/v1/events`) as they are committed.
//!
//! Events are appended inside the store's transactions, so the feed does not publish from there
//! (a rolled-back transaction must publish nothing). One tailer task per service, started with it
//! and holding only the store and the feed, reads the chain by `seq` whenever the store has
//! committed events ([`AuditStore::watch_audit`](crate::store::AuditStore::watch_audit): requests,
//! the scheduler's loops and the heartbeat writer alike) and at least every [`TAIL_INTERVAL`]
//! (writes of other server processes on the same database), and broadcasts what it read. While
//! nobody listens it reads nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Actor, Service};
use crate::model::{AuditEvent, AuditFilter, PageRequest};
use crate::store::Store;

/// How often the tailer reads the chain when nothing woke it (while anybody listens).
pub const TAIL_INTERVAL: Duration = Duration::from_millis(500);

/// Events buffered per subscriber before it lags (it is then told to reload everything).
const CAPACITY: usize = 1024;

/// Events read per query.
const BATCH: i64 = 500;

/// The shared state of the feed (one per [`Service`]).
#[derive(Debug)]
pub(crate) struct AuditFeed {
    tx: broadcast::Sender<Arc<AuditEvent>>,
    /// Woken by the store after each commit that appended events (it holds it weakly), and by
    /// the first subscriber.
    wake: Arc<Notify>,
    /// The seq the tailer has broadcast through; `None` while nobody listens.
    cursor: Mutex<Option<i64>>,
}

impl AuditFeed {
    /// A feed that `store` wakes after its audit commits.
    pub(super) fn new(store: &dyn Store) -> Arc<Self> {
        let feed = Self {
            tx: broadcast::channel(CAPACITY).0,
            wake: Arc::new(Notify::new()),
            cursor: Mutex::new(None),
        };
        store.watch_audit(&feed.wake);
        Arc::new(feed)
    }

    /// Starts the tailer on `rt`; it ends when `stop` is cancelled.
    pub(super) fn start(
        self: &Arc<Self>,
        rt: &tokio::runtime::Handle,
        store: Arc<dyn Store>,
        stop: CancellationToken,
    ) -> JoinHandle<()> {
        rt.spawn(tail(store, self.clone(), stop))
    }

    /// Where the tailer reads from, or `None` (and forgets the position) when nobody listens.
    fn listening(&self) -> Option<i64> {
        let mut cursor = self.cursor.lock().ok()?;
        // checked under the lock: a subscriber arriving now sets a new start
        if self.tx.receiver_count() == 0 {
            *cursor = None;
        }
        *cursor
    }

    fn advance(&self, seq: i64) {
        if let Ok(mut cursor) = self.cursor.lock() {
            *cursor = Some(seq);
        }
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
    /// [`visible_to`]).
    pub async fn subscribe_audit(&self) -> crate::Result<broadcast::Receiver<Arc<AuditEvent>>> {
        let rx = self.events.tx.subscribe();
        if self.events.listening().is_none() {
            let head = self.audit_head().await?;
            let mut cursor = self
                .events
                .cursor
                .lock()
                .map_err(|_| crate::Error::Storage("audit feed lock poisoned".into()))?;
            cursor.get_or_insert(head);
            self.events.wake.notify_one();
        }
        Ok(rx)
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
}

/// The tailer: after each wake-up (and every [`TAIL_INTERVAL`] while anybody listens) it reads
/// the chain past its cursor and broadcasts what it read.
async fn tail(store: Arc<dyn Store>, feed: Arc<AuditFeed>, stop: CancellationToken) {
    loop {
        let idle = feed.listening().is_none();
        tokio::select! {
            () = stop.cancelled() => return,
            () = feed.wake.notified() => {}
            () = tokio::time::sleep(TAIL_INTERVAL), if !idle => {}
        }
        let Some(mut after) = feed.listening() else { continue };
        loop {
            match store.audit_chain(after, BATCH).await {
                Ok(evs) => {
                    let n = evs.len() as i64;
                    for ev in evs {
                        after = ev.seq;
                        let _ = feed.tx.send(Arc::new(ev));
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
        feed.advance(after);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use futures_util::FutureExt;
    use tokio::sync::Notify;

    use crate::service::{Actor, Service};

    /// The store wakes its watchers after a commit that appended audit events (what they read
    /// then includes it) and holds them weakly.
    #[tokio::test]
    async fn the_store_wakes_watchers_after_audited_commits() {
        let (_dir, store) = crate::testing::sqlite().await;
        let wake = Arc::new(Notify::new());
        store.watch_audit(&wake);
        assert!(wake.notified().now_or_never().is_none());
        let woken = tokio::spawn({
            let (wake, store) = (wake.clone(), store.clone());
            async move {
                wake.notified().await;
                // woken after the commit: a read sees the event
                store.audit_chain(0, 10).await.unwrap()
            }
        });
        store.append_audit(&Actor::system().audit("probe", "team", "team-x")).await.unwrap();
        let seen = tokio::time::timeout(Duration::from_secs(10), woken).await.unwrap().unwrap();
        assert_eq!(seen.last().map(|e| e.resource_id.as_str()), Some("team-x"));
        assert_eq!(Arc::strong_count(&wake), 1, "the store holds its watchers weakly");
    }

    /// Events written straight to the store (as the scheduler's loops and the heartbeat writer
    /// do, outside any request) reach a subscriber, in order.
    #[tokio::test]
    async fn events_written_outside_requests_reach_subscribers() {
        let (dir, store) = crate::testing::sqlite().await;
        let svc = Service::open(store.clone(), dir.path(), Default::default()).unwrap();
        let mut rx = svc.subscribe_audit().await.unwrap();
        let sys = Actor::system();
        for id in ["team-a", "team-b"] {
            store.append_audit(&sys.audit("probe", "team", id)).await.unwrap();
        }
        for id in ["team-a", "team-b"] {
            let ev =
                tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
            assert_eq!(ev.resource_id, id);
        }
        svc.shutdown().await;
    }
}
