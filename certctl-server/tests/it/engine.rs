//! The job engine beyond the happy path: server keygen (sealed keys, audited export), transient
//! CA failures retried with backoff up to max_attempts, permanent ones failing at once, agents
//! that never answer, expiry statuses and alert deduplication across a restart.

use std::sync::Arc;

use async_trait::async_trait;
use certctl::issuer::{IssueRequest, IssuerConnector, RevokeRequest};
use certctl::model::*;
use certctl::service::{KeygenMode, ServiceConfig};
use certctl::store::Store;
use serde_json::json;

use crate::support::Server;

/// A CA stand-in that fails the first `transient_failures` requests as unreachable, or every
/// request as a refusal. It exists to drive the engine's retry rules; real CAs are exercised
/// through the Local CA here and pebble in the ACME tests.
#[derive(Debug)]
struct ScriptedCa {
    kind: &'static str,
    transient_failures: std::sync::atomic::AtomicUsize,
    refuse: bool,
    ca: Arc<certctl::issuer::LocalCa>,
}

#[async_trait]
impl IssuerConnector for ScriptedCa {
    fn issuer_type(&self) -> &'static str {
        self.kind
    }
    fn validate_config(&self, _: &serde_json::Value) -> certctl::Result<()> {
        Ok(())
    }
    async fn issue(&self, req: &IssueRequest<'_>) -> certctl::Result<String> {
        if self.refuse {
            return Err(certctl::Error::Connector {
                message: "rejectedIdentifier: the CA refuses this name".into(),
                transient: false,
            });
        }
        if self.transient_failures.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            self.transient_failures.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            return Err(certctl::Error::Connector {
                message: "CA unreachable: connection refused".into(),
                transient: true,
            });
        }
        let sign = certctl::issuer::SignRequest {
            common_name: req.common_name.into(),
            sans: req.sans.to_vec(),
            validity_days: Some(30),
            not_before: None,
        };
        Ok(self.ca.sign(req.csr_pem, &sign)?.pem_chain)
    }
    async fn revoke(&self, _: &RevokeRequest<'_>) -> certctl::Result<()> {
        Ok(())
    }
    fn ca_pem(&self, _: &serde_json::Value) -> Option<String> {
        None
    }
}

async fn server_keygen(store: Arc<dyn Store>, dir: tempfile::TempDir, url: String) -> Server {
    let ca = Arc::new(certctl::issuer::LocalCa::load_or_create(dir.path()).unwrap());
    let flaky =
        ScriptedCa { kind: "flaky", transient_failures: 2.into(), refuse: false, ca: ca.clone() };
    let refusing = ScriptedCa { kind: "refusing", transient_failures: 0.into(), refuse: true, ca };
    let config = ServiceConfig { keygen_mode: KeygenMode::Server, ..Default::default() };
    Server::with(store, dir, url, config, |s| {
        s.with_issuer(Arc::new(flaky)).with_issuer(Arc::new(refusing))
    })
    .await
}

crate::both_backends_with! {
    server_keygen_and_retries => server_keygen_and_retries, server_keygen;
    cancelled_renewal_status_follows_the_expiry => cancelled_renewal_status_follows_the_expiry, server_keygen;
}
crate::both_backends! {
    timeouts_statuses_and_alerts => timeouts_statuses_and_alerts;
}

