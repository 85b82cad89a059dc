//! The audit chain, notification events and API keys.

macro_rules! sql_records {
    ($S:ident, $DB:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::AuditStore for $S {
            fn set_audit_key(&self, key: AuditKey) {
                self.audit_key.set(key);
            }
            fn watch_audit(&self, wake: &std::sync::Arc<tokio::sync::Notify>) {
                self.audit_watchers.add(wake);
            }
            async fn append_audit(&self, draft: &AuditDraft) -> Result<AuditEvent> {
                let mut tx = self.tx().await?;
                let ev = self.append_audit_in(&mut tx, draft).await?;
                self.commit_audited(tx).await?;
                Ok(ev)
            }
            async fn get_audit_event(&self, id: &EventId) -> Result<AuditEvent> {
                self.get_row("audit event", id.as_str()).await
            }
            async fn list_audit(
                &self,
                f: &AuditFilter,
                page: PageRequest,
            ) -> Result<Page<AuditEvent>> {
                self.filtered_page(
                    "seq DESC",
                    page,
                    |qb| {
                        let mut w = Conds(false);
                        for (col, val) in [
                            ("actor", &f.actor),
                            ("action", &f.action),
                            ("resource_type", &f.resource_type),
                            ("resource_id", &f.resource_id),
                        ] {
                            if let Some(v) = val {
                                w.next(qb);
                                qb.push(col).push(" = ").push_bind(v.clone());
                            }
                        }
                        if let Some(t) = f.since {
                            w.next(qb);
                            qb.push("timestamp >= ").push_bind(t);
                        }
                        if let Some(t) = f.until {
                            w.next(qb);
                            qb.push("timestamp <= ").push_bind(t);
                        }
                        for t in &f.exclude_resource_types {
                            w.next(qb);
                            qb.push("resource_type <> ").push_bind(t.clone());
                        }
                    },
                    None,
                )
                .await
            }
            async fn audit_chain(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>> {
                sqlx::query_as(concat!(
                    select!(AuditEvent),
                    " WHERE seq > $1 ORDER BY seq LIMIT $2"
                ))
                .bind(after_seq)
                .bind(limit)
                .fetch_all(self.r())
                .await
                .map_err(db_err)
            }
            async fn audit_head(&self) -> Result<Option<AuditEvent>> {
                sqlx::query_as(concat!(select!(AuditEvent), " ORDER BY seq DESC LIMIT 1"))
                    .fetch_optional(self.r())
                    .await
                    .map_err(db_err)
            }
            async fn put_audit_checkpoint(&self, cp: &AuditCheckpoint) -> Result<()> {
                let q =
                    sqlx::query(concat!(insert!(AuditCheckpoint), " ON CONFLICT (seq) DO NOTHING"))
                        .bind_row(cp);
                self.write_audited(q, None, db_err).await?;
                Ok(())
            }
            async fn audit_checkpoints(&self) -> Result<Vec<AuditCheckpoint>> {
                sqlx::query_as(concat!(select!(AuditCheckpoint), " ORDER BY seq"))
                    .fetch_all(self.r())
                    .await
                    .map_err(db_err)
            }
            async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
                sqlx::query_as(concat!(select!(AuditCheckpoint), " ORDER BY seq DESC LIMIT 1"))
                    .fetch_optional(self.r())
                    .await
                    .map_err(db_err)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::NotificationStore for $S {
            async fn create_notification(&self, n: &Notification) -> Result<Option<Notification>> {
                let q = sqlx::query(concat!(
                    insert!(Notification),
                    " ON CONFLICT (dedup_key) DO NOTHING"
                ))
                .bind_row(n);
                let created = self
                    .write_audited(q, None, |e| write_err(e, "notification", n.id.as_str()))
                    .await?;
                Ok((created > 0).then(|| n.clone()))
            }
            async fn get_notification(&self, id: &NotificationId) -> Result<Notification> {
                self.get_row("notification", id.as_str()).await
            }
            async fn list_notifications(
                &self,
                f: &NotificationFilter,
                page: PageRequest,
            ) -> Result<Page<Notification>> {
                self.filtered_page(
                    "created_at DESC, id DESC",
                    page,
                    |qb| {
                        let mut w = Conds(false);
                        if let Some(s) = f.status {
                            w.next(qb);
                            qb.push("status = ").push_bind(s);
                        }
                        if let Some(c) = &f.certificate_id {
                            w.next(qb);
                            qb.push("certificate_id = ").push_bind(c.clone());
                        }
                        if f.unread {
                            w.next(qb);
                            qb.push("read_at IS NULL");
                        }
                    },
                    None,
                )
                .await
            }
            async fn mark_notification_sent(
                &self,
                id: &NotificationId,
                at: Timestamp,
            ) -> Result<()> {
                let q = sqlx::query(
                    "UPDATE notification_events SET status = 'Sent', sent_at = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(at);
                if self.write_audited(q, None, db_err).await? == 0 {
                    return Err(Error::not_found("notification", id.as_str()));
                }
                Ok(())
            }
            async fn mark_notification_read(
                &self,
                id: &NotificationId,
                at: Timestamp,
                audit: &AuditDraft,
            ) -> Result<Notification> {
                let q = sqlx::query(
                    "UPDATE notification_events SET read_at = $2 WHERE id = $1 AND read_at IS NULL",
                )
                .bind(id)
                .bind(at);
                self.write_audited(q, Some(audit), db_err).await?;
                self.get_notification(id).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::ApiKeyStore for $S {
            async fn create_api_key(&self, k: &ApiKey, audit: &AuditDraft) -> Result<ApiKey> {
                let q = sqlx::query(insert!(ApiKey)).bind_row(k);
                self.write_audited(q, Some(audit), |e| write_err(e, "api key", k.id.as_str()))
                    .await?;
                Ok(k.clone())
            }
            async fn get_api_key(&self, id: &ApiKeyId) -> Result<ApiKey> {
                self.get_row("api key", id.as_str()).await
            }
            async fn find_api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>> {
                sqlx::query_as(concat!(
                    select!(ApiKey),
                    " WHERE key_hash = $1 AND revoked_at IS NULL"
                ))
                .bind(hash.to_owned())
                .fetch_optional(self.r())
                .await
                .map_err(db_err)
            }
            async fn list_api_keys(&self, page: PageRequest) -> Result<Page<ApiKey>> {
                self.simple_page("id", page).await
            }
            async fn revoke_api_key(
                &self,
                id: &ApiKeyId,
                at: Timestamp,
                audit: &AuditDraft,
            ) -> Result<ApiKey> {
                let q = sqlx::query(
                    "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(id)
                .bind(at);
                if self.write_audited(q, Some(audit), db_err).await? == 0 {
                    let k = self.get_api_key(id).await?;
                    return Err(Error::Conflict(format!("api key {} is already revoked", k.id)));
                }
                self.get_api_key(id).await
            }
        }
    };
}
