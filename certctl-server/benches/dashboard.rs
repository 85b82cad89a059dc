//! Dashboard benchmark: the real `certctl-server` binary (with the embedded dashboard) on SQLite
//! with 100,000 certificates, measured in Chromium by `web/e2e/bench.mjs`: JS shipped for the
//! first view, and the certificates view's time to interactive on loopback.
//!
//! Run: `cd web && npm ci && npm run build && cd .. && cargo bench -p certctl-server --bench
//! dashboard [-- --certs N]` (needs node and /usr/bin/chromium).
#![allow(clippy::unwrap_used)]

#[path = "support/mod.rs"]
mod support;

use std::process::Command;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    assert!(
        certctl_server::web::embedded(),
        "this certctl-server was built without the dashboard: run npm ci && npm run build in web/ first"
    );
    let n = arg("--certs", 100_000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let (svc, key) = certctl::testing::seeded_service(dir.path(), n).await;
    drop(svc);

    let (mut server, base) = support::spawn_server(dir.path(), &[]).await;
    println!(
        "dashboard benchmark: {n} certificates on SQLite, Chromium and certctl-server on loopback, {} cores",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    );
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    let status = Command::new("node")
        .arg("e2e/bench.mjs")
        .current_dir(&web)
        .env("CERTCTL_BENCH_BASE", &base)
        .env("CERTCTL_BENCH_KEY", &key)
        .status()
        .expect("node");
    let _ = server.kill();
    let _ = server.wait();
    assert!(status.success(), "web/e2e/bench.mjs failed");
}
