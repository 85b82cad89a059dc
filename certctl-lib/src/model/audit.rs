//! Audit events: an append-only, hash-chained record of every mutation.

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};

use super::{string_enum, EventId, Timestamp};

/// `prev_hash` of the first event of the chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

string_enum! {
    /// Who acted.
    ActorType {
        /// A person or script with an API key.
        User = "User",
        /// An agent with its own key.
        Agent = "Agent",
        /// The control plane itself (scheduler loops, start-up).
        System = "System",
    }
}

/// An audit event before it is appended: the store assigns id, sequence, time and hashes.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditDraft {
    pub actor: String,
    pub actor_type: ActorType,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    /// Context of the change; never secrets.
    pub details: serde_json::Value,
}

impl AuditDraft {
    /// A draft with empty details.
    pub fn new(
        actor: impl Into<String>,
        actor_type: ActorType,
        action: impl Into<String>,
        resource_type: impl Into<String>,
        resource_id: impl Into<String>,
    ) -> Self {
        Self {
            actor: actor.into(),
            actor_type,
            action: action.into(),
            resource_type: resource_type.into(),
            resource_id: resource_id.into(),
            details: serde_json::Value::Object(Default::default()),
        }
    }

    /// The same draft with `details`.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// One stored audit event (`ev-` id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "store", derive(sqlx::FromRow))]
pub struct AuditEvent {
    pub id: EventId,
    /// Position in the chain, from 1.
    pub seq: i64,
    pub timestamp: Timestamp,
    pub actor: String,
    pub actor_type: ActorType,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    #[cfg_attr(feature = "store", sqlx(json))]
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEvent {
    /// Builds the event that follows `prev_hash` at position `seq`, computing its hash.
    pub fn chain(draft: AuditDraft, seq: i64, prev_hash: String, timestamp: Timestamp) -> Self {
        let mut ev = AuditEvent {
            id: EventId::generate(),
            seq,
            timestamp,
            actor: draft.actor,
            actor_type: draft.actor_type,
            action: draft.action,
            resource_type: draft.resource_type,
            resource_id: draft.resource_id,
            details: draft.details,
            prev_hash,
            hash: String::new(),
        };
        ev.hash = ev.compute_hash();
        ev
    }

    /// SHA-256 (hex) over every field but `hash`, in a fixed, unambiguous encoding.
    pub fn compute_hash(&self) -> String {
        // A JSON array of the fields: unambiguous, and serde_json sorts object keys, so the
        // details hash the same however the database stored them.
        let content = serde_json::json!([
            self.id,
            self.seq,
            self.timestamp.to_rfc3339(),
            self.actor,
            self.actor_type.as_str(),
            self.action,
            self.resource_type,
            self.resource_id,
            self.details,
            self.prev_hash,
        ]);
        hex::encode(digest::digest(&digest::SHA256, content.to_string().as_bytes()))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_content_and_predecessor() {
        let d = AuditDraft::new("admin", ActorType::User, "team_created", "team", "team-a");
        let a = AuditEvent::chain(d.clone(), 1, GENESIS_HASH.into(), Timestamp::now());
        assert_eq!(a.hash, a.compute_hash());
        let mut tampered = a.clone();
        tampered.actor = "mallory".into();
        assert_ne!(tampered.compute_hash(), a.hash);
        let mut relinked = a.clone();
        relinked.prev_hash = "ff".into();
        assert_ne!(relinked.compute_hash(), a.hash);
    }
}
