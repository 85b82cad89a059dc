//! Request bodies of `/notification-channels`.

use serde::{Deserialize, Serialize};

/// Body of `POST /notification-channels` and `PUT /notification-channels/{id}`:
/// `{id?, name, type, config, enabled, events?, min_severity?}`. On update, omitted fields keep
/// their value, and secret config keys (`password`, `secret`, `webhook_url`) left out of a new
/// config keep the stored secret.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ChannelInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `email`, `webhook`, `slack` or `teams`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<String>,
    /// email `{host, port, tls: none|starttls|tls, username?, password?, from, to: [], tls_ca_pem?}`,
    /// webhook `{url, secret}`, slack/teams `{webhook_url}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Event kinds to receive (`expiry_threshold`, `renewal_failed`, ...); empty: all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// `info` (default), `warning` or `critical`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<String>,
}
