//! Notification channels and the per-channel deliveries of notification events.

macro_rules! sql_notify {
    ($S:ident, $DB:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ChannelStore for $S {
            async fn create_channel(&self, c: &NotificationChannel, audit: &AuditDraft) -> Result<NotificationChannel> {
                let q = sqlx::query(insert!(NotificationChannel)).bind_row(c);
                self.write_audited(q, Some(audit), |e| write_err(e, "notification channel", c.id.as_str())).await?;
                Ok(c.clone())
            }
            async fn get_channel(&self, id: &ChannelId) -> Result<NotificationChannel> {
                self.get_row("notification channel", id.as_str()).await
            }
            async fn list_channels(&self, page: PageRequest) -> Result<Page<NotificationChannel>> {
                self.simple_page("id", page).await
            }
            async fn update_channel(&self, c: &NotificationChannel, audit: &AuditDraft) -> Result<NotificationChannel> {
                let q = sqlx::query(
                    "UPDATE notification_channels SET name = $2, type = $3, config = $4, events = $5, min_severity = $6, \
                     enabled = $7, updated_at = $8 WHERE id = $1",
                )
                .bind(&c.id).bind(&c.name).bind(c.channel_type).bind(Json(&c.config)).bind(Json(&c.events))
                .bind(c.min_severity).bind(c.enabled).bind(c.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "notification channel", c.id.as_str())).await? == 0 {
                    return Err(Error::not_found("notification channel", c.id.as_str()));
                }
                self.get_channel(&c.id).await
            }
            async fn delete_channel(&self, id: &ChannelId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("notification_channels", "notification channel", id.as_str(), audit).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::DeliveryStore for $S {
            async fn create_routed_notification(&self, n: &Notification, channels: &[ChannelId]) -> Result<Option<Notification>> {
                let mut tx = self.tx().await?;
                let created = sqlx::query(concat!(insert!(Notification), " ON CONFLICT (dedup_key) DO NOTHING")).bind_row(n)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_err(e, "notification", n.id.as_str()))?
                .rows_affected();
                if created == 0 {
                    return Ok(None);
                }
                if !channels.is_empty() {
                    let deliveries: Vec<Delivery> = channels
                        .iter()
                        .map(|c| Delivery {
                            notification_id: n.id.clone(),
                            channel_id: c.clone(),
                            status: DeliveryStatus::Pending,
                            attempts: 0,
                            next_attempt_at: n.created_at,
                            last_attempt_at: None,
                            last_error: None,
                            sent_at: None,
                        })
                        .collect();
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(insert_into!(Delivery));
                    qb.push_values(&deliveries, |mut b, d| d.push_to(&mut b));
                    qb.push(" ON CONFLICT DO NOTHING");
                    qb.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(Some(n.clone()))
            }

            async fn due_deliveries(&self, now: Timestamp, limit: i64) -> Result<Vec<Delivery>> {
                sqlx::query_as(
                    concat!(select!(Delivery), " WHERE status = 'Pending' AND next_attempt_at <= $1 \
                     ORDER BY next_attempt_at, notification_id, channel_id LIMIT $2"),
                )
                .bind(now)
                .bind(limit)
                .fetch_all(self.r())
                .await
                .map_err(db_err)
            }

            async fn notifications_by_ids(&self, ids: &[NotificationId]) -> Result<Vec<Notification>> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(concat!(select!(Notification), " WHERE id IN ("));
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.clone());
                    }
                    qb.push(")");
                    out.extend(qb.build_query_as::<Notification>().fetch_all(self.r()).await.map_err(db_err)?);
                }
                Ok(out)
            }

            async fn deliveries_of(&self, ids: &[NotificationId]) -> Result<Vec<Delivery>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(concat!(select!(Delivery), " WHERE notification_id IN ("));
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.clone());
                    }
                    qb.push(") ORDER BY notification_id, channel_id");
                    out.extend(qb.build_query_as::<Delivery>().fetch_all(self.r()).await.map_err(db_err)?);
                }
                Ok(out)
            }

            async fn record_deliveries(&self, outcomes: &[(NotificationId, ChannelId, DeliveryOutcome)], now: Timestamp) -> Result<()> {
                if outcomes.is_empty() {
                    return Ok(());
                }
                let mut tx = self.tx().await?;
                // the common case, Sent, in set-based statements per channel (`notification_id IN
                // (...)` probes the primary key); the rest one by one
                let mut sent: std::collections::BTreeMap<&ChannelId, Vec<&NotificationId>> = std::collections::BTreeMap::new();
                for (n, c, o) in outcomes {
                    if *o == DeliveryOutcome::Sent {
                        sent.entry(c).or_default().push(n);
                    }
                }
                for (c, ns) in sent {
                    for chunk in ns.chunks(500) {
                        let mut qb = sqlx::QueryBuilder::<$DB>::new("UPDATE notification_deliveries SET status = 'Sent', attempts = attempts + 1, last_attempt_at = ");
                        qb.push_bind(now).push(", sent_at = ").push_bind(now);
                        qb.push(", last_error = NULL WHERE status = 'Pending' AND channel_id = ").push_bind(c.clone());
                        qb.push(" AND notification_id IN (");
                        let mut sep = qb.separated(", ");
                        for n in chunk {
                            sep.push_bind((*n).clone());
                        }
                        qb.push(")");
                        qb.build().execute(&mut *tx).await.map_err(db_err)?;
                    }
                }
                for (n, c, o) in outcomes {
                    let q = match o {
                        DeliveryOutcome::Sent => continue,
                        DeliveryOutcome::Retry { error, next_attempt_at } => sqlx::query(
                            "UPDATE notification_deliveries SET attempts = attempts + 1, last_attempt_at = $3, last_error = $4, \
                             next_attempt_at = $5 WHERE notification_id = $1 AND channel_id = $2 AND status = 'Pending'",
                        )
                        .bind(n).bind(c).bind(now).bind(error.clone()).bind(*next_attempt_at),
                        DeliveryOutcome::Dead { error } => sqlx::query(
                            "UPDATE notification_deliveries SET status = 'Dead', attempts = attempts + 1, last_attempt_at = $3, \
                             last_error = $4 WHERE notification_id = $1 AND channel_id = $2 AND status = 'Pending'",
                        )
                        .bind(n).bind(c).bind(now).bind(error.clone()),
                        DeliveryOutcome::Deferred { next_attempt_at } => sqlx::query(
                            "UPDATE notification_deliveries SET next_attempt_at = $3 \
                             WHERE notification_id = $1 AND channel_id = $2 AND status = 'Pending'",
                        )
                        .bind(n).bind(c).bind(*next_attempt_at),
                    };
                    q.execute(&mut *tx).await.map_err(db_err)?;
                }
                // `d.status || ''` keeps SQLite's planner on the primary key (notification_id) instead
                // of the (status, next_attempt_at) index, which scans every pending delivery per event
                let mut ids: Vec<&NotificationId> = outcomes.iter().map(|(n, _, _)| n).collect();
                ids.sort();
                ids.dedup();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(
                        "UPDATE notification_events SET status = CASE \
                         WHEN EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notification_events.id AND d.status || '' = 'Pending') THEN 'Pending' \
                         WHEN EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notification_events.id AND d.status || '' = 'Dead') THEN 'Dead' \
                         ELSE 'Sent' END, sent_at = CASE \
                         WHEN EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notification_events.id AND d.status <> 'Sent') THEN sent_at \
                         ELSE COALESCE(sent_at, ",
                    );
                    qb.push_bind(now);
                    qb.push(") END WHERE id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind((*id).clone());
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(())
            }

            async fn settle_notifications(&self, now: Timestamp) -> Result<u64> {
                let q = sqlx::query(
                    // Sent when it had channels and all delivered; Recorded (the inbox only, nothing
                    // went out) when no channel was routed to it
                    "UPDATE notification_events SET \
                     status = CASE WHEN EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notification_events.id) THEN 'Sent' ELSE 'Recorded' END, \
                     sent_at = CASE WHEN EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notification_events.id) THEN $1 ELSE NULL END \
                     WHERE status = 'Pending' AND NOT EXISTS \
                     (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = notification_events.id AND d.status <> 'Sent')",
                )
                .bind(now);
                self.write_audited(q, None, db_err).await
            }

            async fn requeue_notification(&self, id: &NotificationId, now: Timestamp, audit: &AuditDraft) -> Result<u64> {
                let mut tx = self.tx().await?;
                let n = sqlx::query(
                    "UPDATE notification_deliveries SET status = 'Pending', attempts = 0, next_attempt_at = $2 \
                     WHERE notification_id = $1 AND status = 'Dead'",
                )
                .bind(id).bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n > 0 {
                    sqlx::query("UPDATE notification_events SET status = 'Pending' WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    self.append_audit_in(&mut tx, audit).await?;
                }
                self.commit_audited(tx).await?;
                Ok(n)
            }
        }
    };
}
