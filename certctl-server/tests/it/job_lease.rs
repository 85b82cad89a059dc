//! Job claim leases: a job the processor claimed (Running) whose server died before committing
//! is taken back once its claim expires, and completed once. In process on both databases, and
//! with the real binary killed (`kill -9`) between claim and commit on PostgreSQL.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use certctl::api::CertificateInput;
use certctl::client::Client;
use certctl::model::*;
use certctl::service::{KeygenMode, ServiceConfig};
use certctl::store::Store;
use serde_json::json;
use sqlx::Connection;

use crate::both_backends_with;
use crate::support::Server;

both_backends_with! {
    expired_claim_is_taken_back => expired_claim_is_taken_back, server_keygen;
    expired_claim_without_attempts_fails => expired_claim_without_attempts_fails, server_keygen;
}

async fn server_keygen(store: Arc<dyn Store>, dir: tempfile::TempDir, url: String) -> Server {
    let config = ServiceConfig {
        keygen_mode: KeygenMode::Server,
        job_lease: Duration::from_secs(60),
        ..Default::default()
    };
    Server::with(store, dir, url, config, |s| s).await
}

const TYPES: &[JobType] = &[JobType::Issuance, JobType::Renewal];

async fn claim_expired_events(store: &dyn Store, job: &JobId) -> Vec<AuditEvent> {
    let f = AuditFilter {
        action: Some("job_claim_expired".into()),
        resource_id: Some(job.to_string()),
        ..Default::default()
    };
    store.list_audit(&f, PageRequest::default()).await.unwrap().data
}

async fn expired_claim_is_taken_back(s: Server) {
    s.post("/api/v1/certificates", json!({"id": "mc-lease", "common_name": "lease.example.com"}))
        .await
        .ok(201);
    let job: Job =
        serde_json::from_value(s.action("/api/v1/certificates/mc-lease/renew").await.ok(202))
            .unwrap();
    // a server claims the job and dies before it commits
    let now = Timestamp::now();
    let claimed = s
        .svc
        .store_for_tests()
        .claim_job(TYPES, now, now.plus(time::Duration::seconds(60)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (claimed.id.clone(), claimed.status, claimed.attempts),
        (job.id.clone(), JobStatus::Running, 1)
    );
    assert_eq!(
        s.get(&format!("/api/v1/jobs/{}", job.id)).await.ok(200)["claimed_until"],
        json!(claimed.claimed_until)
    );
    // while the claim holds, nobody else takes it
    assert_eq!(s.svc.process_jobs(now.plus(time::Duration::seconds(30))).await.unwrap(), 0);
    assert_eq!(s.svc.store_for_tests().get_job(&job.id).await.unwrap().status, JobStatus::Running);
    // past it, the job goes back to Pending and the same pass completes it, once
    s.svc.process_jobs(now.plus(time::Duration::seconds(61))).await.unwrap();
    let done = s.svc.store_for_tests().get_job(&job.id).await.unwrap();
    assert_eq!((done.status, done.attempts, done.claimed_until), (JobStatus::Completed, 2, None));
    assert_eq!(s.svc.store_for_tests().list_versions(&"mc-lease".into()).await.unwrap().len(), 1);
    assert_eq!(s.get("/api/v1/certificates/mc-lease").await.ok(200)["status"], "Active");
    let evs = claim_expired_events(s.svc.store_for_tests(), &job.id).await;
    assert_eq!(evs.len(), 1);
    assert_eq!(
        (
            evs[0].actor.as_str(),
            evs[0].details["claimed_until"].clone(),
            evs[0].details["attempt"].clone()
        ),
        ("system", json!(claimed.claimed_until), json!(1))
    );
    assert_eq!(s.get("/api/v1/audit/verify").await.ok(200)["valid"], true);
}

async fn expired_claim_without_attempts_fails(s: Server) {
    s.post("/api/v1/renewal-policies", json!({"id": "rp-once", "name": "once", "max_retries": 0}))
        .await
        .ok(201);
    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-once", "common_name": "once.example.com", "renewal_policy_id": "rp-once"}),
    )
    .await
    .ok(201);
    let job: Job =
        serde_json::from_value(s.action("/api/v1/certificates/mc-once/renew").await.ok(202))
            .unwrap();
    assert_eq!(job.max_attempts, 1);
    let now = Timestamp::now();
    s.svc
        .store_for_tests()
        .claim_job(TYPES, now, now.plus(time::Duration::seconds(5)))
        .await
        .unwrap()
        .unwrap();
    s.svc.process_jobs(now.plus(time::Duration::seconds(6))).await.unwrap();
    let failed = s.svc.store_for_tests().get_job(&job.id).await.unwrap();
    assert_eq!((failed.status, failed.claimed_until), (JobStatus::Failed, None));
    let why = failed.last_error.unwrap();
    assert!(why.contains("stopped before finishing") && why.contains("no attempts left"), "{why}");
    assert_eq!(s.get("/api/v1/certificates/mc-once").await.ok(200)["status"], "Failed");
    assert!(s.svc.store_for_tests().list_versions(&"mc-once".into()).await.unwrap().is_empty());
}

