//! Test support (feature `testing`): fresh stores on both backends for the test suites of every
//! crate. `CERTCTL_TEST_POSTGRES_URL` names the PostgreSQL server (scripts/test starts one).

use std::sync::Arc;

use crate::store::{AuditStore, PgStore, SqliteStore, Store};

/// The audit key test stores start with (a service opened over them replaces it with the key
/// of its own secret key).
pub fn audit_key() -> crate::model::AuditKey {
    crate::model::AuditKey::derive(b"certctl test secret key")
}

/// A fresh SQLite store in a new temp dir (keep the dir alive as long as the store), with the
/// test [`audit_key`].
pub async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("certctl.db")).await.expect("open sqlite");
    store.set_audit_key(audit_key());
    (dir, Arc::new(store))
}

/// The PostgreSQL server URL for tests, or `None` with one line on stderr saying what is
/// skipped. Panics when `CERTCTL_TEST_REQUIRE_SERVICES` is set (CI must not skip).
pub fn postgres_url() -> Option<String> {
    match std::env::var("CERTCTL_TEST_POSTGRES_URL") {
        Ok(u) => Some(u),
        Err(_) => {
            assert!(
                std::env::var_os("CERTCTL_TEST_REQUIRE_SERVICES").is_none(),
                "CERTCTL_TEST_POSTGRES_URL is not set but CERTCTL_TEST_REQUIRE_SERVICES is"
            );
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| {
                eprintln!("skipped: the PostgreSQL half of the tests (CERTCTL_TEST_POSTGRES_URL is not set; scripts/test starts a server and sets it)");
            });
            None
        }
    }
}

/// A fresh database on the test PostgreSQL server: `(url, store)`, with the test [`audit_key`].
pub async fn postgres() -> Option<(String, Arc<dyn Store>)> {
    let url = postgres_url()?;
    let admin = sqlx::PgPool::connect(&url).await.expect("connect to test PostgreSQL");
    let db = format!("certctl_t_{}", &crate::model::CertificateId::generate().as_str()[3..]);
    sqlx::query(&format!("CREATE DATABASE {db}")).execute(&admin).await.expect("create database");
    admin.close().await;
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
    let url = format!("{base}/{db}");
    let store = PgStore::connect(&url).await.expect("open postgres");
    store.set_audit_key(audit_key());
    Some((url, Arc::new(store)))
}

/// `n` certificates for benchmarks: 70% Active, the rest Expiring, Pending and Archived; four
/// environments; expiries spread over the next 400 days; ids `mc-bench-000000`...; CNs
/// `svc-<i>.<env>.example.com`. They refer to `iss-local` and `rp-default`.
pub fn sample_certificates(
    n: usize,
    now: crate::model::Timestamp,
) -> Vec<crate::model::Certificate> {
    use crate::model::*;
    let envs = ["production", "staging", "development", "qa"];
    (0..n)
        .map(|i| {
            let status = match i % 10 {
                0..=6 => CertificateStatus::Active,
                7 => CertificateStatus::Expiring,
                8 => CertificateStatus::Pending,
                _ => CertificateStatus::Archived,
            };
            let cn = format!("svc-{i}.{}.example.com", envs[i % 4]);
            Certificate {
                id: CertificateId::from_trusted(format!("mc-bench-{i:06}")),
                name: format!("service {i}"),
                common_name: cn.clone(),
                sans: vec![cn, format!("alt-{i}.example.net")],
                environment: Some(envs[i % 4].into()),
                owner_id: None,
                team_id: None,
                issuer_id: "iss-local".into(),
                renewal_policy_id: "rp-default".into(),
                status,
                expires_at: Some(
                    now.plus(time::Duration::minutes(((i * 7919) % (400 * 24 * 60)) as i64)),
                ),
                tags: [("app".to_owned(), format!("app-{}", i % 50))].into(),
                target_ids: vec![],
                last_renewal_at: None,
                last_deployment_at: None,
                created_at: now,
                updated_at: now,
                parent_id: None,
                agent_id: None,
                agent_group_id: None,
                target_template: None,
                children: None,
            }
        })
        .collect()
}

/// A service over a SQLite store in `dir` holding `n` sample certificates, and its admin key
/// (the benchmarks' 100k-certificate servers).
pub async fn seeded_service(dir: &std::path::Path, n: usize) -> (crate::service::Service, String) {
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.join("certctl.db")).await.expect("open sqlite"));
    let svc =
        crate::service::Service::open(store.clone(), dir, crate::service::ServiceConfig::default())
            .expect("service");
    let key = svc
        .bootstrap()
        .await
        .expect("bootstrap")
        .admin_key
        .expect("a fresh store makes an admin key");
    let audit = crate::model::AuditDraft::new(
        "bench",
        crate::model::ActorType::System,
        "certificate_imported",
        "certificate",
        "-",
    );
    for chunk in sample_certificates(n, crate::model::Timestamp::now()).chunks(5000) {
        store.import_certificates(chunk, &audit).await.expect("import");
    }
    (svc, key)
}
