//! The lifecycle of an issuance job, in one place: issue through the issuer (one call, or an
//! order handed to the order driver), record what was issued (one transaction through the
//! issuance writer), fail an attempt (retry with backoff or fail the job), and plan the
//! deployments of a new version. The processor, the agent endpoints and the order driver call
//! these; they do not call each other.

use time::Duration;

use super::{Actor, Service};
use crate::error::{Error, Result};
use crate::issuer::IssueRequest;
use crate::model::*;
use crate::pki;
use crate::store::IssuanceRecord;

/// Longest backoff between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 86_400;

/// Deployment jobs to create for a new version, and older ones they replace.
#[derive(Debug, Default)]
pub(super) struct DeploymentPlan {
    pub new: Vec<Job>,
    pub superseded: Vec<Job>,
    pub kept: Vec<Job>,
    pub audits: Vec<AuditDraft>,
}

impl Service {
    /// Signs `csr` for the job's certificate through its issuer and commits, in one
    /// transaction, the version, the Active certificate, the completed job and the deployment
    /// jobs. `job` is AwaitingCSR (an agent's CSR) or Running (claimed by the processor).
    /// Issuer failures go through [`Service::fail_job`].
    pub(super) async fn issue_for_job(
        &self,
        job: Job,
        cert: &Certificate,
        csr: &str,
        key_ciphertext: Option<String>,
        now: Timestamp,
        audits: Vec<AuditDraft>,
    ) -> Result<Job> {
        let issuer = self.issuer_of(&cert.issuer_id).await?;
        if issuer.enabled
            && let Ok(c) = self.connector(&issuer.issuer_type)
            && c.ordered().is_some()
        {
            return self.start_order(job, &issuer, csr, now, audits).await;
        }
        let issued = match self.connector(&issuer.issuer_type) {
            Ok(c) if issuer.enabled => {
                let req = IssueRequest {
                    csr_pem: csr,
                    common_name: &cert.common_name,
                    sans: &cert.sans,
                    config: &issuer.config,
                };
                if job.job_type == JobType::Renewal {
                    c.renew(&req).await
                } else {
                    c.issue(&req).await
                }
            }
            Ok(_) => Err(Error::Conflict(format!("issuer {} is disabled", issuer.id))),
            Err(e) => Err(e),
        };
        let attempts =
            if job.status == JobStatus::AwaitingCsr { job.attempts + 1 } else { job.attempts };
        let chain = match issued {
            Ok(chain) => chain,
            Err(e) => {
                let mut running = job.clone();
                if job.status == JobStatus::AwaitingCsr {
                    running.status = JobStatus::Running;
                    running.attempts = attempts;
                    running.csr_pem = Some(csr.to_owned());
                    running.updated_at = now;
                    running = self
                        .store()
                        .update_job(&running, JobStatus::AwaitingCsr, audits.first())
                        .await?;
                }
                return self.fail_job(running, &e, now).await;
            }
        };
        self.record_issued(job, cert, csr, &chain, key_ciphertext, now, audits).await
    }

