//! Notification delivery benchmark: N pending events routed to one webhook channel, drained by
//! the notification processor to a local receiver (axum on loopback, checking every signature),
//! while the job processor keeps ticking; reports the drain time and the job processor's pass
//! latency idle and during the drain.
//!
//! Run: `cargo bench -p certctl-server --bench notifications [-- --events N --concurrency C]`
//! (PostgreSQL instead of SQLite when `CERTCTL_BENCH_POSTGRES_URL` is set).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use certctl::api::ChannelInput;
use certctl::model::*;
use certctl::service::{Actor, NotifySettings, Service, ServiceConfig};
use certctl::store::Store;

const SECRET: &str = "bench-webhook-secret-0123456789";

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Job-processor passes (ms) every 50 ms until `stop`.
async fn tick_jobs(svc: Service, stop: Arc<AtomicBool>) -> Vec<f64> {
    let mut v = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        svc.process_jobs(Timestamp::now()).await.unwrap();
        v.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    v
}

#[tokio::main]
async fn main() {
    let n = arg("--events", 10_000) as usize;
    let concurrency = arg("--concurrency", 16) as usize;
    let dir = tempfile::tempdir().unwrap();
    let (store, backend): (Arc<dyn Store>, &str) = match std::env::var("CERTCTL_BENCH_POSTGRES_URL")
    {
        Ok(u) => (certctl::store::connect(&u).await.unwrap(), "postgres"),
        Err(_) => (
            Arc::new(
                certctl::store::SqliteStore::open(&dir.path().join("certctl.db")).await.unwrap(),
            ),
            "sqlite",
        ),
    };

    // the receiver: verifies each signature like a real consumer would
    let received = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(AtomicUsize::new(0));
    let (r, b) = (received.clone(), bad.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |h: HeaderMap, body: Bytes| {
            let (r, b) = (r.clone(), b.clone());
            async move {
                let get =
                    |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                if certctl::notify::verify_signature(
                    SECRET.as_bytes(),
                    &get("x-certctl-timestamp"),
                    &get("x-certctl-signature"),
                    &body,
                    now,
                    300,
                ) {
                    r.fetch_add(1, Ordering::Relaxed);
                    StatusCode::OK
                } else {
                    b.fetch_add(1, Ordering::Relaxed);
                    StatusCode::UNAUTHORIZED
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let notify = NotifySettings { per_channel_concurrency: concurrency, ..Default::default() };
    let svc =
        Service::open(store.clone(), dir.path(), ServiceConfig { notify, ..Default::default() })
            .unwrap();
    svc.bootstrap().await.unwrap();
    let sys = Actor::system();
    let input = ChannelInput {
        id: Some("nc-bench".into()),
        name: Some("bench".into()),
        channel_type: Some("webhook".into()),
        config: Some(serde_json::json!({"url": url, "secret": SECRET})),
        ..Default::default()
    };
    svc.create_channel(&sys, &input).await.unwrap();
    let channel = [ChannelId::from_trusted("nc-bench")];
    let now = Timestamp::now();
    let t = Instant::now();
    for i in 0..n {
        let ev = Notification {
            id: NotificationId::from_trusted(format!("n-bench-{i:06}")),
            kind: "expiry_threshold".into(),
            certificate_id: None,
            channel: "inbox".into(),
            recipient: String::new(),
            message: format!("svc-{i}.bench.example.com (mc-b{i}) expires in 7 days"),
            status: NotificationStatus::Pending,
            created_at: now,
            sent_at: None,
            read_at: None,
            dedup_key: Some(format!("bench:{i}")),
            severity: NotifySeverity::Warning,
            details: serde_json::json!({"certificate": {"id": format!("mc-b{i}"), "name": format!("service {i}"), "common_name": format!("svc-{i}.bench.example.com")}, "days_left": 7, "expires_at": now}),
            deliveries: vec![],
        };
        store.create_routed_notification(&ev, &channel).await.unwrap();
    }
    println!(
        "backend {backend}: {n} pending events routed to one webhook channel in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // the job processor alone, then while the notifications drain
    let stop = Arc::new(AtomicBool::new(false));
    let idle = tokio::spawn(tick_jobs(svc.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut idle = idle.await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let busy = tokio::spawn(tick_jobs(svc.clone(), stop.clone()));
    let t = Instant::now();
    let report = svc.deliver_notifications_report(Timestamp::now()).await.unwrap();
    let drain = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut busy = busy.await.unwrap();

    let pending = store
        .due_deliveries(Timestamp::now().plus(time::Duration::days(1)), 10)
        .await
        .unwrap()
        .len();
    println!(
        "drained {} deliveries in {:.2} s ({:.0}/s), concurrency {concurrency}; receiver verified {} signatures ({} bad); still pending: {pending}; report {report:?}",
        report.sent,
        drain.as_secs_f64(),
        report.sent as f64 / drain.as_secs_f64(),
        received.load(Ordering::Relaxed),
        bad.load(Ordering::Relaxed),
    );
    println!(
        "job processor pass: idle p50 {:.2} ms p99 {:.2} ms ({} passes); during the drain p50 {:.2} ms p99 {:.2} ms max {:.2} ms ({} passes)",
        pct(&mut idle, 0.5),
        pct(&mut idle, 0.99),
        idle.len(),
        pct(&mut busy, 0.5),
        pct(&mut busy, 0.99),
        pct(&mut busy, 1.0),
        busy.len()
    );
    let stats = store
        .list_notifications(
            &NotificationFilter { status: Some(NotificationStatus::Sent), ..Default::default() },
            PageRequest::new(1, 1),
        )
        .await
        .unwrap();
    println!("events Sent: {}", stats.total);
}
