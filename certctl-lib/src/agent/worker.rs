//! The agent's work: heartbeats, and one poll round that answers CSR requests with keys made
//! here, serves ACME HTTP-01 tokens, and runs deployments through the target connectors,
//! reporting each outcome.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http01::{Http01Tokens, write_webroot};
use super::{AgentError, KeyDir, KeySlot};
use crate::api::{JobReport, WorkItem};
use crate::client::Client;
use crate::model::{Agent, AgentMetadata, Job, JobStatus, JobType};
use crate::pki::{build_csr, parse_chain};
use crate::target::{DeployOptions, Material, from_config, leaf_spki};

/// Poll rounds in a row when a round submitted CSRs (their deployments follow at once).
const MAX_ROUNDS: usize = 3;
/// How long a poll keeps following an issuance the server runs in the background (an ACME
/// order: HTTP-01 tokens to serve, then the deployment).
const FOLLOW_MAX: Duration = Duration::from_secs(180);

/// What one [`Worker::poll`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// CSRs sent.
    pub csrs: usize,
    /// Deployments reported Completed.
    pub deployed: usize,
    /// What failed, one line each (also reported on the jobs where there is a job to report on).
    pub failures: Vec<String>,
}

/// One agent: its client (with its own API key), its key directory and deployment options.
#[derive(Debug)]
pub struct Worker {
    client: Client,
    agent_id: String,
    keys: KeyDir,
    opts: DeployOptions,
    stop: Arc<AtomicBool>,
    http01: Option<Http01Tokens>,
    /// HTTP-01 tokens served now, by Validation job: (token, webroot file).
    served: Mutex<HashMap<String, (String, Option<PathBuf>)>>,
}

impl Worker {
    /// A worker for agent `agent_id`; `client` must carry that agent's API key. `opts.policy` is
    /// what this host allows deployments and HTTP-01 webroot tokens to run and write.
    pub fn new(
        client: Client,
        agent_id: impl Into<String>,
        keys: KeyDir,
        opts: DeployOptions,
    ) -> Self {
        Self {
            client,
            agent_id: agent_id.into(),
            keys,
            opts,
            stop: Arc::default(),
            http01: None,
            served: Mutex::default(),
        }
    }

    /// The same worker answering HTTP-01 through the built-in responder that serves `tokens`.
    pub fn with_http01(mut self, tokens: Http01Tokens) -> Self {
        self.http01 = Some(tokens);
        self
    }

    /// The agent's id.
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    /// Set it to stop after the work item in progress (a deployment in flight always finishes
    /// or rolls back).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Undoes a deployment interrupted by a crash or kill (see [`crate::target::recover`]).
    pub async fn recover(&self) -> Result<bool, String> {
        match &self.opts.journal {
            Some(j) => crate::target::recover(j, &self.opts).await,
            None => Ok(false),
        }
    }

    /// Sends a heartbeat.
    pub async fn heartbeat(&self, meta: &AgentMetadata) -> Result<Agent, AgentError> {
        Ok(self.client.heartbeat(&self.agent_id, meta).await?)
    }

