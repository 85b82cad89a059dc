//! `GET /api/v1/summary`: the counters the console's Overview shows — expiring within 7/14/30
//! days, the weekly expiry histogram of the next 90 days (archived left out), failed jobs in the
//! last 24 hours and open policy violations.

use certctl::model::*;
use serde_json::json;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    overview_counters => overview_counters;
}

async fn overview_counters(s: Server) {
    let now = Timestamp::now();
    let mk = |id: &str, days: i64, status: CertificateStatus| {
        let mut c = certctl::testing::sample_certificates(1, now).remove(0);
        c.id = id.into();
        c.status = status;
        c.expires_at = Some(now.plus(time::Duration::days(days)).plus(time::Duration::hours(1)));
        c
    };
    let certs = [
        mk("mc-d3", 3, CertificateStatus::Active),
        mk("mc-d10", 10, CertificateStatus::Active),
        mk("mc-d20", 20, CertificateStatus::Active),
        mk("mc-d50", 50, CertificateStatus::Active),
        mk("mc-d88", 88, CertificateStatus::Active),
        mk("mc-d200", 200, CertificateStatus::Active),
        mk("mc-past", -3, CertificateStatus::Expired),
        mk("mc-archived", 2, CertificateStatus::Archived),
    ];
    let audit =
        AuditDraft::new("test", ActorType::System, "certificate_imported", "certificate", "-");
    s.svc.store_for_tests().import_certificates(&certs, &audit).await.unwrap();

    // two failed jobs, one of them two days old, and a running one
    let job = |id: &str, status: JobStatus, age_hours: i64| {
        let mut j = Job::new(
            JobType::Renewal,
            status,
            "mc-d3".into(),
            3,
            now.plus(time::Duration::hours(-age_hours)),
        );
        j.id = id.into();
        j
    };
    let ja = AuditDraft::new("test", ActorType::System, "job_created", "job", "-");
    for j in [
        job("job-new", JobStatus::Failed, 1),
        job("job-old", JobStatus::Failed, 48),
        job("job-run", JobStatus::Running, 1),
    ] {
        s.svc.store_for_tests().create_job(&j, &ja).await.unwrap();
    }
    // a warn-mode rule: an unowned certificate gets an open violation
    s.post("/api/v1/policies", json!({"id": "pol-owner", "name": "Owned", "type": "RequiredMetadata", "config": {"require_owner": true}, "mode": "warn"})).await.ok(201);
    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-unowned", "common_name": "unowned.example.com"}),
    )
    .await
    .ok(201);

    let sum = s.get("/api/v1/summary").await.ok(200);
    assert_eq!(sum["expiring_within_7_days"], 1, "{sum}");
    assert_eq!(sum["expiring_within_14_days"], 2, "{sum}");
    assert_eq!(sum["expiring_within_30_days"], 3, "{sum}");
    assert_eq!(sum["failed_jobs"], 2, "{sum}");
    assert_eq!(sum["failed_jobs_24h"], 1, "{sum}");
    // the rule flags every unowned certificate when it is created: the seven imported ones that
    // are not archived, then mc-unowned
    assert_eq!(sum["open_violations"], 8, "{sum}");
    let h = sum["expiry_histogram"].as_array().unwrap();
    assert_eq!(h.len(), 13);
    assert_eq!((h[0]["from_day"].as_i64(), h[0]["to_day"].as_i64()), (Some(0), Some(7)));
    assert_eq!((h[12]["from_day"].as_i64(), h[12]["to_day"].as_i64()), (Some(84), Some(90)));
    let counts: Vec<i64> = h.iter().map(|b| b["count"].as_i64().unwrap()).collect();
    assert_eq!(counts, [1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], "{sum}");
    // the typed client reads the same document
    let typed: certctl::api::Summary = serde_json::from_value(sum).unwrap();
    assert_eq!(typed.expiry_histogram.iter().map(|b| b.count).sum::<i64>(), 5);
}
