//! ACME orders driven by the job engine. An issuance job of an `acme` issuer stays Running while
//! its order is worked on by a driver task; the order URL and the DNS records added are
//! persisted (`acme_orders`), and a lease names the replica driving it, so a restarted server
//! (or another replica) resumes the order instead of losing it.

use std::collections::{HashMap, HashSet};
use std::time::{Duration as StdDuration, Instant};

use instant_acme::{
    Account, AuthorizationStatus, ChallengeStatus, ChallengeType, Identifier, NewOrder, Order,
    OrderStatus,
};
use time::Duration;

use super::{Actor, Service};
use crate::error::{Error, Result};
use crate::issuer::acme::{self, AcmeConfig, AcmeFailure, AcmeHttp, Challenge, Http01Mode};
use crate::model::*;
use crate::pki;
use crate::store::{AcmeAccountRow, AcmeChallengeRow, AcmeOrderRow};

/// How long a driver's lease on an order lasts; refreshed while it works.
const LEASE_SECONDS: i64 = 15;
/// Longest an order may take (authorizations + finalize) in one attempt.
const ORDER_TIMEOUT: StdDuration = StdDuration::from_secs(180);
/// Polling backoff bounds.
const POLL_MIN: StdDuration = StdDuration::from_millis(100);
const POLL_MAX: StdDuration = StdDuration::from_secs(3);
/// Longest wait for an agent to serve an HTTP-01 token.
const AGENT_WAIT_MAX: StdDuration = StdDuration::from_secs(600);

type Failure = AcmeFailure;

/// Per-process ACME state: the lease owner name, orders being driven here, and accounts.
pub(crate) struct AcmeRuntime {
    owner: String,
    running: std::sync::Mutex<HashSet<JobId>>,
    accounts: tokio::sync::Mutex<HashMap<IssuerId, (serde_json::Value, Account, AcmeHttp)>>,
}

impl Default for AcmeRuntime {
    fn default() -> Self {
        Self {
            owner: format!("certctl-{:016x}", rand::random::<u64>()),
            running: Default::default(),
            accounts: Default::default(),
        }
    }
}

impl std::fmt::Debug for AcmeRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcmeRuntime").field("owner", &self.owner).finish_non_exhaustive()
    }
}

/// One challenge to set up.
struct Todo {
    token: String,
    key_authorization: String,
    dns_value: String,
    identifier: String,
}

impl Service {
    /// Starts (or resumes) the ACME order of `job` with `csr`: the job moves to Running with the
    /// CSR stored and a driver task takes the order; returns the Running job at once.
    pub(super) async fn start_acme_order(
        &self,
        job: Job,
        issuer: &Issuer,
        csr: &str,
        now: Timestamp,
        audits: Vec<AuditDraft>,
    ) -> Result<Job> {
        let mut j = job.clone();
        j.csr_pem = Some(csr.to_owned());
        j.updated_at = now;
        // the order's own lease (acme_orders) takes over from the job processor's claim
        j.claimed_until = None;
        if job.status == JobStatus::AwaitingCsr {
            j.status = JobStatus::Running;
            j.attempts += 1;
            j = self.store().update_job(&j, JobStatus::AwaitingCsr, audits.first()).await?;
        } else if job.csr_pem.as_deref() != Some(csr) || job.claimed_until.is_some() {
            j = self.store().update_job(&j, job.status, None).await?;
        }
        if self.store().get_acme_order(&j.id).await?.is_none() {
            let row = AcmeOrderRow {
                job_id: j.id.clone(),
                issuer_id: issuer.id.clone(),
                order_url: None,
                state: sqlx::types::Json(serde_json::json!({})),
                lease_owner: None,
                lease_until: None,
                created_at: now,
                updated_at: now,
            };
            self.store().put_acme_order(&row).await?;
        }
        self.spawn_acme_driver(j.id.clone());
        Ok(j)
    }

