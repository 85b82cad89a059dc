//! Policies drive behaviour: a group-scoped `enforce` rule rejects a certificate whose key lives
//! on a member agent and allows the same certificate elsewhere; `warn` rules store violations
//! that are resolved when fixed; `evaluate` says exactly what create does; CSR keys are checked.

use axum::http::Method;
use certctl::pki::{PrivateKey, build_csr};
use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    policies_in_action => policies_in_action;
}

async fn policies_in_action(s: Server) {
    // two agents: one in the "dmz" group (by network), one not
    let mut keys = std::collections::HashMap::new();
    for (id, ip) in [("ag-dmz", "172.16.0.5"), ("ag-core", "10.0.0.5")] {
        let key = s.post("/api/v1/agents", json!({"id": id, "name": id})).await.ok(201)["api_key"]
            .as_str()
            .unwrap()
            .to_owned();
        s.call(
            Method::POST,
            &format!("/api/v1/agents/{id}/heartbeat"),
            Some(&key),
            Some(json!({"hostname": id, "os": "linux", "ip_addresses": [ip]})),
        )
        .await
        .ok(200);
        s.post(
            "/api/v1/targets",
            json!({"id": format!("t-{id}"), "name": id, "type": "file", "agent_id": id}),
        )
        .await
        .ok(201);
        keys.insert(id, key);
    }
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-dmz", "name": "dmz", "criteria": {"cidr": ["172.16.0.0/12"]}}),
    )
    .await
    .ok(201);
    s.post("/api/v1/policies", json!({"id": "pol-dmz-domains", "name": "DMZ serves public names only", "type": "AllowedDomains",
        "config": {"domains": ["*.public.example.com"]}, "mode": "enforce", "severity": "Critical", "scope": {"agent_group_ids": ["grp-dmz"]}})).await.ok(201);

    let draft = json!({"common_name": "internal.corp.example", "target_ids": ["t-ag-dmz"]});
    let eval = s.post("/api/v1/policies/evaluate", draft.clone()).await.ok(200);
    assert_eq!(eval["allowed"], false);
    assert_eq!(eval["results"][0]["policy_id"], "pol-dmz-domains");
    let reason = eval["results"][0]["reason"].as_str().unwrap().to_owned();
    let msg = s.post("/api/v1/certificates", draft).await.err(422, "policy_rejected");
    assert!(
        msg.contains(&reason),
        "create refuses with the same reason that evaluate gives: {msg} / {reason}"
    );
    assert_eq!(s.get("/api/v1/certificates").await.ok(200)["total"], 0, "nothing written");
    // the same certificate on an agent outside the group is allowed (the rule is not in scope)
    let elsewhere = json!({"id": "mc-internal", "common_name": "internal.corp.example", "target_ids": ["t-ag-core"]});
    let eval = s.post("/api/v1/policies/evaluate", elsewhere.clone()).await.ok(200);
    assert_eq!(
        (eval["allowed"].clone(), eval["results"].as_array().unwrap().len()),
        (json!(true), 0)
    );
    s.post("/api/v1/certificates", elsewhere).await.ok(201);
    // moving it to the DMZ agent is refused too
    s.put("/api/v1/certificates/mc-internal", json!({"target_ids": ["t-ag-dmz"]}))
        .await
        .err(422, "policy_rejected");

    // warn: a violation is stored, shown, and resolved once fixed; never duplicated
    s.post("/api/v1/policies", json!({"id": "pol-owner", "name": "Owned", "type": "RequiredMetadata", "config": {"require_owner": true}, "mode": "warn"})).await.ok(201);
    s.post("/api/v1/owners", json!({"id": "o-ann", "name": "Ann"})).await.ok(201);
    s.post("/api/v1/certificates", json!({"id": "mc-orphan", "common_name": "orphan.example.com"}))
        .await
        .ok(201);
    s.put("/api/v1/certificates/mc-orphan", json!({"environment": "staging"})).await.ok(200);
    // mc-internal, created before the rule, is flagged when the rule is created; mc-orphan when
    // it is written
    let v = s.get("/api/v1/policies/pol-owner/violations?open=true").await.ok(200);
    assert_eq!(v["total"], 2, "{v}");
    let open: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["certificate_id"].as_str().unwrap())
        .collect();
    assert!(open.contains(&"mc-orphan") && open.contains(&"mc-internal"), "{v}");
    s.put("/api/v1/certificates/mc-orphan", json!({"owner_id": "o-ann"})).await.ok(200);
    let v = s.get("/api/v1/policies/pol-owner/violations?open=true").await.ok(200);
    assert_eq!(
        (v["total"].clone(), v["data"][0]["certificate_id"].clone()),
        (json!(1), json!("mc-internal"))
    );
    let all = s.get("/api/v1/policies/pol-owner/violations").await.ok(200);
    assert!(
        all["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["certificate_id"] == "mc-orphan" && x["resolved_at"].is_string()),
        "kept, resolved"
    );
    // a rule created after the certificates lists its violators when the call returns (not at
    // the next renewal check); disabling it resolves them at once too
    s.post("/api/v1/policies", json!({"id": "pol-app-tag", "name": "Tagged", "type": "RequiredMetadata", "config": {"tags": ["app"]}, "mode": "warn"})).await.ok(201);
    let v = s.get("/api/v1/policies/pol-app-tag/violations?open=true").await.ok(200);
    let violators: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["certificate_id"].as_str().unwrap())
        .collect();
    assert!(violators.contains(&"mc-orphan") && violators.contains(&"mc-internal"), "{v}");
    s.put("/api/v1/policies/pol-app-tag", json!({"enabled": false})).await.ok(200);
    assert_eq!(
        s.get("/api/v1/policies/pol-app-tag/violations?open=true").await.ok(200)["total"],
        0
    );
    s.delete("/api/v1/policies/pol-app-tag").await.ok(204);

    // ?with= shows what a draft rule would reject before it exists
    let with = serde_json::to_string(&json!({"name": "short", "type": "CertificateLifetime", "config": {"max_days": 30}, "mode": "enforce"})).unwrap();
    let q: String = form_urlencoded::byte_serialize(with.as_bytes()).collect();
    let eval = s
        .post(
            &format!("/api/v1/policies/evaluate?with={q}"),
            json!({"certificate_id": "mc-orphan"}),
        )
        .await
        .ok(200);
    assert_eq!(eval["allowed"], false);
    assert!(
        eval["results"].as_array().unwrap().iter().any(|r| r["name"] == "short"
            && r["passed"] == false
            && r["reason"].as_str().unwrap().contains("90")),
        "{eval}"
    );
    assert_eq!(
        s.get("/api/v1/policies").await.ok(200)["total"],
        2,
        "the draft rule was not stored"
    );

    // keys are checked on the CSR: an enforce rule wanting P-384 refuses a P-256 CSR
    s.post("/api/v1/policies", json!({"id": "pol-p384", "name": "P-384 keys", "type": "KeyAlgorithm", "config": {"allowed": [{"algorithm": "ECDSA", "min_size": 384}]}, "mode": "enforce"})).await.ok(201);
    let job = s.action("/api/v1/certificates/mc-internal/renew").await.ok(202);
    let csr =
        build_csr(&PrivateKey::generate_p256().unwrap(), "internal.corp.example", &[]).unwrap();
    let msg = s
        .call(
            Method::POST,
            "/api/v1/agents/ag-core/csr",
            Some(&keys["ag-core"]),
            Some(json!({"job_id": job["id"], "csr_pem": csr})),
        )
        .await
        .err(422, "policy_rejected");
    assert!(msg.contains("P-384 keys"), "{msg}");
    assert_eq!(
        s.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())).await.ok(200)["status"],
        "AwaitingCSR"
    );
}
