//! The Local CA issuer: signs CSRs with a CA key kept in a 0600 file (root mode) or with an
//! imported intermediate (sub-CA mode).

use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SerialNumber, SignatureAlgorithm,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::error::{Error, Result};
use crate::fsutil::write_new_file;
use crate::pki::{CertInfo, CsrInfo, PrivateKey, parse_chain, parse_csr};

/// File name of the Local CA certificate inside the data dir.
pub const CA_CERT_FILE: &str = "local-ca.pem";
/// File name of the Local CA private key (mode 0600) inside the data dir.
pub const CA_KEY_FILE: &str = "local-ca.key";
/// Subject CN of a generated root.
pub const ROOT_COMMON_NAME: &str = "certctl Local CA";
/// Leaf validity when neither the request nor the issuer config says otherwise.
pub const DEFAULT_VALIDITY_DAYS: u32 = 90;
/// Longest leaf validity accepted (the CA/Browser Forum limit for TLS server certificates).
pub const MAX_VALIDITY_DAYS: u32 = 397;
/// Validity of a generated root.
const ROOT_VALIDITY_DAYS: i64 = 3650;
/// Back-dating of `not_before`, for clocks that lag behind ours.
const BACKDATE: Duration = Duration::minutes(5);

/// The Local CA issuer's JSON config (`{"validity_days": 30}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalCaConfig {
    /// Default leaf validity in days (1..=397); 90 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_days: Option<u32>,
}

impl LocalCaConfig {
    /// Checks the values; errors name the offending field.
    pub fn validate(&self) -> Result<()> {
        self.validity_days.map_or(Ok(()), |d| check_validity(d).map(|_| ()))
    }
}

/// What to put in the certificate: the requested names, which need not be the CSR's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignRequest {
    /// Subject CN; also added to the SANs when missing there.
    pub common_name: String,
    /// SubjectAltNames: IP addresses when they parse as one, DNS names otherwise.
    #[serde(default)]
    pub sans: Vec<String>,
    /// Leaf validity in days (1..=397); the issuer's default when absent.
    #[serde(default)]
    pub validity_days: Option<u32>,
    /// Start of validity; 5 minutes ago when absent. An earlier start back-dates the whole
    /// validity period (demo data, expiry tests); it never outlives the CA.
    #[serde(default)]
    pub not_before: Option<crate::model::Timestamp>,
}

/// A signed certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// Leaf first, then the intermediates; never the root.
    pub pem_chain: String,
    /// Facts about the leaf.
    pub leaf: CertInfo,
    /// The verified CSR the leaf was issued for.
    pub csr: CsrInfo,
}

/// A CA that signs leaf certificates in-process.
pub struct LocalCa {
    issuer: Issuer<'static, KeyPair>,
    /// The signing certificate (the root in root mode, the intermediate in sub-CA mode).
    ca: CertInfo,
    /// The signing certificate's issuers, nearest first, as far as we know them.
    chain: Vec<CertInfo>,
    default_validity_days: u32,
}

impl LocalCa {
    /// Loads `dir/local-ca.pem` + `dir/local-ca.key`, or creates a self-signed ECDSA P-256 root
    /// (10 years) and writes both when neither exists. The key file is created 0600 and both files
    /// appear atomically (temp file, then link), so a crash never leaves a partial file.
    pub fn load_or_create(dir: &Path) -> Result<LocalCa> {
        let cert_path = dir.join(CA_CERT_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        let exists = |p: &Path| {
            p.try_exists().map_err(|e| Error::io(format!("cannot check {}", p.display()), e))
        };
        match (exists(&cert_path)?, exists(&key_path)?) {
            (true, true) => {}
            (false, false) => return Self::create(dir),
            (has_cert, _) => {
                let (present, missing) =
                    if has_cert { (&cert_path, &key_path) } else { (&key_path, &cert_path) };
                return Err(Error::Conflict(format!(
                    "incomplete Local CA: {} exists but {} does not; restore the missing file, \
                     or remove both to create a new CA",
                    present.display(),
                    missing.display()
                )));
            }
        }
        let read = |p: &Path| {
            fs::read_to_string(p).map_err(|e| Error::io(format!("cannot read {}", p.display()), e))
        };
        let mode = fs::metadata(&key_path)
            .map_err(|e| Error::io(format!("cannot stat {}", key_path.display()), e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %key_path.display(),
                mode = format!("{:o}", mode & 0o777),
                "Local CA key file is readable by other users; it should be mode 0600"
            );
        }
        let key = PrivateKey::from_pem(&read(&key_path)?)?;
        Self::from_parts(&read(&cert_path)?, key, None)
    }

    fn create(dir: &Path) -> Result<LocalCa> {
        fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let key = PrivateKey::generate_p256()?;
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, ROOT_COMMON_NAME);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.serial_number = Some(random_serial()?);
        params.not_before = now - BACKDATE;
        params.not_after = now + Duration::days(ROOT_VALIDITY_DAYS);
        let cert = params
            .self_signed(key.key_pair())
            .map_err(|e| Error::Pki(format!("cannot create the Local CA root: {e}")))?;
        // Key first: a crash between the two leaves a key without a certificate, which
        // load_or_create reports instead of silently replacing.
        write_new_file(&dir.join(CA_KEY_FILE), key.pem().as_bytes(), 0o600)?;
        write_new_file(&dir.join(CA_CERT_FILE), cert.pem().as_bytes(), 0o644)?;
        tracing::info!(dir = %dir.display(), "created a new Local CA root");
        Self::from_parts(&cert.pem(), key, None)
    }

