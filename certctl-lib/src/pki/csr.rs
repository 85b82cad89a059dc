//! Certificate signing requests: [`build_csr`] on the agent, [`parse_csr`] (with signature check)
//! on the server.

use std::net::IpAddr;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use rcgen::{CertificateParams, DistinguishedName, DnType, SanType};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::ParsedExtension;
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::oid_registry::{
    OID_PKCS1_SHA256WITHRSA, OID_PKCS1_SHA384WITHRSA, OID_PKCS1_SHA512WITHRSA,
    OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384,
};
use x509_parser::prelude::FromDer;

use super::der::{common_name, key_facts, pem_blocks, split_names};
use super::key::PrivateKey;
use crate::error::{Error, Result};

const CSR_LABELS: &[&str] = &["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

/// What a verified CSR asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrInfo {
    /// Subject CN, if the subject has one.
    pub common_name: Option<String>,
    /// DNS names of the requested SubjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses of the requested SubjectAltName extension (canonical text form).
    pub ip_addresses: Vec<String>,
    /// `"ECDSA"` or `"RSA"`.
    pub key_algorithm: String,
    /// Curve size (256, 384) or RSA modulus size in bits.
    pub key_size: u32,
    /// The requester's public key as SubjectPublicKeyInfo DER.
    pub public_key_der: Vec<u8>,
}

impl CsrInfo {
    /// All requested SAN entries, DNS names first then IP addresses, as certificates list them.
    pub fn names(&self) -> Vec<String> {
        self.dns_names.iter().chain(&self.ip_addresses).cloned().collect()
    }
}

/// Converts requested names to rcgen SANs: an IP address when it parses as one, else a DNS name.
pub(crate) fn san_entries(field: &str, names: &[String]) -> Result<Vec<SanType>> {
    names
        .iter()
        .map(|name| {
            let name = name.trim();
            if name.is_empty() {
                return Err(Error::invalid(field, "a subject alternative name is empty"));
            }
            Ok(match name.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(name.to_string().try_into().map_err(|_| {
                    Error::invalid(field, format!("{name:?} is not a valid DNS name (ASCII only)"))
                })?),
            })
        })
        .collect()
}

/// Builds a PEM CSR signed by `key`, with subject `CN=common_name` and the common name plus
/// `sans` as SubjectAltNames (IP addresses when they parse as one, DNS names otherwise): public
/// CAs (ACME) read the names from the SAN extension only.
pub fn build_csr(key: &PrivateKey, common_name: &str, sans: &[String]) -> Result<String> {
    let cn = common_name.trim();
    if cn.is_empty() {
        return Err(Error::invalid("common_name", "must not be empty"));
    }
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    let mut names = vec![cn.to_owned()];
    for s in sans {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(s.trim())) {
            names.push(s.trim().to_owned());
        }
    }
    params.subject_alt_names = san_entries("sans", &names)?;
    params
        .serialize_request(key.key_pair())
        .and_then(|csr| csr.pem())
        .map_err(|e| Error::Pki(format!("cannot build CSR: {e}")))
}

