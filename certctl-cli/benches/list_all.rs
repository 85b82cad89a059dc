//! CLI benchmark: `certctl certs list --all -o json` over 100,000 certificates, against the real
//! server (in this process, SQLite, loopback). Reports wall time and the CLI's peak memory
//! (`/usr/bin/time -v` when installed, else `VmHWM` polled from /proc). Targets: ≤ 3 s, ≤ 50 MB.
//!
//! Run: `cargo bench -p certctl-cli --bench list_all [-- --certs N --runs R]`.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident memory of a process in MiB, from /proc (0 once it is gone).
fn vm_hwm(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// Runs the CLI once: (seconds, peak MiB, CLI CPU seconds, bytes written, lines).
fn run(url: &str, key: &str, out: &std::path::Path) -> (f64, f64, f64, u64, usize) {
    let cli = env!("CARGO_BIN_EXE_certctl");
    let args = ["certs", "list", "--all", "-o", "json"];
    let gnu_time = std::path::Path::new("/usr/bin/time").exists();
    let mut cmd = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(cli);
        c
    } else {
        Command::new(cli)
    };
    cmd.args(args)
        .env("CERTCTL_SERVER_URL", url)
        .env("CERTCTL_API_KEY", key)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut peak = 0.0f64;
    while child.try_wait().unwrap().is_none() {
        peak = peak.max(vm_hwm(child.id()));
        std::thread::sleep(Duration::from_millis(5));
    }
    let secs = start.elapsed().as_secs_f64();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut cpu = 0.0;
    if gnu_time {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let field = |name: &str| {
            stderr
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        if let Some(kb) = field("Maximum resident set size (kbytes): ") {
            peak = kb / 1024.0;
        }
        cpu = field("User time (seconds): ").unwrap_or(0.0)
            + field("System time (seconds): ").unwrap_or(0.0);
    }
    let text = std::fs::read_to_string(out).unwrap();
    (secs, peak, cpu, text.len() as u64, text.lines().count())
}

fn main() {
    let n = arg("--certs", 100_000) as usize;
    let runs = arg("--runs", 3);
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (url, key) = rt.block_on(async {
        let seed = Instant::now();
        let (svc, key) = certctl::testing::seeded_service(dir.path(), n).await;
        eprintln!("seeded {n} certificates in {:.1} s", seed.elapsed().as_secs_f64());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = certctl_server::app(certctl_server::AppState::new(svc));
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (url, key)
    });
    let out = dir.path().join("out.json");
    println!("certctl certs list --all -o json over {n} certificates ({runs} runs)");
    for i in 1..=runs {
        let (secs, peak, cpu, bytes, lines) = run(&url, &key, &out);
        println!(
            "run {i}: {secs:.2} s wall, peak RSS {peak:.1} MiB, CLI CPU {cpu:.2} s, {:.1} MiB of JSON, {} rows",
            bytes as f64 / 1048576.0,
            lines.saturating_sub(2)
        );
    }
}
