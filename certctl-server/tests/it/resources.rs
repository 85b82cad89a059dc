//! CRUD of teams, owners, renewal policies, issuers (+test, +ca), targets, groups, policies,
//! notifications and audit.

use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    org => org;
    connectors => connectors;
    groups_policies_notifications => groups_policies_notifications;
}

/// Create, get, list, update, delete, with a 404 after.
async fn crud(
    s: &Server,
    base: &str,
    create: serde_json::Value,
    update: serde_json::Value,
    check: (&str, serde_json::Value),
) -> String {
    let c = s.post(base, create).await.ok(201);
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(s.get(&format!("{base}/{id}")).await.ok(200), c);
    assert!(
        s.get(base).await.ok(200)["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str())
    );
    let u = s.put(&format!("{base}/{id}"), update).await.ok(200);
    assert_eq!(u[check.0], check.1, "{u}");
    s.put(&format!("{base}/nope-{id}"), json!({})).await.err(404, "not_found");
    s.get(&format!("{base}/nope-{id}")).await.err(404, "not_found");
    id
}

async fn org(s: Server) {
    let team = crud(
        &s,
        "/api/v1/teams",
        json!({"name": "Platform"}),
        json!({"description": "infra"}),
        ("description", json!("infra")),
    )
    .await;
    let owner = crud(
        &s,
        "/api/v1/owners",
        json!({"name": "Alice", "email": "alice@example.com", "team_id": team}),
        json!({"team_id": null}),
        ("team_id", json!(null)),
    )
    .await;
    s.post("/api/v1/owners", json!({"name": "Bob", "email": "not-an-email"}))
        .await
        .err(422, "validation_failed");
    let msg = s
        .post("/api/v1/owners", json!({"name": "Bob", "team_id": "team-nope"}))
        .await
        .err(422, "validation_failed");
    assert!(msg.starts_with("team_id"), "{msg}");
    s.delete(&format!("/api/v1/owners/{owner}")).await.ok(204);
    s.delete(&format!("/api/v1/teams/{team}")).await.ok(204);
    s.delete(&format!("/api/v1/teams/{team}")).await.err(404, "not_found");

    let rp = crud(
        &s,
        "/api/v1/renewal-policies",
        json!({"id": "rp-fast", "name": "Fast", "renewal_window_days": 10, "alert_thresholds_days": [7, 14, 1]}),
        json!({"max_retries": 5}),
        ("max_retries", json!(5)),
    )
    .await;
    let got = s.get(&format!("/api/v1/renewal-policies/{rp}")).await.ok(200);
    assert_eq!(
        (
            got["alert_thresholds_days"].clone(),
            got["renewal_window_days"].clone(),
            got["retry_interval_seconds"].clone()
        ),
        (json!([14, 7, 1]), json!(10), json!(60))
    );
    for (body, field) in [
        (json!({"name": "x", "renewal_window_days": 0}), "renewal_window_days"),
        (json!({"name": "x", "alert_thresholds_days": [-1]}), "alert_thresholds_days"),
        (
            json!({"name": "x", "notification_channel_ids": ["email"]}),
            "notification_channel_ids[0]",
        ),
    ] {
        assert!(
            s.post("/api/v1/renewal-policies", body)
                .await
                .err(422, "validation_failed")
                .starts_with(field)
        );
    }
    let d = s.get("/api/v1/renewal-policies/rp-default").await.ok(200);
    assert_eq!(
        (
            d["renewal_window_days"].clone(),
            d["max_retries"].clone(),
            d["alert_thresholds_days"].clone()
        ),
        (json!(30), json!(3), json!([30, 14, 7, 0]))
    );
    s.delete("/api/v1/renewal-policies/rp-default").await.err(409, "conflict");
    s.delete(&format!("/api/v1/renewal-policies/{rp}")).await.ok(204);
}

async fn connectors(s: Server) {
    let local = s.get("/api/v1/issuers/iss-local").await.ok(200);
    assert_eq!(local["type"], "local");
    let t = s.action("/api/v1/issuers/iss-local/test").await.ok(200);
    assert_eq!(t["ok"], true, "{t}");
    let ca = s.get("/api/v1/issuers/iss-local/ca").await;
    assert_eq!(ca.headers["content-type"], "application/x-pem-file");
    let pem = ca.body.as_str().unwrap().to_owned();
    let root = certctl::pki::parse_certificate(&pem).unwrap();
    assert!(root.is_ca && root.is_self_issued());
    let id = crud(
        &s,
        "/api/v1/issuers",
        json!({"name": "Short-lived", "type": "local", "config": {"validity_days": 7}}),
        json!({"enabled": false}),
        ("enabled", json!(false)),
    )
    .await;
    assert!(
        s.post(
            "/api/v1/issuers",
            json!({"name": "x", "type": "local", "config": {"validity_days": 400}})
        )
        .await
        .err(422, "validation_failed")
        .contains("validity_days")
    );
    assert!(
        s.post("/api/v1/issuers", json!({"name": "x", "type": "vault"}))
            .await
            .err(422, "validation_failed")
            .starts_with("type")
    );
    s.delete(&format!("/api/v1/issuers/{id}")).await.ok(204);
    s.delete("/api/v1/issuers/iss-local").await.err(409, "conflict");
    s.action("/api/v1/issuers/iss-none/test").await.err(404, "not_found");

    s.post("/api/v1/agents", json!({"id": "ag-1", "name": "one"})).await.ok(201);
    let cfg = json!({"cert_path": "/etc/nginx/tls/c.pem", "key_path": "/etc/nginx/tls/c.key", "reload_command": ["nginx", "-s", "reload"]});
    let tid = crud(
        &s,
        "/api/v1/targets",
        json!({"name": "nginx", "type": "nginx", "agent_id": "ag-1", "config": cfg}),
        json!({"name": "edge nginx"}),
        ("name", json!("edge nginx")),
    )
    .await;
    assert_eq!(s.get("/api/v1/targets?agent_id=ag-1").await.ok(200)["total"], 1);
    for (body, field) in [
        (
            json!({"name": "x", "type": "nginx", "config": {"reload_command": "nginx -s reload"}}),
            "config.reload_command",
        ),
        (
            json!({"name": "x", "type": "nginx", "config": {"reload_command": ["sh", "-c", "reboot; rm -rf /"]}}),
            "config.reload_command[2]",
        ),
        (
            json!({"name": "x", "type": "nginx", "config": {"cert_path": "certs/c.pem"}}),
            "config.cert_path",
        ),
        (json!({"name": "x", "type": "nginx", "agent_id": "ag-nope"}), "agent_id"),
        (json!({"name": "x", "type": "f5"}), "type"),
    ] {
        let msg = s.post("/api/v1/targets", body.clone()).await.err(422, "validation_failed");
        assert!(msg.starts_with(field), "{body}: {msg}");
    }
    s.delete(&format!("/api/v1/targets/{tid}")).await.ok(204);
}

async fn groups_policies_notifications(s: Server) {
    let g = crud(
        &s,
        "/api/v1/agent-groups",
        json!({"name": "linux web", "criteria": {"os": ["linux"], "cidr": ["10.1.0.0/16", "fd00::/8"], "labels": {"env": "prod"}}}),
        json!({"description": "prod web hosts"}),
        ("description", json!("prod web hosts")),
    )
    .await;
    let msg = s
        .post(
            "/api/v1/agent-groups",
            json!({"name": "x", "criteria": {"cidr": ["10.0.0.0/8", "10.1.0.0/33"]}}),
        )
        .await
        .err(422, "validation_failed");
    assert!(msg.starts_with("criteria.cidr[1]"), "{msg}");
    s.delete(&format!("/api/v1/agent-groups/{g}")).await.ok(204);

    let p = crud(
        &s,
        "/api/v1/policies",
        json!({"name": "corp domains", "type": "AllowedDomains", "config": {"domains": ["*.example.com"]}, "mode": "enforce", "severity": "Error"}),
        json!({"enabled": false}),
        ("enabled", json!(false)),
    )
    .await;
    assert_eq!(s.get(&format!("/api/v1/policies/{p}/violations")).await.ok(200)["total"], 0);
    s.post("/api/v1/policies", json!({"name": "x", "type": "Nonsense"}))
        .await
        .err(422, "validation_failed");
    s.post("/api/v1/policies", json!({"name": "x", "type": "SanRules", "mode": "block"}))
        .await
        .err(422, "validation_failed");
    s.delete(&format!("/api/v1/policies/{p}")).await.ok(204);

    // notifications are produced by the control plane; read marks them
    let n = certctl::model::Notification {
        id: "n-1".into(),
        kind: "expiry_threshold".into(),
        certificate_id: None,
        channel: "email".into(),
        recipient: "ops@example.com".into(),
        message: "x expires in 7 days".into(),
        status: certctl::model::NotificationStatus::Pending,
        created_at: certctl::model::Timestamp::now(),
        sent_at: None,
        read_at: None,
        dedup_key: None,
        severity: certctl::model::NotifySeverity::Info,
        details: serde_json::json!({}),
        deliveries: vec![],
    };
    s.svc.store_for_tests().create_notification(&n).await.unwrap();
    assert_eq!(s.get("/api/v1/notifications?unread=true").await.ok(200)["total"], 1);
    let r = s.action("/api/v1/notifications/n-1/read").await.ok(200);
    assert!(r["read_at"].is_string());
    assert_eq!(s.get("/api/v1/notifications?unread=true").await.ok(200)["total"], 0);
    s.get("/api/v1/notifications?status=Pending").await.ok(200);
    s.action("/api/v1/notifications/n-9/read").await.err(404, "not_found");

    // audit: list, get, filters
    let all = s.get("/api/v1/audit?per_page=500").await.ok(200);
    let first = &all["data"][0];
    assert_eq!(
        s.get(&format!("/api/v1/audit/{}", first["id"].as_str().unwrap())).await.ok(200),
        *first
    );
    assert!(
        s.get("/api/v1/audit?resource_type=policy&action=policy_deleted").await.ok(200)["total"]
            == 1
    );
    assert_eq!(s.get("/api/v1/audit?since=2999-01-01T00:00:00Z").await.ok(200)["total"], 0);
    let v = s.get("/api/v1/audit/verify").await.ok(200);
    assert_eq!((v["valid"].clone(), v["first_invalid_id"].clone()), (json!(true), json!(null)));
    assert_eq!(v["checked"], all["total"]);
}
