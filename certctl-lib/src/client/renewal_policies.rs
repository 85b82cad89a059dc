//! `/renewal-policies`: when certificates renew, how often to retry, when to alert.

use super::{Client, Result};
use crate::api::RenewalPolicyInput;
use crate::api::query::PageQuery;
use crate::model::{Page, PageRequest, RenewalPolicy};

impl Client {
    /// `GET /renewal-policies`.
    pub async fn list_renewal_policies(&self, page: PageRequest) -> Result<Page<RenewalPolicy>> {
        self.get_list(self.url(&["renewal-policies"]), &PageQuery::from(page)).await
    }

    /// `GET /renewal-policies/{id}`.
    pub async fn get_renewal_policy(&self, id: &str) -> Result<RenewalPolicy> {
        self.get_json(self.url(&["renewal-policies", id])).await
    }

    /// `POST /renewal-policies`.
    pub async fn create_renewal_policy(&self, input: &RenewalPolicyInput) -> Result<RenewalPolicy> {
        self.post(self.url(&["renewal-policies"]), input).await
    }

    /// `PUT /renewal-policies/{id}`: absent fields keep their value.
    pub async fn update_renewal_policy(
        &self,
        id: &str,
        input: &RenewalPolicyInput,
    ) -> Result<RenewalPolicy> {
        self.put(self.url(&["renewal-policies", id]), input).await
    }

    /// `DELETE /renewal-policies/{id}`.
    pub async fn delete_renewal_policy(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["renewal-policies", id])).await
    }
}
