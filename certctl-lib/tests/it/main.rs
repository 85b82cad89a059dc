//! Integration tests of certctl-lib: the store conformance suite, run on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod support;

mod query;
mod store_acme;
mod store_audit;
mod store_certs;
mod store_fleet;
mod store_fleet_certs;
mod store_jobs;
mod store_notify;
mod store_org;
mod store_schema;
