//! API benchmark: the real `certctl-server` binary on SQLite with 100,000 certificates, loaded
//! by `wrk` on loopback. Reports requests/s, latency percentiles and the server's memory.
//!
//! Run: `cargo bench -p certctl-server --bench api [-- --certs N --connections C --seconds S]`
//! (needs `wrk`: `apt-get install wrk`).
#![allow(clippy::unwrap_used)]

#[path = "support/mod.rs"]
mod support;

use std::process::Command;

use certctl::model::Timestamp;
use certctl::service::{Service, ServiceConfig};
use certctl::store::prelude::*;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `VmRSS` and `VmHWM` (peak) of a process, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

/// Runs wrk and returns (requests/s, p50 ms, p99 ms, non-2xx count).
fn wrk(url: &str, key: &str, connections: u64, seconds: u64) -> (f64, f64, f64, u64) {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-H",
            &format!("Authorization: Bearer {key}"),
            url,
        ])
        .output()
        .expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let ms = |v: &str| {
        let v = v.trim();
        if let Some(x) = v.strip_suffix("us") {
            x.parse::<f64>().unwrap_or(0.0) / 1000.0
        } else if let Some(x) = v.strip_suffix("ms") {
            x.parse().unwrap_or(0.0)
        } else if let Some(x) = v.strip_suffix('s') {
            x.parse::<f64>().unwrap_or(0.0) * 1000.0
        } else {
            0.0
        }
    };
    let field = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .map(|l| l.trim_start()[prefix.len()..].trim().to_owned())
            .unwrap_or_default()
    };
    let rps = field("Requests/sec:").parse().unwrap_or(0.0);
    let p50 = ms(&field("50%"));
    let p99 = ms(&field("99%"));
    let errors = field("Non-2xx or 3xx responses:").parse().unwrap_or(0);
    (rps, p50, p99, errors)
}

#[tokio::main]
async fn main() {
    let n = arg("--certs", 100_000) as usize;
    let connections = arg("--connections", 8);
    let seconds = arg("--seconds", 10);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("certctl.db");
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::new(certctl::store::SqliteStore::open(&db).await.unwrap());
    let svc = Service::open(store.clone(), dir.path(), ServiceConfig::default()).unwrap();
    let key = svc.bootstrap().await.unwrap().admin_key.unwrap();
    let audit = certctl::model::AuditDraft::new(
        "bench",
        certctl::model::ActorType::System,
        "certificate_imported",
        "certificate",
        "-",
    );
    let certs = certctl::testing::sample_certificates(n, Timestamp::now());
    for chunk in certs.chunks(5000) {
        store.import_certificates(chunk, &audit).await.unwrap();
    }
    drop(svc);
    drop(store);

    let (mut server, base) = support::spawn_server(dir.path(), &[]).await;
    println!(
        "certctl-server API benchmark: {n} certificates on SQLite, wrk -t2 -c{connections} -d{seconds}s on loopback, {} cores shared by server and load generator",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    );
    println!("{:<58} {:>9} {:>9} {:>9} {:>7}", "request", "req/s", "p50 ms", "p99 ms", "non-2xx");
    let target = certs.len() / 2;
    let one_cn = format!(
        "svc-{target}.{}.example.com",
        ["production", "staging", "development", "qa"][target % 4]
    );
    for (label, path) in [
        (
            "GET /api/v1/certificates?status=Active&per_page=50",
            "/api/v1/certificates?status=Active&per_page=50".to_owned(),
        ),
        (
            "GET /api/v1/certificates?status=Active&per_page=50&page=200",
            "/api/v1/certificates?status=Active&per_page=50&page=200".to_owned(),
        ),
        ("GET /api/v1/certificates?q=<one CN>", format!("/api/v1/certificates?q={one_cn}")),
        (
            "GET /api/v1/certificates?q=svc-4242 (prefix of 11 CNs)",
            "/api/v1/certificates?q=svc-4242".to_owned(),
        ),
        ("GET /api/v1/certificates (default list)", "/api/v1/certificates".to_owned()),
    ] {
        let (rps, p50, p99, errors) = wrk(&format!("{base}{path}"), &key, connections, seconds);
        println!("{label:<58} {rps:>9.0} {p50:>9.2} {p99:>9.2} {errors:>7}");
    }
    // the selective search while the list load runs: two load generators at once
    let (list_url, q_url) = (
        format!("{base}/api/v1/certificates?status=Active&per_page=50"),
        format!("{base}/api/v1/certificates?q={one_cn}"),
    );
    let (k1, k2) = (key.clone(), key.clone());
    let list = std::thread::spawn(move || wrk(&list_url, &k1, connections, seconds));
    let search = std::thread::spawn(move || wrk(&q_url, &k2, 2, seconds));
    let ((rps, p50, p99, e1), (qrps, qp50, qp99, e2)) =
        (list.join().unwrap(), search.join().unwrap());
    println!(
        "{:<58} {rps:>9.0} {p50:>9.2} {p99:>9.2} {e1:>7}",
        format!("  together: status=Active list (-c{connections})")
    );
    println!("{:<58} {qrps:>9.0} {qp50:>9.2} {qp99:>9.2} {e2:>7}", "  together: q=<one CN> (-c2)");
    let (rss, peak) = memory(server.id());
    println!("server memory after the runs: RSS {rss:.1} MiB, peak RSS {peak:.1} MiB");
    let _ = server.kill();
    let _ = server.wait();
}
