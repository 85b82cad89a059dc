//! Authentication and roles: 401 without or with a bad key, 403 per role, agent keys confined
//! to their own agent, the bootstrap token only registers.

use axum::http::Method;
use serde_json::json;

use crate::both_backends;
use crate::support::{BOOTSTRAP_TOKEN, Server};

both_backends! {
    roles => roles;
    agent_keys => agent_keys;
    service_checks => service_checks;
}

/// The checks live in the service: called directly (no HTTP, no extractor), each method refuses
/// a caller whose role does not allow it, reads included.
async fn service_checks(s: Server) {
    use certctl::api::{CertificateQuery, PageQuery, TeamInput};
    use certctl::model::{ActorType, Role};
    use certctl::service::Actor;

    let user = |role| Actor {
        name: "k".into(),
        kind: ActorType::User,
        role,
        agent_id: None,
        bootstrap: None,
    };
    let (viewer, agent) = (
        user(Role::Viewer),
        Actor {
            name: "ag-1".into(),
            kind: ActorType::Agent,
            role: Role::Agent,
            agent_id: Some("ag-1".into()),
            bootstrap: None,
        },
    );
    let forbidden = |r: certctl::Result<()>| match r {
        Err(certctl::Error::Forbidden(m)) => m,
        other => panic!("expected Forbidden, got {other:?}"),
    };
    s.svc.list_certificates(&viewer, &CertificateQuery::default()).await.unwrap();
    s.svc.list_teams(&viewer, &PageQuery::default()).await.unwrap();
    let team =
        TeamInput { id: Some("team-x".into()), name: Some("X".into()), ..Default::default() };
    let msg = forbidden(s.svc.create_team(&viewer, &team).await.map(|_| ()));
    assert_eq!(msg, "k (viewer) may not do this: it needs the operator or admin role");
    let msg = forbidden(s.svc.list_api_keys(&viewer, &PageQuery::default()).await.map(|_| ()));
    assert!(msg.ends_with("it needs the admin role"), "{msg}");
    let msg = forbidden(s.svc.list_teams(&agent, &PageQuery::default()).await.map(|_| ()));
    assert!(msg.ends_with("it needs read access"), "{msg}");
    forbidden(s.svc.summary(&agent).await.map(|_| ()));
    // nothing was written
    assert!(s.svc.get_team(&Actor::system(), &"team-x".into()).await.is_err());
    assert!(!viewer.whoami().can_write && user(Role::Operator).whoami().can_write);
}

async fn roles(s: Server) {
    let msg =
        s.call(Method::GET, "/api/v1/certificates", None, None).await.err(401, "unauthenticated");
    assert!(msg.contains("Authorization"), "{msg}");
    let r = s.call(Method::GET, "/api/v1/certificates", Some("certctl_wrong"), None).await;
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    r.err(401, "unauthenticated");
    let req = axum::http::Request::get("/api/v1/teams")
        .header("authorization", "Basic abc")
        .body(axum::body::Body::empty())
        .unwrap();
    s.send(req).await.err(401, "unauthenticated");

    // viewer: reads everything, changes nothing (and nothing is written)
    let team = json!({"id": "team-a", "name": "A"});
    s.call(Method::GET, "/api/v1/teams", Some(&s.viewer), None).await.ok(200);
    s.call(Method::GET, "/api/v1/audit", Some(&s.viewer), None).await.ok(200);
    let msg = s
        .call(Method::POST, "/api/v1/teams", Some(&s.viewer), Some(team.clone()))
        .await
        .err(403, "forbidden");
    assert!(msg.contains("auditor") && msg.contains("operator"), "{msg}");
    s.call(Method::POST, "/api/v1/certificates/mc-x/renew", Some(&s.viewer), None)
        .await
        .err(403, "forbidden");
    s.get("/api/v1/teams/team-a").await.err(404, "not_found");
    s.call(Method::GET, "/api/v1/api-keys", Some(&s.viewer), None).await.err(403, "forbidden");

    // operator: changes inventory, not keys
    s.call(Method::POST, "/api/v1/teams", Some(&s.operator), Some(team)).await.ok(201);
    s.call(Method::GET, "/api/v1/api-keys", Some(&s.operator), None).await.err(403, "forbidden");
    s.call(
        Method::POST,
        "/api/v1/api-keys",
        Some(&s.operator),
        Some(json!({"name": "x", "role": "admin"})),
    )
    .await
    .err(403, "forbidden");

    // admin: keys; the secret is shown once and works; revoking it stops it
    let created = s.post("/api/v1/api-keys", json!({"name": "ci", "role": "viewer"})).await.ok(201);
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("certctl_"));
    assert!(created.get("key_hash").is_none());
    let id = created["id"].as_str().unwrap().to_owned();
    s.call(Method::GET, "/api/v1/teams", Some(&key), None).await.ok(200);
    let listed = s.get("/api/v1/api-keys").await.ok(200);
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("key").is_none() && k.get("key_hash").is_none())
    );
    assert!(!listed.to_string().contains(&key[8..]), "secrets never listed");
    s.post("/api/v1/api-keys", json!({"name": "x", "role": "root"}))
        .await
        .err(422, "validation_failed");
    s.post("/api/v1/api-keys", json!({"name": "x", "role": "agent"}))
        .await
        .err(422, "validation_failed");
    s.delete(&format!("/api/v1/api-keys/{id}")).await.ok(204);
    s.call(Method::GET, "/api/v1/teams", Some(&key), None).await.err(401, "unauthenticated");
    s.delete(&format!("/api/v1/api-keys/{id}")).await.err(409, "conflict");

    // the audit trail names the key that acted
    let ev = s.get("/api/v1/audit?action=team_created").await.ok(200);
    assert_eq!(ev["data"][0]["actor"], "ops");
    assert_eq!(ev["data"][0]["actor_type"], "User");
}

