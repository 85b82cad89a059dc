//! Test support (feature `testing`): fresh stores on both backends for the test suites of every
//! crate. `CERTCTL_TEST_POSTGRES_URL` names the PostgreSQL server (scripts/test starts one).

use std::sync::Arc;

use crate::store::{PgStore, SqliteStore, Store};

/// A fresh SQLite store in a new temp dir (keep the dir alive as long as the store).
pub async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("certctl.db")).await.expect("open sqlite");
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

/// A fresh database on the test PostgreSQL server: `(url, store)`.
pub async fn postgres() -> Option<(String, Arc<dyn Store>)> {
    let url = postgres_url()?;
    let admin = sqlx::PgPool::connect(&url).await.expect("connect to test PostgreSQL");
    let db = format!("certctl_t_{}", &crate::model::CertificateId::generate().as_str()[3..]);
    sqlx::query(&format!("CREATE DATABASE {db}")).execute(&admin).await.expect("create database");
    admin.close().await;
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
    let url = format!("{base}/{db}");
    let store = PgStore::connect(&url).await.expect("open postgres");
    Some((url, Arc::new(store)))
}
