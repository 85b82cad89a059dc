//! Storage benchmark on SQLite with 100,000 certificates: bulk insert, one filtered page,
//! and the renewal-due query. Run: `cargo bench -p certctl-lib --bench store [-- N]`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Instant;

use certctl::model::*;
use certctl::store::{SqliteStore, prelude::*};
use common::report;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("certctl.db")).await.expect("open");
    store.set_audit_key(certctl::testing::audit_key());
    let audit =
        AuditDraft::new("bench", ActorType::System, "certificate_imported", "certificate", "-");
    let now = Timestamp::now();
    store
        .create_issuer(
            &Issuer {
                id: "iss-local".into(),
                name: "Local CA".into(),
                issuer_type: "local".into(),
                config: serde_json::json!({}),
                enabled: true,
                created_at: now,
                updated_at: now,
            },
            &audit,
        )
        .await
        .expect("issuer");
    store
        .create_renewal_policy(
            &RenewalPolicy::with_defaults("rp-default".into(), "default", now),
            &audit,
        )
        .await
        .expect("policy");

    let certs = certctl::testing::sample_certificates(n, now);

    println!(
        "SQLite store benchmark, {n} certificates ({} cores)",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    );
    let t = Instant::now();
    for chunk in certs.chunks(1000) {
        store.import_certificates(chunk, &audit).await.expect("import");
    }
    let bulk = t.elapsed();
    println!(
        "{:<48} {:>9.3?} ({:.0} certificates/s, one audit event each)",
        "bulk insert (import, batches of 1000)",
        bulk,
        n as f64 / bulk.as_secs_f64()
    );

    let t = Instant::now();
    for c in certs.iter().take(2000) {
        let mut c = c.clone();
        c.id = CertificateId::from_trusted(format!("{}-single", c.id));
        store.create_certificate(&c, &audit).await.expect("create");
    }
    let single = t.elapsed() / 2000;
    println!(
        "{:<48} {:>9.3?} per certificate",
        "create_certificate (one transaction each)", single
    );

    let filter = CertificateFilter {
        status: Some(CertificateStatus::Active),
        expires_before: Some(now.plus(time::Duration::days(60))),
        ..Default::default()
    };
    let first = store.list_certificates(&filter, PageRequest::new(1, 50)).await.expect("list");
    println!("  (status=Active & expires_before=+60d matches {} rows)", first.total);
    let mut samples = Vec::new();
    for i in 0..2000u32 {
        let t = Instant::now();
        let p =
            store.list_certificates(&filter, PageRequest::new(1 + i % 20, 50)).await.expect("list");
        samples.push(t.elapsed());
        assert_eq!(p.data.len(), 50);
    }
    report("page: status=Active & expires_before, 50 rows", samples);

    let only_status =
        CertificateFilter { status: Some(CertificateStatus::Active), ..Default::default() };
    let mut samples = Vec::new();
    for i in 0..2000u32 {
        let t = Instant::now();
        store
            .list_certificates(&only_status, PageRequest::new(1 + i % 20, 50))
            .await
            .expect("list");
        samples.push(t.elapsed());
    }
    report("page: status=Active (counter total), 50 rows", samples);

    let due_all = store.certificates_due_for_renewal(now, i64::MAX).await.expect("due");
    let mut samples = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let due = store.certificates_due_for_renewal(now, i64::MAX).await.expect("due");
        samples.push(t.elapsed());
        assert_eq!(due.len(), due_all.len());
    }
    report(&format!("due for renewal within 30 days: all {} rows", due_all.len()), samples);
    let mut samples = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        store.certificates_due_for_renewal(now, 500).await.expect("due");
        samples.push(t.elapsed());
    }
    report("due for renewal within 30 days: batch of 500", samples);
}
