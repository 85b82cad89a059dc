//! The OpenAPI document covers every route the router serves, and every schema it references
//! exists.

use axum::http::Method;
use certctl_server::api::ENDPOINTS;
use serde_json::Value;

use crate::support::Server;

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_route_is_documented_and_served() {
    let (dir, store) = certctl::testing::sqlite().await;
    let s = Server::new(store, dir, String::new()).await;
    let doc = s.call(Method::GET, "/api/v1/openapi.json", None, None).await.ok(200);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ops = 0;
    for e in ENDPOINTS {
        let path = format!("/api/v1{}", e.path);
        let op = &doc["paths"][&path][e.method];
        assert!(op.is_object(), "{} {path} is missing from the document", e.method);
        assert!(op["responses"][e.status.to_string()].is_object(), "{} {path}", e.method);
        if e.body.is_some() {
            assert!(
                op["requestBody"]["content"]["application/json"]["schema"].is_object(),
                "{} {path}",
                e.method
            );
        }
        // the router really serves it: unauthenticated, the answer is 401, never 404/405
        let method: Method = e.method.to_uppercase().parse().unwrap();
        let concrete = path.replace("{id}", "x");
        s.call(method, &concrete, None, None).await.err(401, "unauthenticated");
        ops += 1;
    }
    let documented: usize =
        doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        ops + 2,
        "the document has exactly the table's routes plus /health and /ready"
    );
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(doc["components"]["schemas"][name].is_object(), "{r} does not resolve");
    }
    let cert = &doc["components"]["schemas"]["Certificate"]["properties"];
    for f in ["id", "common_name", "sans", "status", "expires_at", "tags", "target_ids"] {
        assert!(cert[f].is_object(), "Certificate.{f}");
    }
}

/// The dashboard's TypeScript types are generated from `web/openapi.json`; this keeps that copy
/// equal to the document the code builds. Regenerate with `CERTCTL_UPDATE_OPENAPI=1 cargo test
/// -p certctl-server --test it openapi`, then `npm run gen:types` in `web/` (vitest checks that
/// step).
#[test]
fn dashboard_copy_of_the_document_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/openapi.json");
    let fresh = format!(
        "{}\n",
        serde_json::to_string_pretty(&certctl_server::api::openapi::document()).unwrap()
    );
    if std::env::var_os("CERTCTL_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "web/openapi.json is stale: run CERTCTL_UPDATE_OPENAPI=1 cargo test -p certctl-server --test it openapi, then npm run gen:types in web/"
    );
}