    /// Drives the order of `job` in a task of its own, unless this process already does.
    pub(super) fn spawn_acme_driver(&self, job: JobId) {
        let fresh = self.acme.running.lock().map(|mut r| r.insert(job.clone())).unwrap_or(false);
        if !fresh {
            return;
        }
        let svc = self.clone();
        tokio::spawn(async move {
            if let Err(e) = svc.drive_acme(&job).await {
                tracing::error!(job = %job, "ACME order driver: {e}");
            }
            if let Ok(mut r) = svc.acme.running.lock() {
                r.remove(&job);
            }
        });
    }

    /// Orders nobody drives (their lease expired: the server restarted, a replica died) are
    /// taken up again; orders of ended jobs are cleaned up. Returns how many it resumed.
    pub(super) async fn resume_acme_orders(&self, now: Timestamp) -> Result<usize> {
        let mut n = 0;
        for row in self.store().stale_acme_orders(now, 100).await? {
            let job = self.store().get_job(&row.job_id).await?;
            if job.status == JobStatus::Running {
                self.spawn_acme_driver(job.id);
                n += 1;
            } else if job.status.is_terminal() {
                self.release_challenges(&job, &row, false).await;
                self.store().delete_acme_order(&job.id).await?;
            }
        }
        Ok(n)
    }

    async fn drive_acme(&self, job_id: &JobId) -> Result<()> {
        let now = Timestamp::now();
        if !self
            .store()
            .lease_acme_order(
                job_id,
                &self.acme.owner,
                now,
                now.plus(Duration::seconds(LEASE_SECONDS)),
            )
            .await?
        {
            return Ok(());
        }
        let job = self.store().get_job(job_id).await?;
        let outcome = if job.status == JobStatus::Running {
            self.run_acme_order(&job).await
        } else {
            Err(AcmeFailure::permanent("job ended"))
        };
        let row = self.store().get_acme_order(job_id).await?;
        if let Some(row) = &row {
            self.release_challenges(&job, row, outcome.is_ok()).await;
        }
        let job = self.store().get_job(job_id).await?;
        let now = Timestamp::now();
        match outcome {
            Ok(chain) => {
                self.store().delete_acme_order(job_id).await?;
                if job.status == JobStatus::Running {
                    let cert = self.store().get_certificate(&job.certificate_id).await?;
                    let csr = job.csr_pem.clone().unwrap_or_default();
                    if let Err(e) = self
                        .record_issued(job.clone(), &cert, &csr, &chain, None, now, Vec::new())
                        .await
                    {
                        self.fail_job(
                            job,
                            &Error::Connector {
                                message: format!(
                                    "the CA issued a certificate certctl cannot record: {e}"
                                ),
                                transient: false,
                            },
                            now,
                        )
                        .await?;
                    }
                }
            }
            Err(f) => {
                if f.transient {
                    self.store().lease_acme_order(job_id, &self.acme.owner, now, now).await?;
                } else {
                    self.store().delete_acme_order(job_id).await?;
                }
                if job.status == JobStatus::Running {
                    let at = f
                        .retry_after
                        .map(|t| Timestamp::from_datetime(time::OffsetDateTime::from(t)));
                    self.fail_job_after(job, &f.to_error(), now, at).await?;
                }
            }
        }
        Ok(())
    }

