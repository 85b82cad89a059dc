//! The SQL implementation of every store trait, written once as macros and instantiated for
//! each backend (`sql_store!(SqliteStore, sqlx::Sqlite)`): one text of each query, `$N`
//! placeholders (which SQLite accepts too), and a small [`Dialect`] for what differs.

use crate::error::Error;

#[macro_use]
mod common;
#[macro_use]
mod org;
#[macro_use]
mod certs;
#[macro_use]
mod fleet;
#[macro_use]
mod jobs;
#[macro_use]
mod records;
#[macro_use]
mod notify;
#[macro_use]
pub(super) mod acme;
#[macro_use]
mod admission;

/// What differs between the SQL of the two backends.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// Statement that serialises audit appends for the rest of the transaction.
    pub audit_lock: Option<&'static str>,
    /// Row-locking suffix for the claim sub-select.
    pub skip_locked: &'static str,
    /// Case-insensitive LIKE.
    pub ilike: &'static str,
    /// The `sans` JSON column as text.
    pub sans_text: &'static str,
    /// `tags` lookup: prefix, key placeholder, middle, value placeholder.
    pub tag_prefix: &'static str,
    pub tag_middle: &'static str,
    pub tag_suffix: &'static str,
    /// Multiplier turning a number of days into the timestamp column's unit.
    pub day: &'static str,
    /// A trigram full-text index (`certificates_fts`) serves `q=` of 3 characters or more.
    pub fts: bool,
    /// One UPDATE of many agents from a JSON array `$1` of `{id, hostname, ...}` at time `$2`.
    pub heartbeat_batch: &'static str,
    /// A select list that renders one page of certificates (from a sub-select aliased `c`) as
    /// a single JSON array: one row to move instead of fifty (sqlx-sqlite's cost is per row).
    pub certificates_json: Option<&'static str>,
}

/// How a `q=` search uses the full-text index.
#[derive(Debug)]
pub(crate) enum Candidates {
    /// Rows matching this MATCH expression are the candidates.
    Match(String),
    /// Too short for trigrams: scan.
    Scan,
}

/// An FTS5 phrase query matching `q` as a substring (with the trigram tokenizer).
pub(crate) fn fts_phrase(q: &str) -> String {
    format!("\"{}\"", q.replace('"', "\"\""))
}

/// Maps a driver error that is not caused by input to [`Error::Storage`].
pub(crate) fn db_err(e: sqlx::Error) -> Error {
    Error::Storage(e.to_string())
}

/// Maps errors of an insert or update of `resource` `id`: unique → Conflict, foreign key →
/// NotFound of the referenced resource, anything else → Storage.
pub(crate) fn write_err(e: sqlx::Error, resource: &'static str, id: &str) -> Error {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            return Error::Conflict(format!("{resource} {id} already exists"));
        }
        if d.is_foreign_key_violation() {
            let field = d.constraint().and_then(fk_column).unwrap_or_else(|| "reference".into());
            return Error::NotFound {
                resource: "referenced resource",
                id: format!("{field} of {resource} {id}"),
            };
        }
    }
    db_err(e)
}

/// Maps errors of a delete: a foreign key means something still refers to the row.
pub(crate) fn delete_err(e: sqlx::Error, resource: &'static str, id: &str) -> Error {
    if let sqlx::Error::Database(d) = &e
        && d.is_foreign_key_violation()
    {
        return Error::Conflict(format!("{resource} {id} is still referenced by other resources"));
    }
    db_err(e)
}

/// `managed_certificates_owner_id_fkey` → `owner_id` (PostgreSQL's default constraint names).
fn fk_column(constraint: &str) -> Option<String> {
    let stem = constraint.strip_suffix("_fkey")?;
    for col in [
        "owner_id",
        "team_id",
        "issuer_id",
        "renewal_policy_id",
        "certificate_id",
        "target_id",
        "agent_id",
        "version_id",
        "policy_id",
    ] {
        if stem.ends_with(col) {
            return Some(col.to_owned());
        }
    }
    None
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`, wrapped in `%…%`.
pub(crate) fn like_pattern(q: &str) -> String {
    let mut s = String::with_capacity(q.len() + 2);
    s.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// Instantiates every store trait for `$S` over database `$DB`. `$S` provides
/// `const D: Dialect`, `fn r(&self) -> &Pool<$DB>` (reads) and `async fn tx(&self)` (a write
/// transaction).
macro_rules! sql_store {
    ($S:ident, $DB:ty) => {
        sql_common!($S, $DB);
        sql_org!($S, $DB);
        sql_certs!($S, $DB);
        sql_fleet!($S, $DB);
        sql_jobs!($S, $DB);
        sql_records!($S, $DB);
        sql_notify!($S, $DB);
        sql_acme!($S, $DB);
        sql_admission!($S, $DB);
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(super::like_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
        assert_eq!(
            super::fk_column("managed_certificates_owner_id_fkey").as_deref(),
            Some("owner_id")
        );
    }
}
