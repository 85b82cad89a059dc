//! Issuer connectors: what turns a verified CSR into a certificate chain. The engine talks to
//! the [`IssuerConnector`] trait only; connectors are registered by issuer type in an
//! [`IssuerRegistry`], so new ones plug in without touching the engine. Issuers that work
//! through multi-step orders (ACME) also implement [`OrderedIssuer`] (`ordered.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{Error, Result};

pub mod acme;
pub mod local;
mod ordered;

pub use acme::AcmeIssuer;
pub use local::{Issued, LocalCa, LocalCaConfig, SignRequest};
pub use ordered::{
    AccountStore, Http01Responder, Http01Token, OrderFailure, OrderHost, OrderState, OrderStatus,
    OrderStore, OrderedIssuer, PendingOrder, StoredAccount,
};

/// A request to issue (or renew) a certificate for a CSR.
#[derive(Debug, Clone, Copy)]
pub struct IssueRequest<'a> {
    /// The verified CSR; the key it names is the certificate's key.
    pub csr_pem: &'a str,
    pub common_name: &'a str,
    pub sans: &'a [String],
    /// The issuer's JSON config (from the issuer record).
    pub config: &'a serde_json::Value,
}

/// A request to revoke an issued certificate.
#[derive(Debug, Clone, Copy)]
pub struct RevokeRequest<'a> {
    pub pem_chain: &'a str,
    pub serial_number: &'a str,
    /// RFC 5280 reason name (`keyCompromise`, ...).
    pub reason: &'a str,
    pub config: &'a serde_json::Value,
}

/// A certificate authority the control plane can ask for certificates.
///
/// Errors: [`Error::Connector`] with `transient: true` for failures worth retrying (timeouts,
/// rate limits, unreachable CA); anything else fails the job at once.
#[async_trait]
pub trait IssuerConnector: Send + Sync + std::fmt::Debug {
    /// The `type` of issuer records this connector serves.
    fn issuer_type(&self) -> &'static str;
    /// Checks an issuer config before it is stored.
    fn validate_config(&self, config: &serde_json::Value) -> Result<()>;
    /// Issues a certificate: the PEM chain, leaf first, without the root.
    async fn issue(&self, req: &IssueRequest<'_>) -> Result<String>;
    /// Renews: by default the same as issuing with the new CSR.
    async fn renew(&self, req: &IssueRequest<'_>) -> Result<String> {
        self.issue(req).await
    }
    /// The connector as an [`OrderedIssuer`] when issuing is a multi-step order driven by the
    /// job engine (ACME) rather than one [`issue`](Self::issue) call.
    fn ordered(&self) -> Option<&dyn OrderedIssuer> {
        None
    }
    /// Revokes a certificate this issuer issued.
    async fn revoke(&self, req: &RevokeRequest<'_>) -> Result<()>;
    /// The CA certificate(s) to trust, as PEM, when the issuer publishes them.
    fn ca_pem(&self, config: &serde_json::Value) -> Option<String>;
}

/// The Local CA as a connector (issuer type `local`).
#[derive(Debug, Clone)]
pub struct LocalIssuer {
    ca: Arc<LocalCa>,
}

impl LocalIssuer {
    pub fn new(ca: Arc<LocalCa>) -> Self {
        Self { ca }
    }
}

#[async_trait]
impl IssuerConnector for LocalIssuer {
    fn issuer_type(&self) -> &'static str {
        "local"
    }

    fn validate_config(&self, config: &serde_json::Value) -> Result<()> {
        let c: LocalCaConfig =
            serde_json::from_value(config.clone()).map_err(|e| Error::invalid("config", e))?;
        c.validate()
    }

    async fn issue(&self, req: &IssueRequest<'_>) -> Result<String> {
        let c: LocalCaConfig =
            serde_json::from_value(req.config.clone()).map_err(|e| Error::invalid("config", e))?;
        let sign = SignRequest {
            common_name: req.common_name.to_owned(),
            sans: req.sans.to_vec(),
            validity_days: c.validity_days,
            not_before: None,
        };
        Ok(self.ca.sign(req.csr_pem, &sign)?.pem_chain)
    }

    /// The Local CA publishes no CRL or OCSP: revocation is recorded in the inventory (the
    /// version's `revoked_at` and reason), which is where relying parties of a private CA look.
    async fn revoke(&self, _: &RevokeRequest<'_>) -> Result<()> {
        Ok(())
    }

    fn ca_pem(&self, _: &serde_json::Value) -> Option<String> {
        Some(self.ca.root_pem())
    }
}

/// Connectors by issuer type.
#[derive(Debug, Clone, Default)]
pub struct IssuerRegistry {
    connectors: BTreeMap<&'static str, Arc<dyn IssuerConnector>>,
}

impl IssuerRegistry {
    /// Adds (or replaces) the connector of its type.
    pub fn register(&mut self, c: Arc<dyn IssuerConnector>) {
        self.connectors.insert(c.issuer_type(), c);
    }

    /// The connector of `issuer_type`.
    pub fn get(&self, issuer_type: &str) -> Option<&Arc<dyn IssuerConnector>> {
        self.connectors.get(issuer_type)
    }

    /// The registered types.
    pub fn types(&self) -> Vec<&'static str> {
        self.connectors.keys().copied().collect()
    }
}
