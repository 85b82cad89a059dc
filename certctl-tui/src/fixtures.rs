//! Fixed data and a fixed clock for the update and snapshot tests.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use certctl::api::{ExpiryBucket, Summary};
use certctl::model::*;

use crate::app::{App, Options};
use crate::msg::{CertDetail, Data, Msg, Slot};
use crate::update::update;

/// 2030-01-10 12:00:00 UTC.
pub fn now() -> Timestamp {
    Timestamp::parse("2030-01-10T12:00:00Z").unwrap()
}

pub fn certs(n: usize) -> Vec<Certificate> {
    let mut v = certctl::testing::sample_certificates(n, now().plus(time::Duration::days(-2)));
    if let Some(c) = v.get_mut(1) {
        c.status = CertificateStatus::Failed;
        c.owner_id = Some("o-alice".into());
        c.target_ids = vec!["t-web1".into()];
    }
    v
}

pub fn agents() -> Vec<Agent> {
    let mk = |id: &str, host: &str, ip: &str, status: AgentStatus, seen_s: i64| {
        let mut a = Agent::registered(
            id.into(),
            host.split('.').next().unwrap_or(host),
            BTreeMap::from([("role".to_owned(), "web".to_owned())]),
            now(),
        );
        a.hostname = host.into();
        a.os = "linux".into();
        a.os_version = "12".into();
        a.arch = "amd64".into();
        a.ip_addresses = vec![ip.into()];
        a.agent_version = "0.1.0".into();
        a.status = status;
        a.last_heartbeat_at = Some(now().plus(time::Duration::seconds(-seen_s)));
        a
    };
    vec![
        mk("ag-web1", "web1.prod.internal", "10.1.0.5", AgentStatus::Online, 12),
        mk("ag-web2", "web2.prod.internal", "10.1.0.6", AgentStatus::Degraded, 40),
        mk("ag-db1", "db1.prod.internal", "10.2.0.9", AgentStatus::Offline, 7200),
    ]
}

pub fn groups() -> Vec<AgentGroup> {
    let criteria = GroupCriteria {
        os: vec!["linux".into()],
        cidr: vec!["10.1.0.0/16".into()],
        ..Default::default()
    };
    vec![AgentGroup {
        id: "grp-web".into(),
        name: "web".into(),
        description: "web tier".into(),
        criteria,
        created_at: now(),
        updated_at: now(),
    }]
}

pub fn jobs() -> Vec<Job> {
    let mut ok = Job::new(
        JobType::Renewal,
        JobStatus::Completed,
        "mc-bench-000000".into(),
        3,
        now().plus(time::Duration::minutes(-5)),
    );
    ok.id = "job-ok".into();
    let mut bad = Job::new(
        JobType::Deployment,
        JobStatus::Failed,
        "mc-bench-000001".into(),
        3,
        now().plus(time::Duration::hours(-3)),
    );
    bad.id = "job-bad".into();
    bad.target_id = Some("t-web1".into());
    bad.attempts = 3;
    bad.last_error = Some("nginx -t failed: cannot load certificate".into());
    vec![ok, bad]
}

pub fn policies() -> Vec<PolicyRule> {
    vec![PolicyRule {
        id: "pol-owner".into(),
        name: "Owned".into(),
        rule_type: PolicyType::RequiredMetadata,
        config: serde_json::json!({"require_owner": true}),
        enabled: true,
        severity: Severity::Warning,
        mode: PolicyMode::Warn,
        scope: PolicyScope::default(),
        created_at: now(),
        updated_at: now(),
    }]
}

pub fn violations() -> Vec<PolicyViolation> {
    vec![PolicyViolation {
        id: "viol-1".into(),
        policy_id: "pol-owner".into(),
        certificate_id: "mc-bench-000000".into(),
        message: "certificate has no owner".into(),
        severity: Severity::Warning,
        created_at: now().plus(time::Duration::hours(-1)),
        resolved_at: None,
    }]
}

pub fn audit() -> Vec<AuditEvent> {
    (1..=3)
        .rev()
        .map(|i| {
            let d = AuditDraft::new(
                "admin",
                ActorType::User,
                "certificate_created",
                "certificate",
                format!("mc-bench-{i:06}"),
            );
            AuditEvent::chain(
                d,
                i,
                String::new(),
                now().plus(time::Duration::minutes(-10 * i)),
                &AuditKey::derive(b"tui fixtures"),
            )
        })
        .collect()
}

