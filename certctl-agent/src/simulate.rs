//! `certctl-agent simulate`: N virtual agents in one process, each registered with the
//! bootstrap token and sending real heartbeats (distinct hostnames, addresses, OS/arch mixes,
//! labels) and work polls over one shared connection pool; prints the heartbeat rate achieved and
//! its latency percentiles, for the warm-up (every agent's first contact: new connections, cold
//! caches) and for the sustained load after it, separately.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use certctl::api::AgentInput;
use certctl::client::Client;
use certctl::model::AgentMetadata;
use clap::Args;
use rand::Rng;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::daemon::jitter;
use crate::parse_duration;

/// Settings of a simulation.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Number of virtual agents
    #[arg(long, default_value_t = 100)]
    agents: usize,
    /// The control plane's URL
    #[arg(long, env = "CERTCTL_SERVER_URL")]
    server: String,
    /// Bootstrap token the virtual agents register with
    #[arg(long, env = "CERTCTL_AGENT_BOOTSTRAP_TOKEN", hide_env_values = true)]
    bootstrap_token: String,
    /// How long to measure the sustained load, after the warm-up
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// Load that runs before the measured window and is reported on its own line (every virtual
    /// agent's first requests open connections and fill the server's caches)
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    warmup: Duration,
    /// Heartbeat interval of each virtual agent (±10% jitter)
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    heartbeat_interval: Duration,
    /// Work-poll interval of each virtual agent (±10% jitter)
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    poll_interval: Duration,
    /// Registrations in flight at once
    #[arg(long, default_value_t = 16)]
    register_concurrency: usize,
    /// Trust only this CA (PEM) for the server's certificate
    #[arg(long, env = "CERTCTL_CA_CERT")]
    ca_cert: Option<PathBuf>,
}

const OSES: &[(&str, &str)] = &[
    ("linux", "Debian GNU/Linux 12 (bookworm)"),
    ("linux", "Ubuntu 24.04.1 LTS"),
    ("linux", "Rocky Linux 9.4 (Blue Onyx)"),
    ("freebsd", "FreeBSD 14.1-RELEASE"),
    ("windows", "Windows Server 2022"),
];
const ARCHES: &[&str] = &["x86_64", "x86_64", "aarch64"];
const ENVS: &[&str] = &["production", "staging", "development"];
const DCS: &[&str] = &["par1", "fra2", "iad3", "sin1"];

/// The metadata of virtual agent `i`: distinct, deterministic, varied.
pub fn virtual_metadata(i: usize) -> AgentMetadata {
    let (os, os_version) = OSES[i % OSES.len()];
    let dc = DCS[i % DCS.len()];
    AgentMetadata {
        hostname: format!("sim-{i:06}.{dc}.example.net"),
        os: os.into(),
        os_version: os_version.into(),
        arch: ARCHES[i % ARCHES.len()].into(),
        ip_addresses: vec![
            format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            format!("fd00:5e::{:x}", i + 1),
        ],
        agent_version: env!("CARGO_PKG_VERSION").into(),
        labels: [
            ("env".to_owned(), ENVS[i % ENVS.len()].to_owned()),
            ("dc".to_owned(), dc.to_owned()),
            ("role".to_owned(), if i.is_multiple_of(2) { "web" } else { "db" }.to_owned()),
        ]
        .into(),
    }
}

fn builder(args: &SimArgs, key: &str) -> certctl::client::ClientBuilder {
    let mut b = Client::builder(&args.server);
    if !key.is_empty() {
        b = b.api_key(key);
    }
    if let Some(ca) = &args.ca_cert {
        b = b.ca_cert_file(ca);
    }
    b
}

/// Latencies (µs) and errors of one kind of request.
#[derive(Debug, Default)]
struct Samples {
    micros: Vec<u32>,
    errors: usize,
}

impl Samples {
    fn merge(&mut self, other: Samples) {
        self.micros.extend(other.micros);
        self.errors += other.errors;
    }

