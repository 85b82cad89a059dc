//! Notification channels and delivery against real receivers on loopback: the channel API
//! (write-only secrets, validation, audit), signed webhook payloads, Slack and Teams payloads,
//! retries with backoff on 500, the dead state and requeue, once-only threshold alerts across
//! many checker runs and a restart, and a slow channel that does not hold the others.

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use certctl::model::*;
use certctl::service::NotifySettings;
use certctl::store::Store;
use serde_json::json;

use crate::notify_support::{Receiver, import_cert, server_with_notify};
use crate::support::Server;

const SECRET: &str = "webhook-shared-secret-0123456789";

async fn quick_retries(store: Arc<dyn Store>, dir: tempfile::TempDir, url: String) -> Server {
    let notify = NotifySettings {
        max_attempts: 3,
        retry_base: Duration::from_secs(10),
        send_timeout: Duration::from_millis(1500),
        ..Default::default()
    };
    server_with_notify(store, dir, url, notify).await
}

crate::both_backends! {
    channels_api => channels_api;
}
crate::both_backends_with! {
    webhook_signed_retried_dead_requeued => webhook_signed_retried_dead_requeued, quick_retries;
    thresholds_sent_once_across_restarts => thresholds_sent_once_across_restarts, quick_retries;
    chat_payloads_and_slow_channels => chat_payloads_and_slow_channels, quick_retries;
}

