//! PKI tests against the real `openssl` CLI.
#![allow(clippy::unwrap_used)]

use super::cert::der_to_pem;
use super::testutil::{openssl, openssl_status, openssl_value, read, write};
use super::*;
use crate::Error;

fn sans(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn csr_der(pem: &str) -> Vec<u8> {
    super::der::pem_blocks(pem, &["CERTIFICATE REQUEST"], "CSR").unwrap().remove(0)
}

fn assert_pki_err<T: std::fmt::Debug>(r: crate::Result<T>, needle: &str) {
    match r {
        Err(Error::Pki(msg)) => {
            assert!(msg.to_lowercase().contains(&needle.to_lowercase()), "{msg:?} lacks {needle:?}")
        }
        other => panic!("expected Error::Pki containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn our_csr_passes_openssl_and_roundtrips() {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate_p256().unwrap();
    let names = sans(&["api.example.com", "*.api.example.com", "10.0.0.7", "2001:db8::1"]);
    let csr = build_csr(&key, "api.example.com", &names).unwrap();
    let f = write(dir.path(), "csr.pem", &csr);

    let verify = openssl(dir.path(), &["req", "-in", &f, "-verify", "-noout"]);
    assert!(verify.contains("verify OK"), "{verify}");
    let text = openssl(dir.path(), &["req", "-in", &f, "-noout", "-text"]);
    for want in [
        "CN = api.example.com",
        "DNS:api.example.com",
        "DNS:*.api.example.com",
        "IP Address:10.0.0.7",
        "IP Address:2001:DB8:0:0:0:0:0:1",
        "prime256v1",
        "ecdsa-with-SHA256",
    ] {
        assert!(text.contains(want), "openssl req -text lacks {want:?}:\n{text}");
    }

    let info = parse_csr(&csr).unwrap();
    assert_eq!(info.common_name.as_deref(), Some("api.example.com"));
    assert_eq!(info.dns_names, ["api.example.com", "*.api.example.com"]);
    assert_eq!(info.ip_addresses, ["10.0.0.7", "2001:db8::1"]);
    assert_eq!((info.key_algorithm.as_str(), info.key_size), ("ECDSA", 256));
    assert_eq!(info.public_key_der, key.public_key_der());
    assert_eq!(
        info.names(),
        sans(&["api.example.com", "*.api.example.com", "10.0.0.7", "2001:db8::1"])
    );
}

#[test]
fn key_pem_is_pkcs8_that_openssl_reads() {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate_p256().unwrap();
    let pem = key.pem();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
    assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>)");
    let f = write(dir.path(), "key.pem", &pem);
    openssl(dir.path(), &["pkey", "-in", &f, "-pubout", "-outform", "DER", "-out", "pub.der"]);
    assert_eq!(std::fs::read(dir.path().join("pub.der")).unwrap(), key.public_key_der());

    let again = PrivateKey::from_pem(&pem).unwrap();
    assert_eq!(again.public_key_der(), key.public_key_der());
    assert_pki_err(PrivateKey::from_pem("not a key"), "PKCS#8");
    let csr = build_csr(&key, "x.example", &[]).unwrap();
    assert_pki_err(PrivateKey::from_pem(&csr), "CERTIFICATE REQUEST");
    let broken = pem.replace("-----BEGIN PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\nAAAA");
    assert_pki_err(PrivateKey::from_pem(&broken), "private key");
}

#[test]
fn build_csr_rejects_bad_names() {
    let key = PrivateKey::generate_p256().unwrap();
    assert!(matches!(build_csr(&key, " ", &[]), Err(Error::Invalid { .. })));
    assert!(matches!(build_csr(&key, "a.example", &sans(&[""])), Err(Error::Invalid { .. })));
    assert!(matches!(
        build_csr(&key, "a.example", &sans(&["bücher.de"])),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn parses_openssl_ec_csr_and_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subj = "/O=Example Org/CN=web.example.org";
    let san = "subjectAltName=DNS:web.example.org,DNS:www.example.org,IP:192.0.2.10";
    openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-subj",
            subj,
            "-addext",
            san,
            "-out",
            "r.pem",
        ],
    );
    let info = parse_csr(&read(d, "r.pem")).unwrap();
    assert_eq!(info.common_name.as_deref(), Some("web.example.org"));
    assert_eq!(info.dns_names, ["web.example.org", "www.example.org"]);
    assert_eq!(info.ip_addresses, ["192.0.2.10"]);
    assert_eq!((info.key_algorithm.as_str(), info.key_size), ("ECDSA", 256));
    // The openssl key loads as our PrivateKey and has the CSR's public key.
    let key = PrivateKey::from_pem(&read(d, "k.pem")).unwrap();
    assert_eq!(key.public_key_der(), info.public_key_der);

    openssl(
        d,
        &[
            "req", "-x509", "-new", "-key", "k.pem", "-subj", subj, "-addext", san, "-days", "30",
            "-out", "c.pem",
        ],
    );
    let cert = parse_certificate(&read(d, "c.pem")).unwrap();
    let out = openssl(d, &["x509", "-in", "c.pem", "-noout", "-serial", "-fingerprint", "-sha256"]);
    assert_eq!(cert.serial_number, openssl_value(&out, "serial"));
    assert_eq!(cert.fingerprint_sha256, openssl_value(&out, "sha256 Fingerprint"));
    assert_eq!(cert.fingerprint_sha256, fingerprint_sha256(&cert.der));
    assert_eq!(cert.subject_cn.as_deref(), Some("web.example.org"));
    assert_eq!(cert.subject, "O=Example Org, CN=web.example.org");
    assert_eq!(cert.issuer, cert.subject);
    assert_eq!(cert.dns_names, ["web.example.org", "www.example.org"]);
    assert_eq!(cert.ip_addresses, ["192.0.2.10"]);
    assert_eq!((cert.key_algorithm.as_str(), cert.key_size), ("ECDSA", 256));
    let text = openssl(d, &["x509", "-in", "c.pem", "-noout", "-text"]);
    assert_eq!(cert.is_ca, text.contains("CA:TRUE"));
    assert_eq!(cert.not_after.datetime() - cert.not_before.datetime(), time::Duration::days(30));
    let age = crate::model::Timestamp::now().datetime() - cert.not_before.datetime();
    assert!(age.whole_seconds().abs() < 300, "not_before {:?}", cert.not_before);
    // PEM re-encoding is byte-identical to openssl's.
    assert_eq!(cert.pem(), read(d, "c.pem"));

    // A bundle: parse_chain sees both, parse_certificate the first.
    let bundle = format!("{}{}", read(d, "c.pem"), der_to_pem("CERTIFICATE", &cert.der));
    assert_eq!(parse_chain(&bundle).unwrap().len(), 2);
    assert_eq!(parse_certificate(&bundle).unwrap().serial_number, cert.serial_number);
}

#[test]
fn parses_rsa_and_p384_csrs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "rk.pem",
            "-subj",
            "/CN=rsa.example.org",
            "-sha384",
            "-out",
            "rr.pem",
        ],
    );
    let info = parse_csr(&read(d, "rr.pem")).unwrap();
    assert_eq!((info.key_algorithm.as_str(), info.key_size), ("RSA", 2048));
    assert_eq!(info.common_name.as_deref(), Some("rsa.example.org"));
    assert!(info.names().is_empty());

    openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
            "-keyout",
            "pk.pem",
            "-subj",
            "/CN=p384.example.org",
            "-sha384",
            "-out",
            "pr.pem",
        ],
    );
    let info = parse_csr(&read(d, "pr.pem")).unwrap();
    assert_eq!((info.key_algorithm.as_str(), info.key_size), ("ECDSA", 384));
}

