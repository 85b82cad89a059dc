//! `/health` and `/ready` (outside `/api/v1`) and the one-screen `/api/v1/summary`.

use super::{Client, ClientError, Result};
use crate::api::{Readiness, Summary};

impl Client {
    /// `GET /health`: `Ok` when the process answers.
    pub async fn health(&self) -> Result<()> {
        self.send(self.request(reqwest::Method::GET, self.root_url(&["health"]))).await.map(drop)
    }

    /// `GET /ready`: whether the database answers and migrations are applied. A server that is
    /// up but not ready (503 with a readiness body) is `Ok` with `ready: false`.
    pub async fn ready(&self) -> Result<Readiness> {
        let resp = self
            .request(reqwest::Method::GET, self.root_url(&["ready"]))
            .send()
            .await
            .map_err(ClientError::from_transport)?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(ClientError::from_transport)?;
        match (status, serde_json::from_slice::<Readiness>(&body)) {
            (200 | 503, Ok(r)) => Ok(r),
            (200, Err(e)) => Err(ClientError::Decode(format!("/ready: {e}"))),
            _ => Err(ClientError::from_status(status, &body)),
        }
    }

    /// `GET /api/v1/summary`: certificates by status, expiring soon, agents, failed jobs.
    pub async fn summary(&self) -> Result<Summary> {
        self.get_json(self.url(&["summary"])).await
    }
}
