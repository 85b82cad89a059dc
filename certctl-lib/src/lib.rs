//! certctl core library.
#![forbid(unsafe_code)]

pub mod error;
#[cfg(feature = "server")]
pub mod issuer;
pub mod model;
pub mod pki;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod audit;

pub use error::{Error, Result};
