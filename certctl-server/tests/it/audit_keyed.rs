//! Attacks on the keyed audit chain by someone with database access but without the secret key:
//! a re-hash with plain SHA-256 (or another key), a truncated tail (caught by the stored
//! checkpoint, the data dir's checkpoint file, or a copy given to `audit verify --expect`), a
//! forged checkpoint row, TRUNCATE; an upgraded database whose old events are unkeyed; and the
//! one visibility rule of `GET /audit` and the live feed.

use std::sync::Arc;

use certctl::model::*;
use certctl::store::Store;
use serde_json::{Value, json};

use crate::support::Server;
use crate::tamper::{pg_exec, sqlite_exec};
use crate::{both_backends, both_backends_with};

both_backends! {
    rehash_is_detected => rehash_is_detected;
    truncated_tail_is_detected => truncated_tail_is_detected;
    forged_checkpoint_is_detected => forged_checkpoint_is_detected;
    truncate_is_refused => truncate_is_refused;
    viewers_see_what_the_feed_shows => viewers_see_what_the_feed_shows;
}

both_backends_with! {
    upgraded_chain_verifies => upgraded_chain_verifies, legacy_server;
    checkpoints_every_n_events => checkpoints_every_n_events, checkpoint_every_five;
}

/// Runs SQL as an attacker would: a second connection to the server's database.
fn attack(s: &Server, sql: &str) -> Result<u64, certctl::Error> {
    if s.url.starts_with("sqlite") {
        sqlite_exec(s.url.trim_start_matches("sqlite://"), sql)
    } else {
        pg_exec(&s.url, sql)
    }
}

/// Removes the append-only guards of both audit tables (drops the SQLite triggers, disables
/// the PostgreSQL ones).
fn drop_guards(s: &Server) {
    let sql = if s.url.starts_with("sqlite") {
        "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; DROP TRIGGER IF EXISTS audit_checkpoints_no_update; DROP TRIGGER IF EXISTS audit_checkpoints_no_delete;"
    } else {
        "ALTER TABLE audit_events DISABLE TRIGGER USER; ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;"
    };
    attack(s, sql).unwrap();
}

async fn chain(store: &dyn Store) -> Vec<AuditEvent> {
    store.audit_chain(0, 100_000).await.unwrap()
}

/// SQL that writes `ev`'s link and hash over the stored row.
fn rewrite(ev: &AuditEvent) -> String {
    format!(
        "UPDATE audit_events SET actor = '{}', prev_hash = '{}', hash = '{}', mac_version = {} WHERE id = '{}';",
        ev.actor, ev.prev_hash, ev.hash, ev.mac_version, ev.id
    )
}

async fn verify(s: &Server) -> Value {
    s.get("/api/v1/audit/verify").await.ok(200)
}

