//! `/owners`: the people responsible for certificates.

use super::{Client, Result};
use crate::api::OwnerInput;
use crate::api::query::OwnerQuery;
use crate::model::{Owner, Page, PageRequest};

impl Client {
    /// `GET /owners`, optionally only the members of `team_id`.
    pub async fn list_owners(
        &self,
        team_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Owner>> {
        self.get_list(self.url(&["owners"]), &OwnerQuery::new(team_id, page)).await
    }

    /// `GET /owners/{id}`.
    pub async fn get_owner(&self, id: &str) -> Result<Owner> {
        self.get_json(self.url(&["owners", id])).await
    }

    /// `POST /owners`.
    pub async fn create_owner(&self, input: &OwnerInput) -> Result<Owner> {
        self.post(self.url(&["owners"]), input).await
    }

    /// `PUT /owners/{id}`: absent fields keep their value, `team_id: Some(None)` clears it.
    pub async fn update_owner(&self, id: &str, input: &OwnerInput) -> Result<Owner> {
        self.put(self.url(&["owners", id]), input).await
    }

    /// `DELETE /owners/{id}`.
    pub async fn delete_owner(&self, id: &str) -> Result<()> {
        self.delete(self.url(&["owners", id])).await
    }
}