/// The real server with server keygen, a fast job processor and a 2 s claim lease.
fn spawn_server(dir: &std::path::Path, url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .env("CERTCTL_DATA_DIR", dir)
        .env("CERTCTL_DATABASE_URL", url)
        .env("CERTCTL_LISTEN", format!("127.0.0.1:{port}"))
        .env("CERTCTL_KEYGEN_MODE", "server")
        .env("CERTCTL_JOB_PROCESSOR_INTERVAL", "200ms")
        .env("CERTCTL_JOB_LEASE", "2s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_up(dir: &std::path::Path, port: u16) -> Client {
    let key_file = dir.join("admin.key");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(key) = std::fs::read_to_string(&key_file) {
            let c = Client::builder(format!("http://127.0.0.1:{port}"))
                .api_key(key.trim())
                .build()
                .unwrap();
            if c.health().await.is_ok() {
                return c;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not come up");
}

async fn wait_for<F: std::future::Future<Output = bool>>(
    what: &str,
    secs: u64,
    mut check: impl FnMut() -> F,
) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// `kill -9` of the server while its commit of a claimed job waits for a lock: the job stays
/// Running under an expiring claim; the restarted server takes it back and completes it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_job_is_completed_after_restart() {
    let Some((url, store)) = certctl::testing::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = spawn_server(dir.path(), &url, port);
    let client = wait_up(dir.path(), port).await;
    client
        .create_certificate(&CertificateInput {
            id: Some("mc-kill".into()),
            common_name: "kill.example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    // the issuance's commit inserts a version: hold it behind a table lock
    let mut lock = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE certificate_versions IN SHARE MODE")
        .execute(&mut lock)
        .await
        .unwrap();
    let job = client.renew_certificate("mc-kill").await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    wait_for("the commit to wait for the lock", 30, || {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO certificate_versions%'")
                .fetch_one(&pool)
                .await
                .unwrap();
            n > 0
        }
    })
    .await;
    let claimed = store.get_job(&job.id).await.unwrap();
    assert_eq!((claimed.status, claimed.attempts), (JobStatus::Running, 1));
    assert!(claimed.claimed_until.is_some());

    let killed = Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    child.wait().unwrap();
    sqlx::raw_sql("ROLLBACK").execute(&mut lock).await.unwrap();
    // the commit died with the server: the job is still Running, nothing was issued
    let stuck = store.get_job(&job.id).await.unwrap();
    assert_eq!(stuck.status, JobStatus::Running);
    assert!(store.list_versions(&"mc-kill".into()).await.unwrap().is_empty());

    let mut child = spawn_server(dir.path(), &url, port);
    wait_up(dir.path(), port).await;
    wait_for("the job to complete after the restart", 30, || {
        let store = store.clone();
        let id = job.id.clone();
        async move { store.get_job(&id).await.unwrap().status == JobStatus::Completed }
    })
    .await;
    let done = store.get_job(&job.id).await.unwrap();
    assert_eq!((done.attempts, done.claimed_until), (2, None));
    assert_eq!(store.list_versions(&"mc-kill".into()).await.unwrap().len(), 1, "issued once");
    assert_eq!(
        store.get_certificate(&"mc-kill".into()).await.unwrap().status,
        CertificateStatus::Active
    );
    assert_eq!(claim_expired_events(&*store, &job.id).await.len(), 1);
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    child.wait().unwrap();
    // the chain survived the kill (the transaction died whole) and verifies
    let out = Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .args(["audit", "verify"])
        .env("CERTCTL_DATABASE_URL", &url)
        .env("CERTCTL_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}
