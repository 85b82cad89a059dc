//! `/audit`: the append-only, hash-chained record of every change, and its verification.

use super::{Client, Result};
use crate::api::query::AuditQuery;
use crate::model::{AuditEvent, AuditFilter, ChainReport, Page, PageRequest};

impl Client {
    /// `GET /audit`: one page of the events matching `filter`, newest first.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>> {
        self.get_list(self.url(&["audit"]), &AuditQuery::new(filter, page)).await
    }

    /// `GET /audit/{id}`.
    pub async fn get_audit_event(&self, id: &str) -> Result<AuditEvent> {
        self.get_json(self.url(&["audit", id])).await
    }

    /// `GET /audit/verify`: walks the hash chain; a broken chain is `valid: false`, not an error.
    pub async fn verify_audit(&self) -> Result<ChainReport> {
        self.get_json(self.url(&["audit", "verify"])).await
    }
}
