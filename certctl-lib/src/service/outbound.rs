//! Where user configs make the server connect: each destination (channel URL or SMTP host, ACME
//! directory, rfc2136 primary) is vetted against the SSRF guard ([`crate::net`]) when a config is
//! created or changed, and a stored secret stays only with the destination it was given for —
//! an update that changes the destination (host, port, URL, TLS settings) must give it again.

use serde_json::{Map, Value};

use super::Service;
use crate::error::{Error, Result};
use crate::issuer::acme::{AcmeConfig, DnsProvider};
use crate::model::{ChannelType, SECRET_CONFIG_KEYS};

/// Secret keys of issuer configs (stored sealed as `<key>_sealed`).
pub(super) const ISSUER_SECRET_KEYS: &[&str] = &["eab_hmac_key", "rfc2136_tsig_secret"];

/// One secret and what it belongs to: the keys that say where it is sent, and the key whose
/// presence says the new config still uses it.
struct Binding {
    secret: &'static str,
    destination: &'static [&'static str],
    used_when: &'static str,
}

const EMAIL: &[Binding] = &[Binding {
    secret: "password",
    destination: &["host", "port", "tls", "tls_ca_pem"],
    used_when: "username",
}];
const WEBHOOK: &[Binding] =
    &[Binding { secret: "secret", destination: &["url"], used_when: "url" }];
const ACME: &[Binding] = &[
    Binding {
        secret: "eab_hmac_key",
        destination: &["directory_url", "ca_cert"],
        used_when: "eab_kid",
    },
    Binding {
        secret: "rfc2136_tsig_secret",
        destination: &["rfc2136_server"],
        used_when: "rfc2136_server",
    },
];

fn channel_bindings(t: ChannelType) -> &'static [Binding] {
    match t {
        ChannelType::Email => EMAIL,
        ChannelType::Webhook => WEBHOOK,
        // the webhook URL is itself the secret and the destination: a new URL is a new secret
        ChannelType::Slack | ChannelType::Teams => &[],
    }
}

/// Carries the stored secrets of `old` (opened or sealed, `<key>` or `<key>_sealed`) into `new`
/// where `new` leaves them out, the destination is unchanged and the new config still uses them.
/// A destination that changed drops them: when the new config still needs one, the update is
/// refused naming the secret's field.
fn carry_secrets(
    bindings: &[Binding],
    all_secret_keys: &[&str],
    old: &Value,
    new: &mut Map<String, Value>,
) -> Result<()> {
    let Some(old) = old.as_object() else { return Ok(()) };
    for k in all_secret_keys {
        let sealed = format!("{k}_sealed");
        if new.contains_key(*k) {
            continue;
        }
        let stored: Vec<(String, Value)> = [(*k).to_owned(), sealed]
            .into_iter()
            .filter_map(|key| old.get(&key).map(|v| (key, v.clone())))
            .collect();
        if stored.is_empty() {
            continue;
        }
        let binding = bindings.iter().find(|b| b.secret == *k);
        let used = binding.is_none_or(|b| new.get(b.used_when).is_some_and(|v| !v.is_null()));
        if !used {
            continue;
        }
        let changed: Vec<&str> = binding
            .map(|b| b.destination.iter().copied().filter(|d| old.get(*d) != new.get(*d)).collect())
            .unwrap_or_default();
        if changed.is_empty() {
            new.extend(stored);
            continue;
        }
        return Err(Error::invalid(
            format!("config.{k}"),
            format!(
                "is required again when {} change{}: a stored {k} is never sent to a new destination",
                changed.join(", "),
                if changed.len() == 1 { "s" } else { "" }
            ),
        ));
    }
    Ok(())
}

/// Drops `<key>_sealed` values from a config the API received (only the server writes those: a
/// sealed value copied from another record must not come along).
pub(super) fn strip_sealed(config: &mut Value, keys: &[&str]) {
    if let Some(obj) = config.as_object_mut() {
        for k in keys {
            obj.remove(&format!("{k}_sealed"));
        }
    }
}

/// A channel update's config (`new`, as received) with the stored secrets it may keep.
pub(super) fn carry_channel_secrets(t: ChannelType, old: &Value, new: &mut Value) -> Result<()> {
    let obj =
        new.as_object_mut().ok_or_else(|| Error::invalid("config", "must be a JSON object"))?;
    carry_secrets(channel_bindings(t), SECRET_CONFIG_KEYS, old, obj)
}

/// An issuer update's config (`new`, as received, sealed values stripped) with the stored
/// secrets it may keep.
pub(super) fn carry_issuer_secrets(issuer_type: &str, old: &Value, new: &mut Value) -> Result<()> {
    let obj =
        new.as_object_mut().ok_or_else(|| Error::invalid("config", "must be a JSON object"))?;
    let bindings = if issuer_type == "acme" { ACME } else { &[] };
    carry_secrets(bindings, ISSUER_SECRET_KEYS, old, obj)
}

impl Service {
    /// Checks a channel's destination against the SSRF guard (422 naming the field).
    pub(super) async fn vet_channel(&self, t: ChannelType, config: &Value) -> Result<()> {
        let policy = &self.config().outbound;
        let s = |k: &str| config.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        match t {
            ChannelType::Webhook => policy.vet_url("config.url", &s("url")).await,
            ChannelType::Slack | ChannelType::Teams => {
                policy.vet_url("config.webhook_url", &s("webhook_url")).await
            }
            ChannelType::Email => {
                let port = config
                    .get("port")
                    .and_then(Value::as_u64)
                    .and_then(|p| u16::try_from(p).ok())
                    .unwrap_or(25);
                policy.vet("config.host", &s("host"), port).await
            }
        }
    }