pub fn summary() -> Summary {
    let edges = certctl::api::EXPIRY_HISTOGRAM_EDGES;
    let mut prev = 0;
    let mut hist = Vec::new();
    for (i, d) in edges.iter().enumerate() {
        hist.push(ExpiryBucket {
            from_day: prev,
            to_day: *d,
            count: [12, 30, 7, 0, 44, 18, 9, 25, 3, 0, 16, 21, 5][i],
        });
        prev = *d;
    }
    Summary {
        certificates_by_status: BTreeMap::from([
            ("Active".into(), 70_000),
            ("Expiring".into(), 10_000),
            ("Pending".into(), 10_000),
            ("Failed".into(), 12),
        ]),
        expiring_within_7_days: 12,
        expiring_within_14_days: 42,
        expiring_within_30_days: 49,
        agents_by_status: BTreeMap::from([
            ("Online".into(), 1),
            ("Degraded".into(), 1),
            ("Offline".into(), 1),
        ]),
        failed_jobs: 4,
        generated_at: Some(now()),
        failed_jobs_24h: 1,
        open_violations: 1,
        expiry_histogram: hist,
    }
}

pub fn page<T>(data: Vec<T>, total: i64) -> Page<T> {
    let n = data.len() as u32;
    Page::new(data, total, PageRequest::new(1, n.max(1)))
}

/// An app whose every pane is loaded with the fixtures, at [`now`].
pub fn loaded_app(read_only: bool, color: bool) -> App {
    let opts =
        Options { read_only, color, server: "http://127.0.0.1:8443".into(), ..Options::default() };
    let mut app = App::new(opts, now());
    let answer = |app: &mut App, slot: Slot, data: Data| {
        app.next_seq += 1;
        let seq = app.next_seq;
        set_seq(app, slot, seq);
        update(app, Msg::Loaded { slot, seq, result: Ok(data) });
    };
    answer(&mut app, Slot::Summary, Data::Summary(summary()));
    answer(&mut app, Slot::Certs, Data::Certs(page(certs(30), 100_000)));
    answer(&mut app, Slot::Agents, Data::Agents { agents: page(agents(), 3), groups: groups() });
    answer(&mut app, Slot::Groups, Data::Groups(page(groups(), 1)));
    answer(&mut app, Slot::Members, Data::Members(page(agents()[..2].to_vec(), 2)));
    answer(&mut app, Slot::Jobs, Data::Jobs(page(jobs(), 2)));
    answer(&mut app, Slot::Policies, Data::Policies(page(policies(), 1)));
    answer(&mut app, Slot::Violations, Data::Violations(page(violations(), 1)));
    answer(&mut app, Slot::Audit, Data::Audit(page(audit(), 3)));
    app
}

/// The certificate detail of the second fixture certificate.
pub fn cert_detail() -> CertDetail {
    let cert = certs(2).remove(1);
    let version = CertificateVersion {
        id: "cv-1".into(),
        certificate_id: cert.id.clone(),
        serial_number: "4f2a9c0d11e3b7a5".into(),
        not_before: now().plus(time::Duration::days(-60)),
        not_after: now().plus(time::Duration::days(30)),
        fingerprint_sha256: "ab".repeat(32),
        pem_chain: String::new(),
        csr_pem: None,
        key_algorithm: "ECDSA".into(),
        key_size: 256,
        revoked_at: None,
        revocation_reason: None,
        key_ciphertext: None,
        created_at: now(),
    };
    let target = Target {
        id: "t-web1".into(),
        name: "web1-nginx".into(),
        target_type: "nginx".into(),
        agent_id: Some("ag-web1".into()),
        config: serde_json::json!({}),
        enabled: true,
        created_at: now(),
        updated_at: now(),
    };
    CertDetail {
        cert,
        versions: vec![version],
        targets: vec![(target, Some("Failed".into()))],
        jobs: jobs()[1..].to_vec(),
        violations: violations(),
        violations_partial: false,
        audit: audit(),
    }
}

/// Marks the pane of `slot` as waiting for `seq` (as `update` does when it starts a load).
pub fn set_seq(app: &mut App, slot: Slot, seq: u64) {
    match slot {
        Slot::Summary => app.summary.seq = seq,
        Slot::Certs => app.certs.list.pane.seq = seq,
        Slot::CertDetail => app.cert_detail.seq = seq,
        Slot::Agents => app.fleet.list.pane.seq = seq,
        Slot::AgentDetail => app.agent_detail.seq = seq,
        Slot::Groups => app.groups.pane.seq = seq,
        Slot::Members => app.members.seq = seq,
        Slot::Jobs => app.jobs.pane.seq = seq,
        Slot::Policies => app.policies.pane.seq = seq,
        Slot::Violations => app.violations.seq = seq,
        Slot::Audit => app.audit.pane.seq = seq,
    }
}