    /// Sub-CA mode: signs with `ca_cert_pem` (an intermediate, or a root) and its PKCS#8 key.
    /// `chain_pem` holds the CA's issuers up to but excluding the root. Extra certificates after
    /// the first one in `ca_cert_pem` are taken as the start of the chain.
    pub fn from_pem(
        ca_cert_pem: &str,
        ca_key_pem: &str,
        chain_pem: Option<&str>,
    ) -> Result<LocalCa> {
        Self::from_parts(ca_cert_pem, PrivateKey::from_pem(ca_key_pem)?, chain_pem)
    }

    fn from_parts(ca_cert_pem: &str, key: PrivateKey, chain_pem: Option<&str>) -> Result<LocalCa> {
        let mut certs = parse_chain(ca_cert_pem)?.into_iter();
        let ca = certs.next().ok_or_else(|| Error::Pki("no CA certificate".into()))?;
        let mut chain: Vec<CertInfo> = certs.collect();
        if let Some(extra) = chain_pem.filter(|p| !p.trim().is_empty()) {
            chain.extend(parse_chain(extra)?);
        }
        check_ca(&ca, &key)?;
        for (child, parent) in std::iter::once(&ca).chain(&chain).zip(&chain) {
            if child.issuer != parent.subject {
                return Err(Error::invalid(
                    "chain",
                    format!("{:?} is not issued by {:?}", child.subject, parent.subject),
                ));
            }
        }
        let issuer = Issuer::from_ca_cert_pem(&ca.pem(), key.into_key_pair())
            .map_err(|e| Error::Pki(format!("cannot use the CA certificate for signing: {e}")))?;
        Ok(LocalCa { issuer, ca, chain, default_validity_days: DEFAULT_VALIDITY_DAYS })
    }

    /// Applies an issuer config (its default validity), after validating it.
    pub fn with_config(mut self, config: &LocalCaConfig) -> Result<LocalCa> {
        config.validate()?;
        self.default_validity_days = config.validity_days.unwrap_or(DEFAULT_VALIDITY_DAYS);
        Ok(self)
    }

    /// The topmost certificate we know: the self-signed root in root mode.
    pub fn root_pem(&self) -> String {
        self.chain.last().unwrap_or(&self.ca).pem()
    }

    /// The certificate that signs leaves.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// Facts about the signing certificate.
    pub fn ca_info(&self) -> &CertInfo {
        &self.ca
    }

