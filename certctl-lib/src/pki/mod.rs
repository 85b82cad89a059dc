//! PKI primitives: key generation, CSR building and checking, certificate parsing, fingerprints.
//!
//! Everything here is pure (no I/O) and works on PEM text, the format agents, issuers and the
//! database exchange. Parsing is defensive: malformed PEM, wrong labels, bad base64 and truncated
//! DER all come back as [`Error::Pki`](crate::Error::Pki), never as a panic.
//!
//! ```
//! use certctl::pki::{build_csr, parse_csr, PrivateKey};
//!
//! let key = PrivateKey::generate_p256()?;
//! let csr = build_csr(&key, "api.example.com", &["api.example.com".into(), "10.0.0.7".into()])?;
//! let info = parse_csr(&csr)?; // verifies the signature too
//! assert_eq!(info.dns_names, ["api.example.com"]);
//! assert_eq!(info.ip_addresses, ["10.0.0.7"]);
//! # Ok::<(), certctl::Error>(())
//! ```

mod cert;
mod csr;
mod der;
mod key;

pub use cert::{CertInfo, parse_certificate, parse_chain};
pub use csr::{CsrInfo, build_csr, csr_der, parse_csr};
pub use key::PrivateKey;

#[cfg(feature = "server")]
pub(crate) use cert::parse_der;
#[cfg(feature = "server")]
pub(crate) use csr::san_entries;

/// Lowercase hex SHA-256 of `der` (the usual certificate fingerprint, without separators).
pub fn fingerprint_sha256(der: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

/// The [`CertificateVersion`](crate::model::CertificateVersion) of `certificate_id` for an issued
/// chain (leaf first) and the CSR it answered: serial, validity, fingerprint and key facts are
/// read from the leaf itself, so what is stored is what was issued.
pub fn version_from_chain(
    certificate_id: &crate::model::CertificateId,
    pem_chain: &str,
    csr_pem: Option<&str>,
) -> crate::Result<crate::model::CertificateVersion> {
    let chain = parse_chain(pem_chain)?;
    let leaf = &chain[0];
    Ok(crate::model::CertificateVersion {
        id: crate::model::VersionId::generate(),
        certificate_id: certificate_id.clone(),
        serial_number: leaf.serial_number.clone(),
        not_before: leaf.not_before,
        not_after: leaf.not_after,
        fingerprint_sha256: leaf.fingerprint_sha256.clone(),
        pem_chain: pem_chain.to_owned(),
        csr_pem: csr_pem.map(str::to_owned),
        key_algorithm: leaf.key_algorithm.clone(),
        key_size: i64::from(leaf.key_size),
        revoked_at: None,
        revocation_reason: None,
        key_ciphertext: None,
        created_at: crate::model::Timestamp::now(),
    })
}

#[cfg(test)]
pub(crate) use cert::der_to_pem;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;
