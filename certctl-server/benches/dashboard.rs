//! Dashboard benchmark: the real `certctl-server` binary (with the embedded dashboard) on SQLite
//! with 100,000 certificates, measured in Chromium by `web/e2e/bench.mjs`: JS shipped for the
//! first view, and the certificates view's time to interactive on loopback.
//!
//! Run: `cd web && npm ci && npm run build && cd .. && cargo bench -p certctl-server --bench
//! dashboard [-- --certs N]` (needs node and /usr/bin/chromium).
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::Duration;


fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    assert!(certctl_server::web::embedded(), "this certctl-server was built without the dashboard: run npm ci && npm run build in web/ first");
    let n = arg("--certs", 100_000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let (svc, key) = certctl::testing::seeded_service(dir.path(), n).await;
    drop(svc);

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .env("CERTCTL_DATA_DIR", dir.path())
        .env("CERTCTL_LISTEN", format!("127.0.0.1:{port}"))
        .env("CERTCTL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("dashboard benchmark: {n} certificates on SQLite, Chromium and certctl-server on loopback, {} cores", std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1));
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    let status = Command::new("node")
        .arg("e2e/bench.mjs")
        .current_dir(&web)
        .env("CERTCTL_BENCH_BASE", format!("http://127.0.0.1:{port}"))
        .env("CERTCTL_BENCH_KEY", &key)
        .status()
        .expect("node");
    let _ = server.kill();
    let _ = server.wait();
    assert!(status.success(), "web/e2e/bench.mjs failed");
}
