//! The audit chain (written with each change, append-only, verifiable), notifications, API keys.

use std::sync::Arc;

use certctl::Error;
use certctl::audit::verify_chain;
use certctl::model::*;
use certctl::store::Store;

use crate::support::*;
use crate::{assert_err, both_backends};

both_backends! {
    audit_chain => audit_chain;
    notifications_and_keys => notifications_and_keys;
}

async fn audit_chain(s: Arc<dyn Store>) {
    let all = AuditFilter::default();
    let count = |s: Arc<dyn Store>| async move {
        s.list_audit(&AuditFilter::default(), PageRequest::default()).await.unwrap().total
    };
    assert_eq!(count(s.clone()).await, 0);
    let d = AuditDraft::new("alice", ActorType::User, "team_created", "team", "team-a")
        .with_details(serde_json::json!({"name": "A", "z": 1, "a": [true, null]}));
    s.create_team(&team("team-a"), &d).await.unwrap();
    // a failed change writes no audit event
    assert_err!(s.create_team(&team("team-a"), &d).await, Error::Conflict(_));
    assert_err!(
        s.delete_team(&"team-zz".into(), &audit("team_deleted", "team-zz")).await,
        Error::NotFound { .. }
    );
    assert_eq!(count(s.clone()).await, 1);
    let ev = s.list_audit(&all, PageRequest::default()).await.unwrap().data.remove(0);
    assert_eq!(
        (ev.seq, ev.actor.as_str(), ev.action.as_str(), ev.prev_hash.as_str()),
        (1, "alice", "team_created", GENESIS_HASH)
    );
    assert_eq!(ev.details, d.details);
    assert_eq!(s.get_audit_event(&ev.id).await.unwrap(), ev);

    // concurrent appends still form one chain
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("team-c{i}");
            let actor = if i % 2 == 0 { "bob" } else { "system" };
            s.create_team(
                &team(&id),
                &AuditDraft::new(actor, ActorType::User, "team_created", "team", id.clone()),
            )
            .await
            .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    s.append_audit(&AuditDraft::new(
        "scheduler",
        ActorType::System,
        "renewal_check",
        "system",
        "-",
    ))
    .await
    .unwrap();
    let report = verify_chain(&*s, &certctl::testing::audit_key(), &[]).await.unwrap();
    assert_eq!(
        (report.valid, report.checked, report.first_invalid_id, report.keyed_from_seq),
        (true, 22, None, Some(1))
    );
    assert_eq!(ev.mac_version, MAC_KEYED);
    // the MACs are keyed: another key does not verify the first event
    let wrong = verify_chain(&*s, &AuditKey::derive(b"another secret"), &[]).await.unwrap();
    assert_eq!((wrong.valid, wrong.first_invalid_id.as_ref()), (false, Some(&ev.id)));
    assert!(wrong.problem.unwrap().contains("MAC does not match"));

    // filters
    let by = |f: AuditFilter| {
        let s = s.clone();
        async move { s.list_audit(&f, PageRequest::new(1, 500)).await.unwrap().total }
    };
    assert_eq!(by(AuditFilter { actor: Some("bob".into()), ..Default::default() }).await, 10);
    assert_eq!(
        by(AuditFilter { action: Some("renewal_check".into()), ..Default::default() }).await,
        1
    );
    assert_eq!(
        by(AuditFilter { resource_type: Some("team".into()), ..Default::default() }).await,
        21
    );
    assert_eq!(
        by(AuditFilter { resource_id: Some("team-c3".into()), ..Default::default() }).await,
        1
    );
    assert_eq!(by(AuditFilter { since: Some(ev.timestamp), ..Default::default() }).await, 22);
    assert_eq!(
        by(AuditFilter {
            until: Some(ev.timestamp.plus(time::Duration::milliseconds(-1))),
            ..Default::default()
        })
        .await,
        0
    );
    assert_eq!(
        by(AuditFilter {
            since: Some(Timestamp::now().plus(time::Duration::hours(1))),
            ..Default::default()
        })
        .await,
        0
    );
    let newest = s.list_audit(&all, PageRequest::new(1, 1)).await.unwrap();
    assert_eq!(newest.data[0].seq, 22, "newest first");

    // append-only: the database refuses UPDATE and DELETE on audit rows
    let sql_update = format!("UPDATE audit_events SET actor = 'mallory' WHERE id = '{}'", ev.id);
    let sql_delete = format!("DELETE FROM audit_events WHERE id = '{}'", ev.id);
    let (upd, del) = match s.backend() {
        "sqlite" => {
            let st = as_sqlite(&s);
            (st.execute_raw(&sql_update).await, st.execute_raw(&sql_delete).await)
        }
        _ => {
            let st = as_pg(&s);
            (st.execute_raw(&sql_update).await, st.execute_raw(&sql_delete).await)
        }
    };
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    assert!(del.unwrap_err().to_string().contains("append-only"));
    assert_eq!(s.get_audit_event(&ev.id).await.unwrap().actor, "alice");

    // an attacker with database access who drops the guard is still caught by the hash chain
    let tamper = match s.backend() {
        "sqlite" => "DROP TRIGGER audit_no_update",
        _ => "DROP TRIGGER audit_no_change ON audit_events",
    };
    let victim = s
        .list_audit(
            &AuditFilter { resource_id: Some("team-c7".into()), ..Default::default() },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .data
        .remove(0);
    let edit = format!(
        "UPDATE audit_events SET details = '{{\"name\":\"forged\"}}' WHERE id = '{}'",
        victim.id
    );
    match s.backend() {
        "sqlite" => {
            as_sqlite(&s).execute_raw(tamper).await.unwrap();
            as_sqlite(&s).execute_raw(&edit).await.unwrap();
        }
        _ => {
            as_pg(&s).execute_raw(tamper).await.unwrap();
            as_pg(&s).execute_raw(&edit).await.unwrap();
        }
    }
    let report = verify_chain(&*s, &certctl::testing::audit_key(), &[]).await.unwrap();
    assert!(!report.valid);
    assert_eq!(report.first_invalid_id, Some(victim.id.clone()));
    assert_eq!(report.checked, victim.seq);
}

fn as_sqlite(s: &Arc<dyn Store>) -> &certctl::store::SqliteStore {
    (s.as_ref() as &dyn std::any::Any).downcast_ref().expect("sqlite store")
}

fn as_pg(s: &Arc<dyn Store>) -> &certctl::store::PgStore {
    (s.as_ref() as &dyn std::any::Any).downcast_ref().expect("pg store")
}

async fn notifications_and_keys(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_certificate(&cert("mc-a", "a.example.com"), &audit("certificate_created", "mc-a"))
        .await
        .unwrap();
    let now = Timestamp::now();
    let n = |id: &str, status: NotificationStatus| Notification {
        id: id.into(),
        kind: "expiry_threshold".into(),
        certificate_id: Some("mc-a".into()),
        channel: "email".into(),
        recipient: "ops@example.com".into(),
        message: "a.example.com expires in 7 days".into(),
        status,
        created_at: now,
        sent_at: None,
        read_at: None,
        dedup_key: None,
        severity: certctl::model::NotifySeverity::Info,
        details: serde_json::json!({}),
        deliveries: vec![],
    };
    s.create_notification(&n("n-1", NotificationStatus::Pending)).await.unwrap();
    s.create_notification(&n("n-2", NotificationStatus::Sent)).await.unwrap();
    s.create_notification(&n("n-3", NotificationStatus::Dead)).await.unwrap();
    assert_err!(
        s.create_notification(&n("n-1", NotificationStatus::Pending)).await,
        Error::Conflict(_)
    );
    assert_eq!(
        s.get_notification(&"n-1".into()).await.unwrap(),
        n("n-1", NotificationStatus::Pending)
    );
    let list = |f: NotificationFilter| {
        let s = s.clone();
        async move { s.list_notifications(&f, PageRequest::default()).await.unwrap().total }
    };
    assert_eq!(
        list(NotificationFilter { status: Some(NotificationStatus::Dead), ..Default::default() })
            .await,
        1
    );
    assert_eq!(
        list(NotificationFilter { certificate_id: Some("mc-a".into()), ..Default::default() })
            .await,
        3
    );
    let read = s
        .mark_notification_read(&"n-2".into(), now, &audit("notification_read", "n-2"))
        .await
        .unwrap();
    assert_eq!(read.read_at, Some(now));
    assert_eq!(list(NotificationFilter { unread: true, ..Default::default() }).await, 2);
    assert_err!(
        s.mark_notification_read(&"n-9".into(), now, &audit("notification_read", "n-9")).await,
        Error::NotFound { .. }
    );

    // API keys: looked up by hash, revocation hides them, the hash never serialises
    s.create_agent(&agent("ag-1"), &audit("agent_registered", "ag-1")).await.unwrap();
    let key = ApiKey {
        id: "key-ci".into(),
        name: "ci".into(),
        role: Role::Operator,
        key_hash: "11".repeat(32),
        agent_id: None,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    s.create_api_key(&key, &audit("api_key_created", "key-ci")).await.unwrap();
    let agent_key = ApiKey {
        id: "key-ag1".into(),
        name: "ag-1".into(),
        role: Role::Agent,
        key_hash: "22".repeat(32),
        agent_id: Some("ag-1".into()),
        ..key.clone()
    };
    s.create_api_key(&agent_key, &audit("api_key_created", "key-ag1")).await.unwrap();
    let dup_hash = ApiKey { id: "key-dup".into(), ..key.clone() };
    assert_err!(
        s.create_api_key(&dup_hash, &audit("api_key_created", "key-dup")).await,
        Error::Conflict(_)
    );
    assert_eq!(
        s.find_api_key_by_hash(&"22".repeat(32)).await.unwrap().unwrap().agent_id,
        Some("ag-1".into())
    );
    assert_eq!(s.list_api_keys(PageRequest::default()).await.unwrap().total, 2);
    let json = serde_json::to_string(&s.get_api_key(&key.id).await.unwrap()).unwrap();
    assert!(!json.contains(&"11".repeat(32)), "{json}");
    assert!(format!("{:?}", key).contains("<redacted>"));
    s.revoke_api_key(&key.id, now, &audit("api_key_revoked", "key-ci")).await.unwrap();
    assert!(s.find_api_key_by_hash(&"11".repeat(32)).await.unwrap().is_none());
    assert_err!(
        s.revoke_api_key(&key.id, now, &audit("api_key_revoked", "key-ci")).await,
        Error::Conflict(_)
    );
}
