//! Heartbeat coalescing: requests queue their heartbeat on a bounded channel; one writer task,
//! holding only the store, drains whatever has queued up and stores it with a single statement,
//! then hands each request its agent. Group membership then follows the new metadata once per
//! batch: the first of the batch's requests to get there reconciles it for all of them (with the
//! service it was called on), the others wait for that, and the writer takes the next batch only
//! after it (batches are reconciled in the order they were written). Under load, batches grow by
//! themselves; idle, a heartbeat is written at once. Each request is answered only after its
//! write committed (durable on reply).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Notify, OnceCell, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Service;
use crate::error::{Error, Result};
use crate::model::{Agent, AgentId, AgentMetadata, AgentStatus, Timestamp};
use crate::store::{Beat, Store};

/// Heartbeats waiting at most; senders wait when it is full (back-pressure).
const QUEUE: usize = 20_000;
/// Heartbeats written by one statement at most.
const BATCH: usize = 2_000;

type Pending = (Beat, oneshot::Sender<Result<(Agent, Share)>>);

/// The queue in front of the writer task.
#[derive(Debug)]
pub(super) struct Batcher {
    tx: mpsc::Sender<Pending>,
}

/// One stored batch: its agents, whose group membership is reconciled once.
#[derive(Debug)]
struct Written {
    agents: Vec<Agent>,
    reconciled: OnceCell<()>,
    /// Signalled whenever a request lets go of the batch.
    released: Notify,
}

/// A request's hold on the batch it was written in.
#[derive(Debug)]
struct Share(Arc<Written>);

impl Drop for Share {
    fn drop(&mut self) {
        self.0.released.notify_one();
    }
}

impl Batcher {
    /// Starts the writer task on `rt`; it ends when `stop` is cancelled (after storing what has
    /// queued) or when the batcher is dropped.
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
    /// Queues one heartbeat and waits until it is stored and the group membership of its batch
    /// follows the new metadata.
    pub(super) async fn queue_heartbeat(
        &self,
        agent_id: AgentId,
        meta: AgentMetadata,
        observed_ip: Option<String>,
    ) -> Result<Agent> {
        let (reply, answer) = oneshot::channel();
        self.tasks
            .heartbeats
            .tx
            .send((Beat { agent_id, meta, observed_ip }, reply))
            .await
            .map_err(|_| stopped())?;
        let (agent, batch) = answer.await.map_err(|_| stopped())??;
        batch
            .0
            .reconciled
            .get_or_init(|| async {
                if let Err(e) = self.reconcile_agents(&batch.0.agents).await {
                    tracing::error!(error = %e, "recomputing group membership after heartbeats failed");
                }
            })
            .await;
        Ok(agent)
    }
}

fn stopped() -> Error {
    Error::Storage("the heartbeat writer has stopped".into())
}

async fn write_loop(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Pending>,
    stop: CancellationToken,
) {
    while let Some(batch) = super::batch::next(&mut rx, &stop, BATCH).await {
        let beats: Vec<Beat> = batch.iter().map(|(b, _)| b.clone()).collect();
        match store.record_heartbeats(&beats, Timestamp::now()).await {
            Ok(agents) => {
                let by_id: HashMap<AgentId, Agent> =
                    agents.iter().map(|a| (a.id.clone(), a.clone())).collect();
                let written = Arc::new(Written {
                    agents,
                    reconciled: OnceCell::new(),
                    released: Notify::new(),
                });
                for (beat, reply) in batch {
                    let answer = match by_id.get(&beat.agent_id) {
                        Some(a) => Ok((a.clone(), Share(written.clone()))),
                        None => Err(missing(&*store, &beat.agent_id).await),
                    };
                    let _ = reply.send(answer);
                }
                reconciled(&written).await;
            }
            Err(e) => {
                let msg = e.to_string();
                for (_, reply) in batch {
                    let _ = reply.send(Err(Error::Storage(msg.clone())));
                }
            }
        }
    }
}

