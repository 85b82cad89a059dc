//! The ACME issuer (RFC 8555: Let's Encrypt, ZeroSSL, pebble, any ACME CA) through instant-acme:
//! its config, the account, problem classification, DNS-01 hooks. Orders are driven by the
//! service's job engine (`service/acme.rs`), which persists them so a restart resumes them.

use std::time::SystemTime;

use async_trait::async_trait;
use base64::Engine;
use instant_acme::{Account, AccountCredentials, ExternalAccountKey, NewAccount};
use serde::Deserialize;

use super::{IssueRequest, IssuerConnector, RevokeRequest};
use crate::error::{Error, Result};

pub mod dns;
pub mod hooks;
pub mod http;
pub mod rfc2136;

pub use dns::{DnsProvider, DnsUpdater};
pub use hooks::DnsHooks;
pub use http::{AcmeHttp, RetryAfter, bad_nonces_seen};

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

fn decode_b64url(s: &str) -> std::result::Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim().trim_end_matches('='))
}

/// A CA failure classified for the job engine.
#[derive(Debug, Clone)]
pub struct AcmeFailure {
    /// The CA's problem type and detail, or what failed on the way.
    pub message: String,
    pub transient: bool,
    /// When the CA asked us to come back.
    pub retry_after: Option<SystemTime>,
}

impl AcmeFailure {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { message: message.into(), transient: false, retry_after: None }
    }
    pub fn transient(message: impl Into<String>) -> Self {
        Self { message: message.into(), transient: true, retry_after: None }
    }
    /// As the crate's error.
    pub fn to_error(&self) -> Error {
        Error::Connector { message: self.message.clone(), transient: self.transient }
    }
}

impl From<Error> for AcmeFailure {
    fn from(e: Error) -> Self {
        let transient = matches!(e, Error::Connector { transient: true, .. } | Error::Storage(_));
        Self { message: e.to_string(), transient, retry_after: None }
    }
}

/// Problem types that retrying cannot fix.
const PERMANENT: &[&str] = &[
    "rejectedIdentifier",
    "unauthorized",
    "malformed",
    "caa",
    "badCSR",
    "unsupportedIdentifier",
    "invalidContact",
    "unsupportedContact",
    "externalAccountRequired",
    "accountDoesNotExist",
    "badRevocationReason",
    "alreadyRevoked",
    "incorrectResponse",
    "dns",
    "connection",
    "tls",
    "compound",
    "orderNotReady",
    "badSignatureAlgorithm",
    "userActionRequired",
];

/// A problem document as `type: detail` (subproblems appended).
pub fn describe_problem(p: &instant_acme::Problem) -> String {
    let mut s = match (&p.r#type, &p.detail) {
        (Some(t), Some(d)) => format!("{t}: {d}"),
        (Some(t), None) => t.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => "the CA returned an empty problem".to_owned(),
    };
    for sp in &p.subproblems {
        s.push_str(&format!(
            "; {}: {}",
            sp.r#type.as_deref().unwrap_or("?"),
            sp.detail.as_deref().unwrap_or("")
        ));
    }
    s
}

/// Classifies an instant-acme error: the problem types in `PERMANENT` fail the job; badNonce
/// (already retried inline by instant-acme), rateLimited, serverInternal and transport errors
/// are transient, with the CA's `Retry-After` when it sent one.
pub fn classify(e: &instant_acme::Error, retry_after: Option<SystemTime>) -> AcmeFailure {
    match e {
        instant_acme::Error::Api(p) => {
            let kind = p.r#type.as_deref().and_then(|t| t.rsplit(':').next()).unwrap_or("");
            let transient = !PERMANENT.contains(&kind)
                && (matches!(kind, "badNonce" | "rateLimited" | "serverInternal")
                    || p.status.is_some_and(|s| s >= 500)
                    || kind.is_empty());
            AcmeFailure {
                message: describe_problem(p),
                transient,
                retry_after: if transient { retry_after } else { None },
            }
        }
        instant_acme::Error::Crypto
        | instant_acme::Error::KeyRejected
        | instant_acme::Error::Unsupported(_) => AcmeFailure::permanent(format!("ACME: {e}")),
        instant_acme::Error::Other(inner) if crate::net::refusal(&**inner).is_some() => {
            AcmeFailure::permanent(format!(
                "ACME: {}",
                crate::net::refusal(&**inner).map(|r| r.to_string()).unwrap_or_default()
            ))
        }
        // serde's message can quote the body; say only that it is not what ACME expects
        instant_acme::Error::Json(_) => AcmeFailure {
            message: "ACME CA answered badly: the answer is not the JSON that ACME expects".into(),
            transient: true,
            retry_after,
        },
        other => AcmeFailure {
            message: format!("ACME CA unreachable or answered badly: {other}"),
            transient: true,
            retry_after,
        },
    }
}

