//! The order driver: an issuance job of an ordered issuer (ACME) stays Running while a driver
//! task works its order through the issuer's [`OrderedIssuer`] interface; the order's state and
//! a lease naming the replica driving it are persisted (`acme_orders`, through the job's
//! [`OrderStore`](crate::issuer::OrderStore) in `acme_host.rs`), so a restarted server (or
//! another replica) resumes the order instead of losing it. Outcomes go to the lifecycle.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use time::Duration;
use tracing::Instrument;

use super::Service;
use super::acme_host::{IssuerVault, JobOrder};
use crate::error::{Error, Result};
use crate::issuer::{
    Http01Responder, OrderFailure, OrderHost, OrderStatus, OrderedIssuer, RevokeRequest,
};
use crate::model::*;
use crate::pki;
use crate::store::AcmeOrderRow;

/// How long a driver's lease on an order lasts; refreshed while it works.
const LEASE_SECONDS: i64 = 15;
/// Longest an order may take (authorizations + finalize) in one attempt.
const ORDER_TIMEOUT: StdDuration = StdDuration::from_secs(180);
/// Polling backoff bounds.
const POLL_MIN: StdDuration = StdDuration::from_millis(100);
const POLL_MAX: StdDuration = StdDuration::from_secs(3);

/// Per-process order state: the lease owner name and the orders being driven here.
pub(crate) struct AcmeRuntime {
    pub(super) owner: String,
    running: std::sync::Mutex<HashSet<JobId>>,
}

impl Default for AcmeRuntime {
    fn default() -> Self {
        Self {
            owner: format!("certctl-{:016x}", rand::random::<u64>()),
            running: Default::default(),
        }
    }
}

impl std::fmt::Debug for AcmeRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcmeRuntime").field("owner", &self.owner).finish_non_exhaustive()
    }
}

