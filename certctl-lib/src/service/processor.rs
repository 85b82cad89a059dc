//! The scheduler's work, one function per loop: the job processor, the renewal checker, the
//! agent health check and the notification processor. Each takes `now`, so tests drive them
//! with a clock of their own.

use time::Duration;

use super::notify::EventDraft;
use super::{Actor, KeygenMode, Service};
use crate::error::{Error, Result};
use crate::model::*;

/// Jobs handled per processor tick (the next tick continues).
const JOBS_PER_TICK: usize = 200;

/// What one renewal check did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenewalReport {
    pub marked_expiring: usize,
    pub marked_expired: usize,
    pub jobs_started: usize,
    /// Certificates due whose renewal could not start (e.g. no agent holds the key).
    pub not_started: Vec<(CertificateId, String)>,
    pub alerts: usize,
    /// Fleet certificates whose children were re-materialised.
    pub fleet_templates: usize,
    /// Violations re-evaluated over every certificate.
    pub violations: crate::service::ViolationReport,
}

impl Service {
    /// One job-processor pass: takes back jobs whose claim expired (their server stopped before
    /// finishing), runs due issuance/renewal jobs (a stored CSR is signed again, server keygen
    /// issues directly, agent keygen hands the job to the agent) each under a claim that is
    /// extended while it runs, and fails jobs that waited for an agent longer than the timeout.
    /// Returns how many jobs it moved.
    pub async fn process_jobs(&self, now: Timestamp) -> Result<usize> {
        let mut moved = self.expire_waits(now).await?;
        moved += self.reclaim_expired(now).await?;
        moved += self.resume_orders(now).await?;
        let lease = Duration::milliseconds(self.config().job_lease.as_millis() as i64);
        for _ in 0..JOBS_PER_TICK {
            let Some(job) = self
                .store()
                .claim_job(&[JobType::Issuance, JobType::Renewal], now, now.plus(lease))
                .await?
            else {
                break;
            };
            moved += 1;
            let keeper = self.keep_claim(job.id.clone());
            let out = self.run_claimed(job, now).await;
            keeper.abort();
            out?;
        }
        Ok(moved)
    }

    /// Works on a job the processor claimed, up to its commit (or hand-over).
    async fn run_claimed(&self, job: Job, now: Timestamp) -> Result<()> {
        let cert = self.store().get_certificate(&job.certificate_id).await?;
        if cert.status == CertificateStatus::Archived {
            self.cancel_job_inner(&Actor::system(), job, "certificate archived").await?;
            return Ok(());
        }
        if let Some(csr) = job.csr_pem.clone() {
            self.issue_for_job(job, &cert, &csr, None, now, Vec::new()).await?;
        } else if self.config().keygen_mode == KeygenMode::Server {
            self.issue_server_keygen(job, &cert, now).await?;
        } else if job.agent_id.is_some() {
            let mut j = job;
            j.status = JobStatus::AwaitingCsr;
            j.attempts -= 1;
            j.updated_at = now;
            self.store().update_job(&j, JobStatus::Running, None).await?;
        } else {
            let e = Error::Conflict(format!(
                "no agent holds the key of {}: add a target on an agent",
                cert.id
            ));
            self.fail_job(job, &e, now).await?;
        }
        Ok(())
    }

