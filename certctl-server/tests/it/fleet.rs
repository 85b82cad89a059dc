//! Fleet certificates and violations that follow the fleet: a template bound to a group gives
//! each member its own child (names expanded, target on that agent, issuance job), a joining
//! agent gets one in the heartbeat that makes it a member, a leaving one has it archived and a
//! returning one gets it back; group-scoped `enforce` rules decide per child. Violations are
//! re-evaluated when membership changes and by the renewal checker, resolved, never duplicated.

use axum::http::Method;
use certctl::model::Timestamp;
use certctl::pki::{PrivateKey, build_csr};
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::Server;

both_backends! {
    fleet_certificates => fleet_certificates;
    fleet_policies_and_changes => fleet_policies_and_changes;
    violations_follow_membership_and_checker => violations_follow_membership_and_checker;
}

/// Registers `id` and returns its API key.
async fn register(s: &Server, id: &str) -> String {
    s.post("/api/v1/agents", json!({"id": id, "name": id.trim_start_matches("ag-")})).await.ok(201)
        ["api_key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn heartbeat(s: &Server, id: &str, key: &str, host: &str, ip: &str) {
    let meta = json!({"hostname": host, "os": "linux", "arch": "x86_64", "ip_addresses": [ip], "agent_version": "1.0.0", "labels": {"role": "web"}});
    s.call(Method::POST, &format!("/api/v1/agents/{id}/heartbeat"), Some(key), Some(meta))
        .await
        .ok(200);
}

async fn open(s: &Server, q: &str) -> Value {
    s.get(&format!("/api/v1/policies/{q}")).await.ok(200)
}

fn children(template: &Value) -> Vec<(String, String, String)> {
    template["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["agent_id"].as_str().unwrap().to_owned(),
                c["common_name"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn child_id(template: &Value, agent: &str) -> String {
    template["children"].as_array().unwrap().iter().find(|c| c["agent_id"] == agent).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn template_body(id: &str, cn: &str) -> Value {
    json!({
        "id": id, "name": "web fleet", "common_name": cn, "sans": ["{hostname}", "{agent_id}.id.example.com"],
        "agent_group_id": "grp-web", "environment": "production", "tags": {"service": "web"}, "owner_id": "o-ann",
        "target_template": {"type": "file", "name": "{agent_name} files", "config": {"cert_path": "/srv/tls/{agent_id}/cert.pem", "key_path": "/srv/tls/{agent_id}/key.pem"}},
    })
}

async fn fleet_certificates(s: Server) {
    let mut keys = std::collections::HashMap::new();
    for (id, host, ip) in [
        ("ag-web1", "web-1.example.com", "10.1.0.1"),
        ("ag-web2", "web-2.example.com", "10.1.0.2"),
        ("ag-web3", "web-3.example.com", "10.1.0.3"),
        ("ag-db", "db.example.com", "10.2.0.1"),
    ] {
        let key = register(&s, id).await;
        heartbeat(&s, id, &key, host, ip).await;
        keys.insert(id, key);
    }
    s.post("/api/v1/agent-groups", json!({"id": "grp-web", "name": "web", "criteria": {"cidr": ["10.1.0.0/16"], "reported_labels": {"role": "web"}}})).await.ok(201);
    s.post("/api/v1/owners", json!({"id": "o-ann", "name": "Ann"})).await.ok(201);

    // bad templates: 422 naming the field, nothing written
    for (patch, field) in [
        (json!({"common_name": "{host}.example.com"}), "common_name"),
        (json!({"agent_group_id": "grp-none"}), "agent_group_id"),
        (json!({"target_template": null}), "target_template"),
        (json!({"target_template": {"type": "ftp"}}), "target_template.type"),
        (
            json!({"target_template": {"type": "file", "config": {"cert_path": "relative/{agent_id}.pem"}}}),
            "target_template.config.cert_path",
        ),
        (json!({"target_ids": ["t-x"]}), "target_ids"),
    ] {
        let mut body = template_body("mc-bad", "{agent_name}.svc.example.com");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let msg = s.post("/api/v1/certificates", body).await.err(422, "validation_failed");
        assert!(msg.starts_with(field), "{field}: {msg}");
    }
    assert_eq!(s.get("/api/v1/certificates?include_archived=true").await.ok(200)["total"], 0);

    // created: one child per member, materialised in the same request
    let t = s
        .post("/api/v1/certificates", template_body("mc-fleet", "{agent_name}.svc.example.com"))
        .await
        .ok(201);
    assert_eq!(
        (t["agent_group_id"].clone(), t["status"].clone(), t["common_name"].clone()),
        (json!("grp-web"), json!("Pending"), json!("{agent_name}.svc.example.com"))
    );
    let mut got = children(&t);
    got.sort();
    assert_eq!(
        got,
        [
            ("ag-web1".into(), "web1.svc.example.com".into(), "RenewalInProgress".into()),
            ("ag-web2".into(), "web2.svc.example.com".into(), "RenewalInProgress".into()),
            ("ag-web3".into(), "web3.svc.example.com".into(), "RenewalInProgress".into()),
        ]
    );
    let c1 = child_id(&t, "ag-web1");
    let child = s.get(&format!("/api/v1/certificates/{c1}")).await.ok(200);
    assert_eq!(child["parent_id"], "mc-fleet");
    assert_eq!(child["sans"], json!(["web-1.example.com", "ag-web1.id.example.com"]));
    assert_eq!(
        (
            child["environment"].clone(),
            child["tags"].clone(),
            child["owner_id"].clone(),
            child["issuer_id"].clone()
        ),
        (json!("production"), json!({"service": "web"}), json!("o-ann"), json!("iss-local"))
    );
    assert!(child.get("children").is_none(), "only templates list children");
    let target = s
        .get(&format!("/api/v1/targets/{}", child["target_ids"][0].as_str().unwrap()))
        .await
        .ok(200);
    assert_eq!(
        (target["agent_id"].clone(), target["name"].clone()),
        (json!("ag-web1"), json!("web1 files"))
    );
    assert_eq!(target["config"]["cert_path"], "/srv/tls/ag-web1/cert.pem");
    let jobs = s.get(&format!("/api/v1/jobs?certificate_id={c1}")).await.ok(200);
    assert_eq!(
        (
            jobs["total"].clone(),
            jobs["data"][0]["type"].clone(),
            jobs["data"][0]["status"].clone(),
            jobs["data"][0]["agent_id"].clone()
        ),
        (json!(1), json!("Issuance"), json!("AwaitingCSR"), json!("ag-web1"))
    );
    // the template is never issued
    assert_eq!(s.get("/api/v1/jobs?certificate_id=mc-fleet").await.ok(200)["total"], 0);
    assert!(
        s.action("/api/v1/certificates/mc-fleet/renew")
            .await
            .err(409, "conflict")
            .contains("fleet certificate")
    );
    assert_eq!(s.get("/api/v1/certificates?parent_id=mc-fleet").await.ok(200)["total"], 3);
    assert!(
        s.put(&format!("/api/v1/certificates/{c1}"), json!({"common_name": "x.example.com"}))
            .await
            .err(409, "conflict")
            .contains("mc-fleet")
    );

    // the child's agent sends its CSR: Active with a version of its own names
    let job = jobs["data"][0]["id"].as_str().unwrap();
    let csr = build_csr(
        &PrivateKey::generate_p256().unwrap(),
        "web1.svc.example.com",
        &["web-1.example.com".into(), "ag-web1.id.example.com".into()],
    )
    .unwrap();
    s.call(
        Method::POST,
        "/api/v1/agents/ag-web1/csr",
        Some(&keys["ag-web1"]),
        Some(json!({"job_id": job, "csr_pem": csr})),
    )
    .await
    .ok(200);
    assert_eq!(s.get(&format!("/api/v1/certificates/{c1}")).await.ok(200)["status"], "Active");
    assert_eq!(s.get(&format!("/api/v1/certificates/{c1}/versions")).await.ok(200)["total"], 1);

    // a 4th agent joins with its heartbeat and has its child when the heartbeat is answered
    let k4 = register(&s, "ag-web4").await;
    heartbeat(&s, "ag-web4", &k4, "web-4.example.com", "10.1.0.4").await;
    let t = s.get("/api/v1/certificates/mc-fleet").await.ok(200);
    assert!(
        children(&t).contains(&(
            "ag-web4".into(),
            "web4.svc.example.com".into(),
            "RenewalInProgress".into()
        )),
        "{t}"
    );
    let c4 = child_id(&t, "ag-web4");
    assert_eq!(
        s.get(&format!("/api/v1/jobs?certificate_id={c4}&status=AwaitingCSR")).await.ok(200)["total"],
        1
    );

    // web2's address leaves the network: it leaves the group and its child is archived (still listed)
    let c2 = child_id(&t, "ag-web2");
    heartbeat(&s, "ag-web2", &keys["ag-web2"], "web-2.example.com", "192.168.7.2").await;
    let left = s.get("/api/v1/audit?action=agent_left_group&resource_id=ag-web2").await.ok(200);
    assert_eq!(left["data"][0]["details"]["group_id"], "grp-web");
    let t = s.get("/api/v1/certificates/mc-fleet").await.ok(200);
    assert!(
        children(&t).contains(&(
            "ag-web2".into(),
            "web2.svc.example.com".into(),
            "Archived".into()
        )),
        "{t}"
    );
    assert_eq!(
        s.get(&format!("/api/v1/jobs?certificate_id={c2}&status=Cancelled")).await.ok(200)["total"],
        1,
        "its open issuance was cancelled"
    );
    assert_eq!(
        s.get("/api/v1/certificates?parent_id=mc-fleet").await.ok(200)["total"],
        3,
        "live children"
    );
    assert_eq!(
        s.get("/api/v1/certificates?parent_id=mc-fleet&include_archived=true").await.ok(200)["total"],
        4
    );
    let archived =
        s.get(&format!("/api/v1/audit?action=certificate_archived&resource_id={c2}")).await.ok(200);
    assert!(
        archived["data"][0]["details"]["reason"].as_str().unwrap().contains("left group grp-web"),
        "{archived}"
    );
    // ... and back: the same child, un-archived, with a fresh issuance
    heartbeat(&s, "ag-web2", &keys["ag-web2"], "web-2.example.com", "10.1.0.2").await;
    let t = s.get("/api/v1/certificates/mc-fleet").await.ok(200);
    assert_eq!(child_id(&t, "ag-web2"), c2);
    assert_eq!(t["children"].as_array().unwrap().len(), 4);
    assert_eq!(
        s.get(&format!("/api/v1/certificates/{c2}")).await.ok(200)["status"],
        "RenewalInProgress"
    );
    assert_eq!(
        s.get(&format!("/api/v1/jobs?certificate_id={c2}&status=AwaitingCSR")).await.ok(200)["total"],
        1
    );
    assert_eq!(
        s.get(&format!("/api/v1/audit?action=certificate_unarchived&resource_id={c2}"))
            .await
            .ok(200)["total"],
        1
    );

    // a renewal check changes nothing that is already right
    let before = s.get("/api/v1/audit").await.ok(200)["total"].clone();
    s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_eq!(s.get("/api/v1/audit").await.ok(200)["total"], before);

    // archiving the template archives every child
    s.delete("/api/v1/certificates/mc-fleet").await.ok(204);
    let t = s.get("/api/v1/certificates/mc-fleet").await.ok(200);
    assert!(children(&t).iter().all(|(_, _, st)| st == "Archived"), "{t}");
    assert_eq!(s.get("/api/v1/jobs?status=AwaitingCSR").await.ok(200)["total"], 0);
    assert!(s.get("/api/v1/audit/verify").await.ok(200)["valid"].as_bool().unwrap());
}

async fn fleet_policies_and_changes(s: Server) {
    let mut keys = std::collections::HashMap::new();
    for (id, host, ip) in [
        ("ag-web1", "web-1.example.com", "10.1.0.1"),
        ("ag-web2", "web-2.example.com", "10.1.0.2"),
        ("ag-db", "db.example.com", "10.2.0.1"),
    ] {
        let key = register(&s, id).await;
        heartbeat(&s, id, &key, host, ip).await;
        keys.insert(id, key);
    }
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-web", "name": "web", "criteria": {"cidr": ["10.1.0.0/16"]}}),
    )
    .await
    .ok(201);
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-db", "name": "db", "criteria": {"cidr": ["10.2.0.0/16"]}}),
    )
    .await
    .ok(201);
    s.post("/api/v1/owners", json!({"id": "o-ann", "name": "Ann"})).await.ok(201);
    // web hosts serve names under example.com only (enforce, scoped to the group)
    s.post("/api/v1/policies", json!({"id": "pol-web-domains", "name": "web serves example.com", "type": "AllowedDomains",
        "config": {"domains": ["*.example.com"]}, "mode": "enforce", "scope": {"agent_group_ids": ["grp-web"]}})).await.ok(201);

    // a template whose children the rule rejects: none is created, the reasons are on the template
    let t = s
        .post("/api/v1/certificates", template_body("mc-corp", "{agent_name}.corp.internal"))
        .await
        .ok(201);
    assert_eq!(t["children"], json!([]));
    let rejected =
        s.get("/api/v1/audit?action=fleet_child_rejected&resource_id=mc-corp").await.ok(200);
    assert_eq!(rejected["total"], 2, "{rejected}");
    assert!(
        rejected["data"][0]["details"]["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("web serves example.com:"),
        "{rejected}"
    );
    // the checker tries again but does not repeat the same reasons
    s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_eq!(
        s.get("/api/v1/audit?action=fleet_child_rejected&resource_id=mc-corp").await.ok(200)["total"],
        2
    );
    // the same certificate on an agent outside the group is allowed
    s.post("/api/v1/targets", json!({"id": "t-db", "name": "db", "type": "file", "agent_id": "ag-db", "config": {"cert_path": "/srv/db.pem"}})).await.ok(201);
    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-db", "common_name": "web1.corp.internal", "target_ids": ["t-db"]}),
    )
    .await
    .ok(201);
    // moving the template to the db group: the db agent's child is allowed there
    let t =
        s.put("/api/v1/certificates/mc-corp", json!({"agent_group_id": "grp-db"})).await.ok(200);
    assert_eq!(
        children(&t),
        [("ag-db".into(), "db.corp.internal".into(), "RenewalInProgress".into())]
    );

    // a template that passes, then changes: children follow (names, target); group change re-materialises
    let t = s
        .post("/api/v1/certificates", template_body("mc-web", "{agent_name}.svc.example.com"))
        .await
        .ok(201);
    assert_eq!(t["children"].as_array().unwrap().len(), 2);
    let c1 = child_id(&t, "ag-web1");
    let target_id = s.get(&format!("/api/v1/certificates/{c1}")).await.ok(200)["target_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let job = s.get(&format!("/api/v1/jobs?certificate_id={c1}")).await.ok(200)["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csr = build_csr(
        &PrivateKey::generate_p256().unwrap(),
        "web1.svc.example.com",
        &["web-1.example.com".into(), "ag-web1.id.example.com".into()],
    )
    .unwrap();
    s.call(
        Method::POST,
        "/api/v1/agents/ag-web1/csr",
        Some(&keys["ag-web1"]),
        Some(json!({"job_id": job, "csr_pem": csr})),
    )
    .await
    .ok(200);
    let patch = json!({"common_name": "{agent_name}.www.example.com", "target_template": {"type": "file", "config": {"fullchain_path": "/srv/new/{agent_name}.pem"}}});
    let t = s.put("/api/v1/certificates/mc-web", patch).await.ok(200);
    let mut got = children(&t);
    got.sort();
    assert_eq!(
        got[0],
        ("ag-web1".into(), "web1.www.example.com".into(), "RenewalInProgress".into()),
        "new names mean a new issuance"
    );
    assert_eq!(child_id(&t, "ag-web1"), c1, "the same child");
    let target = s.get(&format!("/api/v1/targets/{target_id}")).await.ok(200);
    assert_eq!(target["config"], json!({"fullchain_path": "/srv/new/web1.pem"}));
    assert_eq!(
        s.get(&format!("/api/v1/jobs?certificate_id={c1}&type=Renewal")).await.ok(200)["total"],
        1
    );
    // changing only what children inherit updates them without issuing again
    let jobs_before =
        s.get(&format!("/api/v1/jobs?certificate_id={c1}")).await.ok(200)["total"].clone();
    s.put("/api/v1/certificates/mc-web", json!({"tags": {"service": "www"}})).await.ok(200);
    assert_eq!(
        s.get(&format!("/api/v1/certificates/{c1}")).await.ok(200)["tags"],
        json!({"service": "www"})
    );
    assert_eq!(
        s.get(&format!("/api/v1/jobs?certificate_id={c1}")).await.ok(200)["total"],
        jobs_before
    );
    // a rule that the existing children no longer meet: violations, the children stay
    s.post("/api/v1/policies", json!({"id": "pol-strict", "name": "strict", "type": "AllowedDomains",
        "config": {"domains": ["*.nowhere.example"]}, "mode": "enforce", "scope": {"agent_group_ids": ["grp-web"]}})).await.ok(201);
    s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_ne!(s.get(&format!("/api/v1/certificates/{c1}")).await.ok(200)["status"], "Archived");
    let v = s.get("/api/v1/policies/pol-strict/violations?open=true").await.ok(200);
    assert_eq!(v["total"], 2, "one per web child: {v}");
    s.delete("/api/v1/policies/pol-strict").await.ok(204);
    // a plain certificate cannot be given a group; a template cannot be evaluated as one
    s.put("/api/v1/certificates/mc-db", json!({"agent_group_id": "grp-web"}))
        .await
        .err(422, "validation_failed");
    s.post("/api/v1/policies/evaluate", json!({"certificate_id": "mc-web"}))
        .await
        .err(422, "validation_failed");
    // the group changes to the db network: web children archived, the db agent gets one
    let t = s.put("/api/v1/certificates/mc-web", json!({"agent_group_id": "grp-db"})).await.ok(200);
    let mut got = children(&t);
    got.sort();
    assert_eq!(
        got.iter().map(|(a, _, st)| (a.as_str(), st.as_str())).collect::<Vec<_>>(),
        [("ag-db", "RenewalInProgress"), ("ag-web1", "Archived"), ("ag-web2", "Archived")]
    );
    assert!(s.get("/api/v1/audit/verify").await.ok(200)["valid"].as_bool().unwrap());
}

async fn violations_follow_membership_and_checker(s: Server) {
    let key = register(&s, "ag-a").await;
    heartbeat(&s, "ag-a", &key, "a.example.com", "10.9.0.5").await;
    s.post("/api/v1/targets", json!({"id": "t-a", "name": "a", "type": "file", "agent_id": "ag-a", "config": {"cert_path": "/srv/a.pem"}})).await.ok(201);
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-dmz", "name": "dmz", "criteria": {"cidr": ["172.16.0.0/12"]}}),
    )
    .await
    .ok(201);
    s.post("/api/v1/policies", json!({"id": "pol-dmz", "name": "DMZ serves public names", "type": "AllowedDomains",
        "config": {"domains": ["*.public.example.com"]}, "mode": "enforce", "scope": {"agent_group_ids": ["grp-dmz"]}})).await.ok(201);
    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-a", "common_name": "internal.corp.example", "target_ids": ["t-a"]}),
    )
    .await
    .ok(201);
    assert_eq!(open(&s, "pol-dmz/violations").await["total"], 0);

    // the agent moves into the DMZ: the rule now applies to the certificate whose key is there
    heartbeat(&s, "ag-a", &key, "a.example.com", "172.16.4.5").await;
    let v = open(&s, "pol-dmz/violations?open=true").await;
    assert_eq!(
        (v["total"].clone(), v["data"][0]["certificate_id"].clone()),
        (json!(1), json!("mc-a")),
        "{v}"
    );
    // another heartbeat in the DMZ (no membership change) and a checker run: still one
    heartbeat(&s, "ag-a", &key, "a.example.com", "172.16.4.5").await;
    s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_eq!(open(&s, "pol-dmz/violations").await["total"], 1);
    // and out again: resolved, kept
    heartbeat(&s, "ag-a", &key, "a.example.com", "10.9.0.5").await;
    assert_eq!(open(&s, "pol-dmz/violations?open=true").await["total"], 0);
    let all = open(&s, "pol-dmz/violations").await;
    assert!(all["data"][0]["resolved_at"].is_string(), "{all}");
    // the same from the certificate's side
    let mine = s.get("/api/v1/certificates/mc-a/violations").await.ok(200);
    assert_eq!(
        (mine["total"].clone(), mine["data"][0]["policy_id"].clone()),
        (json!(1), json!("pol-dmz")),
        "{mine}"
    );
    assert_eq!(s.get("/api/v1/certificates/mc-a/violations?open=true").await.ok(200)["total"], 0);
    s.get("/api/v1/certificates/mc-nope/violations").await.err(404, "not_found");
    s.get("/api/v1/certificates/mc-a/violations?open=maybe").await.err(400, "bad_request");

    // a rule created after the certificates is applied when it is created (mc-a), a new
    // certificate when it is created (mc-b); the checker finds nothing more, and never doubles
    s.post("/api/v1/policies", json!({"id": "pol-owner", "name": "Owned", "type": "RequiredMetadata", "config": {"require_owner": true}, "mode": "warn"})).await.ok(201);
    assert_eq!(open(&s, "pol-owner/violations?open=true").await["total"], 1, "mc-a at once");
    s.post("/api/v1/certificates", json!({"id": "mc-b", "common_name": "b.example.com"}))
        .await
        .ok(201);
    assert_eq!(open(&s, "pol-owner/violations?open=true").await["total"], 2, "and mc-b");
    let r = s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_eq!((r.violations.checked, r.violations.opened, r.violations.resolved), (2, 0, 0));
    let r = s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_eq!((r.violations.opened, r.violations.resolved), (0, 0), "never duplicated");
    assert_eq!(open(&s, "pol-owner/violations").await["total"], 2);
    // fixed behind the service's back (a direct store write): the checker resolves it
    s.post("/api/v1/owners", json!({"id": "o-ann", "name": "Ann"})).await.ok(201);
    let mut a = s.svc.store_for_tests().get_certificate(&"mc-a".into()).await.unwrap();
    a.owner_id = Some("o-ann".into());
    s.svc
        .store_for_tests()
        .update_certificate(
            &a,
            &certctl::service::Actor::system().audit("certificate_updated", "certificate", "mc-a"),
        )
        .await
        .unwrap();
    // archived: its open violation no longer stands
    s.delete("/api/v1/certificates/mc-b").await.ok(204);
    let r = s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_eq!((r.violations.checked, r.violations.opened, r.violations.resolved), (1, 0, 2));
    assert_eq!(open(&s, "pol-owner/violations?open=true").await["total"], 0);
    // a disabled rule's violations are resolved by the checker too
    heartbeat(&s, "ag-a", &key, "a.example.com", "172.16.4.5").await;
    assert_eq!(open(&s, "pol-dmz/violations?open=true").await["total"], 1);
    s.put("/api/v1/policies/pol-dmz", json!({"enabled": false})).await.ok(200);
    s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_eq!(open(&s, "pol-dmz/violations?open=true").await["total"], 0);
    assert_eq!(open(&s, "pol-dmz/violations").await["total"], 2);
}
