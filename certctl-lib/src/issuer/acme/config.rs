//! An `acme` issuer's config: parsed and checked, errors naming the field (`config.email`).

use base64::Engine;
use serde::Deserialize;

use super::{AcmeHttp, DnsProvider, hooks, rfc2136};
use crate::error::{Error, Result};

/// Let's Encrypt production, as `directory_url: letsencrypt`.
pub const LETSENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt staging, as `directory_url: letsencrypt-staging`.
pub const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// Why `dns_hook_command` is refused (in new configs, and in stored ones at run time).
pub const DNS_HOOK_COMMAND_REFUSED: &str = "is no longer accepted: DNS hooks are defined in the server's config (CERTCTL_ACME_DNS_HOOKS, or [acme.dns_hooks.NAME] in its config file) and an issuer names one with \"dns_hook\": \"NAME\"; a stored argv is never run";

/// Default wait after the DNS-01 records are added.
pub const DEFAULT_DNS_PROPAGATION_SECONDS: u64 = 10;

/// Which challenge proves control of the names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    Http01,
    Dns01,
}

/// Who answers HTTP-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Http01Mode {
    /// The control plane, on `/.well-known/acme-challenge/{token}` of its own listener.
    Server,
    /// The agent that holds the key (built-in responder or a webroot).
    Agent,
}

/// An `acme` issuer's config.
#[derive(Clone, PartialEq, Eq)]
pub struct AcmeConfig {
    pub directory_url: String,
    pub email: Option<String>,
    pub terms_accepted: bool,
    pub eab_kid: Option<String>,
    /// The EAB HMAC key (base64url), or its sealed form (`eab_hmac_key_sealed`) once stored.
    pub eab_hmac_key: Option<String>,
    pub eab_hmac_key_sealed: Option<String>,
    pub ca_cert: Option<String>,
    pub challenge: Challenge,
    pub http01_mode: Http01Mode,
    /// The DNS-01 provider (`None` with HTTP-01).
    pub dns: Option<DnsProvider>,
    pub dns_propagation_seconds: u64,
}

impl std::fmt::Debug for AcmeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcmeConfig")
            .field("directory_url", &self.directory_url)
            .field("email", &self.email)
            .field("eab_kid", &self.eab_kid)
            .field("eab_hmac_key", &self.eab_hmac_key.as_ref().map(|_| "<redacted>"))
            .field("challenge", &self.challenge)
            .field("http01_mode", &self.http01_mode)
            .field("dns", &self.dns)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    directory_url: Option<String>,
    email: Option<String>,
    #[serde(default)]
    terms_accepted: bool,
    eab_kid: Option<String>,
    eab_hmac_key: Option<String>,
    eab_hmac_key_sealed: Option<String>,
    ca_cert: Option<String>,
    challenge: Option<String>,
    http01_mode: Option<String>,
    dns_provider: Option<String>,
    dns_hook: Option<String>,
    /// No longer accepted (hooks are named in server config); kept here to refuse it clearly,
    /// at the API and when a stored issuer still carries it.
    dns_hook_command: Option<serde_json::Value>,
    dns_propagation_seconds: Option<i64>,
    rfc2136_server: Option<String>,
    rfc2136_tsig_key_name: Option<String>,
    rfc2136_tsig_algorithm: Option<String>,
    rfc2136_tsig_secret: Option<String>,
    rfc2136_tsig_secret_sealed: Option<String>,
    rfc2136_zone: Option<String>,
    rfc2136_ttl: Option<i64>,
}

