//! Notification channels (where alerts go), event kinds and severities, and per-channel deliveries.

use serde::{Deserialize, Serialize};

use super::{ChannelId, NotificationId, Timestamp, string_enum};

string_enum! {
    /// How urgent a notification event is; channels may ask for a minimum.
    NotifySeverity {
        Info = "info",
        Warning = "warning",
        Critical = "critical",
    }
}

string_enum! {
    /// What a notification is about (its `type`).
    EventKind {
        /// A certificate crossed one of its renewal policy's alert thresholds (30/14/7/0 days).
        ExpiryThreshold = "expiry_threshold",
        /// A certificate's expiry passed.
        CertificateExpired = "certificate_expired",
        /// A renewal job failed after its retries.
        RenewalFailed = "renewal_failed",
        /// An issuance job failed after its retries.
        IssuanceFailed = "issuance_failed",
        /// A deployment job failed (target and step in the details).
        DeploymentFailed = "deployment_failed",
        /// An agent stopped sending heartbeats.
        AgentOffline = "agent_offline",
        /// A `warn` policy rule opened a violation.
        PolicyViolation = "policy_violation",
        /// Sent by `POST /notification-channels/{id}/test`; never stored.
        Test = "test",
    }
}

string_enum! {
    /// Connector of a notification channel.
    ChannelType {
        Email = "email",
        Webhook = "webhook",
        Slack = "slack",
        Teams = "teams",
    }
}

string_enum! {
    /// State of one event's delivery to one channel.
    DeliveryStatus {
        /// Waiting for its (next) attempt.
        Pending = "Pending",
        Sent = "Sent",
        /// Gave up after the last attempt (or a permanent error); `requeue` sends it again.
        Dead = "Dead",
    }
}

/// Keys of a channel config that hold secrets: stored, never returned (`<key>_set: true` instead).
pub const SECRET_CONFIG_KEYS: &[&str] = &["password", "secret", "webhook_url"];

/// The config as the API shows it: secret keys (in the clear or sealed) replaced by
/// `<key>_set: true`.
pub fn redact_channel_config(config: &serde_json::Value) -> serde_json::Value {
    let mut out = config.clone();
    if let Some(obj) = out.as_object_mut() {
        for k in SECRET_CONFIG_KEYS {
            let sealed = obj.remove(&format!("{k}_sealed")).is_some();
            if obj.remove(*k).is_some() || sealed {
                obj.insert(format!("{k}_set"), serde_json::Value::Bool(true));
            }
        }
    }
    out
}

fn serialize_redacted<S: serde::Serializer>(
    config: &serde_json::Value,
    s: S,
) -> Result<S::Ok, S::Error> {
    redact_channel_config(config).serialize(s)
}

/// A notification channel (`nc-` id). Its config holds secrets (SMTP password, webhook secret,
/// Slack/Teams webhook URL): they are stored, but serialisation and `Debug` always redact them.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NotificationChannel {
    pub id: ChannelId,
    pub name: String,
    #[serde(rename = "type")]
    pub channel_type: ChannelType,
    /// Connector settings; secret keys are shown as `<key>_set: true`.
    #[serde(serialize_with = "serialize_redacted")]
    pub config: serde_json::Value,
    /// Event kinds this channel receives; empty means every kind.
    #[serde(default)]
    pub events: Vec<EventKind>,
    /// Events below this severity are not sent here.
    pub min_severity: NotifySeverity,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl NotificationChannel {
    /// Whether an event of `kind` and `severity` goes to this channel.
    pub fn accepts(&self, kind: EventKind, severity: NotifySeverity) -> bool {
        self.enabled
            && severity >= self.min_severity
            && (self.events.is_empty() || self.events.contains(&kind))
    }
}

impl std::fmt::Debug for NotificationChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationChannel")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("type", &self.channel_type)
            .field("config", &redact_channel_config(&self.config))
            .field("events", &self.events)
            .field("min_severity", &self.min_severity)
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// One event's delivery to one channel: the attempts made and where it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Delivery {
    pub notification_id: NotificationId,
    pub channel_id: ChannelId,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

/// What one delivery attempt (or non-attempt) came to, as the processor records it.
#[derive(Clone, Debug, PartialEq)]
pub enum DeliveryOutcome {
    /// Delivered.
    Sent,
    /// Failed; try again at the given time.
    Retry { error: String, next_attempt_at: Timestamp },
    /// Failed for good.
    Dead { error: String },
    /// Not attempted this pass (the channel was failing): try at the given time, no attempt counted.
    Deferred { next_attempt_at: Timestamp },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_json_and_debug() {
        let now = Timestamp::now();
        let c = NotificationChannel {
            id: ChannelId::from_trusted("nc-a".to_owned()),
            name: "ops".into(),
            channel_type: ChannelType::Webhook,
            config: serde_json::json!({"url": "http://x/", "secret": "s3cr3t-value"}),
            events: vec![],
            min_severity: NotifySeverity::Info,
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains("s3cr3t-value"), "{json}");
        assert!(json.contains("\"secret_set\":true"), "{json}");
        assert!(!format!("{c:?}").contains("s3cr3t-value"));
        assert!(c.accepts(EventKind::RenewalFailed, NotifySeverity::Info));
        let narrowed = NotificationChannel {
            events: vec![EventKind::AgentOffline],
            min_severity: NotifySeverity::Warning,
            ..c
        };
        assert!(!narrowed.accepts(EventKind::RenewalFailed, NotifySeverity::Critical));
        assert!(!narrowed.accepts(EventKind::AgentOffline, NotifySeverity::Info));
        assert!(narrowed.accepts(EventKind::AgentOffline, NotifySeverity::Critical));
    }
}
