//! Local CA tests: issued chains are checked with `openssl verify`.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;
use crate::pki::build_csr;
use crate::pki::testutil::{openssl, openssl_status, openssl_value, read, write};

fn request(cn: &str, sans: &[&str], days: Option<u32>) -> SignRequest {
    SignRequest {
        common_name: cn.into(),
        sans: sans.iter().map(|s| s.to_string()).collect(),
        validity_days: days,
        not_before: None,
    }
}

fn p256_csr(cn: &str) -> String {
    let key = PrivateKey::generate_p256().unwrap();
    build_csr(&key, cn, &[cn.to_string()]).unwrap()
}

/// `openssl verify` of `leaf` against `root`, with `untrusted` intermediates if any.
fn openssl_verify(d: &Path, root: &str, leaf: &str, untrusted: Option<&str>) -> (bool, String) {
    let root = write(d, "root.pem", root);
    let leaf = write(d, "leaf.pem", leaf);
    let mut args = vec!["verify", "-purpose", "sslserver", "-CAfile", &root];
    let inter;
    if let Some(u) = untrusted {
        inter = write(d, "inter.pem", u);
        args.extend(["-untrusted", &inter]);
    }
    args.push(&leaf);
    openssl_status(d, &args)
}

#[test]
fn root_mode_creates_once_and_issues_verifiable_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ca = LocalCa::load_or_create(&data).unwrap();

    let key_mode = fs::metadata(data.join(CA_KEY_FILE)).unwrap().permissions().mode();
    assert_eq!(key_mode & 0o777, 0o600);
    let leftovers: Vec<_> = fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!format!("{ca:?}").contains("PRIVATE"), "{ca:?}");

    let root = ca.ca_info().clone();
    assert_eq!(ca.root_pem(), ca.ca_pem());
    assert!(root.is_ca);
    assert_eq!(root.subject_cn.as_deref(), Some(ROOT_COMMON_NAME));
    assert_eq!((root.key_algorithm.as_str(), root.key_size), ("ECDSA", 256));
    let years = (root.not_after.datetime() - root.not_before.datetime()).whole_days();
    assert!((3650..=3651).contains(&years), "{years}");
    let d = dir.path();
    write(d, "ca.pem", &ca.root_pem());
    let text = openssl(d, &["x509", "-in", "ca.pem", "-noout", "-text"]);
    assert!(text.contains("Certificate Sign, CRL Sign"), "{text}");
    assert!(text.contains("CA:TRUE"), "{text}");

    // Second load: the same CA.
    let again = LocalCa::load_or_create(&data).unwrap();
    assert_eq!(again.root_pem(), ca.root_pem());

    let csr_key = PrivateKey::generate_p256().unwrap();
    let csr = build_csr(&csr_key, "api.example.com", &["api.example.com".into()]).unwrap();
    let req = request("api.example.com", &["www.example.com", "10.1.2.3", "::1"], Some(30));
    let issued = again.sign(&csr, &req).unwrap();
    let leaf = &issued.leaf;
    assert_eq!(issued.pem_chain, leaf.pem(), "root mode: the chain is the leaf only");
    assert_eq!(leaf.subject_cn.as_deref(), Some("api.example.com"));
    assert_eq!(leaf.dns_names, ["api.example.com", "www.example.com"]);
    assert_eq!(leaf.ip_addresses, ["10.1.2.3", "::1"]);
    assert!(!leaf.is_ca);
    assert_eq!(leaf.issuer, root.subject);
    assert_eq!(issued.csr.public_key_der, csr_key.public_key_der());
    assert_eq!(leaf.not_after.datetime() - leaf.not_before.datetime(), Duration::days(30));
    assert!(leaf.serial_number.len() >= 30, "{}", leaf.serial_number);

    let (ok, out) = openssl_verify(d, &ca.root_pem(), &issued.pem_chain, None);
    assert!(ok && out.contains("OK"), "{out}");
    let text = openssl(d, &["x509", "-in", "leaf.pem", "-noout", "-text", "-serial"]);
    for want in [
        "TLS Web Server Authentication",
        "CA:FALSE",
        "Digital Signature",
        "X509v3 Authority Key Identifier",
        "DNS:api.example.com, DNS:www.example.com, IP Address:10.1.2.3, IP Address:0:0:0:0:0:0:0:1",
    ] {
        assert!(text.contains(want), "leaf lacks {want:?}:\n{text}");
    }
    assert!(!text.contains("Key Encipherment"), "{text}");
    assert_eq!(openssl_value(&text, "serial"), leaf.serial_number);
    // The leaf's public key is the CSR's.
    write(d, "ckey.pem", &csr_key.pem());
    openssl(d, &["x509", "-in", "leaf.pem", "-noout", "-pubkey", "-out", "lpub.pem"]);
    openssl(d, &["pkey", "-in", "ckey.pem", "-pubout", "-out", "cpub.pem"]);
    assert_eq!(read(d, "lpub.pem"), read(d, "cpub.pem"));
}

