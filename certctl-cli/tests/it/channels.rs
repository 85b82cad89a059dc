//! `certctl channels` (alias `notification-channels`) against a real server and a real webhook
//! receiver on loopback; `notifications requeue` and `--status dead`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{Server, json};

#[test]
fn channels_crud_test_and_requeue() {
    let s = Server::start();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let hook = s.block_on(async move {
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move || {
                let h = h.clone();
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    });
    let config = format!(r#"{{"url":"{hook}","secret":"cli-webhook-secret-0123"}}"#);
    let c = s.json(&[
        "channels",
        "create",
        "--id",
        "nc-ops",
        "--name",
        "ops",
        "--type",
        "webhook",
        "--config",
        &config,
        "--event",
        "renewal_failed",
        "--event",
        "agent_offline",
        "--min-severity",
        "warning",
    ]);
    assert_eq!(c, json(&s.block_on(s.client.get_channel("nc-ops")).unwrap()));
    assert_eq!(
        (c["config"]["secret_set"].clone(), c["events"].clone(), c["min_severity"].clone()),
        (true.into(), serde_json::json!(["renewal_failed", "agent_offline"]), "warning".into())
    );
    assert!(!c.to_string().contains("cli-webhook-secret-0123"));
    assert_eq!(s.json(&["notification-channels", "list"]).as_array().unwrap().len(), 1);
    let table = s.table(&["channels", "list"]);
    assert!(
        table.contains("nc-ops")
            && table.contains("renewal_failed,agent_offline")
            && table.contains("warning"),
        "{table}"
    );
    assert_eq!(s.json(&["channels", "update", "nc-ops", "--name", "ops team"])["name"], "ops team");
    assert_eq!(
        s.json(&["channels", "get", "nc-ops"])["config"]["secret_set"],
        true,
        "the secret survives an update without it"
    );

    // test: delivered (exit 0), or not (exit 1 with the reason)
    assert_eq!(s.json(&["channels", "test", "nc-ops"])["ok"], true);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    s.json(&[
        "channels",
        "create",
        "--id",
        "nc-dead",
        "--name",
        "dead",
        "--type",
        "webhook",
        "--config",
        r#"{"url":"http://127.0.0.1:9/","secret":"cli-webhook-secret-0123"}"#,
    ]);
    let (code, _, err) = s.run(&["channels", "test", "nc-dead"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nc-dead") && err.contains("connection"), "{err}");

    // bad input exits 5 naming the field; unknown ids exit 3
    let (code, _, err) =
        s.run(&["channels", "create", "--name", "x", "--type", "pager", "--config", "{}"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("type"), "{err}");
    assert_eq!(s.run(&["channels", "get", "nc-nope"]).0, 3);
    assert_eq!(s.run(&["notifications", "requeue", "n-nope"]).0, 3);
    assert_eq!(s.json(&["notifications", "list", "--status", "dead"]), serde_json::json!([]));

    assert_eq!(s.run(&["channels", "delete", "nc-dead"]).0, 0);
    assert_eq!(s.run(&["channels", "get", "nc-dead"]).0, 3);
}
