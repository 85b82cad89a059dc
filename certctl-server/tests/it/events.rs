//! `GET /api/v1/events` (audit events as Server-Sent Events: they arrive, filtered by role,
//! authentication required, resumable), `GET /whoami` and `POST /agent-groups/preview`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    events_stream => events_stream;
    whoami_and_preview => whoami_and_preview;
}

/// An open event stream: the response body, read frame by frame.
struct Stream {
    body: Body,
    seen: String,
}

impl Stream {
    async fn open(s: &Server, key: &str, last_event_id: Option<&str>) -> Stream {
        let mut req =
            Request::get("/api/v1/events").header(header::AUTHORIZATION, format!("Bearer {key}"));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let resp = s.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
        Stream { body: resp.into_body(), seen: String::new() }
    }

    /// Reads until `needle` has arrived (panics after 10 s).
    async fn until(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.seen.contains(needle) {
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .unwrap_or_else(|_| panic!("{needle:?} did not arrive; got:\n{}", self.seen));
            let frame = frame.expect("the stream ended").unwrap();
            if let Ok(data) = frame.into_data() {
                self.seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }
}

async fn events_stream(s: Server) {
    // authentication is required; agent keys may not read the audit trail
    s.call(Method::GET, "/api/v1/events", None, None).await.err(401, "unauthenticated");
    s.call(Method::GET, "/api/v1/events", Some("certctl_wrong"), None)
        .await
        .err(401, "unauthenticated");
    let agent = s.post("/api/v1/agents", json!({"name": "web-1"})).await.ok(201);
    s.call(Method::GET, "/api/v1/events", Some(agent["api_key"].as_str().unwrap()), None)
        .await
        .err(403, "forbidden");

    let mut admin = Stream::open(&s, &s.admin, None).await;
    let mut viewer = Stream::open(&s, &s.viewer, None).await;
    let cert =
        s.post("/api/v1/certificates", json!({"common_name": "sse.example.com"})).await.ok(201);
    let id = cert["id"].as_str().unwrap();
    let key = s.post("/api/v1/api-keys", json!({"name": "later", "role": "viewer"})).await.ok(201);
    let marker =
        s.post("/api/v1/teams", json!({"id": "team-after", "name": "After"})).await.ok(201);
    assert_eq!(marker["id"], "team-after");

    // both see the certificate, as an `audit` event with the seq as id and the event as data
    for st in [&mut admin, &mut viewer] {
        st.until("\"resource_id\":\"team-after\"").await;
        assert!(st.seen.contains("event: audit"), "{}", st.seen);
        let line = st.seen.lines().find(|l| l.starts_with("data:") && l.contains(id)).unwrap();
        let ev: serde_json::Value =
            serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
        assert_eq!(ev["action"], "certificate_created");
        assert_eq!(ev["resource_type"], "certificate");
        assert!(st.seen.contains(&format!("id: {}", ev["seq"])), "{}", st.seen);
    }
    // API-key events only reach admins (viewers cannot list keys either)
    let key_id = key["id"].as_str().unwrap();
    assert!(admin.seen.contains(key_id), "{}", admin.seen);
    assert!(!viewer.seen.contains(key_id), "a viewer saw an api_key event:\n{}", viewer.seen);
    assert!(!viewer.seen.contains(&key["key"].as_str().unwrap()[8..]), "never a secret");

    // a client resuming with Last-Event-ID gets what it missed first
    let mut resumed = Stream::open(&s, &s.viewer, Some("0")).await;
    resumed.until(id).await;
    resumed.until("team-after").await;

    // events written outside a request (the scheduler's loops) arrive too: the store wakes the
    // feed after each audited commit
    let sys = certctl::service::Actor::system();
    s.svc
        .store_for_tests()
        .append_audit(&sys.audit("tick_probe", "team", "team-probe"))
        .await
        .unwrap();
    viewer.until("team-probe").await;

    // and so do those the heartbeat writer commits (facts changed, group joined)
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-sse", "name": "sse", "criteria": {"os": ["linux"]}}),
    )
    .await
    .ok(201);
    let meta = json!({"hostname": "web-1.example.com", "os": "linux", "os_version": "12", "arch": "x86_64", "ip_addresses": ["10.1.2.3"], "agent_version": "0.1.0", "labels": {}});
    let agent_id = agent["id"].as_str().unwrap();
    s.call(
        Method::POST,
        &format!("/api/v1/agents/{agent_id}/heartbeat"),
        Some(agent["api_key"].as_str().unwrap()),
        Some(meta),
    )
    .await
    .ok(200);
    admin.until("agent_facts_changed").await;
    admin.until("agent_joined_group").await;
}

async fn whoami_and_preview(s: Server) {
    s.call(Method::GET, "/api/v1/whoami", None, None).await.err(401, "unauthenticated");
    let me = s.call(Method::GET, "/api/v1/whoami", Some(&s.viewer), None).await.ok(200);
    assert_eq!(
        me,
        json!({"name": "auditor", "role": "viewer", "actor_type": "User", "can_write": false, "can_admin": false})
    );
    let me = s.call(Method::GET, "/api/v1/whoami", Some(&s.operator), None).await.ok(200);
    assert_eq!((me["can_write"].as_bool(), me["can_admin"].as_bool()), (Some(true), Some(false)));

    for (id, os) in [("ag-lin1", "linux"), ("ag-lin2", "Linux"), ("ag-win1", "windows")] {
        let reg = s.post("/api/v1/agents", json!({"id": id, "name": id})).await.ok(201);
        let meta = json!({"hostname": format!("{id}.example.com"), "os": os, "os_version": "1", "arch": "x86_64", "ip_addresses": ["10.1.2.3"], "agent_version": "0.1.0", "labels": {}});
        s.call(
            Method::POST,
            &format!("/api/v1/agents/{id}/heartbeat"),
            Some(reg["api_key"].as_str().unwrap()),
            Some(meta),
        )
        .await
        .ok(200);
    }
    let groups_before = s.get("/api/v1/agent-groups").await.ok(200)["total"].clone();
    // viewers may preview; nothing is saved
    let p = s
        .call(
            Method::POST,
            "/api/v1/agent-groups/preview",
            Some(&s.viewer),
            Some(json!({"criteria": {"os": ["linux"]}})),
        )
        .await
        .ok(200);
    let ids: Vec<_> = p["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        (p["total"].as_i64(), ids),
        (Some(2), vec!["ag-lin1".to_owned(), "ag-lin2".to_owned()])
    );
    let p = s
        .post(
            "/api/v1/agent-groups/preview",
            json!({"criteria": {"os": ["linux"], "exclude": ["ag-lin2"]}}),
        )
        .await
        .ok(200);
    assert_eq!(p["total"], 1);
    assert_eq!(s.get("/api/v1/agent-groups").await.ok(200)["total"], groups_before);
    // bad criteria: 422 naming the field
    let msg = s
        .post("/api/v1/agent-groups/preview", json!({"criteria": {"cidr": ["10.0.0.0/8", "nope"]}}))
        .await
        .err(422, "validation_failed");
    assert!(msg.contains("criteria.cidr[1]"), "{msg}");
    s.post("/api/v1/agent-groups/preview", json!({"criteria": {"os": "linux"}}))
        .await
        .err(422, "validation_failed");
}
