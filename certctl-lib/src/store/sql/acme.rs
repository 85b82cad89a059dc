//! ACME accounts, orders in flight (with a lease so one replica drives each) and HTTP-01 tokens.

/// An `acme_orders` row as the database has it (`state` a JSON column).
#[derive(sqlx::FromRow)]
pub(crate) struct OrderRow {
    job_id: crate::model::JobId,
    issuer_id: crate::model::IssuerId,
    order_url: Option<String>,
    state: sqlx::types::Json<serde_json::Value>,
    lease_owner: Option<String>,
    lease_until: Option<crate::model::Timestamp>,
    created_at: crate::model::Timestamp,
    updated_at: crate::model::Timestamp,
}

impl From<OrderRow> for crate::store::AcmeOrderRow {
    fn from(r: OrderRow) -> Self {
        Self {
            job_id: r.job_id,
            issuer_id: r.issuer_id,
            order_url: r.order_url,
            state: r.state.0,
            lease_owner: r.lease_owner,
            lease_until: r.lease_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! sql_acme {
    ($S:ident, $DB:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::AcmeStore for $S {
            async fn get_acme_account(&self, issuer: &IssuerId) -> Result<Option<$crate::store::AcmeAccountRow>> {
                sqlx::query_as("SELECT * FROM acme_accounts WHERE issuer_id = $1").bind(issuer).fetch_optional(self.r()).await.map_err(db_err)
            }
            async fn put_acme_account(&self, a: &$crate::store::AcmeAccountRow) -> Result<$crate::store::AcmeAccountRow> {
                let mut tx = self.tx().await?;
                sqlx::query(
                    "INSERT INTO acme_accounts (issuer_id, directory_url, account_url, credentials_sealed, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer_id) DO NOTHING",
                )
                .bind(&a.issuer_id).bind(&a.directory_url).bind(&a.account_url).bind(&a.credentials_sealed).bind(a.created_at)
                .execute(&mut *tx).await.map_err(|e| write_err(e, "acme account", a.issuer_id.as_str()))?;
                let row = sqlx::query_as("SELECT * FROM acme_accounts WHERE issuer_id = $1").bind(&a.issuer_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(row)
            }
            async fn delete_acme_account(&self, issuer: &IssuerId) -> Result<()> {
                let mut tx = self.tx().await?;
                sqlx::query("DELETE FROM acme_accounts WHERE issuer_id = $1").bind(issuer).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }
            async fn get_acme_order(&self, job: &JobId) -> Result<Option<$crate::store::AcmeOrderRow>> {
                let row: Option<$crate::store::sql::acme::OrderRow> = sqlx::query_as("SELECT * FROM acme_orders WHERE job_id = $1").bind(job).fetch_optional(self.r()).await.map_err(db_err)?;
                Ok(row.map(Into::into))
            }
            async fn put_acme_order(&self, o: &$crate::store::AcmeOrderRow) -> Result<()> {
                let mut tx = self.tx().await?;
                sqlx::query(
                    "INSERT INTO acme_orders (job_id, issuer_id, order_url, state, lease_owner, lease_until, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (job_id) DO UPDATE SET issuer_id = excluded.issuer_id, order_url = excluded.order_url, \
                     state = excluded.state, updated_at = excluded.updated_at",
                )
                .bind(&o.job_id).bind(&o.issuer_id).bind(&o.order_url).bind(sqlx::types::Json(&o.state)).bind(&o.lease_owner).bind(o.lease_until)
                .bind(o.created_at).bind(o.updated_at)
                .execute(&mut *tx).await.map_err(|e| write_err(e, "acme order", o.job_id.as_str()))?;
                tx.commit().await.map_err(db_err)
            }
            async fn lease_acme_order(&self, job: &JobId, owner: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
                let mut tx = self.tx().await?;
                let n = sqlx::query(
                    "UPDATE acme_orders SET lease_owner = $2, lease_until = $4 WHERE job_id = $1 \
                     AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until IS NULL OR lease_until < $3)",
                )
                .bind(job).bind(owner).bind(now).bind(until)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                tx.commit().await.map_err(db_err)?;
                Ok(n > 0)
            }
            async fn stale_acme_orders(&self, now: Timestamp, limit: i64) -> Result<Vec<$crate::store::AcmeOrderRow>> {
                let rows: Vec<$crate::store::sql::acme::OrderRow> = sqlx::query_as("SELECT * FROM acme_orders WHERE lease_until IS NULL OR lease_until < $1 ORDER BY created_at, job_id LIMIT $2")
                    .bind(now).bind(limit).fetch_all(self.r()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
            async fn delete_acme_order(&self, job: &JobId) -> Result<()> {
                let mut tx = self.tx().await?;
                sqlx::query("DELETE FROM acme_orders WHERE job_id = $1").bind(job).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }
            async fn put_acme_challenge(&self, c: &$crate::store::AcmeChallengeRow) -> Result<()> {
                let mut tx = self.tx().await?;
                sqlx::query(
                    "INSERT INTO acme_challenges (token, key_authorization, order_job_id, validation_job_id, mode, webroot, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (token) DO UPDATE SET key_authorization = excluded.key_authorization, \
                     order_job_id = excluded.order_job_id, validation_job_id = excluded.validation_job_id, mode = excluded.mode, webroot = excluded.webroot",
                )
                .bind(&c.token).bind(&c.key_authorization).bind(&c.order_job_id).bind(&c.validation_job_id).bind(&c.mode).bind(&c.webroot).bind(c.created_at)
                .execute(&mut *tx).await.map_err(|e| write_err(e, "acme challenge", &c.token))?;
                tx.commit().await.map_err(db_err)
            }
            async fn get_acme_challenge(&self, token: &str) -> Result<Option<$crate::store::AcmeChallengeRow>> {
                sqlx::query_as("SELECT * FROM acme_challenges WHERE token = $1").bind(token).fetch_optional(self.r()).await.map_err(db_err)
            }
            async fn acme_challenge_of_validation(&self, job: &JobId) -> Result<Option<$crate::store::AcmeChallengeRow>> {
                sqlx::query_as("SELECT * FROM acme_challenges WHERE validation_job_id = $1").bind(job).fetch_optional(self.r()).await.map_err(db_err)
            }
            async fn delete_acme_challenges(&self, order_job: &JobId) -> Result<()> {
                let mut tx = self.tx().await?;
                sqlx::query("DELETE FROM acme_challenges WHERE order_job_id = $1").bind(order_job).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }
        }
    };
}