    /// A task that extends the claim on `job` every third of the lease while this process
    /// works on it (in a task of its own, so a slow commit never holds it up); abort it when
    /// the work is done.
    fn keep_claim(&self, job: JobId) -> tokio::task::JoinHandle<()> {
        let svc = self.clone();
        tokio::spawn(async move {
            let lease = svc.config().job_lease;
            let mut tick =
                tokio::time::interval((lease / 3).max(std::time::Duration::from_millis(100)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let until = Timestamp::now().plus(Duration::milliseconds(lease.as_millis() as i64));
                match svc.store().extend_claim(&job, until).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(job = %job, error = %e, "extending the claim on a job failed; retrying")
                    }
                }
            }
        })
    }

    /// Running jobs whose claim expired (the server that claimed them stopped before it
    /// finished) go back to Pending for another attempt, or fail when no attempt is left; each
    /// with an audit event and a log line. Returns how many it moved.
    async fn reclaim_expired(&self, now: Timestamp) -> Result<usize> {
        let mut n = 0;
        for job in self.store().expired_claims(now, JOBS_PER_TICK as i64).await? {
            let until = job.claimed_until;
            let why = format!(
                "the server that claimed this job stopped before finishing it (claim expired at {})",
                until.map_or_else(|| "-".into(), |t| t.to_string())
            );
            let moved = if job.attempts >= job.max_attempts {
                let e = Error::Connector {
                    message: format!("{why}; no attempts left"),
                    transient: false,
                };
                self.fail_job(job.clone(), &e, now).await.map(|_| ())
            } else {
                let mut j = job.clone();
                j.status = JobStatus::Pending;
                j.claimed_until = None;
                j.next_attempt_at = None;
                j.last_error = Some(why.clone());
                j.updated_at = now;
                let audit = Actor::system().audit("job_claim_expired", "job", j.id.as_str()).with_details(serde_json::json!({
                    "claimed_until": until, "attempt": j.attempts, "max_attempts": j.max_attempts, "certificate_id": j.certificate_id,
                }));
                self.store().update_job(&j, JobStatus::Running, Some(&audit)).await.map(|_| ())
            };
            match moved {
                Ok(()) => {
                    tracing::warn!(job = %job.id, claimed_until = ?until, attempt = job.attempts, "job claim expired: {why}; taken back");
                    n += 1;
                }
                // another replica took it back first, or its server finished after all
                Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Fails jobs that waited for an agent (CSR or deployment report) longer than the timeout.
    async fn expire_waits(&self, now: Timestamp) -> Result<usize> {
        let cutoff = now.plus(Duration::seconds(-(self.config().agent_timeout.as_secs() as i64)));
        let mut n = 0;
        for (status, types) in [
            (JobStatus::AwaitingCsr, &[JobType::Issuance, JobType::Renewal][..]),
            (JobStatus::Pending, &[JobType::Deployment][..]),
            (JobStatus::Running, &[JobType::Deployment][..]),
        ] {
            let filter = JobFilter { status: Some(status), ..Default::default() };
            for job in
                self.store().list_jobs(&filter, PageRequest::new(1, MAX_PER_PAGE)).await?.data
            {
                if !types.contains(&job.job_type) || job.updated_at >= cutoff {
                    continue;
                }
                let who =
                    job.agent_id.as_ref().map_or("no agent".to_owned(), |a| format!("agent {a}"));
                let what =
                    if status == JobStatus::AwaitingCsr { "a CSR" } else { "a deployment report" };
                let e = Error::Connector {
                    message: format!(
                        "timed out: {who} sent no {what} within {}s",
                        self.config().agent_timeout.as_secs()
                    ),
                    transient: false,
                };
                self.fail_job(job, &e, now).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// One renewal-checker pass: statuses follow expiry, certificates inside their renewal
    /// window get a renewal job (never two), and threshold alerts are recorded once per
    /// certificate, expiry and threshold. Then fleet certificates are re-materialised and every
    /// certificate's violations re-evaluated.
    pub async fn check_renewals(&self, now: Timestamp) -> Result<RenewalReport> {
        let mut report = RenewalReport::default();
        let sys = Actor::system();
        let mut policies = Vec::new();
        let mut page = 1;
        loop {
            let p =
                self.store().list_renewal_policies(PageRequest::new(page, MAX_PER_PAGE)).await?;
            let n = p.data.len();
            policies.extend(p.data);
            if n < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        for policy in &policies {
            let horizon = policy
                .renewal_window_days
                .max(policy.alert_thresholds_days.iter().copied().max().unwrap_or(0));
            let filter = CertificateFilter {
                renewal_policy_id: Some(policy.id.clone()),
                expires_before: Some(now.plus(Duration::days(horizon + 1))),
                exclude_archived: true,
                ..Default::default()
            };
            // keyset pages: each costs the same however far into the list it is
            let mut after = None;
            loop {
                let f = CertificateFilter { after, ..filter.clone() };
                let p =
                    self.store().list_certificates(&f, PageRequest::new(1, MAX_PER_PAGE)).await?;
                let n = p.data.len();
                after = p.data.last().map(|c| c.id.clone());
                for cert in p.data {
                    self.check_certificate(&sys, policy, cert, now, &mut report).await?;
                }
                if n < MAX_PER_PAGE as usize {
                    break;
                }
            }
        }
        report.fleet_templates = self.reconcile_fleets().await?;
        report.violations = self.recheck_violations().await?;
        Ok(report)
    }

    async fn check_certificate(
        &self,
        sys: &Actor,
        policy: &RenewalPolicy,
        mut cert: Certificate,
        now: Timestamp,
        report: &mut RenewalReport,
    ) -> Result<()> {
        let Some(expires) = cert.expires_at else { return Ok(()) };
        if cert.status == CertificateStatus::Revoked {
            return Ok(());
        }
        let in_window =
            CertificateStatus::by_expiry(Some(expires), policy.renewal_window_days, now)
                != CertificateStatus::Active;
        let new_status = match cert.status {
            CertificateStatus::Active | CertificateStatus::Expiring if expires <= now => {
                Some(CertificateStatus::Expired)
            }
            CertificateStatus::Active if in_window => Some(CertificateStatus::Expiring),
            _ => None,
        };
        if let Some(st) = new_status {
            cert.status = st;
            cert.updated_at = now;
            cert = self
                .store()
                .update_certificate(
                    &cert,
                    &sys.audit("certificate_status_changed", "certificate", cert.id.as_str())
                        .with_details(serde_json::json!({"status": st})),
                )
                .await?;
            if st == CertificateStatus::Expired {
                report.marked_expired += 1
            } else {
                report.marked_expiring += 1
            }
        }
        if new_status == Some(CertificateStatus::Expired) {
            let message = format!("{} ({}) expired at {expires}", cert.common_name, cert.id);
            let details =
                serde_json::json!({"expires_at": expires, "days_left": expires.days_from(now)});
            self.record_event_logged(
                EventDraft {
                    kind: EventKind::CertificateExpired,
                    severity: NotifySeverity::Critical,
                    certificate: Some(&cert),
                    message,
                    details,
                    dedup_key: Some(format!("expired:{}:{}", cert.id, expires.unix_millis())),
                },
                now,
            )
            .await;
        }
        // alerts: the most urgent threshold crossed, once per certificate, expiry and threshold
        let days_left = expires.days_from(now);
        if let Some(t) =
            policy.alert_thresholds_days.iter().copied().filter(|t| days_left <= *t).min()
        {
            let message = if days_left < 0 {
                format!("{} ({}) expired {} days ago", cert.common_name, cert.id, -days_left)
            } else {
                format!(
                    "{} ({}) expires in {days_left} days, at {expires}",
                    cert.common_name, cert.id
                )
            };
            let severity = if t <= 0 {
                NotifySeverity::Critical
            } else if t <= 7 {
                NotifySeverity::Warning
            } else {
                NotifySeverity::Info
            };
            let details = serde_json::json!({"days_left": days_left, "expires_at": expires, "threshold_days": t});
            let ev = EventDraft {
                kind: EventKind::ExpiryThreshold,
                severity,
                certificate: Some(&cert),
                message,
                details,
                dedup_key: Some(format!("expiry:{}:{}:{t}", cert.id, expires.unix_millis())),
            };
            if self.record_event(ev, now).await? {
                report.alerts += 1;
            }
        }
        if in_window
            && policy.auto_renew
            && matches!(
                cert.status,
                CertificateStatus::Active
                    | CertificateStatus::Expiring
                    | CertificateStatus::Expired
            )
        {
            match self.renew_certificate(sys, &cert.id).await {
                Ok(s) if s.created => report.jobs_started += 1,
                Ok(_) => {}
                Err(Error::Conflict(why)) | Err(Error::Invalid { message: why, .. }) => {
                    report.not_started.push((cert.id.clone(), why))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// One agent-health pass: agents silent for longer than `offline_after` go Offline.
    pub async fn check_agents(
        &self,
        now: Timestamp,
        offline_after: std::time::Duration,
    ) -> Result<Vec<AgentId>> {
        let cutoff = now.plus(Duration::seconds(-(offline_after.as_secs() as i64)));
        let ids = self.store().mark_stale_agents_offline(cutoff).await?;
        for id in &ids {
            self.store()
                .append_audit(
                    &Actor::system()
                        .audit("agent_offline", "agent", id.as_str())
                        .with_details(serde_json::json!({"silent_since_before": cutoff})),
                )
                .await?;
            let message =
                format!("agent {id} sent no heartbeat for more than {}s", offline_after.as_secs());
            self.record_event_logged(
                EventDraft {
                    kind: EventKind::AgentOffline,
                    severity: NotifySeverity::Warning,
                    certificate: None,
                    message,
                    details: serde_json::json!({"agent_id": id}),
                    dedup_key: None,
                },
                now,
            )
            .await;
        }
        Ok(ids)
    }
}