    /// Runs the order to a certificate chain (PEM, leaf first).
    async fn run_acme_order(&self, job: &Job) -> std::result::Result<String, Failure> {
        let cert = self.store().get_certificate(&job.certificate_id).await?;
        let issuer = self.issuer_of(&cert.issuer_id).await?;
        if !issuer.enabled {
            return Err(AcmeFailure::permanent(format!("issuer {} is disabled", issuer.id)));
        }
        let cfg = AcmeConfig::parse(&issuer.config)?;
        let csr =
            job.csr_pem.clone().ok_or_else(|| AcmeFailure::permanent("the job holds no CSR"))?;
        let der = pki::csr_der(&csr)?;
        let (account, http) = self.acme_account(&issuer, &cfg).await?;
        let ra = http.retry_after();
        let err = |e: instant_acme::Error| acme::classify(&e, ra.take());
        let mut row = self
            .store()
            .get_acme_order(&job.id)
            .await?
            .ok_or_else(|| AcmeFailure::permanent("the order record is gone"))?;
        let mut order: Option<Order> = None;
        if let Some(url) = row.order_url.clone() {
            match account.order(url).await {
                Ok(mut o) => {
                    if o.state().status != OrderStatus::Invalid {
                        order = Some(o);
                    }
                }
                Err(e) => {
                    let f = err(e);
                    if f.transient {
                        return Err(f);
                    }
                }
            }
        }
        let mut order = match order {
            Some(o) => o,
            None => {
                let ids = identifiers(&cert);
                let o = account.new_order(&NewOrder::new(&ids)).await.map_err(err)?;
                row.order_url = Some(o.url().to_owned());
                row.state = sqlx::types::Json(serde_json::json!({}));
                row.updated_at = Timestamp::now();
                self.store().put_acme_order(&row).await?;
                tracing::info!(job = %job.id, order = o.url(), "ACME order created");
                o
            }
        };
        let deadline = Instant::now() + ORDER_TIMEOUT;
        let mut delay = POLL_MIN;
        let mut authorized = false;
        let mut released = false;
        let mut lease_at = Instant::now();
        loop {
            if lease_at.elapsed() > StdDuration::from_secs(5) {
                self.keep_lease(job).await?;
                lease_at = Instant::now();
            }
            let status = order.state().status;
            if status != OrderStatus::Pending && authorized && !released {
                // every authorization is final: tokens and DNS records go now
                self.release_challenges(job, &row, status != OrderStatus::Invalid).await;
                released = true;
            }
            match status {
                OrderStatus::Pending if !authorized => {
                    self.authorize(&mut order, job, &cfg, &mut row, &err).await?;
                    authorized = true;
                    lease_at = Instant::now() - StdDuration::from_secs(10);
                    continue;
                }
                OrderStatus::Ready => {
                    order.finalize_csr(&der).await.map_err(err)?;
                    continue;
                }
                OrderStatus::Valid => {
                    if let Some(chain) = order.certificate().await.map_err(err)? {
                        return Ok(chain);
                    }
                }
                OrderStatus::Invalid => return Err(invalid_reason(&mut order).await),
                OrderStatus::Pending | OrderStatus::Processing => {}
            }
            if Instant::now() > deadline {
                return Err(AcmeFailure::transient(format!(
                    "the ACME order is still {status:?} after {}s",
                    ORDER_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay.mul_f32(1.5)).min(POLL_MAX);
            if self.store().get_job(&job.id).await?.status != JobStatus::Running {
                return Err(AcmeFailure::permanent("the job was cancelled"));
            }
            order.refresh().await.map_err(err)?;
        }
    }

    async fn keep_lease(&self, job: &Job) -> std::result::Result<(), Failure> {
        let now = Timestamp::now();
        if self
            .store()
            .lease_acme_order(
                &job.id,
                &self.acme.owner,
                now,
                now.plus(Duration::seconds(LEASE_SECONDS)),
            )
            .await?
        {
            Ok(())
        } else {
            Err(AcmeFailure::transient("another replica took over this ACME order"))
        }
    }

    /// Sets up a response for every pending authorization and tells the CA to validate.
    async fn authorize(
        &self,
        order: &mut Order,
        job: &Job,
        cfg: &AcmeConfig,
        row: &mut AcmeOrderRow,
        err: &(dyn Fn(instant_acme::Error) -> AcmeFailure + Sync),
    ) -> std::result::Result<(), Failure> {
        let ctype = if cfg.challenge == Challenge::Dns01 {
            ChallengeType::Dns01
        } else {
            ChallengeType::Http01
        };
        let mut todo = Vec::new();
        {
            let mut auths = order.authorizations();
            while let Some(a) = auths.next().await {
                let mut a = a.map_err(err)?;
                let identifier = a.identifier().to_string();
                match a.status {
                    AuthorizationStatus::Valid => continue,
                    AuthorizationStatus::Pending => {}
                    s => {
                        return Err(AcmeFailure::permanent(format!(
                            "the authorization for {identifier} is {s:?}"
                        )));
                    }
                }
                let Some(ch) = a.challenge(ctype.clone()) else {
                    return Err(AcmeFailure::permanent(format!(
                        "the CA offers no {ctype:?} challenge for {identifier}"
                    )));
                };
                if ch.status != ChallengeStatus::Pending {
                    continue;
                }
                let ka = ch.key_authorization();
                todo.push(Todo {
                    token: ch.token.clone(),
                    key_authorization: ka.as_str().to_owned(),
                    dns_value: ka.dns_value(),
                    identifier,
                });
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        let now = Timestamp::now();
        match (cfg.challenge, cfg.http01_mode) {
            (Challenge::Http01, Http01Mode::Server) => {
                for t in &todo {
                    let c = AcmeChallengeRow {
                        token: t.token.clone(),
                        key_authorization: t.key_authorization.clone(),
                        order_job_id: job.id.clone(),
                        validation_job_id: None,
                        mode: "server".into(),
                        webroot: None,
                        created_at: now,
                    };
                    self.store().put_acme_challenge(&c).await?;
                }
            }
            (Challenge::Http01, Http01Mode::Agent) => self.agent_validations(job, &todo).await?,
            (Challenge::Dns01, _) => {
                let dns = self.dns_updater(cfg)?;
                let mut added: Vec<(String, String)> =
                    serde_json::from_value(row.state.0.get("dns").cloned().unwrap_or_default())
                        .unwrap_or_default();
                for t in &todo {
                    let rec = (acme::dns::record_name(&t.identifier), t.dns_value.clone());
                    if added.contains(&rec) {
                        continue;
                    }
                    dns.add(&rec.0, &rec.1).await?;
                    added.push(rec);
                    row.state.0["dns"] = serde_json::json!(added);
                    row.updated_at = Timestamp::now();
                    self.store().put_acme_order(row).await?;
                }
                dns.propagate(&added, StdDuration::from_secs(cfg.dns_propagation_seconds)).await?;
            }
        }
        let mut auths = order.authorizations();
        while let Some(a) = auths.next().await {
            let mut a = a.map_err(err)?;
            if a.status != AuthorizationStatus::Pending {
                continue;
            }
            if let Some(mut ch) = a.challenge(ctype.clone())
                && ch.status == ChallengeStatus::Pending
                && todo.iter().any(|t| t.token == ch.token)
            {
                ch.set_ready().await.map_err(err)?;
            }
        }
        Ok(())
    }

    /// Agent mode: one Validation job per token for the agent that holds the key; waits until
    /// the agent reports each Ready (it serves the token) before the CA is asked to validate.
    async fn agent_validations(
        &self,
        job: &Job,
        todo: &[Todo],
    ) -> std::result::Result<(), Failure> {
        let agent = job.agent_id.clone().ok_or_else(|| {
            AcmeFailure::permanent("http01_mode agent needs the job's agent (agent keygen)")
        })?;
        let cert = self.store().get_certificate(&job.certificate_id).await?;
        let mut webroot = None;
        for t in &cert.target_ids {
            let target = self.store().get_target(t).await?;
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
            if let Some(c) = self.store().get_acme_challenge(&t.token).await?
                && c.order_job_id == job.id
                && let Some(v) = &c.validation_job_id
                && !self.store().get_job(v).await?.status.is_terminal()
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
            let v = self.store().create_job(&v, &audit).await?;
            let c = AcmeChallengeRow {
                token: t.token.clone(),
                key_authorization: t.key_authorization.clone(),
                order_job_id: job.id.clone(),
                validation_job_id: Some(v.id.clone()),
                mode: "agent".into(),
                webroot: webroot.clone(),
                created_at: now,
            };
            self.store().put_acme_challenge(&c).await?;
            jobs.push(v.id);
        }
        let wait = self.config().agent_timeout.min(AGENT_WAIT_MAX);
        let start = Instant::now();
        let mut lease_at = Instant::now();
        let mut delay = StdDuration::from_millis(20);
        loop {
            let mut ready = 0;
            for id in &jobs {
                let v = self.store().get_job(id).await?;
                match v.status {
                    JobStatus::Running | JobStatus::Completed => ready += 1,
                    JobStatus::Failed | JobStatus::Cancelled => {
                        return Err(AcmeFailure::permanent(format!(
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
                return Err(AcmeFailure::permanent(format!(
                    "agent {agent} did not serve the HTTP-01 token within {}s",
                    wait.as_secs()
                )));
            }
            if self.store().get_job(&job.id).await?.status != JobStatus::Running {
                return Err(AcmeFailure::permanent("the job was cancelled"));
            }
            if lease_at.elapsed() > StdDuration::from_secs(5) {
                self.keep_lease(job).await?;
                lease_at = Instant::now();
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(StdDuration::from_millis(250));
        }
    }

    /// Removes what the order's challenges put in place: HTTP-01 tokens (agents stop serving
    /// theirs when their Validation job ends) and DNS records (hook `remove`). Best effort:
    /// failures are logged, the order's outcome stands.
    async fn release_challenges(&self, job: &Job, row: &AcmeOrderRow, ok: bool) {
        if let Ok(page) = self
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
                let Ok(Some(c)) = self.store().acme_challenge_of_validation(&v.id).await else {
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
                if let Err(e) = self
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
        if let Err(e) = self.store().delete_acme_challenges(&job.id).await {
            tracing::warn!(job = %job.id, "removing HTTP-01 tokens: {e}");
        }
        let added: Vec<(String, String)> =
            serde_json::from_value(row.state.0.get("dns").cloned().unwrap_or_default())
                .unwrap_or_default();
        if added.is_empty() {
            return;
        }
        let dns = match self
            .store()
            .get_issuer(&row.issuer_id)
            .await
            .map(|i| AcmeConfig::parse(&i.config).and_then(|c| self.dns_updater(&c)))
        {
            Ok(Ok(d)) => d,
            Ok(Err(e)) | Err(e) => {
                tracing::warn!(job = %job.id, "DNS-01 cleanup: {e}");
                return;
            }
        };
        for (name, value) in &added {
            if let Err(e) = dns.remove(name, value).await {
                tracing::warn!(job = %job.id, "DNS-01 cleanup: {e}");
            }
        }
        let mut row = row.clone();
        row.state.0["dns"] = serde_json::json!([]);
        let _ = self.store().put_acme_order(&row).await;
    }

    /// The DNS-01 provider of an issuer config: its hook resolved by name in the server's config,
    /// or its secret (rfc2136 TSIG) unsealed.
    fn dns_updater(&self, cfg: &AcmeConfig) -> Result<acme::DnsUpdater> {
        let mut provider = cfg.dns.clone().ok_or_else(|| {
            Error::invalid(
                "config.dns_provider",
                "is required with challenge dns-01 (hook or rfc2136)",
            )
        })?;
        if let acme::DnsProvider::Rfc2136(c) = &mut provider {
            c.policy = self.config().outbound.clone();
        }
        acme::DnsUpdater::new(&provider, &self.config.dns_hooks, |sealed| {
            String::from_utf8(self.keystore()?.open(sealed)?).map_err(|_| Error::Connector {
                message: "the sealed TSIG secret is not text".into(),
                transient: false,
            })
        })
    }

    /// The issuer's ACME account: cached, stored (sealed), or created on first use.
    async fn acme_account(
        &self,
        issuer: &Issuer,
        cfg: &AcmeConfig,
    ) -> std::result::Result<(Account, AcmeHttp), Failure> {
        let mut cache = self.acme.accounts.lock().await;
        if let Some((config, account, http)) = cache.get(&issuer.id)
            && config == &issuer.config
        {
            return Ok((account.clone(), http.clone()));
        }
        let http = AcmeHttp::new(cfg.ca_cert.as_deref(), &self.config().outbound)?;
        let ks = self.keystore()?;
        let stored = self.store().get_acme_account(&issuer.id).await?;
        let account = match stored {
            Some(row) if row.directory_url == cfg.directory_url => {
                acme::load_account(&http, &ks.open(&row.credentials_sealed)?).await?
            }
            other => {
                if other.is_some() {
                    self.store().delete_acme_account(&issuer.id).await?;
                }
                let eab =
                    match (&cfg.eab_hmac_key_sealed, &cfg.eab_hmac_key) {
                        (Some(s), _) => Some(String::from_utf8(ks.open(s)?).map_err(|_| {
                            AcmeFailure::permanent("the sealed EAB key is not text")
                        })?),
                        (None, Some(k)) => Some(k.clone()),
                        (None, None) => None,
                    };
                let (account, creds) = acme::create_account(cfg, &http, eab.as_deref()).await?;
                let json = serde_json::to_vec(&creds).map_err(|e| {
                    AcmeFailure::permanent(format!("serialising the ACME account: {e}"))
                })?;
                let row = AcmeAccountRow {
                    issuer_id: issuer.id.clone(),
                    directory_url: cfg.directory_url.clone(),
                    account_url: account.id().to_owned(),
                    credentials_sealed: ks.seal(&json)?,
                    created_at: Timestamp::now(),
                };
                let kept = self.store().put_acme_account(&row).await?;
                tracing::info!(issuer = %issuer.id, account = %kept.account_url, "ACME account ready");
                if kept.account_url == row.account_url {
                    account
                } else {
                    acme::load_account(&http, &ks.open(&kept.credentials_sealed)?).await?
                }
            }
        };
        cache.insert(issuer.id.clone(), (issuer.config.clone(), account.clone(), http.clone()));
        Ok((account, http))
    }

    /// `POST /issuers/{id}/test` for ACME: the directory answers and the account exists (an
    /// account update with the configured contact is accepted).
    pub(super) async fn test_acme_issuer(
        &self,
        issuer: &Issuer,
    ) -> std::result::Result<String, Failure> {
        let cfg = AcmeConfig::parse(&issuer.config)?;
        let (account, http) = self.acme_account(issuer, &cfg).await?;
        let contact: Vec<String> = cfg.email.iter().map(|e| format!("mailto:{e}")).collect();
        let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
        account
            .update_contacts(&contact)
            .await
            .map_err(|e| acme::classify(&e, http.retry_after().take()))?;
        Ok(format!("directory {} answers; account {} is valid", cfg.directory_url, account.id()))
    }

    /// Revokes `pem_chain`'s leaf through the issuer's ACME account.
    pub(super) async fn acme_revoke(
        &self,
        issuer: &Issuer,
        pem_chain: &str,
        reason: &str,
    ) -> Result<()> {
        let cfg = AcmeConfig::parse(&issuer.config)?;
        let (account, http) = self.acme_account(issuer, &cfg).await.map_err(|f| f.to_error())?;
        let leaf = pki::parse_chain(pem_chain)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Pki("empty chain".into()))?;
        let der = rustls_pki_types::CertificateDer::from(leaf.der);
        let req = instant_acme::RevocationRequest {
            certificate: &der,
            reason: Some(acme::revocation_reason(reason)),
        };
        account
            .revoke(&req)
            .await
            .map_err(|e| acme::classify(&e, http.retry_after().take()).to_error())
    }

    /// The key authorization the control plane serves for `token` (HTTP-01 server mode).
    pub async fn acme_http01_response(&self, token: &str) -> Result<Option<String>> {
        if token.is_empty()
            || token.len() > 256
            || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(None);
        }
        Ok(self
            .store()
            .get_acme_challenge(token)
            .await?
            .filter(|c| c.mode == "server")
            .map(|c| c.key_authorization))
    }
}

/// The order's identifiers: CN + SANs, IP addresses as IP identifiers.
fn identifiers(cert: &Certificate) -> Vec<Identifier> {
    let mut seen = HashSet::new();
    std::iter::once(&cert.common_name)
        .chain(&cert.sans)
        .map(|n| n.to_ascii_lowercase())
        .filter(|n| seen.insert(n.clone()))
        .map(|n| match n.parse::<std::net::IpAddr>() {
            Ok(ip) => Identifier::Ip(ip),
            Err(_) => Identifier::Dns(n),
        })
        .collect()
}

/// Why an order is invalid: the failed challenge's problem, else the order's.
async fn invalid_reason(order: &mut Order) -> AcmeFailure {
    let order_error = order.state().error.clone();
    let mut auths = order.authorizations();
    while let Some(Ok(mut a)) = auths.next().await {
        if a.refresh().await.is_err() {
            continue;
        }
        let identifier = a.identifier().to_string();
        if let Some(p) = a.challenges.iter().find_map(|c| c.error.clone()) {
            return AcmeFailure::permanent(format!("{identifier}: {}", acme::describe_problem(&p)));
        }
    }
    match order_error {
        Some(p) => AcmeFailure::permanent(acme::describe_problem(&p)),
        None => AcmeFailure::permanent("the CA marked the order invalid without saying why"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CertificateInput;

    /// A transient CA failure goes back to Pending no earlier than the CA's `Retry-After`, even
    /// when the policy's backoff is shorter; a permanent one fails the job at once.
    #[tokio::test]
    async fn retry_after_is_honoured() {
        let (dir, store) = crate::testing::sqlite().await;
        let svc = Service::open(store, dir.path(), Default::default()).unwrap();
        svc.bootstrap().await.unwrap();
        let sys = Actor::system();
        let cert = svc
            .create_certificate(
                &sys,
                &CertificateInput {
                    id: Some("mc-ra".into()),
                    common_name: "ra.example.test".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let now = Timestamp::now();
        let mk = |status| Job {
            attempts: 1,
            ..Job::new(JobType::Issuance, status, cert.id.clone(), 3, now)
        };
        let job = svc
            .store()
            .create_job(&mk(JobStatus::Running), &sys.audit("job_created", "job", "x"))
            .await
            .unwrap();
        let later = now.plus(Duration::seconds(3600));
        let rate_limited = Error::Connector {
            message: "urn:ietf:params:acme:error:rateLimited: too many".into(),
            transient: true,
        };
        let j = svc.fail_job_after(job, &rate_limited, now, Some(later)).await.unwrap();
        assert_eq!((j.status, j.next_attempt_at), (JobStatus::Pending, Some(later)));
        assert!(j.last_error.unwrap().contains("rateLimited"));
        let job = svc
            .store()
            .create_job(&mk(JobStatus::Running), &sys.audit("job_created", "job", "y"))
            .await
            .unwrap();
        let refused = Error::Connector {
            message: "urn:ietf:params:acme:error:rejectedIdentifier: no".into(),
            transient: false,
        };
        let j = svc.fail_job_after(job, &refused, now, Some(later)).await.unwrap();
        assert_eq!((j.status, j.next_attempt_at), (JobStatus::Failed, None));
    }
}