/// Parses one PEM CSR and verifies its self-signature (ECDSA P-256/P-384 with SHA-256/384,
/// RSA PKCS#1 v1.5 with SHA-256/384/512). Anything unparsable or unverifiable is [`Error::Pki`].
pub fn parse_csr(pem: &str) -> Result<CsrInfo> {
    let blocks = pem_blocks(pem, CSR_LABELS, "CSR")?;
    let [der] = blocks.as_slice() else {
        return Err(Error::Pki(format!("expected one CSR, found {} PEM blocks", blocks.len())));
    };
    let (rest, csr) = X509CertificationRequest::from_der(der)
        .map_err(|e| Error::Pki(format!("malformed CSR: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::Pki(format!("malformed CSR: {} trailing bytes", rest.len())));
    }
    let info = &csr.certification_request_info;
    let (key_algorithm, key_size) = key_facts(&info.subject_pki)?;
    verify_signature(&csr, &key_algorithm, key_size)?;

    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    for ext in csr.requested_extensions().into_iter().flatten() {
        match ext {
            ParsedExtension::SubjectAlternativeName(san) => {
                split_names(&san.general_names, &mut dns_names, &mut ip_addresses)?;
            }
            ParsedExtension::ParseError { error } => {
                return Err(Error::Pki(format!("malformed extension in CSR: {error}")));
            }
            _ => {}
        }
    }
    Ok(CsrInfo {
        common_name: common_name(&info.subject)?,
        dns_names,
        ip_addresses,
        key_algorithm,
        key_size,
        public_key_der: info.subject_pki.raw.to_vec(),
    })
}

/// Checks the CSR's signature over its CertificationRequestInfo with its own public key.
fn verify_signature(csr: &X509CertificationRequest<'_>, key_alg: &str, bits: u32) -> Result<()> {
    let sig_oid = &csr.signature_algorithm.algorithm;
    let sig_name = oid2sn(sig_oid, oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| sig_oid.to_id_string());
    let unsupported = || {
        Error::Pki(format!(
            "unsupported CSR signature algorithm {sig_name} with a {key_alg} {bits}-bit key \
             (supported: ECDSA P-256/P-384 with SHA-256/SHA-384, RSA PKCS#1 v1.5 with \
             SHA-256/384/512)"
        ))
    };
    let alg: &'static dyn VerificationAlgorithm = match key_alg {
        "ECDSA" => {
            let sha = if *sig_oid == OID_SIG_ECDSA_WITH_SHA256 {
                256
            } else if *sig_oid == OID_SIG_ECDSA_WITH_SHA384 {
                384
            } else {
                return Err(unsupported());
            };
            match (bits, sha) {
                (256, 256) => &signature::ECDSA_P256_SHA256_ASN1,
                (256, _) => &signature::ECDSA_P256_SHA384_ASN1,
                (384, 256) => &signature::ECDSA_P384_SHA256_ASN1,
                (384, _) => &signature::ECDSA_P384_SHA384_ASN1,
                _ => return Err(unsupported()),
            }
        }
        "RSA" => {
            if !(2048..=8192).contains(&bits) {
                return Err(Error::Pki(format!(
                    "RSA key of {bits} bits in CSR: only 2048 to 8192 bits are accepted"
                )));
            }
            if *sig_oid == OID_PKCS1_SHA256WITHRSA {
                &signature::RSA_PKCS1_2048_8192_SHA256
            } else if *sig_oid == OID_PKCS1_SHA384WITHRSA {
                &signature::RSA_PKCS1_2048_8192_SHA384
            } else if *sig_oid == OID_PKCS1_SHA512WITHRSA {
                &signature::RSA_PKCS1_2048_8192_SHA512
            } else {
                return Err(unsupported());
            }
        }
        _ => return Err(unsupported()),
    };
    if csr.signature_value.unused_bits != 0 {
        return Err(Error::Pki("malformed CSR: signature BIT STRING has unused bits".into()));
    }
    let spki = &csr.certification_request_info.subject_pki;
    UnparsedPublicKey::new(alg, spki.subject_public_key.data.as_ref())
        .verify(csr.certification_request_info.raw, csr.signature_value.data.as_ref())
        .map_err(|_| {
            Error::Pki(format!(
                "CSR signature ({sig_name}) does not verify with the CSR's own public key"
            ))
        })
}

/// The DER of a single PEM CSR (what an ACME `finalize` sends).
pub fn csr_der(pem: &str) -> Result<Vec<u8>> {
    let mut blocks = pem_blocks(pem, CSR_LABELS, "CSR")?;
    match blocks.len() {
        1 => Ok(blocks.remove(0)),
        n => Err(Error::Pki(format!("expected one CSR, found {n}"))),
    }
}