async fn server_keygen_and_retries(s: Server) {
    // server keygen: the processor issues without an agent; the key is sealed, exportable once audited
    s.post("/api/v1/certificates", json!({"id": "mc-demo", "common_name": "demo.example.com"}))
        .await
        .ok(201);
    let job = s.action("/api/v1/certificates/mc-demo/renew").await.ok(202);
    assert_eq!(job["status"], "Pending");
    assert_eq!(s.svc.process_jobs(Timestamp::now()).await.unwrap(), 1);
    assert_eq!(
        s.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())).await.ok(200)["status"],
        "Completed"
    );
    assert_eq!(s.get("/api/v1/certificates/mc-demo").await.ok(200)["status"], "Active");
    crate::lifecycle::assert_no_private_key(&s).await;
    s.call(
        axum::http::Method::POST,
        "/api/v1/certificates/mc-demo/export-key",
        Some(&s.operator.clone()),
        None,
    )
    .await
    .err(403, "forbidden");
    let pem = s.action("/api/v1/certificates/mc-demo/export-key").await.ok(200);
    let key = certctl::pki::PrivateKey::from_pem(pem.as_str().unwrap()).unwrap();
    let v = s.svc.store_for_tests().list_versions(&"mc-demo".into()).await.unwrap().remove(0);
    assert_eq!(
        certctl::pki::parse_csr(v.csr_pem.as_deref().unwrap()).unwrap().public_key_der,
        key.public_key_der()
    );
    assert_eq!(s.get("/api/v1/audit?action=private_key_exported").await.ok(200)["total"], 1);

    // transient failures: back to Pending with exponential backoff, then success
    s.post("/api/v1/issuers", json!({"id": "iss-flaky", "name": "flaky", "type": "flaky"}))
        .await
        .ok(201);
    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-flaky", "common_name": "flaky.example.com", "issuer_id": "iss-flaky"}),
    )
    .await
    .ok(201);
    let id = s.action("/api/v1/certificates/mc-flaky/renew").await.ok(202)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t0 = Timestamp::now();
    s.svc.process_jobs(t0).await.unwrap();
    let j = s.get(&format!("/api/v1/jobs/{id}")).await.ok(200);
    assert_eq!(
        (j["status"].as_str(), j["attempts"].as_i64(), j["max_attempts"].as_i64()),
        (Some("Pending"), Some(1), Some(4))
    );
    assert!(j["last_error"].as_str().unwrap().contains("unreachable"));
    let next1 = Timestamp::parse(j["next_attempt_at"].as_str().unwrap()).unwrap();
    assert!(
        (next1.unix_millis() - t0.unix_millis() - 60_000).abs() < 5_000,
        "first retry after the policy's 60 s"
    );
    assert_eq!(s.svc.process_jobs(t0).await.unwrap(), 0, "not due yet");
    s.svc.process_jobs(next1).await.unwrap();
    let j = s.get(&format!("/api/v1/jobs/{id}")).await.ok(200);
    let next2 = Timestamp::parse(j["next_attempt_at"].as_str().unwrap()).unwrap();
    assert_eq!(j["attempts"], 2);
    assert!(
        next2.unix_millis() - next1.unix_millis() >= 115_000,
        "the second retry waits twice as long"
    );
    s.svc.process_jobs(next2).await.unwrap();
    let j = s.get(&format!("/api/v1/jobs/{id}")).await.ok(200);
    assert_eq!((j["status"].as_str(), j["attempts"].as_i64()), (Some("Completed"), Some(3)));

    // a refusal fails at once, with the CA's words, and marks the certificate Failed
    s.post(
        "/api/v1/issuers",
        json!({"id": "iss-refusing", "name": "refusing", "type": "refusing"}),
    )
    .await
    .ok(201);
    s.post("/api/v1/certificates", json!({"id": "mc-refused", "common_name": "refused.example.com", "issuer_id": "iss-refusing"})).await.ok(201);
    let id = s.action("/api/v1/certificates/mc-refused/renew").await.ok(202)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.svc.process_jobs(Timestamp::now()).await.unwrap();
    let j = s.get(&format!("/api/v1/jobs/{id}")).await.ok(200);
    assert_eq!((j["status"].as_str(), j["attempts"].as_i64()), (Some("Failed"), Some(1)));
    assert!(j["last_error"].as_str().unwrap().contains("rejectedIdentifier"));
    assert_eq!(s.get("/api/v1/certificates/mc-refused").await.ok(200)["status"], "Failed");
    assert_eq!(s.get("/api/v1/jobs?status=Failed").await.ok(200)["total"], 1);
    let failed = s.get("/api/v1/audit?action=job_failed").await.ok(200);
    assert!(failed["data"][0]["details"]["error"].as_str().unwrap().contains("rejectedIdentifier"));
    // explicit retry puts it back; illegal moves are 409
    assert_eq!(s.action(&format!("/api/v1/jobs/{id}/retry")).await.ok(200)["status"], "Pending");
    assert_eq!(s.action(&format!("/api/v1/jobs/{id}/cancel")).await.ok(200)["status"], "Cancelled");
    s.action(&format!("/api/v1/jobs/{id}/cancel")).await.err(409, "conflict");
}

