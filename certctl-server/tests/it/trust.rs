//! Who vouches for an agent: only its own key acts as it; what it reports about itself is kept
//! apart from the operator's labels and from the address the server saw; a self-registered agent
//! is Pending (no work, no groups, no fleet certificates) until approved; bootstrap tokens expire,
//! run out and are revoked. Each attack is tried and leaves nothing changed.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, header};
use certctl::model::*;
use certctl::pki::{PrivateKey, build_csr};
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{BOOTSTRAP_TOKEN, Resp, Server};

both_backends! {
    agent_endpoints_take_the_agents_own_key_only => agent_endpoints_take_the_agents_own_key_only;
    reported_facts_operator_labels_and_observed_address => reported_facts_operator_labels_and_observed_address;
    self_registered_agents_wait_for_approval => self_registered_agents_wait_for_approval;
    bootstrap_tokens_expire_run_out_and_are_revoked => bootstrap_tokens_expire_run_out_and_are_revoked;
}

/// A heartbeat with `key` as if it came from `peer` (the TCP peer the real server sees).
async fn heartbeat_from(s: &Server, id: &str, key: &str, peer: &str, meta: Value) -> Resp {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/agents/{id}/heartbeat"))
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(meta.to_string()))
        .unwrap();
    let addr: SocketAddr = format!("{peer}:40000")
        .parse()
        .unwrap_or_else(|_| format!("[{peer}]:40000").parse().unwrap());
    req.extensions_mut().insert(ConnectInfo(addr));
    s.send(req).await
}

fn ids(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
}

async fn register(s: &Server, key: &str, id: &str, labels: Value) -> Resp {
    s.call(
        Method::POST,
        "/api/v1/agents",
        Some(key),
        Some(json!({"id": id, "name": id, "labels": labels})),
    )
    .await
}

async fn agent_endpoints_take_the_agents_own_key_only(s: Server) {
    let k1 = register(&s, &s.admin, "ag-one", json!({})).await.ok(201)["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let k2 = register(&s, &s.admin, "ag-two", json!({})).await.ok(201)["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    s.post("/api/v1/targets", json!({"id": "t-one", "name": "t", "type": "file", "agent_id": "ag-one", "config": {"cert_path": "/etc/ssl/certctl/one.pem"}})).await.ok(201);
    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-one", "common_name": "one.example.com", "target_ids": ["t-one"]}),
    )
    .await
    .ok(201);
    let job = s.get("/api/v1/jobs?certificate_id=mc-one").await.ok(200)["data"][0].clone();
    assert_eq!(job["status"], "AwaitingCSR");
    let job_id = job["id"].as_str().unwrap().to_owned();
    let csr = build_csr(&PrivateKey::generate_p256().unwrap(), "one.example.com", &[]).unwrap();
    let csr_body = json!({"job_id": job_id, "csr_pem": csr});
    let report = json!({"status": "Completed"});
    let hb = json!({"hostname": "evil", "os": "linux", "ip_addresses": ["10.0.0.66"]});
    let (admin, operator, viewer) = (s.admin.clone(), s.operator.clone(), s.viewer.clone());
    // admin, operator, viewer and another agent's key: 403 on every agent endpoint
    for key in [&admin, &operator, &viewer, &k2] {
        let who = if *key == k2 { "ag-two" } else { "user" };
        let msg = s
            .call(Method::POST, "/api/v1/agents/ag-one/heartbeat", Some(key), Some(hb.clone()))
            .await
            .err(403, "forbidden");
        assert!(msg.contains("the key of agent ag-one"), "{who}: {msg}");
        s.call(Method::GET, "/api/v1/agents/ag-one/work", Some(key), None)
            .await
            .err(403, "forbidden");
        s.call(Method::POST, "/api/v1/agents/ag-one/csr", Some(key), Some(csr_body.clone()))
            .await
            .err(403, "forbidden");
        s.call(
            Method::POST,
            &format!("/api/v1/agents/ag-one/jobs/{job_id}/status"),
            Some(key),
            Some(report.clone()),
        )
        .await
        .err(403, "forbidden");
    }
    // nothing changed: no facts, the job still waits, no version
    let a = s.get("/api/v1/agents/ag-one").await.ok(200);
    assert_eq!(
        (a["hostname"].clone(), a["last_heartbeat_at"].clone()),
        (json!(""), Value::Null),
        "{a}"
    );
    assert_eq!(s.get(&format!("/api/v1/jobs/{job_id}")).await.ok(200)["status"], "AwaitingCSR");
    assert_eq!(s.get("/api/v1/certificates/mc-one/versions").await.ok(200)["total"], 0);
    // the agent itself may
    s.call(Method::GET, "/api/v1/agents/ag-one/work", Some(&k1), None).await.ok(200);
    s.call(Method::POST, "/api/v1/agents/ag-one/csr", Some(&k1), Some(csr_body)).await.ok(200);
    assert_eq!(s.get("/api/v1/certificates/mc-one/versions").await.ok(200)["total"], 1);
}