    /// Checks an issuer's destinations (ACME directory, rfc2136 primary) against the SSRF guard.
    pub(super) async fn vet_issuer(&self, issuer_type: &str, config: &Value) -> Result<()> {
        if issuer_type != "acme" {
            return Ok(());
        }
        let cfg = AcmeConfig::parse(config)?;
        let policy = &self.config().outbound;
        policy.vet_url("config.directory_url", &cfg.directory_url).await?;
        if let Some(DnsProvider::Rfc2136(r)) = &cfg.dns {
            let (host, port) = r.host_port()?;
            policy.vet("config.rfc2136_server", &host, port).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn carry(t: ChannelType, old: Value, new: Value) -> Result<Value> {
        let mut new = new;
        carry_channel_secrets(t, &old, &mut new)?;
        Ok(new)
    }

    #[test]
    fn channel_secrets_follow_their_destination() {
        let old = json!({"host": "smtp.example.com", "port": 587, "tls": "starttls", "username": "u", "password_sealed": "v1:x", "from": "a@example.com"});
        // same destination: kept
        let kept = carry(ChannelType::Email, old.clone(), json!({"host": "smtp.example.com", "port": 587, "tls": "starttls", "username": "u", "from": "b@example.com"})).unwrap();
        assert_eq!(kept["password_sealed"], "v1:x");
        // each destination key drops it, and the update must give it again
        for (k, v) in [
            ("host", json!("evil.example.net")),
            ("port", json!(2525)),
            ("tls", json!("none")),
            ("tls_ca_pem", json!("PEM")),
        ] {
            let mut new = old.clone();
            new.as_object_mut().unwrap().remove("password_sealed");
            new[k] = v;
            let e = carry(ChannelType::Email, old.clone(), new.clone()).unwrap_err().to_string();
            assert!(
                e.starts_with("config.password: is required again when ") && e.contains(k),
                "{k}: {e}"
            );
            new["password"] = json!("new one");
            assert_eq!(carry(ChannelType::Email, old.clone(), new).unwrap()["password"], "new one");
        }
        // without a username the password is not used: dropped, no error
        let anon = carry(ChannelType::Email, old.clone(), json!({"host": "relay.example.net", "port": 25, "tls": "none", "from": "a@example.com"})).unwrap();
        assert!(anon.get("password_sealed").is_none() && anon.get("password").is_none(), "{anon}");
        // webhook: a new URL needs the secret again
        let old = json!({"url": "https://hooks.example.com/a", "secret_sealed": "v1:y"});
        assert_eq!(
            carry(ChannelType::Webhook, old.clone(), json!({"url": "https://hooks.example.com/a"}))
                .unwrap()["secret_sealed"],
            "v1:y"
        );
        let e =
            carry(ChannelType::Webhook, old.clone(), json!({"url": "https://evil.example.net/"}))
                .unwrap_err()
                .to_string();
        assert!(e.starts_with("config.secret: is required again when url changes"), "{e}");
        // chat: the URL is the secret; left out, it is kept
        let old = json!({"webhook_url_sealed": "v1:z"});
        assert_eq!(
            carry(ChannelType::Slack, old, json!({})).unwrap()["webhook_url_sealed"],
            "v1:z"
        );
    }

    #[test]
    fn issuer_secrets_follow_their_destination() {
        let old = json!({"directory_url": "https://ca.example.com/dir", "terms_accepted": true, "eab_kid": "k", "eab_hmac_key_sealed": "v1:e",
            "challenge": "dns-01", "dns_provider": "rfc2136", "rfc2136_server": "ns1.example.com", "rfc2136_tsig_key_name": "t", "rfc2136_tsig_secret_sealed": "v1:t"});
        let mut same = old.clone();
        strip_sealed(&mut same, ISSUER_SECRET_KEYS);
        assert!(same.get("eab_hmac_key_sealed").is_none());
        carry_issuer_secrets("acme", &old, &mut same).unwrap();
        assert_eq!(
            (same["eab_hmac_key_sealed"].as_str(), same["rfc2136_tsig_secret_sealed"].as_str()),
            (Some("v1:e"), Some("v1:t"))
        );
        let mut moved = same.clone();
        strip_sealed(&mut moved, ISSUER_SECRET_KEYS);
        moved["directory_url"] = json!("https://evil.example.net/dir");
        let e = carry_issuer_secrets("acme", &old, &mut moved.clone()).unwrap_err().to_string();
        assert!(
            e.starts_with("config.eab_hmac_key: is required again when directory_url changes"),
            "{e}"
        );
        moved["eab_hmac_key"] = json!("c2VjcmV0");
        moved["rfc2136_server"] = json!("ns.evil.example.net");
        let e = carry_issuer_secrets("acme", &old, &mut moved.clone()).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "config.rfc2136_tsig_secret: is required again when rfc2136_server changes"
            ),
            "{e}"
        );
        // EAB removed altogether: its key goes too
        let mut no_eab = same.clone();
        strip_sealed(&mut no_eab, ISSUER_SECRET_KEYS);
        no_eab.as_object_mut().unwrap().remove("eab_kid");
        carry_issuer_secrets("acme", &old, &mut no_eab).unwrap();
        assert!(
            no_eab.get("eab_hmac_key_sealed").is_none()
                && no_eab["rfc2136_tsig_secret_sealed"] == "v1:t",
            "{no_eab}"
        );
    }
}