    /// Fetches the work and does it. A round that sent CSRs is followed at once by another (up
    /// to three), so that the deployments of the certificates just issued run now. Fails only
    /// when the server cannot be talked to; failed work is in the report.
    ///
    /// When the server runs an issuance in the background (ACME), the poll follows it: it keeps
    /// fetching work (50 ms growing to 500 ms) while that job is Running, serving the HTTP-01
    /// tokens it is handed, until the deployment has run or the job ended (at most 3 minutes).
    pub async fn poll(&self) -> Result<RoundReport, AgentError> {
        let mut report = RoundReport::default();
        // A job is handled once per call, even if listed again (later round, or twice in one list).
        let mut seen = HashSet::new();
        let mut following: HashSet<String> = HashSet::new();
        let mut rounds = 0;
        let start = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            rounds += 1;
            let items = self.client.agent_work(&self.agent_id).await?.data;
            let csrs_before = report.csrs;
            for item in &items {
                if self.stop.load(Ordering::SeqCst) {
                    return Ok(report);
                }
                if item.job.job_type == JobType::Validation {
                    self.validate(item, &mut report).await?;
                    continue;
                }
                if !seen.insert(item.job.id.clone()) {
                    continue;
                }
                match (item.job.job_type, item.job.status) {
                    (JobType::Issuance | JobType::Renewal, JobStatus::AwaitingCsr) => {
                        if let Some(job) = self.answer_csr(item, &mut report).await?
                            && job.status == JobStatus::Running
                        {
                            following.insert(job.certificate_id.to_string());
                        }
                    }
                    (JobType::Deployment, JobStatus::Running | JobStatus::Pending) => {
                        following.remove(item.job.certificate_id.as_str());
                        self.deploy(item, &mut report).await?;
                    }
                    _ => {}
                }
            }
            self.drop_tokens_not_in(&items);
            if report.csrs > csrs_before && rounds < MAX_ROUNDS {
                continue;
            }
            let in_flight = items.iter().any(|i| {
                following.contains(i.job.certificate_id.as_str())
                    && (i.job.job_type == JobType::Validation
                        || (matches!(i.job.job_type, JobType::Issuance | JobType::Renewal)
                            && i.job.status == JobStatus::Running))
            });
            if !in_flight || start.elapsed() > FOLLOW_MAX || self.stop.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
        Ok(report)
    }

    /// Serves the token of an HTTP-01 Validation job (once) and reports it Ready.
    async fn validate(&self, item: &WorkItem, report: &mut RoundReport) -> Result<(), AgentError> {
        let job_id = item.job.id.as_str();
        let served = self.served.lock().map(|s| s.contains_key(job_id)).unwrap_or(false);
        if !served {
            let outcome = match &item.validation {
                None => Err("the validation job carries no token".to_owned()),
                Some(v) => match (v.http01.mode.as_str(), &v.http01.webroot, &self.http01) {
                    ("webroot", Some(root), _) => write_webroot(std::path::Path::new(root), &v.token, &v.key_authorization, &self.opts.policy).map(|p| (v.token.clone(), Some(p))).map_err(|e| e.to_string()),
                    (_, _, Some(tokens)) if super::http01::valid_token(&v.token) => {
                        tokens.insert(&v.token, &v.key_authorization);
                        Ok((v.token.clone(), None))
                    }
                    (_, _, Some(_)) => Err("the token is not base64url".to_owned()),
                    _ => Err("no HTTP-01 responder on this agent: set CERTCTL_HTTP01_LISTEN, or a webroot in the target config".to_owned()),
                },
            };
            match outcome {
                Ok(entry) => {
                    tracing::info!(job = job_id, token = %entry.0, "serving the HTTP-01 token");
                    if let Ok(mut s) = self.served.lock() {
                        s.insert(job_id.to_owned(), entry);
                    }
                }
                Err(msg) => {
                    tracing::error!(job = job_id, "HTTP-01: {msg}");
                    report.failures.push(format!("{job_id}: http-01: {msg}"));
                    let body = JobReport { status: "Failed".into(), message: Some(msg) };
                    return match self.client.report_job(&self.agent_id, job_id, &body).await {
                        Err(e) if e.is_unreachable() => Err(e.into()),
                        _ => Ok(()),
                    };
                }
            }
        }
        if item.job.status == JobStatus::Pending {
            let body = JobReport { status: "Ready".into(), message: None };
            match self.client.report_job(&self.agent_id, job_id, &body).await {
                Ok(_) => {}
                Err(e) if e.is_unreachable() => return Err(e.into()),
                Err(e) => report.failures.push(format!("{job_id}: report: {e}")),
            }
        }
        Ok(())
    }

    /// Stops serving tokens whose Validation job is no longer handed out (the authorization is
    /// final).
    fn drop_tokens_not_in(&self, items: &[WorkItem]) {
        let Ok(mut served) = self.served.lock() else { return };
        let live: HashSet<&str> = items
            .iter()
            .filter(|i| i.job.job_type == JobType::Validation)
            .map(|i| i.job.id.as_str())
            .collect();
        served.retain(|job, (token, file)| {
            if live.contains(job.as_str()) {
                return true;
            }
            if let Some(t) = &self.http01 {
                t.remove(token);
            }
            if let Some(f) = file
                && let Err(e) = std::fs::remove_file(&*f)
            {
                tracing::warn!("removing {}: {e}", f.display());
            }
            tracing::info!(job = %job, token = %token, "HTTP-01 token no longer served");
            false
        });
    }

