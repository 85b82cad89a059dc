//! Heartbeat coalescing: requests queue their heartbeat on a bounded channel; one writer task
//! drains whatever has queued up and stores it with a single statement, then answers each
//! request with its agent. Under load, batches grow by themselves; idle, a heartbeat is written
//! at once. Each request is answered only after its write committed (durable on reply).

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::model::{Agent, AgentId, AgentMetadata, AgentStatus, Timestamp};
use crate::store::{Beat, Store};

/// Heartbeats waiting at most; senders wait when it is full (back-pressure).
const QUEUE: usize = 20_000;
/// Heartbeats written by one statement at most.
const BATCH: usize = 2_000;

type Pending = (Beat, oneshot::Sender<Result<Agent>>);

/// The queue in front of the writer task.
#[derive(Debug, Clone)]
pub(super) struct Batcher {
    tx: mpsc::Sender<Pending>,
}

impl Batcher {
    /// Starts the writer task on the current runtime.
    pub(super) fn start(svc: super::Service) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(svc, rx));
        Self { tx }
    }

    /// Queues one heartbeat and waits until it is stored.
    pub(super) async fn submit(
        &self,
        agent_id: AgentId,
        meta: AgentMetadata,
        observed_ip: Option<String>,
    ) -> Result<Agent> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((Beat { agent_id, meta, observed_ip }, reply))
            .await
            .map_err(|_| Error::Storage("the heartbeat writer has stopped".into()))?;
        answer.await.map_err(|_| Error::Storage("the heartbeat writer has stopped".into()))?
    }
}

async fn write_loop(svc: super::Service, mut rx: mpsc::Receiver<Pending>) {
    let store = svc.store_arc();
    while let Some(first) = rx.recv().await {
        let batch = super::commits::drain(&mut rx, first, BATCH);
        let beats: Vec<Beat> = batch.iter().map(|(b, _)| b.clone()).collect();
        match store.record_heartbeats(&beats, Timestamp::now()).await {
            Ok(agents) => {
                // group membership follows the new metadata before anyone is answered
                if let Err(e) = svc.reconcile_agents(&agents).await {
                    tracing::error!(error = %e, "recomputing group membership after heartbeats failed");
                }
                let by_id: HashMap<AgentId, Agent> =
                    agents.into_iter().map(|a| (a.id.clone(), a)).collect();
                for (beat, reply) in batch {
                    let answer = match by_id.get(&beat.agent_id) {
                        Some(a) => Ok(a.clone()),
                        None => missing(&*store, &beat.agent_id).await,
                    };
                    let _ = reply.send(answer);
                }
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

/// Why an agent was not updated: unknown, or retired.
async fn missing(store: &dyn Store, id: &AgentId) -> Result<Agent> {
    let a = store.get_agent(id).await?;
    match a.status {
        AgentStatus::Retired => Err(Error::Conflict(format!("agent {id} is Retired"))),
        _ => Err(Error::Storage(format!("heartbeat of agent {id} was not stored"))),
    }
}
