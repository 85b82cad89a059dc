//! A short-lived snapshot of the small, rarely changing configuration the hot paths read on
//! every request — issuers, renewal policies, policy rules — so an issuance does not pay a
//! database round trip for each. Writes through this service refresh it at once; changes made
//! through another replica are seen within [`SNAPSHOT_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Service;
use crate::error::Result;
use crate::model::*;

/// How long a snapshot is used before it is read again.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(5);

/// Issuers, renewal policies and policy rules as read at `taken`.
#[derive(Debug)]
pub(super) struct Snapshot {
    taken: Instant,
    pub rules: Vec<PolicyRule>,
    pub issuers: HashMap<IssuerId, Issuer>,
    pub renewal_policies: HashMap<RenewalPolicyId, RenewalPolicy>,
}

/// The cell the service keeps its snapshot in.
pub(super) type SnapshotCell = Mutex<Option<Arc<Snapshot>>>;

/// Every row of a paged list: `$list` is a store method taking a `PageRequest`.
macro_rules! all_pages {
    ($store:expr, $list:ident) => {{
        let mut out = Vec::new();
        let mut n = 1;
        loop {
            let p = $store.$list(PageRequest::new(n, MAX_PER_PAGE)).await?;
            let len = p.data.len();
            out.extend(p.data);
            if len < MAX_PER_PAGE as usize {
                break out;
            }
            n += 1;
        }
    }};
}

impl Service {
    /// The current snapshot, read again when older than [`SNAPSHOT_TTL`].
    pub(super) async fn snapshot(&self) -> Result<Arc<Snapshot>> {
        if let Ok(cell) = self.snapshot.lock()
            && let Some(s) = cell.as_ref()
            && s.taken.elapsed() < SNAPSHOT_TTL
        {
            return Ok(s.clone());
        }
        let store = self.store();
        let rules: Vec<PolicyRule> = all_pages!(store, list_policies);
        let issuers: Vec<Issuer> = all_pages!(store, list_issuers);
        let renewal_policies: Vec<RenewalPolicy> = all_pages!(store, list_renewal_policies);
        let issuers = issuers.into_iter().map(|i| (i.id.clone(), i)).collect();
        let renewal_policies = renewal_policies.into_iter().map(|r| (r.id.clone(), r)).collect();
        let snap = Arc::new(Snapshot { taken: Instant::now(), rules, issuers, renewal_policies });
        if let Ok(mut cell) = self.snapshot.lock() {
            *cell = Some(snap.clone());
        }
        Ok(snap)
    }

    /// Forgets the snapshot (after this service changed what it holds).
    pub(super) fn invalidate_snapshot(&self) {
        if let Ok(mut cell) = self.snapshot.lock() {
            *cell = None;
        }
    }

    /// An issuer from the snapshot, or from the store when it is not there (yet).
    pub(super) async fn issuer_of(&self, id: &IssuerId) -> Result<Issuer> {
        match self.snapshot().await?.issuers.get(id) {
            Some(i) => Ok(i.clone()),
            None => self.store().get_issuer(id).await,
        }
    }

    /// A renewal policy from the snapshot, or from the store when it is not there (yet).
    pub(super) async fn renewal_policy_of(&self, id: &RenewalPolicyId) -> Result<RenewalPolicy> {
        match self.snapshot().await?.renewal_policies.get(id) {
            Some(p) => Ok(p.clone()),
            None => self.store().get_renewal_policy(id).await,
        }
    }
}
