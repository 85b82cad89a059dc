//! The agent side of the lifecycle: handing out work, taking CSRs (checked, then issued through
//! `lifecycle.rs`), and taking deployment reports.

use std::collections::BTreeSet;

use super::{Access, Actor, Service};
use crate::api::{CsrSubmission, Http01Work, JobReport, ValidationWork, WorkItem};
use crate::error::{Error, Result};
use crate::model::*;
use crate::pki;

/// Longest report message kept.
const MAX_MESSAGE: usize = 4096;

impl Service {
    /// The agent's work: certificates awaiting its CSR, and deployments to its targets (handed
    /// out as Running; handed out again until reported, so a restarted agent picks them up).
    pub async fn agent_work(&self, actor: &Actor, agent_id: &AgentId) -> Result<Vec<WorkItem>> {
        actor.require(&Access::Agent(agent_id.clone()))?;
        let agent = self.store().get_agent(agent_id).await?;
        if agent.status == AgentStatus::Retired {
            return Err(Error::Conflict(format!("agent {agent_id} is retired")));
        }
        if agent.status == AgentStatus::Pending {
            // not admitted yet: no work at all until an operator approves it
            return Ok(Vec::new());
        }
        let mut items = Vec::new();
        // Running before Pending: Pending deployments move to Running here and must not be listed twice
        for status in [JobStatus::AwaitingCsr, JobStatus::Running, JobStatus::Pending] {
            let filter = JobFilter {
                status: Some(status),
                agent_id: Some(agent_id.clone()),
                ..Default::default()
            };
            for job in self.store().list_jobs(&filter, PageRequest::new(1, 100)).await?.data {
                let job = match (status, job.job_type) {
                    (JobStatus::AwaitingCsr, JobType::Issuance | JobType::Renewal) => job,
                    (JobStatus::Running, JobType::Deployment) => job,
                    (JobStatus::Running | JobStatus::Pending, JobType::Validation) => job,
                    // an issuance the server works on (ACME order): nothing to do but wait
                    (JobStatus::Running, JobType::Issuance | JobType::Renewal)
                        if job.csr_pem.is_some() =>
                    {
                        job
                    }
                    (JobStatus::Pending, JobType::Deployment) => {
                        let mut j = job.clone();
                        j.status = JobStatus::Running;
                        j.attempts += 1;
                        j.updated_at = Timestamp::now();
                        match self.store().update_job(&j, JobStatus::Pending, None).await {
                            Ok(j) => j,
                            Err(Error::Conflict(_)) => continue,
                            Err(e) => return Err(e),
                        }
                    }
                    _ => continue,
                };
                items.push(self.work_item(job).await?);
            }
        }
        Ok(items)
    }

    async fn work_item(&self, job: Job) -> Result<WorkItem> {
        let cert = self.store().get_certificate(&job.certificate_id).await?;
        let (mut pem_chain, mut target_type, mut target_config) = (None, None, None);
        if job.job_type == JobType::Deployment {
            if let Some(v) = &job.version_id {
                pem_chain = Some(self.store().get_version(v).await?.pem_chain);
            }
            if let Some(t) = &job.target_id {
                let t = self.store().get_target(t).await?;
                target_type = Some(t.target_type);
                target_config = Some(t.config);
            }
        }
        let mut validation = None;
        if job.job_type == JobType::Validation
            && let Some(c) = self.store().acme_challenge_of_validation(&job.id).await?
        {
            let mode = if c.webroot.is_some() { "webroot" } else { "listener" };
            validation = Some(ValidationWork {
                token: c.token,
                key_authorization: c.key_authorization,
                http01: Http01Work { mode: mode.into(), webroot: c.webroot },
            });
        }
        Ok(WorkItem {
            job,
            common_name: cert.common_name,
            sans: cert.sans,
            pem_chain,
            target_type,
            target_config,
            validation,
        })
    }

