//! Certificates, their versions, deployment targets and certificate-target bindings.

macro_rules! sql_certs {
    ($S:ident, $DB:ty) => {
        impl $S {
            /// Replaces the target bindings of `cert` inside `tx` (keeps state of bindings that stay).
            async fn write_bindings(tx: &mut sqlx::Transaction<'_, $DB>, cert: &Certificate) -> Result<()> {
                let mut qb = sqlx::QueryBuilder::<$DB>::new("DELETE FROM certificate_target_mappings WHERE certificate_id = ");
                qb.push_bind(cert.id.clone());
                if !cert.target_ids.is_empty() {
                    qb.push(" AND target_id NOT IN (");
                    let mut sep = qb.separated(", ");
                    for t in &cert.target_ids {
                        sep.push_bind(t.clone());
                    }
                    qb.push(")");
                }
                qb.build().execute(&mut **tx).await.map_err(db_err)?;
                Self::insert_bindings(tx, cert).await
            }

            /// Adds the bindings of `cert.target_ids` that do not exist yet.
            async fn insert_bindings(tx: &mut sqlx::Transaction<'_, $DB>, cert: &Certificate) -> Result<()> {
                for t in &cert.target_ids {
                    sqlx::query(
                        "INSERT INTO certificate_target_mappings (certificate_id, target_id) VALUES ($1, $2) \
                         ON CONFLICT (certificate_id, target_id) DO NOTHING",
                    )
                    .bind(&cert.id)
                    .bind(t)
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| write_err(e, "certificate", cert.id.as_str()))?;
                }
                Ok(())
            }

            /// Inserts one certificate row and its target bindings inside `tx`.
            async fn insert_certificate(tx: &mut sqlx::Transaction<'_, $DB>, c: &Certificate) -> Result<()> {
                sqlx::query(insert!(Certificate)).bind_row(c)
                .execute(&mut **tx)
                .await
                .map_err(|e| write_err(e, "certificate", c.id.as_str()))?;
                Self::insert_bindings(tx, c).await
            }

            /// Fills `target_ids` of each certificate from the binding table.
            async fn fill_targets(&self, certs: &mut [Certificate]) -> Result<()> {
                if certs.is_empty() {
                    return Ok(());
                }
                let mut qb = sqlx::QueryBuilder::<$DB>::new(
                    "SELECT certificate_id, target_id FROM certificate_target_mappings WHERE certificate_id IN (",
                );
                let mut sep = qb.separated(", ");
                for c in certs.iter() {
                    sep.push_bind(c.id.clone());
                }
                qb.push(") ORDER BY target_id");
                let rows: Vec<(CertificateId, TargetId)> = qb.build_query_as().fetch_all(self.r()).await.map_err(db_err)?;
                let index: std::collections::HashMap<CertificateId, usize> =
                    certs.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
                for (cid, tid) in rows {
                    if let Some(&i) = index.get(&cid) {
                        certs[i].target_ids.push(tid);
                    }
                }
                Ok(())
            }

            /// `fts`: a full-text MATCH expression that narrows `q` to candidates (SQLite); the
            /// LIKE test that follows keeps the exact substring semantics.
            fn cert_where(qb: &mut sqlx::QueryBuilder<'_, $DB>, f: &CertificateFilter, fts: Option<&str>) {
                let mut w = Conds(false);
                if let Some(s) = f.status {
                    w.next(qb);
                    qb.push("status = ").push_bind(s);
                } else if f.exclude_archived {
                    w.next(qb);
                    qb.push("status <> 'Archived'");
                }
                if let Some(v) = &f.environment {
                    w.next(qb);
                    qb.push("environment = ").push_bind(v.clone());
                }
                if let Some(v) = &f.owner_id {
                    w.next(qb);
                    qb.push("owner_id = ").push_bind(v.clone());
                }
                if let Some(v) = &f.team_id {
                    w.next(qb);
                    qb.push("team_id = ").push_bind(v.clone());
                }
                if let Some(v) = &f.issuer_id {
                    w.next(qb);
                    qb.push("issuer_id = ").push_bind(v.clone());
                }
                if let Some(v) = &f.renewal_policy_id {
                    w.next(qb);
                    qb.push("renewal_policy_id = ").push_bind(v.clone());
                }
                if let Some(v) = f.expires_before {
                    w.next(qb);
                    qb.push("expires_at < ").push_bind(v);
                }
                if let Some(v) = f.expires_after {
                    w.next(qb);
                    qb.push("expires_at > ").push_bind(v);
                }
                if let Some(v) = &f.parent_id {
                    w.next(qb);
                    qb.push("parent_id = ").push_bind(v.clone());
                }
                if let Some(v) = &f.agent_group_id {
                    w.next(qb);
                    qb.push("agent_group_id = ").push_bind(v.clone());
                }
                if f.templates_only {
                    w.next(qb);
                    qb.push("agent_group_id IS NOT NULL");
                }
                if f.exclude_templates {
                    w.next(qb);
                    qb.push("agent_group_id IS NULL");
                }
                if let Some(v) = &f.key_agent_id {
                    w.next(qb);
                    qb.push("id IN (SELECT m.certificate_id FROM certificate_target_mappings m \
                             JOIN deployment_targets t ON t.id = m.target_id WHERE t.agent_id = ").push_bind(v.clone());
                    qb.push(")");
                }
                if let Some(m) = fts {
                    w.next(qb);
                    qb.push("rid IN (SELECT rowid FROM certificates_fts WHERE certificates_fts MATCH ").push_bind(m.to_owned());
                    qb.push(")");
                }
                if let Some(a) = &f.after {
                    // continue after that row's position in the list's order
                    w.next(qb);
                    let (_, column, descending) = f.ordering();
                    let cmp = if descending { "<" } else { ">" };
                    match column {
                        Some(col) => {
                            qb.push(format!("({col}, id) {cmp} (SELECT {col}, id FROM managed_certificates WHERE id = ")).push_bind(a.clone());
                            qb.push(")");
                        }
                        None => {
                            qb.push(format!("id {cmp} ")).push_bind(a.clone());
                        }
                    }
                }
                if let Some(q) = &f.q {
                    let pat = like_pattern(q);
                    let op = Self::D.ilike;
                    w.next(qb);
                    qb.push(format!("(name {op} ")).push_bind(pat.clone());
                    qb.push(format!(" ESCAPE '\\' OR common_name {op} ")).push_bind(pat.clone());
                    qb.push(format!(" ESCAPE '\\' OR {} {op} ", Self::D.sans_text)).push_bind(pat);
                    qb.push(" ESCAPE '\\')");
                }
                for (k, v) in &f.tags {
                    w.next(qb);
                    qb.push(Self::D.tag_prefix).push_bind(k.clone());
                    qb.push(Self::D.tag_middle).push_bind(v.clone());
                    qb.push(Self::D.tag_suffix);
                }
            }

            /// How to narrow a `q=` search with the trigram index: a phrase of at most 12
            /// characters of `q` (its substrings are necessary conditions), picked where `q` has
            /// the most digits — in host names that is the rare part, while suffixes such as
            /// `.example.com` are shared by most rows. The LIKE test then checks the whole of `q`.
            fn fts_candidates(q: &str) -> Candidates {
                const WINDOW: usize = 12;
                let chars: Vec<char> = q.chars().collect();
                if chars.len() < 3 {
                    return Candidates::Scan;
                }
                let best = chars
                    .windows(WINDOW.min(chars.len()))
                    .enumerate()
                    .max_by_key(|(i, w)| (w.iter().filter(|c| c.is_ascii_digit()).count(), std::cmp::Reverse(*i)))
                    .map(|(_, w)| w.iter().collect::<String>())
                    .unwrap_or_default();
                Candidates::Match(fts_phrase(&best))
            }

            /// The rows of one page of `f` in the list's order (no total).
            async fn certificate_rows(&self, f: &CertificateFilter, fts: Option<&str>, page: PageRequest) -> Result<Vec<Certificate>> {
                let (order, _, _) = f.ordering();
                if let Some(select) = Self::D.certificates_json {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(select);
                    qb.push(concat!(" FROM (", select!(Certificate)));
                    Self::cert_where(&mut qb, f, fts);
                    qb.push(format!(" ORDER BY {order} LIMIT ")).push_bind(page.limit()).push(" OFFSET ").push_bind(page.offset());
                    qb.push(format!(") c ORDER BY {order}"));
                    let json: String = qb.build_query_scalar().fetch_one(self.r()).await.map_err(db_err)?;
                    return serde_json::from_str(&json).map_err(|e| Error::Storage(format!("decoding a page of certificates: {e}")));
                }
                let mut p: Page<Certificate> = self.filtered_page(order, page, |qb| Self::cert_where(qb, f, fts), Some(0)).await?;
                self.fill_targets(&mut p.data).await?;
                Ok(p.data)
            }

            /// The exact total from the maintained counters when the filter is by status only.
            async fn counted_total(&self, f: &CertificateFilter) -> Result<Option<i64>> {
                let only_status = CertificateFilter { status: f.status, exclude_archived: f.exclude_archived, ..Default::default() };
                if *f != only_status {
                    return Ok(None);
                }
                let counts = $crate::store::CertificateStore::count_certificates_by_status(self).await?;
                let total = counts
                    .iter()
                    .filter(|(s, _)| match f.status {
                        Some(want) => *s == want,
                        None => !(f.exclude_archived && *s == CertificateStatus::Archived),
                    })
                    .map(|(_, n)| n)
                    .sum();
                Ok(Some(total))
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::CertificateStore for $S {
            async fn create_certificate(&self, c: &Certificate, audit: &AuditDraft) -> Result<Certificate> {
                let mut tx = self.tx().await?;
                Self::insert_certificate(&mut tx, c).await?;
                self.append_audit_in(&mut tx, audit).await?;
                self.commit_audited(tx).await?;
                Ok(c.clone())
            }

            async fn import_certificates(&self, certs: &[Certificate], audit: &AuditDraft) -> Result<()> {
                let mut tx = self.tx().await?;
                for chunk in certs.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(insert_into!(Certificate));
                    qb.push_values(chunk, |mut b, c| c.push_to(&mut b));
                    let first = chunk.first().map(|c| c.id.to_string()).unwrap_or_default();
                    qb.build().execute(&mut *tx).await.map_err(|e| write_err(e, "certificate", &format!("in the batch starting at {first}")))?;
                    for c in chunk.iter().filter(|c| !c.target_ids.is_empty()) {
                        Self::insert_bindings(&mut tx, c).await?;
                    }
                }
                let drafts: Vec<AuditDraft> = certs
                    .iter()
                    .map(|c| AuditDraft { resource_id: c.id.to_string(), ..audit.clone() })
                    .collect();
                self.append_audits_in(&mut tx, &drafts).await?;
                self.commit_audited(tx).await
            }

            async fn get_certificate(&self, id: &CertificateId) -> Result<Certificate> {
                if let Some(select) = Self::D.certificates_json {
                    let sql = format!(concat!("{} FROM (", select!(Certificate), " WHERE id = $1) c"), select);
                    let json: String = sqlx::query_scalar(&sql).bind(id).fetch_one(self.r()).await.map_err(db_err)?;
                    let mut found: Vec<Certificate> = serde_json::from_str(&json).map_err(|e| Error::Storage(format!("decoding a certificate: {e}")))?;
                    return found.pop().ok_or_else(|| Error::not_found("certificate", id.as_str()));
                }
                let mut c: Certificate = self.get_row("certificate", id.as_str()).await?;
                self.fill_targets(std::slice::from_mut(&mut c)).await?;
                Ok(c)
            }

            async fn fleet_children(&self, parent: &CertificateId) -> Result<Vec<FleetChild>> {
                sqlx::query_as(concat!(select!(FleetChild), " WHERE parent_id = $1 ORDER BY id"))
                    .bind(parent)
                    .fetch_all(self.r())
                    .await
                    .map_err(db_err)
            }

            async fn create_fleet_child(&self, target: &Target, cert: &Certificate, audits: &[AuditDraft]) -> Result<Certificate> {
                let mut tx = self.tx().await?;
                sqlx::query(insert!(Target)).bind_row(target)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_err(e, "target", target.id.as_str()))?;
                Self::insert_certificate(&mut tx, cert).await?;
                self.append_audits_in(&mut tx, audits).await?;
                self.commit_audited(tx).await?;
                Ok(cert.clone())
            }

            async fn list_certificates(&self, f: &CertificateFilter, page: PageRequest) -> Result<Page<Certificate>> {
                let fts = match f.q.as_deref().filter(|_| Self::D.fts).map(Self::fts_candidates) {
                    Some(Candidates::Match(m)) => Some(m),
                    Some(Candidates::Scan) | None => None,
                };
                if !f.cursor_allowed() {
                    return Err(Error::invalid("after", "cannot continue an order by expires_at, which is empty for certificates never issued; use page, or bound the expiry (expires_before / expires_after)"));
                }
                // the total counts the whole filter; the cursor only moves the window
                let counting = CertificateFilter { after: None, ..f.clone() };
                let total = match self.counted_total(&counting).await? {
                    Some(t) => t,
                    None => {
                        let mut qb = sqlx::QueryBuilder::<$DB>::new("SELECT COUNT(*) FROM managed_certificates");
                        Self::cert_where(&mut qb, &counting, fts.as_deref());
                        qb.build_query_scalar::<i64>().fetch_one(self.r()).await.map_err(db_err)?
                    }
                };
                let page = if f.after.is_some() { PageRequest::new(1, page.per_page) } else { page };
                let data = self.certificate_rows(f, fts.as_deref(), page).await?;
                Ok(Page::new(data, total, page))
            }

            async fn scan_certificates(&self, f: &CertificateFilter, limit: u32) -> Result<Vec<Certificate>> {
                let fts = match f.q.as_deref().filter(|_| Self::D.fts).map(Self::fts_candidates) {
                    Some(Candidates::Match(m)) => Some(m),
                    Some(Candidates::Scan) | None => None,
                };
                self.certificate_rows(f, fts.as_deref(), PageRequest::new(1, limit)).await
            }

            async fn update_certificate(&self, c: &Certificate, audit: &AuditDraft) -> Result<Certificate> {
                let mut tx = self.tx().await?;
                let n = sqlx::query(
                    "UPDATE managed_certificates SET name = $2, common_name = $3, sans = $4, environment = $5, owner_id = $6, \
                     team_id = $7, issuer_id = $8, renewal_policy_id = $9, status = $10, expires_at = $11, tags = $12, \
                     last_renewal_at = $13, last_deployment_at = $14, updated_at = $15, parent_id = $16, agent_id = $17, \
                     agent_group_id = $18, target_template = $19 WHERE id = $1",
                )
                .bind(&c.id).bind(&c.name).bind(&c.common_name).bind(Json(&c.sans)).bind(&c.environment)
                .bind(&c.owner_id).bind(&c.team_id).bind(&c.issuer_id).bind(&c.renewal_policy_id).bind(c.status)
                .bind(c.expires_at).bind(Json(&c.tags)).bind(c.last_renewal_at).bind(c.last_deployment_at)
                .bind(c.updated_at).bind(&c.parent_id).bind(&c.agent_id).bind(&c.agent_group_id)
                .bind(c.target_template.as_ref().map(Json))
                .execute(&mut *tx)
                .await
                .map_err(|e| write_err(e, "certificate", c.id.as_str()))?
                .rows_affected();
                if n == 0 {
                    return Err(Error::not_found("certificate", c.id.as_str()));
                }
                Self::write_bindings(&mut tx, c).await?;
                self.append_audit_in(&mut tx, audit).await?;
                self.commit_audited(tx).await?;
                self.get_certificate(&c.id).await
            }

            async fn count_certificates_by_status(&self) -> Result<Vec<(CertificateStatus, i64)>> {
                sqlx::query_as("SELECT status, n FROM certificate_status_counts WHERE n <> 0 ORDER BY status")
                    .fetch_all(self.r())
                    .await
                    .map_err(db_err)
            }

            async fn count_expiring_before(&self, from: Timestamp, edges: &[Timestamp]) -> Result<Vec<i64>> {
                let Some(last) = edges.iter().max().copied() else { return Ok(Vec::new()) };
                let mut qb = sqlx::QueryBuilder::<$DB>::new("SELECT ");
                for (i, e) in edges.iter().enumerate() {
                    if i > 0 {
                        qb.push(", ");
                    }
                    qb.push("COALESCE(SUM(CASE WHEN expires_at < ").push_bind(*e).push(" THEN 1 ELSE 0 END), 0)");
                }
                qb.push(" FROM managed_certificates WHERE expires_at >= ").push_bind(from);
                qb.push(" AND expires_at < ").push_bind(last);
                qb.push(" AND status <> ").push_bind(CertificateStatus::Archived);
                let row = qb.build().fetch_one(self.r()).await.map_err(db_err)?;
                (0..edges.len()).map(|i| sqlx::Row::try_get::<i64, _>(&row, i).map_err(db_err)).collect()
            }

            async fn certificates_due_for_renewal(&self, now: Timestamp, limit: i64) -> Result<Vec<Certificate>> {
                let day = Self::D.day;
                let due = format!(
                    concat!("SELECT ", columns!(Certificate, "c."), " FROM managed_certificates c JOIN renewal_policies rp ON rp.id = c.renewal_policy_id \
                     WHERE c.status IN ('Active', 'Expiring') \
                     AND c.expires_at <= $1 + (SELECT MAX(renewal_window_days) FROM renewal_policies){day} \
                     AND c.expires_at <= $1 + rp.renewal_window_days{day} AND rp.auto_renew \
                     ORDER BY c.expires_at, c.id LIMIT $2"),
                    day = day
                );
                if let Some(select) = Self::D.certificates_json {
                    let sql = format!("{select} FROM ({due}) c ORDER BY c.expires_at, c.id");
                    let json: String = sqlx::query_scalar(&sql).bind(now).bind(limit).fetch_one(self.r()).await.map_err(db_err)?;
                    return serde_json::from_str(&json).map_err(|e| Error::Storage(format!("decoding certificates: {e}")));
                }
                let mut rows: Vec<Certificate> = sqlx::query_as(&due).bind(now).bind(limit).fetch_all(self.r()).await.map_err(db_err)?;
                self.fill_targets(&mut rows).await?;
                Ok(rows)
            }

            async fn add_version(&self, v: &CertificateVersion, audit: &AuditDraft) -> Result<CertificateVersion> {
                let q = sqlx::query(insert!(CertificateVersion)).bind_row(v);
                self.write_audited(q, Some(audit), |e| write_err(e, "certificate version", v.id.as_str())).await?;
                Ok(v.clone())
            }

            async fn record_issuances(&self, records: &[$crate::store::IssuanceRecord]) -> Result<Vec<Result<()>>> {
                // Per record: the job's guarded update (0 rows: someone moved it first, the record
                // is left out) and the certificate's; set-based: versions, deployment jobs, their
                // bindings and the audit events of every record, so that a batch costs the single
                // writer a few statements more than one issuance does.
                let mut tx = self.tx().await?;
                let mut outcome = Vec::with_capacity(records.len());
                let mut kept = Vec::with_capacity(records.len());
                for r in records {
                    let j = &r.job;
                    let n = sqlx::query(
                        "UPDATE jobs SET status = $2, attempts = $3, last_error = $4, updated_at = $5, completed_at = $6, csr_pem = $7, \
                         next_attempt_at = NULL, claimed_until = NULL WHERE id = $1 AND status = $8",
                    )
                    .bind(&j.id).bind(j.status).bind(j.attempts).bind(&j.last_error).bind(j.updated_at).bind(j.completed_at)
                    .bind(&j.csr_pem).bind(r.expected)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if n == 0 {
                        outcome.push(Err(Error::Conflict(format!("job {} is no longer {}", j.id, r.expected))));
                        continue;
                    }
                    outcome.push(Ok(()));
                    kept.push(r);
                    let c = &r.certificate;
                    sqlx::query("UPDATE managed_certificates SET status = $2, expires_at = $3, last_renewal_at = $4, updated_at = $5 WHERE id = $1")
                        .bind(&c.id).bind(c.status).bind(c.expires_at).bind(c.last_renewal_at).bind(c.updated_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    for old in &r.superseded {
                        sqlx::query("UPDATE jobs SET status = $2, updated_at = $3, completed_at = $4, last_error = $5, claimed_until = NULL WHERE id = $1 AND status IN ('Pending', 'Running')")
                            .bind(&old.id).bind(old.status).bind(old.updated_at).bind(old.completed_at).bind(&old.last_error)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                }
                if kept.is_empty() {
                    return Ok(outcome);
                }
                for chunk in kept.chunks(100) {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(insert_into!(CertificateVersion));
                    qb.push_values(chunk, |mut b, r| r.version.push_to(&mut b));
                    qb.build().execute(&mut *tx).await.map_err(|e| write_err(e, "certificate version", chunk[0].version.id.as_str()))?;
                }
                let deployments: Vec<&Job> = kept.iter().flat_map(|r| &r.deployments).collect();
                for chunk in deployments.chunks(100) {
                    // a deployment job is Pending: no lease is stored
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(insert_into!(Job));
                    qb.push_values(chunk, |mut b, d| d.push_to(&mut b));
                    qb.build().execute(&mut *tx).await.map_err(|e| write_err(e, "job", chunk[0].id.as_str()))?;
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(
                        "UPDATE certificate_target_mappings SET deployment_status = 'Pending' WHERE (certificate_id, target_id) IN (",
                    );
                    let mut sep = qb.separated(", ");
                    for d in chunk {
                        sep.push("(").push_bind_unseparated(d.certificate_id.clone()).push_unseparated(", ")
                            .push_bind_unseparated(d.target_id.clone()).push_unseparated(")");
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                let audits: Vec<AuditDraft> = kept.iter().flat_map(|r| r.audits.iter().cloned()).collect();
                self.append_audits_in(&mut tx, &audits).await?;
                self.commit_audited(tx).await?;
                Ok(outcome)
            }

            async fn get_version(&self, id: &VersionId) -> Result<CertificateVersion> {
                self.get_row("certificate version", id.as_str()).await
            }

            async fn list_versions(&self, certificate_id: &CertificateId) -> Result<Vec<CertificateVersion>> {
                sqlx::query_as(concat!(select!(CertificateVersion), " WHERE certificate_id = $1 ORDER BY created_at DESC, id DESC"))
                    .bind(certificate_id)
                    .fetch_all(self.r())
                    .await
                    .map_err(db_err)
            }

            async fn revoke_version(&self, id: &VersionId, reason: &str, at: Timestamp, audit: &AuditDraft) -> Result<CertificateVersion> {
                let q = sqlx::query(
                    "UPDATE certificate_versions SET revoked_at = $2, revocation_reason = $3 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(id).bind(at).bind(reason.to_owned());
                if self.write_audited(q, Some(audit), db_err).await? == 0 {
                    self.get_version(id).await?;
                    return Err(Error::Conflict(format!("certificate version {id} is already revoked")));
                }
                self.get_version(id).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::TargetStore for $S {
            async fn create_target(&self, t: &Target, audit: &AuditDraft) -> Result<Target> {
                let q = sqlx::query(insert!(Target)).bind_row(t);
                self.write_audited(q, Some(audit), |e| write_err(e, "target", t.id.as_str())).await?;
                Ok(t.clone())
            }
            async fn get_target(&self, id: &TargetId) -> Result<Target> {
                self.get_row("target", id.as_str()).await
            }
            async fn list_targets(&self, agent_id: Option<&AgentId>, page: PageRequest) -> Result<Page<Target>> {
                let agent = agent_id.cloned();
                self.filtered_page("id", page, |qb| {
                    if let Some(a) = &agent {
                        qb.push(" WHERE agent_id = ").push_bind(a.clone());
                    }
                }, None).await
            }
            async fn update_target(&self, t: &Target, audit: &AuditDraft) -> Result<Target> {
                let q = sqlx::query(
                    "UPDATE deployment_targets SET name = $2, type = $3, agent_id = $4, config = $5, enabled = $6, updated_at = $7 WHERE id = $1",
                )
                .bind(&t.id).bind(&t.name).bind(&t.target_type).bind(&t.agent_id).bind(Json(&t.config)).bind(t.enabled).bind(t.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "target", t.id.as_str())).await? == 0 {
                    return Err(Error::not_found("target", t.id.as_str()));
                }
                self.get_target(&t.id).await
            }
            async fn delete_target(&self, id: &TargetId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("deployment_targets", "target", id.as_str(), audit).await
            }
            async fn list_certificate_targets(&self, certificate_id: &CertificateId) -> Result<Vec<CertificateTarget>> {
                sqlx::query_as(concat!(select!(CertificateTarget), " WHERE certificate_id = $1 ORDER BY target_id"))
                    .bind(certificate_id)
                    .fetch_all(self.r())
                    .await
                    .map_err(db_err)
            }
            async fn update_certificate_target(&self, b: &CertificateTarget) -> Result<()> {
                let q = sqlx::query(
                    "UPDATE certificate_target_mappings SET deployment_status = $3, deployed_version_id = $4, last_deployed_at = $5, \
                     last_error = $6 WHERE certificate_id = $1 AND target_id = $2",
                )
                .bind(&b.certificate_id).bind(&b.target_id).bind(&b.deployment_status).bind(&b.deployed_version_id)
                .bind(b.last_deployed_at).bind(&b.last_error);
                if self.write_audited(q, None, db_err).await? == 0 {
                    return Err(Error::not_found("target binding", format!("{}/{}", b.certificate_id, b.target_id)));
                }
                Ok(())
            }
        }
    };
}
