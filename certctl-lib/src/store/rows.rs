//! The mapping between model types and table rows, written once per table in [`tables!`]: the
//! column list, `sqlx::FromRow` (by column name, JSON columns through `Json`), the binding of
//! every column in that order, and the SQL texts built from the list (`columns!(T)`,
//! `columns!(T, "c.")`, `select!(T)`, `insert!(T)`, `insert_into!(T)`), which every query in
//! `store/sql/` uses instead of writing columns out.

use sqlx::query::Query;
use sqlx::query_builder::Separated;

use crate::model::*;

/// A model type stored as one row of a table.
pub(crate) trait Table {
    /// The table.
    const TABLE: &'static str;
    /// Its columns, comma-separated, in the order [`BindRow`] binds them.
    const COLUMNS: &'static str;
}

/// Binds every column of a row, in [`Table::COLUMNS`] order (JSON columns as `Json`).
pub(crate) trait BindRow<DB: sqlx::Database> {
    /// `q` with one bind per column.
    fn bind_to<'q>(
        &'q self,
        q: Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    ) -> Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>;
    /// One tuple of a multi-row `push_values`.
    fn push_to<'q>(&'q self, b: &mut Separated<'_, 'q, DB, &'static str>);
}

/// `sqlx::query(insert!(T)).bind_row(&row)`.
pub(crate) trait BindRowExt<'q, DB: sqlx::Database> {
    /// Binds every column of `row`.
    fn bind_row<T: BindRow<DB>>(self, row: &'q T) -> Self;
}

impl<'q, DB: sqlx::Database> BindRowExt<'q, DB>
    for Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
{
    fn bind_row<T: BindRow<DB>>(self, row: &'q T) -> Self {
        row.bind_to(self)
    }
}

/// A job's lease is stored only while it is Running.
fn running_claim(j: &Job) -> Option<Timestamp> {
    j.claimed_until.filter(|_| j.status == JobStatus::Running)
}

/// `$1, $2, …`, one per token after the list of numbers.
macro_rules! placeholders {
    (@ [$($done:literal)*] [$n:literal $($ns:literal)*] $x:tt $($xs:tt)*) => {
        placeholders!(@ [$($done)* $n] [$($ns)*] $($xs)*)
    };
    (@ [$first:literal $($done:literal)*] [$($ns:literal)*]) => {
        concat!($first $(, ", ", $done)*)
    };
    ($($x:tt)*) => {
        placeholders!(@ [] ["$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "$10" "$11" "$12" "$13"
            "$14" "$15" "$16" "$17" "$18" "$19" "$20" "$21" "$22" "$23" "$24" "$25" "$26" "$27"
            "$28" "$29" "$30" "$31" "$32"] $($x)*)
    };
}

/// A field's column name: the field's, or the one after `as`.
macro_rules! column_name {
    ($f:ident) => {
        stringify!($f)
    };
    ($f:ident $c:ident) => {
        stringify!($c)
    };
}

/// Reads a field from `row` by its column name.
macro_rules! get_field {
    ($row:ident, $name:expr,) => {
        sqlx::Row::try_get($row, $name)?
    };
    ($row:ident, $name:expr, via($via:path)) => {
        sqlx::Row::try_get($row, $name)?
    };
    ($row:ident, $name:expr, json) => {
        sqlx::Row::try_get::<sqlx::types::Json<_>, _>($row, $name)?.0
    };
    ($row:ident, $name:expr, json_opt) => {
        sqlx::Row::try_get::<Option<sqlx::types::Json<_>>, _>($row, $name)?.map(|j| j.0)
    };
}

/// The value bound for a field.
macro_rules! bind_field {
    ($s:ident, $f:ident,) => {
        &$s.$f
    };
    ($s:ident, $f:ident, via($via:path)) => {
        $via($s)
    };
    ($s:ident, $f:ident, json) => {
        sqlx::types::Json(&$s.$f)
    };
    ($s:ident, $f:ident, json_opt) => {
        $s.$f.as_ref().map(sqlx::types::Json)
    };
}

