//! Jobs (with atomic claiming), policy rules and violations.

macro_rules! sql_jobs {
    ($S:ident, $DB:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::JobStore for $S {
            async fn create_job(&self, j: &Job, audit: &AuditDraft) -> Result<Job> {
                let q = sqlx::query(insert!(Job)).bind_row(j);
                self.write_audited(q, Some(audit), |e| write_err(e, "job", j.id.as_str())).await?;
                Ok(j.clone())
            }
            async fn get_job(&self, id: &JobId) -> Result<Job> {
                self.get_row("job", id.as_str()).await
            }
            async fn count_failed_jobs_since(&self, since: Timestamp) -> Result<i64> {
                sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = $1 AND updated_at >= $2")
                    .bind(JobStatus::Failed)
                    .bind(since)
                    .fetch_one(self.r())
                    .await
                    .map_err(db_err)
            }
            async fn list_jobs(&self, f: &JobFilter, page: PageRequest) -> Result<Page<Job>> {
                self.filtered_page("created_at DESC, id DESC", page, |qb| {
                    let mut w = Conds(false);
                    if let Some(s) = f.status {
                        w.next(qb);
                        qb.push("status = ").push_bind(s);
                    }
                    if let Some(t) = f.job_type {
                        w.next(qb);
                        qb.push("type = ").push_bind(t);
                    }
                    if let Some(c) = &f.certificate_id {
                        w.next(qb);
                        qb.push("certificate_id = ").push_bind(c.clone());
                    }
                    if let Some(a) = &f.agent_id {
                        w.next(qb);
                        qb.push("agent_id = ").push_bind(a.clone());
                    }
                }, None).await
            }
            async fn open_jobs(&self, certificate_id: &CertificateId) -> Result<Vec<Job>> {
                sqlx::query_as(
                    concat!(select!(Job), " WHERE certificate_id = $1 AND status IN ('Pending', 'AwaitingCSR', 'Running') ORDER BY created_at, id"),
                )
                .bind(certificate_id)
                .fetch_all(self.r())
                .await
                .map_err(db_err)
            }
            async fn update_job(&self, j: &Job, expected: JobStatus, audit: Option<&AuditDraft>) -> Result<Job> {
                if j.status != expected && !expected.can_move_to(j.status) {
                    return Err(Error::Conflict(format!("job {} cannot move from {} to {}", j.id, expected, j.status)));
                }
                let q = sqlx::query(
                    "UPDATE jobs SET status = $2, target_id = $3, agent_id = $4, version_id = $5, attempts = $6, max_attempts = $7, \
                     next_attempt_at = $8, last_error = $9, updated_at = $10, completed_at = $11, csr_pem = $13, claimed_until = $14 \
                     WHERE id = $1 AND status = $12",
                )
                .bind(&j.id).bind(j.status).bind(&j.target_id).bind(&j.agent_id).bind(&j.version_id).bind(j.attempts)
                .bind(j.max_attempts).bind(j.next_attempt_at).bind(&j.last_error).bind(j.updated_at).bind(j.completed_at)
                .bind(expected).bind(&j.csr_pem).bind(j.claimed_until.filter(|_| j.status == JobStatus::Running));
                if self.write_audited(q, audit, |e| write_err(e, "job", j.id.as_str())).await? == 0 {
                    let now = self.get_job(&j.id).await?;
                    return Err(Error::Conflict(format!("job {} is {}, not {}", j.id, now.status, expected)));
                }
                let mut out = j.clone();
                if out.status != JobStatus::Running {
                    out.claimed_until = None;
                }
                Ok(out)
            }
            async fn claim_job(&self, types: &[JobType], now: Timestamp, claimed_until: Timestamp) -> Result<Option<Job>> {
                if types.is_empty() {
                    return Ok(None);
                }
                let mut qb = sqlx::QueryBuilder::<$DB>::new("UPDATE jobs SET status = 'Running', attempts = attempts + 1, updated_at = ");
                qb.push_bind(now);
                qb.push(", claimed_until = ");
                qb.push_bind(claimed_until);
                qb.push(" WHERE status = 'Pending' AND id = (SELECT id FROM jobs WHERE status = 'Pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ");
                qb.push_bind(now);
                qb.push(") AND type IN (");
                let mut sep = qb.separated(", ");
                for t in types {
                    sep.push_bind(*t);
                }
                qb.push(") ORDER BY created_at, id LIMIT 1");
                qb.push(Self::D.skip_locked);
                qb.push(concat!(") RETURNING ", columns!(Job)));
                let mut tx = self.tx().await?;
                let job: Option<Job> = qb.build_query_as().fetch_optional(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(job)
            }
            async fn expired_claims(&self, now: Timestamp, limit: i64) -> Result<Vec<Job>> {
                sqlx::query_as(concat!(select!(Job), " WHERE status = 'Running' AND claimed_until IS NOT NULL AND claimed_until < $1 ORDER BY claimed_until, id LIMIT $2"))
                    .bind(now)
                    .bind(limit)
                    .fetch_all(self.r())
                    .await
                    .map_err(db_err)
            }
            async fn extend_claim(&self, id: &JobId, until: Timestamp) -> Result<bool> {
                let q = sqlx::query("UPDATE jobs SET claimed_until = $2 WHERE id = $1 AND status = 'Running' AND claimed_until IS NOT NULL")
                    .bind(id).bind(until);
                Ok(self.write_audited(q, None, db_err).await? > 0)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::PolicyStore for $S {
            async fn create_policy(&self, p: &PolicyRule, audit: &AuditDraft) -> Result<PolicyRule> {
                let q = sqlx::query(insert!(PolicyRule)).bind_row(p);
                self.write_audited(q, Some(audit), |e| write_err(e, "policy", p.id.as_str())).await?;
                Ok(p.clone())
            }
            async fn get_policy(&self, id: &PolicyId) -> Result<PolicyRule> {
                self.get_row("policy", id.as_str()).await
            }
            async fn list_policies(&self, page: PageRequest) -> Result<Page<PolicyRule>> {
                self.simple_page("id", page).await
            }
            async fn update_policy(&self, p: &PolicyRule, audit: &AuditDraft) -> Result<PolicyRule> {
                let q = sqlx::query(
                    "UPDATE policy_rules SET name = $2, type = $3, config = $4, enabled = $5, severity = $6, mode = $7, scope = $8, \
                     updated_at = $9 WHERE id = $1",
                )
                .bind(&p.id).bind(&p.name).bind(p.rule_type).bind(Json(&p.config)).bind(p.enabled).bind(p.severity)
                .bind(p.mode).bind(Json(&p.scope)).bind(p.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "policy", p.id.as_str())).await? == 0 {
                    return Err(Error::not_found("policy", p.id.as_str()));
                }
                self.get_policy(&p.id).await
            }
            async fn delete_policy(&self, id: &PolicyId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("policy_rules", "policy", id.as_str(), audit).await
            }
            async fn create_violation(&self, v: &PolicyViolation, audit: &AuditDraft) -> Result<PolicyViolation> {
                let q = sqlx::query(insert!(PolicyViolation)).bind_row(v);
                self.write_audited(q, Some(audit), |e| write_err(e, "policy violation", v.id.as_str())).await?;
                Ok(v.clone())
            }
            async fn list_violations(&self, f: &ViolationFilter, page: PageRequest) -> Result<Page<PolicyViolation>> {
                self.filtered_page("created_at DESC, id DESC", page, |qb| {
                    let mut w = Conds(false);
                    if let Some(p) = &f.policy_id {
                        w.next(qb);
                        qb.push("policy_id = ").push_bind(p.clone());
                    }
                    if let Some(c) = &f.certificate_id {
                        w.next(qb);
                        qb.push("certificate_id = ").push_bind(c.clone());
                    }
                    if f.open_only {
                        w.next(qb);
                        qb.push("resolved_at IS NULL");
                    }
                }, None).await
            }
            async fn resolve_violation(&self, id: &ViolationId, at: Timestamp, audit: &AuditDraft) -> Result<PolicyViolation> {
                let q = sqlx::query("UPDATE policy_violations SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL")
                    .bind(id).bind(at);
                if self.write_audited(q, Some(audit), db_err).await? == 0 {
                    let v: PolicyViolation = self.get_row("policy violation", id.as_str()).await?;
                    return Ok(v);
                }
                self.get_row("policy violation", id.as_str()).await
            }
        }
    };
}
