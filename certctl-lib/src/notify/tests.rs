//! Unit tests of the connectors' pure parts: configs, signatures, payloads, subjects.

use super::*;
use crate::model::*;

fn msg() -> Message {
    Message {
        notification_id: Some(NotificationId::from_trusted("n-1")),
        event: EventKind::ExpiryThreshold,
        severity: NotifySeverity::Warning,
        certificate: Some(CertRef {
            id: "mc-api".into(),
            name: "API".into(),
            common_name: "api.example.com".into(),
        }),
        days_left: Some(7),
        expires_at: Timestamp::from_unix_millis(1_800_000_000_000),
        message: "api.example.com expires in 7 days".into(),
        occurred_at: Timestamp::from_unix_millis(1_799_000_000_000).unwrap(),
        link: Some("https://certctl.example/api/v1/certificates/mc-api".into()),
        recipient: Some("owner@example.com".into()),
    }
}

#[test]
fn signatures_verify_and_reject_tampering_and_replay() {
    let body = br#"{"event":"x"}"#;
    let sig = sign(b"0123456789abcdef", 1_700_000_000, body);
    assert!(
        sig.starts_with("sha256=")
            && sig[7..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(verify_signature(b"0123456789abcdef", "1700000000", &sig, body, 1_700_000_100, 300));
    assert!(
        !verify_signature(b"0123456789abcdef", "1700000000", &sig, b"{}", 1_700_000_100, 300),
        "other body"
    );
    assert!(
        !verify_signature(b"another-secret-xx", "1700000000", &sig, body, 1_700_000_100, 300),
        "other secret"
    );
    assert!(
        !verify_signature(b"0123456789abcdef", "1700000001", &sig, body, 1_700_000_100, 300),
        "other timestamp"
    );
    assert!(
        !verify_signature(b"0123456789abcdef", "1700000000", &sig, body, 1_700_001_000, 300),
        "too old: replay"
    );
}

#[test]
fn subjects_and_payloads_carry_the_certificate_and_event() {
    let m = msg();
    assert_eq!(m.subject(), "[certctl] Certificate expires in 7 days: api.example.com");
    let p = webhook::payload(&m);
    assert_eq!(p["event"], "expiry_threshold");
    assert_eq!(p["certificate"]["common_name"], "api.example.com");
    assert_eq!(p["days_left"], 7);
    let s = slack_payload(&m).to_string();
    assert!(
        s.contains("api.example.com")
            && s.contains("Days left")
            && s.contains("View the certificate"),
        "{s}"
    );
    let t = teams_payload(&m);
    assert_eq!(t["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
    assert!(t.to_string().contains("mc-api"));
    let body = m.text_body();
    assert!(
        body.contains("Days left:   7") && body.contains("Common name: api.example.com"),
        "{body}"
    );
}

#[test]
fn configs_are_checked_with_the_field_named() {
    let e = validate(ChannelType::Email, &serde_json::json!({"host": "smtp.example.com", "port": 587, "tls": "sometimes", "from": "a@example.com"})).unwrap_err();
    assert!(e.to_string().contains("sometimes"), "{e}");
    let e = validate(ChannelType::Email, &serde_json::json!({"host": "smtp.example.com", "port": 587, "tls": "starttls", "from": "not an address"})).unwrap_err();
    assert!(e.to_string().contains("config.from"), "{e}");
    let e = validate(ChannelType::Email, &serde_json::json!({"host": "h", "port": 25, "tls": "none", "from": "a@b.c", "to": ["ok@b.c", "bad"]})).unwrap_err();
    assert!(e.to_string().contains("config.to[1]"), "{e}");
    assert!(validate(ChannelType::Email, &serde_json::json!({"host": "h", "port": 25, "tls": "none", "from": "a@b.c", "to": ["x@b.c"]})).is_ok());
    let e = validate(
        ChannelType::Webhook,
        &serde_json::json!({"url": "ftp://x", "secret": "0123456789abcdef"}),
    )
    .unwrap_err();
    assert!(e.to_string().contains("config.url"), "{e}");
    let e = validate(
        ChannelType::Webhook,
        &serde_json::json!({"url": "https://x/", "secret": "short"}),
    )
    .unwrap_err();
    assert!(e.to_string().contains("config.secret"), "{e}");
    let e = validate(ChannelType::Slack, &serde_json::json!({"webhook_url": "nope-token-123"}))
        .unwrap_err();
    assert!(!e.to_string().contains("token-123"), "the URL is a secret: {e}");
    let e =
        validate(ChannelType::Teams, &serde_json::json!({"webhook_url": "https://x/", "extra": 1}))
            .unwrap_err();
    assert!(e.to_string().contains("extra"), "{e}");
}
