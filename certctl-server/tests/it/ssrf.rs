//! The SSRF guard, tried the way an `operator` key would: channels and ACME issuers that point at
//! loopback, metadata, private or IPv6-internal addresses (literal or through a name) are refused
//! at create/update with the default (empty) `CERTCTL_ALLOW_PRIVATE_TARGETS`, and at send time
//! when stored anyway; redirects are not followed; a channel test never echoes what the remote
//! answered; a stored secret is never sent to a new destination. Real receivers on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{StatusCode, header};
use certctl::model::*;
use serde_json::{Value, json};

use crate::notify_support::{Receiver, import_cert};
use crate::support::Server;

const SECRET: &str = "webhook-shared-secret-0123456789";
const SETTING: &str = "CERTCTL_ALLOW_PRIVATE_TARGETS";
/// What the echoing receiver answers: must never appear in anything the API returns.
const BODY: &str = "INTERNAL-ONLY-BODY-7f3a9c";

async fn strict(
    store: Arc<dyn certctl::store::Store>,
    dir: tempfile::TempDir,
    url: String,
) -> Server {
    Server::strict(store, dir, url).await
}

crate::both_backends_with! {
    refused_at_create => refused_at_create, strict;
    refused_at_send => refused_at_send, strict;
}
crate::both_backends! {
    no_redirects_no_echo => no_redirects_no_echo;
    secrets_stay_with_their_destination => secrets_stay_with_their_destination;
}

/// An HTTP server on loopback that answers every request `status` with `body` and `location`;
/// returns its base URL and a counter of requests.
async fn answering(
    status: u16,
    body: &'static str,
    location: Option<String>,
) -> (String, Arc<AtomicUsize>) {
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    let app = axum::Router::new().fallback(move || {
        let (count, location) = (count.clone(), location.clone());
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            let mut r = axum::response::Response::new(axum::body::Body::from(body));
            *r.status_mut() = StatusCode::from_u16(status).unwrap();
            if let Some(l) = location {
                r.headers_mut().insert(header::LOCATION, l.parse().unwrap());
            }
            r
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, n)
}

/// A TCP listener on loopback that only counts connections (an SMTP server or CA must not be
/// reached at all).
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (port, n)
}

#[track_caller]
fn refused(r: crate::support::Resp, field: &str) -> String {
    let m = r.err(422, "validation_failed");
    assert!(m.starts_with(&format!("{field}: ")) && m.contains(SETTING), "{field}: {m}");
    m
}

