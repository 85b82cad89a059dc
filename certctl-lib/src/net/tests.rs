//! The address table, the allow-list, resolution and the reqwest client of the SSRF guard.

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Every range the guard refuses, and global addresses it lets through.
#[test]
fn classification_table() {
    let table: &[(&str, Option<&str>)] = &[
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        ("172.32.0.1", None),
        ("100.128.0.1", None),
        ("192.0.1.1", None),
        ("2606:4700:4700::1111", None),
        ("2a00:1450:4001:80b::200e", None),
        ("0.0.0.0", Some("unspecified")),
        ("0.1.2.3", Some("reserved (\"this network\")")),
        ("127.0.0.1", Some("loopback")),
        ("127.255.0.9", Some("loopback")),
        ("10.0.0.1", Some("private")),
        ("172.16.0.1", Some("private")),
        ("172.31.255.254", Some("private")),
        ("192.168.1.1", Some("private")),
        ("169.254.169.254", Some("link-local (cloud metadata)")),
        ("100.64.0.1", Some("shared (CGNAT)")),
        ("100.127.255.254", Some("shared (CGNAT)")),
        ("192.0.0.8", Some("reserved (IETF protocol assignments)")),
        ("192.0.2.5", Some("documentation")),
        ("198.51.100.5", Some("documentation")),
        ("203.0.113.5", Some("documentation")),
        ("198.18.0.1", Some("benchmarking")),
        ("224.0.0.251", Some("multicast")),
        ("239.255.255.250", Some("multicast")),
        ("255.255.255.255", Some("broadcast")),
        ("240.0.0.1", Some("reserved")),
        ("::", Some("unspecified")),
        ("::1", Some("loopback")),
        ("fe80::1", Some("link-local")),
        ("febf::1", Some("link-local")),
        ("fec0::1", Some("private (site-local)")),
        ("fc00::1", Some("private (unique local)")),
        ("fd12:3456::1", Some("private (unique local)")),
        ("ff02::1", Some("multicast")),
        ("2001:db8::1", Some("documentation")),
        ("2001::1", Some("reserved (IETF protocol assignments, Teredo)")),
        ("100::1", Some("reserved (discard-only)")),
        ("::2", Some("reserved")),
        ("4000::1", Some("reserved")),
        // IPv4-mapped and IPv4-embedding IPv6 addresses are judged by their IPv4 address
        ("::ffff:127.0.0.1", Some("loopback")),
        ("::ffff:169.254.169.254", Some("link-local (cloud metadata)")),
        ("::ffff:10.1.2.3", Some("private")),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::7f00:1", Some("loopback")),
        ("64:ff9b::a9fe:a9fe", Some("link-local (cloud metadata)")),
        ("64:ff9b::808:808", None),
        ("64:ff9b:1::1", Some("private (local-use NAT64)")),
        ("2002:7f00:1::1", Some("loopback")),
        ("2002:0a00:0001::1", Some("private")),
        ("2002:0808:0808::1", None),
    ];
    for (addr, want) in table {
        assert_eq!(classify(ip(addr)), *want, "{addr}");
    }
}

#[test]
fn allow_list() {
    let strict = AddressPolicy::strict();
    let e = strict.check("127.0.0.1", ip("127.0.0.1")).unwrap_err();
    assert_eq!((e.addr, e.class), (ip("127.0.0.1"), "loopback"));
    let m = e.to_string();
    assert!(m.starts_with("127.0.0.1 is a loopback address") && m.contains(SETTING), "{m}");
    assert!(strict.check("8.8.8.8", ip("8.8.8.8")).is_ok());

    let p = AddressPolicy::parse(&["127.0.0.0/8, ::1", "10.1.0.0/16"]).unwrap();
    assert_eq!(p.allowed_ranges().len(), 3);
    for ok in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "10.1.200.3", "8.8.8.8"] {
        assert!(p.check(ok, ip(ok)).is_ok(), "{ok}");
    }
    for refused in ["10.2.0.1", "169.254.169.254", "::2", "fe80::1", "192.168.0.1"] {
        assert!(p.check(refused, ip(refused)).is_err(), "{refused}");
    }
    // a host bit set in the CIDR still names the range
    assert!(AddressPolicy::parse(&["10.1.2.3/8"]).unwrap().check("x", ip("10.200.0.1")).is_ok());
    assert!(AddressPolicy::parse(&[""]).unwrap().allowed_ranges().is_empty());
    let e = AddressPolicy::parse(&["10.0.0.0/8,nonsense"]).unwrap_err();
    assert!(e.contains("\"nonsense\""), "{e}");
    assert!(AddressPolicy::parse(&["10.0.0.0/33"]).is_err());
}

#[tokio::test]
async fn resolution_checks_every_address() {
    let strict = AddressPolicy::strict();
    // a name that resolves to loopback is refused, and the message says what it resolved to
    let e = strict.resolve("localhost", 80).await.unwrap_err();
    let NetError::Refused(r) = &e else { panic!("{e}") };
    assert_eq!(r.class, "loopback");
    assert!(e.to_string().starts_with("localhost resolves to "), "{e}");
    // literal addresses, bracketed or not
    assert!(strict.resolve("[::1]", 80).await.is_err());
    assert!(strict.resolve("169.254.169.254", 80).await.is_err());
    assert_eq!(strict.resolve("8.8.8.8", 53).await.unwrap(), vec!["8.8.8.8:53".parse().unwrap()]);
    let allowed = AddressPolicy::parse(&["127.0.0.0/8", "::1/128"]).unwrap();
    let addrs = allowed.resolve("localhost", 8080).await.unwrap();
    assert!(
        !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080),
        "{addrs:?}"
    );
    // a name that does not resolve is a (transient) resolution error, accepted by vet
    assert!(matches!(strict.resolve("nowhere.invalid", 80).await, Err(NetError::Resolve { .. })));
    strict.vet("config.url", "nowhere.invalid", 80).await.unwrap();
    let e = strict
        .vet_url("config.url", "http://[::ffff:127.0.0.1]:9/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("config.url: [::ffff:7f00:1] is a loopback address"), "{e}");
}

/// The guarded client refuses a name that resolves to loopback at connect time (the refusal is
/// found in the error chain), does not follow redirects, and check_url refuses literal hosts.
#[tokio::test]
async fn guarded_http_client() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
            });
        }
    });
    let strict = AddressPolicy::strict();
    let c = http_client(&strict, reqwest::Client::builder()).build().unwrap();
    let e = c.get(format!("http://localhost:{port}/")).send().await.unwrap_err();
    let r = refusal(&e).unwrap_or_else(|| panic!("no refusal in {e:?}"));
    assert_eq!((r.host.as_str(), r.class), ("localhost", "loopback"));
    let url = reqwest::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    assert!(strict.check_url(&url).is_err());

    let allowed = AddressPolicy::parse(&["127.0.0.0/8", "::1"]).unwrap();
    allowed.check_url(&url).unwrap();
    let c = http_client(&allowed, reqwest::Client::builder()).build().unwrap();
    let resp = c.get(format!("http://localhost:{port}/")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302, "the redirect is returned, not followed");
}
