//! `/policies`: policy rules and their violations.

use super::{Client, Result};
use crate::api::PolicyInput;
use crate::api::query::{PageQuery, ViolationQuery};
use crate::model::{Page, PageRequest, PolicyRule, PolicyViolation};

impl Client {
    /// `GET /policies`.
    pub async fn list_policies(&self, page: PageRequest) -> Result<Page<PolicyRule>> {
        self.get_list(self.url(&["policies"]), &PageQuery::from(page)).await
    }

    /// `GET /policies/{id}`.
    pub async fn get_policy(&self, id: &str) -> Result<PolicyRule> {
        self.get_json(self.url(&["policies", id])).await
    }

    /// `POST /policies`.
    pub async fn create_policy(&self, input: &PolicyInput) -> Result<PolicyRule> {
        self.post(self.url(&["policies"]), input).await
    }

    /// `PUT /policies/{id}`: absent fields keep their value.
    pub async fn update_policy(&self, id: &str, input: &PolicyInput) -> Result<PolicyRule> {
        self.put(self.url(&["policies", id]), input).await
    }

    /// `DELETE /policies/{id}`.
    pub async fn delete_policy(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["policies", id])).await
    }

    /// `GET /policies/{id}/violations`; `open_only` leaves out resolved ones.
    pub async fn policy_violations(
        &self,
        id: &str,
        open_only: bool,
        page: PageRequest,
    ) -> Result<Page<PolicyViolation>> {
        self.get_list(
            self.url(&["policies", id, "violations"]),
            &ViolationQuery::new(open_only, page),
        )
        .await
    }

    /// `POST /policies/evaluate`: the verdict and each in-scope rule's result for an existing
    /// certificate or a draft (and `input.with`, a draft rule); nothing is stored.
    pub async fn evaluate_policies(
        &self,
        input: &crate::api::EvaluateInput,
    ) -> Result<crate::policy::Evaluation> {
        self.post(self.url(&["policies", "evaluate"]), input).await
    }
}
