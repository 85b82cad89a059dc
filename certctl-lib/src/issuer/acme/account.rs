//! The issuer's ACME account: created on first use (with EAB when configured), stored sealed
//! by the host, cached per issuer config.

use std::collections::HashMap;

use instant_acme::{Account, AccountCredentials, ExternalAccountKey, NewAccount};

use super::config::decode_b64url;
use super::{AcmeConfig, AcmeHttp, classify};
use crate::issuer::{AccountStore, OrderFailure, StoredAccount};
use crate::model::{Issuer, IssuerId};
use crate::net::AddressPolicy;

/// Accounts by issuer, with the config they were made for (a changed config makes a new one).
#[derive(Default)]
pub(super) struct Accounts(
    tokio::sync::Mutex<HashMap<IssuerId, (serde_json::Value, Account, AcmeHttp)>>,
);

impl Accounts {
    /// The issuer's ACME account: cached, stored (sealed by the host), or created on first use.
    pub(super) async fn get(
        &self,
        issuer: &Issuer,
        cfg: &AcmeConfig,
        policy: &AddressPolicy,
        store: &dyn AccountStore,
    ) -> Result<(Account, AcmeHttp), OrderFailure> {
        let mut cache = self.0.lock().await;
        if let Some((config, account, http)) = cache.get(&issuer.id)
            && config == &issuer.config
        {
            return Ok((account.clone(), http.clone()));
        }
        let http = AcmeHttp::new(cfg.ca_cert.as_deref(), policy)?;
        let account = match store.load().await? {
            Some(a) if a.directory_url == cfg.directory_url => {
                load_account(&http, &a.credentials).await?
            }
            other => {
                if other.is_some() {
                    store.delete().await?;
                }
                let eab = match (&cfg.eab_hmac_key_sealed, &cfg.eab_hmac_key) {
                    (Some(s), _) => {
                        Some(String::from_utf8(store.open_secret(s)?).map_err(|_| {
                            OrderFailure::permanent("the sealed EAB key is not text")
                        })?)
                    }
                    (None, Some(k)) => Some(k.clone()),
                    (None, None) => None,
                };
                let (account, creds) = create_account(cfg, &http, eab.as_deref()).await?;
                let credentials = serde_json::to_vec(&creds).map_err(|e| {
                    OrderFailure::permanent(format!("serialising the ACME account: {e}"))
                })?;
                let made = StoredAccount {
                    directory_url: cfg.directory_url.clone(),
                    account_url: account.id().to_owned(),
                    credentials,
                };
                let kept = store.save(&made).await?;
                tracing::info!(issuer = %issuer.id, account = %kept.account_url, "ACME account ready");
                if kept.account_url == made.account_url {
                    account
                } else {
                    load_account(&http, &kept.credentials).await?
                }
            }
        };
        cache.insert(issuer.id.clone(), (issuer.config.clone(), account.clone(), http.clone()));
        Ok((account, http))
    }
}

/// Creates an account on the CA (EAB when configured); `eab_key` is the decoded HMAC key.
async fn create_account(
    cfg: &AcmeConfig,
    http: &AcmeHttp,
    eab_hmac_key: Option<&str>,
) -> Result<(Account, AccountCredentials), OrderFailure> {
    let contact: Vec<String> = cfg.email.iter().map(|e| format!("mailto:{e}")).collect();
    let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
    let eab = match (&cfg.eab_kid, eab_hmac_key) {
        (Some(kid), Some(key)) => {
            let bytes = decode_b64url(key)
                .map_err(|_| OrderFailure::permanent("config.eab_hmac_key: must be base64url"))?;
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
async fn load_account(http: &AcmeHttp, credentials_json: &[u8]) -> Result<Account, OrderFailure> {
    let creds: AccountCredentials = serde_json::from_slice(credentials_json)
        .map_err(|e| OrderFailure::permanent(format!("stored ACME account is unreadable: {e}")))?;
    Account::builder_with_http(Box::new(http.clone()))
        .from_credentials(creds)
        .await
        .map_err(|e| classify(&e, http.retry_after().take()))
}
