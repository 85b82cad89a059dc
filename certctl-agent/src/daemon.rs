//! The agent daemon: identity, then heartbeats and work polls on jittered intervals, capped
//! exponential back-off while the server is unreachable, and a clean stop on SIGTERM/SIGINT.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use certctl::agent::{AgentError, Identity, KeyDir, Worker, metadata};
use certctl::client::Client;
use certctl::model::AgentStatus;
use certctl::target::{DeployOptions, HostPolicy};
use rand::Rng;
use tokio::time::Instant;

use crate::RunArgs;

/// Back-off bounds while the server is unreachable.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// `d` ± 10%.
pub fn jitter(d: Duration) -> Duration {
    d.mul_f64(rand::rng().random_range(0.9..1.1))
}

fn client(args: &RunArgs, server: &str, key: &str) -> anyhow::Result<Client> {
    let mut b = Client::builder(server).api_key(key);
    if let Some(ca) = &args.ca_cert {
        b = b.ca_cert_file(ca);
    }
    Ok(b.build()?)
}

/// The identity: given, saved, or obtained by registering with the bootstrap token (retried
/// with back-off while the server is unreachable, except with `--once`).
async fn identity(
    args: &RunArgs,
    server: &str,
    labels: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<Identity> {
    if let (Some(agent_id), Some(api_key)) = (&args.agent_id, &args.api_key) {
        return Ok(Identity { agent_id: agent_id.clone(), api_key: api_key.expose().to_owned() });
    }
    if let Some(saved) = Identity::load(&args.state_dir)? {
        return Ok(saved);
    }
    let Some(token) = &args.bootstrap_token else {
        bail!(
            "no identity: set CERTCTL_AGENT_ID and CERTCTL_API_KEY, or CERTCTL_AGENT_BOOTSTRAP_TOKEN to register (none saved in {})",
            args.state_dir.display()
        );
    };
    let name = args.name.clone().unwrap_or_else(metadata::hostname);
    let c = client(args, server, token.expose())?;
    let mut delay = BACKOFF_MIN;
    loop {
        match Identity::register(&c, &name, labels, &args.state_dir).await {
            Ok(id) => {
                tracing::info!(agent = %id.agent_id, "registered; identity saved in {}", args.state_dir.display());
                return Ok(id);
            }
            Err(e) if e.is_unreachable() && !args.once => {
                tracing::warn!("cannot register yet: {e}; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(BACKOFF_MAX);
            }
            Err(e) => return Err(e).context("registering with the bootstrap token"),
        }
    }
}

/// Runs the agent; `Ok(false)` when `--once` saw a failure.
pub async fn run(args: RunArgs) -> anyhow::Result<bool> {
    let server = args
        .server
        .clone()
        .context("the server URL is required (--server or CERTCTL_SERVER_URL)")?;
    let labels = metadata::parse_labels(&args.labels)?;
    let key_dir = args.key_dir.clone().unwrap_or_else(|| args.state_dir.join("keys"));
    // a malformed policy stops the agent before it registers or asks for work; a deployment
    // never writes the agent's own identity, keys or journal
    let own_state = [
        args.state_dir.join(certctl::agent::identity::STATE_FILE),
        args.state_dir.join("deploy.journal"),
        key_dir.clone(),
    ];
    let policy = HostPolicy::parse(&args.allowed_commands, &args.allowed_paths)?.protect(own_state);
    let id = identity(&args, &server, &labels).await?;
    let keys = KeyDir::open(&key_dir)?;
    tracing::info!("execution policy of this host: {policy}");
    let opts = DeployOptions {
        journal: Some(args.state_dir.join("deploy.journal")),
        policy,
        ..Default::default()
    };
    std::fs::create_dir_all(&args.state_dir)
        .with_context(|| format!("creating {}", args.state_dir.display()))?;
    let mut worker =
        Worker::new(client(&args, &server, &id.api_key)?, id.agent_id.clone(), keys, opts);
    if let Some(addr) = args.http01_listen {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!("binding the HTTP-01 responder on {addr} (CERTCTL_HTTP01_LISTEN)")
        })?;
        let tokens = certctl::agent::Http01Tokens::default();
        tokio::spawn(tokens.clone().serve(listener));
        tracing::info!("answering ACME HTTP-01 challenges on {addr}");
        worker = worker.with_http01(tokens);
    }
    match worker.recover().await {
        Ok(true) => {
            tracing::warn!("an interrupted deployment was rolled back to the previous files")
        }
        Ok(false) => {}
        Err(e) => tracing::error!("an interrupted deployment could not be rolled back: {e}"),
    }
    if args.once {
        return Ok(once(&worker, &labels).await);
    }

    let stop = worker.stop_flag();
    let wake = Arc::new(tokio::sync::Notify::new());
    {
        let (stop, wake) = (stop.clone(), wake.clone());
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("stopping after the work in progress");
            stop.store(true, Ordering::SeqCst);
            wake.notify_one();
        });
    }
    tracing::info!(agent = %id.agent_id, server, "agent started");
    let (mut next_hb, mut next_poll) = (Instant::now(), Instant::now());
    let mut backoff = BACKOFF_MIN;
    let mut last_state: Option<String> = None;
    let mut pending = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next_hb.min(next_poll)) => {}
            _ = wake.notified() => {}
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let now = Instant::now();
        let mut result: Result<(), AgentError> = Ok(());
        if now >= next_hb {
            result = worker.heartbeat(&metadata::collect(&labels)).await.map(|a| {
                let now_pending = a.status == AgentStatus::Pending;
                if now_pending && !pending {
                    tracing::warn!("this agent waits for approval: it gets no work until an operator runs `certctl agents approve {}`", a.id);
                } else if pending && !now_pending {
                    tracing::info!("this agent was approved");
                }
                pending = now_pending;
            });
            next_hb = now + jitter(args.heartbeat_interval);
        }
        if result.is_ok() && now >= next_poll {
            result = worker.poll().await.map(drop);
            next_poll = now + jitter(args.poll_interval);
        }
        let state = match &result {
            Ok(()) => "connected".to_owned(),
            Err(e) if e.is_unreachable() => "unreachable".to_owned(),
            Err(e) => format!("error: {e}"),
        };
        if last_state.as_deref() != Some(&state) {
            match &result {
                Ok(()) if last_state.is_some() => tracing::info!("server reachable again"),
                Ok(()) => {}
                Err(e) if e.is_unreachable() => tracing::warn!(
                    "cannot talk to the server ({e}); retrying with back-off up to {BACKOFF_MAX:?}, current certificates keep being served"
                ),
                Err(e) => tracing::error!("{e}"),
            }
            last_state = Some(state);
        }
        match result {
            Err(e) if e.is_unreachable() => {
                let d = jitter(backoff);
                next_hb = now + d;
                next_poll = now + d;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            _ => backoff = BACKOFF_MIN,
        }
    }
    tracing::info!("agent stopped");
    Ok(true)
}

/// One heartbeat, one poll and its work; whether everything succeeded.
async fn once(worker: &Worker, labels: &std::collections::BTreeMap<String, String>) -> bool {
    match worker.heartbeat(&metadata::collect(labels)).await {
        Ok(a) if a.status == AgentStatus::Pending => {
            tracing::warn!(
                "this agent waits for approval: it gets no work until an operator runs `certctl agents approve {}`",
                a.id
            );
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!("heartbeat: {e}");
            return false;
        }
    }
    match worker.poll().await {
        Ok(r) => {
            tracing::info!(
                csrs = r.csrs,
                deployed = r.deployed,
                failed = r.failures.len(),
                "poll done"
            );
            for f in &r.failures {
                tracing::error!("{f}");
            }
            r.failures.is_empty()
        }
        Err(e) => {
            tracing::error!("poll: {e}");
            false
        }
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}