async fn timeouts_statuses_and_alerts(s: Server) {
    // an agent that never sends its CSR: the job fails after the timeout (24 h), naming the agent
    s.post("/api/v1/agents", json!({"id": "ag-silent", "name": "silent"})).await.ok(201);
    s.post(
        "/api/v1/targets",
        json!({"id": "t-silent", "name": "t", "type": "file", "agent_id": "ag-silent"}),
    )
    .await
    .ok(201);
    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-silent", "common_name": "silent.example.com", "target_ids": ["t-silent"]}),
    )
    .await
    .ok(201);
    assert_eq!(
        s.svc.process_jobs(Timestamp::now().plus(time::Duration::hours(23))).await.unwrap(),
        0
    );
    s.svc.process_jobs(Timestamp::now().plus(time::Duration::hours(25))).await.unwrap();
    let j = s.get("/api/v1/jobs?certificate_id=mc-silent").await.ok(200)["data"][0].clone();
    assert_eq!(j["status"], "Failed");
    assert!(
        j["last_error"].as_str().unwrap().contains("ag-silent")
            && j["last_error"].as_str().unwrap().contains("CSR"),
        "{j}"
    );

    // expiry statuses and alerts: an imported certificate expiring in 5 days, another expired
    let now = Timestamp::now();
    let mk = |id: &str, days: i64| {
        let mut c = certctl::testing::sample_certificates(1, now).remove(0);
        c.id = id.into();
        c.status = CertificateStatus::Active;
        c.expires_at = Some(now.plus(time::Duration::days(days)));
        c
    };
    let audit =
        AuditDraft::new("test", ActorType::System, "certificate_imported", "certificate", "-");
    s.svc
        .store_for_tests()
        .import_certificates(&[mk("mc-soon", 5), mk("mc-gone", -2)], &audit)
        .await
        .unwrap();
    let r = s.svc.check_renewals(now).await.unwrap();
    assert_eq!((r.marked_expiring, r.marked_expired, r.alerts), (1, 1, 2), "{r:?}");
    assert_eq!(r.not_started.len(), 2, "no agent holds their keys: {r:?}");
    assert_eq!(s.get("/api/v1/certificates/mc-soon").await.ok(200)["status"], "Expiring");
    assert_eq!(s.get("/api/v1/certificates/mc-gone").await.ok(200)["status"], "Expired");
    let alerts = s.get("/api/v1/notifications?certificate_id=mc-soon").await.ok(200);
    assert_eq!(alerts["total"], 1, "only the most urgent threshold crossed (7 days)");
    assert!(alerts["data"][0]["message"].as_str().unwrap().contains("expires in 5 days"));
    // many runs, and a restart over the same database, do not send it again
    for _ in 0..5 {
        assert_eq!(s.svc.check_renewals(now).await.unwrap().alerts, 0);
    }
    let restarted = certctl::service::Service::open(
        s.svc.store_arc_for_tests(),
        tempfile::tempdir().unwrap().path(),
        ServiceConfig::default(),
    )
    .unwrap();
    assert_eq!(
        restarted.check_renewals(now.plus(time::Duration::hours(1))).await.unwrap().alerts,
        0
    );
    // the next threshold (0 days) is a new alert
    assert_eq!(
        restarted.check_renewals(now.plus(time::Duration::days(5))).await.unwrap().alerts,
        1
    );
    // the notification processor delivers inbox events: the three alerts, the expiry of mc-gone
    // and (five days later) mc-soon, mc-silent's failed issuance (no channel is configured, so
    // nothing is sent elsewhere: they are Recorded, not Sent, and carry no sent_at)
    assert_eq!(s.svc.deliver_notifications(now).await.unwrap(), 0);
    assert_eq!(s.get("/api/v1/notifications?status=Sent").await.ok(200)["total"], 0);
    let recorded = s.get("/api/v1/notifications?status=Recorded").await.ok(200);
    assert_eq!(recorded["total"], 6);
    assert!(recorded["data"].as_array().unwrap().iter().all(|n| n["sent_at"].is_null()));
}

/// A renewal cancelled before it produced a version: the certificate's status follows its
/// expiry and renewal window again (10 days left in a 30-day window: Expiring), not Active.
async fn cancelled_renewal_status_follows_the_expiry(s: Server) {
    crate::notify_support::import_cert(&s, "mc-soon", "soon.example.com", 10, "rp-default", None)
        .await;
    crate::notify_support::import_cert(&s, "mc-later", "later.example.com", 90, "rp-default", None)
        .await;
    for (id, expected) in [("mc-soon", "Expiring"), ("mc-later", "Active")] {
        let job = s.action(&format!("/api/v1/certificates/{id}/renew")).await.ok(202);
        let job = job["id"].as_str().unwrap().to_owned();
        let cert = s.get(&format!("/api/v1/certificates/{id}")).await.ok(200);
        assert_eq!(cert["status"], "RenewalInProgress");
        s.action(&format!("/api/v1/jobs/{job}/cancel")).await.ok(200);
        let cert = s.get(&format!("/api/v1/certificates/{id}")).await.ok(200);
        assert_eq!(cert["status"], expected, "{id} after its renewal was cancelled");
    }
}
