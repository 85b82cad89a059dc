//! Heartbeat benchmark: the real `certctl-server` binary on SQLite, `wrk` POSTing heartbeats
//! for N registered agents (each request picks an agent and sends with that agent's own key).
//!
//! Run: `cargo bench -p certctl-server --bench heartbeats [-- --agents N --connections C --seconds S]`
#![allow(clippy::unwrap_used)]

#[path = "support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;

use certctl::api::AgentInput;
use certctl::service::{Actor, Service, ServiceConfig};
use certctl::store::Store;

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
    let n = arg("--agents", 2000) as usize;
    let connections = arg("--connections", 64);
    let seconds = arg("--seconds", 10);
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(certctl::store::SqliteStore::open(&dir.path().join("certctl.db")).await.unwrap());
    let svc = Service::open(store, dir.path(), ServiceConfig::default()).unwrap();
    svc.bootstrap().await.unwrap();
    let mut lua = String::from("local agents = {\n");
    for i in 0..n {
        let reg = svc
            .register_agent(
                &Actor::system(),
                &AgentInput {
                    id: Some(format!("ag-{i:05}")),
                    name: format!("host-{i}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        writeln!(lua, "  {{\"ag-{i:05}\", \"{}\"}},", reg.api_key).unwrap();
    }
    lua.push_str(
        "}\nlocal i = 0\nrequest = function()\n  i = (i % #agents) + 1\n  local a = agents[i]\n\
         local body = '{\"hostname\":\"' .. a[1] .. '.example.com\",\"os\":\"linux\",\"os_version\":\"Debian 12\",\"arch\":\"x86_64\",\"ip_addresses\":[\"10.0.' .. (i % 250) .. '.' .. (i % 200) .. '\"],\"agent_version\":\"0.1.0\",\"labels\":{\"env\":\"prod\"}}'\n\
         return wrk.format('POST', '/api/v1/agents/' .. a[1] .. '/heartbeat', {['Authorization'] = 'Bearer ' .. a[2], ['Content-Type'] = 'application/json'}, body)\nend\n",
    );
    let script = dir.path().join("heartbeat.lua");
    std::fs::write(&script, lua).unwrap();
    drop(svc);

    let (mut server, base) = support::spawn_server(dir.path(), &[]).await;
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(&script)
        .arg(&base)
        .output()
        .expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap_or_default();
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "heartbeat benchmark: {n} agents, each request with its agent's own key, SQLite, wrk -t2 -c{connections} -d{seconds}s, {} cores shared",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    );
    for l in text.lines().filter(|l| {
        l.contains("Requests/sec")
            || l.contains("50%")
            || l.contains("99%")
            || l.contains("Non-2xx")
    }) {
        println!("  {}", l.trim());
    }
    if let Some(l) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("  server peak RSS: {}", l.trim_start_matches("VmHWM:").trim());
    }
}
