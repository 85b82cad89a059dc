//! `/certificates`: inventory, versions, PEM export and the lifecycle actions.

use super::{Client, ClientError, Result};
use crate::api::query::{CertificateQuery, ViolationQuery};
use crate::api::{CertificateInput, CertificatePatch, RevokeInput};
use crate::model::{
    Certificate, CertificateFilter, CertificateVersion, Job, Page, PageRequest, PolicyViolation,
};

impl Client {
    /// `GET /certificates`: one page of the certificates matching `filter`.
    ///
    /// Note that `CertificateFilter::default()` has `exclude_archived: false`, i.e. it lists
    /// archived certificates too; set `exclude_archived: true` for the server's default view.
    pub async fn list_certificates(
        &self,
        filter: &CertificateFilter,
        page: PageRequest,
    ) -> Result<Page<Certificate>> {
        let q = CertificateQuery::new(filter, page).map_err(ClientError::Config)?;
        self.get_list(self.url(&["certificates"]), &q).await
    }

    /// `GET /certificates/{id}`.
    pub async fn get_certificate(&self, id: &str) -> Result<Certificate> {
        self.get_json(self.url(&["certificates", id])).await
    }

    /// `POST /certificates`: records a certificate (issuance starts separately, see
    /// [`renew_certificate`](Self::renew_certificate)).
    pub async fn create_certificate(&self, input: &CertificateInput) -> Result<Certificate> {
        self.post(self.url(&["certificates"]), input).await
    }

    /// `PUT /certificates/{id}`: absent fields keep their value.
    pub async fn update_certificate(
        &self,
        id: &str,
        patch: &CertificatePatch,
    ) -> Result<Certificate> {
        self.put(self.url(&["certificates", id]), patch).await
    }

    /// `DELETE /certificates/{id}`: archives the certificate (it is never deleted).
    pub async fn archive_certificate(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["certificates", id])).await
    }

    /// `GET /certificates/{id}/violations`: the policy violations of this certificate;
    /// `open_only` leaves out resolved ones.
    pub async fn certificate_violations(
        &self,
        id: &str,
        open_only: bool,
        page: PageRequest,
    ) -> Result<Page<PolicyViolation>> {
        self.get_list(
            self.url(&["certificates", id, "violations"]),
            &ViolationQuery::new(open_only, page),
        )
        .await
    }

    /// `GET /certificates/{id}/versions`: every issued version, newest first.
    pub async fn certificate_versions(&self, id: &str) -> Result<Page<CertificateVersion>> {
        self.get_json(self.url(&["certificates", id, "versions"])).await
    }

    /// `GET /certificates/{id}/export`: the current PEM chain, leaf first.
    pub async fn export_certificate(&self, id: &str) -> Result<String> {
        self.get_text(self.url(&["certificates", id, "export"])).await
    }

    /// `POST /certificates/{id}/export-key`: the server-held private key as PEM (server keygen
    /// demo mode only; admin; audited).
    pub async fn export_certificate_key(&self, id: &str) -> Result<String> {
        let resp = self
            .send(
                self.request(reqwest::Method::POST, self.url(&["certificates", id, "export-key"])),
            )
            .await?;
        let body = resp.bytes().await.map_err(ClientError::from_transport)?;
        String::from_utf8(body.to_vec()).map_err(|e| super::ClientError::Decode(e.to_string()))
    }

    /// `POST /certificates/{id}/renew`: starts issuance or renewal (idempotent); the job.
    pub async fn renew_certificate(&self, id: &str) -> Result<Job> {
        self.action(self.url(&["certificates", id, "renew"])).await
    }

    /// `POST /certificates/{id}/deploy`: one deployment job per target.
    pub async fn deploy_certificate(&self, id: &str) -> Result<Page<Job>> {
        self.action(self.url(&["certificates", id, "deploy"])).await
    }

    /// `POST /certificates/{id}/revoke`: revokes the current version. `reason` is an RFC 5280
    /// reason in camelCase (`keyCompromise`, `superseded`, ...); `None` means `unspecified`.
    pub async fn revoke_certificate(&self, id: &str, reason: Option<&str>) -> Result<Certificate> {
        let body = RevokeInput { reason: reason.map(str::to_owned) };
        self.post(self.url(&["certificates", id, "revoke"]), &body).await
    }
}
