//! Verification of the keyed audit chain and its checkpoints, and writing checkpoints.
//!
//! What the chain protects: every event carries HMAC-SHA-256(audit key, content and
//! predecessor's MAC), the key derived from the server's secret key, which is not in the
//! database. Someone with database access but without the secret key cannot change, insert,
//! re-order or delete an event in the middle, nor re-hash the chain, without `verify` naming
//! the event. Deleting the newest events (tail truncation) leaves a shorter valid chain: that is
//! detected by comparing with a checkpoint (stored in `audit_checkpoints`, in the data dir's
//! [`CHECKPOINT_FILE`], in the server log, or given with `--expect SEQ:MAC`) taken after them.
//! Events newer than the latest checkpoint an attacker cannot delete are not protected from
//! truncation; nor is anything against someone who holds the secret key.
//!
//! Upgraded installations: events written before the chain was keyed carry an unkeyed SHA-256
//! (`mac_version` 0). They verify with SHA-256 up to the first keyed event (the server records
//! the switch as an `audit_chain_keyed` event); that event's MAC covers the last legacy hash, so
//! from then on the legacy part cannot be rewritten either. An unkeyed event after a keyed one,
//! or a non-empty chain with no keyed event at all, is reported as tampering.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{
    AuditCheckpoint, AuditKey, ExpectedCheckpoint, GENESIS_HASH, MAC_KEYED, MAC_LEGACY, Timestamp,
};
use crate::store::Store;

/// Moved to [`crate::model::ChainReport`] (the client needs it without the store); kept here so
/// existing paths still work.
pub use crate::model::ChainReport;

/// File name, in the data dir, of the latest checkpoint this server wrote (`SEQ:MAC`).
pub const CHECKPOINT_FILE: &str = "audit-checkpoint";

/// A checkpoint the chain must contain.
enum Want {
    /// A stored checkpoint row (its MAC already verified): the event at seq has this hash.
    Hash(String),
    /// A `SEQ:MAC` token: the MAC of (seq, hash of the event at seq) is this.
    Mac(ExpectedCheckpoint),
}

