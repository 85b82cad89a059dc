//! Issuers whose certificates come from a multi-step order (ACME): start (or resume) the order,
//! poll it while the CA validates the names, finalize it with the CSR, fetch the chain. The
//! issuer owns its protocol; the host (the service's job engine) gives it three narrow traits:
//! an [`OrderStore`] for the order in flight, an [`AccountStore`] for its account and sealed
//! secrets, and an [`Http01Responder`] that serves HTTP-01 tokens.

use std::time::SystemTime;

use async_trait::async_trait;

use super::RevokeRequest;
use crate::error::{Error, Result};
use crate::model::Issuer;

/// Why an order step failed, and whether trying again later may help.
#[derive(Debug, Clone)]
pub struct OrderFailure {
    pub message: String,
    pub transient: bool,
    /// When the CA asked us to come back.
    pub retry_after: Option<SystemTime>,
}

impl OrderFailure {
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

impl From<Error> for OrderFailure {
    fn from(e: Error) -> Self {
        let transient = matches!(e, Error::Connector { transient: true, .. } | Error::Storage(_));
        Self { message: e.to_string(), transient, retry_after: None }
    }
}

/// What an issuer persists of an order in flight, so a restarted server resumes it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderState {
    /// The CA's URL of the order, once placed.
    pub url: Option<String>,
    /// The issuer's own progress (DNS records added, ...), JSON.
    pub progress: serde_json::Value,
}

/// The order in flight of one job, kept by the host.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// The stored state; `None` when the host holds no order for the job.
    async fn load(&self) -> Result<Option<OrderState>>;
    /// Replaces the stored state.
    async fn save(&self, state: &OrderState) -> Result<()>;
}

/// An issuer's account on its CA, the credentials in the clear (the host seals them).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAccount {
    pub directory_url: String,
    pub account_url: String,
    /// The credentials (account key), JSON.
    pub credentials: Vec<u8>,
}

/// The account of one issuer, and the secrets of its config, kept by the host.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn load(&self) -> Result<Option<StoredAccount>>;
    /// Stores the account unless one exists; returns the stored one (first writer wins).
    async fn save(&self, account: &StoredAccount) -> Result<StoredAccount>;
    async fn delete(&self) -> Result<()>;
    /// Opens a sealed secret of the issuer config (`*_sealed`).
    fn open_secret(&self, sealed: &str) -> Result<Vec<u8>>;
}

/// An HTTP-01 token to serve at `/.well-known/acme-challenge/{token}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http01Token {
    pub token: String,
    pub key_authorization: String,
    /// The name it proves.
    pub identifier: String,
}

/// Who serves HTTP-01 tokens: the control plane or the agent that holds the key.
#[async_trait]
pub trait Http01Responder: Send + Sync {
    /// Serves `tokens` (by the agent when `by_agent`); returns once the CA may look at them.
    async fn serve(&self, tokens: &[Http01Token], by_agent: bool) -> Result<(), OrderFailure>;
    /// Stops serving the order's tokens; `validated` when the CA accepted them. Best effort.
    async fn withdraw(&self, validated: bool);
}

/// Where an order stands after [`PendingOrder::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Challenges were just set up: poll again at once.
    Authorizing,
    /// The CA is validating the names.
    Pending,
    /// Every name is validated: finalize.
    Ready,
    /// The CA is signing.
    Processing,
    /// Issued: fetch the chain.
    Valid,
}

/// An order being driven; the host loops over `poll`, `finalize`, `chain` and `refresh`.
#[async_trait]
pub trait PendingOrder: Send {
    /// Acts on the order's last known state: sets up challenges for pending authorizations
    /// (once), removes them when every authorization is final, and fails with the CA's reason
    /// when the order is invalid.
    async fn poll(&mut self) -> Result<OrderStatus, OrderFailure>;
    /// Asks the CA for the certificate of `csr_der` (the order is Ready).
    async fn finalize(&mut self, csr_der: &[u8]) -> Result<(), OrderFailure>;
    /// The issued chain (PEM, leaf first) of a Valid order, once the CA offers it.
    async fn chain(&mut self) -> Result<Option<String>, OrderFailure>;
    /// Fetches the order's state from the CA again.
    async fn refresh(&mut self) -> Result<(), OrderFailure>;
}

/// Everything an ordered issuer needs from its host for one job's order.
#[derive(Clone)]
pub struct OrderHost {
    pub orders: std::sync::Arc<dyn OrderStore>,
    pub accounts: std::sync::Arc<dyn AccountStore>,
    pub http01: std::sync::Arc<dyn Http01Responder>,
}

impl std::fmt::Debug for OrderHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderHost").finish_non_exhaustive()
    }
}

/// An issuer that issues through orders.
#[async_trait]
pub trait OrderedIssuer: Send + Sync + std::fmt::Debug {
    /// Resumes the order `host.orders` holds (unless the CA gave up on it) or places a new one
    /// for `names` (the common name and SANs).
    async fn start_order(
        &self,
        issuer: &Issuer,
        names: &[String],
        host: OrderHost,
    ) -> Result<Box<dyn PendingOrder>, OrderFailure>;
    /// Removes what an ended order of `issuer` left in place (DNS-01 records). Best effort:
    /// failures are logged.
    async fn clean_up(&self, issuer: &Issuer, orders: &dyn OrderStore, accounts: &dyn AccountStore);
    /// Checks that the CA answers and the issuer's account is valid; says what it checked.
    async fn check(
        &self,
        issuer: &Issuer,
        accounts: &dyn AccountStore,
    ) -> Result<String, OrderFailure>;
    /// Revokes a certificate through the issuer's account.
    async fn revoke(
        &self,
        issuer: &Issuer,
        accounts: &dyn AccountStore,
        req: &RevokeRequest<'_>,
    ) -> Result<()>;
}
