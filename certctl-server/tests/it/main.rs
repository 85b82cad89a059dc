//! Integration tests of certctl-server: every route through the router (`oneshot`) on SQLite
//! and PostgreSQL, per role, with the error cases; the audit tamper test.
#![allow(clippy::unwrap_used)]

mod support;

mod acme;
mod acme_restart;
mod acme_rfc2136;
mod audit_keyed;
mod auth;
mod binary;
mod certificates;
mod engine;
mod errors;
mod events;
mod fleet;
mod fullstack;
mod groups;
mod heartbeats;
mod job_lease;
mod lifecycle;
mod notify;
mod notify_mail;
mod notify_support;
mod openapi;
mod policies;
mod resources;
mod ssrf;
mod summary;
mod tamper;
mod trust;
mod trust_hooks;
