//! The whole lifecycle through the API, with the test playing the agent: create → CSR from the
//! agent → issued (verified by openssl against the Local CA root) → deployment handed out and
//! reported → renewal started by the checker at the window → next version → failed deployment.
//! Plus the refusals, and a scan proving no private key reached the database.

use axum::http::Method;
use certctl::model::Timestamp;
use certctl::pki::{PrivateKey, build_csr};
use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    agent_keygen_flow => agent_keygen_flow;
}

fn openssl_verify(root: &str, chain: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), root).unwrap();
    std::fs::write(dir.path().join("chain.pem"), chain).unwrap();
    std::process::Command::new("openssl")
        .args(["verify", "-purpose", "sslserver", "-CAfile"])
        .arg(dir.path().join("root.pem"))
        .arg(dir.path().join("chain.pem"))
        .output()
        .expect("openssl")
}

async fn agent_keygen_flow(s: Server) {
    let reg = s.post("/api/v1/agents", json!({"id": "ag-web", "name": "web"})).await.ok(201);
    let key = reg["api_key"].as_str().unwrap().to_owned();
    let other = s.post("/api/v1/agents", json!({"id": "ag-other", "name": "other"})).await.ok(201)
        ["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    s.post("/api/v1/targets", json!({"id": "t-web", "name": "nginx", "type": "nginx", "agent_id": "ag-web",
        "config": {"cert_path": "/etc/nginx/tls/web.pem", "key_path": "/etc/nginx/tls/web.key", "reload_command": ["nginx", "-s", "reload"]}})).await.ok(201);
    let cert = s.post("/api/v1/certificates", json!({"id": "mc-web", "common_name": "web.example.com", "sans": ["www.example.com", "10.0.0.8"], "target_ids": ["t-web"]})).await.ok(201);
    assert_eq!(cert["status"], "RenewalInProgress");

    // the agent polls: one job awaiting its CSR, with the names to put in it
    let work = s.call(Method::GET, "/api/v1/agents/ag-web/work", Some(&key), None).await.ok(200);
    assert_eq!(work["data"].as_array().unwrap().len(), 1);
    let item = &work["data"][0];
    assert_eq!(
        (item["type"].as_str(), item["status"].as_str(), item["common_name"].as_str()),
        (Some("Issuance"), Some("AwaitingCSR"), Some("web.example.com"))
    );
    let job_id = item["id"].as_str().unwrap().to_owned();
    s.call(Method::GET, "/api/v1/agents/ag-web/work", Some(&other), None)
        .await
        .err(403, "forbidden");

    // refusals change nothing
    let pkey = PrivateKey::generate_p256().unwrap();
    let names = vec!["www.example.com".to_owned(), "10.0.0.8".to_owned()];
    let wrong = build_csr(&pkey, "web.example.com", &["www.example.com".to_owned()]).unwrap();
    let msg = s
        .call(
            Method::POST,
            "/api/v1/agents/ag-web/csr",
            Some(&key),
            Some(json!({"job_id": job_id, "csr_pem": wrong})),
        )
        .await
        .err(422, "validation_failed");
    assert!(msg.contains("10.0.0.8"), "{msg}");
    let good = build_csr(&pkey, "web.example.com", &names).unwrap();
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    let mid = lines.len() - 2;
    let flipped: String = lines[mid].chars().rev().collect();
    lines[mid] = flipped;
    let tampered = lines.join("\n");
    s.call(
        Method::POST,
        "/api/v1/agents/ag-web/csr",
        Some(&key),
        Some(json!({"job_id": job_id, "csr_pem": tampered})),
    )
    .await
    .err(422, "validation_failed");
    s.call(
        Method::POST,
        "/api/v1/agents/ag-other/csr",
        Some(&other),
        Some(json!({"job_id": job_id, "csr_pem": good})),
    )
    .await
    .err(403, "forbidden");
    s.call(
        Method::POST,
        "/api/v1/agents/ag-other/csr",
        Some(&key),
        Some(json!({"job_id": job_id, "csr_pem": good})),
    )
    .await
    .err(403, "forbidden");
    assert_eq!(s.get(&format!("/api/v1/jobs/{job_id}")).await.ok(200)["status"], "AwaitingCSR");
    assert_eq!(s.get("/api/v1/certificates/mc-web/versions").await.ok(200)["total"], 0);

    // the CSR is signed: Active, one version that openssl accepts against the published root
    let done = s
        .call(
            Method::POST,
            "/api/v1/agents/ag-web/csr",
            Some(&key),
            Some(json!({"job_id": job_id, "csr_pem": good})),
        )
        .await
        .ok(200);
    assert_eq!(done["status"], "Completed", "{done}");
    let cert = s.get("/api/v1/certificates/mc-web").await.ok(200);
    assert_eq!(cert["status"], "Active");
    let chain = s.get("/api/v1/certificates/mc-web/export").await.body.as_str().unwrap().to_owned();
    let root = s.get("/api/v1/issuers/iss-local/ca").await.body.as_str().unwrap().to_owned();
    let out = openssl_verify(&root, &chain);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let leaf = certctl::pki::parse_certificate(&chain).unwrap();
    assert_eq!(cert["expires_at"].as_str().unwrap(), leaf.not_after.to_rfc3339());
    let v = s.get("/api/v1/certificates/mc-web/versions").await.ok(200)["data"][0].clone();
    assert_eq!(
        (v["serial_number"].as_str(), v["fingerprint_sha256"].as_str()),
        (Some(leaf.serial_number.as_str()), Some(leaf.fingerprint_sha256.as_str()))
    );
    s.call(
        Method::POST,
        "/api/v1/agents/ag-web/csr",
        Some(&key),
        Some(json!({"job_id": job_id, "csr_pem": good})),
    )
    .await
    .err(409, "conflict");
    let issued = s.get("/api/v1/audit?action=certificate_issued&resource_id=mc-web").await.ok(200);
    assert_eq!(issued["data"][0]["details"]["serial_number"], leaf.serial_number.as_str());

    // the deployment is handed to the agent with the chain and the target config
    let work = s.call(Method::GET, "/api/v1/agents/ag-web/work", Some(&key), None).await.ok(200);
    let dep = work["data"][0].clone();
    assert_eq!(
        (dep["type"].as_str(), dep["status"].as_str()),
        (Some("Deployment"), Some("Running"))
    );
    assert_eq!(dep["pem_chain"].as_str(), Some(chain.as_str()));
    assert_eq!(
        (dep["target_type"].as_str(), dep["target_config"]["cert_path"].as_str()),
        (Some("nginx"), Some("/etc/nginx/tls/web.pem"))
    );
    let dep_id = dep["id"].as_str().unwrap().to_owned();
    s.call(
        Method::POST,
        &format!("/api/v1/agents/ag-web/jobs/{dep_id}/status"),
        Some(&key),
        Some(json!({"status": "Done"})),
    )
    .await
    .err(422, "validation_failed");
    let r = s
        .call(
            Method::POST,
            &format!("/api/v1/agents/ag-web/jobs/{dep_id}/status"),
            Some(&key),
            Some(json!({"status": "Completed", "message": "deployed and verified"})),
        )
        .await
        .ok(200);
    assert_eq!(r["status"], "Completed");
    assert!(s.get("/api/v1/certificates/mc-web").await.ok(200)["last_deployment_at"].is_string());
    s.call(
        Method::POST,
        &format!("/api/v1/agents/ag-web/jobs/{dep_id}/status"),
        Some(&key),
        Some(json!({"status": "Completed"})),
    )
    .await
    .err(409, "conflict");
    let binding =
        s.svc.store_for_tests().list_certificate_targets(&"mc-web".into()).await.unwrap().remove(0);
    assert_eq!(binding.deployment_status.as_deref(), Some("Deployed"));
    assert!(
        s.call(Method::GET, "/api/v1/agents/ag-web/work", Some(&key), None).await.ok(200)["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // the renewal checker starts the renewal when the window (30 days) is reached, not before
    let early = s.svc.check_renewals(Timestamp::now()).await.unwrap();
    assert_eq!(early.jobs_started, 0);
    let at = leaf.not_after.plus(time::Duration::days(-29));
    let r = s.svc.check_renewals(at).await.unwrap();
    assert_eq!((r.jobs_started, r.marked_expiring, r.alerts), (1, 1, 1), "{r:?}");
    assert_eq!(s.svc.check_renewals(at).await.unwrap().jobs_started, 0, "never two renewal jobs");
    let notes = s.get("/api/v1/notifications?certificate_id=mc-web").await.ok(200);
    assert_eq!(notes["total"], 1, "the 30-day threshold alert, once");
    let work = s.call(Method::GET, "/api/v1/agents/ag-web/work", Some(&key), None).await.ok(200);
    let renewal = work["data"][0].clone();
    assert_eq!(
        (renewal["type"].as_str(), renewal["status"].as_str()),
        (Some("Renewal"), Some("AwaitingCSR"))
    );
    let key2 = PrivateKey::generate_p256().unwrap();
    let csr2 = build_csr(&key2, "web.example.com", &names).unwrap();
    let done = s
        .call(
            Method::POST,
            "/api/v1/agents/ag-web/csr",
            Some(&key),
            Some(json!({"job_id": renewal["id"], "csr_pem": csr2})),
        )
        .await
        .ok(200);
    assert_eq!(done["status"], "Completed");
    assert_eq!(s.get("/api/v1/certificates/mc-web/versions").await.ok(200)["total"], 2);

    // a deployment the agent reports as failed fails at once and degrades the agent
    let dep2 =
        s.call(Method::GET, "/api/v1/agents/ag-web/work", Some(&key), None).await.ok(200)["data"]
            [0]
        .clone();
    let id2 = dep2["id"].as_str().unwrap();
    let r = s.call(Method::POST, &format!("/api/v1/agents/ag-web/jobs/{id2}/status"), Some(&key), Some(json!({"status": "Failed", "message": "validate: nginx -t exited 1: bad key; rolled back"}))).await.ok(200);
    assert_eq!(
        (r["status"].as_str(), r["last_error"].as_str()),
        (Some("Failed"), Some("validate: nginx -t exited 1: bad key; rolled back"))
    );
    assert_eq!(s.get("/api/v1/agents/ag-web").await.ok(200)["status"], "Degraded");
    let binding =
        s.svc.store_for_tests().list_certificate_targets(&"mc-web".into()).await.unwrap().remove(0);
    assert_eq!(binding.deployment_status.as_deref(), Some("Failed"));
    // an explicit deploy retries it; success brings the agent back Online
    let jobs = s.action("/api/v1/certificates/mc-web/deploy").await.ok(202);
    let id3 = jobs["data"][0]["id"].as_str().unwrap().to_owned();
    s.call(Method::GET, "/api/v1/agents/ag-web/work", Some(&key), None).await.ok(200);
    s.call(
        Method::POST,
        &format!("/api/v1/agents/ag-web/jobs/{id3}/status"),
        Some(&key),
        Some(json!({"status": "Completed"})),
    )
    .await
    .ok(200);
    assert_eq!(s.get("/api/v1/agents/ag-web").await.ok(200)["status"], "Online");

    // revocation marks the version and the certificate; archived certificates cannot renew
    let rv = s
        .post("/api/v1/certificates/mc-web/revoke", json!({"reason": "keyCompromise"}))
        .await
        .ok(200);
    assert_eq!(rv["status"], "Revoked");
    assert_eq!(
        s.get("/api/v1/certificates/mc-web/versions").await.ok(200)["data"][0]["revocation_reason"],
        "keyCompromise"
    );
    s.delete("/api/v1/certificates/mc-web").await.ok(204);
    s.action("/api/v1/certificates/mc-web/renew").await.err(409, "conflict");

    // the control plane never stored a private key
    assert_no_private_key(&s).await;
    assert!(s.get("/api/v1/audit/verify").await.ok(200)["valid"].as_bool().unwrap());
}

/// Scans every table (SQLite: the database and WAL files byte for byte; PostgreSQL: every row
/// as text) for PEM private key material.
pub async fn assert_no_private_key(s: &Server) {
    if let Some(path) = s.url.strip_prefix("sqlite://") {
        for file in [path.to_owned(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                assert!(
                    !bytes.windows(11).any(|w| w == b"PRIVATE KEY"),
                    "{file} holds a private key"
                );
            }
        }
    } else {
        let pool = sqlx::PgPool::connect(&s.url).await.unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(tables.len() > 10);
        for t in tables {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM {t} x WHERE x::text LIKE '%PRIVATE KEY%'"
            ))
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(n, 0, "table {t} holds a private key");
        }
    }
}
