//! Verification of the audit hash chain.

use crate::error::Result;
use crate::model::GENESIS_HASH;
use crate::store::Store;

/// Moved to [`crate::model::ChainReport`] (the client needs it without the store); kept here so
/// existing paths still work.
pub use crate::model::ChainReport;

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