async fn refused_at_create(s: Server) {
    let hook = Receiver::ok().await;
    let port = hook.url.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    let op = s.operator.clone();
    let post = |path: &'static str, body: Value| {
        let (s, op) = (&s, op.clone());
        async move { s.call(axum::http::Method::POST, path, Some(&op), Some(body)).await }
    };
    let webhook = |url: String| json!({"name": "x", "type": "webhook", "config": {"url": url, "secret": SECRET}});
    for (url, class) in [
        (hook.url.clone(), "loopback"),
        (format!("http://localhost:{port}/hook"), "loopback"),
        ("http://169.254.169.254/latest/meta-data/".to_owned(), "link-local"),
        ("http://[::1]/".to_owned(), "loopback"),
        ("http://[fe80::1]/".to_owned(), "link-local"),
        ("http://10.0.0.1/".to_owned(), "private"),
        ("http://192.168.1.10:8080/".to_owned(), "private"),
        ("http://100.64.0.1/".to_owned(), "CGNAT"),
        ("http://[::ffff:127.0.0.1]/".to_owned(), "loopback"),
        ("http://0.0.0.0:8443/".to_owned(), "unspecified"),
    ] {
        let m = refused(
            post("/api/v1/notification-channels", webhook(url.clone())).await,
            "config.url",
        );
        assert!(m.contains(class), "{url}: {m}");
    }
    // a name says what it resolved to
    let m = refused(
        post("/api/v1/notification-channels", webhook(format!("http://localhost:{port}/hook")))
            .await,
        "config.url",
    );
    assert!(m.contains("localhost resolves to"), "{m}");
    // chat: the refusal names the host, never the URL's token
    let m = refused(post("/api/v1/notification-channels", json!({"name": "x", "type": "slack", "config": {"webhook_url": "http://192.168.1.1/services/T/B/tokensecret"}})).await, "config.webhook_url");
    assert!(!m.contains("tokensecret"), "{m}");
    refused(post("/api/v1/notification-channels", json!({"name": "x", "type": "teams", "config": {"webhook_url": "https://[fd00::1]/hook"}})).await, "config.webhook_url");
    for host in ["127.0.0.1", "localhost", "169.254.169.254", "fc00::25"] {
        refused(post("/api/v1/notification-channels", json!({"name": "x", "type": "email", "config": {"host": host, "port": 2525, "tls": "none", "from": "a@example.test", "to": ["b@example.test"]}})).await, "config.host");
    }
    assert_eq!(s.get("/api/v1/notification-channels").await.ok(200)["total"], 0, "nothing created");
    assert_eq!(hook.served(), 0, "nothing sent");

    // ACME: the directory and the rfc2136 primary
    let acme = |extra: Value| {
        let mut c =
            json!({"directory_url": "https://acme.example.invalid/dir", "terms_accepted": true});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        json!({"name": "acme", "type": "acme", "config": c})
    };
    for dir in [
        "https://127.0.0.1:14000/dir",
        "https://localhost:14000/dir",
        "https://[::1]/dir",
        "https://169.254.169.254/dir",
    ] {
        refused(
            post("/api/v1/issuers", acme(json!({"directory_url": dir}))).await,
            "config.directory_url",
        );
    }
    let rfc = json!({"challenge": "dns-01", "dns_provider": "rfc2136", "rfc2136_tsig_key_name": "k", "rfc2136_tsig_secret": "c2VjcmV0LXRzaWcta2V5LWJ5dGVz"});
    for server in ["127.0.0.1:53", "10.1.2.3", "[::1]:5353"] {
        let mut c = rfc.clone();
        c["rfc2136_server"] = json!(server);
        refused(post("/api/v1/issuers", acme(c)).await, "config.rfc2136_server");
    }
    assert_eq!(s.get("/api/v1/issuers").await.ok(200)["total"], 1, "only the Local CA");

    // public destinations (and names that do not resolve yet) are accepted; an update to an
    // internal one is refused and changes nothing
    let c = post(
        "/api/v1/notification-channels",
        webhook("https://hooks.example.invalid/certctl".into()),
    )
    .await
    .ok(201);
    let id = c["id"].as_str().unwrap();
    post("/api/v1/notification-channels", webhook("http://8.8.8.8/hook".into())).await.ok(201);
    let r = s
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/notification-channels/{id}"),
            Some(&op),
            Some(json!({"config": {"url": "http://169.254.169.254/", "secret": SECRET}})),
        )
        .await;
    refused(r, "config.url");
    assert_eq!(
        s.get(&format!("/api/v1/notification-channels/{id}")).await.ok(200)["config"]["url"],
        "https://hooks.example.invalid/certctl"
    );
    let i = post("/api/v1/issuers", acme(json!({}))).await.ok(201);
    let r = s
        .call(
            axum::http::Method::PUT,
            &format!("/api/v1/issuers/{}", i["id"].as_str().unwrap()),
            Some(&op),
            Some(acme(json!({"directory_url": "https://10.0.0.5/dir"}))),
        )
        .await;
    refused(r, "config.directory_url");
}

