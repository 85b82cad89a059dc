//! ACME orders in flight: the state JSON round trip, upserts that leave the lease alone, one
//! lease holder at a time, and stale orders.

use std::sync::Arc;

use certctl::model::*;
use certctl::store::{AcmeOrderRow, Store};
use serde_json::json;
use time::Duration;

use crate::both_backends;
use crate::support::*;

both_backends! {
    order_rows => order_rows;
}

async fn order_rows(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_certificate(&cert("mc-a", "a.example.com"), &audit("certificate_created", "mc-a"))
        .await
        .unwrap();
    let j = job("job-a", "mc-a", JobType::Issuance);
    s.create_job(&j, &audit("job_created", "job-a")).await.unwrap();
    let now = ts("2026-01-01T00:00:00Z");
    let mut row = AcmeOrderRow {
        job_id: j.id.clone(),
        issuer_id: "iss-t".into(),
        order_url: None,
        state: json!({}),
        lease_owner: None,
        lease_until: None,
        created_at: now,
        updated_at: now,
    };
    s.put_acme_order(&row).await.unwrap();
    assert_eq!(s.get_acme_order(&j.id).await.unwrap(), Some(row.clone()));
    assert!(s.get_acme_order(&"job-none".into()).await.unwrap().is_none());

    // the lease: one owner at a time until it expires; upserts leave it alone
    let until = now.plus(Duration::seconds(15));
    assert!(s.lease_acme_order(&j.id, "one", now, until).await.unwrap());
    assert!(!s.lease_acme_order(&j.id, "two", now, until).await.unwrap());
    row.order_url = Some("https://ca.example/order/1".into());
    row.state = json!({"dns": [["_acme-challenge.a.example.com", "v1"]], "n": 1.5});
    row.updated_at = now.plus(Duration::seconds(1));
    s.put_acme_order(&row).await.unwrap();
    let got = s.get_acme_order(&j.id).await.unwrap().unwrap();
    assert_eq!((got.order_url, got.state), (row.order_url.clone(), row.state.clone()));
    assert_eq!((got.lease_owner.as_deref(), got.lease_until), (Some("one"), Some(until)));

    // stale once the lease ran out, and another owner may take it
    assert!(s.stale_acme_orders(now, 10).await.unwrap().is_empty());
    let later = until.plus(Duration::seconds(1));
    let stale = s.stale_acme_orders(later, 10).await.unwrap();
    assert_eq!(
        stale.iter().map(|r| (&r.job_id, &r.state)).collect::<Vec<_>>(),
        [(&j.id, &row.state)]
    );
    assert!(s.lease_acme_order(&j.id, "two", later, later).await.unwrap());
    s.delete_acme_order(&j.id).await.unwrap();
    assert!(s.get_acme_order(&j.id).await.unwrap().is_none());
}
