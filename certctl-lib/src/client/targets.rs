//! `/targets`: where certificates are deployed (and by which agent).

use super::{Client, Result};
use crate::api::ConnectorInput;
use crate::api::query::TargetQuery;
use crate::model::{Page, PageRequest, Target};

impl Client {
    /// `GET /targets`, optionally only those deployed by `agent_id`.
    pub async fn list_targets(
        &self,
        agent_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Target>> {
        self.get_list(self.url(&["targets"]), &TargetQuery::new(agent_id, page)).await
    }

    /// `GET /targets/{id}`.
    pub async fn get_target(&self, id: &str) -> Result<Target> {
        self.get_json(self.url(&["targets", id])).await
    }

    /// `POST /targets`.
    pub async fn create_target(&self, input: &ConnectorInput) -> Result<Target> {
        self.post(self.url(&["targets"]), input).await
    }

    /// `PUT /targets/{id}`: absent fields keep their value.
    pub async fn update_target(&self, id: &str, input: &ConnectorInput) -> Result<Target> {
        self.put(self.url(&["targets", id]), input).await
    }

    /// `DELETE /targets/{id}`.
    pub async fn delete_target(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["targets", id])).await
    }
}
