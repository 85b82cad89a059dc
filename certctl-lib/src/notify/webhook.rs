//! `webhook`: the event as JSON, POSTed with an HMAC-SHA256 signature over timestamp and body so
//! the receiver can check it came from us and is fresh (`X-Certctl-Timestamp`,
//! `X-Certctl-Signature: sha256=<hex>` of `"<timestamp>.<raw body>"`).

use aws_lc_rs::hmac;
use serde::Deserialize;

use super::{
    Message, Notifier, NotifyContext, check_destination, check_url, http_result, parse_config,
};
use crate::config::Secret;
use crate::error::{Error, Result};

/// Header with the unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Certctl-Timestamp";
/// Header with `sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "X-Certctl-Signature";

/// Config of a `webhook` channel: `{url, secret}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    /// Shared secret of the signature (write-only).
    pub secret: Secret,
}

impl WebhookConfig {
    /// Parses and checks a channel config.
    pub fn parse(config: &serde_json::Value) -> Result<Self> {
        let c: WebhookConfig = parse_config(config)?;
        check_url("config.url", &c.url)?;
        if c.secret.expose().len() < 16 {
            return Err(Error::invalid("config.secret", "must be at least 16 characters"));
        }
        Ok(c)
    }
}

/// `sha256=<hex>` of `"<timestamp>.<body>"` under `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!("sha256={}", hex::encode(ctx.sign().as_ref()))
}

/// What a receiver does: checks the signature (constant time) and that the timestamp is within
/// `tolerance_secs` of `now_secs` (replay protection).
pub fn verify_signature(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now_secs: i64,
    tolerance_secs: i64,
) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now_secs - ts).abs() > tolerance_secs {
        return false;
    }
    let Some(hex_sig) = signature.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(tag) = hex::decode(hex_sig) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut msg = Vec::with_capacity(body.len() + 12);
    msg.extend_from_slice(ts.to_string().as_bytes());
    msg.push(b'.');
    msg.extend_from_slice(body);
    hmac::verify(&key, &msg, &tag).is_ok()
}

/// The JSON body: `{event, severity, notification_id, certificate: {id, name, common_name},
/// days_left, expires_at, message, occurred_at, link}`.
pub fn payload(msg: &Message) -> serde_json::Value {
    serde_json::json!({
        "event": msg.event,
        "severity": msg.severity,
        "notification_id": msg.notification_id,
        "certificate": msg.certificate,
        "days_left": msg.days_left,
        "expires_at": msg.expires_at,
        "message": msg.message,
        "occurred_at": msg.occurred_at,
        "link": msg.link,
    })
}

#[derive(Debug)]
pub(super) struct WebhookNotifier {
    config: WebhookConfig,
    ctx: NotifyContext,
}

impl WebhookNotifier {
    pub(super) fn new(config: WebhookConfig, ctx: NotifyContext) -> Self {
        Self { config, ctx }
    }
}

#[async_trait::async_trait]
impl Notifier for WebhookNotifier {
    async fn send(&self, msg: &Message) -> Result<()> {
        let body = serde_json::to_vec(&payload(msg)).map_err(|e| Error::Connector {
            message: format!("encoding the payload: {e}"),
            transient: false,
        })?;
        check_destination("webhook", &self.ctx, &self.config.url)?;
        let ts = time::OffsetDateTime::now_utc().unix_timestamp();
        let sig = sign(self.config.secret.expose().as_bytes(), ts, &body);
        let r = self
            .ctx
            .http
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(SIGNATURE_HEADER, sig)
            .body(body)
            .send()
            .await;
        http_result("webhook", r).await
    }
}
