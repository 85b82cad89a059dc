//! `/issuers`: the connectors that sign certificates, their health check and CA certificates.

use super::{Client, Result};
use crate::api::query::PageQuery;
use crate::api::{ConnectorInput, TestResult};
use crate::model::{Issuer, Page, PageRequest};

impl Client {
    /// `GET /issuers`.
    pub async fn list_issuers(&self, page: PageRequest) -> Result<Page<Issuer>> {
        self.get_list(self.url(&["issuers"]), &PageQuery::from(page)).await
    }

    /// `GET /issuers/{id}`.
    pub async fn get_issuer(&self, id: &str) -> Result<Issuer> {
        self.get_json(self.url(&["issuers", id])).await
    }

    /// `POST /issuers`.
    pub async fn create_issuer(&self, input: &ConnectorInput) -> Result<Issuer> {
        self.post(self.url(&["issuers"]), input).await
    }

    /// `PUT /issuers/{id}`: absent fields keep their value.
    pub async fn update_issuer(&self, id: &str, input: &ConnectorInput) -> Result<Issuer> {
        self.put(self.url(&["issuers", id]), input).await
    }

    /// `DELETE /issuers/{id}`.
    pub async fn delete_issuer(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["issuers", id])).await
    }

    /// `POST /issuers/{id}/test`: whether the issuer can issue (a failed check is `ok: false`,
    /// not an error).
    pub async fn test_issuer(&self, id: &str) -> Result<TestResult> {
        self.action(self.url(&["issuers", id, "test"])).await
    }

    /// `GET /issuers/{id}/ca`: the issuer's CA certificate(s) as PEM, for trust stores (and for
    /// [`ClientBuilder::ca_cert_pem`](super::ClientBuilder::ca_cert_pem)).
    pub async fn issuer_ca_pem(&self, id: &str) -> Result<String> {
        self.get_text(self.url(&["issuers", id, "ca"])).await
    }
}
