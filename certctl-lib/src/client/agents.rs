//! `/agents`: registration, approval, heartbeat and retirement of the agents that hold the keys,
//! and `/bootstrap-tokens` with which agents register themselves.

use super::{Client, ClientError, Result};
use crate::api::query::{AgentQuery, PageQuery};
use crate::api::{
    AgentInput, AgentRegistered, AgentUpdate, AgentView, BootstrapTokenCreated,
    BootstrapTokenInput, CsrSubmission, JobReport, WorkItem,
};
use crate::model::{Agent, AgentFilter, AgentMetadata, BootstrapToken, Job, Page, PageRequest};

impl Client {
    /// `GET /agents`. `filter.ids` cannot be expressed in the API and is refused with
    /// [`ClientError::Config`].
    pub async fn list_agents(
        &self,
        filter: &AgentFilter,
        page: PageRequest,
    ) -> Result<Page<Agent>> {
        let q = AgentQuery::new(filter, page).map_err(ClientError::Config)?;
        self.get_list(self.url(&["agents"]), &q).await
    }

    /// `GET /agents/{id}`: the agent and the groups it belongs to now.
    pub async fn get_agent(&self, id: &str) -> Result<AgentView> {
        self.get_json(self.url(&["agents", id])).await
    }

    /// `POST /agents`: registers an agent (operator key, or the bootstrap token as API key);
    /// the answer holds the agent's own API key, shown once.
    pub async fn register_agent(&self, input: &AgentInput) -> Result<AgentRegistered> {
        self.post(self.url(&["agents"]), input).await
    }

    /// `PUT /agents/{id}`: renames the agent or replaces its operator labels.
    pub async fn update_agent(&self, id: &str, input: &AgentUpdate) -> Result<Agent> {
        self.put(self.url(&["agents", id]), input).await
    }

    /// `POST /agents/{id}/approve`: admits a `Pending` agent.
    pub async fn approve_agent(&self, id: &str) -> Result<Agent> {
        self.action(self.url(&["agents", id, "approve"])).await
    }

    /// `POST /bootstrap-tokens` (admin): the answer holds the secret in `token`, shown once.
    pub async fn create_bootstrap_token(
        &self,
        input: &BootstrapTokenInput,
    ) -> Result<BootstrapTokenCreated> {
        self.post(self.url(&["bootstrap-tokens"]), input).await
    }

    /// `GET /bootstrap-tokens` (admin; records only, never secrets).
    pub async fn list_bootstrap_tokens(&self, page: PageRequest) -> Result<Page<BootstrapToken>> {
        self.get_list(self.url(&["bootstrap-tokens"]), &PageQuery::from(page)).await
    }

    /// `GET /bootstrap-tokens/{id}` (admin).
    pub async fn get_bootstrap_token(&self, id: &str) -> Result<BootstrapToken> {
        self.get_json(self.url(&["bootstrap-tokens", id])).await
    }

    /// `POST /bootstrap-tokens/{id}/revoke` (admin).
    pub async fn revoke_bootstrap_token(&self, id: &str) -> Result<BootstrapToken> {
        self.action(self.url(&["bootstrap-tokens", id, "revoke"])).await
    }

    /// `POST /agents/{id}/retire`: retires the agent and revokes its keys.
    pub async fn retire_agent(&self, id: &str) -> Result<Agent> {
        self.action(self.url(&["agents", id, "retire"])).await
    }

    /// `POST /agents/{id}/heartbeat`: reports host metadata (with the agent's own key).
    pub async fn heartbeat(&self, id: &str, metadata: &AgentMetadata) -> Result<Agent> {
        self.post(self.url(&["agents", id, "heartbeat"]), metadata).await
    }

    /// `GET /agents/{id}/work`: CSRs to send and deployments to run (agent key).
    pub async fn agent_work(&self, id: &str) -> Result<Page<WorkItem>> {
        self.get_json(self.url(&["agents", id, "work"])).await
    }

    /// `POST /agents/{id}/csr`: submits the CSR for an AwaitingCSR job (agent key).
    pub async fn submit_csr(&self, id: &str, job_id: &str, csr_pem: &str) -> Result<Job> {
        self.post(
            self.url(&["agents", id, "csr"]),
            &CsrSubmission { job_id: job_id.into(), csr_pem: csr_pem.into() },
        )
        .await
    }

    /// `POST /agents/{id}/jobs/{job_id}/status`: reports a deployment's outcome (agent key).
    pub async fn report_job(&self, id: &str, job_id: &str, report: &JobReport) -> Result<Job> {
        self.post(self.url(&["agents", id, "jobs", job_id, "status"]), report).await
    }
}
