//! [`SqliteStore`]: the embedded default. WAL mode, one writer connection (SQLite has one
//! writer anyway; queuing in-process avoids busy errors), several reader connections.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json;

use super::rows::{BindRow, BindRowExt};
use super::sql::{Candidates, Dialect, db_err, fts_phrase, like_pattern, write_err};
use crate::error::{Error, Result};
use crate::model::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// One page of certificates as a JSON array in the API's shape (timestamps RFC 3339 in UTC).
const CERTIFICATES_JSON: &str = "SELECT json_group_array(json_object(\
    'id', c.id, 'name', c.name, 'common_name', c.common_name, 'sans', json(c.sans), \
    'environment', c.environment, 'owner_id', c.owner_id, 'team_id', c.team_id, 'issuer_id', c.issuer_id, \
    'renewal_policy_id', c.renewal_policy_id, 'status', c.status, \
    'expires_at', strftime('%Y-%m-%dT%H:%M:%fZ', c.expires_at / 1000.0, 'unixepoch'), \
    'tags', json(c.tags), \
    'target_ids', (SELECT json_group_array(target_id) FROM (SELECT target_id FROM certificate_target_mappings m \
                   WHERE m.certificate_id = c.id ORDER BY target_id)), \
    'last_renewal_at', strftime('%Y-%m-%dT%H:%M:%fZ', c.last_renewal_at / 1000.0, 'unixepoch'), \
    'last_deployment_at', strftime('%Y-%m-%dT%H:%M:%fZ', c.last_deployment_at / 1000.0, 'unixepoch'), \
    'created_at', strftime('%Y-%m-%dT%H:%M:%fZ', c.created_at / 1000.0, 'unixepoch'), \
    'updated_at', strftime('%Y-%m-%dT%H:%M:%fZ', c.updated_at / 1000.0, 'unixepoch'), \
    'parent_id', c.parent_id, 'agent_id', c.agent_id, 'agent_group_id', c.agent_group_id, \
    'target_template', json(c.target_template)))";

/// SQLite-backed [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    path: PathBuf,
    audit_key: super::AuditKeyCell,
    audit_watchers: super::AuditWatchers,
}

impl SqliteStore {
    const D: Dialect = Dialect {
        audit_lock: None,
        skip_locked: "",
        ilike: "LIKE",
        sans_text: "sans",
        tag_prefix: "json_extract(tags, '$.' || json_quote(",
        tag_middle: ")) = ",
        tag_suffix: "",
        day: " * 86400000",
        fts: true,
        certificates_json: Some(CERTIFICATES_JSON),
        heartbeat_batch: "UPDATE agents SET hostname = j.value ->> 'hostname', os = j.value ->> 'os', \
            os_version = j.value ->> 'os_version', arch = j.value ->> 'arch', ip_addresses = json(j.value -> 'ip_addresses'), \
            agent_version = j.value ->> 'agent_version', reported_labels = json(j.value -> 'reported_labels'), \
            observed_ip = COALESCE(j.value ->> 'observed_ip', agents.observed_ip), last_heartbeat_at = $2, updated_at = $2, \
            status = CASE WHEN agents.status = 'Offline' THEN 'Online' ELSE agents.status END \
            FROM json_each($1) AS j WHERE agents.id = j.value ->> 'id' AND agents.status <> 'Retired' RETURNING *",
    };

    /// Opens (creating when missing) the database file at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        let opts = SqliteConnectOptions::from_str("sqlite://")
            .map_err(db_err)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-32000");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await
            .map_err(|e| Error::Storage(format!("opening {}: {e}", path.display())))?;
        MIGRATOR
            .run(&write)
            .await
            .map_err(|e| Error::Storage(format!("migrating {}: {e}", path.display())))?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true))
            .await
            .map_err(|e| Error::Storage(format!("opening {}: {e}", path.display())))?;
        Ok(Self {
            read,
            write,
            path: path.to_owned(),
            audit_key: Default::default(),
            audit_watchers: Default::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn r(&self) -> &SqlitePool {
        &self.read
    }

    async fn tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.write.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)
    }

    /// Runs raw SQL on the writer (tests use it to tamper with rows as an attacker would).
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(sqlx::raw_sql(sql).execute(&self.write).await.map_err(db_err)?.rows_affected())
    }
}

#[async_trait::async_trait]
impl super::Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    async fn try_lock(&self, _name: &str) -> Result<Option<super::LoopLock>> {
        Ok(Some(super::LoopLock::local()))
    }
    async fn ready(&self) -> Result<()> {
        super::check_migrations(self.r(), &MIGRATOR).await
    }
}

sql_store!(SqliteStore, sqlx::Sqlite);