    /// Generates (or reuses) the pending key and sends the CSR; the job as the server answered.
    async fn answer_csr(
        &self,
        item: &WorkItem,
        report: &mut RoundReport,
    ) -> Result<Option<Job>, AgentError> {
        let cert_id = item.job.certificate_id.as_str();
        let job_id = item.job.id.as_str();
        let csr = match self
            .keys
            .next_key(cert_id)
            .and_then(|k| build_csr(&k, &item.common_name, &item.sans))
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(job = job_id, certificate = cert_id, "cannot prepare the CSR: {e}");
                report.failures.push(format!("{job_id}: csr: {e}"));
                return Ok(None);
            }
        };
        match self.client.submit_csr(&self.agent_id, job_id, &csr).await {
            Ok(job) => {
                tracing::info!(job = job_id, certificate = cert_id, status = %job.status, "CSR submitted");
                report.csrs += 1;
                Ok(Some(job))
            }
            Err(e) if e.is_unreachable() => Err(e.into()),
            Err(e) => {
                tracing::error!(job = job_id, certificate = cert_id, "CSR refused: {e}");
                report.failures.push(format!("{job_id}: csr: {e}"));
                Ok(None)
            }
        }
    }

    /// Deploys and reports the outcome on the job.
    async fn deploy(&self, item: &WorkItem, report: &mut RoundReport) -> Result<(), AgentError> {
        let job_id = item.job.id.as_str();
        let outcome = self.try_deploy(item).await;
        let body = match &outcome {
            Ok(msg) => {
                tracing::info!(job = job_id, "{msg}");
                JobReport { status: "Completed".into(), message: Some(msg.clone()) }
            }
            Err(msg) => {
                tracing::error!(job = job_id, "deployment failed: {msg}");
                JobReport { status: "Failed".into(), message: Some(msg.clone()) }
            }
        };
        match self.client.report_job(&self.agent_id, job_id, &body).await {
            Ok(_) => {}
            Err(e) if e.is_unreachable() => return Err(e.into()),
            Err(e) => report.failures.push(format!("{job_id}: report: {e}")),
        }
        match outcome {
            Ok(_) => report.deployed += 1,
            Err(m) => report.failures.push(format!("{job_id}: {m}")),
        }
        Ok(())
    }

    /// The deployment itself; the error is the report message (`<step>: ...`).
    async fn try_deploy(&self, item: &WorkItem) -> Result<String, String> {
        let cert_id = item.job.certificate_id.as_str();
        let chain =
            item.pem_chain.as_deref().ok_or("write: the job carries no certificate chain")?;
        let target_type =
            item.target_type.as_deref().ok_or("write: the job names no target type")?;
        let config = item.target_config.clone().unwrap_or_else(|| serde_json::json!({}));
        let target =
            from_config(target_type, &config).map_err(|e| format!("write: target config: {e}"))?;
        let leaf = parse_chain(chain).map_err(|e| format!("write: certificate chain: {e}"))?;
        let spki = leaf
            .first()
            .ok_or("write: empty chain")
            .and_then(|l| leaf_spki(&l.der).map_err(|_| "write: malformed leaf"))?;
        let (key_pem, slot) = self
            .keys
            .find(cert_id, &spki)
            .map_err(|e| format!("write: key directory: {e}"))?
            .ok_or_else(|| format!("write: no key in {} matches the certificate's public key (was the CSR made by another host?)", self.keys.dir().display()))?;
        let material = Material::new(chain, key_pem).map_err(|e| format!("write: {e}"))?;
        let done = target.deploy(&material, &self.opts).await.map_err(|e| e.to_string())?;
        if slot == KeySlot::Next
            && let Err(e) = self.keys.promote(cert_id)
        {
            tracing::warn!(
                certificate = cert_id,
                "deployed, but the new key could not replace the previous one in the key directory: {e}"
            );
        }
        let how = if done.changed { "deployed and verified" } else { "already in place" };
        Ok(format!("{how}: {} on {} target", done.fingerprint, target.kind()))
    }
}
