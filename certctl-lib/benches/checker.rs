//! Renewal-checker policy pass on SQLite: every certificate re-evaluated against the rules and
//! its stored violations brought in line (`Service::recheck_violations`), with 100,000
//! certificates, 1,000 agents in two groups by network, 20,000 certificates bound to targets on
//! those agents, and three rules (one scoped to a group). The first run opens the violations;
//! the following runs find nothing to change (the steady state of an hourly checker). Last, a
//! fleet certificate over a 500-agent group: the cost of materialising its children.
//!
//! Run: `cargo bench -p certctl-lib --bench checker --features testing [-- N]`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Instant;

use certctl::api::{GroupInput, PolicyInput};
use certctl::model::*;
use certctl::service::{Actor, Service, ServiceConfig};
use certctl::store::prelude::*;
use common::report;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let agents = 1000usize;
    let dir = tempfile::tempdir().expect("tempdir");
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(
        certctl::store::SqliteStore::open(&dir.path().join("certctl.db")).await.expect("open"),
    );
    let svc = Service::open(store.clone(), dir.path(), ServiceConfig::default()).unwrap();
    svc.bootstrap().await.unwrap();
    let sys = Actor::system();
    let now = Timestamp::now();
    let audit = AuditDraft::new("bench", ActorType::System, "imported", "bench", "-");

    // agents with metadata, half of them in 10.0.0.0/9, and a target each
    for i in 0..agents {
        let id = AgentId::from_trusted(format!("ag-{i:04}"));
        store
            .create_agent(
                &Agent::registered(id.clone(), format!("host-{i}"), Default::default(), now),
                &audit,
            )
            .await
            .unwrap();
        let meta = AgentMetadata {
            hostname: format!("host-{i}.example.com"),
            os: "linux".into(),
            ip_addresses: vec![format!("10.{}.{}.{}", (i % 2) * 200, i / 250, i % 250)],
            ..Default::default()
        };
        store.record_heartbeat(&id, &meta, now).await.unwrap();
        let t = Target {
            id: format!("t-{i:04}").as_str().into(),
            name: format!("t{i}"),
            target_type: "file".into(),
            agent_id: Some(id),
            config: serde_json::json!({"cert_path": "/x.pem"}),
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        store.create_target(&t, &audit).await.unwrap();
    }
    svc.create_group(
        &sys,
        &GroupInput {
            id: Some("grp-low".into()),
            name: Some("low".into()),
            criteria: Some(GroupCriteria { cidr: vec!["10.0.0.0/9".into()], ..Default::default() }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    svc.create_group(
        &sys,
        &GroupInput {
            id: Some("grp-high".into()),
            name: Some("high".into()),
            criteria: Some(GroupCriteria {
                cidr: vec!["10.128.0.0/9".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let mut certs = certctl::testing::sample_certificates(n, now);
    for (i, c) in certs.iter_mut().enumerate().filter(|(i, _)| i % 5 == 0) {
        c.target_ids = vec![format!("t-{:04}", (i / 5) % agents).as_str().into()];
    }
    let t = Instant::now();
    for chunk in certs.chunks(1000) {
        store.import_certificates(chunk, &audit).await.unwrap();
    }
    println!("setup: {n} certificates imported in {:.1?}", t.elapsed());

    let rule = |id: &str, ty: &str, config: serde_json::Value, mode: &str, groups: Vec<GroupId>| {
        PolicyInput {
            id: Some(id.into()),
            name: Some(id.into()),
            rule_type: Some(ty.into()),
            config: Some(config),
            mode: Some(mode.parse().unwrap()),
            scope: Some(PolicyScope { agent_group_ids: groups, ..Default::default() }),
            ..Default::default()
        }
    };
    svc.create_policy(
        &sys,
        &rule(
            "pol-domains",
            "AllowedDomains",
            serde_json::json!({"domains": ["*.example.com", "*.example.net"]}),
            "warn",
            vec![],
        ),
    )
    .await
    .unwrap();
    svc.create_policy(
        &sys,
        &rule(
            "pol-sans",
            "SanRules",
            serde_json::json!({"max_sans": 5, "allow_wildcards": false}),
            "enforce",
            vec![],
        ),
    )
    .await
    .unwrap();
    svc.create_policy(
        &sys,
        &rule(
            "pol-low-prod",
            "AllowedDomains",
            serde_json::json!({"domains": ["*.production.example.com", "*.example.net"]}),
            "enforce",
            vec!["grp-low".into()],
        ),
    )
    .await
    .unwrap();

    println!(
        "recheck_violations over {n} certificates ({} cores)",
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)
    );
    let t = Instant::now();
    let first = svc.recheck_violations().await.unwrap();
    println!(
        "{:<52} {:>9.3?} (checked {}, opened {}, resolved {})",
        "first run (opens the violations)",
        t.elapsed(),
        first.checked,
        first.opened,
        first.resolved
    );
    let mut samples = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = svc.recheck_violations().await.unwrap();
        samples.push(t.elapsed());
        assert_eq!((r.opened, r.resolved), (0, 0), "steady state changes nothing");
    }
    report("steady-state run (nothing to change)", samples);
    let open = store
        .list_violations(
            &ViolationFilter { open_only: true, ..Default::default() },
            PageRequest::new(1, 1),
        )
        .await
        .unwrap()
        .total;
    println!("open violations: {open}");

    // a fleet certificate over the 500 agents of grp-low: every child (target, certificate,
    // policy evaluation, issuance job, audit events) materialised in the creating request
    let input = certctl::api::CertificateInput {
        id: Some("mc-fleet".into()),
        common_name: "{agent_name}.production.example.com".into(),
        agent_group_id: Some("grp-low".into()),
        target_template: Some(TargetTemplate {
            target_type: "file".into(),
            name: None,
            config: serde_json::json!({"fullchain_path": "/srv/{agent_id}.pem"}),
        }),
        ..Default::default()
    };
    let t = Instant::now();
    let fleet = svc.create_certificate(&sys, &input).await.unwrap();
    let took = t.elapsed();
    let n_children = fleet.children.map(|c| c.len()).unwrap_or(0);
    println!(
        "{:<52} {:>9.3?} ({n_children} children, {:.2?} each)",
        "fleet certificate created over 500 members",
        took,
        took / n_children.max(1) as u32
    );
}