#[test]
fn unsupported_signature_algorithm_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ed25519",
            "-nodes",
            "-keyout",
            "ek.pem",
            "-subj",
            "/CN=ed.example.org",
            "-out",
            "er.pem",
        ],
    );
    assert_pki_err(parse_csr(&read(d, "er.pem")), "ed25519");
}

#[test]
fn tampered_csr_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate_p256().unwrap();
    let csr = build_csr(&key, "api.example.com", &sans(&["api.example.com"])).unwrap();
    let der = csr_der(&csr);

    // Last byte of the DER is inside the signature value.
    let mut sig_flip = der.clone();
    if let Some(b) = sig_flip.last_mut() {
        *b ^= 0x01;
    }
    // A byte of the subject (the 'a' of the CN) is inside the signed CertificationRequestInfo.
    let mut body_flip = der.clone();
    let pos = der.windows(3).position(|w| w == b"api").unwrap();
    body_flip[pos] = b'b';

    for (name, bad) in [("sig", sig_flip), ("body", body_flip)] {
        let pem = der_to_pem("CERTIFICATE REQUEST", &bad);
        assert_pki_err(parse_csr(&pem), "does not verify");
        let f = write(dir.path(), &format!("{name}.pem"), &pem);
        let (ok, out) = openssl_status(dir.path(), &["req", "-in", &f, "-verify", "-noout"]);
        assert!(!ok || !out.contains("verify OK"), "openssl accepted the {name} flip: {out}");
    }
}

#[test]
fn garbage_never_panics() {
    let key = PrivateKey::generate_p256().unwrap();
    let csr = build_csr(&key, "a.example", &sans(&["a.example"])).unwrap();
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-subj",
            "/CN=g.example",
            "-days",
            "1",
            "-out",
            "c.pem",
        ],
    );
    let cert = read(dir.path(), "c.pem");

    assert_pki_err(parse_csr(""), "no CSR found");
    assert_pki_err(parse_certificate("hello world"), "no certificate found");
    assert_pki_err(parse_chain(""), "no certificate found");
    assert_pki_err(parse_csr(&cert), "found BEGIN CERTIFICATE");
    assert_pki_err(parse_certificate(&csr), "found BEGIN CERTIFICATE REQUEST");
    assert_pki_err(parse_chain(&format!("{cert}{}", key.pem())), "found BEGIN PRIVATE KEY");
    assert_pki_err(
        parse_certificate("-----BEGIN CERTIFICATE-----\n!!not*base64\n-----END CERTIFICATE-----\n"),
        "base64",
    );
    let no_end: String = cert.lines().take(4).map(|l| format!("{l}\n")).collect();
    assert_pki_err(parse_certificate(&no_end), "malformed certificate PEM");
    assert_pki_err(parse_csr(&format!("{csr}{csr}")), "expected one CSR");

    // Every truncation and a byte flip at every position: errors or values, never a panic.
    let der = parse_certificate(&cert).unwrap().der;
    for len in 0..der.len() {
        assert!(parse_certificate(&der_to_pem("CERTIFICATE", &der[..len])).is_err(), "len {len}");
    }
    let cder = csr_der(&csr);
    for len in 0..cder.len() {
        assert!(parse_csr(&der_to_pem("CERTIFICATE REQUEST", &cder[..len])).is_err(), "len {len}");
    }
    for i in 0..der.len() {
        let mut bad = der.clone();
        bad[i] ^= 0xff;
        let _ = parse_certificate(&der_to_pem("CERTIFICATE", &bad));
    }
    for i in 0..cder.len() {
        let mut bad = cder.clone();
        bad[i] ^= 0xff;
        assert!(parse_csr(&der_to_pem("CERTIFICATE REQUEST", &bad)).is_err(), "flip at {i}");
    }
}
