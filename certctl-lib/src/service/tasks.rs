//! The service's background tasks — the heartbeat writer, the issuance writer and the audit
//! feed's tailer — started by [`Service::open`] on the runtime it is called in. Each holds only
//! the store and its own queue or feed, never the service. They end, after storing what they
//! have queued, on [`Service::shutdown`] or when the last clone of the service is dropped.

use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Service, commits, events, heartbeats};
use crate::error::{Error, Result};
use crate::store::Store;

/// The running tasks, their queues and their shutdown token.
#[derive(Debug)]
pub(super) struct Tasks {
    pub(super) heartbeats: heartbeats::Batcher,
    pub(super) issuances: commits::IssuanceWriter,
    pub(super) stop: CancellationToken,
    running: Mutex<Vec<JoinHandle<()>>>,
}

impl Tasks {
    /// Starts every task on the current tokio runtime.
    pub(super) fn start(store: &Arc<dyn Store>, feed: &Arc<events::AuditFeed>) -> Result<Self> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Storage(
                "the service's writer tasks need a tokio runtime: open the service inside one"
                    .into(),
            )
        })?;
        let stop = CancellationToken::new();
        let (heartbeats, h1) = heartbeats::Batcher::start(&rt, store.clone(), stop.clone());
        let (issuances, h2) = commits::IssuanceWriter::start(&rt, store.clone(), stop.clone());
        let h3 = feed.start(&rt, store.clone(), stop.clone());
        Ok(Self { heartbeats, issuances, stop, running: Mutex::new(vec![h1, h2, h3]) })
    }
}

impl Drop for Tasks {
    /// The last clone of the service is gone: the tasks store what they hold and end.
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Service {
    /// Stops the background tasks and waits until they have ended: queued heartbeats and
    /// issuances are stored first, later ones (through any clone of this service) fail. Call
    /// it once nothing submits any more (the server: after the HTTP server and the scheduler
    /// loops stopped). A second call returns at once.
    pub async fn shutdown(&self) {
        self.tasks.stop.cancel();
        let running = match self.tasks.running.lock() {
            Ok(mut r) => std::mem::take(&mut *r),
            Err(_) => return,
        };
        for task in running {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a background task of the service failed");
            }
        }
    }
}
