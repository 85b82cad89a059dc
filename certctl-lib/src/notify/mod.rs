//! Notifier connectors: where alerts are sent. One [`Notifier`] per channel type — `email`
//! (SMTP through lettre), `webhook` (signed JSON POST), `slack` and `teams` (incoming webhooks) —
//! built from a channel's JSON config by [`build`], which also validates configs.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{
    ChannelType, EventKind, Notification, NotificationId, NotifySeverity, Timestamp,
};
use crate::net::AddressPolicy;

mod chat;
mod email;
mod webhook;

pub use chat::{ChatConfig, slack_payload, teams_payload};
pub use email::{EmailConfig, TlsMode};
pub use webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookConfig, sign, verify_signature};

/// Certificate a message is about.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct CertRef {
    pub id: String,
    pub name: String,
    pub common_name: String,
}

/// One alert, ready to render for any channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The stored event, if any (a channel test has none).
    pub notification_id: Option<NotificationId>,
    pub event: EventKind,
    pub severity: NotifySeverity,
    pub certificate: Option<CertRef>,
    pub days_left: Option<i64>,
    pub expires_at: Option<Timestamp>,
    /// One human sentence: what happened (with the error for failures).
    pub message: String,
    pub occurred_at: Timestamp,
    /// Where to look (the certificate in the API), when the server knows its public URL.
    pub link: Option<String>,
    /// The certificate owner's email: an extra recipient of email channels.
    pub recipient: Option<String>,
}

impl Message {
    /// The message of a stored notification event; `public_url` is the server's base URL.
    pub fn from_notification(n: &Notification, public_url: Option<&str>) -> Message {
        let d = &n.details;
        let certificate =
            d.get("certificate").and_then(|c| serde_json::from_value::<CertRef>(c.clone()).ok());
        let link = match (public_url, &certificate) {
            (Some(base), Some(c)) => {
                Some(format!("{}/api/v1/certificates/{}", base.trim_end_matches('/'), c.id))
            }
            _ => None,
        };
        Message {
            notification_id: Some(n.id.clone()),
            event: n.kind.parse().unwrap_or(EventKind::Test),
            severity: n.severity,
            certificate,
            days_left: d.get("days_left").and_then(|v| v.as_i64()),
            expires_at: d.get("expires_at").and_then(|v| serde_json::from_value(v.clone()).ok()),
            message: n.message.clone(),
            occurred_at: n.created_at,
            link,
            recipient: Some(n.recipient.clone()).filter(|r| !r.is_empty()),
        }
    }

    /// What happened, in a few words (`Certificate expires in 7 days`).
    pub fn title(&self) -> String {
        match self.event {
            EventKind::ExpiryThreshold => match self.days_left {
                Some(d) if d < 0 => format!("Certificate expired {} days ago", -d),
                Some(0) => "Certificate expires today".into(),
                Some(1) => "Certificate expires in 1 day".into(),
                Some(d) => format!("Certificate expires in {d} days"),
                None => "Certificate expiry approaching".into(),
            },
            EventKind::CertificateExpired => "Certificate expired".into(),
            EventKind::RenewalFailed => "Renewal failed".into(),
            EventKind::IssuanceFailed => "Issuance failed".into(),
            EventKind::DeploymentFailed => "Deployment failed".into(),
            EventKind::AgentOffline => "Agent offline".into(),
            EventKind::PolicyViolation => "Policy violation".into(),
            EventKind::Test => "Test notification".into(),
        }
    }

    /// The email subject: `[certctl] <title>: <common name>`.
    pub fn subject(&self) -> String {
        match &self.certificate {
            Some(c) => format!("[certctl] {}: {}", self.title(), c.common_name),
            None => format!("[certctl] {}", self.title()),
        }
    }

    /// Plain-text body: the sentence, then the facts, one per line.
    pub fn text_body(&self) -> String {
        let mut s = format!("{}\n\n", self.message);
        s.push_str(&format!("Event:       {}\n", self.event));
        s.push_str(&format!("Severity:    {}\n", self.severity));
        if let Some(c) = &self.certificate {
            s.push_str(&format!(
                "Certificate: {} ({})\nCommon name: {}\n",
                c.name, c.id, c.common_name
            ));
        }
        if let Some(d) = self.days_left {
            s.push_str(&format!("Days left:   {d}\n"));
        }
        if let Some(e) = self.expires_at {
            s.push_str(&format!("Expires at:  {e}\n"));
        }
        s.push_str(&format!("Occurred at: {}\n", self.occurred_at));
        if let Some(l) = &self.link {
            s.push_str(&format!("Link:        {l}\n"));
        }
        s
    }
}

