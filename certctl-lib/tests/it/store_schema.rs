//! The two backends' migrations build the same schema: tables, columns (name, nullability,
//! coarse type class), primary keys and indexes (name, table, columns, uniqueness, partial).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

/// One table as both backends can describe it.
#[derive(Debug, Default, PartialEq)]
struct Table {
    /// Column name → (NOT NULL, type class).
    columns: BTreeMap<String, (bool, &'static str)>,
    primary_key: Vec<String>,
}

/// One index created by `CREATE INDEX` (not one backing a key constraint).
#[derive(Debug, PartialEq)]
struct Index {
    table: String,
    /// Column names; `<expr>` for an expression.
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeMap<String, Table>,
    indexes: BTreeMap<String, Index>,
}

/// Deliberate differences, left out of the comparison.
/// - `managed_certificates.rid`: SQLite only, the stable rowid that keys the trigram full-text
///   index (`certificates_fts` and its shadow tables, SQLite only too; PostgreSQL scans with
///   ILIKE). It is the SQLite table's primary key, `id` being UNIQUE there.
const SQLITE_ONLY_TABLE_PREFIX: &str = "certificates_fts";
const SQLITE_ONLY_COLUMNS: &[(&str, &str)] = &[("managed_certificates", "rid")];

/// The type class of a declared SQLite type: timestamps are INTEGER milliseconds and booleans
/// INTEGER there, so PostgreSQL's `bigint`, `boolean` and `timestamptz` all class as `integer`.
fn sqlite_class(decl: &str) -> &'static str {
    let d = decl.to_ascii_uppercase();
    if d.contains("INT") || d == "BOOLEAN" {
        "integer"
    } else if d.contains("TEXT") || d.contains("CHAR") || d == "JSON" {
        "text"
    } else if d.contains("BLOB") || d.is_empty() {
        "blob"
    } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        "real"
    } else {
        "other"
    }
}

fn postgres_class(ty: &str) -> &'static str {
    match ty {
        "bigint" | "integer" | "smallint" | "boolean" | "timestamp with time zone" => "integer",
        "text" | "character varying" | "jsonb" | "json" => "text",
        "bytea" => "blob",
        "double precision" | "real" | "numeric" => "real",
        _ => "other",
    }
}

async fn sqlite_schema(pool: &sqlx::SqlitePool) -> Schema {
    let mut s = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for t in tables.into_iter().filter(|t| !t.starts_with(SQLITE_ONLY_TABLE_PREFIX)) {
        let mut table = Table::default();
        let cols = sqlx::query(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY pk, cid",
        )
        .bind(&t)
        .fetch_all(pool)
        .await
        .unwrap();
        for c in cols {
            let name: String = c.get(0);
            if SQLITE_ONLY_COLUMNS.contains(&(t.as_str(), name.as_str())) {
                continue;
            }
            let decl: String = c.get(1);
            let pk: i64 = c.get(3);
            // a (non-rowid) primary key column is NOT NULL in effect
            let not_null = c.get::<bool, _>(2) || (pk > 0 && !decl.eq_ignore_ascii_case("INTEGER"));
            if pk > 0 {
                table.primary_key.push(name.clone());
            }
            table.columns.insert(name, (not_null || pk > 0, sqlite_class(&decl)));
        }
        let indexes = sqlx::query(
            "SELECT name, \"unique\", partial FROM pragma_index_list($1) WHERE origin = 'c'",
        )
        .bind(&t)
        .fetch_all(pool)
        .await
        .unwrap();
        for i in indexes {
            let name: String = i.get(0);
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let columns =
                columns.into_iter().map(|c| c.unwrap_or_else(|| "<expr>".into())).collect();
            s.indexes.insert(
                name,
                Index { table: t.clone(), columns, unique: i.get(1), partial: i.get(2) },
            );
        }
        s.tables.insert(t, table);
    }
    // `id` is the key everywhere; on SQLite `managed_certificates` keys by `rid` (see above)
    if let Some(t) = s.tables.get_mut("managed_certificates")
        && t.primary_key.is_empty()
    {
        t.primary_key.push("id".into());
    }
    s
}

async fn postgres_schema(pool: &sqlx::PgPool) -> Schema {
    let mut s = Schema::default();
    let cols = sqlx::query(
        "SELECT table_name::text, column_name::text, is_nullable = 'NO', data_type::text \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name <> '_sqlx_migrations' ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for c in cols {
        let ty: String = c.get(3);
        s.tables
            .entry(c.get(0))
            .or_default()
            .columns
            .insert(c.get(1), (c.get(2), postgres_class(&ty)));
    }
    let indexes = sqlx::query(
        "SELECT i.relname::text, t.relname::text, ix.indisunique, ix.indpred IS NOT NULL, ix.indisprimary, \
         ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) FROM generate_series(1, ix.indnatts) k ORDER BY k) \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND t.relname <> '_sqlx_migrations' \
         AND (ix.indisprimary OR NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid))",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for i in indexes {
        let table: String = i.get(1);
        let columns: Vec<String> = i.get(5);
        let columns: Vec<String> = columns
            .into_iter()
            .map(|c| {
                // a keyword column comes back quoted (`"timestamp"`)
                let bare = c.strip_prefix('"').and_then(|b| b.strip_suffix('"')).unwrap_or(&c);
                if bare.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                    bare.to_owned()
                } else {
                    "<expr>".into()
                }
            })
            .collect();
        if i.get::<bool, _>(4) {
            s.tables.entry(table).or_default().primary_key = columns;
        } else {
            s.indexes
                .insert(i.get(0), Index { table, columns, unique: i.get(2), partial: i.get(3) });
        }
    }
    s
}

/// Lines `- sqlite: …` / `+ postgres: …` for every entry that differs.
fn diff<T: std::fmt::Debug + PartialEq>(
    what: &str,
    sqlite: &BTreeMap<String, T>,
    postgres: &BTreeMap<String, T>,
    out: &mut Vec<String>,
) {
    let keys: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for k in keys {
        let (a, b) = (sqlite.get(k), postgres.get(k));
        if a != b {
            out.push(format!("{what} {k}:\n  - sqlite:   {a:?}\n  + postgres: {b:?}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    let (dir, _store) = certctl::testing::sqlite().await;
    let sqlite = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}?mode=ro",
        dir.path().join("certctl.db").display()
    ))
    .await
    .unwrap();
    let sqlite = sqlite_schema(&sqlite).await;
    assert!(sqlite.tables.contains_key("managed_certificates"), "{:?}", sqlite.tables.keys());
    let Some((url, _store)) = certctl::testing::postgres().await else { return };
    let pg = sqlx::PgPool::connect(&url).await.unwrap();
    let postgres = postgres_schema(&pg).await;

    let mut out = Vec::new();
    let table_names =
        |s: &Schema| s.tables.keys().map(|k| (k.clone(), ())).collect::<BTreeMap<_, _>>();
    diff("table", &table_names(&sqlite), &table_names(&postgres), &mut out);
    for (name, t) in &sqlite.tables {
        if let Some(p) = postgres.tables.get(name) {
            diff(&format!("column of {name}:"), &t.columns, &p.columns, &mut out);
            if t.primary_key != p.primary_key {
                out.push(format!(
                    "primary key of {name}:\n  - sqlite:   {:?}\n  + postgres: {:?}",
                    t.primary_key, p.primary_key
                ));
            }
        }
    }
    diff("index", &sqlite.indexes, &postgres.indexes, &mut out);
    assert!(
        out.is_empty(),
        "the migrations of the two backends build different schemas ({} differences):\n{}",
        out.len(),
        out.join("\n")
    );
}