async fn reported_facts_operator_labels_and_observed_address(s: Server) {
    // labels given at registration are the operator's; heartbeats never overwrite them
    let key = register(&s, &s.operator, "ag-web", json!({"env": "prod"})).await.ok(201)["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let meta = json!({"hostname": "web-1", "os": "linux", "arch": "x86_64", "ip_addresses": ["10.1.0.5"], "labels": {"env": "dev", "tier": "web"}});
    let a = heartbeat_from(&s, "ag-web", &key, "192.0.2.7", meta.clone()).await.ok(200);
    assert_eq!(a["labels"], json!({"env": "prod"}), "{a}");
    assert_eq!(a["reported_labels"], json!({"env": "dev", "tier": "web"}));
    assert_eq!(a["observed_ip"], "192.0.2.7");
    // an IPv4 client seen on a dual-stack listener is stored as its IPv4 address
    let a = heartbeat_from(&s, "ag-web", &key, "::ffff:192.0.2.9", meta.clone()).await.ok(200);
    assert_eq!(a["observed_ip"], "192.0.2.9");

    // each group says which it trusts
    for (id, criteria) in [
        ("grp-op", json!({"labels": {"env": "prod"}})),
        ("grp-claimed", json!({"labels": {"env": "dev"}})),
        ("grp-reported", json!({"reported_labels": {"tier": "web"}})),
        ("grp-seen", json!({"observed_cidr": ["192.0.2.0/24"]})),
        ("grp-said-ip", json!({"cidr": ["192.0.2.0/24"]})),
        ("grp-seen-elsewhere", json!({"observed_cidr": ["10.1.0.0/16"]})),
    ] {
        s.post("/api/v1/agent-groups", json!({"id": id, "name": id, "criteria": criteria}))
            .await
            .ok(201);
    }
    assert_eq!(
        s.get("/api/v1/agents/ag-web").await.ok(200)["groups"],
        json!(["grp-op", "grp-reported", "grp-seen"])
    );
    s.post(
        "/api/v1/agent-groups",
        json!({"name": "bad", "criteria": {"observed_cidr": ["10.0.0.0/99"]}}),
    )
    .await
    .err(422, "validation_failed");

    // the agent moves: it leaves the observed-address group at its next heartbeat, audited
    heartbeat_from(&s, "ag-web", &key, "198.51.100.4", meta.clone()).await.ok(200);
    assert_eq!(
        s.get("/api/v1/agents/ag-web").await.ok(200)["groups"],
        json!(["grp-op", "grp-reported"])
    );
    let ev = s.get("/api/v1/audit?action=agent_facts_changed&resource_id=ag-web").await.ok(200);
    assert_eq!(
        ev["data"][0]["details"]["observed_ip"],
        json!({"from": "192.0.2.9", "to": "198.51.100.4"}),
        "{ev}"
    );
    assert_eq!(ev["data"][0]["actor"], "ag-web");
    // a heartbeat that changes nothing is not audited
    let before = ev["total"].clone();
    heartbeat_from(&s, "ag-web", &key, "198.51.100.4", meta.clone()).await.ok(200);
    assert_eq!(
        s.get("/api/v1/audit?action=agent_facts_changed&resource_id=ag-web").await.ok(200)["total"],
        before
    );

    // operator labels change only through the API: audited, membership follows at once
    let a = s
        .call(
            Method::PUT,
            "/api/v1/agents/ag-web",
            Some(&s.operator),
            Some(json!({"labels": {"env": "dev"}})),
        )
        .await
        .ok(200);
    assert_eq!(
        (a["labels"].clone(), a["reported_labels"]["tier"].clone()),
        (json!({"env": "dev"}), json!("web"))
    );
    assert_eq!(
        s.get("/api/v1/agents/ag-web").await.ok(200)["groups"],
        json!(["grp-claimed", "grp-reported"])
    );
    let ev = s.get("/api/v1/audit?action=agent_updated&resource_id=ag-web").await.ok(200);
    assert_eq!(
        ev["data"][0]["details"]["labels"],
        json!({"from": {"env": "prod"}, "to": {"env": "dev"}})
    );
    // nobody else may: viewer, the agent itself; bad labels are refused; nothing changed
    s.call(
        Method::PUT,
        "/api/v1/agents/ag-web",
        Some(&s.viewer),
        Some(json!({"labels": {"env": "prod"}})),
    )
    .await
    .err(403, "forbidden");
    s.call(
        Method::PUT,
        "/api/v1/agents/ag-web",
        Some(&key),
        Some(json!({"labels": {"env": "prod"}})),
    )
    .await
    .err(403, "forbidden");
    let msg = s
        .put("/api/v1/agents/ag-web", json!({"labels": {"": "x"}}))
        .await
        .err(422, "validation_failed");
    assert!(msg.starts_with("labels"), "{msg}");
    s.put("/api/v1/agents/ag-web", json!({"hostname": "x"})).await.err(422, "validation_failed");
    s.put("/api/v1/agents/ag-nope", json!({"labels": {}})).await.err(404, "not_found");
    assert_eq!(s.get("/api/v1/agents/ag-web").await.ok(200)["labels"], json!({"env": "dev"}));
}

async fn self_registered_agents_wait_for_approval(s: Server) {
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-all-linux", "name": "linux", "criteria": {"os": ["linux"]}}),
    )
    .await
    .ok(201);
    s.post("/api/v1/owners", json!({"id": "o-ann", "name": "Ann", "email": "ann@example.com"}))
        .await
        .ok(201);
    s.post("/api/v1/certificates", json!({
        "id": "mc-fleet", "name": "fleet", "common_name": "{agent_id}.fleet.example.com", "agent_group_id": "grp-all-linux", "owner_id": "o-ann",
        "target_template": {"type": "file", "name": "{agent_name}", "config": {"cert_path": "/etc/ssl/certctl/{agent_id}.pem"}},
    })).await.ok(201);

    // the quick-start token registers a Pending agent: labels it sends are only reported labels
    let reg = register(&s, BOOTSTRAP_TOKEN, "ag-new", json!({"role": "web"})).await.ok(201);
    assert_eq!(
        (reg["status"].clone(), reg["labels"].clone(), reg["reported_labels"].clone()),
        (json!("Pending"), json!({}), json!({"role": "web"}))
    );
    let key = reg["api_key"].as_str().unwrap().to_owned();
    let a =
        heartbeat_from(&s, "ag-new", &key, "10.9.0.1", json!({"hostname": "new-1", "os": "linux"}))
            .await
            .ok(200);
    assert_eq!(a["status"], "Pending");
    // nothing reaches it: no group, no fleet child, no work; its CSRs and reports are refused
    assert_eq!(s.get("/api/v1/agents/ag-new").await.ok(200)["groups"], json!([]));
    assert!(ids(&s.get("/api/v1/agent-groups/grp-all-linux/members").await.ok(200)).is_empty());
    assert!(
        ids(&s
            .post("/api/v1/agent-groups/preview", json!({"criteria": {"os": ["linux"]}}))
            .await
            .ok(200))
        .is_empty()
    );
    assert_eq!(s.get("/api/v1/certificates?parent_id=mc-fleet").await.ok(200)["total"], 0);
    s.post("/api/v1/targets", json!({"id": "t-new", "name": "t", "type": "file", "agent_id": "ag-new", "config": {"cert_path": "/etc/ssl/certctl/new.pem"}})).await.ok(201);
    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-new", "common_name": "new.example.com", "target_ids": ["t-new"]}),
    )
    .await
    .ok(201);
    let work = s.call(Method::GET, "/api/v1/agents/ag-new/work", Some(&key), None).await.ok(200);
    assert_eq!(work["total"], 0, "{work}");
    let job_id = s.get("/api/v1/jobs?certificate_id=mc-new").await.ok(200)["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csr = build_csr(&PrivateKey::generate_p256().unwrap(), "new.example.com", &[]).unwrap();
    let msg = s
        .call(
            Method::POST,
            "/api/v1/agents/ag-new/csr",
            Some(&key),
            Some(json!({"job_id": job_id, "csr_pem": csr})),
        )
        .await
        .err(403, "forbidden");
    assert!(msg.contains("pending approval"), "{msg}");
    assert_eq!(s.get(&format!("/api/v1/jobs/{job_id}")).await.ok(200)["status"], "AwaitingCSR");
    s.get("/api/v1/agents?status=Pending").await.ok(200);
    assert_eq!(ids(&s.get("/api/v1/agents?status=Pending").await.ok(200)), ["ag-new"]);

    // a viewer cannot approve; an operator can, once; then it is admitted everywhere at once
    s.call(Method::POST, "/api/v1/agents/ag-new/approve", Some(&s.viewer), None)
        .await
        .err(403, "forbidden");
    let a = s
        .call(Method::POST, "/api/v1/agents/ag-new/approve", Some(&s.operator), None)
        .await
        .ok(200);
    assert_eq!(a["status"], "Online");
    s.action("/api/v1/agents/ag-new/approve").await.err(409, "conflict");
    s.action("/api/v1/agents/ag-nope/approve").await.err(404, "not_found");
    assert_eq!(s.get("/api/v1/agents/ag-new").await.ok(200)["groups"], json!(["grp-all-linux"]));
    let children = s.get("/api/v1/certificates?parent_id=mc-fleet").await.ok(200);
    assert_eq!(children["data"][0]["agent_id"], "ag-new", "{children}");
    let work = s.call(Method::GET, "/api/v1/agents/ag-new/work", Some(&key), None).await.ok(200);
    assert!(work["total"].as_i64().unwrap() >= 1, "{work}");
    let approved = s.get("/api/v1/audit?action=agent_approved&resource_id=ag-new").await.ok(200);
    assert_eq!(
        (approved["total"].clone(), approved["data"][0]["actor"].clone()),
        (json!(1), json!("ops"))
    );
    assert_eq!(approved["data"][0]["details"]["observed_ip"], "10.9.0.1");
    // an operator-registered agent is admitted at once
    assert_eq!(
        register(&s, &s.operator, "ag-by-ops", json!({})).await.ok(201)["status"],
        "Offline"
    );
}