    fn line(&mut self, what: &str, secs: f64) -> String {
        self.micros.sort_unstable();
        let pct = |p: f64| {
            self.micros
                .get(
                    ((self.micros.len() as f64 * p) as usize)
                        .min(self.micros.len().saturating_sub(1)),
                )
                .map_or(0.0, |u| *u as f64 / 1000.0)
        };
        format!(
            "{what}: {} ok ({:.0}/s), {} errors, latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.micros.len(),
            self.micros.len() as f64 / secs,
            self.errors,
            pct(0.50),
            pct(0.99),
            self.micros.last().map_or(0.0, |u| *u as f64 / 1000.0)
        )
    }
}

pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let args = Arc::new(args);
    let registrar = builder(&args, &args.bootstrap_token).build()?;
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(args.register_concurrency.max(1)));
    let mut regs = tokio::task::JoinSet::new();
    for i in 0..args.agents {
        let (c, gate) = (registrar.clone(), gate.clone());
        regs.spawn(async move {
            let _permit = gate.acquire().await;
            let labels = virtual_metadata(i).labels;
            c.register_agent(&AgentInput { id: None, name: format!("sim-{i:06}"), labels })
                .await
                .map(|r| (i, r.agent.id.to_string(), r.api_key))
        });
    }
    let mut agents = Vec::with_capacity(args.agents);
    while let Some(r) = regs.join_next().await {
        agents.push(r?.context("registering a virtual agent")?);
    }
    eprintln!(
        "registered {} virtual agents in {:.1} s",
        agents.len(),
        started.elapsed().as_secs_f64()
    );

    let t0 = Instant::now();
    let steady = t0 + args.warmup;
    let end = steady + args.duration;
    let mut tasks = tokio::task::JoinSet::new();
    // one connection pool for every virtual agent (each sends its own key): a virtual agent
    // costs a task, not a pool and a TLS setup
    let pool = builder(&args, "").build()?;
    for (i, id, key) in agents {
        let client = pool.with_api_key(&key)?;
        let args = args.clone();
        tasks.spawn(async move {
            let meta = virtual_metadata(i);
            let (mut warm, mut hb, mut polls) =
                (Samples::default(), Samples::default(), Samples::default());
            let spread = |d: Duration| d.mul_f64(rand::rng().random_range(0.0..1.0));
            let (mut next_hb, mut next_poll) =
                (t0 + spread(args.heartbeat_interval), t0 + spread(args.poll_interval));
            loop {
                let at = next_hb.min(next_poll);
                if at >= end {
                    break;
                }
                tokio::time::sleep_until(at).await;
                let s = Instant::now();
                if next_hb <= next_poll {
                    let r = client.heartbeat(&id, &meta).await;
                    record(if s < steady { &mut warm } else { &mut hb }, s, r.is_ok());
                    next_hb += jitter(args.heartbeat_interval);
                } else {
                    let r = client.agent_work(&id).await;
                    if s >= steady {
                        record(&mut polls, s, r.is_ok());
                    }
                    next_poll += jitter(args.poll_interval);
                }
            }
            (warm, hb, polls)
        });
    }
    let (mut warm, mut hb, mut polls) =
        (Samples::default(), Samples::default(), Samples::default());
    while let Some(r) = tasks.join_next().await {
        let (w, h, p) = r?;
        warm.merge(w);
        hb.merge(h);
        polls.merge(p);
    }
    // requests still in flight at the end finish late: the window is as long as it really was
    let secs = (Instant::now() - steady).as_secs_f64().max(args.duration.as_secs_f64());
    println!(
        "{} virtual agents, heartbeat every {:?}, poll every {:?}",
        args.agents, args.heartbeat_interval, args.poll_interval
    );
    if !args.warmup.is_zero() {
        println!("{}", warm.line("warm-up heartbeats", args.warmup.as_secs_f64()));
    }
    println!("sustained for {secs:.1} s:");
    println!("{}", hb.line("heartbeats", secs));
    println!("{}", polls.line("polls", secs));
    Ok(())
}

fn record(s: &mut Samples, started: Instant, ok: bool) {
    if ok {
        s.micros.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
    } else {
        s.errors += 1;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn virtual_agents_differ() {
        let a = super::virtual_metadata(1);
        let b = super::virtual_metadata(258);
        assert_ne!(a.hostname, b.hostname);
        assert_ne!(a.ip_addresses, b.ip_addresses);
        assert!(
            a.ip_addresses
                .iter()
                .chain(&b.ip_addresses)
                .all(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        );
    }
}