#[test]
fn incomplete_ca_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    LocalCa::load_or_create(dir.path()).unwrap();
    fs::remove_file(dir.path().join(CA_CERT_FILE)).unwrap();
    let err = LocalCa::load_or_create(dir.path()).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(dir.path().join(CA_KEY_FILE).exists(), "the key must never be replaced");
}

#[test]
fn validity_bounds_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let ca = LocalCa::load_or_create(dir.path()).unwrap();
    let csr = p256_csr("v.example");
    let span =
        |i: &Issued| (i.leaf.not_after.datetime() - i.leaf.not_before.datetime()).whole_days();

    assert_eq!(span(&ca.sign(&csr, &request("v.example", &[], Some(397))).unwrap()), 397);
    assert_eq!(span(&ca.sign(&csr, &request("v.example", &[], None)).unwrap()), 90);
    for bad in [0, 398] {
        let err = ca.sign(&csr, &request("v.example", &[], Some(bad))).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "validity_days"),
            "{err:?}"
        );
    }

    let cfg: LocalCaConfig = serde_json::from_str(r#"{"validity_days": 30}"#).unwrap();
    cfg.validate().unwrap();
    let ca = ca.with_config(&cfg).unwrap();
    assert_eq!(span(&ca.sign(&csr, &request("v.example", &[], None)).unwrap()), 30);
    let bad: LocalCaConfig = serde_json::from_str(r#"{"validity_days": 398}"#).unwrap();
    assert!(matches!(bad.validate(), Err(Error::Invalid { .. })));
    assert!(serde_json::from_str::<LocalCaConfig>(r#"{"validity": 3}"#).is_err());
    assert_eq!(serde_json::from_str::<LocalCaConfig>("{}").unwrap(), LocalCaConfig::default());
    assert!(matches!(ca.sign(&csr, &request(" ", &[], None)), Err(Error::Invalid { .. })));
}

#[test]
fn bad_csrs_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let ca = LocalCa::load_or_create(dir.path()).unwrap();
    let csr = p256_csr("t.example");
    let mut csr_der = x509_parser::pem::parse_x509_pem(csr.as_bytes()).unwrap().1.contents;
    let last = csr_der.len() - 1;
    csr_der[last] ^= 1;
    let flipped = crate::pki::der_to_pem("CERTIFICATE REQUEST", &csr_der);
    let err = ca.sign(&flipped, &request("t.example", &[], None)).unwrap_err();
    assert!(matches!(&err, Error::Pki(m) if m.contains("does not verify")), "{err:?}");
    assert!(matches!(ca.sign("garbage", &request("t.example", &[], None)), Err(Error::Pki(_))));
}

#[test]
fn rsa_csr_gets_key_encipherment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = LocalCa::load_or_create(&d.join("ca")).unwrap();
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
            "-out",
            "rr.pem",
        ],
    );
    let issued = ca.sign(&read(d, "rr.pem"), &request("rsa.example.org", &[], None)).unwrap();
    assert_eq!((issued.leaf.key_algorithm.as_str(), issued.leaf.key_size), ("RSA", 2048));
    assert_eq!(issued.leaf.dns_names, ["rsa.example.org"], "CN added to the SANs");
    let (ok, out) = openssl_verify(d, &ca.root_pem(), &issued.pem_chain, None);
    assert!(ok, "{out}");
    let text = openssl(d, &["x509", "-in", "leaf.pem", "-noout", "-text"]);
    assert!(text.contains("Digital Signature, Key Encipherment"), "{text}");
}