    /// Verifies `csr_pem` and issues a TLS leaf for the requested names with the CSR's key.
    /// `not_before` is 5 minutes in the past; `not_after` never outlives the CA certificate.
    pub fn sign(&self, csr_pem: &str, req: &SignRequest) -> Result<Issued> {
        let days = check_validity(req.validity_days.unwrap_or(self.default_validity_days))?;
        let cn = req.common_name.trim();
        if cn.is_empty() {
            return Err(Error::invalid("common_name", "must not be empty"));
        }
        let csr = parse_csr(csr_pem)?;
        let subject_key = CsrKey::new(&csr)?;

        // The CN goes in the SANs too (first, unless requested elsewhere); duplicates dropped.
        let mut names: Vec<String> = Vec::new();
        if !req.sans.iter().any(|s| s.trim().eq_ignore_ascii_case(cn)) {
            names.push(cn.to_string());
        }
        for san in &req.sans {
            let san = san.trim();
            if !names.iter().any(|n| n.eq_ignore_ascii_case(san)) {
                names.push(san.to_string());
            }
        }

        let now = OffsetDateTime::now_utc();
        let ca_end = self.ca.not_after.datetime();
        if ca_end <= now {
            return Err(Error::Conflict(format!(
                "the CA certificate {:?} expired at {}",
                self.ca.subject, self.ca.not_after
            )));
        }
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cn);
        params.distinguished_name = dn;
        params.subject_alt_names = crate::pki::san_entries("sans", &names)?;
        params.serial_number = Some(random_serial()?);
        let start = req.not_before.map_or(now - BACKDATE, |t| t.datetime());
        params.not_before = start;
        params.not_after = (start + Duration::days(i64::from(days))).min(ca_end);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if csr.key_algorithm == "RSA" {
            params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
        }
        params.extended_key_usages =
            vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;

        let cert = params
            .signed_by(&subject_key, &self.issuer)
            .map_err(|e| Error::Pki(format!("cannot sign the certificate: {e}")))?;
        let leaf = crate::pki::parse_der(cert.der())?;
        let mut pem_chain = leaf.pem();
        for c in std::iter::once(&self.ca).chain(&self.chain) {
            if !c.is_self_issued() {
                pem_chain.push_str(&c.pem());
            }
        }
        Ok(Issued { pem_chain, leaf, csr })
    }
}

impl fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCa")
            .field("ca", &self.ca.subject)
            .field("serial", &self.ca.serial_number)
            .field("chain", &self.chain.iter().map(|c| &c.subject).collect::<Vec<_>>())
            .field("default_validity_days", &self.default_validity_days)
            .field("key", &"<redacted>")
            .finish()
    }
}

fn check_validity(days: u32) -> Result<u32> {
    if days == 0 || days > MAX_VALIDITY_DAYS {
        return Err(Error::invalid(
            "validity_days",
            format!("must be between 1 and {MAX_VALIDITY_DAYS} days, got {days}"),
        ));
    }
    Ok(days)
}

/// The CA certificate must be a CA allowed to sign certificates, and `key` must be its key.
fn check_ca(ca: &CertInfo, key: &PrivateKey) -> Result<()> {
    if !ca.is_ca {
        return Err(Error::invalid("ca_cert", "not a CA certificate (basicConstraints CA:TRUE)"));
    }
    let (_, x509) = X509Certificate::from_der(&ca.der)
        .map_err(|e| Error::Pki(format!("malformed CA certificate: {e}")))?;
    if let Ok(Some(ku)) = x509.key_usage()
        && !ku.value.key_cert_sign()
    {
        return Err(Error::invalid("ca_cert", "its key usage does not allow keyCertSign"));
    }
    if x509.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
        return Err(Error::invalid("ca_key", "the private key does not match the CA certificate"));
    }
    Ok(())
}

/// A positive serial number of 128 random bits.
fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    while bytes.iter().all(|b| *b == 0) {
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| Error::Pki("system random generator failed".into()))?;
    }
    // rcgen encodes the bytes as a positive INTEGER (adding a 00 byte when the top bit is set).
    Ok(SerialNumber::from_slice(&bytes))
}

/// The CSR's public key, as rcgen needs it to write the leaf's SubjectPublicKeyInfo.
struct CsrKey {
    raw: Vec<u8>,
    alg: &'static SignatureAlgorithm,
}

impl CsrKey {
    fn new(csr: &CsrInfo) -> Result<Self> {
        let alg = match (csr.key_algorithm.as_str(), csr.key_size) {
            ("ECDSA", 256) => &rcgen::PKCS_ECDSA_P256_SHA256,
            ("ECDSA", 384) => &rcgen::PKCS_ECDSA_P384_SHA384,
            ("RSA", _) => &rcgen::PKCS_RSA_SHA256,
            (alg, bits) => return Err(Error::Pki(format!("unsupported {alg} {bits}-bit key"))),
        };
        let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&csr.public_key_der)
            .map_err(|e| Error::Pki(format!("malformed public key: {e}")))?;
        Ok(CsrKey { raw: spki.subject_public_key.data.to_vec(), alg })
    }
}

impl PublicKeyData for CsrKey {
    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.alg
    }
}

#[cfg(test)]
mod tests;