/// A connector that sends messages to one channel.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// Sends one message. Failures are [`Error::Connector`]; `transient` ones are worth retrying.
    async fn send(&self, msg: &Message) -> Result<()>;
}

/// Shared by the connectors: the HTTP client, the bound on one send and the addresses sends
/// may reach ([`crate::net`]: internal ones only when allowed; redirects are not followed).
#[derive(Debug, Clone)]
pub struct NotifyContext {
    pub http: reqwest::Client,
    pub timeout: Duration,
    pub policy: AddressPolicy,
}

impl NotifyContext {
    /// A context whose sends give up after `timeout` and connect only where `policy` allows.
    pub fn new(timeout: Duration, policy: AddressPolicy) -> Result<Self> {
        let http = crate::net::http_client(&policy, reqwest::Client::builder())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("certctl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Connector {
                message: format!("building the HTTP client: {e}"),
                transient: false,
            })?;
        Ok(Self { http, timeout, policy })
    }
}

/// Checks a channel config (as the API receives it) without building anything.
pub fn validate(channel_type: ChannelType, config: &serde_json::Value) -> Result<()> {
    match channel_type {
        ChannelType::Email => EmailConfig::parse(config).map(|_| ()),
        ChannelType::Webhook => WebhookConfig::parse(config).map(|_| ()),
        ChannelType::Slack | ChannelType::Teams => ChatConfig::parse(config).map(|_| ()),
    }
}

/// The notifier of a channel.
pub fn build(
    channel_type: ChannelType,
    config: &serde_json::Value,
    ctx: &NotifyContext,
) -> Result<Arc<dyn Notifier>> {
    Ok(match channel_type {
        ChannelType::Email => {
            Arc::new(email::EmailNotifier::new(EmailConfig::parse(config)?, ctx.clone())?)
        }
        ChannelType::Webhook => {
            Arc::new(webhook::WebhookNotifier::new(WebhookConfig::parse(config)?, ctx.clone()))
        }
        ChannelType::Slack => Arc::new(chat::ChatNotifier::new(
            ChatConfig::parse(config)?,
            ctx.clone(),
            chat::Flavour::Slack,
        )),
        ChannelType::Teams => Arc::new(chat::ChatNotifier::new(
            ChatConfig::parse(config)?,
            ctx.clone(),
            chat::Flavour::Teams,
        )),
    })
}

/// Parses a config object into `T`, refusing unknown keys; errors name `config.<field>`.
fn parse_config<T: serde::de::DeserializeOwned>(config: &serde_json::Value) -> Result<T> {
    if !config.is_object() {
        return Err(Error::invalid("config", "must be a JSON object"));
    }
    serde_json::from_value(config.clone()).map_err(|e| Error::invalid("config", e.to_string()))
}

/// Checks an `http(s)://` URL field.
fn check_url(field: &str, url: &str) -> Result<reqwest::Url> {
    let u = reqwest::Url::parse(url)
        .map_err(|e| Error::invalid(field, format!("{url:?} is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(Error::invalid(field, "must be an http:// or https:// URL with a host"));
    }
    Ok(u)
}

/// Checks the destination of an HTTP send whose URL host is an address (names are checked by
/// the client's resolver when it connects); a refusal is a permanent connector error.
fn check_destination(what: &str, ctx: &NotifyContext, url: &str) -> Result<()> {
    match reqwest::Url::parse(url) {
        Ok(u) => ctx
            .policy
            .check_url(&u)
            .map_err(|r| Error::Connector { message: format!("{what}: {r}"), transient: false }),
        Err(_) => Err(Error::Connector {
            message: format!("{what}: the configured URL is not a URL"),
            transient: false,
        }),
    }
}

/// Maps an HTTP send result: 2xx is success, 408/429/5xx and transport errors are transient,
/// other statuses (redirects included: they are not followed) are permanent. The remote body is
/// never read into the message: a channel test or a delivery error shows only the status, so
/// a channel cannot be used to read what an internal service answers.
async fn http_result(
    what: &str,
    r: std::result::Result<reqwest::Response, reqwest::Error>,
) -> Result<()> {
    match r {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => {
            let status = resp.status();
            let transient =
                status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
            let note = if status.is_redirection() { " (redirects are not followed)" } else { "" };
            Err(Error::Connector { message: format!("{what} answered {status}{note}"), transient })
        }
        Err(e) => {
            if let Some(r) = crate::net::refusal(&e) {
                return Err(Error::Connector { message: format!("{what}: {r}"), transient: false });
            }
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "connection failed"
            } else {
                "request failed"
            };
            // the URL may carry a token (Slack, Teams): never put it in the message
            Err(Error::Connector {
                message: format!("{what}: {kind}: {}", e.without_url()),
                transient: true,
            })
        }
    }
}

#[cfg(test)]
mod tests;
