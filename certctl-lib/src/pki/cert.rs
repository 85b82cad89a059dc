//! X.509 certificate parsing: [`parse_certificate`], [`parse_chain`] and the [`CertInfo`] facts.

use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::der::{common_name, key_facts, pem_blocks, split_names};
use super::fingerprint_sha256;
use crate::error::{Error, Result};
use crate::model::Timestamp;

const CERT_LABELS: &[&str] = &["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];

/// The facts certctl keeps about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Lowercase hex, no separators, no `00` sign padding (as `openssl x509 -serial`, lowercased).
    pub serial_number: String,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// First CN of the subject, if any.
    pub subject_cn: Option<String>,
    /// Subject DN (`C=FR, O=Example, CN=api.example.com`).
    pub subject: String,
    /// Issuer DN, same format.
    pub issuer: String,
    /// SubjectAltName DNS names.
    pub dns_names: Vec<String>,
    /// SubjectAltName IP addresses (canonical text form).
    pub ip_addresses: Vec<String>,
    /// Lowercase hex SHA-256 of the DER.
    pub fingerprint_sha256: String,
    /// `basicConstraints CA:TRUE`.
    pub is_ca: bool,
    /// `"ECDSA"`, `"RSA"`, `"Ed25519"` or the key algorithm OID.
    pub key_algorithm: String,
    /// Curve or modulus size in bits (0 when unknown).
    pub key_size: u32,
    /// The certificate's DER encoding.
    pub der: Vec<u8>,
}

impl CertInfo {
    /// The certificate again as PEM.
    pub fn pem(&self) -> String {
        der_to_pem("CERTIFICATE", &self.der)
    }

    /// Whether subject and issuer DNs are equal (a root or other self-issued certificate).
    pub fn is_self_issued(&self) -> bool {
        self.subject == self.issuer
    }
}

/// Parses the first certificate of a PEM text (further blocks must still be certificates).
pub fn parse_certificate(pem: &str) -> Result<CertInfo> {
    let blocks = pem_blocks(pem, CERT_LABELS, "certificate")?;
    let first = blocks.first().ok_or_else(|| Error::Pki("no certificate found".into()))?;
    parse_der(first)
}

/// Parses every certificate of a PEM text, in order; an error when there is none.
pub fn parse_chain(pem: &str) -> Result<Vec<CertInfo>> {
    pem_blocks(pem, CERT_LABELS, "certificate")?.iter().map(|der| parse_der(der)).collect()
}

/// Parses one DER certificate.
pub(crate) fn parse_der(der: &[u8]) -> Result<CertInfo> {
    let (rest, cert) = X509Certificate::from_der(der)
        .map_err(|e| Error::Pki(format!("malformed certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::Pki(format!("malformed certificate: {} trailing bytes", rest.len())));
    }
    let (key_algorithm, key_size) = key_facts(cert.public_key())?;
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    let san = cert
        .subject_alternative_name()
        .map_err(|e| Error::Pki(format!("malformed subjectAltName extension: {e}")))?;
    if let Some(san) = san {
        split_names(&san.value.general_names, &mut dns_names, &mut ip_addresses)?;
    }
    let validity = cert.validity();
    Ok(CertInfo {
        serial_number: serial_hex(cert.raw_serial()),
        not_before: Timestamp::from_datetime(validity.not_before.to_datetime()),
        not_after: Timestamp::from_datetime(validity.not_after.to_datetime()),
        subject_cn: common_name(cert.subject())?,
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        dns_names,
        ip_addresses,
        fingerprint_sha256: fingerprint_sha256(der),
        is_ca: cert.is_ca(),
        key_algorithm,
        key_size,
        der: der.to_vec(),
    })
}

/// Lowercase hex of the serial bytes without leading zero bytes (`"00"` for a zero serial).
fn serial_hex(raw: &[u8]) -> String {
    let start = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    let hex = hex::encode(&raw[start..]);
    if hex.is_empty() { "00".into() } else { hex }
}

/// Encodes DER as PEM with 64-column lines.
pub(crate) fn der_to_pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn serial_hex_strips_sign_padding() {
        assert_eq!(serial_hex(&[0x00, 0x9a, 0x01]), "9a01");
        assert_eq!(serial_hex(&[0x01, 0x00]), "0100");
        assert_eq!(serial_hex(&[0x00]), "00");
    }

    #[test]
    fn pem_roundtrip_through_parser() {
        for len in 0..7 {
            let der: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let pem = der_to_pem("CERTIFICATE", &der);
            let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
            assert_eq!(block.contents, der, "len {len}");
        }
    }
}
