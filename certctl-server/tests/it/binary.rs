//! The real `certctl-server` binary: first start writes admin.key (0600), the scheduler loops
//! run on their configured intervals (server keygen issues a renewed certificate with no one
//! calling the processor), and SIGTERM stops it cleanly.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use certctl::api::CertificateInput;
use certctl::client::Client;
use certctl::model::CertificateStatus;

#[tokio::test]
async fn loops_run_and_sigterm_stops() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .env("CERTCTL_DATA_DIR", dir.path())
        .env("CERTCTL_LISTEN", format!("127.0.0.1:{port}"))
        .env("CERTCTL_KEYGEN_MODE", "server")
        .env("CERTCTL_JOB_PROCESSOR_INTERVAL", "200ms")
        .env("CERTCTL_RENEWAL_CHECK_INTERVAL", "200ms")
        .stdout(Stdio::piped())
        // the log goes to a file: not a terminal, so no colour codes
        .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
        .spawn()
        .unwrap();
    let key_file = dir.path().join("admin.key");
    let start = Instant::now();
    while !key_file.exists() && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(key.ends_with('\n') && key.trim().starts_with("certctl_") && key.lines().count() == 1);
    let client =
        Client::builder(format!("http://127.0.0.1:{port}")).api_key(key.trim()).build().unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if client.health().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "server did not come up");
    assert!(client.ready().await.unwrap().warnings.iter().any(|w| w.contains("server keygen")));
    client
        .create_certificate(&CertificateInput {
            id: Some("mc-loop".into()),
            common_name: "loop.example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    client.renew_certificate("mc-loop").await.unwrap();
    let mut status = CertificateStatus::Pending;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        status = client.get_certificate("mc-loop").await.unwrap().status;
        if status == CertificateStatus::Active {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, CertificateStatus::Active, "the job processor loop issued it");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "no exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(code.success(), "{code:?}");
    let out = std::io::read_to_string(child.stdout.take().unwrap()).unwrap();
    assert!(
        out.contains("admin API key") && out.contains(key.trim()),
        "the key is printed once at first start"
    );
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    assert!(log.contains("INFO"), "{log}");
    assert!(!log.contains('\u{1b}'), "colour codes in a log that is not a terminal: {log}");
}

/// The README's quick start: `--demo` seeds a ready-to-explore control plane and runs an agent in
/// the process that renews and deploys three certificates to files under the data dir (one
/// target refused by its host policy); with `--tls-self-signed` it serves TLS from its own
/// Local CA, which clients (and that agent) trust by its root.
#[tokio::test]
async fn demo_over_self_signed_tls() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .args(["--demo", "--tls-self-signed"])
        .env("CERTCTL_DATA_DIR", dir.path())
        .env("CERTCTL_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("https://127.0.0.1:{port}");
    let key_file = dir.path().join("admin.key");
    let mut client = None;
    for _ in 0..200 {
        if key_file.exists() && dir.path().join("local-ca.pem").exists() {
            let c = Client::builder(&url)
                .api_key(std::fs::read_to_string(&key_file).unwrap().trim())
                .ca_cert_file(dir.path().join("local-ca.pem"))
                .build()
                .unwrap();
            if c.health().await.is_ok() {
                client = Some(c);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let client = client.expect("TLS server did not come up");
    let summary = client.summary().await.unwrap();
    let total: i64 = summary.certificates_by_status.values().sum();
    assert_eq!(total, 30);
    assert_eq!(summary.certificates_by_status.get("Expired"), Some(&1));
    assert!(summary.expiring_within_7_days >= 1);
    let untrusted = Client::builder(&url).api_key("x").build().unwrap();
    assert!(
        matches!(untrusted.health().await, Err(certctl::client::ClientError::Unreachable(_))),
        "an unknown CA is refused"
    );

    // the lifecycle on this machine: the agent running in the server process renews the due
    // certificates bound to its file targets and deploys them under the data dir (within the
    // first minute); the target outside its allowed paths fails with the reason
    let mail = dir.path().join("demo-targets/mail");
    let start = Instant::now();
    let failed = loop {
        let jobs = client
            .list_jobs(
                &certctl::model::JobFilter {
                    certificate_id: Some("mc-payments-prod".into()),
                    ..Default::default()
                },
                certctl::model::PageRequest::new(1, 50),
            )
            .await
            .unwrap();
        let failed = jobs.data.into_iter().find(|j| {
            j.job_type == certctl::model::JobType::Deployment
                && j.status == certctl::model::JobStatus::Failed
        });
        if mail.join("fullchain.pem").exists()
            && dir.path().join("demo-targets/checkout/fullchain.pem").exists()
            && let Some(f) = failed
        {
            break f;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no demo lifecycle within 60 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let why = failed.last_error.unwrap_or_default();
    assert!(why.contains("policy") && why.contains("outside the paths this host allows"), "{why}");
    assert!(
        std::fs::read_to_string(mail.join("fullchain.pem")).unwrap().contains("BEGIN CERTIFICATE")
    );
    assert_eq!(
        std::fs::metadata(mail.join("privkey.pem")).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        !std::path::Path::new("/etc/certctl-demo-not-allowed").exists(),
        "nothing written there"
    );
    let versions = client.certificate_versions("mc-mail-prod").await.unwrap();
    assert_eq!(versions.data.len(), 2, "the seeded version and the renewal through the agent");
    let members = client
        .agent_group_members("grp-demo-local", certctl::model::PageRequest::new(1, 10))
        .await
        .unwrap();
    assert!(members.data.iter().any(|a| a.id.as_str() == "ag-demo-local"), "{members:?}");
    let _ = child.kill();
    let _ = child.wait();
    let out = std::io::read_to_string(child.stdout.take().unwrap()).unwrap();
    assert!(out.contains("SHA-256 fingerprint") && out.contains("Seeded demo data"), "{out}");
}

/// A reconnect storm (every agent after a restart) queues in the kernel instead of losing SYNs:
/// 600 connections complete their handshake at once while nothing accepts them. With the usual
/// backlog of 128 the rest would wait a second for a SYN retransmit and time out here.
#[tokio::test]
async fn listener_queues_a_reconnect_storm() {
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4096);
    let listener = certctl_server::serve::listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let n = 600.min(somaxconn as usize);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        tasks.spawn(tokio::time::timeout(
            Duration::from_millis(700),
            tokio::net::TcpStream::connect(addr),
        ));
    }
    let mut streams = Vec::new();
    while let Some(r) = tasks.join_next().await {
        let stream = r
            .unwrap()
            .expect("a connection waited for a SYN retransmit: the accept queue overflowed")
            .unwrap();
        streams.push(stream);
    }
    assert_eq!(streams.len(), n);
    drop(listener);
}
