//! Dynamic agent groups evaluated live: heartbeats with different metadata put agents in the
//! right groups; an agent whose address leaves a network leaves the group at its next heartbeat.

use axum::http::Method;
use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    live_membership => live_membership;
}

async fn live_membership(s: Server) {
    let mut keys = std::collections::HashMap::new();
    for (id, host, os, arch, ips, version) in [
        ("ag-web1", "web-1.prod.example.com", "linux", "x86_64", vec!["10.1.0.5"], "1.3.0"),
        (
            "ag-web2",
            "web-2.prod.example.com",
            "Linux",
            "aarch64",
            vec!["192.168.1.2", "10.1.9.9"],
            "1.2.0",
        ),
        (
            "ag-db1",
            "db-1.prod.example.com",
            "linux",
            "x86_64",
            vec!["10.2.0.5", "fd00:1::5"],
            "1.1.0",
        ),
        ("ag-mac", "build-mac", "darwin", "aarch64", vec!["10.1.0.77"], "1.3.0"),
    ] {
        let key = s.post("/api/v1/agents", json!({"id": id, "name": id})).await.ok(201)["api_key"]
            .as_str()
            .unwrap()
            .to_owned();
        let meta = json!({"hostname": host, "os": os, "arch": arch, "ip_addresses": ips, "agent_version": version, "labels": {"env": "prod"}});
        s.call(Method::POST, &format!("/api/v1/agents/{id}/heartbeat"), Some(&key), Some(meta))
            .await
            .ok(200);
        keys.insert(id, key);
    }
    s.post("/api/v1/agent-groups", json!({"id": "grp-linux-web", "name": "linux web", "criteria": {"os": ["LINUX"], "hostname": ["web-*"], "cidr": ["10.1.0.0/16"]}})).await.ok(201);
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-v6", "name": "v6 net", "criteria": {"cidr": ["fd00:1::/64"]}}),
    )
    .await
    .ok(201);
    s.post("/api/v1/agent-groups", json!({"id": "grp-new", "name": "new agents", "criteria": {"agent_version": ">=1.2", "reported_labels": {"env": "prod"}, "exclude": ["ag-mac"]}})).await.ok(201);
    s.post("/api/v1/agent-groups", json!({"id": "grp-empty", "name": "nothing", "criteria": {}}))
        .await
        .ok(201);
    let members = |body: serde_json::Value| {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        members(s.get("/api/v1/agent-groups/grp-linux-web/members").await.ok(200)),
        ["ag-web1", "ag-web2"]
    );
    assert_eq!(members(s.get("/api/v1/agent-groups/grp-v6/members").await.ok(200)), ["ag-db1"]);
    assert_eq!(
        members(s.get("/api/v1/agent-groups/grp-new/members").await.ok(200)),
        ["ag-web1", "ag-web2"]
    );
    assert_eq!(
        members(s.get("/api/v1/agent-groups/grp-empty/members").await.ok(200)),
        Vec::<String>::new()
    );
    assert_eq!(
        members(s.get("/api/v1/agents?group_id=grp-linux-web&arch=aarch64").await.ok(200)),
        ["ag-web2"]
    );
    s.get("/api/v1/agent-groups/grp-none/members").await.err(404, "not_found");
    let web2 = s.get("/api/v1/agents/ag-web2").await.ok(200);
    assert_eq!(web2["groups"], json!(["grp-linux-web", "grp-new"]));
    assert_eq!(web2["hostname"], "web-2.prod.example.com", "agent fields stay flat beside groups");

    // web-2 moves out of 10.1.0.0/16: it leaves the group with its next heartbeat
    let meta = json!({"hostname": "web-2.prod.example.com", "os": "linux", "arch": "aarch64", "ip_addresses": ["192.168.1.2"], "agent_version": "1.2.0", "labels": {"env": "prod"}});
    s.call(Method::POST, "/api/v1/agents/ag-web2/heartbeat", Some(&keys["ag-web2"]), Some(meta))
        .await
        .ok(200);
    assert_eq!(
        members(s.get("/api/v1/agent-groups/grp-linux-web/members").await.ok(200)),
        ["ag-web1"]
    );
    assert_eq!(s.get("/api/v1/agents/ag-web2").await.ok(200)["groups"], json!(["grp-new"]));
    // membership changes are audit events of the agent
    let joined = s.get("/api/v1/audit?action=agent_joined_group&resource_id=ag-web2").await.ok(200);
    let mut groups: Vec<String> = joined["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["group_id"].as_str().unwrap().to_owned())
        .collect();
    groups.sort();
    assert_eq!(groups, ["grp-linux-web", "grp-new"]);
    let left = s.get("/api/v1/audit?action=agent_left_group&resource_id=ag-web2").await.ok(200);
    assert_eq!(
        (left["total"].clone(), left["data"][0]["details"]["group_id"].clone()),
        (json!(1), json!("grp-linux-web"))
    );
    // a heartbeat that changes nothing writes no event
    let meta = json!({"hostname": "web-2.prod.example.com", "os": "linux", "arch": "aarch64", "ip_addresses": ["192.168.1.2"], "agent_version": "1.2.0", "labels": {"env": "prod"}});
    s.call(Method::POST, "/api/v1/agents/ag-web2/heartbeat", Some(&keys["ag-web2"]), Some(meta))
        .await
        .ok(200);
    assert_eq!(
        s.get("/api/v1/audit?resource_id=ag-web2&action=agent_left_group").await.ok(200)["total"],
        1
    );
    // and a changed group changes membership at once
    s.put(
        "/api/v1/agent-groups/grp-linux-web",
        json!({"criteria": {"os": ["linux"], "cidr": ["10.0.0.0/8"]}}),
    )
    .await
    .ok(200);
    assert_eq!(
        members(s.get("/api/v1/agent-groups/grp-linux-web/members").await.ok(200)),
        ["ag-db1", "ag-web1"]
    );
    let joined_db =
        s.get("/api/v1/audit?action=agent_joined_group&resource_id=ag-db1").await.ok(200);
    assert!(
        joined_db["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["details"]["group_id"] == "grp-linux-web"),
        "a group change is recorded too"
    );
    // retiring an agent takes it out of its groups; deleting a group lets its members leave
    s.action("/api/v1/agents/ag-db1/retire").await.ok(200);
    let left = s.get("/api/v1/audit?action=agent_left_group&resource_id=ag-db1").await.ok(200);
    assert_eq!(left["total"], 2, "grp-linux-web and grp-v6: {left}");
    s.delete("/api/v1/agent-groups/grp-new").await.ok(204);
    let left = s.get("/api/v1/audit?action=agent_left_group&resource_id=ag-web1").await.ok(200);
    assert!(left["data"].as_array().unwrap().iter().any(|e| e["details"]["group_id"] == "grp-new"));
    assert!(s.get("/api/v1/audit/verify").await.ok(200)["valid"].as_bool().unwrap());
}
