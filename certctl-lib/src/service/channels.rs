//! Notification channels: create, update (secrets kept unless replaced or their destination
//! changes), delete, test. Secret config keys (`password`, `secret`, `webhook_url`) are stored
//! sealed (`<key>_sealed`, AES-GCM with the server's key store) and opened only to validate and
//! to send; destinations go through the SSRF guard (`outbound`).

use super::validate::{new_id, required, text};
use super::{Actor, Service, outbound};
use crate::api::{ChannelInput, TestResult};
use crate::error::{Error, Result};
use crate::model::*;
use crate::notify::{self, Message};

fn parse_type(s: &str) -> Result<ChannelType> {
    s.parse().map_err(|e: String| Error::invalid("type", e))
}

fn parse_events(v: &[String]) -> Result<Vec<EventKind>> {
    let mut out = Vec::new();
    for (i, s) in v.iter().enumerate() {
        let k: EventKind =
            s.parse().map_err(|e: String| Error::invalid(format!("events[{i}]"), e))?;
        if k == EventKind::Test {
            return Err(Error::invalid(
                format!("events[{i}]"),
                "\"test\" is not an event a channel can subscribe to",
            ));
        }
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

/// A config from the API: `<key>_set` markers (echoed from a GET) are dropped, and so are
/// `<key>_sealed` values (only the server writes those).
fn incoming_config(c: &serde_json::Value) -> Result<serde_json::Value> {
    let mut c = c.clone();
    let obj = c.as_object_mut().ok_or_else(|| Error::invalid("config", "must be a JSON object"))?;
    for k in SECRET_CONFIG_KEYS {
        obj.remove(&format!("{k}_set"));
        obj.remove(&sealed_key(k));
    }
    Ok(c)
}

fn sealed_key(k: &str) -> String {
    format!("{k}_sealed")
}

impl Service {
    /// The config with its secrets opened, to validate it or to send through it. A config
    /// stored before secrets were sealed holds them in the clear and is taken as it is.
    pub(super) fn open_channel_config(
        &self,
        config: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let mut config = config.clone();
        if let Some(obj) = config.as_object_mut() {
            for k in SECRET_CONFIG_KEYS {
                if let Some(serde_json::Value::String(sealed)) = obj.remove(&sealed_key(k)) {
                    let plain =
                        String::from_utf8(self.keystore()?.open(&sealed)?).map_err(|_| {
                            Error::Storage(format!(
                                "the sealed {k} of a notification channel is not UTF-8"
                            ))
                        })?;
                    obj.insert((*k).to_owned(), plain.into());
                }
            }
        }
        Ok(config)
    }

    /// Seals the secrets of channels stored in the clear (by a version before they were sealed);
    /// run once at start. Returns how many channels it sealed.
    pub async fn seal_stored_channel_secrets(&self) -> Result<usize> {
        let mut sealed = 0;
        let mut page = 1;
        loop {
            let p = self.store().list_channels(PageRequest::new(page, MAX_PER_PAGE)).await?;
            let n = p.data.len();
            for mut c in p.data {
                if !SECRET_CONFIG_KEYS
                    .iter()
                    .any(|k| c.config.get(*k).is_some_and(serde_json::Value::is_string))
                {
                    continue;
                }
                self.seal_config_secrets(&mut c.config, SECRET_CONFIG_KEYS)?;
                let audit = Actor::system().audit(
                    "notification_channel_secrets_sealed",
                    "notification_channel",
                    c.id.as_str(),
                );
                self.store().update_channel(&c, &audit).await?;
                sealed += 1;
            }
            if n < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        Ok(sealed)
    }

    pub async fn create_channel(
        &self,
        actor: &Actor,
        input: &ChannelInput,
    ) -> Result<NotificationChannel> {
        actor.require(&super::Access::Write)?;
        let now = Timestamp::now();
        let channel_type = parse_type(&required("type", input.channel_type.as_deref())?)?;
        let mut config = incoming_config(
            input.config.as_ref().ok_or_else(|| Error::invalid("config", "is required"))?,
        )?;
        notify::validate(channel_type, &config)?;
        self.vet_channel(channel_type, &config).await?;
        self.seal_config_secrets(&mut config, SECRET_CONFIG_KEYS)?;
        let c = NotificationChannel {
            id: new_id(input.id.as_deref(), ChannelId::parse, ChannelId::generate)?,
            name: text("name", &required("name", input.name.as_deref())?, 200)?,
            channel_type,
            config,
            events: parse_events(input.events.as_deref().unwrap_or_default())?,
            min_severity: match &input.min_severity {
                Some(s) => s.parse().map_err(|e: String| Error::invalid("min_severity", e))?,
                None => NotifySeverity::Info,
            },
            enabled: input.enabled.unwrap_or(true),
            created_at: now,
            updated_at: now,
        };
        let audit = actor
            .audit("notification_channel_created", "notification_channel", c.id.as_str())
            .with_details(serde_json::json!({"type": c.channel_type, "name": c.name}));
        self.store().create_channel(&c, &audit).await
    }

    pub async fn update_channel(
        &self,
        actor: &Actor,
        id: &ChannelId,
        input: &ChannelInput,
    ) -> Result<NotificationChannel> {
        actor.require(&super::Access::Write)?;
        let mut c = self.store().get_channel(id).await?;
        c.config = self.open_channel_config(&c.config)?;
        let mut changed = Vec::new();
        if let Some(n) = &input.name {
            c.name = text("name", n, 200)?;
            changed.push("name");
        }
        let old_type = c.channel_type;
        if let Some(t) = &input.channel_type {
            c.channel_type = parse_type(t)?;
            changed.push("type");
        }
        if let Some(cfg) = &input.config {
            let mut cfg = incoming_config(cfg)?;
            // secrets left out keep their stored value (they are never shown, so never echoed),
            // as long as the destination they were given for stays the same
            if c.channel_type == old_type {
                outbound::carry_channel_secrets(c.channel_type, &c.config, &mut cfg)?;
            }
            c.config = cfg;
            changed.push("config");
        }
        if let Some(e) = &input.events {
            c.events = parse_events(e)?;
            changed.push("events");
        }
        if let Some(s) = &input.min_severity {
            c.min_severity = s.parse().map_err(|e: String| Error::invalid("min_severity", e))?;
            changed.push("min_severity");
        }
        if let Some(e) = input.enabled {
            c.enabled = e;
            changed.push("enabled");
        }
        notify::validate(c.channel_type, &c.config)?;
        if changed.contains(&"config") || changed.contains(&"type") {
            self.vet_channel(c.channel_type, &c.config).await?;
        }
        self.seal_config_secrets(&mut c.config, SECRET_CONFIG_KEYS)?;
        c.updated_at = Timestamp::now();
        let audit = actor
            .audit("notification_channel_updated", "notification_channel", id.as_str())
            .with_details(serde_json::json!({"changed": changed}));
        self.store().update_channel(&c, &audit).await
    }

    /// Deletes a channel no renewal policy routes to (409 names the policies that do).
    /// Its undelivered events go Dead at the next pass ("channel deleted").
    pub async fn delete_channel(&self, actor: &Actor, id: &ChannelId) -> Result<()> {
        actor.require(&super::Access::Write)?;
        self.store().get_channel(id).await?;
        let mut users = Vec::new();
        let mut page = 1;
        loop {
            let p =
                self.store().list_renewal_policies(PageRequest::new(page, MAX_PER_PAGE)).await?;
            let n = p.data.len();
            users.extend(
                p.data
                    .into_iter()
                    .filter(|rp| rp.notification_channel_ids.contains(id))
                    .map(|rp| rp.id.to_string()),
            );
            if n < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        if !users.is_empty() {
            return Err(Error::Conflict(format!(
                "notification channel {id} is used by renewal policies {}: remove it from them first",
                users.join(", ")
            )));
        }
        self.store()
            .delete_channel(
                id,
                &actor.audit("notification_channel_deleted", "notification_channel", id.as_str()),
            )
            .await
    }

    /// Sends a test message through the channel now (email: to its `to` list only).
    pub async fn test_channel(&self, actor: &Actor, id: &ChannelId) -> Result<TestResult> {
        actor.require(&super::Access::Write)?;
        let c = self.store().get_channel(id).await?;
        let notifier = match notify::build(
            c.channel_type,
            &self.open_channel_config(&c.config)?,
            self.notify_context()?,
        ) {
            Ok(n) => n,
            Err(e) => {
                return Ok(TestResult { ok: false, message: e.to_string() });
            }
        };
        let now = Timestamp::now();
        let msg = Message {
            notification_id: None,
            event: EventKind::Test,
            severity: NotifySeverity::Info,
            certificate: None,
            days_left: None,
            expires_at: None,
            message: format!(
                "Test notification from certctl for channel {} ({}), sent by {}.",
                c.name, c.id, actor.name
            ),
            occurred_at: now,
            link: None,
            recipient: None,
        };
        let timeout = self.config().notify.send_timeout;
        let result = match tokio::time::timeout(timeout, notifier.send(&msg)).await {
            Ok(Ok(())) => TestResult {
                ok: true,
                message: format!("sent a test message through {} channel {}", c.channel_type, c.id),
            },
            Ok(Err(e)) => TestResult { ok: false, message: e.to_string() },
            Err(_) => {
                TestResult { ok: false, message: format!("timed out after {}s", timeout.as_secs()) }
            }
        };
        self.store()
            .append_audit(
                &actor
                    .audit("notification_channel_tested", "notification_channel", id.as_str())
                    .with_details(serde_json::json!({"ok": result.ok})),
            )
            .await?;
        Ok(result)
    }
}
