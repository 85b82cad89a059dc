//! Tampering with an audit row in the database is detected by `GET /audit/verify` and by
//! `certctl-server audit verify`, which both name the changed event. The attacks on the keyed
//! chain itself (re-hash, truncation, forged checkpoints) are in `audit_keyed`.

use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    tampered_row_is_named => tampered_row_is_named;
}

async fn tampered_row_is_named(s: Server) {
    for i in 0..5 {
        s.post("/api/v1/teams", json!({"id": format!("team-{i}"), "name": format!("T{i}")}))
            .await
            .ok(201);
    }
    let victim = s.get("/api/v1/audit?resource_id=team-2").await.ok(200)["data"][0].clone();
    let id = victim["id"].as_str().unwrap().to_owned();
    // the database refuses the change as long as the guard trigger is there...
    let edit = format!("UPDATE audit_events SET actor = 'mallory' WHERE id = '{id}'");
    type Exec = Box<dyn Fn(String) -> Result<u64, certctl::Error>>;
    let (drop_guard, raw): (&str, Exec) = if s.url.starts_with("sqlite") {
        let path = s.url.trim_start_matches("sqlite://").to_owned();
        ("DROP TRIGGER audit_no_update", Box::new(move |sql| sqlite_exec(&path, &sql)))
    } else {
        let url = s.url.clone();
        ("DROP TRIGGER audit_no_change ON audit_events", Box::new(move |sql| pg_exec(&url, &sql)))
    };
    assert!(raw(edit.clone()).is_err());
    assert_eq!(s.get("/api/v1/audit/verify").await.ok(200)["valid"], true);
    // ...an attacker with database access drops it and edits the row
    raw(drop_guard.to_owned()).unwrap();
    assert_eq!(raw(edit).unwrap(), 1);
    let v = s.get("/api/v1/audit/verify").await.ok(200);
    assert_eq!((v["valid"].clone(), v["first_invalid_id"].clone()), (json!(false), json!(id)));

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .args(["audit", "verify"])
        .env("CERTCTL_DATABASE_URL", &s.url)
        .env("CERTCTL_DATA_DIR", s.dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout} {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["first_invalid_id"], json!(id));
    assert!(
        stderr.contains(&format!("event {id}")) && stderr.contains("MAC does not match"),
        "{stderr}"
    );
}

/// Runs SQL on a SQLite file from outside the server (a second connection, as an attacker would).
pub fn sqlite_exec(path: &str, sql: &str) -> Result<u64, certctl::Error> {
    let (path, sql) = (path.to_owned(), sql.to_owned());
    block(async move {
        let store = certctl::store::SqliteStore::open(std::path::Path::new(&path)).await?;
        store.execute_raw(&sql).await
    })
}

pub fn pg_exec(url: &str, sql: &str) -> Result<u64, certctl::Error> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    block(async move {
        let store = certctl::store::PgStore::connect(&url).await?;
        store.execute_raw(&sql).await
    })
}

/// Runs `f` to completion on a runtime of its own thread (the test's runtime is busy awaiting).
pub fn block<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    })
    .join()
    .unwrap()
}
