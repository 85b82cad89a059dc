//! Helpers shared by every SQL store: audit append inside a transaction, get/list/delete by id.

macro_rules! sql_common {
    ($S:ident, $DB:ty) => {
        impl $S {
            /// Appends `draft` to the audit chain inside `tx`.
            async fn append_audit_in(
                &self,
                tx: &mut sqlx::Transaction<'_, $DB>,
                draft: &$crate::model::AuditDraft,
            ) -> $crate::error::Result<$crate::model::AuditEvent> {
                let mut evs = self.append_audits_in(tx, std::slice::from_ref(draft)).await?;
                evs.pop().ok_or_else(|| {
                    $crate::error::Error::Storage("audit append produced no event".into())
                })
            }

            /// Appends `drafts`, in order, to the audit chain inside `tx`: reads the chain's end
            /// once, links and MACs the events in memory (with the audit key; an error when none
            /// is set) and inserts them in multi-row statements.
            async fn append_audits_in(
                &self,
                tx: &mut sqlx::Transaction<'_, $DB>,
                drafts: &[$crate::model::AuditDraft],
            ) -> $crate::error::Result<Vec<$crate::model::AuditEvent>> {
                use $crate::store::sql::db_err;
                let key = self.audit_key.get()?;
                if let Some(lock) = Self::D.audit_lock {
                    sqlx::query(lock).execute(&mut **tx).await.map_err(db_err)?;
                }
                let last: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(db_err)?;
                let (mut seq, mut prev) = match last {
                    Some((s, h)) => (s, h),
                    None => (0, $crate::model::GENESIS_HASH.to_owned()),
                };
                let now = $crate::model::Timestamp::now();
                let mut evs = Vec::with_capacity(drafts.len());
                for d in drafts {
                    seq += 1;
                    let ev = $crate::model::AuditEvent::chain(
                        d.clone(),
                        seq,
                        std::mem::take(&mut prev),
                        now,
                        &key,
                    );
                    prev = ev.hash.clone();
                    evs.push(ev);
                }
                for chunk in evs.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(insert_into!(AuditEvent));
                    qb.push_values(chunk, |mut b, ev| ev.push_to(&mut b));
                    qb.build().execute(&mut **tx).await.map_err(db_err)?;
                }
                Ok(evs)
            }

            /// Commits a transaction that appended audit events, then wakes the audit watchers.
            async fn commit_audited(
                &self,
                tx: sqlx::Transaction<'_, $DB>,
            ) -> $crate::error::Result<()> {
                tx.commit().await.map_err($crate::store::sql::db_err)?;
                self.audit_watchers.committed();
                Ok(())
            }

            /// Runs one write statement (built by `stmt`) and the audit append in one transaction.
            /// Returns the rows the statement affected.
            async fn write_audited<'q>(
                &self,
                stmt: sqlx::query::Query<'q, $DB, <$DB as sqlx::Database>::Arguments<'q>>,
                audit: Option<&$crate::model::AuditDraft>,
                map: impl FnOnce(sqlx::Error) -> $crate::error::Error,
            ) -> $crate::error::Result<u64> {
                let mut tx = self.tx().await?;
                let n = stmt.execute(&mut *tx).await.map_err(map)?.rows_affected();
                if let (Some(a), true) = (audit, n > 0) {
                    self.append_audit_in(&mut tx, a).await?;
                }
                self.commit_audited(tx).await?;
                Ok(n)
            }

            async fn get_row<T>(&self, resource: &'static str, id: &str) -> $crate::error::Result<T>
            where
                T: $crate::store::rows::Table
                    + for<'r> sqlx::FromRow<'r, <$DB as sqlx::Database>::Row>
                    + Send
                    + Unpin,
            {
                let sql = format!("SELECT {} FROM {} WHERE id = $1", T::COLUMNS, T::TABLE);
                sqlx::query_as::<_, T>(&sql)
                    .bind(id)
                    .fetch_optional(self.r())
                    .await
                    .map_err($crate::store::sql::db_err)?
                    .ok_or_else(|| $crate::error::Error::not_found(resource, id))
            }

            /// One page of a whole table ordered by `order`, with an exact total.
            async fn simple_page<T>(
                &self,
                order: &str,
                page: $crate::model::PageRequest,
            ) -> $crate::error::Result<$crate::model::Page<T>>
            where
                T: $crate::store::rows::Table
                    + for<'r> sqlx::FromRow<'r, <$DB as sqlx::Database>::Row>
                    + Send
                    + Unpin,
            {
                use $crate::store::sql::db_err;
                let table = T::TABLE;
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(self.r())
                    .await
                    .map_err(db_err)?;
                let rows = sqlx::query_as::<_, T>(&format!(
                    "SELECT {} FROM {table} ORDER BY {order} LIMIT $1 OFFSET $2",
                    T::COLUMNS
                ))
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.r())
                .await
                .map_err(db_err)?;
                Ok($crate::model::Page::new(rows, total, page))
            }

            /// Runs a filtered page: `push_where` appends ` WHERE …` (or nothing) to a builder.
            async fn filtered_page<T>(
                &self,
                order: &str,
                page: $crate::model::PageRequest,
                push_where: impl Fn(&mut sqlx::QueryBuilder<'_, $DB>),
                known_total: Option<i64>,
            ) -> $crate::error::Result<$crate::model::Page<T>>
            where
                T: $crate::store::rows::Table
                    + for<'r> sqlx::FromRow<'r, <$DB as sqlx::Database>::Row>
                    + Send
                    + Unpin,
            {
                use $crate::store::sql::db_err;
                let table = T::TABLE;
                let total = match known_total {
                    Some(t) => t,
                    None => {
                        let mut qb =
                            sqlx::QueryBuilder::<$DB>::new(format!("SELECT COUNT(*) FROM {table}"));
                        push_where(&mut qb);
                        qb.build_query_scalar::<i64>().fetch_one(self.r()).await.map_err(db_err)?
                    }
                };
                let mut qb =
                    sqlx::QueryBuilder::<$DB>::new(format!("SELECT {} FROM {table}", T::COLUMNS));
                push_where(&mut qb);
                qb.push(format!(" ORDER BY {order} LIMIT "));
                qb.push_bind(page.limit());
                qb.push(" OFFSET ");
                qb.push_bind(page.offset());
                let rows = qb.build_query_as::<T>().fetch_all(self.r()).await.map_err(db_err)?;
                Ok($crate::model::Page::new(rows, total, page))
            }

            async fn delete_row(
                &self,
                table: &str,
                resource: &'static str,
                id: &str,
                audit: &$crate::model::AuditDraft,
            ) -> $crate::error::Result<()> {
                let sql = format!("DELETE FROM {table} WHERE id = $1");
                let n = self
                    .write_audited(sqlx::query(&sql).bind(id.to_owned()), Some(audit), |e| {
                        $crate::store::sql::delete_err(e, resource, id)
                    })
                    .await?;
                if n == 0 {
                    return Err($crate::error::Error::not_found(resource, id));
                }
                Ok(())
            }
        }

        /// Starts a `WHERE` clause on the first condition and `AND` on the next ones.
        #[allow(dead_code)]
        struct Conds(bool);
        impl Conds {
            fn next(&mut self, qb: &mut sqlx::QueryBuilder<'_, $DB>) {
                qb.push(if self.0 { " AND " } else { " WHERE " });
                self.0 = true;
            }
        }
    };
}