async fn agent_keys(s: Server) {
    let reg =
        s.post("/api/v1/agents", json!({"name": "web-1", "labels": {"env": "prod"}})).await.ok(201);
    let (id, key) =
        (reg["id"].as_str().unwrap().to_owned(), reg["api_key"].as_str().unwrap().to_owned());
    assert!(id.starts_with("ag-"));
    assert_eq!(reg["status"], "Offline");
    let other = s.post("/api/v1/agents", json!({"id": "ag-other", "name": "web-2"})).await.ok(201);
    let meta = json!({"hostname": "web-1.example.com", "os": "linux", "os_version": "Debian 12", "arch": "x86_64",
                      "ip_addresses": ["10.1.0.5", "fd00::5"], "agent_version": "0.1.0", "labels": {"env": "prod"}});
    let hb = s
        .call(
            Method::POST,
            &format!("/api/v1/agents/{id}/heartbeat"),
            Some(&key),
            Some(meta.clone()),
        )
        .await
        .ok(200);
    assert_eq!(
        (hb["status"].as_str(), hb["hostname"].as_str()),
        (Some("Online"), Some("web-1.example.com"))
    );
    let got = s.get(&format!("/api/v1/agents/{id}")).await.ok(200);
    assert_eq!(got["ip_addresses"], json!(["10.1.0.5", "fd00::5"]));
    assert!(got["last_heartbeat_at"].is_string());
    // confined to its own agent
    s.call(Method::POST, "/api/v1/agents/ag-other/heartbeat", Some(&key), Some(meta.clone()))
        .await
        .err(403, "forbidden");
    s.call(Method::GET, "/api/v1/certificates", Some(&key), None).await.err(403, "forbidden");
    s.call(Method::GET, &format!("/api/v1/agents/{id}"), Some(&key), None)
        .await
        .err(403, "forbidden");
    // bad metadata is refused and changes nothing
    let bad = json!({"hostname": "x", "ip_addresses": ["10.1.0.999"]});
    let msg = s
        .call(Method::POST, &format!("/api/v1/agents/{id}/heartbeat"), Some(&key), Some(bad))
        .await
        .err(422, "validation_failed");
    assert!(msg.starts_with("ip_addresses[0]"), "{msg}");
    assert_eq!(
        s.get(&format!("/api/v1/agents/{id}")).await.ok(200)["hostname"],
        "web-1.example.com"
    );

    // the bootstrap token registers agents and does nothing else
    let boot = s
        .call(
            Method::POST,
            "/api/v1/agents",
            Some(BOOTSTRAP_TOKEN),
            Some(json!({"name": "self-1"})),
        )
        .await
        .ok(201);
    assert!(boot["api_key"].is_string());
    s.call(Method::GET, "/api/v1/agents", Some(BOOTSTRAP_TOKEN), None).await.err(403, "forbidden");
    s.call(Method::POST, "/api/v1/teams", Some(BOOTSTRAP_TOKEN), Some(json!({"name": "x"})))
        .await
        .err(403, "forbidden");
    s.call(Method::POST, "/api/v1/agents", Some(&s.viewer), Some(json!({"name": "nope"})))
        .await
        .err(403, "forbidden");

    // retiring revokes the agent's key
    s.action(&format!("/api/v1/agents/{}/retire", other["id"].as_str().unwrap())).await.ok(200);
    s.call(
        Method::POST,
        "/api/v1/agents/ag-other/heartbeat",
        Some(other["api_key"].as_str().unwrap()),
        Some(meta),
    )
    .await
    .err(401, "unauthenticated");
    s.action("/api/v1/agents/ag-other/retire").await.err(409, "conflict");
    let listed = s.get("/api/v1/agents?status=Retired").await.ok(200);
    assert_eq!(listed["total"], 1);
    let audit = s.get("/api/v1/audit?action=agent_registered").await.ok(200);
    assert_eq!(audit["total"], 3);
    assert!(!audit.to_string().contains(&key), "secrets never in audit details");
}