impl AcmeConfig {
    /// Parses and checks an issuer config; errors name the field (`config.email`).
    pub fn parse(config: &serde_json::Value) -> Result<Self> {
        let raw: RawConfig = serde_json::from_value(config.clone())
            .map_err(|e| Error::invalid("config", e.to_string()))?;
        let directory_url = match raw.directory_url.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(Error::invalid(
                    "config.directory_url",
                    "is required (a URL, or letsencrypt / letsencrypt-staging)",
                ));
            }
            Some("letsencrypt") => LETSENCRYPT.to_owned(),
            Some("letsencrypt-staging") => LETSENCRYPT_STAGING.to_owned(),
            Some(u)
                if u.starts_with("https://") && u.len() > 8 && !u.contains(char::is_whitespace) =>
            {
                u.to_owned()
            }
            Some(u) => {
                return Err(Error::invalid(
                    "config.directory_url",
                    format!("{u:?} must be an https:// URL, letsencrypt or letsencrypt-staging"),
                ));
            }
        };
        if !raw.terms_accepted {
            return Err(Error::invalid(
                "config.terms_accepted",
                "must be true: the CA's terms of service have to be accepted to create an account",
            ));
        }
        if let Some(e) = &raw.email
            && (e.len() > 254
                || !e.contains('@')
                || e.contains(char::is_whitespace)
                || e.starts_with('@')
                || e.ends_with('@'))
        {
            return Err(Error::invalid("config.email", format!("{e:?} is not an email address")));
        }
        match (&raw.eab_kid, raw.eab_hmac_key.is_some() || raw.eab_hmac_key_sealed.is_some()) {
            (Some(k), true) if !k.is_empty() => {}
            (None, false) => {}
            _ => {
                return Err(Error::invalid(
                    "config.eab_kid",
                    "eab_kid and eab_hmac_key go together",
                ));
            }
        }
        if let Some(k) = &raw.eab_hmac_key {
            decode_b64url(k)
                .map_err(|_| Error::invalid("config.eab_hmac_key", "must be base64url"))?;
        }
        if let Some(pem) = &raw.ca_cert {
            AcmeHttp::new(Some(pem), &crate::net::AddressPolicy::strict())?;
        }
        let challenge = match raw.challenge.as_deref().unwrap_or("http-01") {
            "http-01" => Challenge::Http01,
            "dns-01" => Challenge::Dns01,
            other => {
                return Err(Error::invalid(
                    "config.challenge",
                    format!("{other:?} is not http-01 or dns-01"),
                ));
            }
        };
        let http01_mode = match raw.http01_mode.as_deref().unwrap_or("server") {
            "server" => Http01Mode::Server,
            "agent" => Http01Mode::Agent,
            other => {
                return Err(Error::invalid(
                    "config.http01_mode",
                    format!("{other:?} is not server or agent"),
                ));
            }
        };
        let rfc = rfc2136::RawRfc2136 {
            server: raw.rfc2136_server,
            key_name: raw.rfc2136_tsig_key_name,
            algorithm: raw.rfc2136_tsig_algorithm,
            secret: raw.rfc2136_tsig_secret,
            secret_sealed: raw.rfc2136_tsig_secret_sealed,
            zone: raw.rfc2136_zone,
            ttl: raw.rfc2136_ttl,
        };
        if raw.dns_hook_command.is_some() {
            return Err(Error::invalid("config.dns_hook_command", DNS_HOOK_COMMAND_REFUSED));
        }
        let dns = if challenge == Challenge::Dns01 {
            match raw.dns_provider.as_deref() {
                Some("hook") => {
                    if rfc.any() {
                        return Err(Error::invalid(
                            "config.dns_provider",
                            "rfc2136_* keys need dns_provider rfc2136",
                        ));
                    }
                    let name = raw.dns_hook.ok_or_else(|| Error::invalid("config.dns_hook", "is required with dns_provider hook: the name of a hook defined in the server's config (CERTCTL_ACME_DNS_HOOKS)"))?;
                    hooks::check_name("config.dns_hook", &name)?;
                    Some(DnsProvider::Hook(name))
                }
                Some("rfc2136") => {
                    if raw.dns_hook.is_some() {
                        return Err(Error::invalid(
                            "config.dns_hook",
                            "is for dns_provider hook, not rfc2136",
                        ));
                    }
                    Some(DnsProvider::Rfc2136(rfc2136::Rfc2136Config::parse(rfc)?))
                }
                Some(other) => {
                    return Err(Error::invalid(
                        "config.dns_provider",
                        format!("{other:?} is not supported; available: hook, rfc2136"),
                    ));
                }
                None => {
                    return Err(Error::invalid(
                        "config.dns_provider",
                        "is required with challenge dns-01 (hook or rfc2136)",
                    ));
                }
            }
        } else {
            None
        };
        let dns_propagation_seconds = match raw.dns_propagation_seconds {
            None => DEFAULT_DNS_PROPAGATION_SECONDS,
            Some(n) if (0..=3600).contains(&n) => n as u64,
            Some(n) => {
                return Err(Error::invalid(
                    "config.dns_propagation_seconds",
                    format!("{n} must be between 0 and 3600"),
                ));
            }
        };
        Ok(Self {
            directory_url,
            email: raw.email,
            terms_accepted: raw.terms_accepted,
            eab_kid: raw.eab_kid,
            eab_hmac_key: raw.eab_hmac_key,
            eab_hmac_key_sealed: raw.eab_hmac_key_sealed,
            ca_cert: raw.ca_cert,
            challenge,
            http01_mode,
            dns,
            dns_propagation_seconds,
        })
    }
}