/// `certctl-server audit verify ARGS` on the server's database and data dir: (exit code, stdout, stderr).
fn verify_binary(s: &Server, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .args(["audit", "verify"])
        .args(args)
        .env("CERTCTL_DATABASE_URL", &s.url)
        .env("CERTCTL_DATA_DIR", s.dir.path())
        .env_remove("CERTCTL_SECRET_KEY")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn teams(s: &Server, n: usize) {
    for i in 0..n {
        s.post("/api/v1/teams", json!({"id": format!("team-{i}"), "name": format!("T{i}")}))
            .await
            .ok(201);
    }
}

async fn rehash_is_detected(s: Server) {
    teams(&s, 5).await;
    let v = verify(&s).await;
    assert_eq!((v["valid"].clone(), v["keyed_from_seq"].clone()), (json!(true), json!(1)), "{v}");
    let original = chain(s.svc.store_for_tests()).await;
    let victim = original.iter().find(|e| e.resource_id == "team-2").unwrap().clone();
    drop_guards(&s);
    let restore: String = original.iter().map(rewrite).collect();

    // 1. the whole chain re-hashed with plain SHA-256, as the unkeyed chain allowed
    let mut prev = GENESIS_HASH.to_owned();
    let mut sql = String::new();
    for ev in &original {
        let mut e = ev.clone();
        if e.id == victim.id {
            e.actor = "mallory".into();
        }
        e.prev_hash = prev;
        e.mac_version = MAC_LEGACY;
        e.hash = e.compute_hash();
        prev = e.hash.clone();
        sql += &rewrite(&e);
    }
    attack(&s, &sql).unwrap();
    let v = verify(&s).await;
    assert_eq!(v["valid"], false, "{v}");
    assert!(v["problem"].as_str().unwrap().contains("is keyed"), "{v}");
    attack(&s, &restore).unwrap();
    assert_eq!(verify(&s).await["valid"], true);

    // 2. from the victim on only: an unkeyed event after keyed ones
    let mut sql = String::new();
    let mut prev = victim.prev_hash.clone();
    for ev in original.iter().filter(|e| e.seq >= victim.seq) {
        let mut e = ev.clone();
        if e.id == victim.id {
            e.actor = "mallory".into();
        }
        e.prev_hash = prev;
        e.mac_version = MAC_LEGACY;
        e.hash = e.compute_hash();
        prev = e.hash.clone();
        sql += &rewrite(&e);
    }
    attack(&s, &sql).unwrap();
    let v = verify(&s).await;
    assert_eq!(
        (v["valid"].clone(), v["first_invalid_id"].clone()),
        (json!(false), json!(victim.id)),
        "{v}"
    );
    assert!(
        v["problem"].as_str().unwrap().contains("unkeyed hash although the chain is keyed"),
        "{v}"
    );
    attack(&s, &restore).unwrap();

    // 3. re-MACed as keyed events with a key that is not the server's
    let guess =
        AuditKey::derive(b"0000000000000000000000000000000000000000000000000000000000000000");
    let mut sql = String::new();
    let mut prev = victim.prev_hash.clone();
    for ev in original.iter().filter(|e| e.seq >= victim.seq) {
        let mut e = ev.clone();
        if e.id == victim.id {
            e.actor = "mallory".into();
        }
        e.prev_hash = prev;
        e.hash = guess.mac(e.content().as_bytes());
        prev = e.hash.clone();
        sql += &rewrite(&e);
    }
    attack(&s, &sql).unwrap();
    let v = verify(&s).await;
    assert_eq!(
        (v["valid"].clone(), v["first_invalid_id"].clone()),
        (json!(false), json!(victim.id)),
        "{v}"
    );
    let (code, _, stderr) = verify_binary(&s, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("event {}", victim.id)) && stderr.contains("MAC does not match"),
        "{stderr}"
    );
    attack(&s, &restore).unwrap();
    assert_eq!(verify(&s).await["valid"], true);
    assert_eq!(verify_binary(&s, &[]).0, Some(0));
}

