//! What the order driver gives an ordered issuer for one job: the job's order row
//! ([`OrderStore`]), the HTTP-01 responders ([`Http01Responder`]: the control plane's own
//! tokens, or Validation jobs for the agent that holds the key), and the issuer's account
//! sealed with the key store ([`AccountStore`]).

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use async_trait::async_trait;

use super::{Actor, KeyStore, Service};
use crate::error::{Error, Result};
use crate::issuer::{
    AccountStore, Http01Responder, Http01Token, OrderFailure, OrderState, OrderStore, StoredAccount,
};
use crate::model::*;
use crate::store::{AcmeAccountRow, AcmeChallengeRow, AcmeOrderRow, Store};

/// Longest wait for an agent to serve an HTTP-01 token.
const AGENT_WAIT_MAX: StdDuration = StdDuration::from_secs(600);

/// The order of one issuance job.
pub(super) struct JobOrder {
    pub svc: Service,
    pub job: Job,
    /// The issuer driving the order.
    pub issuer: IssuerId,
}

#[async_trait]
impl OrderStore for JobOrder {
    async fn load(&self) -> Result<Option<OrderState>> {
        let row = self.svc.store().get_acme_order(&self.job.id).await?;
        Ok(row.map(|r| OrderState { url: r.order_url, progress: r.state }))
    }

    async fn save(&self, state: &OrderState) -> Result<()> {
        let now = Timestamp::now();
        let row = AcmeOrderRow {
            job_id: self.job.id.clone(),
            issuer_id: self.issuer.clone(),
            order_url: state.url.clone(),
            state: state.progress.clone(),
            lease_owner: None,
            lease_until: None,
            created_at: now,
            updated_at: now,
        };
        self.svc.store().put_acme_order(&row).await
    }
}

#[async_trait]
impl Http01Responder for JobOrder {
    async fn serve(&self, tokens: &[Http01Token], by_agent: bool) -> Result<(), OrderFailure> {
        if by_agent {
            return self.agent_validations(tokens).await;
        }
        let now = Timestamp::now();
        for t in tokens {
            let c = AcmeChallengeRow {
                token: t.token.clone(),
                key_authorization: t.key_authorization.clone(),
                order_job_id: self.job.id.clone(),
                validation_job_id: None,
                mode: "server".into(),
                webroot: None,
                created_at: now,
            };
            self.svc.store().put_acme_challenge(&c).await?;
        }
        Ok(())
    }

    /// Removes the order's HTTP-01 tokens; agents stop serving theirs when their Validation job
    /// ends (Completed when `ok` and the agent served it, else Cancelled). Best effort:
    /// failures are logged, the order's outcome stands.
    async fn withdraw(&self, ok: bool) {
        let (svc, job) = (&self.svc, &self.job);
        if let Ok(page) = svc
            .store()
            .list_jobs(
                &JobFilter {
                    certificate_id: Some(job.certificate_id.clone()),
                    job_type: Some(JobType::Validation),
                    ..Default::default()
                },
                PageRequest::new(1, 100),
            )
            .await
        {
            for v in page.data.into_iter().filter(|v| !v.status.is_terminal()) {
                let Ok(Some(c)) = svc.store().acme_challenge_of_validation(&v.id).await else {
                    continue;
                };
                if c.order_job_id != job.id {
                    continue;
                }
                let expected = v.status;
                let mut v = v;
                let now = Timestamp::now();
                v.status = if ok && expected == JobStatus::Running {
                    JobStatus::Completed
                } else {
                    JobStatus::Cancelled
                };
                v.completed_at = Some(now);
                v.updated_at = now;
                let action = if v.status == JobStatus::Completed {
                    "job_completed"
                } else {
                    "job_cancelled"
                };
                if let Err(e) = svc
                    .store()
                    .update_job(
                        &v,
                        expected,
                        Some(&Actor::system().audit(action, "job", v.id.as_str())),
                    )
                    .await
                {
                    tracing::warn!(job = %v.id, "closing the validation job: {e}");
                }
            }
        }
        if let Err(e) = svc.store().delete_acme_challenges(&job.id).await {
            tracing::warn!(job = %job.id, "removing HTTP-01 tokens: {e}");
        }
    }
}