async fn refused_at_send(s: Server) {
    // channels stored without the API's check (as by an earlier version, or a name that
    // resolves elsewhere now) are refused when they send: nothing reaches the receivers
    let hook = Receiver::ok().await;
    let port = hook.url.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    let (smtp_port, smtp_hits) = counting_listener().await;
    let now = Timestamp::now();
    for (id, t, config) in [
        ("nc-literal", ChannelType::Webhook, json!({"url": hook.url, "secret": SECRET})),
        (
            "nc-name",
            ChannelType::Webhook,
            json!({"url": format!("http://localhost:{port}/hook"), "secret": SECRET}),
        ),
        (
            "nc-chat",
            ChannelType::Slack,
            json!({"webhook_url": format!("http://127.0.0.1:{port}/services/T/B/tokensecret")}),
        ),
        (
            "nc-mail",
            ChannelType::Email,
            json!({"host": "localhost", "port": smtp_port, "tls": "none", "from": "a@example.test", "to": ["b@example.test"]}),
        ),
    ] {
        let c = NotificationChannel {
            id: ChannelId::from_trusted(id),
            name: id.into(),
            channel_type: t,
            config,
            events: vec![],
            min_severity: NotifySeverity::Info,
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let audit = AuditDraft::new(
            "test",
            ActorType::System,
            "notification_channel_created",
            "notification_channel",
            id,
        );
        s.svc.store_for_tests().create_channel(&c, &audit).await.unwrap();
        let t = s.action(&format!("/api/v1/notification-channels/{id}/test")).await.ok(200);
        let m = t["message"].as_str().unwrap();
        assert!(t["ok"] == false && m.contains("loopback") && m.contains(SETTING), "{id}: {t}");
        assert!(!m.contains("tokensecret"), "{m}");
    }
    assert_eq!(
        (hook.served(), smtp_hits.load(Ordering::SeqCst)),
        (0, 0),
        "nothing reached the receivers"
    );

    // a delivery fails at once (permanent) with the same reason
    s.post(
        "/api/v1/renewal-policies",
        json!({"id": "rp-internal", "name": "internal", "notification_channel_ids": ["nc-name"]}),
    )
    .await
    .ok(201);
    import_cert(&s, "mc-internal", "internal.example.com", 10, "rp-internal", None).await;
    assert_eq!(s.svc.check_renewals(now).await.unwrap().alerts, 1);
    let r = s.svc.deliver_notifications_report(now).await.unwrap();
    assert_eq!((r.sent, r.dead), (0, 1), "{r:?}");
    let dead = s.get("/api/v1/notifications?status=dead").await.ok(200);
    let err = dead["data"][0]["deliveries"][0]["last_error"].as_str().unwrap().to_owned();
    assert!(err.contains("localhost resolves to") && err.contains(SETTING), "{err}");
    assert_eq!(hook.served(), 0);

    // an ACME issuer stored with a loopback directory: the test refuses it before connecting
    let (ca_port, ca_hits) = counting_listener().await;
    let issuer = Issuer {
        id: "iss-internal".into(),
        name: "internal".into(),
        issuer_type: "acme".into(),
        config: json!({"directory_url": format!("https://localhost:{ca_port}/dir"), "terms_accepted": true}),
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    s.svc
        .store_for_tests()
        .create_issuer(
            &issuer,
            &AuditDraft::new("test", ActorType::System, "issuer_created", "issuer", "iss-internal"),
        )
        .await
        .unwrap();
    let t = s.action("/api/v1/issuers/iss-internal/test").await.ok(200);
    let m = t["message"].as_str().unwrap();
    assert!(t["ok"] == false && m.contains("loopback") && m.contains(SETTING), "{t}");
    assert_eq!(ca_hits.load(Ordering::SeqCst), 0, "the CA was not contacted");
}

async fn no_redirects_no_echo(s: Server) {
    // (this server allows loopback, where the receivers are)
    let (echo, _) = answering(400, BODY, None).await;
    let (elsewhere, elsewhere_hits) = answering(200, "ok", None).await;
    let (redirect, redirect_hits) = answering(307, BODY, Some(format!("{elsewhere}/hook"))).await;
    for (id, t, config) in [
        ("nc-echo", "webhook", json!({"url": format!("{echo}/hook"), "secret": SECRET})),
        ("nc-echo-chat", "slack", json!({"webhook_url": format!("{echo}/services/x")})),
        ("nc-redirect", "webhook", json!({"url": format!("{redirect}/hook"), "secret": SECRET})),
        ("nc-redirect-chat", "teams", json!({"webhook_url": format!("{redirect}/workflows/x")})),
    ] {
        s.post(
            "/api/v1/notification-channels",
            json!({"id": id, "name": id, "type": t, "config": config}),
        )
        .await
        .ok(201);
        let r = s.action(&format!("/api/v1/notification-channels/{id}/test")).await.ok(200);
        let text = r.to_string();
        assert!(
            r["ok"] == false && !text.contains(BODY),
            "{id}: the remote body was echoed: {text}"
        );
        let m = r["message"].as_str().unwrap();
        if id.starts_with("nc-echo") {
            assert!(m.contains("400 Bad Request"), "{m}");
        } else {
            assert!(m.contains("307") && m.contains("redirects are not followed"), "{m}");
        }
    }
    assert_eq!(redirect_hits.load(Ordering::SeqCst), 2);
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0, "the redirect was not followed");
    // nor in the delivery errors of the inbox
    s.post("/api/v1/renewal-policies", json!({"id": "rp-echo", "name": "echo", "notification_channel_ids": ["nc-echo", "nc-redirect"]})).await.ok(201);
    import_cert(&s, "mc-echo", "echo.example.com", 10, "rp-echo", None).await;
    let now = Timestamp::now();
    s.svc.check_renewals(now).await.unwrap();
    s.svc.deliver_notifications_report(now).await.unwrap();
    let n = s.get("/api/v1/notifications?certificate_id=mc-echo").await.ok(200).to_string();
    assert!(n.contains("400 Bad Request") && !n.contains(BODY), "{n}");
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);
}

