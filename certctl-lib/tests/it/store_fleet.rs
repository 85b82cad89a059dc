//! Agents: registration, heartbeats with metadata, filters, staleness.

use std::sync::Arc;

use certctl::model::*;
use certctl::store::Store;
use certctl::Error;

use crate::support::*;
use crate::{assert_err, both_backends};

both_backends! {
    agents => agents;
}

fn meta(host: &str, os: &str, arch: &str, ips: &[&str]) -> AgentMetadata {
    AgentMetadata {
        hostname: host.into(),
        os: os.into(),
        os_version: "12".into(),
        arch: arch.into(),
        ip_addresses: ips.iter().map(|s| s.to_string()).collect(),
        agent_version: "0.1.0".into(),
        labels: [("env".to_owned(), "prod".to_owned())].into(),
    }
}

async fn agents(s: Arc<dyn Store>) {
    for id in ["ag-a", "ag-b", "ag-c", "ag-d"] {
        s.create_agent(&agent(id), &audit("agent_registered", id)).await.unwrap();
    }
    assert_err!(s.create_agent(&agent("ag-a"), &audit("agent_registered", "ag-a")).await, Error::Conflict(_));
    let t0 = ts("2027-01-01T00:00:00Z");
    let a = s.record_heartbeat(&"ag-a".into(), &meta("web-1", "linux", "x86_64", &["10.1.0.5", "fd00::5"]), t0).await.unwrap();
    assert_eq!((a.status, a.hostname.as_str(), a.last_heartbeat_at), (AgentStatus::Online, "web-1", Some(t0)));
    assert_eq!(a.metadata(), meta("web-1", "linux", "x86_64", &["10.1.0.5", "fd00::5"]));
    assert_eq!(s.get_agent(&"ag-a".into()).await.unwrap(), a);
    s.record_heartbeat(&"ag-b".into(), &meta("web-2", "Linux", "aarch64", &["10.1.0.6"]), t0.plus(time::Duration::seconds(100))).await.unwrap();
    s.record_heartbeat(&"ag-c".into(), &meta("win-1", "windows", "x86_64", &["10.2.0.1"]), t0.plus(time::Duration::seconds(100))).await.unwrap();
    assert_err!(s.record_heartbeat(&"ag-zz".into(), &meta("x", "linux", "x86_64", &[]), t0).await, Error::NotFound { .. });

    let list = |f: AgentFilter| {
        let s = s.clone();
        async move {
            let p = s.list_agents(&f, PageRequest::default()).await.unwrap();
            assert_eq!(p.total as usize, p.data.len());
            p.data.into_iter().map(|a| a.id.to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(list(AgentFilter { os: Some("LINUX".into()), ..Default::default() }).await, ["ag-a", "ag-b"], "os is case-insensitive");
    assert_eq!(list(AgentFilter { arch: Some("x86_64".into()), ..Default::default() }).await, ["ag-a", "ag-c"]);
    assert_eq!(list(AgentFilter { status: Some(AgentStatus::Offline), ..Default::default() }).await, ["ag-d"]);
    assert_eq!(list(AgentFilter { ids: Some(vec!["ag-b".into(), "ag-d".into()]), ..Default::default() }).await, ["ag-b", "ag-d"]);
    assert!(list(AgentFilter { ids: Some(vec![]), ..Default::default() }).await.is_empty());
    assert_eq!(
        list(AgentFilter { os: Some("linux".into()), arch: Some("aarch64".into()), ..Default::default() }).await,
        ["ag-b"]
    );
    assert_eq!(s.all_agents().await.unwrap().len(), 4);

    // health: stale agents go Offline; a heartbeat brings them back
    let mut degraded = s.get_agent(&"ag-c".into()).await.unwrap();
    degraded.status = AgentStatus::Degraded;
    s.update_agent(&degraded, &audit("agent_degraded", "ag-c")).await.unwrap();
    let stale = s.mark_stale_agents_offline(t0.plus(time::Duration::seconds(50))).await.unwrap();
    assert_eq!(stale, vec![AgentId::from("ag-a")]);
    let stale = s.mark_stale_agents_offline(t0.plus(time::Duration::seconds(500))).await.unwrap();
    let mut stale: Vec<_> = stale.into_iter().map(|a| a.to_string()).collect();
    stale.sort();
    assert_eq!(stale, ["ag-b", "ag-c"], "Degraded agents go Offline too; ag-d already is");
    let back = s.record_heartbeat(&"ag-a".into(), &meta("web-1", "linux", "x86_64", &["10.9.0.5"]), t0.plus(time::Duration::seconds(600))).await.unwrap();
    assert_eq!((back.status, back.ip_addresses.clone()), (AgentStatus::Online, vec!["10.9.0.5".to_owned()]));

    // many heartbeats in one statement: the last per agent wins; unknown agents are left out
    let t1 = t0.plus(time::Duration::seconds(700));
    let beats = vec![
        ("ag-b".into(), meta("web-2", "linux", "aarch64", &["10.1.0.7"])),
        ("ag-zz".into(), meta("ghost", "linux", "x86_64", &[])),
        ("ag-c".into(), meta("win-1", "windows", "x86_64", &["10.2.0.1"])),
        ("ag-b".into(), meta("web-2b", "linux", "aarch64", &["10.1.0.8", "fd00::8"])),
    ];
    let mut updated = s.record_heartbeats(&beats, t1).await.unwrap();
    updated.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(updated.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["ag-b", "ag-c"]);
    let b = s.get_agent(&"ag-b".into()).await.unwrap();
    assert_eq!((b.hostname.as_str(), b.ip_addresses.clone(), b.status, b.last_heartbeat_at), ("web-2b", vec!["10.1.0.8".to_owned(), "fd00::8".to_owned()], AgentStatus::Online, Some(t1)));
    assert_eq!(b.labels.get("env").map(String::as_str), Some("prod"));
    assert_eq!(updated[0], b, "the returned rows are the stored ones");
    assert!(s.record_heartbeats(&[], t1).await.unwrap().is_empty());

    // retired agents refuse heartbeats
    let mut d = s.get_agent(&"ag-d".into()).await.unwrap();
    d.status = AgentStatus::Retired;
    d.name = "old box".into();
    let d = s.update_agent(&d, &audit("agent_retired", "ag-d")).await.unwrap();
    assert_eq!((d.status, d.name.as_str()), (AgentStatus::Retired, "old box"));
    assert_err!(s.record_heartbeat(&"ag-d".into(), &meta("x", "linux", "x86_64", &[]), t0).await, Error::Conflict(_));
    assert!(s.record_heartbeats(&[("ag-d".into(), meta("x", "linux", "x86_64", &[]))], t0).await.unwrap().is_empty());
}