    /// Checks an agent's CSR and has it signed. A CSR that fails a check is refused (422) and
    /// nothing is stored; the job stays AwaitingCSR.
    pub async fn submit_csr(
        &self,
        actor: &Actor,
        agent_id: &AgentId,
        input: &CsrSubmission,
    ) -> Result<Job> {
        actor.require(&Access::Agent(agent_id.clone()))?;
        self.require_admitted(agent_id).await?;
        let job = self.store().get_job(&JobId::from_trusted(input.job_id.clone())).await.map_err(
            |e| match e {
                Error::NotFound { .. } => {
                    Error::invalid("job_id", format!("job {} does not exist", input.job_id))
                }
                e => e,
            },
        )?;
        if job.agent_id.as_ref() != Some(agent_id) {
            return Err(Error::Forbidden(format!("job {} belongs to another agent", job.id)));
        }
        if !matches!(job.job_type, JobType::Issuance | JobType::Renewal)
            || job.status != JobStatus::AwaitingCsr
        {
            return Err(Error::Conflict(format!(
                "job {} is a {} job in status {}, not awaiting a CSR",
                job.id, job.job_type, job.status
            )));
        }
        let cert = self.store().get_certificate(&job.certificate_id).await?;
        let csr = pki::parse_csr(&input.csr_pem).map_err(|e| Error::invalid("csr_pem", e))?;
        check_key(&csr)?;
        check_names(&cert, &csr)?;
        let evaluation =
            self.enforce_policies(&cert, Some((&csr.key_algorithm, csr.key_size))).await?;
        self.sync_violations(actor, &cert.id, &evaluation).await?;
        let now = Timestamp::now();
        let audit = actor.audit("csr_submitted", "job", job.id.as_str()).with_details(serde_json::json!({
            "certificate_id": cert.id, "key_algorithm": csr.key_algorithm, "key_size": csr.key_size,
        }));
        self.issue_for_job(job, &cert, &input.csr_pem, None, now, vec![audit]).await
    }

    /// Takes an agent's report of a deployment job. A failed deployment (the agent has already
    /// rolled back) fails the job at once and marks the agent Degraded; a success marks the
    /// binding Deployed and the agent Online again.
    pub async fn report_job(
        &self,
        actor: &Actor,
        agent_id: &AgentId,
        job_id: &JobId,
        report: &JobReport,
    ) -> Result<Job> {
        actor.require(&Access::Agent(agent_id.clone()))?;
        self.require_admitted(agent_id).await?;
        let job = self.store().get_job(job_id).await?;
        if job.agent_id.as_ref() != Some(agent_id) {
            return Err(Error::Forbidden(format!("job {job_id} belongs to another agent")));
        }
        if job.job_type == JobType::Validation {
            return self.report_validation(actor, job, report).await;
        }
        let status = match report.status.as_str() {
            "Completed" => JobStatus::Completed,
            "Failed" => JobStatus::Failed,
            other => {
                return Err(Error::invalid(
                    "status",
                    format!("{other:?} is not Completed or Failed"),
                ));
            }
        };
        if job.job_type != JobType::Deployment
            || !matches!(job.status, JobStatus::Running | JobStatus::Pending)
        {
            return Err(Error::Conflict(format!(
                "job {job_id} is a {} job in status {}; only running deployments take reports",
                job.job_type, job.status
            )));
        }
        let message: Option<String> =
            report.message.as_ref().map(|m| m.chars().take(MAX_MESSAGE).collect());
        let now = Timestamp::now();
        let mut j = job.clone();
        if j.status == JobStatus::Pending {
            j.status = JobStatus::Running;
            j = self.store().update_job(&j, JobStatus::Pending, None).await?;
        }
        let expected = j.status;
        j.status = status;
        j.last_error = if status == JobStatus::Failed {
            message.clone().or(Some("deployment failed".into()))
        } else {
            None
        };
        j.completed_at = Some(now);
        j.updated_at = now;
        let audit = actor.audit("deployment_reported", "job", job_id.as_str()).with_details(serde_json::json!({
            "status": status, "certificate_id": j.certificate_id, "target_id": j.target_id, "version_id": j.version_id, "message": message,
        }));
        let j = self.store().update_job(&j, expected, Some(&audit)).await?;
        if status == JobStatus::Failed {
            self.record_job_failure(&j, None, now).await;
        }
        if let Some(t) = &j.target_id
            && let Some(mut b) = self
                .store()
                .list_certificate_targets(&j.certificate_id)
                .await?
                .into_iter()
                .find(|b| &b.target_id == t)
        {
            b.deployment_status =
                Some(if status == JobStatus::Completed { "Deployed" } else { "Failed" }.into());
            if status == JobStatus::Completed {
                b.deployed_version_id = j.version_id.clone();
                b.last_deployed_at = Some(now);
                b.last_error = None;
            } else {
                b.last_error = j.last_error.clone();
            }
            self.store().update_certificate_target(&b).await?;
        }
        if status == JobStatus::Completed {
            let mut c = self.store().get_certificate(&j.certificate_id).await?;
            c.last_deployment_at = Some(now);
            c.updated_at = now;
            self.store().update_certificate(&c, &actor.audit("certificate_deployed", "certificate", c.id.as_str()).with_details(serde_json::json!({"target_id": j.target_id, "version_id": j.version_id}))).await?;
        }
        let mut agent = self.store().get_agent(agent_id).await?;
        let want =
            if status == JobStatus::Failed { AgentStatus::Degraded } else { AgentStatus::Online };
        if agent.status != want
            && agent.status != AgentStatus::Retired
            && (want == AgentStatus::Degraded || agent.status == AgentStatus::Degraded)
        {
            agent.status = want;
            agent.updated_at = now;
            let action =
                if want == AgentStatus::Degraded { "agent_degraded" } else { "agent_recovered" };
            self.store()
                .update_agent(
                    &agent,
                    &Actor::system()
                        .audit(action, "agent", agent_id.as_str())
                        .with_details(serde_json::json!({"job_id": j.id})),
                )
                .await?;
        }
        Ok(j)
    }
}