/// `FromRow` and [`BindRow`] of one type for one backend.
macro_rules! row_impls {
    ($DB:ty, $Row:ty, $T:ident, [$($f:ident [$($c:ident)?] [$($k:tt)*])*], [$($d:ident)*]) => {
        impl<'r> sqlx::FromRow<'r, $Row> for $T {
            fn from_row(row: &'r $Row) -> sqlx::Result<Self> {
                Ok(Self {
                    $($f: get_field!(row, column_name!($f $($c)?), $($k)*),)*
                    $($d: Default::default(),)*
                })
            }
        }

        impl BindRow<$DB> for $T {
            fn bind_to<'q>(
                &'q self,
                q: Query<'q, $DB, <$DB as sqlx::Database>::Arguments<'q>>,
            ) -> Query<'q, $DB, <$DB as sqlx::Database>::Arguments<'q>> {
                q$(.bind(bind_field!(self, $f, $($k)*)))*
            }
            fn push_to<'q>(&'q self, b: &mut Separated<'_, 'q, $DB, &'static str>) {
                $(b.push_bind(bind_field!(self, $f, $($k)*));)*
            }
        }
    };
}

/// Declares each table: `Type in "table" { field, field as column, field: json, … ; default
/// field_not_stored, … }`. The leading `$` is passed through to the generated macros.
macro_rules! tables {
    ($d:tt $(
        $T:ident in $table:literal {
            $f0:ident $(as $c0:ident)? $(: $k0:ident $(($v0:path))?)?
            $(, $f:ident $(as $c:ident)? $(: $k:ident $(($v:path))?)?)*
            $(; default $($dflt:ident),*)?
        }
    )*) => {
        /// The column list of a table: `columns!(Job)`, or each prefixed: `columns!(Job, "j.")`.
        macro_rules! columns {
            $(
                ($T) => {
                    concat!(column_name!($f0 $($c0)?) $(, ", ", column_name!($f $($c)?))*)
                };
                ($T, $d p:literal) => {
                    concat!($d p, column_name!($f0 $($c0)?) $(, ", ", $d p, column_name!($f $($c)?))*)
                };
            )*
        }

        /// `SELECT columns FROM table` (add ` WHERE …` with `concat!`).
        macro_rules! select {
            $(
                ($T) => {
                    concat!("SELECT ", columns!($T), " FROM ", $table)
                };
            )*
        }

        /// `INSERT INTO table (columns) VALUES ($1, …)` of one row (bind it with `bind_row`).
        macro_rules! insert {
            $(
                ($T) => {
                    concat!("INSERT INTO ", $table, " (", columns!($T), ") VALUES (",
                        placeholders!($f0 $($f)*), ")")
                };
            )*
        }

        /// `INSERT INTO table (columns) ` for `QueryBuilder::push_values` (with `push_to`).
        macro_rules! insert_into {
            $(
                ($T) => {
                    concat!("INSERT INTO ", $table, " (", columns!($T), ") ")
                };
            )*
        }

        $(
            impl Table for $T {
                const TABLE: &'static str = $table;
                const COLUMNS: &'static str = columns!($T);
            }

            #[cfg(feature = "sqlite")]
            row_impls!(sqlx::Sqlite, sqlx::sqlite::SqliteRow, $T,
                [$f0 [$($c0)?] [$($k0 $(($v0))?)?] $($f [$($c)?] [$($k $(($v))?)?])*], [$($($dflt)*)?]);
            #[cfg(feature = "postgres")]
            row_impls!(sqlx::Postgres, sqlx::postgres::PgRow, $T,
                [$f0 [$($c0)?] [$($k0 $(($v0))?)?] $($f [$($c)?] [$($k $(($v))?)?])*], [$($($dflt)*)?]);
        )*
    };
}

