//! Table-driven tests of matching, one table per criteria field.

use std::collections::BTreeMap;

use super::*;

fn id(s: &str) -> AgentId {
    AgentId::from_trusted(s)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Compiles `c` and checks it against agent `ag-t` with each metadata.
fn check(c: &GroupCriteria, cases: &[(&str, AgentMetadata, bool)]) {
    let compiled = compile(c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
    for (what, meta, want) in cases {
        assert_eq!(
            compiled.matches(&id("ag-t"), meta),
            *want,
            "{what}: criteria {c:?}, agent {meta:?}"
        );
    }
}

#[test]
fn cidr() {
    let ips = |a: &[&str]| AgentMetadata { ip_addresses: strings(a), ..Default::default() };
    #[rustfmt::skip]
    let table: &[(&[&str], &[&str], bool)] = &[
        // networks, agent addresses, member?
        (&["10.1.0.0/16"], &["10.1.0.0"], true),            // network address
        (&["10.1.0.0/16"], &["10.1.255.255"], true),        // broadcast address
        (&["10.1.0.0/16"], &["10.2.0.0"], false),           // just past it
        (&["10.1.0.0/16"], &["10.0.255.255"], false),       // just before it
        (&["10.1.2.3/16"], &["10.1.9.9"], true),            // host bits ignored
        (&["0.0.0.0/0"], &["203.0.113.7"], true),
        (&["0.0.0.0/0"], &["2001:db8::1"], false),          // v6 address, v4 network
        (&["10.0.0.1/32"], &["10.0.0.1"], true),
        (&["10.0.0.1/32"], &["10.0.0.2"], false),
        (&["10.0.0.1"], &["10.0.0.1"], true),               // bare address = /32
        (&["10.0.0.0/8"], &["::ffff:10.0.0.1"], true),      // v4-mapped v6
        (&["10.0.0.0/8"], &["::ffff:11.0.0.1"], false),
        (&["::ffff:0:0/96"], &["::ffff:10.0.0.1"], true),   // mapped address in a v6 network
        (&["::ffff:0:0/96"], &["10.0.0.1"], false),         // v4 address vs v6 network
        (&["::/0"], &["10.0.0.1"], false),
        (&["::/0"], &["fe80::1"], true),
        (&["2001:db8::/32"], &["2001:db8::"], true),
        (&["2001:db8::/32"], &["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"], true),
        (&["2001:db8::/32"], &["2001:db9::"], false),
        (&["2001:db8::1/128"], &["2001:db8::1"], true),
        (&["2001:db8::1/128"], &["2001:db8::2"], false),
        (&["2001:db8::1"], &["2001:db8::1"], true),         // bare address = /128
        (&["2001:DB8::/32"], &["2001:db8:0:0::7"], true),   // notation does not matter
        (&["10.1.0.0/16"], &["192.168.1.1", "10.1.3.4"], true), // second address matches
        (&["192.168.0.0/24", "10.1.0.0/16"], &["10.1.3.4"], true), // second network matches
        (&["10.1.0.0/16"], &["not-an-ip", "10.1.3.4"], true),   // garbage ignored
        (&["10.1.0.0/16"], &["not-an-ip"], false),
        (&["10.1.0.0/16"], &[], false),                     // no addresses
        (&["10.1.0.0/16"], &["10.1.3.4/24"], true),         // interface notation
        (&["fe80::/10"], &["fe80::1%eth0"], true),          // zone id
        (&["fe80::/10"], &[" fe80::1 "], true),
    ];
    for (nets, addrs, want) in table {
        let c = GroupCriteria { cidr: strings(nets), ..Default::default() };
        check(&c, &[("cidr", ips(addrs), *want)]);
    }
}

#[test]
fn hostname_globs() {
    let host = |h: &str| AgentMetadata { hostname: h.into(), ..Default::default() };
    #[rustfmt::skip]
    let table: &[(&[&str], &str, bool)] = &[
        (&["web-*"], "web-01", true),
        (&["web-*"], "web-", true),
        (&["web-*"], "api-01", false),
        (&["web-*"], "WEB-01", true),                       // case-insensitive host
        (&["WEB-*"], "web-01", true),                       // case-insensitive pattern
        (&["*.prod.example.com"], "db1.prod.example.com", true),
        (&["*.prod.example.com"], "a.b.prod.example.com", true), // `*` crosses dots
        (&["*.prod.example.com"], "prod.example.com", false),
        (&["*.prod.example.com"], "db1.prod.example.com.", true), // trailing dot of an FQDN
        (&["*.prod.example.com"], "db1.staging.example.com", false),
        (&["db-[0-9]"], "db-7", true),
        (&["db-[0-9]"], "db-a", false),
        (&["db-[0-9]"], "db-10", false),
        (&["db-[!0-9]"], "db-a", true),
        (&["web-?"], "web-1", true),
        (&["web-?"], "web-12", false),
        (&["{web,api}-*"], "api-3", true),
        (&["web-*", "api-*"], "api-3", true),               // any-of
        (&["*"], "", false),                                // no hostname never matches
        (&["Ünï-*"], "üNÏ-1", true),                        // Unicode case folding
        (&["xn--bcher-kva.*"], "XN--BCHER-KVA.example", true), // IDN as punycode
        (&["web\\*"], "web*", true),                        // escaped star is literal
        (&["web\\*"], "web1", false),
    ];
    for (patterns, h, want) in table {
        let c = GroupCriteria { hostname: strings(patterns), ..Default::default() };
        check(&c, &[("hostname", host(h), *want)]);
    }
}

#[test]
fn os_and_arch_any_of_ignoring_case() {
    let m = |os: &str, arch: &str| AgentMetadata {
        os: os.into(),
        arch: arch.into(),
        ..Default::default()
    };
    let c = GroupCriteria { os: strings(&["linux", "Darwin"]), ..Default::default() };
    check(
        &c,
        &[
            ("lower", m("linux", ""), true),
            ("upper", m("LINUX", ""), true),
            ("mixed", m("darwin", ""), true),
            ("other", m("windows", ""), false),
            ("missing", m("", ""), false),
            ("prefix only", m("linux2", ""), false),
        ],
    );
    let c = GroupCriteria { arch: strings(&["x86_64", "AARCH64"]), ..Default::default() };
    check(
        &c,
        &[
            ("x86", m("", "X86_64"), true),
            ("arm", m("", "aarch64"), true),
            ("other", m("", "riscv64"), false),
            ("missing", m("", ""), false),
        ],
    );
}

#[test]
fn reported_labels_all_must_match() {
    let m = |pairs: &[(&str, &str)]| AgentMetadata { labels: labels(pairs), ..Default::default() };
    let c = GroupCriteria {
        reported_labels: labels(&[("env", "prod"), ("tier", "web")]),
        ..Default::default()
    };
    check(
        &c,
        &[
            ("all", m(&[("env", "prod"), ("tier", "web")]), true),
            (
                "extra agent labels fine",
                m(&[("env", "prod"), ("tier", "web"), ("dc", "fra")]),
                true,
            ),
            ("one missing", m(&[("env", "prod")]), false),
            ("one differs", m(&[("env", "prod"), ("tier", "db")]), false),
            ("values are case-sensitive", m(&[("env", "Prod"), ("tier", "web")]), false),
            ("none", m(&[]), false),
        ],
    );
    let c = GroupCriteria { reported_labels: labels(&[("canary", "")]), ..Default::default() };
    check(
        &c,
        &[("empty value present", m(&[("canary", "")]), true), ("key absent", m(&[]), false)],
    );
    // what a heartbeat reports is never taken for an operator label
    let c = GroupCriteria { labels: labels(&[("env", "prod")]), ..Default::default() };
    check(&c, &[("reported only", m(&[("env", "prod")]), false)]);
}

#[test]
fn agent_version_semver() {
    let v = |s: &str| AgentMetadata { agent_version: s.into(), ..Default::default() };
    #[rustfmt::skip]
    let table: &[(&str, &str, bool)] = &[
        (">=1.2", "1.2.0", true),
        (">=1.2", "1.10.3", true),
        (">=1.2", "2.0.0", true),
        (">=1.2", "1.1.9", false),
        (">=1.2", "1.3.0-rc.1", false),          // prereleases need an explicit prerelease req
        (">=1.3.0-rc.0", "1.3.0-rc.1", true),
        (">=1.3.0-rc.0", "1.4.0-rc.1", false),   // ... of the same major.minor.patch
        ("^0.1", "0.1.7", true),
        ("^0.1", "0.2.0", false),
        ("=1.2.3", "1.2.3", true),
        ("=1.2.3", "1.2.4", false),
        ("=1.2.3", "1.2.3+build.5", true),       // build metadata is ignored
        ("1.2", "1.9.0", true),                  // bare = caret
        (">=1.2, <2", "2.0.0", false),
        (">=1.2", " 1.4.0 ", true),              // surrounding blanks tolerated
        (">=1.2", "1.4", false),                 // not semver: never matches
        (">=1.2", "v1.4.0", false),
        (">=1.2", "", false),
        ("*", "0.0.1", true),
        ("*", "garbage", false),
    ];
    for (req, ver, want) in table {
        let c = GroupCriteria { agent_version: req.to_string(), ..Default::default() };
        check(&c, &[("version", v(ver), *want)]);
    }
}

#[test]
fn include_exclude_and_empty() {
    let linux = AgentMetadata { os: "linux".into(), ..Default::default() };
    let windows = AgentMetadata { os: "windows".into(), ..Default::default() };
    let ids = |a: &[&str]| a.iter().map(|s| id(s)).collect::<Vec<_>>();
    #[rustfmt::skip]
    let table: &[(GroupCriteria, &str, &AgentMetadata, bool)] = &[
        (GroupCriteria::default(), "ag-t", &linux, false),                              // empty matches nothing
        (GroupCriteria { exclude: ids(&["ag-x"]), ..Default::default() }, "ag-t", &linux, false),
        (GroupCriteria { include: ids(&["ag-t"]), ..Default::default() }, "ag-t", &linux, true),  // include without criteria
        (GroupCriteria { include: ids(&["ag-t"]), ..Default::default() }, "ag-u", &linux, false),
        (GroupCriteria { os: strings(&["linux"]), include: ids(&["ag-t"]), ..Default::default() }, "ag-t", &windows, true), // include bypasses criteria
        (GroupCriteria { include: ids(&["ag-t"]), exclude: ids(&["ag-t"]), ..Default::default() }, "ag-t", &linux, false), // exclude wins over include
        (GroupCriteria { os: strings(&["linux"]), exclude: ids(&["ag-t"]), ..Default::default() }, "ag-t", &linux, false), // ... and over criteria
        (GroupCriteria { os: strings(&["linux"]), exclude: ids(&["ag-t"]), ..Default::default() }, "ag-u", &linux, true),
        (GroupCriteria { agent_version: "  ".into(), ..Default::default() }, "ag-t", &linux, false), // blank version is no criterion
    ];
    for (c, agent, meta, want) in table {
        let compiled = compile(c).unwrap();
        assert_eq!(compiled.matches(&id(agent), meta), *want, "{c:?} vs {agent}");
    }
}

#[test]
fn fields_combine_with_and() {
    let c = GroupCriteria {
        os: strings(&["linux"]),
        arch: strings(&["x86_64"]),
        hostname: strings(&["web-*"]),
        cidr: strings(&["10.1.0.0/16"]),
        reported_labels: labels(&[("env", "prod")]),
        agent_version: ">=1.2".into(),
        ..Default::default()
    };
    let good = AgentMetadata {
        hostname: "web-1".into(),
        os: "Linux".into(),
        os_version: "6.1".into(),
        arch: "x86_64".into(),
        ip_addresses: strings(&["10.1.0.5"]),
        agent_version: "1.4.0".into(),
        labels: labels(&[("env", "prod")]),
    };
    type Spoil = fn(&mut AgentMetadata);
    let bad: [(&str, Spoil); 6] = [
        ("os", |m| m.os = "windows".into()),
        ("arch", |m| m.arch = "aarch64".into()),
        ("hostname", |m| m.hostname = "db-1".into()),
        ("cidr", |m| m.ip_addresses = strings(&["10.2.0.5"])),
        ("labels", |m| m.labels.clear()),
        ("version", |m| m.agent_version = "1.0.0".into()),
    ];
    let mut cases = vec![("all match", good.clone(), true)];
    for (what, spoil) in bad {
        let mut m = good.clone();
        spoil(&mut m);
        cases.push((what, m, false));
    }
    check(&c, &cases);
}

#[test]
fn agent_and_metadata_paths_agree() {
    let now = crate::model::Timestamp::now();
    let agent = Agent {
        id: id("ag-a"),
        name: "a".into(),
        status: crate::model::AgentStatus::Online,
        hostname: "web-1".into(),
        os: "linux".into(),
        os_version: String::new(),
        arch: "x86_64".into(),
        ip_addresses: strings(&["10.1.0.5"]),
        agent_version: "1.2.0".into(),
        labels: labels(&[("owner", "web-team")]),
        reported_labels: labels(&[("env", "prod")]),
        observed_ip: None,
        last_heartbeat_at: None,
        created_at: now,
        updated_at: now,
    };
    for c in [
        GroupCriteria { hostname: strings(&["web-*"]), ..Default::default() },
        GroupCriteria { cidr: strings(&["10.2.0.0/16"]), ..Default::default() },
        GroupCriteria {
            reported_labels: labels(&[("env", "prod")]),
            agent_version: "^1".into(),
            ..Default::default()
        },
    ] {
        let compiled = compile(&c).unwrap();
        assert_eq!(
            compiled.matches_agent(&agent),
            compiled.matches(&agent.id, &agent.metadata()),
            "{c:?}"
        );
    }
}

#[test]
fn operator_labels_reported_labels_and_observed_address_are_apart() {
    let now = crate::model::Timestamp::now();
    let mut agent = Agent::registered(id("ag-a"), "a", labels(&[("env", "prod")]), now);
    agent.reported_labels = labels(&[("env", "dev"), ("role", "web")]);
    agent.ip_addresses = strings(&["10.1.0.5"]);
    agent.observed_ip = Some("192.0.2.7".into());
    let m = |c: GroupCriteria| compile(&c).unwrap().matches_agent(&agent);
    check_apart(&m);
    agent.observed_ip = None;
    let m = |c: GroupCriteria| compile(&c).unwrap().matches_agent(&agent);
    // never seen: an observed_cidr criterion cannot match
    assert!(!m(GroupCriteria {
        observed_cidr: strings(&["0.0.0.0/0", "::/0"]),
        ..Default::default()
    }));
    let e =
        compile(&GroupCriteria { observed_cidr: strings(&["10.0.0.0/33"]), ..Default::default() })
            .unwrap_err();
    assert!(e.to_string().starts_with("criteria.observed_cidr[0]:"), "{e}");
    let e =
        compile(&GroupCriteria { reported_labels: labels(&[(" ", "x")]), ..Default::default() })
            .unwrap_err();
    assert!(e.to_string().starts_with("criteria.reported_labels:"), "{e}");
}

fn check_apart(m: &dyn Fn(GroupCriteria) -> bool) {
    assert!(
        m(GroupCriteria { labels: labels(&[("env", "prod")]), ..Default::default() }),
        "operator label"
    );
    assert!(
        !m(GroupCriteria { labels: labels(&[("env", "dev")]), ..Default::default() }),
        "a reported value is not an operator label"
    );
    assert!(
        !m(GroupCriteria { labels: labels(&[("role", "web")]), ..Default::default() }),
        "a reported key is not an operator label"
    );
    assert!(
        m(GroupCriteria { reported_labels: labels(&[("env", "dev")]), ..Default::default() }),
        "reported label"
    );
    assert!(
        !m(GroupCriteria { reported_labels: labels(&[("env", "prod")]), ..Default::default() }),
        "an operator label is not reported"
    );
    // the reported address and the observed one are matched by their own criterion
    assert!(m(GroupCriteria { cidr: strings(&["10.1.0.0/16"]), ..Default::default() }));
    assert!(!m(GroupCriteria { observed_cidr: strings(&["10.1.0.0/16"]), ..Default::default() }));
    assert!(m(GroupCriteria { observed_cidr: strings(&["192.0.2.0/24"]), ..Default::default() }));
    assert!(!m(GroupCriteria { cidr: strings(&["192.0.2.0/24"]), ..Default::default() }));
    assert!(m(GroupCriteria {
        observed_cidr: strings(&["192.0.2.0/24"]),
        labels: labels(&[("env", "prod")]),
        ..Default::default()
    }));
}
