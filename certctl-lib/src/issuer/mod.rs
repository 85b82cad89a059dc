//! Issuer connectors: the things that turn a verified CSR into a certificate chain.
//!
//! Only the built-in Local CA ([`local::LocalCa`]) exists so far; a common `Issuer` trait and the
//! other connectors (ACME, ...) come later.

pub mod local;

pub use local::{Issued, LocalCa, LocalCaConfig, SignRequest};