pub(super) fn decode_b64url(s: &str) -> std::result::Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim().trim_end_matches('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn configs() {
        let c = AcmeConfig::parse(&json!({"directory_url": "letsencrypt-staging", "terms_accepted": true, "email": "ops@example.com"})).unwrap();
        assert_eq!(
            (c.directory_url.as_str(), c.challenge, c.http01_mode),
            (LETSENCRYPT_STAGING, Challenge::Http01, Http01Mode::Server)
        );
        let err = |v| AcmeConfig::parse(&v).unwrap_err().to_string();
        assert!(err(json!({"terms_accepted": true})).starts_with("config.directory_url:"));
        assert!(
            err(json!({"directory_url": "http://x/dir", "terms_accepted": true}))
                .starts_with("config.directory_url:")
        );
        assert!(err(json!({"directory_url": "letsencrypt"})).starts_with("config.terms_accepted:"));
        assert!(
            err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "email": "nope"}))
                .starts_with("config.email:")
        );
        assert!(
            err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "eab_kid": "k"}))
                .starts_with("config.eab_kid:")
        );
        assert!(err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "challenge": "tls-alpn-01"})).starts_with("config.challenge:"));
        assert!(err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "hook"})).starts_with("config.dns_hook:"));
        assert!(err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "hook", "dns_hook": "Bad Name"})).starts_with("config.dns_hook:"));
        // an argv in the issuer config is refused, whatever the provider or challenge
        for extra in [
            json!({"challenge": "dns-01", "dns_provider": "hook", "dns_hook_command": ["/bin/sh", "-c", "id"]}),
            json!({"dns_hook_command": ["/bin/true"]}),
        ] {
            let mut c = json!({"directory_url": "letsencrypt", "terms_accepted": true});
            c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let e = err(c);
            assert!(
                e.starts_with("config.dns_hook_command:") && e.contains("CERTCTL_ACME_DNS_HOOKS"),
                "{e}"
            );
        }
        assert!(err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "ca_cert": "not pem"})).starts_with("config.ca_cert:"));
        assert!(
            err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "surprise": 1}))
                .starts_with("config:")
        );
        let d = AcmeConfig::parse(&json!({"directory_url": "letsencrypt", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "hook", "dns_hook": "zone-a", "dns_propagation_seconds": 0})).unwrap();
        assert_eq!(
            (d.dns, d.dns_propagation_seconds),
            (Some(DnsProvider::Hook("zone-a".into())), 0)
        );
        let e = AcmeConfig::parse(&json!({"directory_url": "letsencrypt", "terms_accepted": true, "eab_kid": "kid", "eab_hmac_key": "c2VjcmV0LWhtYWMta2V5"})).unwrap();
        assert!(!format!("{e:?}").contains("c2VjcmV0"));
        assert!(err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "route53"})).contains("available: hook, rfc2136"));
        assert!(err(json!({"directory_url": "letsencrypt", "terms_accepted": true, "challenge": "dns-01", "dns_propagation_seconds": 3601, "dns_provider": "hook", "dns_hook": "a"})).starts_with("config.dns_propagation_seconds:"));
    }

    /// The rfc2136 provider's keys: required ones named when missing, the algorithm and the
    /// secret checked, the secret redacted in Debug.
    #[test]
    fn rfc2136_configs() {
        let secret = "c2VjcmV0LXRzaWcta2V5LWJ5dGVz";
        let base = json!({"directory_url": "letsencrypt", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "rfc2136",
            "rfc2136_server": "ns1.example.test", "rfc2136_tsig_key_name": "certctl", "rfc2136_tsig_secret": secret});
        let c = AcmeConfig::parse(&base).unwrap();
        let Some(DnsProvider::Rfc2136(r)) = &c.dns else { panic!("{c:?}") };
        assert_eq!(
            (r.server.as_str(), r.algorithm.as_str(), r.ttl, r.zone.as_deref()),
            ("ns1.example.test", "hmac-sha256", 60, None)
        );
        assert!(!format!("{c:?}").contains(secret), "{c:?}");
        let with = |k: &str, v: serde_json::Value| {
            let mut b = base.clone();
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v;
            }
            AcmeConfig::parse(&b).map(drop).map_err(|e| e.to_string())
        };
        for (k, v, field) in [
            ("rfc2136_server", serde_json::Value::Null, "config.rfc2136_server:"),
            ("rfc2136_server", json!("ns1.example.test:0"), "config.rfc2136_server:"),
            ("rfc2136_tsig_key_name", serde_json::Value::Null, "config.rfc2136_tsig_key_name:"),
            ("rfc2136_tsig_secret", serde_json::Value::Null, "config.rfc2136_tsig_secret:"),
            ("rfc2136_tsig_secret", json!("%%% not base64"), "config.rfc2136_tsig_secret:"),
            ("rfc2136_tsig_algorithm", json!("hmac-md5"), "config.rfc2136_tsig_algorithm:"),
            ("rfc2136_tsig_algorithm", json!("hmac-sha1"), "config.rfc2136_tsig_algorithm:"),
            ("rfc2136_ttl", json!(-5), "config.rfc2136_ttl:"),
            ("rfc2136_zone", json!("two words"), "config.rfc2136_zone:"),
            ("dns_hook_command", json!(["/bin/true"]), "config.dns_hook_command:"),
            ("dns_hook", json!("a"), "config.dns_hook:"),
            ("rfc2136_ttl", json!("60"), "config:"),
        ] {
            let e = with(k, v.clone()).unwrap_err();
            assert!(e.starts_with(field), "{k}={v}: {e}");
            assert!(!e.contains(secret), "{e}");
        }
        with("rfc2136_tsig_algorithm", json!("hmac-sha512")).unwrap();
        with("rfc2136_server", json!("127.0.0.1:8153")).unwrap();
        with("rfc2136_zone", json!("example.test.")).unwrap();
        // stored sealed: the sealed form stands in for the secret
        let mut sealed = base.clone();
        sealed.as_object_mut().unwrap().remove("rfc2136_tsig_secret");
        sealed["rfc2136_tsig_secret_sealed"] = json!("v1:opaque");
        AcmeConfig::parse(&sealed).unwrap();
        // rfc2136 keys with the hook provider are a mistake
        let mut hook = base.clone();
        hook["dns_provider"] = json!("hook");
        hook["dns_hook"] = json!("a");
        assert!(
            AcmeConfig::parse(&hook).unwrap_err().to_string().starts_with("config.dns_provider:")
        );
    }
}