/// With openssl in `d`: root.{crt,key} -> i1.{crt,key} -> i2.{crt,key} (the one we sign with).
fn openssl_hierarchy(d: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let ext = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
               subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n";
    write(d, "ca.ext", ext);
    let mut root = vec!["req", "-x509", "-new"];
    root.extend(ec);
    root.extend([
        "-keyout",
        "root.key",
        "-subj",
        "/O=Corp/CN=Corp Root",
        "-days",
        "30",
        "-out",
        "root.crt",
    ]);
    openssl(d, &root);
    for (name, parent) in [("i1", "root"), ("i2", "i1")] {
        let mut req = vec!["req", "-new"];
        let (key, csr, subj) =
            (format!("{name}.key"), format!("{name}.csr"), format!("/O=Corp/CN=Corp {name}"));
        req.extend(ec);
        req.extend(["-keyout", &key, "-subj", &subj, "-out", &csr]);
        openssl(d, &req);
        let (pc, pk, crt) =
            (format!("{parent}.crt"), format!("{parent}.key"), format!("{name}.crt"));
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &pc,
                "-CAkey",
                &pk,
                "-CAcreateserial",
                "-days",
                "20",
                "-extfile",
                "ca.ext",
                "-out",
                &crt,
            ],
        );
    }
}

#[test]
fn sub_ca_mode_with_openssl_hierarchy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl_hierarchy(d);
    let (root, i1, i2, i2_key) =
        (read(d, "root.crt"), read(d, "i1.crt"), read(d, "i2.crt"), read(d, "i2.key"));

    let ca = LocalCa::from_pem(&i2, &i2_key, Some(&i1)).unwrap();
    assert_eq!(ca.ca_pem(), i2);
    assert_eq!(ca.root_pem(), i1, "topmost known certificate");
    let issued =
        ca.sign(&p256_csr("svc.corp"), &request("svc.corp", &["10.9.8.7"], Some(397))).unwrap();
    assert_eq!(issued.pem_chain, format!("{}{i2}{i1}", issued.leaf.pem()));
    // not_after is capped by the intermediate's.
    assert_eq!(issued.leaf.not_after, ca.ca_info().not_after);

    let leaf_only = issued.leaf.pem();
    let (ok, out) = openssl_verify(d, &root, &leaf_only, Some(&format!("{i2}{i1}")));
    assert!(ok && out.contains("OK"), "{out}");
    let (ok, _) = openssl_verify(d, &root, &leaf_only, None);
    assert!(!ok, "the leaf must not verify without the intermediates");
    // The chain as served (leaf + intermediates) also verifies: split it for openssl.
    let chain = crate::pki::parse_chain(&issued.pem_chain).unwrap();
    assert_eq!(chain.len(), 3);
    let inter: String = chain[1..].iter().map(|c| c.pem()).collect();
    assert!(openssl_verify(d, &root, &chain[0].pem(), Some(&inter)).0);

    // No chain given: the intermediate itself is the top we know; a root in the chain is dropped.
    let ca = LocalCa::from_pem(&i2, &i2_key, None).unwrap();
    assert_eq!(ca.root_pem(), i2);
    let ca = LocalCa::from_pem(&format!("{i2}{i1}"), &i2_key, Some(&root)).unwrap();
    assert_eq!(ca.root_pem(), root);
    let issued = ca.sign(&p256_csr("svc.corp"), &request("svc.corp", &[], None)).unwrap();
    assert_eq!(issued.pem_chain, format!("{}{i2}{i1}", issued.leaf.pem()));

    // Mismatches are refused.
    let err = LocalCa::from_pem(&i2, &read(d, "i1.key"), None).unwrap_err();
    assert!(matches!(&err, Error::Invalid { field, .. } if field == "ca_key"), "{err:?}");
    let err = LocalCa::from_pem(&i2, &i2_key, Some(&root)).unwrap_err();
    assert!(matches!(&err, Error::Invalid { field, .. } if field == "chain"), "{err:?}");
    let leaf_key = PrivateKey::generate_p256().unwrap();
    let err = LocalCa::from_pem(&leaf_only, &leaf_key.pem(), None).unwrap_err();
    assert!(matches!(&err, Error::Invalid { field, .. } if field == "ca_cert"), "{err:?}");
}
