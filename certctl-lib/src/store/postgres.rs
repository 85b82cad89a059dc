//! [`PgStore`]: PostgreSQL for organisations that outgrow one machine. Jobs are claimed with
//! `FOR UPDATE SKIP LOCKED`; audit appends are serialised by a transaction advisory lock.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::types::Json;

use super::rows::{BindRow, BindRowExt};
use super::sql::{Candidates, Dialect, db_err, fts_phrase, like_pattern, write_err};
use crate::error::{Error, Result};
use crate::model::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Advisory lock key that serialises appends to the audit chain.
const AUDIT_LOCK: &str = "SELECT pg_advisory_xact_lock(7305010001)";

/// PostgreSQL-backed [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    audit_key: super::AuditKeyCell,
    audit_watchers: super::AuditWatchers,
}

impl PgStore {
    const D: Dialect = Dialect {
        audit_lock: Some(AUDIT_LOCK),
        skip_locked: " FOR UPDATE SKIP LOCKED",
        ilike: "ILIKE",
        sans_text: "sans::text",
        tag_prefix: "tags ->> ",
        tag_middle: " = ",
        tag_suffix: "",
        day: " * INTERVAL '1 day'",
        fts: false,
        certificates_json: None,
        heartbeat_batch: "UPDATE agents a SET hostname = j.hostname, os = j.os, os_version = j.os_version, arch = j.arch, \
            ip_addresses = j.ip_addresses, agent_version = j.agent_version, reported_labels = j.reported_labels, \
            observed_ip = COALESCE(j.observed_ip, a.observed_ip), last_heartbeat_at = $2, updated_at = $2, \
            status = CASE WHEN a.status = 'Offline' THEN 'Online' ELSE a.status END \
            FROM jsonb_to_recordset($1::jsonb) AS j(id text, hostname text, os text, os_version text, arch text, \
            ip_addresses jsonb, agent_version text, reported_labels jsonb, observed_ip text) WHERE a.id = j.id AND a.status <> 'Retired' RETURNING a.*",
    };

    /// Connects to `url` and applies migrations (safe to run from several replicas at once).
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| {
                Error::Storage(format!("connecting to {}: {e}", super::redact_url(url)))
            })?;
        MIGRATOR.run(&pool).await.map_err(|e| Error::Storage(format!("migrating: {e}")))?;
        Ok(Self { pool, audit_key: Default::default(), audit_watchers: Default::default() })
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn r(&self) -> &PgPool {
        &self.pool
    }

    async fn tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.pool.begin().await.map_err(db_err)
    }

    /// Runs raw SQL (tests use it to tamper with rows as an attacker would).
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(sqlx::raw_sql(sql).execute(&self.pool).await.map_err(db_err)?.rows_affected())
    }
}

#[async_trait::async_trait]
impl super::Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
    async fn try_lock(&self, name: &str) -> Result<Option<super::LoopLock>> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        conn.close_on_drop();
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(super::lock_key(name))
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        Ok(got.then(|| super::LoopLock { _session: Some(conn) }))
    }
    async fn ready(&self) -> Result<()> {
        super::check_migrations(self.r(), &MIGRATOR).await
    }
}

sql_store!(PgStore, sqlx::Postgres);
