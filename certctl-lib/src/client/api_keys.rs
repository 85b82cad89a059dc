//! `/api-keys`: API key management (admin only); secrets are shown once, at creation.

use super::{Client, Result};
use crate::api::query::PageQuery;
use crate::api::{ApiKeyCreated, ApiKeyInput};
use crate::model::{ApiKey, Page, PageRequest};

impl Client {
    /// `POST /api-keys`: the answer holds the secret in `key`, shown once.
    pub async fn create_api_key(&self, input: &ApiKeyInput) -> Result<ApiKeyCreated> {
        self.post(self.url(&["api-keys"]), input).await
    }

    /// `GET /api-keys` (records only, never secrets).
    pub async fn list_api_keys(&self, page: PageRequest) -> Result<Page<ApiKey>> {
        self.get_list(self.url(&["api-keys"]), &PageQuery::from(page)).await
    }

    /// `GET /api-keys/{id}`.
    pub async fn get_api_key(&self, id: &str) -> Result<ApiKey> {
        self.get_json(self.url(&["api-keys", id])).await
    }

    /// `DELETE /api-keys/{id}`: revokes the key.
    pub async fn revoke_api_key(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["api-keys", id])).await
    }
}
