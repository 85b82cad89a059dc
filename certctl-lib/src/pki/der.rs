//! Shared decoding helpers: PEM blocks, public-key facts, subject-alternative-name lists.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::RSAPublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::{Error, Result};

/// Decodes every PEM block of `text`, requiring each label to be one of `labels`.
/// `what` names the expected object in error messages ("certificate", "CSR").
pub(crate) fn pem_blocks(text: &str, labels: &[&str], what: &str) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for block in Pem::iter_from_buffer(text.as_bytes()) {
        let block = block.map_err(|e| Error::Pki(format!("malformed {what} PEM: {e}")))?;
        if !labels.contains(&block.label.as_str()) {
            return Err(Error::Pki(format!(
                "expected a {what} PEM block (BEGIN {}), found BEGIN {}",
                labels.first().copied().unwrap_or_default(),
                block.label
            )));
        }
        if block.contents.is_empty() {
            return Err(Error::Pki(format!("empty {what} PEM block")));
        }
        out.push(block.contents);
    }
    if out.is_empty() {
        return Err(Error::Pki(format!(
            "no {what} found: expected a PEM block starting with -----BEGIN {}-----",
            labels.first().copied().unwrap_or_default()
        )));
    }
    Ok(out)
}

/// Key family name and size in bits of a public key: `("ECDSA", 256)`, `("RSA", 2048)`, ...
/// Unknown algorithms yield their OID and size 0 rather than an error.
pub(crate) fn key_facts(spki: &SubjectPublicKeyInfo<'_>) -> Result<(String, u32)> {
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        let (_, rsa) = RSAPublicKey::from_der(&spki.subject_public_key.data)
            .map_err(|e| Error::Pki(format!("malformed RSA public key: {e}")))?;
        Ok(("RSA".into(), integer_bits(rsa.modulus)))
    } else if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
        let bits = match curve {
            Some(c) if c == OID_EC_P256 => 256,
            Some(c) if c == OID_NIST_EC_P384 => 384,
            Some(c) if c == OID_NIST_EC_P521 => 521,
            _ => 0,
        };
        Ok(("ECDSA".into(), bits))
    } else if *alg == OID_SIG_ED25519 {
        Ok(("Ed25519".into(), 256))
    } else {
        Ok((alg.to_id_string(), 0))
    }
}

/// Bit length of a big-endian unsigned integer (leading zero bytes and bits ignored).
fn integer_bits(bytes: &[u8]) -> u32 {
    let trimmed: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    let len = u32::try_from(trimmed.len()).unwrap_or(u32::MAX / 8);
    let lead = trimmed.first().map_or(0, |b| b.leading_zeros());
    len.saturating_mul(8).saturating_sub(lead)
}

/// Splits SubjectAltName entries into DNS names and IP addresses (other kinds are ignored).
pub(crate) fn split_names<'a>(
    names: impl IntoIterator<Item = &'a GeneralName<'a>>,
    dns: &mut Vec<String>,
    ips: &mut Vec<String>,
) -> Result<()> {
    for name in names {
        match name {
            GeneralName::DNSName(d) => dns.push((*d).to_string()),
            GeneralName::IPAddress(raw) => ips.push(ip_to_string(raw)?),
            _ => {}
        }
    }
    Ok(())
}

fn ip_to_string(raw: &[u8]) -> Result<String> {
    let ip = if let Ok(v4) = <[u8; 4]>::try_from(raw) {
        IpAddr::V4(Ipv4Addr::from(v4))
    } else if let Ok(v6) = <[u8; 16]>::try_from(raw) {
        IpAddr::V6(Ipv6Addr::from(v6))
    } else {
        return Err(Error::Pki(format!(
            "IP address SAN has {} bytes (expected 4 or 16)",
            raw.len()
        )));
    };
    Ok(ip.to_string())
}

/// The first CN of a name, if any (non-UTF-8 CNs are rejected).
pub(crate) fn common_name(name: &x509_parser::x509::X509Name<'_>) -> Result<Option<String>> {
    match name.iter_common_name().next() {
        None => Ok(None),
        Some(cn) => cn
            .as_str()
            .map(|s| Some(s.to_string()))
            .map_err(|e| Error::Pki(format!("subject common name is not a string: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn integer_bits_ignores_padding() {
        assert_eq!(integer_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(integer_bits(&[0x01, 0xff]), 9);
        assert_eq!(integer_bits(&[0, 0]), 0);
    }

    #[test]
    fn bad_ip_length_is_an_error() {
        assert!(ip_to_string(&[1, 2, 3]).is_err());
        assert_eq!(ip_to_string(&[10, 0, 0, 1]).ok().as_deref(), Some("10.0.0.1"));
    }
}
