//! Group commit of issuances: each issuance queues its record; one writer task drains whatever
//! has queued up and commits it in one transaction ([`crate::store::CertificateStore::record_issuances`]),
//! then answers each request. Idle, an issuance commits at once; under load, batches grow by
//! themselves and the single SQLite writer runs a few statements per issuance instead of a
//! transaction each. Every request is answered only after its record committed.

use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::store::{IssuanceRecord, Store};

/// Records waiting at most; senders wait when it is full (back-pressure).
const QUEUE: usize = 4_096;
/// Records committed by one transaction at most.
const BATCH: usize = 256;

type Pending = (IssuanceRecord, oneshot::Sender<Result<()>>);

/// The queue in front of the writer task.
#[derive(Debug, Clone)]
pub(super) struct IssuanceWriter {
    tx: mpsc::Sender<Pending>,
}

impl IssuanceWriter {
    /// Starts the writer task on the current runtime.
    pub(super) fn start(store: std::sync::Arc<dyn Store>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(store, rx));
        Self { tx }
    }

    /// Queues one issuance and waits until it is committed (or refused).
    pub(super) async fn commit(&self, record: IssuanceRecord) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((record, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// `first` and whatever else has queued, up to `max` items (never waits).
pub(super) fn drain<T>(rx: &mut mpsc::Receiver<T>, first: T, max: usize) -> Vec<T> {
    let mut batch = vec![first];
    while batch.len() < max {
        match rx.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
    batch
}

fn stopped() -> Error {
    Error::Storage("the issuance writer has stopped".into())
}

async fn write_loop(store: std::sync::Arc<dyn Store>, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let batch = drain(&mut rx, first, BATCH);
        let (records, replies): (Vec<IssuanceRecord>, Vec<oneshot::Sender<Result<()>>>) =
            batch.into_iter().unzip();
        match store.record_issuances(&records).await {
            Ok(outcome) => {
                for (reply, r) in replies.into_iter().zip(outcome) {
                    let _ = reply.send(r);
                }
            }
            // One bad record must not fail its neighbours: commit each on its own, so the
            // error reaches only the request it belongs to.
            Err(_) if records.len() > 1 => {
                for (record, reply) in records.iter().zip(replies) {
                    let _ = reply.send(store.record_issuance(record).await);
                }
            }
            Err(e) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
        }
    }
}
