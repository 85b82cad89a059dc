//! The ACME issuer (RFC 8555: Let's Encrypt, ZeroSSL, pebble, any ACME CA) through instant-acme,
//! the only place that speaks ACME: its config, the account, orders (HTTP-01 through the host's
//! responder, DNS-01 through hooks or RFC 2136), problem classification, revocation. The
//! service's job engine drives the order ([`OrderedIssuer`]) and keeps its state.

use std::time::SystemTime;

use async_trait::async_trait;

use super::{
    AccountStore, IssueRequest, IssuerConnector, OrderFailure, OrderHost, OrderStore,
    OrderedIssuer, PendingOrder, RevokeRequest,
};
use crate::error::{Error, Result};
use crate::model::Issuer;
use crate::net::AddressPolicy;
use crate::pki;

mod account;
mod config;
pub mod dns;
pub mod hooks;
pub mod http;
mod order;
pub mod rfc2136;

pub use config::{
    AcmeConfig, Challenge, DEFAULT_DNS_PROPAGATION_SECONDS, DNS_HOOK_COMMAND_REFUSED, Http01Mode,
    LETSENCRYPT, LETSENCRYPT_STAGING,
};
pub use dns::{DnsProvider, DnsUpdater};
pub use hooks::DnsHooks;
pub use http::{AcmeHttp, RetryAfter, bad_nonces_seen};

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
fn describe_problem(p: &instant_acme::Problem) -> String {
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
fn classify(e: &instant_acme::Error, retry_after: Option<SystemTime>) -> OrderFailure {
    match e {
        instant_acme::Error::Api(p) => {
            let kind = p.r#type.as_deref().and_then(|t| t.rsplit(':').next()).unwrap_or("");
            let transient = !PERMANENT.contains(&kind)
                && (matches!(kind, "badNonce" | "rateLimited" | "serverInternal")
                    || p.status.is_some_and(|s| s >= 500)
                    || kind.is_empty());
            OrderFailure {
                message: describe_problem(p),
                transient,
                retry_after: if transient { retry_after } else { None },
            }
        }
        instant_acme::Error::Crypto
        | instant_acme::Error::KeyRejected
        | instant_acme::Error::Unsupported(_) => OrderFailure::permanent(format!("ACME: {e}")),
        instant_acme::Error::Other(inner) if crate::net::refusal(&**inner).is_some() => {
            OrderFailure::permanent(format!(
                "ACME: {}",
                crate::net::refusal(&**inner).map(|r| r.to_string()).unwrap_or_default()
            ))
        }
        // serde's message can quote the body; say only that it is not what ACME expects
        instant_acme::Error::Json(_) => OrderFailure {
            message: "ACME CA answered badly: the answer is not the JSON that ACME expects".into(),
            transient: true,
            retry_after,
        },
        other => OrderFailure {
            message: format!("ACME CA unreachable or answered badly: {other}"),
            transient: true,
            retry_after,
        },
    }
}

/// RFC 5280 reason name → ACME revocation reason.
fn revocation_reason(name: &str) -> instant_acme::RevocationReason {
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

/// The ACME issuer: validates configs, and issues, checks and revokes through the issuer's
/// account. DNS-01 hooks are named in the server's config (`dns_hooks`); outbound connections
/// (the CA, rfc2136 servers) go only where `outbound` allows.
pub struct AcmeIssuer {
    dns_hooks: DnsHooks,
    outbound: AddressPolicy,
    accounts: account::Accounts,
}

impl std::fmt::Debug for AcmeIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcmeIssuer")
            .field("dns_hooks", &self.dns_hooks.names())
            .field("outbound", &self.outbound)
            .finish_non_exhaustive()
    }
}

impl AcmeIssuer {
    pub fn new(dns_hooks: DnsHooks, outbound: AddressPolicy) -> Self {
        Self { dns_hooks, outbound, accounts: Default::default() }
    }
}

