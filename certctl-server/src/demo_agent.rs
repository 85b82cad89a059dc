//! The agent `--demo` runs inside the server process, so the demo shows the whole lifecycle on
//! the machine it runs on: the real agent work loop (`certctl::agent::Worker`) talking to this
//! server over HTTP with its own key, its keys and deployment journal in `<data-dir>/demo-agent`,
//! allowed to write only `<data-dir>/demo-targets` and to run no command.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use certctl::agent::{Identity, KeyDir, Worker, metadata};
use certctl::service::Service;
use certctl::service::demo::{LOCAL_AGENT_ID, local_targets_dir, seed_local_agent};
use certctl::target::{DeployOptions, HostPolicy};

/// Heartbeats every this long; work polls every [`POLL`].
const HEARTBEAT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_secs(2);

fn state_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-agent")
}

/// Registers the demo agent, its targets and group (first start only) and saves its identity.
pub async fn seed(svc: &Service, data_dir: &Path) -> anyhow::Result<()> {
    let reg = seed_local_agent(svc, data_dir).await.context("seeding the demo agent")?;
    let state = state_dir(data_dir);
    std::fs::create_dir_all(&state).with_context(|| format!("creating {}", state.display()))?;
    Identity { agent_id: reg.agent.id.to_string(), api_key: reg.api_key }.save(&state)?;
    Ok(())
}

/// Starts the demo agent's loop against `base_url` (trusting `ca_pem` for TLS), when its
/// identity was saved by [`seed`]; it ends with the process.
pub fn spawn(base_url: String, data_dir: &Path, ca_pem: Option<Vec<u8>>) -> anyhow::Result<()> {
    let state = state_dir(data_dir);
    let Some(id) = Identity::load(&state)? else { return Ok(()) };
    let targets = local_targets_dir(data_dir);
    std::fs::create_dir_all(&targets).with_context(|| format!("creating {}", targets.display()))?;
    let policy = HostPolicy::parse("none", &targets.display().to_string())?.protect([
        state.join(certctl::agent::identity::STATE_FILE),
        state.join("deploy.journal"),
        state.join("keys"),
    ]);
    let opts =
        DeployOptions { journal: Some(state.join("deploy.journal")), policy, ..Default::default() };
    let mut client = certctl::client::Client::builder(&base_url).api_key(&id.api_key);
    if let Some(pem) = ca_pem {
        client = client.ca_cert_pem(pem);
    }
    let worker =
        Worker::new(client.build()?, id.agent_id, KeyDir::open(&state.join("keys"))?, opts);
    tokio::spawn(async move {
        let labels = [("demo".to_owned(), "local".to_owned())].into();
        let mut last_heartbeat: Option<tokio::time::Instant> = None;
        loop {
            if last_heartbeat.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
                match worker.heartbeat(&metadata::collect(&labels)).await {
                    Ok(_) => last_heartbeat = Some(tokio::time::Instant::now()),
                    Err(e) => tracing::debug!(agent = LOCAL_AGENT_ID, "demo agent heartbeat: {e}"),
                }
            }
            if let Err(e) = worker.poll().await {
                tracing::debug!(agent = LOCAL_AGENT_ID, "demo agent work poll: {e}");
            }
            tokio::time::sleep(POLL).await;
        }
    });
    tracing::info!(
        agent = LOCAL_AGENT_ID,
        targets = %targets.display(),
        "demo agent started in this process: it deploys to files under the data dir"
    );
    Ok(())
}
