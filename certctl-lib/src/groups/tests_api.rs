//! Tests of validation errors, `describe`, `Membership`, `members` and `diff`.

use std::collections::BTreeMap;

use super::*;
use crate::Error;
use crate::model::{AgentStatus, Timestamp};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn validation_errors_name_the_field() {
    let labels =
        |k: &str| [(k.to_string(), "x".to_string())].into_iter().collect::<BTreeMap<_, _>>();
    let ids = |a: &[&str]| a.iter().map(|s| AgentId::from_trusted(*s)).collect::<Vec<_>>();
    #[rustfmt::skip]
    let table: Vec<(GroupCriteria, &str, &str)> = vec![
        // criteria, field, part of the message
        (GroupCriteria { cidr: strings(&["10.0.0.0/8", "10.0.0.0/33"]), ..Default::default() },
         "criteria.cidr[1]", r#""10.0.0.0/33" is not an IPv4 or IPv6 network: prefix length "33" is not a number from 0 to 32"#),
        (GroupCriteria { cidr: strings(&["2001:db8::/129"]), ..Default::default() }, "criteria.cidr[0]", "from 0 to 128"),
        (GroupCriteria { cidr: strings(&["10.0.0/8"]), ..Default::default() }, "criteria.cidr[0]", r#""10.0.0" is not an IP address"#),
        (GroupCriteria { cidr: strings(&["10.0.0.0/+8"]), ..Default::default() }, "criteria.cidr[0]", "prefix length"),
        (GroupCriteria { cidr: strings(&["10.0.0.0/"]), ..Default::default() }, "criteria.cidr[0]", "prefix length"),
        (GroupCriteria { cidr: strings(&["example.com"]), ..Default::default() }, "criteria.cidr[0]", "not an IPv4 or IPv6 network"),
        (GroupCriteria { cidr: strings(&["10.0.0.0/8", " "]), ..Default::default() }, "criteria.cidr[1]", "must not be empty"),
        (GroupCriteria { hostname: strings(&["web-*", "db-[0-9"]), ..Default::default() }, "criteria.hostname[1]", r#""db-[0-9" is not a valid hostname glob: unclosed character class"#),
        (GroupCriteria { hostname: strings(&["{a,b"]), ..Default::default() }, "criteria.hostname[0]", "unclosed alternate group"),
        (GroupCriteria { hostname: strings(&[""]), ..Default::default() }, "criteria.hostname[0]", "must not be empty"),
        (GroupCriteria { os: strings(&["linux", ""]), ..Default::default() }, "criteria.os[1]", "must not be empty"),
        (GroupCriteria { arch: strings(&[" "]), ..Default::default() }, "criteria.arch[0]", "must not be empty"),
        (GroupCriteria { agent_version: ">=1.x.y".into(), ..Default::default() }, "criteria.agent_version", r#"">=1.x.y" is not a semver requirement"#),
        (GroupCriteria { agent_version: "latest".into(), ..Default::default() }, "criteria.agent_version", "not a semver requirement"),
        (GroupCriteria { labels: labels(""), ..Default::default() }, "criteria.labels", "label keys must not be empty"),
        (GroupCriteria { labels: labels("  "), ..Default::default() }, "criteria.labels", "label keys must not be empty"),
        (GroupCriteria { include: ids(&["ag-a", "grp-a"]), ..Default::default() }, "criteria.include[1]", "must start with \"ag-\""),
        (GroupCriteria { exclude: ids(&["ag-A"]), ..Default::default() }, "criteria.exclude[0]", "only a-z, 0-9"),
    ];
    for (c, field, msg) in table {
        match compile(&c) {
            Err(Error::Invalid { field: f, message }) => {
                assert_eq!(f, field, "{c:?}: {message}");
                assert!(message.contains(msg), "{c:?}: {message:?} lacks {msg:?}");
            }
            other => panic!("{c:?}: expected Invalid on {field}, got {other:?}"),
        }
    }
}

#[test]
fn valid_criteria_compile() {
    let c = GroupCriteria {
        os: strings(&[" linux ", "LINUX"]),
        cidr: strings(&["10.1.2.3", "2001:db8::1", "0.0.0.0/0", "::/0", " 10.0.0.0/8 "]),
        hostname: strings(&["*", "a\\*", "{web,api}-[0-9]?"]),
        agent_version: " >=1.2, <2 ".into(),
        ..Default::default()
    };
    compile(&c).unwrap();
}

#[test]
fn describe_text() {
    let ids = |a: &[&str]| a.iter().map(|s| AgentId::from_trusted(*s)).collect::<Vec<_>>();
    let full = GroupCriteria {
        os: strings(&["linux", "darwin"]),
        arch: strings(&["x86_64"]),
        hostname: strings(&["web-*"]),
        cidr: strings(&["10.1.0.0/16"]),
        labels: [("env".to_string(), "prod".to_string())].into_iter().collect(),
        reported_labels: [("role".to_string(), "web".to_string())].into_iter().collect(),
        observed_cidr: strings(&["192.0.2.0/24"]),
        agent_version: ">=1.2".into(),
        include: ids(&["ag-x"]),
        exclude: ids(&["ag-y"]),
    };
    #[rustfmt::skip]
    let table: Vec<(GroupCriteria, &str)> = vec![
        (full.clone(), "os linux|darwin AND arch x86_64 AND hostname web-* AND cidr 10.1.0.0/16 AND observed cidr 192.0.2.0/24 AND label env=prod AND reported label role=web AND version >=1.2 + include ag-x − exclude ag-y"),
        (GroupCriteria::default(), "matches nothing"),
        (GroupCriteria { exclude: ids(&["ag-y"]), ..Default::default() }, "matches nothing"),
        (GroupCriteria { os: strings(&[" ", ""]), agent_version: " ".into(), ..Default::default() }, "matches nothing"),
        (GroupCriteria { include: ids(&["ag-x", "ag-z"]), exclude: ids(&["ag-y"]), ..Default::default() }, "include ag-x|ag-z − exclude ag-y"),
        (GroupCriteria { os: strings(&["linux"]), exclude: ids(&["ag-y"]), ..Default::default() }, "os linux − exclude ag-y"),
        (GroupCriteria {
            labels: [("a".to_string(), "1".to_string()), ("b".to_string(), "".to_string())].into_iter().collect(),
            ..Default::default()
        }, "label a=1 AND label b="),
    ];
    for (c, want) in table {
        assert_eq!(describe(&c), want);
    }
}

fn agent(id: &str, os: &str, ip: &str) -> Agent {
    let now = Timestamp::now();
    Agent {
        id: AgentId::from_trusted(id),
        name: id.into(),
        status: AgentStatus::Online,
        hostname: format!("{id}.example.com"),
        os: os.into(),
        os_version: String::new(),
        arch: "x86_64".into(),
        ip_addresses: vec![ip.into()],
        agent_version: "1.0.0".into(),
        labels: BTreeMap::new(),
        reported_labels: BTreeMap::new(),
        observed_ip: None,
        last_heartbeat_at: None,
        created_at: now,
        updated_at: now,
    }
}

fn gid(s: &str) -> GroupId {
    GroupId::from_trusted(s)
}

fn membership() -> Membership {
    let os = |o: &str| compile(&GroupCriteria { os: strings(&[o]), ..Default::default() }).unwrap();
    let net =
        |n: &str| compile(&GroupCriteria { cidr: strings(&[n]), ..Default::default() }).unwrap();
    Membership::new([
        (gid("grp-windows"), os("windows")),
        (gid("grp-linux"), os("linux")),
        (gid("grp-dc1"), net("10.1.0.0/16")),
        (gid("grp-none"), compile(&GroupCriteria::default()).unwrap()),
    ])
}

#[test]
fn groups_of_one_agent_sorted() {
    let m = membership();
    assert_eq!(m.len(), 4);
    let a = agent("ag-a", "Linux", "10.1.0.9");
    assert_eq!(m.groups_of_agent(&a), vec![gid("grp-dc1"), gid("grp-linux")]);
    assert_eq!(m.groups_of(&a.id, &a.metadata()), vec![gid("grp-dc1"), gid("grp-linux")]);
    // Its IP moves out of the network: it leaves grp-dc1.
    let mut meta = a.metadata();
    meta.ip_addresses = vec!["10.2.0.9".into()];
    let after = m.groups_of(&a.id, &meta);
    assert_eq!(after, vec![gid("grp-linux")]);
    assert_eq!(diff(&m.groups_of_agent(&a), &after), (vec![], vec![gid("grp-dc1")]));
}

#[test]
fn upsert_remove_get() {
    let mut m = membership();
    let a = agent("ag-a", "windows", "192.168.0.1");
    assert_eq!(m.groups_of_agent(&a), vec![gid("grp-windows")]);
    m.upsert(
        gid("grp-windows"),
        compile(&GroupCriteria { os: strings(&["plan9"]), ..Default::default() }).unwrap(),
    );
    assert!(m.groups_of_agent(&a).is_empty());
    m.upsert(
        gid("grp-all-dc"),
        compile(&GroupCriteria { cidr: strings(&["0.0.0.0/0"]), ..Default::default() }).unwrap(),
    );
    assert_eq!(m.groups_of_agent(&a), vec![gid("grp-all-dc")]);
    assert!(m.get(&gid("grp-all-dc")).is_some());
    assert!(m.remove(&gid("grp-all-dc")));
    assert!(!m.remove(&gid("grp-all-dc")));
    assert!(m.get(&gid("grp-all-dc")).is_none());
    assert_eq!(m.len(), 4);
    assert!(!m.is_empty() && Membership::default().is_empty());
}

#[test]
fn members_and_recompute_agree() {
    let agents = vec![
        agent("ag-c", "linux", "10.1.0.1"),
        agent("ag-a", "linux", "10.2.0.1"),
        agent("ag-b", "windows", "10.1.0.2"),
    ];
    let m = membership();
    let all = m.recompute(&agents);
    let ids = |a: &[&str]| a.iter().map(|s| AgentId::from_trusted(*s)).collect::<Vec<_>>();
    assert_eq!(all[&gid("grp-linux")], ids(&["ag-a", "ag-c"]));
    assert_eq!(all[&gid("grp-dc1")], ids(&["ag-b", "ag-c"]));
    assert_eq!(all[&gid("grp-windows")], ids(&["ag-b"]));
    assert_eq!(all[&gid("grp-none")], ids(&[]));
    for (g, want) in &all {
        assert_eq!(&members(m.get(g).unwrap(), &agents), want, "{g}");
    }
}

#[test]
fn diff_sorted_both_ways() {
    let g = |a: &[&str]| a.iter().map(|s| gid(s)).collect::<Vec<_>>();
    #[rustfmt::skip]
    let table = [
        (g(&[]), g(&[]), g(&[]), g(&[])),
        (g(&[]), g(&["grp-b", "grp-a"]), g(&["grp-a", "grp-b"]), g(&[])),
        (g(&["grp-b", "grp-a"]), g(&[]), g(&[]), g(&["grp-a", "grp-b"])),
        (g(&["grp-a", "grp-c"]), g(&["grp-c", "grp-d", "grp-b"]), g(&["grp-b", "grp-d"]), g(&["grp-a"])),
        (g(&["grp-a", "grp-a"]), g(&["grp-a"]), g(&[]), g(&[])),
    ];
    for (before, after, joined, left) in table {
        assert_eq!(diff(&before, &after), (joined, left), "{before:?} -> {after:?}");
    }
}