/// The DNS-01 provider of an issuer config: its hook resolved by name in the server's config,
/// or its secret (rfc2136 TSIG) unsealed.
fn dns_updater(
    cfg: &AcmeConfig,
    hooks: &DnsHooks,
    outbound: &AddressPolicy,
    accounts: &dyn AccountStore,
) -> Result<DnsUpdater> {
    let mut provider = cfg.dns.clone().ok_or_else(|| {
        Error::invalid("config.dns_provider", "is required with challenge dns-01 (hook or rfc2136)")
    })?;
    if let DnsProvider::Rfc2136(c) = &mut provider {
        c.policy = outbound.clone();
    }
    DnsUpdater::new(&provider, hooks, |sealed| {
        String::from_utf8(accounts.open_secret(sealed)?).map_err(|_| Error::Connector {
            message: "the sealed TSIG secret is not text".into(),
            transient: false,
        })
    })
}

#[async_trait]
impl IssuerConnector for AcmeIssuer {
    fn issuer_type(&self) -> &'static str {
        "acme"
    }

    fn validate_config(&self, config: &serde_json::Value) -> Result<()> {
        AcmeConfig::parse(config).map(drop)
    }

    fn ordered(&self) -> Option<&dyn OrderedIssuer> {
        Some(self)
    }

    async fn issue(&self, _: &IssueRequest<'_>) -> Result<String> {
        Err(Error::Connector {
            message: "ACME orders run through the job engine's order driver".into(),
            transient: false,
        })
    }

    async fn revoke(&self, _: &RevokeRequest<'_>) -> Result<()> {
        Err(Error::Connector {
            message:
                "ACME revocation runs through OrderedIssuer::revoke (it needs the issuer's account)"
                    .into(),
            transient: false,
        })
    }

    fn ca_pem(&self, config: &serde_json::Value) -> Option<String> {
        AcmeConfig::parse(config).ok().and_then(|c| c.ca_cert)
    }
}

#[async_trait]
impl OrderedIssuer for AcmeIssuer {
    async fn start_order(
        &self,
        issuer: &Issuer,
        names: &[String],
        host: OrderHost,
    ) -> Result<Box<dyn PendingOrder>, OrderFailure> {
        let cfg = AcmeConfig::parse(&issuer.config)?;
        let (account, http) =
            self.accounts.get(issuer, &cfg, &self.outbound, &*host.accounts).await?;
        let dns = (self.dns_hooks.clone(), self.outbound.clone());
        Ok(Box::new(order::AcmeOrder::start(&account, &http, cfg, dns, names, host).await?))
    }

    async fn clean_up(
        &self,
        issuer: &Issuer,
        orders: &dyn OrderStore,
        accounts: &dyn AccountStore,
    ) {
        let Ok(Some(mut state)) = orders.load().await else { return };
        let added = order::dns_added(&state);
        if added.is_empty() {
            return;
        }
        let dns = AcmeConfig::parse(&issuer.config)
            .and_then(|c| dns_updater(&c, &self.dns_hooks, &self.outbound, accounts));
        let dns = match dns {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(issuer = %issuer.id, "DNS-01 cleanup: {e}");
                return;
            }
        };
        order::remove_dns(&dns, &added, &mut state, orders).await;
    }

    async fn check(
        &self,
        issuer: &Issuer,
        accounts: &dyn AccountStore,
    ) -> Result<String, OrderFailure> {
        let cfg = AcmeConfig::parse(&issuer.config)?;
        let (account, http) = self.accounts.get(issuer, &cfg, &self.outbound, accounts).await?;
        let contact: Vec<String> = cfg.email.iter().map(|e| format!("mailto:{e}")).collect();
        let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
        account
            .update_contacts(&contact)
            .await
            .map_err(|e| classify(&e, http.retry_after().take()))?;
        Ok(format!("directory {} answers; account {} is valid", cfg.directory_url, account.id()))
    }

    async fn revoke(
        &self,
        issuer: &Issuer,
        accounts: &dyn AccountStore,
        req: &RevokeRequest<'_>,
    ) -> Result<()> {
        let cfg = AcmeConfig::parse(&issuer.config)?;
        let (account, http) = self
            .accounts
            .get(issuer, &cfg, &self.outbound, accounts)
            .await
            .map_err(|f| f.to_error())?;
        let leaf = pki::parse_chain(req.pem_chain)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Pki("empty chain".into()))?;
        let der = rustls_pki_types::CertificateDer::from(leaf.der);
        let req = instant_acme::RevocationRequest {
            certificate: &der,
            reason: Some(revocation_reason(req.reason)),
        };
        account.revoke(&req).await.map_err(|e| classify(&e, http.retry_after().take()).to_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
