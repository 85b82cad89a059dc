//! Heartbeats are coalesced into batched writes; every request still gets its own stored agent
//! back; only the agent's own key may heartbeat, and a retired agent's key no longer works.

use axum::http::Method;
use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    concurrent_heartbeats => concurrent_heartbeats;
}

async fn concurrent_heartbeats(s: Server) {
    let mut keys = Vec::new();
    for i in 0..30 {
        let reg = s
            .post("/api/v1/agents", json!({"id": format!("ag-h{i}"), "name": format!("h{i}")}))
            .await
            .ok(201);
        keys.push(reg["api_key"].as_str().unwrap().to_owned());
    }
    let s = std::sync::Arc::new(s);
    let mut tasks = Vec::new();
    for round in 0..10 {
        for (i, key) in keys.iter().enumerate() {
            let (s, key) = (s.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                let body = json!({"hostname": format!("h{i}-r{round}"), "os": "linux", "arch": "x86_64", "ip_addresses": [format!("10.7.{i}.{round}")]});
                s.call(Method::POST, &format!("/api/v1/agents/ag-h{i}/heartbeat"), Some(&key), Some(body)).await
            }));
        }
    }
    for t in tasks {
        let r = t.await.unwrap().ok(200);
        assert_eq!(r["status"], "Online");
        assert!(r["hostname"].as_str().unwrap().starts_with('h'));
    }
    for i in 0..30 {
        let a = s.get(&format!("/api/v1/agents/ag-h{i}")).await.ok(200);
        assert!(a["hostname"].as_str().unwrap().starts_with(&format!("h{i}-r")), "{a}");
        assert_eq!(a["ip_addresses"].as_array().unwrap().len(), 1);
    }
    // only the agent's own key heartbeats: not an admin, not another agent
    let admin = s.admin.clone();
    s.call(
        Method::POST,
        "/api/v1/agents/ag-h0/heartbeat",
        Some(&admin),
        Some(json!({"hostname": "x"})),
    )
    .await
    .err(403, "forbidden");
    s.call(
        Method::POST,
        "/api/v1/agents/ag-nope/heartbeat",
        Some(&admin),
        Some(json!({"hostname": "x"})),
    )
    .await
    .err(403, "forbidden");
    // a retired agent's key no longer works
    let key0 = s.get("/api/v1/agents/ag-h0").await.ok(200);
    assert!(key0["hostname"].as_str().unwrap().starts_with("h0-r"));
    s.action("/api/v1/agents/ag-h0/retire").await.ok(200);
    assert_eq!(s.get("/api/v1/agents/ag-h0").await.ok(200)["status"], "Retired");
    s.call(
        Method::POST,
        "/api/v1/agents/ag-h0/heartbeat",
        Some(&keys[0]),
        Some(json!({"hostname": "x"})),
    )
    .await
    .err(401, "unauthenticated");
}
