//! The daemon: back-off while the server is unreachable (logged once), heartbeats on its
//! interval once it is there, and a clean exit on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{Server, TOKEN};

fn daemon(server: &str, state: &std::path::Path, extra: &[(&str, &str)]) -> tokio::process::Child {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_certctl-agent"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CERTCTL_SERVER_URL", server)
        .env("CERTCTL_STATE_DIR", state)
        .env("CERTCTL_HEARTBEAT_INTERVAL", "200ms")
        .env("CERTCTL_POLL_INTERVAL", "200ms")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in extra {
        c.env(k, v);
    }
    c.spawn().unwrap()
}

async fn terminate(child: tokio::process::Child) -> (bool, String) {
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("the agent stops on SIGTERM")
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_then_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = daemon(
        &format!("http://127.0.0.1:{port}"),
        tmp.path(),
        &[("CERTCTL_AGENT_ID", "ag-x"), ("CERTCTL_API_KEY", "k")],
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (ok, log) = terminate(child).await;
    assert!(ok, "{log}");
    assert_eq!(
        log.matches("cannot talk to the server").count(),
        1,
        "logged once per change of state: {log}"
    );
    assert!(log.contains("agent stopped"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_on_interval_then_sigterm() {
    let s = Server::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let child = daemon(
        &s.url,
        tmp.path(),
        &[("CERTCTL_AGENT_BOOTSTRAP_TOKEN", TOKEN), ("CERTCTL_AGENT_NAME", "daemon-1")],
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let beats =
        s.received.lock().unwrap().iter().filter(|(l, _)| l.ends_with("/heartbeat")).count();
    assert!((3..=12).contains(&beats), "{beats} heartbeats in 1.5 s at 200 ms");
    // the quick-start token registers a Pending agent: it heartbeats and waits; approved, it says so
    let id: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("agent.json")).unwrap()).unwrap();
    let id = id["agent_id"].as_str().unwrap().to_owned();
    assert_eq!(s.admin.get_agent(&id).await.unwrap().status, certctl::model::AgentStatus::Pending);
    s.admin.approve_agent(&id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (ok, log) = terminate(child).await;
    assert!(ok, "{log}");
    assert!(log.contains("registered") && log.contains("agent stopped"), "{log}");
    assert_eq!(log.matches("waits for approval").count(), 1, "said once: {log}");
    assert!(log.contains("this agent was approved"), "{log}");
    assert!(tmp.path().join("agent.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_registers_and_heartbeats_distinct_agents() {
    let s = Server::start().await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_certctl-agent"))
        .args(["simulate", "--agents", "12", "--server", &s.url, "--bootstrap-token", TOKEN])
        .args(["--duration", "1500ms", "--heartbeat-interval", "300ms", "--poll-interval", "500ms"])
        .env_clear()
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("12 virtual agents") && stdout.contains(" 0 errors"), "{stdout}");
    // each virtual agent heartbeated under its own key: 12 agents, each with its own metadata
    let agents = s
        .admin
        .list_agents(&Default::default(), certctl::model::PageRequest::new(1, 100))
        .await
        .unwrap()
        .data;
    assert_eq!(agents.len(), 12);
    let hosts: std::collections::BTreeSet<_> = agents.iter().map(|a| a.hostname.clone()).collect();
    assert_eq!(hosts.len(), 12, "{hosts:?}");
    assert!(
        agents.iter().all(|a| a.last_heartbeat_at.is_some() && a.ip_addresses.len() == 2),
        "{agents:?}"
    );
}
