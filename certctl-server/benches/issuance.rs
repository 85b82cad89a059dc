//! Issuance benchmark: end-to-end issuances per second through the API (agent CSR submitted →
//! checked → signed by the Local CA → version stored → deployment job created) on SQLite,
//! against the real `certctl-server` binary, beside the machine's raw ECDSA P-256 rate from
//! `openssl speed`.
//!
//! Run: `cargo bench -p certctl-server --bench issuance [-- --certs N --concurrency C]`.
#![allow(clippy::unwrap_used)]

#[path = "support/mod.rs"]
mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use certctl::api::{AgentInput, CertificateInput, ConnectorInput};
use certctl::client::Client;
use certctl::model::*;
use certctl::service::{Actor, Service, ServiceConfig};
use certctl::store::prelude::*;
use futures_util::StreamExt;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `openssl speed ecdsap256`: (sign/s, verify/s) on one core.
fn openssl_speed() -> Option<(f64, f64)> {
    let out =
        Command::new("openssl").args(["speed", "-seconds", "3", "ecdsap256"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("256 bits ecdsa (nistp256)"))?;
    let nums: Vec<f64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    // "256 bits ecdsa (nistp256)   0.0000s   0.0001s  47000.0  15000.0"
    Some((nums[nums.len() - 2], nums[nums.len() - 1]))
}

#[tokio::main]
async fn main() {
    let n = arg("--certs", 3000) as usize;
    let concurrency = arg("--concurrency", 16) as usize;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(certctl::store::SqliteStore::open(&dir.path().join("certctl.db")).await.unwrap());
    let svc = Service::open(store, dir.path(), ServiceConfig::default()).unwrap();
    let admin = svc.bootstrap().await.unwrap().admin_key.unwrap();
    let sys = Actor::system();
    let reg = svc
        .register_agent(
            &sys,
            &AgentInput { id: Some("ag-bench".into()), name: "bench".into(), ..Default::default() },
        )
        .await
        .unwrap();
    svc.create_target(
        &sys,
        &ConnectorInput {
            id: Some("t-bench".into()),
            name: Some("bench".into()),
            connector_type: Some("file".into()),
            agent_id: Some(Some("ag-bench".into())),
            config: Some(serde_json::json!({"cert_path": "/tmp/bench.pem"})),
            enabled: None,
        },
    )
    .await
    .unwrap();
    let mut work = Vec::with_capacity(n);
    for i in 0..n {
        let cn = format!("svc-{i}.bench.example.com");
        let input = CertificateInput {
            id: Some(format!("mc-b{i}")),
            common_name: cn.clone(),
            target_ids: vec!["t-bench".into()],
            ..Default::default()
        };
        svc.create_certificate(&sys, &input).await.unwrap();
        let job = svc
            .store_for_tests()
            .list_jobs(
                &JobFilter {
                    certificate_id: Some(format!("mc-b{i}").as_str().into()),
                    ..Default::default()
                },
                PageRequest::default(),
            )
            .await
            .unwrap()
            .data
            .remove(0);
        let key = certctl::pki::PrivateKey::generate_p256().unwrap();
        work.push((job.id.to_string(), certctl::pki::build_csr(&key, &cn, &[]).unwrap()));
    }
    drop(svc);

    let (mut server, url) = support::spawn_server(
        dir.path(),
        &[("CERTCTL_JOB_PROCESSOR_INTERVAL", "1h"), ("CERTCTL_RENEWAL_CHECK_INTERVAL", "1h")],
    )
    .await;
    let agent = Client::builder(&url).api_key(&reg.api_key).build().unwrap();
    for _ in 0..100 {
        if agent.health().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let start = Instant::now();
    let results: Vec<JobStatus> = futures_util::stream::iter(work)
        .map(|(job, csr)| {
            let agent = agent.clone();
            async move { agent.submit_csr("ag-bench", &job, &csr).await.unwrap().status }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = start.elapsed();
    assert!(results.iter().all(|s| *s == JobStatus::Completed));
    let admin = Client::builder(&url).api_key(&admin).build().unwrap();
    let active =
        admin.summary().await.unwrap().certificates_by_status.get("Active").copied().unwrap_or(0);
    assert_eq!(active as usize, n, "every certificate Active with a stored version");
    let _ = server.kill();
    let _ = server.wait();

    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "issuance benchmark: {n} agent CSRs, {concurrency} concurrent, SQLite, real server binary on loopback, {} cores",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    );
    println!(
        "end-to-end issuances (CSR submitted -> version stored, deployment job created): {rate:.0}/s ({elapsed:.2?} for {n})"
    );
    if let Some((sign, verify)) = openssl_speed() {
        let raw = 1.0 / (1.0 / sign + 1.0 / verify);
        println!(
            "openssl speed ecdsap256 (one core): sign {sign:.0}/s, verify {verify:.0}/s -> sign+verify {raw:.0}/s"
        );
        println!("ratio: {:.1}% of one core's raw sign+verify rate", rate / raw * 100.0);
    }
}
