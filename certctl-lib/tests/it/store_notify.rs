//! Notification channels and deliveries: CRUD with the config (secrets included) stored, events
//! created with one delivery per channel and deduplicated by key, due deliveries, recorded
//! outcomes and the event status they imply, requeue of dead deliveries.

use std::sync::Arc;

use certctl::Error;
use certctl::model::*;
use certctl::store::Store;

use crate::support::*;
use crate::{assert_err, both_backends};

both_backends! {
    channels_and_deliveries => channels_and_deliveries;
}

fn channel(id: &str) -> NotificationChannel {
    let now = Timestamp::now();
    NotificationChannel {
        id: id.into(),
        name: id.into(),
        channel_type: ChannelType::Webhook,
        config: serde_json::json!({"url": "http://127.0.0.1:9/", "secret": "0123456789abcdef"}),
        events: vec![EventKind::RenewalFailed],
        min_severity: NotifySeverity::Warning,
        enabled: true,
        created_at: now,
        updated_at: now,
    }
}

fn event(id: &str, key: &str, at: Timestamp) -> Notification {
    Notification {
        id: id.into(),
        kind: "renewal_failed".into(),
        certificate_id: None,
        channel: "inbox".into(),
        recipient: String::new(),
        message: "renewal of x failed".into(),
        status: NotificationStatus::Pending,
        created_at: at,
        sent_at: None,
        read_at: None,
        dedup_key: Some(key.into()),
        severity: NotifySeverity::Critical,
        details: serde_json::json!({"error": "boom"}),
        deliveries: vec![],
    }
}

async fn channels_and_deliveries(s: Arc<dyn Store>) {
    // channels: the stored config keeps its secret (the API redacts on the way out)
    s.create_channel(&channel("nc-a"), &audit("notification_channel_created", "nc-a"))
        .await
        .unwrap();
    s.create_channel(&channel("nc-b"), &audit("notification_channel_created", "nc-b"))
        .await
        .unwrap();
    assert_err!(s.create_channel(&channel("nc-a"), &audit("x", "nc-a")).await, Error::Conflict(_));
    let a = s.get_channel(&"nc-a".into()).await.unwrap();
    assert_eq!(a.config["secret"], "0123456789abcdef");
    assert_eq!(
        (a.events.clone(), a.min_severity),
        (vec![EventKind::RenewalFailed], NotifySeverity::Warning)
    );
    let mut b = s.get_channel(&"nc-b".into()).await.unwrap();
    b.enabled = false;
    assert!(
        !s.update_channel(&b, &audit("notification_channel_updated", "nc-b"))
            .await
            .unwrap()
            .enabled
    );
    assert_eq!(s.list_channels(PageRequest::default()).await.unwrap().total, 2);

    // an event with a delivery per channel; the same key again creates nothing
    let t0 = ts("2026-01-01T00:00:00Z");
    let ids = [ChannelId::from("nc-a"), ChannelId::from("nc-b")];
    assert!(s.create_routed_notification(&event("n-1", "k1", t0), &ids).await.unwrap().is_some());
    assert!(s.create_routed_notification(&event("n-1b", "k1", t0), &ids).await.unwrap().is_none());
    assert!(s.create_routed_notification(&event("n-2", "k2", t0), &[]).await.unwrap().is_some());
    let got = s.get_notification(&"n-1".into()).await.unwrap();
    assert_eq!(
        (got.severity, got.details["error"].as_str()),
        (NotifySeverity::Critical, Some("boom"))
    );
    assert_eq!(s.deliveries_of(&["n-1".into(), "n-2".into()]).await.unwrap().len(), 2);
    assert!(s.due_deliveries(ts("2025-12-31T00:00:00Z"), 10).await.unwrap().is_empty());
    let due = s.due_deliveries(t0, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.channel_id.as_str()).collect::<Vec<_>>(), ["nc-a", "nc-b"]);
    assert_eq!(
        s.notifications_by_ids(&["n-1".into(), "n-2".into(), "n-404".into()]).await.unwrap().len(),
        2
    );

    // inbox-only events settle as Recorded (nothing was sent: no sent_at); routed ones wait for
    // their deliveries
    assert_eq!(s.settle_notifications(t0).await.unwrap(), 1);
    let inbox_only = s.get_notification(&"n-2".into()).await.unwrap();
    assert_eq!((inbox_only.status, inbox_only.sent_at), (NotificationStatus::Recorded, None));

    // outcomes: a retry keeps it Pending and not due before its time; Sent + Dead make it Dead
    let t1 = ts("2026-01-01T00:01:00Z");
    let n1 = NotificationId::from("n-1");
    s.record_deliveries(
        &[
            (
                n1.clone(),
                ids[0].clone(),
                DeliveryOutcome::Retry { error: "503".into(), next_attempt_at: t1 },
            ),
            (n1.clone(), ids[1].clone(), DeliveryOutcome::Dead { error: "disabled".into() }),
        ],
        t0,
    )
    .await
    .unwrap();
    assert_eq!(s.get_notification(&n1).await.unwrap().status, NotificationStatus::Pending);
    assert!(s.due_deliveries(t0, 10).await.unwrap().is_empty());
    s.record_deliveries(
        &[(n1.clone(), ids[0].clone(), DeliveryOutcome::Deferred { next_attempt_at: t1 })],
        t0,
    )
    .await
    .unwrap();
    s.record_deliveries(&[(n1.clone(), ids[0].clone(), DeliveryOutcome::Sent)], t1).await.unwrap();
    let n = s.get_notification(&n1).await.unwrap();
    assert_eq!((n.status, n.sent_at), (NotificationStatus::Dead, None));
    let ds = s.deliveries_of(std::slice::from_ref(&n1)).await.unwrap();
    assert_eq!(
        (ds[0].status, ds[0].attempts, ds[0].sent_at, ds[0].last_error.clone()),
        (DeliveryStatus::Sent, 2, Some(t1), None),
        "a deferral is no attempt"
    );
    assert_eq!(
        (ds[1].status, ds[1].attempts, ds[1].last_error.as_deref()),
        (DeliveryStatus::Dead, 1, Some("disabled"))
    );
    let dead = s
        .list_notifications(
            &NotificationFilter { status: Some(NotificationStatus::Dead), ..Default::default() },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(dead.total, 1);

    // requeue: dead deliveries go back to Pending, once
    assert_eq!(
        s.requeue_notification(&n1, t1, &audit("notification_requeued", "n-1")).await.unwrap(),
        1
    );
    assert_eq!(
        s.requeue_notification(&n1, t1, &audit("notification_requeued", "n-1")).await.unwrap(),
        0
    );
    assert_eq!(s.get_notification(&n1).await.unwrap().status, NotificationStatus::Pending);
    let due = s.due_deliveries(t1, 10).await.unwrap();
    assert_eq!((due.len(), due[0].attempts, due[0].channel_id.as_str()), (1, 0, "nc-b"));
    s.record_deliveries(&[(n1.clone(), ids[1].clone(), DeliveryOutcome::Sent)], t1).await.unwrap();
    let n = s.get_notification(&n1).await.unwrap();
    assert_eq!((n.status, n.sent_at), (NotificationStatus::Sent, Some(t1)));

    // deleting a channel leaves its delivery history
    s.delete_channel(&"nc-b".into(), &audit("notification_channel_deleted", "nc-b")).await.unwrap();
    assert_err!(s.get_channel(&"nc-b".into()).await, Error::NotFound { .. });
    assert_eq!(s.deliveries_of(std::slice::from_ref(&n1)).await.unwrap().len(), 2);
}
