//! `/teams`: who owns certificates, at the team level.

use super::{Client, Result};
use crate::api::TeamInput;
use crate::api::query::PageQuery;
use crate::model::{Page, PageRequest, Team};

impl Client {
    /// `GET /teams`.
    pub async fn list_teams(&self, page: PageRequest) -> Result<Page<Team>> {
        self.get_list(self.url(&["teams"]), &PageQuery::from(page)).await
    }

    /// `GET /teams/{id}`.
    pub async fn get_team(&self, id: &str) -> Result<Team> {
        self.get_json(self.url(&["teams", id])).await
    }

    /// `POST /teams`.
    pub async fn create_team(&self, input: &TeamInput) -> Result<Team> {
        self.post(self.url(&["teams"]), input).await
    }

    /// `PUT /teams/{id}`: absent fields keep their value.
    pub async fn update_team(&self, id: &str, input: &TeamInput) -> Result<Team> {
        self.put(self.url(&["teams", id]), input).await
    }

    /// `DELETE /teams/{id}`.
    pub async fn delete_team(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["teams", id])).await
    }
}
