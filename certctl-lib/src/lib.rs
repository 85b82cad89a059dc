//! # certctl
//!
//! The core of certctl, a self-hosted certificate lifecycle platform: the domain model, storage on
//! SQLite or PostgreSQL, PKI primitives and issuers. The server, the agent, the CLI and the TUI are
//! thin layers over this crate, and it can be embedded in your own Rust programs.
//!
//! | module | role |
//! |---|---|
//! | [`model`] | plain data: certificates, versions, agents, groups, jobs, policies, audit events, ids (no sqlx) |
//! | [`api`] | wire types of the REST API shared by server and client: request bodies, list queries, the error envelope, action results |
//! | [`store`] | persistence: one trait per aggregate under [`store::Store`]; SQLite and PostgreSQL |
//! | `service` | the use cases every door calls: permissions, validation, audit, lifecycle, background tasks (features `server` + `store`) |
//! | [`policy`] | the policy engine: rule configs, scope, explainable evaluation and verdicts |
//! | [`pki`] | P-256 keys, CSR building and verification, certificate and chain parsing |
//! | `issuer` | connectors that sign CSRs: the Local CA, ACME (ordered: start, poll, finalize) (feature `server`) |
//! | [`groups`] | dynamic agent groups: criteria validation, matching, membership diffs |
//! | [`audit`] | verification of the keyed audit chain against its checkpoints; writing checkpoints |
//! | `client` | the typed HTTP client of the REST API (feature `client`) |
//! | [`target`] | deployment targets (`file`, `nginx`), the host's execution policy and the transactional deploy primitive (I/O parts: feature `agent`) |
//! | `agent` | the agent's logic: host metadata, identity, key directory, the work loop (feature `agent`) |
//! | `net` | the SSRF guard: which addresses user-configured outbound connections may reach, pinned resolution (feature `server`) |
//! | `notify` | notifier connectors: email (SMTP), signed webhooks, Slack, Teams (feature `server`) |
//! | [`config`] | settings shared by every binary: duration values (`500ms`, `30s`, `30d`) |
//! | [`text`] | text from users made safe for a terminal: control characters shown, never sent |
//! | [`fsutil`] | crash-safe file creation for secrets and certificates: restrictive mode from the first byte |
//! | [`error`] | the typed [`Error`] every function returns |
//!
//! Cargo features: `sqlite` and `postgres` (storage backends, both on by default), `server`
//! (server-side connectors such as the Local CA, on by default), `client` (the typed HTTP client,
//! reqwest with rustls on aws-lc-rs; on by default), `agent` (the agent side: target connectors,
//! metadata, key directory; implies `client`). The CLI, TUI and agent build with
//! `default-features = false, features = ["client"]` and link neither sqlx nor the connectors.
//!
//! ## Example: a certificate issued by the Local CA
//!
//! Open an embedded store, record a certificate, generate a key and CSR (an agent does this on its
//! host), sign it with the Local CA and store the new version:
//!
//! ```
//! # #[cfg(all(feature = "sqlite", feature = "server"))]
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use certctl::issuer::{LocalCa, SignRequest};
//! use certctl::model::*;
//! use certctl::pki::{build_csr, version_from_chain, PrivateKey};
//! use certctl::store::{prelude::*, SqliteStore};
//!
//! let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(&dir.path().join("certctl.db")).await?;
//! // audit events are MACed with a key derived from the secret key (the service sets it)
//! let audit_key = certctl::service::KeyStore::load_or_create(dir.path())?.audit_key();
//! store.set_audit_key(audit_key.clone());
//! let now = Timestamp::now();
//! let audit = |action: &str, id: &str| AuditDraft::new("example", ActorType::User, action, "certificate", id);
//!
//! store.create_issuer(&Issuer {
//!     id: "iss-local".into(), name: "Local CA".into(), issuer_type: "local".into(),
//!     config: serde_json::json!({"validity_days": 30}), enabled: true, created_at: now, updated_at: now,
//! }, &audit("issuer_created", "iss-local")).await?;
//! store.create_renewal_policy(&RenewalPolicy {
//!     id: "rp-default".into(), name: "default".into(), renewal_window_days: 30, auto_renew: true,
//!     max_retries: 3, retry_interval_seconds: 60,
//!     alert_thresholds_days: RenewalPolicy::DEFAULT_THRESHOLDS.to_vec(),
//!     notification_channel_ids: vec![], created_at: now, updated_at: now,
//! }, &audit("renewal_policy_created", "rp-default")).await?;
//!
//! let mut cert = Certificate {
//!     id: CertificateId::parse("mc-api-prod")?, name: "API".into(),
//!     common_name: "api.example.com".into(), sans: vec!["api.example.com".into(), "10.0.0.7".into()],
//!     environment: Some("production".into()), owner_id: None, team_id: None,
//!     issuer_id: "iss-local".into(), renewal_policy_id: "rp-default".into(),
//!     status: CertificateStatus::Pending, expires_at: None, tags: Default::default(),
//!     target_ids: vec![], last_renewal_at: None, last_deployment_at: None,
//!     created_at: now, updated_at: now,
//!     parent_id: None, agent_id: None, agent_group_id: None, target_template: None, children: None,
//! };
//! store.create_certificate(&cert, &audit("certificate_created", "mc-api-prod")).await?;
//!
//! // On the agent: the key never leaves the host, only the CSR does.
//! let key = PrivateKey::generate_p256()?;
//! let csr = build_csr(&key, &cert.common_name, &cert.sans)?;
//!
//! // On the control plane: sign and record the version (chain and CSR, never a key).
//! let ca = LocalCa::load_or_create(dir.path())?;
//! let issued = ca.sign(&csr, &SignRequest {
//!     common_name: cert.common_name.clone(), sans: cert.sans.clone(), validity_days: Some(30), not_before: None,
//! })?;
//! let version = version_from_chain(&cert.id, &issued.pem_chain, Some(&csr))?;
//! store.add_version(&version, &audit("certificate_issued", "mc-api-prod")).await?;
//! cert.status = CertificateStatus::Active;
//! cert.expires_at = Some(version.not_after);
//! store.update_certificate(&cert, &audit("certificate_updated", "mc-api-prod")).await?;
//!
//! let stored = store.get_certificate(&cert.id).await?;
//! assert_eq!(stored.status, CertificateStatus::Active);
//! assert_eq!(store.list_versions(&cert.id).await?[0].serial_number, issued.leaf.serial_number);
//! assert!(certctl::audit::verify_chain(&store, &audit_key, &[]).await?.valid);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

#[cfg(feature = "agent")]
pub mod agent;
pub mod api;
#[cfg(feature = "store")]
pub mod audit;
#[cfg(feature = "client")]
pub mod client;
pub mod config;
pub mod error;
pub mod fsutil;
pub mod groups;
#[cfg(feature = "server")]
pub mod issuer;
pub mod model;
#[cfg(feature = "server")]
pub mod net;
#[cfg(feature = "server")]
pub mod notify;
pub mod pki;
pub mod policy;
#[cfg(all(feature = "server", feature = "store"))]
pub mod service;
#[cfg(feature = "store")]
pub mod store;
pub mod target;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;
pub mod text;

pub use error::{Error, Result};
