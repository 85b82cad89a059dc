//! Agents: registration, heartbeats with metadata, filters, staleness.

use std::sync::Arc;

use certctl::Error;
use certctl::model::*;
use certctl::store::{Beat, Store};

use crate::support::*;
use crate::{assert_err, both_backends};

both_backends! {
    agents => agents;
    agent_facts => agent_facts;
    bootstrap_tokens => bootstrap_tokens;
}

fn beat(id: &str, m: AgentMetadata) -> Beat {
    Beat { agent_id: id.into(), meta: m, observed_ip: None }
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
    assert_err!(
        s.create_agent(&agent("ag-a"), &audit("agent_registered", "ag-a")).await,
        Error::Conflict(_)
    );
    let t0 = ts("2027-01-01T00:00:00Z");
    let a = s
        .record_heartbeat(
            &"ag-a".into(),
            &meta("web-1", "linux", "x86_64", &["10.1.0.5", "fd00::5"]),
            t0,
        )
        .await
        .unwrap();
    assert_eq!(
        (a.status, a.hostname.as_str(), a.last_heartbeat_at),
        (AgentStatus::Online, "web-1", Some(t0))
    );
    assert_eq!(a.metadata(), meta("web-1", "linux", "x86_64", &["10.1.0.5", "fd00::5"]));
    assert_eq!(s.get_agent(&"ag-a".into()).await.unwrap(), a);
    s.record_heartbeat(
        &"ag-b".into(),
        &meta("web-2", "Linux", "aarch64", &["10.1.0.6"]),
        t0.plus(time::Duration::seconds(100)),
    )
    .await
    .unwrap();
    s.record_heartbeat(
        &"ag-c".into(),
        &meta("win-1", "windows", "x86_64", &["10.2.0.1"]),
        t0.plus(time::Duration::seconds(100)),
    )
    .await
    .unwrap();
    assert_err!(
        s.record_heartbeat(&"ag-zz".into(), &meta("x", "linux", "x86_64", &[]), t0).await,
        Error::NotFound { .. }
    );

    let list = |f: AgentFilter| {
        let s = s.clone();
        async move {
            let p = s.list_agents(&f, PageRequest::default()).await.unwrap();
            assert_eq!(p.total as usize, p.data.len());
            p.data.into_iter().map(|a| a.id.to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(AgentFilter { os: Some("LINUX".into()), ..Default::default() }).await,
        ["ag-a", "ag-b"],
        "os is case-insensitive"
    );
    assert_eq!(
        list(AgentFilter { arch: Some("x86_64".into()), ..Default::default() }).await,
        ["ag-a", "ag-c"]
    );
    assert_eq!(
        list(AgentFilter { status: Some(AgentStatus::Offline), ..Default::default() }).await,
        ["ag-d"]
    );
    assert_eq!(
        list(AgentFilter { ids: Some(vec!["ag-b".into(), "ag-d".into()]), ..Default::default() })
            .await,
        ["ag-b", "ag-d"]
    );
    assert!(list(AgentFilter { ids: Some(vec![]), ..Default::default() }).await.is_empty());
    assert_eq!(
        list(AgentFilter {
            os: Some("linux".into()),
            arch: Some("aarch64".into()),
            ..Default::default()
        })
        .await,
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
    let back = s
        .record_heartbeat(
            &"ag-a".into(),
            &meta("web-1", "linux", "x86_64", &["10.9.0.5"]),
            t0.plus(time::Duration::seconds(600)),
        )
        .await
        .unwrap();
    assert_eq!(
        (back.status, back.ip_addresses.clone()),
        (AgentStatus::Online, vec!["10.9.0.5".to_owned()])
    );

    // many heartbeats in one statement: the last per agent wins; unknown agents are left out
    let t1 = t0.plus(time::Duration::seconds(700));
    let beats = vec![
        beat("ag-b", meta("web-2", "linux", "aarch64", &["10.1.0.7"])),
        beat("ag-zz", meta("ghost", "linux", "x86_64", &[])),
        beat("ag-c", meta("win-1", "windows", "x86_64", &["10.2.0.1"])),
        beat("ag-b", meta("web-2b", "linux", "aarch64", &["10.1.0.8", "fd00::8"])),
    ];
    let mut updated = s.record_heartbeats(&beats, t1).await.unwrap();
    updated.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(updated.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["ag-b", "ag-c"]);
    let b = s.get_agent(&"ag-b".into()).await.unwrap();
    assert_eq!(
        (b.hostname.as_str(), b.ip_addresses.clone(), b.status, b.last_heartbeat_at),
        (
            "web-2b",
            vec!["10.1.0.8".to_owned(), "fd00::8".to_owned()],
            AgentStatus::Online,
            Some(t1)
        )
    );
    assert_eq!(b.reported_labels.get("env").map(String::as_str), Some("prod"));
    assert!(b.labels.is_empty(), "reported labels never become operator labels: {:?}", b.labels);
    assert_eq!(updated[0], b, "the returned rows are the stored ones");
    assert!(s.record_heartbeats(&[], t1).await.unwrap().is_empty());

    // retired agents refuse heartbeats
    let mut d = s.get_agent(&"ag-d".into()).await.unwrap();
    d.status = AgentStatus::Retired;
    d.name = "old box".into();
    let d = s.update_agent(&d, &audit("agent_retired", "ag-d")).await.unwrap();
    assert_eq!((d.status, d.name.as_str()), (AgentStatus::Retired, "old box"));
    assert_err!(
        s.record_heartbeat(&"ag-d".into(), &meta("x", "linux", "x86_64", &[]), t0).await,
        Error::Conflict(_)
    );
    assert!(
        s.record_heartbeats(&[beat("ag-d", meta("x", "linux", "x86_64", &[]))], t0)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Heartbeats write reported facts and the observed address, never the operator's labels; a
/// change of facts is audited with what changed, an unchanged heartbeat is not.
async fn agent_facts(s: Arc<dyn Store>) {
    let mut a = agent("ag-f");
    a.labels = [("env".to_owned(), "prod".to_owned())].into();
    s.create_agent(&a, &audit("agent_registered", "ag-f")).await.unwrap();
    let facts = |s: Arc<dyn Store>| async move {
        let f = AuditFilter {
            action: Some("agent_facts_changed".into()),
            resource_id: Some("ag-f".into()),
            ..Default::default()
        };
        s.list_audit(&f, PageRequest::default()).await.unwrap().data
    };
    let t0 = ts("2027-01-01T00:00:00Z");
    let mut m = meta("web-1", "linux", "x86_64", &["10.1.0.5"]);
    m.labels = [("env".to_owned(), "dev".to_owned())].into();
    let b =
        Beat { agent_id: "ag-f".into(), meta: m.clone(), observed_ip: Some("192.0.2.7".into()) };
    let got = s.record_heartbeats(std::slice::from_ref(&b), t0).await.unwrap().pop().unwrap();
    assert_eq!(got.labels.get("env").map(String::as_str), Some("prod"), "operator label kept");
    assert_eq!(got.reported_labels.get("env").map(String::as_str), Some("dev"));
    assert_eq!(got.observed_ip.as_deref(), Some("192.0.2.7"));
    let evs = facts(s.clone()).await;
    assert_eq!(evs.len(), 1, "{evs:?}");
    let d = &evs[0].details;
    assert_eq!((evs[0].actor.as_str(), evs[0].actor_type), ("ag-f", ActorType::Agent));
    assert_eq!(d["hostname"]["to"], "web-1");
    assert_eq!(d["observed_ip"]["to"], "192.0.2.7");
    assert_eq!(d["reported_labels"]["to"]["env"], "dev");
    assert!(d.get("os_version").is_some() && d.get("labels").is_none(), "{d}");
    // the same again: nothing to audit
    s.record_heartbeats(std::slice::from_ref(&b), t0.plus(time::Duration::seconds(60)))
        .await
        .unwrap();
    assert_eq!(facts(s.clone()).await.len(), 1);
    // no observed address (a heartbeat the server could not place) keeps the stored one
    let got =
        s.record_heartbeat(&"ag-f".into(), &m, t0.plus(time::Duration::seconds(90))).await.unwrap();
    assert_eq!(got.observed_ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(facts(s.clone()).await.len(), 1);
    // a new address and a new IP: one event naming both and only them
    let b2 = Beat {
        agent_id: "ag-f".into(),
        meta: meta("web-1", "linux", "x86_64", &["10.1.0.6"]),
        observed_ip: Some("192.0.2.8".into()),
    };
    let mut b2m = b2.clone();
    b2m.meta.labels = m.labels.clone();
    s.record_heartbeats(&[b2m], t0.plus(time::Duration::seconds(120))).await.unwrap();
    let evs = facts(s.clone()).await;
    assert_eq!(evs.len(), 2);
    let keys: Vec<&String> = evs[0].details.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["ip_addresses", "observed_ip"]);
    assert_eq!(evs[0].details["observed_ip"]["from"], "192.0.2.7");
    // pending agents heartbeat and stay Pending
    let mut p = agent("ag-p");
    p.status = AgentStatus::Pending;
    s.create_agent(&p, &audit("agent_registered", "ag-p")).await.unwrap();
    let got = s.record_heartbeat(&"ag-p".into(), &m, t0).await.unwrap();
    assert_eq!(got.status, AgentStatus::Pending);
    assert!(
        s.mark_stale_agents_offline(t0.plus(time::Duration::days(1)))
            .await
            .unwrap()
            .iter()
            .all(|a| a.as_str() != "ag-p")
    );
}

fn token(id: &str, max_uses: Option<i64>, expires_at: Timestamp) -> BootstrapToken {
    BootstrapToken {
        id: BootstrapTokenId::from_trusted(id),
        name: id.into(),
        token_hash: format!("hash-of-{id}"),
        labels: [("site".to_owned(), "fra".to_owned())].into(),
        auto_approve: false,
        max_uses,
        uses: 0,
        expires_at,
        created_by: "admin".into(),
        created_at: Timestamp::now(),
        last_used_at: None,
        revoked_at: None,
    }
}

/// Bootstrap tokens: one use taken with each registration, atomically; expired, used-up and
/// revoked tokens register nothing and leave nothing behind.
async fn bootstrap_tokens(s: Arc<dyn Store>) {
    let now = Timestamp::now();
    let later = now.plus(time::Duration::hours(1));
    s.create_bootstrap_token(
        &token("bt-two", Some(2), later),
        &audit("bootstrap_token_created", "bt-two"),
    )
    .await
    .unwrap();
    s.create_bootstrap_token(
        &token("bt-old", None, now.plus(time::Duration::seconds(-1))),
        &audit("bootstrap_token_created", "bt-old"),
    )
    .await
    .unwrap();
    assert_err!(
        s.create_bootstrap_token(
            &token("bt-two", None, later),
            &audit("bootstrap_token_created", "bt-two")
        )
        .await,
        Error::Conflict(_)
    );
    let found = s.find_bootstrap_token_by_hash("hash-of-bt-two").await.unwrap().unwrap();
    assert_eq!(
        (found.id.as_str(), found.uses, found.labels.get("site").map(String::as_str)),
        ("bt-two", 0, Some("fra"))
    );
    assert!(s.find_bootstrap_token_by_hash("nope").await.unwrap().is_none());
    assert!(
        format!("{found:?}").contains("<redacted>") && !format!("{found:?}").contains("hash-of")
    );

    let tid = BootstrapTokenId::from_trusted("bt-two");
    for id in ["ag-t1", "ag-t2"] {
        s.register_with_bootstrap_token(&tid, &agent(id), now, &audit("agent_registered", id))
            .await
            .unwrap();
    }
    assert_err!(
        s.register_with_bootstrap_token(
            &tid,
            &agent("ag-t3"),
            now,
            &audit("agent_registered", "ag-t3")
        )
        .await,
        Error::Unauthenticated(_)
    );
    assert_err!(s.get_agent(&"ag-t3".into()).await, Error::NotFound { .. });
    let t = s.get_bootstrap_token(&tid).await.unwrap();
    assert_eq!((t.uses, t.last_used_at), (2, Some(now)));
    assert!(!t.usable(now));
    // expired
    let old = BootstrapTokenId::from_trusted("bt-old");
    assert_err!(
        s.register_with_bootstrap_token(
            &old,
            &agent("ag-t4"),
            now,
            &audit("agent_registered", "ag-t4")
        )
        .await,
        Error::Unauthenticated(_)
    );
    assert_err!(s.get_agent(&"ag-t4".into()).await, Error::NotFound { .. });
    // revoked
    s.create_bootstrap_token(
        &token("bt-rev", None, later),
        &audit("bootstrap_token_created", "bt-rev"),
    )
    .await
    .unwrap();
    let rev = BootstrapTokenId::from_trusted("bt-rev");
    let r = s
        .revoke_bootstrap_token(&rev, now, &audit("bootstrap_token_revoked", "bt-rev"))
        .await
        .unwrap();
    assert_eq!(r.revoked_at, Some(now));
    assert_err!(
        s.revoke_bootstrap_token(&rev, now, &audit("bootstrap_token_revoked", "bt-rev")).await,
        Error::Conflict(_)
    );
    assert_err!(
        s.register_with_bootstrap_token(
            &rev,
            &agent("ag-t5"),
            now,
            &audit("agent_registered", "ag-t5")
        )
        .await,
        Error::Unauthenticated(_)
    );
    // an agent id that exists: nothing is used up
    s.create_bootstrap_token(
        &token("bt-one", Some(1), later),
        &audit("bootstrap_token_created", "bt-one"),
    )
    .await
    .unwrap();
    let one = BootstrapTokenId::from_trusted("bt-one");
    assert_err!(
        s.register_with_bootstrap_token(
            &one,
            &agent("ag-t1"),
            now,
            &audit("agent_registered", "ag-t1")
        )
        .await,
        Error::Conflict(_)
    );
    assert_eq!(s.get_bootstrap_token(&one).await.unwrap().uses, 0);
    let page = s.list_bootstrap_tokens(PageRequest::default()).await.unwrap();
    assert_eq!(
        page.data.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["bt-old", "bt-one", "bt-rev", "bt-two"]
    );
}