/// Walks the whole chain in order, in batches, checking each event's MAC (or legacy hash) and
/// link, and compares it with every stored checkpoint and with `expect`. Reports the first
/// problem, in words.
pub async fn verify_chain(
    store: &dyn Store,
    key: &AuditKey,
    expect: &[ExpectedCheckpoint],
) -> Result<ChainReport> {
    const BATCH: i64 = 1000;
    let mut report = ChainReport {
        valid: true,
        checked: 0,
        first_invalid_id: None,
        head_seq: 0,
        keyed_from_seq: None,
        checkpoints_checked: 0,
        problem: None,
    };
    let mut wants: BTreeMap<i64, Vec<(Want, String)>> = BTreeMap::new();
    for cp in store.audit_checkpoints().await? {
        if !cp.verifies(key) {
            return Ok(invalid(
                report,
                None,
                format!(
                    "the stored checkpoint at seq {} (table audit_checkpoints) does not verify with this server's key: it was forged or altered in the database (or CERTCTL_SECRET_KEY is not the key that wrote it)",
                    cp.seq
                ),
            ));
        }
        wants.entry(cp.seq).or_default().push((
            Want::Hash(cp.head_hash),
            "the stored checkpoint (table audit_checkpoints)".into(),
        ));
    }
    for e in expect {
        wants.entry(e.seq).or_default().push((Want::Mac(e.clone()), e.source.clone()));
    }
    report.checkpoints_checked = wants.values().map(|v| v.len() as i64).sum();

    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1;
    loop {
        let batch = store.audit_chain(expected_seq - 1, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for ev in &batch {
            report.checked += 1;
            let id = Some(ev.id.clone());
            if ev.seq != expected_seq {
                let missing = if ev.seq > expected_seq {
                    format!("events {expected_seq}..{} are missing", ev.seq - 1)
                } else {
                    "seq goes backwards".into()
                };
                return Ok(invalid(
                    report,
                    id,
                    format!(
                        "event {} has seq {} where {expected_seq} was expected: {missing}",
                        ev.id, ev.seq
                    ),
                ));
            }
            if ev.prev_hash != prev_hash {
                return Ok(invalid(
                    report,
                    id,
                    format!(
                        "event {} (seq {}) does not link to its predecessor: an event before it was changed, removed or inserted",
                        ev.id, ev.seq
                    ),
                ));
            }
            match (ev.mac_version, report.keyed_from_seq) {
                (MAC_LEGACY, Some(from)) => {
                    return Ok(invalid(
                        report,
                        id,
                        format!(
                            "event {} (seq {}) carries an unkeyed hash although the chain is keyed from seq {from}: it was rewritten",
                            ev.id, ev.seq
                        ),
                    ));
                }
                (MAC_KEYED, None) => report.keyed_from_seq = Some(ev.seq),
                _ => {}
            }
            if !ev.hash_matches(key) {
                let why = if ev.mac_version == MAC_KEYED {
                    "its MAC does not match its content with this server's key: it was changed in the database (or CERTCTL_SECRET_KEY is not the key that wrote it)"
                } else {
                    "its hash does not match its content: it was changed in the database"
                };
                return Ok(invalid(report, id, format!("event {} (seq {}): {why}", ev.id, ev.seq)));
            }
            for (want, source) in wants.get(&ev.seq).map(Vec::as_slice).unwrap_or_default() {
                let ok = match want {
                    Want::Hash(h) => *h == ev.hash,
                    Want::Mac(e) => e.matches(&ev.hash, key),
                };
                if !ok {
                    return Ok(invalid(
                        report,
                        id,
                        format!(
                            "event {} (seq {}) is not the event {source} signed at seq {}: the chain was rewritten up to there",
                            ev.id, ev.seq, ev.seq
                        ),
                    ));
                }
            }
            report.head_seq = ev.seq;
            prev_hash = ev.hash.clone();
            expected_seq += 1;
        }
    }
    if let Some((seq, list)) = wants.range(report.head_seq + 1..).next_back() {
        let sources: Vec<&str> = list.iter().map(|(_, s)| s.as_str()).collect();
        let head = report.head_seq;
        return Ok(invalid(
            report,
            None,
            format!(
                "the chain ends at seq {head} but {} signed seq {seq}: events {}..{seq} are missing (the tail was truncated)",
                sources.join(" and "),
                head + 1
            ),
        ));
    }
    if report.checked > 0 && report.keyed_from_seq.is_none() {
        let head = report.head_seq;
        return Ok(invalid(
            report,
            None,
            format!(
                "none of the {head} events is keyed: either the server has not started since the upgrade (start it once: it records the switch), or the keyed events were removed and the chain rewritten"
            ),
        ));
    }
    Ok(report)
}

fn invalid(
    mut report: ChainReport,
    id: Option<crate::model::EventId>,
    problem: String,
) -> ChainReport {
    report.valid = false;
    report.first_invalid_id = id;
    report.problem = Some(problem);
    report
}

/// Signs the chain's head, stores the checkpoint and, when `file` is given, writes its token
/// there (replacing the previous one). `None` when the chain is empty.
pub async fn write_checkpoint(
    store: &dyn Store,
    key: &AuditKey,
    file: Option<&Path>,
    now: Timestamp,
) -> Result<Option<AuditCheckpoint>> {
    let Some(head) = store.audit_head().await? else { return Ok(None) };
    let cp = AuditCheckpoint::sign(head.seq, &head.hash, key, now);
    store.put_audit_checkpoint(&cp).await?;
    if let Some(path) = file {
        write_checkpoint_file(path, &cp)?;
    }
    Ok(Some(cp))
}

/// Writes `SEQ:MAC` to `path` (atomically: a temp file renamed over it).
pub fn write_checkpoint_file(path: &Path, cp: &AuditCheckpoint) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{}\n", cp.token()))
        .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| Error::io(format!("renaming {} to {}", tmp.display(), path.display()), e))
}

/// The checkpoint in `path` (`SEQ:MAC`), or `None` when there is no such file.
pub fn read_checkpoint_file(path: &Path) -> Result<Option<ExpectedCheckpoint>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            ExpectedCheckpoint::parse(&text, format!("the checkpoint file {}", path.display()))
                .map(Some)
                .map_err(|e| Error::invalid("checkpoint_file", format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}
