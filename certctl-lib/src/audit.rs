//! Verification of the audit hash chain.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{EventId, GENESIS_HASH};
use crate::store::Store;

/// Outcome of walking the chain (the body of `GET /api/v1/audit/verify`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChainReport {
    /// Every event's hash matches its content and its predecessor.
    pub valid: bool,
    /// Events examined (up to and including the first invalid one).
    pub checked: i64,
    /// The first event whose content or link does not match.
    pub first_invalid_id: Option<EventId>,
}

/// Walks the whole chain in order, in batches, and reports the first broken link.
pub async fn verify_chain(store: &dyn Store) -> Result<ChainReport> {
    const BATCH: i64 = 1000;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1;
    let mut checked = 0;
    loop {
        let batch = store.audit_chain(expected_seq - 1, BATCH).await?;
        if batch.is_empty() {
            return Ok(ChainReport { valid: true, checked, first_invalid_id: None });
        }
        for ev in &batch {
            checked += 1;
            if ev.seq != expected_seq || ev.prev_hash != prev_hash || ev.compute_hash() != ev.hash {
                return Ok(ChainReport { valid: false, checked, first_invalid_id: Some(ev.id.clone()) });
            }
            prev_hash = ev.hash.clone();
            expected_seq += 1;
        }
    }
}