impl Service {
    /// Starts (or resumes) the order of `job` with `csr`: the job moves to Running with the
    /// CSR stored and a driver task takes the order; returns the Running job at once.
    pub(super) async fn start_order(
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
                state: serde_json::json!({}),
                lease_owner: None,
                lease_until: None,
                created_at: now,
                updated_at: now,
            };
            self.store().put_acme_order(&row).await?;
        }
        self.spawn_order_driver(j.id.clone());
        Ok(j)
    }

    /// Drives the order of `job` in a task of its own, unless this process already does.
    fn spawn_order_driver(&self, job: JobId) {
        let fresh = self.acme.running.lock().map(|mut r| r.insert(job.clone())).unwrap_or(false);
        if !fresh {
            return;
        }
        let svc = self.clone();
        let span = tracing::info_span!("order", job = %job);
        tokio::spawn(
            async move {
                if let Err(e) = svc.drive_order(&job).await {
                    tracing::error!(job = %job, "ACME order driver: {e}");
                }
                if let Ok(mut r) = svc.acme.running.lock() {
                    r.remove(&job);
                }
            }
            .instrument(span),
        );
    }

    /// Orders nobody drives (their lease expired: the server restarted, a replica died) are
    /// taken up again; orders of ended jobs are cleaned up. Returns how many it resumed.
    pub(super) async fn resume_orders(&self, now: Timestamp) -> Result<usize> {
        let mut n = 0;
        for row in self.store().stale_acme_orders(now, 100).await? {
            let job = self.store().get_job(&row.job_id).await?;
            if job.status == JobStatus::Running {
                self.spawn_order_driver(job.id);
                n += 1;
            } else if job.status.is_terminal() {
                self.release_order(&job, &row.issuer_id, false).await;
                self.store().delete_acme_order(&job.id).await?;
            }
        }
        Ok(n)
    }

    async fn drive_order(&self, job_id: &JobId) -> Result<()> {
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
            self.run_order(&job).await
        } else {
            Err(OrderFailure::permanent("job ended"))
        };
        if let Some(row) = self.store().get_acme_order(job_id).await? {
            self.release_order(&job, &row.issuer_id, outcome.is_ok()).await;
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

    /// Runs the order to a certificate chain (PEM, leaf first): start, then poll (setting up
    /// challenges), finalize when Ready, fetch the chain when Valid.
    async fn run_order(&self, job: &Job) -> std::result::Result<String, OrderFailure> {
        let cert = self.store().get_certificate(&job.certificate_id).await?;
        let issuer = self.issuer_of(&cert.issuer_id).await?;
        if !issuer.enabled {
            return Err(OrderFailure::permanent(format!("issuer {} is disabled", issuer.id)));
        }
        let connector = self.connector(&issuer.issuer_type)?;
        let ordered = ordered(&*connector, &issuer)?;
        let csr =
            job.csr_pem.clone().ok_or_else(|| OrderFailure::permanent("the job holds no CSR"))?;
        let der = pki::csr_der(&csr)?;
        let names: Vec<String> =
            std::iter::once(&cert.common_name).chain(&cert.sans).cloned().collect();
        let job_order =
            Arc::new(JobOrder { svc: self.clone(), job: job.clone(), issuer: issuer.id.clone() });
        let host = OrderHost {
            orders: job_order.clone(),
            accounts: Arc::new(self.vault(&issuer.id)),
            http01: job_order,
        };
        let mut order = ordered.start_order(&issuer, &names, host).await?;
        let deadline = Instant::now() + ORDER_TIMEOUT;
        let mut delay = POLL_MIN;
        let mut lease_at = Instant::now();
        let mut renew_lease = false;
        loop {
            if renew_lease || lease_at.elapsed() > StdDuration::from_secs(5) {
                self.keep_lease(job).await?;
                lease_at = Instant::now();
                renew_lease = false;
            }
            let status = order.poll().await?;
            match status {
                OrderStatus::Authorizing => {
                    // setting up challenges may take long (agents, DNS propagation)
                    renew_lease = true;
                    continue;
                }
                OrderStatus::Ready => {
                    order.finalize(&der).await?;
                    continue;
                }
                OrderStatus::Valid => {
                    if let Some(chain) = order.chain().await? {
                        return Ok(chain);
                    }
                }
                OrderStatus::Pending | OrderStatus::Processing => {}
            }
            if Instant::now() > deadline {
                return Err(OrderFailure::transient(format!(
                    "the ACME order is still {status:?} after {}s",
                    ORDER_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay.mul_f32(1.5)).min(POLL_MAX);
            if self.store().get_job(&job.id).await?.status != JobStatus::Running {
                return Err(OrderFailure::permanent("the job was cancelled"));
            }
            order.refresh().await?;
        }
    }

    /// Extends this process's lease on the order of `job`.
    pub(super) async fn keep_lease(&self, job: &Job) -> std::result::Result<(), OrderFailure> {
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
            Err(OrderFailure::transient("another replica took over this ACME order"))
        }
    }

    /// Removes what an ended order put in place: its HTTP-01 tokens (and the agents' Validation
    /// jobs), and what the issuer left (DNS records). Best effort: failures are logged.
    async fn release_order(&self, job: &Job, issuer: &IssuerId, validated: bool) {
        let job_order = JobOrder { svc: self.clone(), job: job.clone(), issuer: issuer.clone() };
        job_order.withdraw(validated).await;
        let issuer = match self.store().get_issuer(issuer).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(job = %job.id, "DNS-01 cleanup: {e}");
                return;
            }
        };
        if let Ok(c) = self.connector(&issuer.issuer_type)
            && let Some(o) = c.ordered()
        {
            let span = tracing::info_span!("order", job = %job.id);
            o.clean_up(&issuer, &job_order, &self.vault(&issuer.id)).instrument(span).await;
        }
    }

    /// The account store of `issuer`: its `acme_accounts` row, sealed with the key store.
    fn vault(&self, issuer: &IssuerId) -> IssuerVault {
        IssuerVault {
            store: self.store_arc(),
            keystore: self.keystore.clone(),
            issuer: issuer.clone(),
        }
    }

    /// `POST /issuers/{id}/test` for ACME: the directory answers and the account exists (an
    /// account update with the configured contact is accepted).
    pub(super) async fn test_acme_issuer(
        &self,
        issuer: &Issuer,
    ) -> std::result::Result<String, OrderFailure> {
        let connector = self.connector(&issuer.issuer_type)?;
        ordered(&*connector, issuer)?.check(issuer, &self.vault(&issuer.id)).await
    }

    /// Revokes through the issuer's connector; ordered issuers (ACME) use the issuer's account.
    pub(super) async fn revoke_with_issuer(
        &self,
        issuer: &Issuer,
        req: &RevokeRequest<'_>,
    ) -> Result<()> {
        let connector = self.connector(&issuer.issuer_type)?;
        match connector.ordered() {
            Some(o) => o.revoke(issuer, &self.vault(&issuer.id), req).await,
            None => connector.revoke(req).await,
        }
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

/// The connector as an ordered issuer.
fn ordered<'a>(
    connector: &'a dyn crate::issuer::IssuerConnector,
    issuer: &Issuer,
) -> std::result::Result<&'a dyn OrderedIssuer, OrderFailure> {
    connector.ordered().ok_or_else(|| {
        OrderFailure::permanent(format!("issuer {} does not issue through orders", issuer.id))
    })
}