impl Service {
    /// An agent's report on an HTTP-01 Validation job: `Ready` (it serves the token: the CA may
    /// now be asked to validate) or `Failed` (with why).
    async fn report_validation(&self, actor: &Actor, job: Job, report: &JobReport) -> Result<Job> {
        let status = match report.status.as_str() {
            "Ready" => JobStatus::Running,
            "Failed" => JobStatus::Failed,
            other => {
                return Err(Error::invalid(
                    "status",
                    format!("{other:?} is not Ready or Failed (validation job)"),
                ));
            }
        };
        if job.status.is_terminal() {
            return Err(Error::Conflict(format!(
                "validation job {} is {} and takes no report",
                job.id, job.status
            )));
        }
        if job.status == status {
            return Ok(job);
        }
        let now = Timestamp::now();
        let expected = job.status;
        let mut j = job;
        j.status = status;
        j.updated_at = now;
        if status == JobStatus::Failed {
            j.last_error = Some(
                report
                    .message
                    .as_deref()
                    .unwrap_or("the agent could not serve the token")
                    .chars()
                    .take(MAX_MESSAGE)
                    .collect(),
            );
            j.completed_at = Some(now);
        } else {
            j.attempts += 1;
        }
        let audit = actor
            .audit("validation_reported", "job", j.id.as_str())
            .with_details(serde_json::json!({"status": report.status, "message": j.last_error}));
        self.store().update_job(&j, expected, Some(&audit)).await
    }
}

/// ECDSA P-256 or stronger, RSA 2048 or stronger.
fn check_key(csr: &pki::CsrInfo) -> Result<()> {
    match (csr.key_algorithm.as_str(), csr.key_size) {
        ("ECDSA", n) if n >= 256 => Ok(()),
        ("RSA", n) if n >= 2048 => Ok(()),
        (alg, n) => Err(Error::invalid(
            "csr_pem",
            format!(
                "key {alg} {n} is not allowed: use ECDSA P-256 or stronger, or RSA 2048 or stronger"
            ),
        )),
    }
}

/// The CSR must name exactly the certificate's common name and SANs (as a set).
fn check_names(cert: &Certificate, csr: &pki::CsrInfo) -> Result<()> {
    let want: BTreeSet<String> = std::iter::once(&cert.common_name)
        .chain(&cert.sans)
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let got: BTreeSet<String> = csr
        .common_name
        .iter()
        .chain(&csr.dns_names)
        .chain(&csr.ip_addresses)
        .map(|n| n.to_ascii_lowercase())
        .collect();
    if want != got {
        let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
        return Err(Error::invalid(
            "csr_pem",
            format!(
                "the CSR names [{}] but certificate {} needs exactly [{}]",
                list(&got),
                cert.id,
                list(&want)
            ),
        ));
    }
    Ok(())
}
