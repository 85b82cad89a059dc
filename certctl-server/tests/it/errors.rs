//! The error envelope: malformed JSON 400, wrong shape 422, not JSON 415, too large 413,
//! unknown routes 404, wrong methods 405, bad query parameters 400 — never a 500, nothing written.

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    bad_requests => bad_requests;
    health_and_ready => health_and_ready;
}

async fn bad_requests(s: Server) {
    let req = |body: &'static str, ct: Option<&str>| {
        let mut r =
            Request::post("/api/v1/teams").header("authorization", format!("Bearer {}", s.admin));
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        r.body(Body::from(body)).unwrap()
    };
    let msg = s.send(req("{\"name\": ", Some("application/json"))).await.err(400, "bad_request");
    assert!(msg.contains("malformed JSON"), "{msg}");
    s.send(req("{\"name\": 5}", Some("application/json"))).await.err(422, "validation_failed");
    s.send(req("name=x", Some("application/x-www-form-urlencoded")))
        .await
        .err(415, "unsupported_media_type");
    s.send(req("{\"name\": \"x\"}", None)).await.err(415, "unsupported_media_type");
    let msg = s
        .post("/api/v1/teams", json!({"description": "no name"}))
        .await
        .err(422, "validation_failed");
    assert_eq!(msg, "name: is required");
    // unknown fields are ignored (forward compatibility)
    s.post("/api/v1/teams", json!({"id": "team-fwd", "name": "F", "future_field": {"x": 1}}))
        .await
        .ok(201);
    // body over the limit (1 MiB)
    let big = json!({"name": "x", "description": "a".repeat(1_100_000)});
    s.post("/api/v1/teams", big).await.err(413, "payload_too_large");
    // routes and methods
    s.get("/api/v1/nothing-here").await.err(404, "not_found");
    // (outside /api, unknown GET paths are the dashboard's browser routes: index.html)
    s.get("/api/nothing").await.err(404, "not_found");
    s.call(Method::PATCH, "/api/v1/teams", Some(&s.admin.clone()), None)
        .await
        .err(405, "method_not_allowed");
    // query parameters
    s.get("/api/v1/certificates?status=Shiny").await.err(400, "bad_request");
    s.get("/api/v1/certificates?page=x").await.err(400, "bad_request");
    s.get("/api/v1/certificates?expires_before=tomorrow").await.err(400, "bad_request");
    s.get("/api/v1/certificates?tag=novalue").await.err(400, "bad_request");
    let p = s.get("/api/v1/teams?per_page=100000&page=0").await.ok(200);
    assert_eq!((p["per_page"].as_u64(), p["page"].as_u64()), (Some(500), Some(1)));
    // bad ids
    let msg = s
        .post("/api/v1/teams", json!({"id": "Team_A", "name": "x"}))
        .await
        .err(422, "validation_failed");
    assert!(msg.starts_with("id: "), "{msg}");
    s.post("/api/v1/teams", json!({"id": "team-fwd", "name": "again"})).await.err(409, "conflict");
    // nothing was written by any failure above: one team, one creation event (plus bootstrap)
    assert_eq!(s.get("/api/v1/teams").await.ok(200)["total"], 1);
    assert_eq!(s.get("/api/v1/audit?action=team_created").await.ok(200)["total"], 1);
    // every response carries a request id
    let r = s.get("/api/v1/teams").await;
    assert_eq!(r.headers["x-request-id"].len(), 16);
}

async fn health_and_ready(s: Server) {
    s.call(Method::GET, "/health", None, None).await.ok(200);
    let r = s.call(Method::GET, "/ready", None, None).await.ok(200);
    assert_eq!(r["ready"], true);
    let summary = s.get("/api/v1/summary").await.ok(200);
    assert_eq!(summary["failed_jobs"], 0);
    assert!(summary["agents_by_status"].is_object());
}