impl JobOrder {
    /// Agent mode: one Validation job per token for the agent that holds the key; waits until
    /// the agent reports each Ready (it serves the token) before the CA is asked to validate.
    async fn agent_validations(&self, todo: &[Http01Token]) -> Result<(), OrderFailure> {
        let (svc, job) = (&self.svc, &self.job);
        let agent = job.agent_id.clone().ok_or_else(|| {
            OrderFailure::permanent("http01_mode agent needs the job's agent (agent keygen)")
        })?;
        let cert = svc.store().get_certificate(&job.certificate_id).await?;
        let mut webroot = None;
        for t in &cert.target_ids {
            let target = svc.store().get_target(t).await?;
            if target.agent_id.as_ref() == Some(&agent)
                && let Some(w) = target.config.get("webroot").and_then(|w| w.as_str())
            {
                webroot = Some(w.to_owned());
                break;
            }
        }
        let mut jobs = Vec::new();
        for t in todo {
            // resumed after a restart: the token's Validation job is still open, keep it
            if let Some(c) = svc.store().get_acme_challenge(&t.token).await?
                && c.order_job_id == job.id
                && let Some(v) = &c.validation_job_id
                && !svc.store().get_job(v).await?.status.is_terminal()
            {
                jobs.push(v.clone());
                continue;
            }
            let now = Timestamp::now();
            let v = Job {
                agent_id: Some(agent.clone()),
                ..Job::new(
                    JobType::Validation,
                    JobStatus::Pending,
                    job.certificate_id.clone(),
                    1,
                    now,
                )
            };
            let audit = Actor::system()
                .audit("job_created", "job", v.id.as_str())
                .with_details(serde_json::json!({"type": "Validation", "certificate_id": job.certificate_id, "agent_id": agent, "order_job_id": job.id, "identifier": t.identifier}));
            let v = svc.store().create_job(&v, &audit).await?;
            let c = AcmeChallengeRow {
                token: t.token.clone(),
                key_authorization: t.key_authorization.clone(),
                order_job_id: job.id.clone(),
                validation_job_id: Some(v.id.clone()),
                mode: "agent".into(),
                webroot: webroot.clone(),
                created_at: now,
            };
            svc.store().put_acme_challenge(&c).await?;
            jobs.push(v.id);
        }
        let wait = svc.config().agent_timeout.min(AGENT_WAIT_MAX);
        let start = Instant::now();
        let mut lease_at = Instant::now();
        let mut delay = StdDuration::from_millis(20);
        loop {
            let mut ready = 0;
            for id in &jobs {
                let v = svc.store().get_job(id).await?;
                match v.status {
                    JobStatus::Running | JobStatus::Completed => ready += 1,
                    JobStatus::Failed | JobStatus::Cancelled => {
                        return Err(OrderFailure::permanent(format!(
                            "agent {agent} could not serve the HTTP-01 token: {}",
                            v.last_error.unwrap_or_else(|| v.status.to_string())
                        )));
                    }
                    _ => {}
                }
            }
            if ready == jobs.len() {
                return Ok(());
            }
            if start.elapsed() > wait {
                return Err(OrderFailure::permanent(format!(
                    "agent {agent} did not serve the HTTP-01 token within {}s",
                    wait.as_secs()
                )));
            }
            if svc.store().get_job(&job.id).await?.status != JobStatus::Running {
                return Err(OrderFailure::permanent("the job was cancelled"));
            }
            if lease_at.elapsed() > StdDuration::from_secs(5) {
                svc.keep_lease(job).await?;
                lease_at = Instant::now();
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(StdDuration::from_millis(250));
        }
    }
}

/// The ACME account of one issuer, sealed with the service's key store.
pub(super) struct IssuerVault {
    pub store: Arc<dyn Store>,
    pub keystore: Option<Arc<KeyStore>>,
    pub issuer: IssuerId,
}

impl IssuerVault {
    fn keystore(&self) -> Result<&KeyStore> {
        self.keystore.as_deref().ok_or_else(|| Error::Conflict("no secret key is configured (CERTCTL_SECRET_KEY or <data-dir>/secret.key) to seal server-held keys and ACME accounts".into()))
    }

    fn open(&self, row: AcmeAccountRow) -> Result<StoredAccount> {
        Ok(StoredAccount {
            credentials: self.keystore()?.open(&row.credentials_sealed)?,
            directory_url: row.directory_url,
            account_url: row.account_url,
        })
    }
}

#[async_trait]
impl AccountStore for IssuerVault {
    async fn load(&self) -> Result<Option<StoredAccount>> {
        self.keystore()?;
        self.store.get_acme_account(&self.issuer).await?.map(|r| self.open(r)).transpose()
    }

    async fn save(&self, account: &StoredAccount) -> Result<StoredAccount> {
        let row = AcmeAccountRow {
            issuer_id: self.issuer.clone(),
            directory_url: account.directory_url.clone(),
            account_url: account.account_url.clone(),
            credentials_sealed: self.keystore()?.seal(&account.credentials)?,
            created_at: Timestamp::now(),
        };
        let kept = self.store.put_acme_account(&row).await?;
        self.open(kept)
    }

    async fn delete(&self) -> Result<()> {
        self.store.delete_acme_account(&self.issuer).await
    }

    fn open_secret(&self, sealed: &str) -> Result<Vec<u8>> {
        self.keystore()?.open(sealed)
    }
}