async fn secrets_stay_with_their_destination(s: Server) {
    let op = s.operator.clone();
    let put = |path: String, body: Value| {
        let (s, op) = (&s, op.clone());
        async move { s.call(axum::http::Method::PUT, &path, Some(&op), Some(body)).await }
    };
    let mail = json!({"host": "127.0.0.1", "port": 2525, "tls": "starttls", "username": "certctl", "password": "admin-entered-password",
        "from": "certctl@example.test", "to": ["ops@example.test"]});
    s.post(
        "/api/v1/notification-channels",
        json!({"id": "nc-mail", "name": "mail", "type": "email", "config": mail}),
    )
    .await
    .ok(201);
    let stored = || async {
        s.svc
            .store_for_tests()
            .get_channel(&ChannelId::from_trusted("nc-mail"))
            .await
            .unwrap()
            .config
    };
    // the stored password, opened with the server's key (sealing again changes the ciphertext)
    let keys = certctl::service::KeyStore::load_or_create(s.dir.path()).unwrap();
    let password = |c: &Value| {
        c["password_sealed"].as_str().map(|v| String::from_utf8(keys.open(v).unwrap()).unwrap())
    };
    assert_eq!(password(&stored().await).as_deref(), Some("admin-entered-password"));
    // same destination, password left out: kept
    let mut same = mail.clone();
    same.as_object_mut().unwrap().remove("password");
    same["to"] = json!(["other@example.test"]);
    assert_eq!(
        put("/api/v1/notification-channels/nc-mail".into(), json!({"config": same})).await.ok(200)
            ["config"]["password_set"],
        true
    );
    assert_eq!(password(&stored().await).as_deref(), Some("admin-entered-password"));
    // another host, port, TLS mode or CA without the password: refused, nothing changed
    for (k, v) in [
        ("host", json!("127.0.0.2")),
        ("port", json!(2526)),
        ("tls", json!("none")),
        ("tls_ca_pem", json!(s.svc.local_ca().root_pem())),
    ] {
        let mut moved = same.clone();
        moved[k] = v;
        let m = put("/api/v1/notification-channels/nc-mail".into(), json!({"config": moved}))
            .await
            .err(422, "validation_failed");
        assert!(
            m.starts_with("config.password: is required again when ") && m.contains(k),
            "{k}: {m}"
        );
        let now = stored().await;
        assert_eq!(
            (&now["host"], password(&now).as_deref()),
            (&json!("127.0.0.1"), Some("admin-entered-password")),
            "{k}"
        );
    }
    // with a new password, or without authentication, the new host is taken
    let mut moved = same.clone();
    moved["host"] = json!("127.0.0.2");
    moved["password"] = json!("a-new-password");
    assert_eq!(
        put("/api/v1/notification-channels/nc-mail".into(), json!({"config": moved.clone()}))
            .await
            .ok(200)["config"]["password_set"],
        true
    );
    assert_eq!(password(&stored().await).as_deref(), Some("a-new-password"));
    let mut anon = moved.clone();
    anon["host"] = json!("127.0.0.3");
    for k in ["username", "password"] {
        anon.as_object_mut().unwrap().remove(k);
    }
    let c =
        put("/api/v1/notification-channels/nc-mail".into(), json!({"config": anon})).await.ok(200);
    assert!(
        c["config"].get("password_set").is_none()
            && stored().await.get("password_sealed").is_none(),
        "{c}"
    );

    // webhook: a new URL needs the secret again; the receiver then checks the new one
    let a = Receiver::ok().await;
    let b = Receiver::ok().await;
    s.post("/api/v1/notification-channels", json!({"id": "nc-hook", "name": "hook", "type": "webhook", "config": {"url": a.url, "secret": SECRET}})).await.ok(201);
    let m = put(
        "/api/v1/notification-channels/nc-hook".into(),
        json!({"config": {"url": b.url, "secret_set": true}}),
    )
    .await
    .err(422, "validation_failed");
    assert!(m.starts_with("config.secret: is required again when url changes"), "{m}");
    let fresh = "a-fresh-webhook-secret-987654321";
    put(
        "/api/v1/notification-channels/nc-hook".into(),
        json!({"config": {"url": b.url, "secret": fresh}}),
    )
    .await
    .ok(200);
    assert_eq!(s.action("/api/v1/notification-channels/nc-hook/test").await.ok(200)["ok"], true);
    let hit = &b.hits()[0];
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(certctl::notify::verify_signature(
        fresh.as_bytes(),
        &hit.header("x-certctl-timestamp"),
        &hit.header("x-certctl-signature"),
        &hit.body,
        now,
        300
    ));
    assert!(a.hits().is_empty());

    // ACME: the EAB key stays with its directory; a sealed value copied from elsewhere is ignored
    let cfg = json!({"directory_url": "https://127.0.0.1:14000/dir", "terms_accepted": true, "eab_kid": "kid-1", "eab_hmac_key": "c2VjcmV0LWhtYWMta2V5"});
    s.post(
        "/api/v1/issuers",
        json!({"id": "iss-eab", "name": "eab", "type": "acme", "config": cfg}),
    )
    .await
    .ok(201);
    let stored_issuer = || async {
        s.svc.store_for_tests().get_issuer(&IssuerId::from("iss-eab")).await.unwrap().config
    };
    let eab_sealed = stored_issuer().await["eab_hmac_key_sealed"].clone();
    assert!(eab_sealed.is_string());
    let mut echo = stored_issuer().await;
    echo["email"] = json!("ops@example.test");
    put("/api/v1/issuers/iss-eab".into(), json!({"config": echo.clone()})).await.ok(200);
    assert_eq!(
        stored_issuer().await["eab_hmac_key_sealed"],
        eab_sealed,
        "kept for the same directory"
    );
    for (k, v) in [
        ("directory_url", json!("https://127.0.0.2:14000/dir")),
        ("ca_cert", json!(s.svc.local_ca().root_pem())),
    ] {
        let mut moved = echo.clone();
        moved[k] = v;
        let m = put("/api/v1/issuers/iss-eab".into(), json!({"config": moved}))
            .await
            .err(422, "validation_failed");
        assert!(
            m.starts_with("config.eab_hmac_key: is required again when ") && m.contains(k),
            "{m}"
        );
    }
    let mut copied = echo.clone();
    copied["directory_url"] = json!("https://127.0.0.9:14000/dir");
    let r = s
        .call(
            axum::http::Method::POST,
            "/api/v1/issuers",
            Some(&op),
            Some(json!({"id": "iss-copy", "name": "copy", "type": "acme", "config": copied})),
        )
        .await;
    let m = r.err(422, "validation_failed");
    assert!(m.starts_with("config.eab_kid:"), "{m}");
    s.get("/api/v1/issuers/iss-copy").await.err(404, "not_found");
}
