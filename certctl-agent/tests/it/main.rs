//! Integration tests of the agent: the real server in-process, the real `certctl-agent` binary,
//! and a real NGINX started in its own prefix on a loopback port; a fleet of agent processes; the
//! host execution policy (allowed commands and paths).
#![allow(clippy::unwrap_used)]

mod acme;
mod daemon;
mod e2e;
mod fleet;
mod nginx;
mod policy;
mod support;
