//! `/certificates`: create with defaults and validation, filters, update, archive, actions.

use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    create_and_validate => create_and_validate;
    list_update_archive => list_update_archive;
    actions => actions;
}

async fn create_and_validate(s: Server) {
    let c =
        s.post("/api/v1/certificates", json!({"common_name": "API.Example.com."})).await.ok(201);
    assert!(c["id"].as_str().unwrap().starts_with("mc-"));
    assert_eq!(c["common_name"], "api.example.com");
    assert_eq!(c["name"], "api.example.com");
    assert_eq!(
        (c["issuer_id"].as_str(), c["renewal_policy_id"].as_str()),
        (Some("iss-local"), Some("rp-default"))
    );
    assert_eq!(c["status"], "Pending");
    let full = json!({
        "id": "mc-api-prod", "name": "API", "common_name": "api.example.com",
        "sans": ["api.example.com", "*.api.example.com", "10.0.0.7", "fd00::7"],
        "environment": "production", "tags": {"app": "billing"}
    });
    let c = s.post("/api/v1/certificates", full.clone()).await.ok(201);
    assert_eq!(c["sans"], json!(["api.example.com", "*.api.example.com", "10.0.0.7", "fd00::7"]));
    assert_eq!(s.get("/api/v1/certificates/mc-api-prod").await.ok(200), c);
    s.post("/api/v1/certificates", full).await.err(409, "conflict");
    for (body, field) in [
        (json!({}), "common_name"),
        (json!({"common_name": "a..b"}), "common_name"),
        (
            json!({"common_name": "ok.example.com", "sans": ["fine.example.com", "a.*.example.com"]}),
            "sans[1]",
        ),
        (json!({"common_name": "*.com"}), "common_name"),
        (json!({"common_name": "ok.example.com", "owner_id": "o-nobody"}), "owner_id"),
        (json!({"common_name": "ok.example.com", "team_id": "team-nobody"}), "team_id"),
        (json!({"common_name": "ok.example.com", "issuer_id": "iss-nobody"}), "issuer_id"),
        (
            json!({"common_name": "ok.example.com", "renewal_policy_id": "rp-nobody"}),
            "renewal_policy_id",
        ),
        (json!({"common_name": "ok.example.com", "target_ids": ["t-nobody"]}), "target_ids[0]"),
        (json!({"common_name": "ok.example.com", "id": "cert-1"}), "id"),
        (json!({"common_name": "ok.example.com", "tags": {"": "x"}}), "tags."),
    ] {
        let msg = s.post("/api/v1/certificates", body.clone()).await.err(422, "validation_failed");
        assert!(msg.starts_with(field), "{body}: {msg}");
    }
    assert_eq!(
        s.get("/api/v1/certificates").await.ok(200)["total"],
        2,
        "failed creates wrote nothing"
    );
    // targets on two agents are one key on two hosts: refused, pointing at fleet certificates
    for (a, t) in [("ag-one", "t-one"), ("ag-two", "t-two")] {
        s.post("/api/v1/agents", json!({"id": a, "name": a})).await.ok(201);
        s.post("/api/v1/targets", json!({"id": t, "name": t, "type": "nginx", "agent_id": a, "config": {"cert_path": "/etc/nginx/c.pem"}})).await.ok(201);
    }
    let msg = s
        .post(
            "/api/v1/certificates",
            json!({"common_name": "two.example.com", "target_ids": ["t-one", "t-two"]}),
        )
        .await
        .err(409, "conflict");
    assert!(msg.contains("fleet certificate"), "{msg}");
}

async fn list_update_archive(s: Server) {
    s.post("/api/v1/teams", json!({"id": "team-web", "name": "Web"})).await.ok(201);
    s.post("/api/v1/owners", json!({"id": "o-alice", "name": "Alice", "email": "alice@example.com", "team_id": "team-web"})).await.ok(201);
    for (id, cn, env, tag) in [
        ("mc-a", "a.example.com", "production", "billing"),
        ("mc-b", "b.example.com", "staging", "web"),
        ("mc-c", "shop.example.org", "production", "web"),
    ] {
        s.post("/api/v1/certificates", json!({"id": id, "common_name": cn, "environment": env, "tags": {"app": tag}, "owner_id": "o-alice"})).await.ok(201);
    }
    let ids = |v: serde_json::Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(s.get("/api/v1/certificates?environment=production").await.ok(200)),
        ["mc-a", "mc-c"]
    );
    assert_eq!(ids(s.get("/api/v1/certificates?q=EXAMPLE.ORG").await.ok(200)), ["mc-c"]);
    assert_eq!(ids(s.get("/api/v1/certificates?tag=app:web").await.ok(200)), ["mc-b", "mc-c"]);
    assert_eq!(
        ids(s.get("/api/v1/certificates?tag=app:web&environment=staging").await.ok(200)),
        ["mc-b"]
    );
    assert_eq!(
        ids(s.get("/api/v1/certificates?owner_id=o-alice&team_id=team-web").await.ok(200)),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(s
            .get("/api/v1/certificates?status=Pending&issuer_id=iss-local&per_page=2&page=2")
            .await
            .ok(200)),
        ["mc-c"]
    );
    let p = s.get("/api/v1/certificates?per_page=2").await.ok(200);
    assert_eq!(
        (p["total"].as_i64(), p["page"].as_i64(), p["per_page"].as_i64()),
        (Some(3), Some(1), Some(2))
    );

    // update: absent fields keep, null clears
    let u = s.put("/api/v1/certificates/mc-a", json!({"environment": null, "sans": ["a.example.com", "www.a.example.com"], "team_id": "team-web"})).await.ok(200);
    assert_eq!(
        (u["environment"].clone(), u["team_id"].as_str(), u["owner_id"].as_str()),
        (serde_json::Value::Null, Some("team-web"), Some("o-alice"))
    );
    assert_eq!(u["sans"], json!(["a.example.com", "www.a.example.com"]));
    s.put("/api/v1/certificates/mc-a", json!({"sans": ["bad name"]}))
        .await
        .err(422, "validation_failed");
    s.put("/api/v1/certificates/mc-none", json!({"name": "x"})).await.err(404, "not_found");
    let ev = s.get("/api/v1/audit?resource_id=mc-a&action=certificate_updated").await.ok(200);
    assert_eq!(ev["total"], 1);
    assert!(ev["data"][0]["details"]["fields"].as_array().unwrap().contains(&json!("sans")));

    // archive: 204, gone from the default list, still readable, frozen
    s.delete("/api/v1/certificates/mc-b").await.ok(204);
    assert_eq!(ids(s.get("/api/v1/certificates").await.ok(200)), ["mc-a", "mc-c"]);
    assert_eq!(
        ids(s.get("/api/v1/certificates?include_archived=true").await.ok(200)),
        ["mc-a", "mc-b", "mc-c"]
    );
    assert_eq!(ids(s.get("/api/v1/certificates?status=Archived").await.ok(200)), ["mc-b"]);
    assert_eq!(s.get("/api/v1/certificates/mc-b").await.ok(200)["status"], "Archived");
    s.delete("/api/v1/certificates/mc-b").await.err(409, "conflict");
    s.action("/api/v1/certificates/mc-b/renew").await.err(409, "conflict");
    s.put("/api/v1/certificates/mc-b", json!({"name": "x"})).await.err(409, "conflict");
    s.delete("/api/v1/certificates/mc-none").await.err(404, "not_found");
    // a referenced owner cannot be deleted
    s.delete("/api/v1/owners/o-alice").await.err(409, "conflict");
}

