//! The rfc2136 provider's config parsing and its failures without a server.

use super::*;

fn raw() -> RawRfc2136 {
    RawRfc2136 {
        server: Some("127.0.0.1:8153".into()),
        key_name: Some("k".into()),
        secret: Some("c2VjcmV0LXRzaWcta2V5LWJ5dGVz".into()),
        ..Default::default()
    }
}

#[test]
fn configs() {
    let c = Rfc2136Config::parse(raw()).unwrap();
    assert_eq!(
        (c.algorithm.as_str(), c.ttl, c.zone.as_deref()),
        ("hmac-sha256", DEFAULT_TTL, None)
    );
    assert!(!format!("{c:?}").contains("c2VjcmV0"));
    assert!(!format!("{:?}", raw()).contains("c2VjcmV0"));
    let err = |f: fn(&mut RawRfc2136)| {
        let mut r = raw();
        f(&mut r);
        Rfc2136Config::parse(r).unwrap_err().to_string()
    };
    assert!(err(|r| r.server = None).starts_with("config.rfc2136_server:"));
    assert!(
        err(|r| r.server = Some("ns1.example.test:99999".into()))
            .starts_with("config.rfc2136_server:")
    );
    assert!(err(|r| r.server = Some("ns1 example".into())).starts_with("config.rfc2136_server:"));
    assert!(err(|r| r.key_name = None).starts_with("config.rfc2136_tsig_key_name:"));
    assert!(err(|r| r.secret = None).starts_with("config.rfc2136_tsig_secret:"));
    assert!(
        err(|r| r.secret = Some("not base64!".into())).starts_with("config.rfc2136_tsig_secret:")
    );
    assert!(
        err(|r| r.algorithm = Some("hmac-md5".into()))
            .starts_with("config.rfc2136_tsig_algorithm:")
    );
    assert!(err(|r| r.zone = Some("bad zone".into())).starts_with("config.rfc2136_zone:"));
    assert!(err(|r| r.ttl = Some(-1)).starts_with("config.rfc2136_ttl:"));
    for alg in ["hmac-sha384", "HMAC-SHA512"] {
        let mut r = raw();
        r.algorithm = Some(alg.into());
        Rfc2136Config::parse(r).unwrap();
    }
    assert_eq!(split_server("ns1.example.test").unwrap(), ("ns1.example.test".to_owned(), 53));
    assert_eq!(split_server("[::1]:5353").unwrap(), ("::1".to_owned(), 5353));
    assert_eq!(split_server("::1").unwrap(), ("::1".to_owned(), 53));
}

/// A closed port is a transient failure naming the server.
#[tokio::test]
async fn unreachable_server_is_transient() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut r = raw();
    r.server = Some(format!("127.0.0.1:{port}"));
    r.zone = Some("example.test".into());
    let mut c = Rfc2136Config::parse(r).unwrap();
    // the primary is on loopback: refused by default, with the setting named
    let strict = Rfc2136::new(&c, c.secret.as_deref().unwrap()).unwrap();
    match strict.add("_acme-challenge.x.example.test", "v").await.unwrap_err() {
        Error::Connector { message, transient } => assert!(
            !transient && message.contains("loopback") && message.contains(crate::net::SETTING),
            "{message}"
        ),
        e => panic!("{e}"),
    }
    c.policy = AddressPolicy::parse(&["127.0.0.0/8"]).unwrap();
    let u = Rfc2136::new(&c, c.secret.as_deref().unwrap()).unwrap();
    match u.add("_acme-challenge.x.example.test", "v").await.unwrap_err() {
        Error::Connector { message, transient } => {
            assert!(transient && message.contains(&format!("127.0.0.1:{port}")), "{message}")
        }
        e => panic!("{e}"),
    }
    // a name outside the configured zone is refused before anything is sent
    let e = u.add("_acme-challenge.other.test", "v").await.unwrap_err().to_string();
    assert!(e.contains("does not contain"), "{e}");
}