/// Creates an account on the CA (EAB when configured); `eab_key` is the decoded HMAC key.
pub async fn create_account(
    cfg: &AcmeConfig,
    http: &AcmeHttp,
    eab_hmac_key: Option<&str>,
) -> std::result::Result<(Account, AccountCredentials), AcmeFailure> {
    let contact: Vec<String> = cfg.email.iter().map(|e| format!("mailto:{e}")).collect();
    let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
    let eab = match (&cfg.eab_kid, eab_hmac_key) {
        (Some(kid), Some(key)) => {
            let bytes = decode_b64url(key)
                .map_err(|_| AcmeFailure::permanent("config.eab_hmac_key: must be base64url"))?;
            Some(ExternalAccountKey::new(kid.clone(), &bytes))
        }
        _ => None,
    };
    let new = NewAccount {
        contact: &contact,
        terms_of_service_agreed: cfg.terms_accepted,
        only_return_existing: false,
    };
    Account::builder_with_http(Box::new(http.clone()))
        .create(&new, cfg.directory_url.clone(), eab.as_ref())
        .await
        .map_err(|e| classify(&e, http.retry_after().take()))
}

/// Restores an account from its stored credentials (JSON).
pub async fn load_account(
    http: &AcmeHttp,
    credentials_json: &[u8],
) -> std::result::Result<Account, AcmeFailure> {
    let creds: AccountCredentials = serde_json::from_slice(credentials_json)
        .map_err(|e| AcmeFailure::permanent(format!("stored ACME account is unreadable: {e}")))?;
    Account::builder_with_http(Box::new(http.clone()))
        .from_credentials(creds)
        .await
        .map_err(|e| classify(&e, http.retry_after().take()))
}

/// RFC 5280 reason name → ACME revocation reason.
pub fn revocation_reason(name: &str) -> instant_acme::RevocationReason {
    use instant_acme::RevocationReason as R;
    match name {
        "keyCompromise" => R::KeyCompromise,
        "cACompromise" => R::CaCompromise,
        "affiliationChanged" => R::AffiliationChanged,
        "superseded" => R::Superseded,
        "cessationOfOperation" => R::CessationOfOperation,
        "certificateHold" => R::CertificateHold,
        "removeFromCRL" => R::RemoveFromCrl,
        "privilegeWithdrawn" => R::PrivilegeWithdrawn,
        "aACompromise" => R::AaCompromise,
        _ => R::Unspecified,
    }
}

/// The ACME connector in the issuer registry. Issuing needs an account, the HTTP-01/DNS-01
/// responders and the job's persisted order, so the service's order driver does it
/// (`Service::start_acme_order`); this connector validates configs.
#[derive(Debug, Clone, Default)]
pub struct AcmeIssuer;

#[async_trait]
impl IssuerConnector for AcmeIssuer {
    fn issuer_type(&self) -> &'static str {
        "acme"
    }

    fn validate_config(&self, config: &serde_json::Value) -> Result<()> {
        AcmeConfig::parse(config).map(drop)
    }

    fn ordered(&self) -> bool {
        true
    }

    async fn issue(&self, _: &IssueRequest<'_>) -> Result<String> {
        Err(Error::Connector {
            message: "ACME orders run through the job engine's order driver".into(),
            transient: false,
        })
    }

    async fn revoke(&self, _: &RevokeRequest<'_>) -> Result<()> {
        Err(Error::Connector {
            message: "ACME revocation runs through the service (it needs the issuer's account)"
                .into(),
            transient: false,
        })
    }

    fn ca_pem(&self, config: &serde_json::Value) -> Option<String> {
        AcmeConfig::parse(config).ok().and_then(|c| c.ca_cert)
    }
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

    #[test]
    fn problems_are_classified() {
        let p = |t: &str, status| {
            instant_acme::Error::Api(serde_json::from_value(json!({"type": format!("urn:ietf:params:acme:error:{t}"), "detail": "d", "status": status})).unwrap())
        };
        for t in ["rejectedIdentifier", "unauthorized", "malformed", "caa", "badCSR"] {
            let f = classify(&p(t, 400), None);
            assert!(!f.transient, "{t}");
            assert_eq!(f.message, format!("urn:ietf:params:acme:error:{t}: d"));
        }
        let at = SystemTime::now();
        for t in ["badNonce", "rateLimited", "serverInternal"] {
            let f = classify(&p(t, 429), Some(at));
            assert!(f.transient && f.retry_after == Some(at), "{t}");
        }
        assert!(classify(&instant_acme::Error::Str("x"), None).transient);
    }
}