async fn actions(s: Server) {
    s.post("/api/v1/certificates", json!({"id": "mc-x", "common_name": "x.example.com"}))
        .await
        .ok(201);
    assert_eq!(s.get("/api/v1/certificates/mc-x/versions").await.ok(200)["data"], json!([]));
    s.get("/api/v1/certificates/mc-x/export").await.err(404, "not_found");
    s.get("/api/v1/certificates/mc-none/versions").await.err(404, "not_found");
    s.action("/api/v1/certificates/mc-x/revoke").await.err(409, "conflict");
    s.post("/api/v1/certificates/mc-x/revoke", json!({"reason": "becauseISaidSo"}))
        .await
        .err(422, "validation_failed");
    s.action("/api/v1/certificates/mc-x/deploy").await.err(409, "conflict");
    // agent keygen: no agent holds the key yet
    let msg = s.action("/api/v1/certificates/mc-x/renew").await.err(409, "conflict");
    assert!(msg.contains("agent"), "{msg}");
    // with a target on an agent the first issuance starts at creation; renew is idempotent
    s.post("/api/v1/agents", json!({"id": "ag-web", "name": "web"})).await.ok(201);
    s.post("/api/v1/targets", json!({"id": "t-web", "name": "nginx", "type": "nginx", "agent_id": "ag-web", "config": {"cert_path": "/etc/nginx/c.pem", "reload_command": ["nginx", "-s", "reload"]}})).await.ok(201);
    let c = s
        .post(
            "/api/v1/certificates",
            json!({"id": "mc-web", "common_name": "web.example.com", "target_ids": ["t-web"]}),
        )
        .await
        .ok(201);
    assert_eq!(c["status"], "RenewalInProgress");
    assert_eq!(c["target_ids"], json!(["t-web"]));
    let job = s.action("/api/v1/certificates/mc-web/renew").await.ok(202);
    assert_eq!(
        (job["type"].as_str(), job["status"].as_str(), job["agent_id"].as_str()),
        (Some("Issuance"), Some("AwaitingCSR"), Some("ag-web"))
    );
    let again = s.action("/api/v1/certificates/mc-web/renew").await.ok(202);
    assert_eq!(again["id"], job["id"]);
    let jobs = s.get("/api/v1/jobs?certificate_id=mc-web").await.ok(200);
    assert_eq!(jobs["total"], 1);
    // cancel and retry
    let id = job["id"].as_str().unwrap();
    assert_eq!(s.action(&format!("/api/v1/jobs/{id}/cancel")).await.ok(200)["status"], "Cancelled");
    assert_eq!(s.get("/api/v1/certificates/mc-web").await.ok(200)["status"], "Pending");
    s.action(&format!("/api/v1/jobs/{id}/cancel")).await.err(409, "conflict");
    let retried = s.action(&format!("/api/v1/jobs/{id}/retry")).await.ok(200);
    assert_eq!(retried["status"], "AwaitingCSR");
    s.action(&format!("/api/v1/jobs/{id}/retry")).await.err(409, "conflict");
    s.action("/api/v1/jobs/job-none/retry").await.err(404, "not_found");
    assert_eq!(s.get("/api/v1/jobs?status=AwaitingCSR&type=Issuance").await.ok(200)["total"], 1);
    // archiving cancels open jobs
    s.delete("/api/v1/certificates/mc-web").await.ok(204);
    assert_eq!(s.get(&format!("/api/v1/jobs/{id}")).await.ok(200)["status"], "Cancelled");
    // a mutating action writes its audit event with the job
    assert!(
        s.get("/api/v1/audit?action=job_created").await.ok(200)["total"].as_i64().unwrap() >= 1
    );
}