async fn channels_api(s: Server) {
    let hook = Receiver::ok().await;
    // create: nc- ids, secrets write-only
    let c = s.post("/api/v1/notification-channels", json!({"name": "ops hook", "type": "webhook", "config": {"url": hook.url, "secret": SECRET}})).await.ok(201);
    let id = c["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("nc-"), "{c}");
    assert_eq!(c["config"]["secret_set"], true, "{c}");
    assert_eq!(c["enabled"], true);
    assert!(!c.to_string().contains(SECRET), "secret returned: {c}");
    let mail = s
        .post("/api/v1/notification-channels", json!({"id": "nc-mail", "name": "mail", "type": "email", "enabled": false, "events": ["renewal_failed"], "min_severity": "warning",
            "config": {"host": "127.0.0.1", "port": 2525, "tls": "starttls", "username": "u", "password": "smtp-password-xyz", "from": "certctl@example.test", "to": ["ops@example.test"]}}))
        .await
        .ok(201);
    assert_eq!(mail["config"]["password_set"], true);
    assert_eq!(mail["events"], json!(["renewal_failed"]));
    s.post("/api/v1/notification-channels", json!({"id": "nc-slack", "name": "slack", "type": "slack", "config": {"webhook_url": "https://hooks.slack.example/services/T/B/tokensecret"}})).await.ok(201);
    for path in [
        "/api/v1/notification-channels",
        "/api/v1/notification-channels/nc-slack",
        "/api/v1/notification-channels/nc-mail",
    ] {
        let body = s.get(path).await.ok(200).to_string();
        for secret in [SECRET, "smtp-password-xyz", "tokensecret"] {
            assert!(!body.contains(secret), "{path} returned a secret: {body}");
        }
    }
    assert_eq!(s.get("/api/v1/notification-channels").await.ok(200)["total"], 3);
    // stored sealed: the database holds none of the secrets in the clear
    for cid in [id.as_str(), "nc-mail", "nc-slack"] {
        let stored = s
            .svc
            .store_for_tests()
            .get_channel(&ChannelId::from_trusted(cid))
            .await
            .unwrap()
            .config
            .to_string();
        for secret in [SECRET, "smtp-password-xyz", "tokensecret"] {
            assert!(!stored.contains(secret), "{cid} stored a secret in the clear: {stored}");
        }
        assert!(stored.contains("_sealed\""), "{stored}");
    }

    // bad input: 400 naming the field, nothing created
    for (body, field) in [
        (json!({"name": "x", "type": "pager", "config": {}}), "type"),
        (json!({"name": "x", "type": "webhook"}), "config"),
        (
            json!({"name": "x", "type": "webhook", "config": {"url": "ftp://x", "secret": SECRET}}),
            "config.url",
        ),
        (
            json!({"name": "x", "type": "webhook", "config": {"url": "http://x/", "secret": "short"}}),
            "config.secret",
        ),
        (
            json!({"name": "x", "type": "email", "config": {"host": "h", "port": 25, "tls": "ssl", "from": "a@b.c"}}),
            "ssl",
        ),
        (
            json!({"name": "x", "type": "email", "config": {"host": "h", "port": 25, "tls": "none", "from": "a@b.c", "to": ["nope"]}}),
            "config.to[0]",
        ),
        (
            json!({"name": "x", "type": "webhook", "config": {"url": "http://x/", "secret": SECRET}, "events": ["sometimes"]}),
            "events[0]",
        ),
        (
            json!({"name": "x", "type": "webhook", "config": {"url": "http://x/", "secret": SECRET}, "min_severity": "loud"}),
            "min_severity",
        ),
        (
            json!({"id": "bad id", "name": "x", "type": "webhook", "config": {"url": "http://x/", "secret": SECRET}}),
            "id",
        ),
        (
            json!({"name": "x", "type": "webhook", "config": {"url": "http://x/", "secret": SECRET}, "colour": "red"}),
            "colour",
        ),
    ] {
        let r = s.post("/api/v1/notification-channels", body.clone()).await;
        assert!(matches!(r.status.as_u16(), 400 | 422), "{body} -> {}", r.body);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(field),
            "{body} -> {}",
            r.body
        );
    }
    assert_eq!(s.get("/api/v1/notification-channels").await.ok(200)["total"], 3);

    // update: omitted secrets are kept (the webhook still signs with the stored secret), echoed
    // markers ignored; a new URL needs the secret again (ssrf.rs)
    let cfg = c["config"].clone();
    let u = s
        .put(
            &format!("/api/v1/notification-channels/{id}"),
            json!({"name": "ops hook 2", "config": cfg}),
        )
        .await
        .ok(200);
    assert_eq!(u["name"], "ops hook 2");
    assert_eq!(u["config"]["secret_set"], true, "{u}");
    let t = s.action(&format!("/api/v1/notification-channels/{id}/test")).await.ok(200);
    assert_eq!(t["ok"], true, "{t}");
    let hit = &hook.hits()[0];
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(certctl::notify::verify_signature(
        SECRET.as_bytes(),
        &hit.header("x-certctl-timestamp"),
        &hit.header("x-certctl-signature"),
        &hit.body,
        now,
        300
    ));
    assert_eq!(hit.json()["event"], "test");
    s.put(&format!("/api/v1/notification-channels/{id}"), json!({"config": {"url": "not a url"}}))
        .await
        .err(422, "validation_failed");

    // a channel stored in the clear (by a version before secrets were sealed) is sealed at start
    // and still signs with its secret
    let mut legacy =
        s.svc.store_for_tests().get_channel(&ChannelId::from_trusted(&id)).await.unwrap();
    legacy.id = ChannelId::from_trusted("nc-legacy");
    legacy.config = json!({"url": hook.url, "secret": SECRET});
    let audit = AuditDraft::new(
        "test",
        ActorType::System,
        "notification_channel_created",
        "notification_channel",
        "nc-legacy",
    );
    s.svc.store_for_tests().create_channel(&legacy, &audit).await.unwrap();
    assert_eq!(s.svc.seal_stored_channel_secrets().await.unwrap(), 1);
    assert_eq!(s.svc.seal_stored_channel_secrets().await.unwrap(), 0, "sealed once");
    let stored = s.svc.store_for_tests().get_channel(&legacy.id).await.unwrap().config.to_string();
    assert!(!stored.contains(SECRET) && stored.contains("secret_sealed"), "{stored}");
    let hits = hook.hits().len();
    assert_eq!(s.action("/api/v1/notification-channels/nc-legacy/test").await.ok(200)["ok"], true);
    let hit = &hook.hits()[hits];
    assert!(certctl::notify::verify_signature(
        SECRET.as_bytes(),
        &hit.header("x-certctl-timestamp"),
        &hit.header("x-certctl-signature"),
        &hit.body,
        now,
        300
    ));
    s.delete("/api/v1/notification-channels/nc-legacy").await.ok(204);

    // a channel that cannot be reached: the test says so, with the reason
    let dead = s.post("/api/v1/notification-channels", json!({"name": "dead", "type": "webhook", "config": {"url": "http://127.0.0.1:9/", "secret": SECRET}})).await.ok(201);
    let t = s
        .action(&format!("/api/v1/notification-channels/{}/test", dead["id"].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(t["ok"], false);
    assert!(t["message"].as_str().unwrap().contains("connection"), "{t}");

    // roles: viewers read, cannot write
    s.call(Method::GET, "/api/v1/notification-channels", Some(&s.viewer.clone()), None)
        .await
        .ok(200);
    s.call(Method::POST, "/api/v1/notification-channels", Some(&s.viewer.clone()), Some(json!({"name": "v", "type": "webhook", "config": {"url": "http://x/", "secret": SECRET}})))
        .await
        .err(403, "forbidden");

    // a channel a renewal policy routes to cannot be deleted; others can
    s.post(
        "/api/v1/renewal-policies",
        json!({"id": "rp-hook", "name": "hooked", "notification_channel_ids": [id]}),
    )
    .await
    .ok(201);
    let msg = s.delete(&format!("/api/v1/notification-channels/{id}")).await.err(409, "conflict");
    assert!(msg.contains("rp-hook"), "{msg}");
    s.delete("/api/v1/notification-channels/nc-slack").await.ok(204);
    s.get("/api/v1/notification-channels/nc-slack").await.err(404, "not_found");

    // audit: created, updated, tested, deleted — without secrets
    let audit =
        s.get("/api/v1/audit?resource_type=notification_channel&per_page=100").await.ok(200);
    let actions: Vec<&str> =
        audit["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in [
        "notification_channel_created",
        "notification_channel_updated",
        "notification_channel_tested",
        "notification_channel_deleted",
    ] {
        assert!(actions.contains(&a), "{a} missing: {actions:?}");
    }
    assert!(
        !audit.to_string().contains(SECRET) && !audit.to_string().contains("smtp-password-xyz")
    );
}

async fn webhook_signed_retried_dead_requeued(s: Server) {
    let good = Receiver::ok().await;
    let flaky = Receiver::start(2, 500, Duration::ZERO).await;
    let down = Receiver::start(usize::MAX, 503, Duration::ZERO).await;
    for (id, r) in [("nc-good", &good), ("nc-flaky", &flaky), ("nc-down", &down)] {
        s.post("/api/v1/notification-channels", json!({"id": id, "name": id, "type": "webhook", "config": {"url": r.url, "secret": SECRET}})).await.ok(201);
    }
    s.post("/api/v1/renewal-policies", json!({"id": "rp-hooks", "name": "hooks", "notification_channel_ids": ["nc-good", "nc-flaky", "nc-down"]})).await.ok(201);
    let cert = import_cert(&s, "mc-hooked", "hooked.example.com", 10, "rp-hooks", None).await;
    let now = Timestamp::now();
    assert_eq!(s.svc.check_renewals(now).await.unwrap().alerts, 1);

    // first pass: delivered to the good one, failed (retrying) on the others
    let r = s.svc.deliver_notifications_report(now).await.unwrap();
    assert_eq!((r.sent, r.retrying, r.dead), (1, 2, 0), "{r:?}");
    let hits = good.hits();
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    let ts = h.header("x-certctl-timestamp");
    let expected = certctl::notify::sign(SECRET.as_bytes(), ts.parse().unwrap(), &h.body);
    assert_eq!(
        h.header("x-certctl-signature"),
        expected,
        "sha256=<hex HMAC of \"<timestamp>.<body>\">"
    );
    assert!(
        (time::OffsetDateTime::now_utc().unix_timestamp() - ts.parse::<i64>().unwrap()).abs() < 60
    );
    assert_eq!(h.header("content-type"), "application/json");
    let p = h.json();
    assert_eq!(p["event"], "expiry_threshold");
    assert_eq!(
        p["certificate"],
        json!({"id": "mc-hooked", "name": cert.name, "common_name": "hooked.example.com"})
    );
    assert_eq!(p["days_left"], 9, "{p}");
    assert_eq!(p["expires_at"], json!(cert.expires_at.unwrap()));
    assert!(p["message"].as_str().unwrap().contains("hooked.example.com"));
    assert!(p["occurred_at"].is_string());
    assert_eq!(p["link"], "https://certctl.example.test/api/v1/certificates/mc-hooked");

    let list = s.get("/api/v1/notifications?certificate_id=mc-hooked").await.ok(200);
    let n = &list["data"][0];
    assert_eq!(n["status"], "Pending", "{n}");
    let nid = n["id"].as_str().unwrap().to_owned();
    let d = |n: &serde_json::Value, c: &str| {
        n["deliveries"].as_array().unwrap().iter().find(|d| d["channel_id"] == c).unwrap().clone()
    };
    assert_eq!(d(n, "nc-good")["status"], "Sent");
    assert_eq!(d(n, "nc-flaky")["attempts"], 1);
    assert!(d(n, "nc-flaky")["last_error"].as_str().unwrap().contains("500"), "{n}");

    // nothing is due before the backoff ends; the flaky one succeeds at its third attempt
    let r = s.svc.deliver_notifications_report(now.plus(time::Duration::seconds(5))).await.unwrap();
    assert_eq!((r.sent, r.retrying), (0, 0), "{r:?}");
    s.svc.deliver_notifications_report(now.plus(time::Duration::seconds(11))).await.unwrap();
    let r =
        s.svc.deliver_notifications_report(now.plus(time::Duration::seconds(32))).await.unwrap();
    assert_eq!((r.sent, r.dead), (1, 1), "{r:?}");
    assert_eq!(flaky.served(), 3);
    assert_eq!(flaky.hits().len(), 1);
    assert_eq!(good.hits().len(), 1, "sent once per channel");
    let n = s.get(&format!("/api/v1/notifications/{nid}")).await.ok(200);
    assert_eq!(n["status"], "Dead", "{n}");
    assert_eq!(d(&n, "nc-flaky")["attempts"], 3);
    assert_eq!(d(&n, "nc-down")["status"], "Dead");
    assert_eq!(d(&n, "nc-down")["attempts"], 3, "max_attempts");
    assert!(d(&n, "nc-down")["last_error"].as_str().unwrap().contains("503"));
    assert_eq!(down.served(), 3);

    // dead: listed, then requeued and delivered once the receiver is back
    let dead = s.get("/api/v1/notifications?status=dead").await.ok(200);
    assert_eq!(dead["total"], 1);
    assert_eq!(dead["data"][0]["id"], nid.as_str());
    s.get("/api/v1/notifications?status=lost").await.err(400, "bad_request");
    s.call(
        Method::POST,
        &format!("/api/v1/notifications/{nid}/requeue"),
        Some(&s.viewer.clone()),
        None,
    )
    .await
    .err(403, "forbidden");
    down.heal();
    let n = s.action(&format!("/api/v1/notifications/{nid}/requeue")).await.ok(200);
    assert_eq!(n["status"], "Pending");
    assert_eq!(d(&n, "nc-down")["attempts"], 0);
    s.action(&format!("/api/v1/notifications/{nid}/requeue")).await.err(409, "conflict");
    let r = s.svc.deliver_notifications_report(Timestamp::now()).await.unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(down.hits().len(), 1);
    let n = s.get(&format!("/api/v1/notifications/{nid}")).await.ok(200);
    assert_eq!(n["status"], "Sent");
    assert!(n["sent_at"].is_string());
    assert_eq!(good.hits().len(), 1, "requeue resends only the dead delivery");
    let audit = s
        .get(&format!("/api/v1/audit?action=notification_requeued&resource_id={nid}"))
        .await
        .ok(200);
    assert_eq!(audit["total"], 1);
    // read marking still works
    assert!(
        s.action(&format!("/api/v1/notifications/{nid}/read")).await.ok(200)["read_at"].is_string()
    );
}

async fn thresholds_sent_once_across_restarts(s: Server) {
    let hook = Receiver::ok().await;
    s.post("/api/v1/notification-channels", json!({"id": "nc-once", "name": "once", "type": "webhook", "config": {"url": hook.url, "secret": SECRET}})).await.ok(201);
    s.post("/api/v1/renewal-policies", json!({"id": "rp-once", "name": "once", "auto_renew": false, "notification_channel_ids": ["nc-once"]})).await.ok(201);
    import_cert(&s, "mc-once", "once.example.com", 20, "rp-once", None).await;
    let expires = s
        .svc
        .store_for_tests()
        .get_certificate(&"mc-once".into())
        .await
        .unwrap()
        .expires_at
        .unwrap();
    let now = Timestamp::now();
    for i in 0..20 {
        s.svc.check_renewals(now.plus(time::Duration::minutes(i))).await.unwrap();
        s.svc.deliver_notifications(now.plus(time::Duration::minutes(i))).await.unwrap();
    }
    assert_eq!(hook.hits().len(), 1, "the 30-day threshold, once");
    // a restart: a new service over the same database and data dir sends nothing again
    let restarted = certctl::service::Service::open(
        s.svc.store_arc_for_tests(),
        s.dir.path(),
        s.svc.config().clone(),
    )
    .unwrap();
    for i in 0..5 {
        restarted.check_renewals(now.plus(time::Duration::hours(i))).await.unwrap();
        restarted.deliver_notifications(now.plus(time::Duration::hours(i))).await.unwrap();
    }
    assert_eq!(hook.hits().len(), 1);
    // the next thresholds are new alerts, each once
    for (days, want) in [(7, 2), (8, 2), (13, 3), (14, 3), (20, 5), (21, 5)] {
        let at = now.plus(time::Duration::days(days));
        restarted.check_renewals(at).await.unwrap();
        restarted.deliver_notifications(at).await.unwrap();
        assert_eq!(hook.hits().len(), want, "after {days} days");
    }
    let mut events: Vec<String> = hook
        .hits()
        .iter()
        .map(|h| format!("{}:{}", h.json()["event"].as_str().unwrap(), h.json()["days_left"]))
        .collect();
    events[3..].sort(); // the last two were sent in the same pass, concurrently
    let left = |d: i64| expires.days_from(now.plus(time::Duration::days(d)));
    assert_eq!(
        events,
        [
            format!("expiry_threshold:{}", left(0)),
            format!("expiry_threshold:{}", left(7)),
            format!("expiry_threshold:{}", left(13)),
            format!("certificate_expired:{}", left(20)),
            format!("expiry_threshold:{}", left(20)),
        ]
    );
}

async fn chat_payloads_and_slow_channels(s: Server) {
    let slack = Receiver::ok().await;
    let teams = Receiver::ok().await;
    let slow = Receiver::start(0, 200, Duration::from_secs(5)).await;
    s.post("/api/v1/notification-channels", json!({"id": "nc-slack", "name": "slack", "type": "slack", "config": {"webhook_url": slack.url}})).await.ok(201);
    s.post("/api/v1/notification-channels", json!({"id": "nc-teams", "name": "teams", "type": "teams", "config": {"webhook_url": teams.url}})).await.ok(201);
    s.post("/api/v1/notification-channels", json!({"id": "nc-slow", "name": "slow", "type": "webhook", "config": {"url": slow.url, "secret": SECRET}})).await.ok(201);
    // only critical agent events go to teams: the 14-day threshold (info) does not
    s.post("/api/v1/notification-channels", json!({"id": "nc-picky", "name": "picky", "type": "teams", "events": ["renewal_failed"], "min_severity": "critical", "config": {"webhook_url": format!("{}?picky", teams.url)}})).await.ok(201);
    s.post("/api/v1/renewal-policies", json!({"id": "rp-chat", "name": "chat", "auto_renew": false, "notification_channel_ids": ["nc-slack", "nc-teams", "nc-slow", "nc-picky"]})).await.ok(201);
    import_cert(&s, "mc-chat", "chat.example.com", 12, "rp-chat", None).await;
    let now = Timestamp::now();
    s.svc.check_renewals(now).await.unwrap();
    let n = s.get("/api/v1/notifications?certificate_id=mc-chat").await.ok(200);
    assert_eq!(
        n["data"][0]["deliveries"].as_array().unwrap().len(),
        3,
        "nc-picky is narrowed out: {n}"
    );

    // the slow channel times out (1.5 s bound) while the others are delivered in the same pass
    let started = std::time::Instant::now();
    let r = s.svc.deliver_notifications_report(now).await.unwrap();
    assert_eq!((r.sent, r.retrying), (2, 1), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "the pass waited for the slow receiver");
    let n = s.get("/api/v1/notifications?certificate_id=mc-chat").await.ok(200);
    let slow_d = n["data"][0]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel_id"] == "nc-slow")
        .unwrap()
        .clone();
    assert!(slow_d["last_error"].as_str().unwrap().contains("timed out"), "{slow_d}");

    let sp = slack.hits()[0].json();
    assert!(sp["text"].as_str().unwrap().contains("chat.example.com"), "{sp}");
    let blocks = sp["blocks"].to_string();
    assert!(
        blocks.contains("Days left")
            && blocks.contains("11")
            && blocks.contains("/api/v1/certificates/mc-chat"),
        "{sp}"
    );
    let tp = teams.hits()[0].json();
    assert_eq!(tp["type"], "message");
    let card = &tp["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert!(
        card.to_string().contains("chat.example.com") && card.to_string().contains("Days left"),
        "{tp}"
    );
    assert_eq!(
        card["actions"][0]["url"],
        "https://certctl.example.test/api/v1/certificates/mc-chat"
    );
}