tables! {
    $
    Team in "teams" { id, name, description, created_at, updated_at }
    Owner in "owners" { id, name, email, team_id, created_at, updated_at }
    RenewalPolicy in "renewal_policies" {
        id, name, renewal_window_days, auto_renew, max_retries, retry_interval_seconds,
        alert_thresholds_days: json, notification_channel_ids: json, created_at, updated_at
    }
    Issuer in "issuers" {
        id, name, issuer_type as type, config: json, enabled, created_at, updated_at
    }
    Certificate in "managed_certificates" {
        id, name, common_name, sans: json, environment, owner_id, team_id, issuer_id,
        renewal_policy_id, status, expires_at, tags: json, last_renewal_at, last_deployment_at,
        created_at, updated_at, parent_id, agent_id, agent_group_id, target_template: json_opt;
        default target_ids, children
    }
    FleetChild in "managed_certificates" { id, agent_id, common_name, status }
    CertificateVersion in "certificate_versions" {
        id, certificate_id, serial_number, not_before, not_after, fingerprint_sha256, pem_chain,
        csr_pem, key_algorithm, key_size, revoked_at, revocation_reason, key_ciphertext, created_at
    }
    Target in "deployment_targets" {
        id, name, target_type as type, agent_id, config: json, enabled, created_at, updated_at
    }
    CertificateTarget in "certificate_target_mappings" {
        certificate_id, target_id, deployment_status, deployed_version_id, last_deployed_at,
        last_error
    }
    Agent in "agents" {
        id, name, status, hostname, os, os_version, arch, ip_addresses: json, agent_version,
        labels: json, reported_labels: json, observed_ip, last_heartbeat_at, created_at,
        updated_at
    }
    AgentGroup in "agent_groups" {
        id, name, description, criteria: json, created_at, updated_at
    }
    BootstrapToken in "bootstrap_tokens" {
        id, name, token_hash, labels: json, auto_approve, max_uses, uses, expires_at, created_by,
        created_at, last_used_at, revoked_at
    }
    Job in "jobs" {
        id, job_type as type, status, certificate_id, target_id, agent_id, version_id, attempts,
        max_attempts, next_attempt_at, last_error, csr_pem, created_at, updated_at, completed_at,
        claimed_until: via(running_claim)
    }
    PolicyRule in "policy_rules" {
        id, name, rule_type as type, config: json, enabled, severity, mode, scope: json,
        created_at, updated_at
    }
    PolicyViolation in "policy_violations" {
        id, policy_id, certificate_id, message, severity, created_at, resolved_at
    }
    AuditEvent in "audit_events" {
        id, seq, timestamp, actor, actor_type, action, resource_type, resource_id, details: json,
        prev_hash, hash, mac_version
    }
    AuditCheckpoint in "audit_checkpoints" { seq, head_hash, mac, created_at }
    Notification in "notification_events" {
        id, kind as type, certificate_id, channel, recipient, message, status, created_at, sent_at,
        read_at, dedup_key, severity, details: json;
        default deliveries
    }
    NotificationChannel in "notification_channels" {
        id, name, channel_type as type, config: json, events: json, min_severity, enabled,
        created_at, updated_at
    }
    Delivery in "notification_deliveries" {
        notification_id, channel_id, status, attempts, next_attempt_at, last_attempt_at,
        last_error, sent_at
    }
    ApiKey in "api_keys" {
        id, name, role, key_hash, agent_id, created_at, last_used_at, revoked_at
    }
}

#[cfg(test)]
mod tests {
    use super::Table;
    use crate::model::*;

    #[test]
    fn column_lists_and_inserts() {
        assert_eq!(Team::COLUMNS, "id, name, description, created_at, updated_at");
        assert_eq!(Team::TABLE, "teams");
        assert_eq!(columns!(FleetChild, "c."), "c.id, c.agent_id, c.common_name, c.status");
        assert_eq!(
            insert!(Issuer),
            "INSERT INTO issuers (id, name, type, config, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        );
        assert_eq!(
            insert_into!(AuditCheckpoint),
            "INSERT INTO audit_checkpoints (seq, head_hash, mac, created_at) "
        );
    }
}
