//! [`PrivateKey`]: a signing key held in memory, written to disk as PKCS#8 PEM by its owner.

use std::fmt;

use rcgen::{KeyPair, PublicKeyData};

use crate::error::{Error, Result};

/// A private key (ECDSA P-256 when generated here) backed by rcgen on aws-lc-rs.
///
/// Its `Debug` never shows key material.
pub struct PrivateKey(KeyPair);

impl PrivateKey {
    /// Generates a fresh ECDSA P-256 key.
    pub fn generate_p256() -> Result<Self> {
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map(Self)
            .map_err(|e| Error::Pki(format!("cannot generate a P-256 key: {e}")))
    }

    /// Loads a PKCS#8 PEM key (`-----BEGIN PRIVATE KEY-----`). ECDSA P-256 is what certctl
    /// generates; P-384, RSA and Ed25519 keys are accepted too (e.g. an imported sub-CA key).
    pub fn from_pem(pem: &str) -> Result<Self> {
        if !pem.contains("-----BEGIN PRIVATE KEY-----") {
            let label = pem
                .lines()
                .find_map(|l| l.trim().strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
                .unwrap_or("none");
            return Err(Error::Pki(format!(
                "expected a PKCS#8 PEM private key (BEGIN PRIVATE KEY), found PEM label {label:?}"
            )));
        }
        KeyPair::from_pem(pem)
            .map(Self)
            .map_err(|e| Error::Pki(format!("invalid PKCS#8 private key: {e}")))
    }

    /// The key as PKCS#8 PEM: what gets written (mode 0600) to disk.
    pub fn pem(&self) -> String {
        self.0.serialize_pem()
    }

    /// The public half as SubjectPublicKeyInfo DER.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.0.subject_public_key_info()
    }

    /// The raw public key bits (the SubjectPublicKeyInfo BIT STRING content).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn public_key_raw(&self) -> &[u8] {
        self.0.public_key_raw()
    }

    /// The rcgen key pair, for signing CSRs and certificates inside this crate.
    pub(crate) fn key_pair(&self) -> &KeyPair {
        &self.0
    }

    /// Takes the rcgen key pair out (the issuer owns it from then on).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn into_key_pair(self) -> KeyPair {
        self.0
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}