    /// Commits an issued chain for `job` (AwaitingCSR or Running), in one transaction: the
    /// version, the Active certificate, the completed job and the deployment jobs.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_issued(
        &self,
        job: Job,
        cert: &Certificate,
        csr: &str,
        chain: &str,
        key_ciphertext: Option<String>,
        now: Timestamp,
        mut audits: Vec<AuditDraft>,
    ) -> Result<Job> {
        let issuer_id = cert.issuer_id.clone();
        let attempts =
            if job.status == JobStatus::AwaitingCsr { job.attempts + 1 } else { job.attempts };
        let mut version = pki::version_from_chain(&cert.id, chain, Some(csr))?;
        version.key_ciphertext = key_ciphertext;
        let sys = Actor::system();
        audits.push(sys.audit("certificate_issued", "certificate", cert.id.as_str()).with_details(serde_json::json!({
            "version_id": version.id, "serial_number": version.serial_number, "fingerprint_sha256": version.fingerprint_sha256,
            "not_after": version.not_after, "job_id": job.id, "issuer_id": issuer_id,
        })));
        let mut c = cert.clone();
        c.status = CertificateStatus::Active;
        c.expires_at = Some(version.not_after);
        c.last_renewal_at = Some(now);
        c.updated_at = now;
        audits.push(
            sys.audit("certificate_status_changed", "certificate", c.id.as_str())
                .with_details(serde_json::json!({"status": "Active"})),
        );
        let mut done = job.clone();
        done.status = JobStatus::Completed;
        done.attempts = attempts;
        done.csr_pem = Some(csr.to_owned());
        done.last_error = None;
        done.next_attempt_at = None;
        done.completed_at = Some(now);
        done.updated_at = now;
        audits.push(sys.audit("job_completed", "job", done.id.as_str()));
        let plan = self.plan_deployments(&sys, &c, &version, now).await?;
        audits.extend(plan.audits);
        let record = IssuanceRecord {
            job: done.clone(),
            expected: job.status,
            version,
            certificate: c,
            deployments: plan.new,
            superseded: plan.superseded,
            audits,
        };
        self.commit_issuance(record).await?;
        Ok(done)
    }

    /// Server keygen (demo only): the key is generated here, sealed, and never leaves sealed.
    pub(super) async fn issue_server_keygen(
        &self,
        job: Job,
        cert: &Certificate,
        now: Timestamp,
    ) -> Result<Job> {
        let key = pki::PrivateKey::generate_p256()?;
        let csr = pki::build_csr(&key, &cert.common_name, &cert.sans)?;
        let sealed = self.keystore()?.seal(key.pem().as_bytes())?;
        self.issue_for_job(job, cert, &csr, Some(sealed), now, Vec::new()).await
    }

    /// A failed attempt: transient errors go back to Pending with exponential backoff (from the
    /// renewal policy's retry interval) until `max_attempts`, everything else fails the job now.
    pub(super) async fn fail_job(&self, job: Job, err: &Error, now: Timestamp) -> Result<Job> {
        self.fail_job_after(job, err, now, None).await
    }

    /// [`fail_job`](Self::fail_job), retrying no earlier than `not_before` (the CA's
    /// `Retry-After`) when given.
    pub(super) async fn fail_job_after(
        &self,
        job: Job,
        err: &Error,
        now: Timestamp,
        not_before: Option<Timestamp>,
    ) -> Result<Job> {
        let transient = matches!(err, Error::Connector { transient: true, .. });
        let cert = self.store().get_certificate(&job.certificate_id).await?;
        let policy = self.renewal_policy_of(&cert.renewal_policy_id).await?;
        let expected = job.status;
        let mut j = job;
        j.last_error = Some(err.to_string());
        j.updated_at = now;
        let sys = Actor::system();
        if transient && j.attempts < j.max_attempts {
            let exp = u32::try_from(j.attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
            let delay =
                policy.retry_interval_seconds.saturating_mul(1i64 << exp).min(MAX_BACKOFF_SECONDS);
            j.status = JobStatus::Pending;
            j.next_attempt_at =
                Some(now.plus(Duration::seconds(delay)).max(not_before.unwrap_or(now)));
            let audit = sys.audit("job_retry_scheduled", "job", j.id.as_str()).with_details(serde_json::json!({
                "error": j.last_error, "attempt": j.attempts, "max_attempts": j.max_attempts, "next_attempt_at": j.next_attempt_at,
            }));
            return self.store().update_job(&j, expected, Some(&audit)).await;
        }
        j.status = JobStatus::Failed;
        j.completed_at = Some(now);
        let audit = sys.audit("job_failed", "job", j.id.as_str()).with_details(serde_json::json!({
            "error": j.last_error, "attempts": j.attempts, "certificate_id": j.certificate_id, "type": j.job_type,
        }));
        let j = self.store().update_job(&j, expected, Some(&audit)).await?;
        self.record_job_failure(&j, Some(&cert), now).await;
        if matches!(j.job_type, JobType::Issuance | JobType::Renewal) {
            let mut c = cert;
            if c.status != CertificateStatus::Archived {
                c.status = CertificateStatus::Failed;
                c.updated_at = now;
                self.store()
                    .update_certificate(
                        &c,
                        &sys.audit("certificate_status_changed", "certificate", c.id.as_str())
                            .with_details(serde_json::json!({"status": "Failed", "job_id": j.id})),
                    )
                    .await?;
            }
        }
        Ok(j)
    }

    /// Plans one Pending deployment job of `version` per target of `cert`: targets whose open
    /// deployment is for this version keep it (returned in `kept`), older ones are superseded.
    pub(super) async fn plan_deployments(
        &self,
        actor: &Actor,
        cert: &Certificate,
        version: &CertificateVersion,
        now: Timestamp,
    ) -> Result<DeploymentPlan> {
        let open = self.store().open_jobs(&cert.id).await?;
        let policy = self.renewal_policy_of(&cert.renewal_policy_id).await?;
        let mut plan = DeploymentPlan::default();
        for t in &cert.target_ids {
            if let Some(j) = open
                .iter()
                .find(|j| j.job_type == JobType::Deployment && j.target_id.as_ref() == Some(t))
            {
                if j.version_id.as_ref() == Some(&version.id) {
                    plan.kept.push(j.clone());
                    continue;
                }
                let mut old = j.clone();
                old.status = JobStatus::Cancelled;
                old.last_error = Some(format!("superseded by version {}", version.id));
                old.updated_at = now;
                old.completed_at = Some(now);
                plan.audits.push(actor.audit("job_cancelled", "job", old.id.as_str()).with_details(serde_json::json!({"reason": "superseded by a newer version", "certificate_id": cert.id})));
                plan.superseded.push(old);
            }
            let target = self.store().get_target(t).await?;
            let job = Job {
                target_id: Some(t.clone()),
                agent_id: target.agent_id.clone(),
                version_id: Some(version.id.clone()),
                ..Job::new(
                    JobType::Deployment,
                    JobStatus::Pending,
                    cert.id.clone(),
                    policy.max_retries + 1,
                    now,
                )
            };
            plan.audits.push(actor.audit("job_created", "job", job.id.as_str()).with_details(serde_json::json!({
                "type": "Deployment", "certificate_id": cert.id, "target_id": t, "version_id": version.id,
            })));
            plan.new.push(job);
        }
        Ok(plan)
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
