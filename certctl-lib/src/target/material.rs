//! [`Material`]: the certificate chain from the server and the local private key, checked to
//! belong together, in the PEM forms the connectors write.

use std::fmt;

use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::error::{Error, Result};
use crate::pki::{PrivateKey, parse_chain};

/// What a deployment installs. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Material {
    leaf_pem: String,
    intermediates_pem: String,
    key_pem: String,
    fingerprint: String,
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Material")
            .field("fingerprint", &self.fingerprint)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

impl Material {
    /// A chain (leaf first) and the PKCS#8 key of its leaf. Refused when the key does not
    /// match the leaf's public key.
    pub fn new(chain_pem: &str, key_pem: String) -> Result<Self> {
        let chain = parse_chain(chain_pem)?;
        let leaf = chain.first().ok_or_else(|| Error::Pki("empty chain".into()))?;
        let key = PrivateKey::from_pem(&key_pem)?;
        if leaf_spki(&leaf.der)? != key.public_key_der() {
            return Err(Error::Pki(
                "the private key does not match the certificate's public key".into(),
            ));
        }
        Ok(Self {
            leaf_pem: leaf.pem(),
            intermediates_pem: chain[1..].iter().map(|c| c.pem()).collect(),
            key_pem,
            fingerprint: leaf.fingerprint_sha256.clone(),
        })
    }

    /// The leaf certificate alone.
    pub fn cert_pem(&self) -> &str {
        &self.leaf_pem
    }

    /// The intermediates (may be empty when the issuer signs with its root).
    pub fn chain_pem(&self) -> &str {
        &self.intermediates_pem
    }

    /// Leaf then intermediates: what TLS servers send.
    pub fn fullchain_pem(&self) -> String {
        format!("{}{}", self.leaf_pem, self.intermediates_pem)
    }

    /// The private key (PKCS#8 PEM).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// Key, leaf and intermediates in one file (HAProxy-style combined PEM).
    pub fn combined_pem(&self) -> String {
        format!("{}{}{}", self.key_pem, self.leaf_pem, self.intermediates_pem)
    }

    /// SHA-256 of the leaf (lowercase hex).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// The SubjectPublicKeyInfo DER of a certificate.
pub fn leaf_spki(der: &[u8]) -> Result<Vec<u8>> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| Error::Pki(format!("malformed certificate: {e}")))?;
    Ok(cert.tbs_certificate.subject_pki.raw.to_vec())
}