/// Waits until the batch's membership is reconciled, or until no request holds the batch any
/// more (all of them gave up; the agents' next heartbeats reconcile them).
async fn reconciled(batch: &Arc<Written>) {
    loop {
        let released = batch.released.notified();
        if batch.reconciled.initialized() || Arc::strong_count(batch) == 1 {
            return;
        }
        released.await;
    }
}

/// Why an agent was not updated: unknown, or retired.
async fn missing(store: &dyn Store, id: &AgentId) -> Error {
    match store.get_agent(id).await {
        Err(e) => e,
        Ok(a) if a.status == AgentStatus::Retired => {
            Error::Conflict(format!("agent {id} is Retired"))
        }
        Ok(_) => Error::Storage(format!("heartbeat of agent {id} was not stored")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::sync::oneshot;

    use crate::api::AgentInput;
    use crate::error::Error;
    use crate::model::{AgentId, AgentMetadata};
    use crate::service::{Actor, Service};
    use crate::store::{Beat, Store};

    async fn service_with_agents(
        n: usize,
    ) -> (tempfile::TempDir, Arc<dyn Store>, Service, Vec<AgentId>) {
        let (dir, store) = crate::testing::sqlite().await;
        let svc = Service::open(store.clone(), dir.path(), Default::default()).unwrap();
        let mut ids = Vec::new();
        for i in 0..n {
            let input = AgentInput {
                id: Some(format!("ag-q{i}")),
                name: format!("q{i}"),
                ..Default::default()
            };
            ids.push(svc.register_agent(&Actor::system(), &input).await.unwrap().agent.id);
        }
        (dir, store, svc, ids)
    }

    /// Heartbeats queued when the service shuts down are stored and answered; later ones are
    /// refused; the tasks end and let go of the store.
    #[tokio::test]
    async fn shutdown_stores_queued_heartbeats_and_ends_the_tasks() {
        let (_dir, store, svc, ids) = service_with_agents(20).await;
        let mut answers = Vec::new();
        for id in &ids {
            let (reply, answer) = oneshot::channel();
            let meta =
                AgentMetadata { hostname: format!("{id}.example.com"), ..Default::default() };
            let beat = Beat { agent_id: id.clone(), meta, observed_ip: None };
            svc.tasks.heartbeats.tx.try_send((beat, reply)).unwrap();
            answers.push(answer);
        }
        // stopped with all twenty queued (none answered yet)
        svc.tasks.stop.cancel();
        let shutdown = tokio::spawn({
            let svc = svc.clone();
            async move { svc.shutdown().await }
        });
        for (id, answer) in ids.iter().zip(answers) {
            let (agent, _batch) = answer.await.expect("answered").expect("stored");
            assert_eq!(agent.hostname, format!("{id}.example.com"));
        }
        tokio::time::timeout(Duration::from_secs(10), shutdown)
            .await
            .expect("the tasks ended")
            .unwrap();
        for id in &ids {
            let a = store.get_agent(id).await.unwrap();
            assert_eq!(a.hostname, format!("{id}.example.com"));
            assert!(a.last_heartbeat_at.is_some());
        }
        let late = svc.queue_heartbeat(ids[0].clone(), AgentMetadata::default(), None).await;
        assert!(matches!(late, Err(Error::Storage(m)) if m.contains("stopped")));
        svc.shutdown().await; // a second call returns at once
        drop(svc);
        assert_eq!(Arc::strong_count(&store), 1, "a task of the service still holds the store");
    }

    /// A service dropped without `shutdown` ends its tasks too (tests open many).
    #[tokio::test]
    async fn dropping_the_service_ends_its_tasks() {
        let (_dir, store, svc, ids) = service_with_agents(1).await;
        let agent =
            svc.queue_heartbeat(ids[0].clone(), AgentMetadata::default(), None).await.unwrap();
        assert!(agent.last_heartbeat_at.is_some());
        let other = svc.clone();
        drop(svc);
        assert!(Arc::strong_count(&store) > 1, "a clone keeps the service running");
        drop(other);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&store) > 1 {
            assert!(tokio::time::Instant::now() < deadline, "the tasks kept the store alive");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
