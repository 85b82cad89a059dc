//! `/agent-groups`: named sets of agents selected by criteria.

use super::{Client, Result};
use crate::api::GroupInput;
use crate::api::query::PageQuery;
use crate::model::{AgentGroup, Page, PageRequest};

impl Client {
    /// `GET /agent-groups`.
    pub async fn list_agent_groups(&self, page: PageRequest) -> Result<Page<AgentGroup>> {
        self.get_list(self.url(&["agent-groups"]), &PageQuery::from(page)).await
    }

    /// `GET /agent-groups/{id}/members`: the agents matching the group's criteria now.
    pub async fn agent_group_members(
        &self,
        id: &str,
        page: PageRequest,
    ) -> Result<Page<crate::model::Agent>> {
        self.get_list(self.url(&["agent-groups", id, "members"]), &PageQuery::from(page)).await
    }

    /// `GET /agent-groups/{id}`.
    pub async fn get_agent_group(&self, id: &str) -> Result<AgentGroup> {
        self.get_json(self.url(&["agent-groups", id])).await
    }

    /// `POST /agent-groups`.
    pub async fn create_agent_group(&self, input: &GroupInput) -> Result<AgentGroup> {
        self.post(self.url(&["agent-groups"]), input).await
    }

    /// `PUT /agent-groups/{id}`: absent fields keep their value.
    pub async fn update_agent_group(&self, id: &str, input: &GroupInput) -> Result<AgentGroup> {
        self.put(self.url(&["agent-groups", id]), input).await
    }

    /// `DELETE /agent-groups/{id}`.
    pub async fn delete_agent_group(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["agent-groups", id])).await
    }
}
