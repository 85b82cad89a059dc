//! certctl-cli integration tests: the built `certctl` binary against a real server on a port-0
//! listener (SQLite), compared with what the typed client gets from the same server.
#![allow(clippy::unwrap_used)]

mod support;

mod channels;
mod config;
mod errors;
mod generated;
mod lifecycle;
mod listing;
mod resources;
mod tables;
