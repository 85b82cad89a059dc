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
        .stderr(Stdio::null())
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
    let client = Client::builder(format!("http://127.0.0.1:{port}")).api_key(key.trim()).build().unwrap();
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
    client.create_certificate(&CertificateInput { id: Some("mc-loop".into()), common_name: "loop.example.com".into(), ..Default::default() }).await.unwrap();
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
    assert!(out.contains("admin API key") && out.contains(key.trim()), "the key is printed once at first start");
}
