//! `/jobs`: issuance, renewal and deployment work, newest first.

use super::{Client, Result};
use crate::api::query::JobQuery;
use crate::model::{Job, JobFilter, Page, PageRequest};

impl Client {
    /// `GET /jobs`: one page of the jobs matching `filter`, newest first.
    pub async fn list_jobs(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>> {
        self.get_list(self.url(&["jobs"]), &JobQuery::new(filter, page)).await
    }

    /// `GET /jobs/{id}`.
    pub async fn get_job(&self, id: &str) -> Result<Job> {
        self.get_json(self.url(&["jobs", id])).await
    }

    /// `POST /jobs/{id}/cancel`.
    pub async fn cancel_job(&self, id: &str) -> Result<Job> {
        self.action(self.url(&["jobs", id, "cancel"])).await
    }

    /// `POST /jobs/{id}/retry`: retries a failed or cancelled job.
    pub async fn retry_job(&self, id: &str) -> Result<Job> {
        self.action(self.url(&["jobs", id, "retry"])).await
    }
}