async fn bootstrap_tokens_expire_run_out_and_are_revoked(s: Server) {
    // admin only; bad input refused with the field named
    let body = json!({"id": "bt-rack1", "name": "rack 1", "max_uses": 2, "expires_in": "2h", "labels": {"site": "fra"}});
    s.call(Method::POST, "/api/v1/bootstrap-tokens", Some(&s.operator), Some(body.clone()))
        .await
        .err(403, "forbidden");
    s.call(Method::GET, "/api/v1/bootstrap-tokens", Some(&s.operator), None)
        .await
        .err(403, "forbidden");
    for (bad, field) in [
        (json!({"name": "x", "expires_in": "10s"}), "expires_in"),
        (json!({"name": "x", "expires_in": "400d"}), "expires_in"),
        (json!({"name": "x", "expires_in": "soon"}), "expires_in"),
        (json!({"name": "x", "max_uses": 0}), "max_uses"),
        (json!({"name": "", "max_uses": 1}), "name"),
        (json!({"name": "x", "labels": {"": "y"}}), "labels"),
        (json!({"name": "x", "id": "rack"}), "id"),
    ] {
        let msg = s.post("/api/v1/bootstrap-tokens", bad).await.err(422, "validation_failed");
        assert!(msg.starts_with(field), "{field}: {msg}");
    }
    s.post("/api/v1/bootstrap-tokens", json!({"name": "x", "auto_approve": "yes"}))
        .await
        .err(422, "validation_failed");
    assert_eq!(s.get("/api/v1/bootstrap-tokens").await.ok(200)["total"], 0);

    let created = s.post("/api/v1/bootstrap-tokens", body).await.ok(201);
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("certctl_"));
    assert_eq!(
        (created["uses"].clone(), created["auto_approve"].clone(), created["created_by"].clone()),
        (json!(0), json!(false), json!("admin"))
    );
    let listed = s.get("/api/v1/bootstrap-tokens").await.ok(200);
    assert!(
        !listed.to_string().contains(&secret) && listed["data"][0].get("token_hash").is_none(),
        "{listed}"
    );
    let audit = s.get("/api/v1/audit?action=bootstrap_token_created").await.ok(200);
    assert!(!audit.to_string().contains(&secret));

    // it registers Pending agents stamped with its labels, twice, then no more
    for id in ["ag-r1", "ag-r2"] {
        let a = register(&s, &secret, id, json!({"site": "par", "rack": "9"})).await.ok(201);
        assert_eq!(
            (a["status"].clone(), a["labels"].clone(), a["reported_labels"].clone()),
            (json!("Pending"), json!({"site": "fra"}), json!({"site": "par", "rack": "9"}))
        );
    }
    let msg = register(&s, &secret, "ag-r3", json!({})).await.err(401, "unauthenticated");
    assert!(msg.contains("bt-rack1"), "{msg}");
    s.get("/api/v1/agents/ag-r3").await.err(404, "not_found");
    let t = s.get("/api/v1/bootstrap-tokens/bt-rack1").await.ok(200);
    assert_eq!(t["uses"], 2);
    let reg = s.get("/api/v1/audit?action=agent_registered&resource_id=ag-r1").await.ok(200);
    assert_eq!(reg["data"][0]["details"]["bootstrap_token_id"], "bt-rack1");
    // a token is no API key: it may only register
    s.call(Method::GET, "/api/v1/certificates", Some(BOOTSTRAP_TOKEN), None)
        .await
        .err(403, "forbidden");
    s.call(Method::GET, "/api/v1/agents/ag-r1/work", Some(&secret), None)
        .await
        .err(401, "unauthenticated");

    // auto-approving tokens admit at once; revoked ones register nothing
    let auto = s
        .post("/api/v1/bootstrap-tokens", json!({"name": "ci", "auto_approve": true}))
        .await
        .ok(201);
    let auto_secret = auto["token"].as_str().unwrap().to_owned();
    assert_eq!(register(&s, &auto_secret, "ag-ci", json!({})).await.ok(201)["status"], "Offline");
    let id = auto["id"].as_str().unwrap().to_owned();
    assert!(
        auto["expires_at"].as_str().unwrap()
            > Timestamp::now().plus(time::Duration::hours(23)).to_string().as_str()
    );
    s.call(Method::POST, &format!("/api/v1/bootstrap-tokens/{id}/revoke"), Some(&s.operator), None)
        .await
        .err(403, "forbidden");
    assert!(
        s.action(&format!("/api/v1/bootstrap-tokens/{id}/revoke")).await.ok(200)["revoked_at"]
            .is_string()
    );
    s.action(&format!("/api/v1/bootstrap-tokens/{id}/revoke")).await.err(409, "conflict");
    register(&s, &auto_secret, "ag-ci2", json!({})).await.err(401, "unauthenticated");
    s.get("/api/v1/agents/ag-ci2").await.err(404, "not_found");

    // expired: as stored by an earlier clock
    let mut old = s.svc.store_for_tests().get_bootstrap_token(&"bt-rack1".into()).await.unwrap();
    old.id = "bt-old".into();
    old.token_hash = certctl::service::auth::hash_secret("certctl_old-token-secret");
    old.max_uses = None;
    old.expires_at = Timestamp::now().plus(time::Duration::seconds(-1));
    s.svc
        .store_for_tests()
        .create_bootstrap_token(
            &old,
            &AuditDraft::new(
                "test",
                ActorType::System,
                "bootstrap_token_created",
                "bootstrap_token",
                "bt-old",
            ),
        )
        .await
        .unwrap();
    register(&s, "certctl_old-token-secret", "ag-late", json!({}))
        .await
        .err(401, "unauthenticated");
    s.get("/api/v1/agents/ag-late").await.err(404, "not_found");
}