async fn truncated_tail_is_detected(s: Server) {
    teams(&s, 6).await;
    // `audit verify --checkpoint`: verifies, then signs the head (stored, data-dir file, printed)
    let (code, stdout, stderr) = verify_binary(&s, &["--checkpoint"]);
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    let token = stdout.lines().last().unwrap().to_owned();
    let head = s.svc.store_for_tests().audit_head().await.unwrap().unwrap();
    assert!(
        token.starts_with(&format!("{}:", head.seq))
            && token.len() == format!("{}:", head.seq).len() + 64,
        "{token}"
    );
    let file = s.dir.path().join(certctl::audit::CHECKPOINT_FILE);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), token);
    let stored = s.svc.store_for_tests().latest_audit_checkpoint().await.unwrap().unwrap();
    assert_eq!((stored.seq, stored.head_hash.as_str()), (head.seq, head.hash.as_str()));
    let v = verify(&s).await;
    assert_eq!(
        (v["valid"].clone(), v["checkpoints_checked"].clone()),
        (json!(true), json!(2)),
        "stored row and data-dir file: {v}"
    );

    // the attacker deletes the last three events: the chain left is valid in itself...
    drop_guards(&s);
    attack(&s, &format!("DELETE FROM audit_events WHERE seq > {}", head.seq - 3)).unwrap();
    let missing = format!("events {}..{} are missing", head.seq - 2, head.seq);
    // ...but the stored checkpoint names what is missing
    let v = verify(&s).await;
    assert_eq!(v["valid"], false, "{v}");
    let problem = v["problem"].as_str().unwrap();
    assert!(
        problem.contains(&missing)
            && problem.contains("audit_checkpoints")
            && problem.contains("truncated"),
        "{problem}"
    );
    // deleting the checkpoint rows too: the data dir's file still has it
    attack(&s, "DELETE FROM audit_checkpoints").unwrap();
    let v = verify(&s).await;
    let problem = v["problem"].as_str().unwrap();
    assert!(
        v["valid"] == false && problem.contains(&missing) && problem.contains("checkpoint file"),
        "{v}"
    );
    let (code, _, stderr) = verify_binary(&s, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&missing), "{stderr}");
    // verifying elsewhere (no file): nothing left to compare with, the shorter chain verifies
    // (the limit: keep checkpoints off-host)...
    std::fs::remove_file(&file).unwrap();
    assert_eq!(verify_binary(&s, &[]).0, Some(0));
    // ...and the copy kept off-host catches it
    let (code, stdout, stderr) = verify_binary(&s, &["--expect", &token]);
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    assert!(stderr.contains(&missing) && stderr.contains("--expect"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (report["valid"].clone(), report["head_seq"].clone()),
        (json!(false), json!(head.seq - 3))
    );
    // a malformed --expect is an error naming the option
    let (code, _, stderr) = verify_binary(&s, &["--expect", "12:nothex"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--expect") && stderr.contains("64 hex"), "{stderr}");
}

async fn forged_checkpoint_is_detected(s: Server) {
    teams(&s, 3).await;
    s.svc.audit_checkpoint(0, Timestamp::now()).await.unwrap().unwrap();
    assert_eq!(verify(&s).await["valid"], true);
    // a row claiming a longer chain, with a MAC the attacker cannot compute
    let head = s.svc.store_for_tests().audit_head().await.unwrap().unwrap();
    let forged = AuditCheckpoint::sign(
        head.seq + 10,
        &"ab".repeat(32),
        &AuditKey::derive(b"not the server's"),
        Timestamp::now(),
    );
    let created = if s.url.starts_with("sqlite") { "0" } else { "now()" };
    attack(&s, &format!("INSERT INTO audit_checkpoints (seq, head_hash, mac, created_at) VALUES ({}, '{}', '{}', {created})", forged.seq, forged.head_hash, forged.mac)).unwrap();
    let v = verify(&s).await;
    assert_eq!(v["valid"], false, "{v}");
    let problem = v["problem"].as_str().unwrap();
    assert!(
        problem.contains(&format!("checkpoint at seq {}", forged.seq))
            && problem.contains("forged"),
        "{problem}"
    );
    let (code, _, stderr) = verify_binary(&s, &[]);
    assert!(code == Some(1) && stderr.contains("forged"), "{stderr}");
}

async fn truncate_is_refused(s: Server) {
    teams(&s, 2).await;
    s.svc.audit_checkpoint(0, Timestamp::now()).await.unwrap().unwrap();
    let before = chain(s.svc.store_for_tests()).await.len();
    // SQLite has no TRUNCATE: an unqualified DELETE is what it would be, and the trigger refuses it
    let stmts: &[&str] = if s.url.starts_with("sqlite") {
        &[
            "DELETE FROM audit_events",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_checkpoints SET mac = 'x'",
        ]
    } else {
        &[
            "TRUNCATE audit_events",
            "TRUNCATE audit_events CASCADE",
            "TRUNCATE audit_checkpoints",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_checkpoints SET mac = 'x'",
        ]
    };
    for sql in stmts {
        let e = attack(&s, sql).expect_err(sql).to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    assert_eq!(chain(s.svc.store_for_tests()).await.len(), before);
    assert_eq!(s.svc.store_for_tests().audit_checkpoints().await.unwrap().len(), 1);
    assert_eq!(verify(&s).await["valid"], true);
}

/// A server over a database an older version wrote: three events with unkeyed SHA-256 hashes.
async fn legacy_server(store: Arc<dyn Store>, dir: tempfile::TempDir, url: String) -> Server {
    for i in 0..3 {
        let id = format!("team-old{i}");
        let t = Team {
            id: id.as_str().into(),
            name: format!("Old {i}"),
            description: String::new(),
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        };
        store
            .create_team(
                &t,
                &AuditDraft::new("admin", ActorType::User, "team_created", "team", t.id.as_str()),
            )
            .await
            .unwrap();
    }
    let mut sql = String::from(if url.starts_with("sqlite") {
        "DROP TRIGGER audit_no_update;"
    } else {
        "ALTER TABLE audit_events DISABLE TRIGGER USER;"
    });
    let mut prev = GENESIS_HASH.to_owned();
    for ev in chain(&*store).await {
        let mut e = ev.clone();
        e.prev_hash = prev;
        e.mac_version = MAC_LEGACY;
        e.hash = e.compute_hash();
        prev = e.hash.clone();
        sql += &rewrite(&e);
    }
    if url.starts_with("sqlite") {
        sqlite_exec(url.trim_start_matches("sqlite://"), &sql).unwrap();
    } else {
        pg_exec(&url, &sql).unwrap();
    }
    let v =
        certctl::audit::verify_chain(&*store, &certctl::testing::audit_key(), &[]).await.unwrap();
    assert!(
        !v.valid && v.problem.unwrap().contains("has not started since the upgrade"),
        "a legacy-only chain is not trusted yet"
    );
    Server::new(store, dir, url).await
}

async fn upgraded_chain_verifies(s: Server) {
    let v = verify(&s).await;
    assert_eq!((v["valid"].clone(), v["keyed_from_seq"].clone()), (json!(true), json!(4)), "{v}");
    let events = chain(s.svc.store_for_tests()).await;
    assert!(events[..3].iter().all(|e| e.mac_version == MAC_LEGACY));
    assert!(events[3..].iter().all(|e| e.mac_version == MAC_KEYED));
    assert_eq!(
        (events[3].action.as_str(), events[3].details["legacy_events"].clone()),
        ("audit_chain_keyed", json!(3))
    );
    let (code, _, stderr) = verify_binary(&s, &[]);
    assert_eq!(code, Some(0), "{stderr}");

    // the legacy part is sealed by the switch: rewriting it consistently breaks the first keyed link
    drop_guards(&s);
    let mut sql = String::new();
    let mut prev = events[0].hash.clone();
    for ev in &events[1..3] {
        let mut e = ev.clone();
        e.actor = "mallory".into();
        e.prev_hash = prev;
        e.hash = e.compute_hash();
        prev = e.hash.clone();
        sql += &rewrite(&e);
    }
    attack(&s, &sql).unwrap();
    let v = verify(&s).await;
    assert_eq!(
        (v["valid"].clone(), v["first_invalid_id"].clone()),
        (json!(false), json!(events[3].id)),
        "{v}"
    );
    assert!(v["problem"].as_str().unwrap().contains("does not link to its predecessor"), "{v}");
}

async fn viewers_see_what_the_feed_shows(s: Server) {
    teams(&s, 2).await;
    let admin_page = s.get("/api/v1/audit?per_page=200").await.ok(200);
    let viewer_page = s
        .call(axum::http::Method::GET, "/api/v1/audit?per_page=200", Some(&s.viewer.clone()), None)
        .await
        .ok(200);
    let ids = |p: &Value| {
        p["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let key_events: Vec<&Value> = admin_page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource_type"] == "api_key")
        .collect();
    assert!(key_events.len() >= 3, "the admin sees the api key events: {admin_page}");
    assert!(
        viewer_page["data"].as_array().unwrap().iter().all(|e| e["resource_type"] != "api_key"),
        "{viewer_page}"
    );
    assert_eq!(
        viewer_page["total"].as_i64().unwrap() + key_events.len() as i64,
        admin_page["total"].as_i64().unwrap(),
        "the total counts what the viewer may see"
    );
    // the same rule as the live feed, event by event
    let viewer = s.svc.authenticate(&s.viewer).await.unwrap();
    let all = chain(s.svc.store_for_tests()).await;
    let feed: Vec<String> = all
        .iter()
        .rev()
        .filter(|e| certctl::service::visible_to(&viewer, e))
        .map(|e| e.id.to_string())
        .collect();
    assert_eq!(ids(&viewer_page), feed);
    // one hidden event by id: not found for the viewer, there for the admin
    let hidden = key_events[0]["id"].as_str().unwrap();
    s.call(
        axum::http::Method::GET,
        &format!("/api/v1/audit/{hidden}"),
        Some(&s.viewer.clone()),
        None,
    )
    .await
    .err(404, "not_found");
    s.get(&format!("/api/v1/audit/{hidden}")).await.ok(200);
    // a filter for api_key events gives a viewer nothing
    let filtered = s
        .call(
            axum::http::Method::GET,
            "/api/v1/audit?resource_type=api_key",
            Some(&s.viewer.clone()),
            None,
        )
        .await
        .ok(200);
    assert_eq!(filtered["total"], 0);
}

async fn checkpoint_every_five(
    store: Arc<dyn Store>,
    dir: tempfile::TempDir,
    url: String,
) -> Server {
    let config =
        certctl::service::ServiceConfig { audit_checkpoint_every: 5, ..Default::default() };
    Server::with(store, dir, url, config, |s| s).await
}

/// The scheduler's rule: a checkpoint once `audit_checkpoint_every` events were added since the
/// last one, or when the last one is an hour old and any was; each also lands in the data dir.
async fn checkpoints_every_n_events(s: Server) {
    let now = Timestamp::now();
    let file = s.dir.path().join(certctl::audit::CHECKPOINT_FILE);
    // the first one is due at once (events and no checkpoint yet)
    let first = s.svc.audit_checkpoint_if_due(now).await.unwrap().expect("first checkpoint");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), first.token());
    teams(&s, 4).await;
    assert!(
        s.svc.audit_checkpoint_if_due(now).await.unwrap().is_none(),
        "4 new events, fewer than 5"
    );
    teams_from(&s, 4, 1).await;
    let second = s.svc.audit_checkpoint_if_due(now).await.unwrap().expect("5 new events");
    assert_eq!(second.seq, first.seq + 5);
    teams_from(&s, 5, 1).await;
    assert!(s.svc.audit_checkpoint_if_due(now).await.unwrap().is_none());
    let third = s
        .svc
        .audit_checkpoint_if_due(now.plus(time::Duration::minutes(61)))
        .await
        .unwrap()
        .expect("an hour later, one new event");
    assert_eq!(third.seq, second.seq + 1);
    assert!(
        s.svc
            .audit_checkpoint_if_due(now.plus(time::Duration::minutes(200)))
            .await
            .unwrap()
            .is_none(),
        "nothing new"
    );
    let stored: Vec<i64> =
        s.svc.store_for_tests().audit_checkpoints().await.unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(stored, vec![first.seq, second.seq, third.seq]);
    assert_eq!(verify(&s).await["checkpoints_checked"], 4, "three rows and the file");
}

async fn teams_from(s: &Server, from: usize, n: usize) {
    for i in from..from + n {
        s.post("/api/v1/teams", json!({"id": format!("team-{i}"), "name": format!("T{i}")}))
            .await
            .ok(201);
    }
}
