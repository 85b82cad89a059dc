//! End to end: server + agent binary + NGINX. Registration with the bootstrap token and real
//! host metadata; issuance through the agent's CSR, deployment verified by a TLS handshake;
//! renewal deploying the next key and certificate; a failing validate command rolled back with
//! the old certificate still served; key files 0600 in a 0700 directory; no private key in
//! anything the agent sent or the server stored.

use std::os::unix::fs::PermissionsExt;

use certctl::api::{CertificateInput, ConnectorInput};
use certctl::model::{AgentStatus, Job, JobFilter, JobStatus, JobType, PageRequest};
use serde_json::json;

use crate::nginx::Nginx;
use crate::support::{Agent, Server, require};

const CN: &str = "web.example.com";

async fn jobs(s: &Server, job_type: JobType) -> Vec<Job> {
    let f = JobFilter {
        job_type: Some(job_type),
        certificate_id: Some("mc-web".into()),
        ..Default::default()
    };
    let mut v = s.admin.list_jobs(&f, PageRequest::new(1, 100)).await.unwrap().data;
    v.sort_by_key(|j| j.created_at);
    v
}

/// The fingerprint of the one version issued since the `seen` ones (added to `seen`).
async fn new_fingerprint(s: &Server, seen: &mut Vec<String>) -> String {
    let v = s.admin.certificate_versions("mc-web").await.unwrap().data;
    let new: Vec<String> =
        v.into_iter().map(|v| v.fingerprint_sha256).filter(|f| !seen.contains(f)).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    seen.push(new[0].clone());
    new[0].clone()
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_issue_renew_and_roll_back() {
    if !require("nginx") {
        return;
    }
    let s = Server::start().await;
    let nginx = Nginx::start(CN);
    let root = tempfile::tempdir().unwrap();
    // this host allows exactly the commands of the test's nginx (and the failing check below) and
    // writing in its certs dir
    let failing_check: Vec<String> = vec!["ls".into(), "/nonexistent/nginx-check".into()];
    let agent = Agent::new(root.path(), &s.url).allow(
        &[nginx.command(&["-t"]), nginx.command(&["-s", "reload"]), failing_check.clone()],
        &[&nginx.prefix.path().join("certs")],
    );

    // first run: registers with the bootstrap token, saves its identity, heartbeats real metadata
    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    assert_eq!(mode(&agent.state.join("agent.json")), 0o600);
    let id = agent.id();
    let a = s.admin.get_agent(&id).await.unwrap();
    assert_eq!(a.name, "web-1");
    assert_eq!(a.hostname, std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim());
    assert_eq!(
        (a.os.as_str(), a.arch.as_str(), a.agent_version.as_str()),
        ("linux", std::env::consts::ARCH, env!("CARGO_PKG_VERSION"))
    );
    assert!(!a.os_version.is_empty());
    assert_eq!(a.reported_labels.get("role").map(String::as_str), Some("web"));
    assert!(a.labels.is_empty(), "what the host says is never an operator label: {:?}", a.labels);
    assert_eq!(a.observed_ip.as_deref(), Some("127.0.0.1"), "the address the server saw");
    assert!(a.ip_addresses.iter().all(|ip| !ip.parse::<std::net::IpAddr>().unwrap().is_loopback()));
    assert_eq!(a.status, AgentStatus::Online);
    // a restart reuses the saved identity
    assert!(agent.once().await.0);
    assert_eq!(agent.id(), id);
    assert_eq!(
        s.admin.list_agents(&Default::default(), PageRequest::default()).await.unwrap().total,
        1
    );

    let config = |validate: Vec<String>| {
        json!({
            "cert_path": nginx.cert_path(), "key_path": nginx.key_path(),
            "validate_command": validate, "reload_command": nginx.command(&["-s", "reload"]),
            "verify_address": format!("127.0.0.1:{}", nginx.port), "verify_server_name": CN,
        })
    };
    s.admin
        .create_target(&ConnectorInput {
            id: Some("t-nginx".into()),
            name: Some("nginx".into()),
            connector_type: Some("nginx".into()),
            agent_id: Some(Some(id.clone())),
            config: Some(config(nginx.command(&["-t"]))),
            ..Default::default()
        })
        .await
        .unwrap();
    let bootstrap_fp = nginx.served_fingerprint(CN);
    s.admin
        .create_certificate(&CertificateInput {
            id: Some("mc-web".into()),
            common_name: CN.into(),
            sans: vec![CN.into(), "127.0.0.1".into()],
            target_ids: vec!["t-nginx".into()],
            ..Default::default()
        })
        .await
        .unwrap();

    let mut seen = Vec::new();
    // issuance: key made here, CSR sent, certificate deployed and served
    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    let v1 = new_fingerprint(&s, &mut seen).await;
    assert_ne!(v1, bootstrap_fp);
    assert_eq!(nginx.wait_for(CN, &v1), v1, "openssl sees the issued certificate");
    let deployments = jobs(&s, JobType::Deployment).await;
    assert_eq!(deployments.len(), 1);
    assert_eq!(deployments[0].status, JobStatus::Completed);
    assert_eq!(mode(&agent.keys), 0o700);
    let key_file = agent.keys.join("mc-web.key");
    assert_eq!(mode(&key_file), 0o600);
    assert!(!agent.keys.join("mc-web.key.next").exists(), "the new key is in service");
    let key1 = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(std::fs::read_to_string(nginx.key_path()).unwrap(), key1);
    assert_eq!(mode(&nginx.key_path()), 0o600);
    assert_eq!(
        s.admin.export_certificate("mc-web").await.unwrap(),
        std::fs::read_to_string(nginx.cert_path()).unwrap(),
        "full chain in cert_path"
    );

    // renewal: the next key and certificate, deployed the same way
    s.admin.renew_certificate("mc-web").await.unwrap();
    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    let v2 = new_fingerprint(&s, &mut seen).await;
    assert_ne!(v2, v1);
    assert_eq!(nginx.wait_for(CN, &v2), v2);
    let key2 = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(key2, key1, "renewal rotates the key");
    let cert2 = std::fs::read(nginx.cert_path()).unwrap();

    // a validate command that fails: job Failed naming the step, old pair restored and served
    s.admin
        .update_target(
            "t-nginx",
            &ConnectorInput { config: Some(config(failing_check)), ..Default::default() },
        )
        .await
        .unwrap();
    s.admin.renew_certificate("mc-web").await.unwrap();
    let (ok, log) = agent.once().await;
    assert!(!ok, "a failed deployment makes --once fail: {log}");
    let failed = jobs(&s, JobType::Deployment).await.pop().unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    let err = failed.last_error.unwrap_or_default();
    assert!(
        err.starts_with("validate: `ls /nonexistent/nginx-check` exited with status 2:"),
        "{err}"
    );
    assert!(err.contains("No such file") && err.contains("rolled back"), "{err}");
    assert_eq!(nginx.served_fingerprint(CN), v2, "the previous certificate is still served");
    assert_eq!(std::fs::read(nginx.cert_path()).unwrap(), cert2);
    assert_eq!(std::fs::read_to_string(nginx.key_path()).unwrap(), key2);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key2, "the key in service is kept");
    assert!(
        agent.keys.join("mc-web.key.next").exists(),
        "the new key waits for a successful deployment"
    );
    assert_eq!(s.admin.get_agent(&id).await.unwrap().status, AgentStatus::Degraded);
    let leftovers: Vec<_> = std::fs::read_dir(nginx.prefix.path().join("certs"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");

    // fixed config + explicit deploy: the waiting key goes into service with its certificate
    s.admin
        .update_target(
            "t-nginx",
            &ConnectorInput { config: Some(config(nginx.command(&["-t"]))), ..Default::default() },
        )
        .await
        .unwrap();
    s.admin.deploy_certificate("mc-web").await.unwrap();
    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    let v3 = new_fingerprint(&s, &mut seen).await;
    assert_eq!(nginx.wait_for(CN, &v3), v3);
    assert!(!agent.keys.join("mc-web.key.next").exists());
    let key3 = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(key3, key2);
    assert_eq!(s.admin.get_agent(&id).await.unwrap().status, AgentStatus::Online);
    // deploying the same version again changes nothing
    let before = std::fs::metadata(nginx.cert_path()).unwrap().modified().unwrap();
    s.admin.deploy_certificate("mc-web").await.unwrap();
    let (ok, log) = agent.once().await;
    assert!(ok && log.contains("already in place"), "{log}");
    assert_eq!(std::fs::metadata(nginx.cert_path()).unwrap().modified().unwrap(), before);

    // nothing the agent sent, and nothing the server stored, holds a private key
    let sent = s.received.lock().unwrap().clone();
    assert!(sent.iter().any(|(line, _)| line.contains("/csr")), "the recorder saw the CSRs");
    for key in [&key1, &key2, &key3] {
        let body_line = key.lines().nth(1).unwrap();
        for (line, body) in &sent {
            let text = String::from_utf8_lossy(body);
            assert!(
                !text.contains("PRIVATE KEY") && !text.contains(body_line),
                "{line} carried key material"
            );
        }
    }
    for file in [s.db.clone(), s.db.with_extension("db-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            assert!(
                !bytes.windows(11).any(|w| w == b"PRIVATE KEY"),
                "{} holds a private key",
                file.display()
            );
        }
    }
    let _ = &s.svc;
}
