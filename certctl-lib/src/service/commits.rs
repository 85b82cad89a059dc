//! Group commit of issuances: each issuance queues its record; one writer task, holding only the
//! store, drains whatever has queued up and commits it in one transaction
//! ([`crate::store::CertificateStore::record_issuances`]), then answers each request. Idle, an
//! issuance commits at once; under load, batches grow by themselves and the single SQLite writer
//! runs a few statements per issuance instead of a transaction each. Every request is answered
//! only after its record committed.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Service;
use crate::error::{Error, Result};
use crate::store::{IssuanceRecord, Store};

/// Records waiting at most; senders wait when it is full (back-pressure).
const QUEUE: usize = 4_096;
/// Records committed by one transaction at most.
const BATCH: usize = 256;

type Pending = (IssuanceRecord, oneshot::Sender<Result<()>>);

/// The queue in front of the writer task.
#[derive(Debug)]
pub(super) struct IssuanceWriter {
    tx: mpsc::Sender<Pending>,
}

impl IssuanceWriter {
    /// Starts the writer task on `rt`; it ends when `stop` is cancelled (after committing what
    /// has queued) or when the writer is dropped.
    pub(super) fn start(
        rt: &tokio::runtime::Handle,
        store: Arc<dyn Store>,
        stop: CancellationToken,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (Self { tx }, rt.spawn(write_loop(store, rx, stop)))
    }
}

impl Service {
    /// Commits an issuance (the new version, the certificate, its deployment jobs and audit
    /// events) through the group-commit writer; returns once it is committed (or refused).
    pub(super) async fn commit_issuance(&self, record: IssuanceRecord) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.tasks.issuances.tx.send((record, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::Storage("the issuance writer has stopped".into())
}

async fn write_loop(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Pending>,
    stop: CancellationToken,
) {
    while let Some(batch) = super::batch::next(&mut rx, &stop, BATCH).await {
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
