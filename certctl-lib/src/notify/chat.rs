//! `slack` and `teams`: incoming-webhook messages with the certificate, days left and a link.
//! The webhook URL carries the chat's credential, so it is write-only and never logged.

use serde::Deserialize;

use super::{
    Message, Notifier, NotifyContext, check_destination, check_url, http_result, parse_config,
};
use crate::config::Secret;
use crate::error::{Error, Result};

/// Config of a `slack` or `teams` channel: `{webhook_url}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatConfig {
    pub webhook_url: Secret,
}

impl ChatConfig {
    /// Parses and checks a channel config.
    pub fn parse(config: &serde_json::Value) -> Result<Self> {
        let c: ChatConfig = parse_config(config)?;
        // the message must not echo the URL (it is a secret): check without quoting it
        check_url("config.webhook_url", c.webhook_url.expose()).map_err(|_| {
            Error::invalid("config.webhook_url", "must be an http:// or https:// URL with a host")
        })?;
        Ok(c)
    }
}

/// Facts shown in chat messages, as (label, value).
fn facts(msg: &Message) -> Vec<(&'static str, String)> {
    let mut f = Vec::new();
    if let Some(c) = &msg.certificate {
        f.push(("Certificate", format!("{} ({})", c.common_name, c.id)));
    }
    if let Some(d) = msg.days_left {
        f.push(("Days left", d.to_string()));
    }
    if let Some(e) = msg.expires_at {
        f.push(("Expires at", e.to_string()));
    }
    f.push(("Severity", msg.severity.to_string()));
    f
}

/// A Slack incoming-webhook payload (`text` plus Block Kit sections).
pub fn slack_payload(msg: &Message) -> serde_json::Value {
    let mut fields: Vec<serde_json::Value> = facts(msg)
        .into_iter()
        .map(|(k, v)| serde_json::json!({"type": "mrkdwn", "text": format!("*{k}:*\n{v}")}))
        .collect();
    fields.truncate(10);
    let mut blocks = vec![
        serde_json::json!({"type": "header", "text": {"type": "plain_text", "text": msg.subject()}}),
        serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": msg.message}, "fields": fields}),
    ];
    if let Some(l) = &msg.link {
        blocks.push(serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("<{l}|View the certificate>")}}));
    }
    serde_json::json!({"text": format!("{}: {}", msg.subject(), msg.message), "blocks": blocks})
}

/// A Teams incoming-webhook (Workflows) payload: one Adaptive Card.
pub fn teams_payload(msg: &Message) -> serde_json::Value {
    let facts: Vec<serde_json::Value> =
        facts(msg).into_iter().map(|(k, v)| serde_json::json!({"title": k, "value": v})).collect();
    let mut card = serde_json::json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": msg.subject(), "wrap": true},
            {"type": "TextBlock", "text": msg.message, "wrap": true},
            {"type": "FactSet", "facts": facts},
        ],
    });
    if let Some(l) = &msg.link {
        card["actions"] = serde_json::json!([{"type": "Action.OpenUrl", "title": "View the certificate", "url": l}]);
    }
    serde_json::json!({
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": card}],
    })
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Flavour {
    Slack,
    Teams,
}

#[derive(Debug)]
pub(super) struct ChatNotifier {
    config: ChatConfig,
    ctx: NotifyContext,
    flavour: Flavour,
}

impl ChatNotifier {
    pub(super) fn new(config: ChatConfig, ctx: NotifyContext, flavour: Flavour) -> Self {
        Self { config, ctx, flavour }
    }
}

#[async_trait::async_trait]
impl Notifier for ChatNotifier {
    async fn send(&self, msg: &Message) -> Result<()> {
        let (what, body) = match self.flavour {
            Flavour::Slack => ("slack webhook", slack_payload(msg)),
            Flavour::Teams => ("teams webhook", teams_payload(msg)),
        };
        check_destination(what, &self.ctx, self.config.webhook_url.expose())?;
        let r = self.ctx.http.post(self.config.webhook_url.expose()).json(&body).send().await;
        http_result(what, r).await
    }
}
