//! First start: the Local CA issuer, the default renewal policy and the first admin key.

use super::{Actor, DEFAULT_RENEWAL_POLICY_ID, LOCAL_ISSUER_ID, Service, auth};
use crate::error::{Error, Result};
use crate::model::*;

/// What [`Service::bootstrap`] created.
#[derive(Debug, Default)]
pub struct Bootstrapped {
    /// The first admin key's secret, when one was created now (show it once).
    pub admin_key: Option<String>,
    pub created_local_issuer: bool,
    pub created_default_policy: bool,
}

impl Service {
    /// Creates what every installation has (idempotent): issuer `iss-local`, renewal policy
    /// `rp-default`, and an admin API key when no admin key exists. An upgraded audit chain
    /// that ends with legacy (unkeyed) events gets its `audit_chain_keyed` event first.
    pub async fn bootstrap(&self) -> Result<Bootstrapped> {
        let sys = Actor::system();
        let now = Timestamp::now();
        let mut out = Bootstrapped::default();
        self.record_audit_keying().await?;
        let s = self.store();
        if let Err(Error::NotFound { .. }) = s.get_issuer(&LOCAL_ISSUER_ID.into()).await {
            let issuer = Issuer {
                id: LOCAL_ISSUER_ID.into(),
                name: "Local CA".into(),
                issuer_type: "local".into(),
                config: serde_json::json!({"validity_days": 90}),
                enabled: true,
                created_at: now,
                updated_at: now,
            };
            ignore_conflict(
                s.create_issuer(&issuer, &sys.audit("issuer_created", "issuer", LOCAL_ISSUER_ID))
                    .await,
            )?;
            out.created_local_issuer = true;
        }
        if let Err(Error::NotFound { .. }) =
            s.get_renewal_policy(&DEFAULT_RENEWAL_POLICY_ID.into()).await
        {
            let rp = RenewalPolicy::with_defaults(DEFAULT_RENEWAL_POLICY_ID.into(), "Default", now);
            ignore_conflict(
                s.create_renewal_policy(
                    &rp,
                    &sys.audit(
                        "renewal_policy_created",
                        "renewal_policy",
                        DEFAULT_RENEWAL_POLICY_ID,
                    ),
                )
                .await,
            )?;
            out.created_default_policy = true;
        }
        let mut has_admin = false;
        let mut page = 1;
        loop {
            let keys = s.list_api_keys(PageRequest::new(page, MAX_PER_PAGE)).await?;
            has_admin |= keys.data.iter().any(|k| k.role == Role::Admin && k.revoked_at.is_none());
            if has_admin || keys.data.len() < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        if !has_admin {
            let secret = auth::generate_secret()?;
            let key = ApiKey {
                id: ApiKeyId::generate(),
                name: "admin".into(),
                role: Role::Admin,
                key_hash: auth::hash_secret(&secret),
                agent_id: None,
                created_at: now,
                last_used_at: None,
                revoked_at: None,
            };
            s.create_api_key(
                &key,
                &sys.audit("api_key_created", "api_key", key.id.as_str())
                    .with_details(serde_json::json!({"name": "admin", "role": "admin"})),
            )
            .await?;
            out.admin_key = Some(secret);
        }
        Ok(out)
    }
}

/// Another replica created it first: fine.
fn ignore_conflict<T>(r: Result<T>) -> Result<()> {
    match r {
        Ok(_) | Err(Error::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
