//! Policy benchmark: one certificate against 100 mixed rules, compiled path and one-shot path.
//! Run: `cargo bench -p certctl-lib --bench policy [-- ITERATIONS]`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use certctl::model::*;
use certctl::policy::{CompiledPolicies, Subject, evaluate};
use common::report;
use serde_json::json;

/// 100 rules, every type, a third scoped to groups or environments (some in scope, some not),
/// a few disabled, a mix of enforce and warn, passing and failing.
fn rules() -> Vec<PolicyRule> {
    let now = Timestamp::now();
    (0..100)
        .map(|i| {
            let (rule_type, config) = match i % 8 {
                0 => (PolicyType::AllowedIssuers, json!({"issuer_ids": ["iss-local", "iss-vault", format!("iss-x{i}")]})),
                1 => (
                    PolicyType::AllowedDomains,
                    json!({"domains": ["*.corp.example", "api.example.com", "www.example.com", format!("h{i}.example.net"), "10.0.0.7"]}),
                ),
                2 => (PolicyType::RequiredMetadata, json!({"tags": ["app", "cost-center"], "require_owner": true, "require_team": i % 3 == 0})),
                3 => (PolicyType::AllowedEnvironments, json!({"environments": ["production", "staging"]})),
                4 => (PolicyType::RenewalLeadTime, json!({"min_days": 14 + i % 20})),
                5 => (PolicyType::CertificateLifetime, json!({"max_days": 60 + i})),
                6 => (
                    PolicyType::KeyAlgorithm,
                    json!({"allowed": [{"algorithm": "ECDSA", "min_size": 256}, {"algorithm": "RSA", "min_size": 3072}]}),
                ),
                _ => (PolicyType::SanRules, json!({"max_sans": 3 + i % 3, "allow_wildcards": false, "allow_ip_addresses": i % 2 == 0})),
            };
            let scope = match i % 6 {
                0 => PolicyScope { agent_group_ids: vec!["grp-web".into()], environments: vec![] },
                1 => PolicyScope { agent_group_ids: vec!["grp-db".into(), "grp-dmz".into()], environments: vec![] },
                2 => PolicyScope { agent_group_ids: vec![], environments: vec!["production".into()] },
                _ => PolicyScope::default(),
            };
            PolicyRule {
                id: PolicyId::from_trusted(format!("pol-{i:03}")),
                name: format!("rule {i}"),
                rule_type,
                config,
                enabled: i % 10 != 9,
                severity: Severity::Error,
                mode: if i % 4 == 0 { PolicyMode::Enforce } else { PolicyMode::Warn },
                scope,
                created_at: now,
                updated_at: now,
            }
        })
        .collect()
}

fn main() {
    let iterations: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let rules = rules();
    let sans: Vec<String> = ["api.example.com", "www.example.com", "a.corp.example", "10.0.0.7"]
        .map(String::from)
        .to_vec();
    let tags = BTreeMap::from([("app".to_owned(), "shop".to_owned())]);
    let issuer: IssuerId = "iss-local".into();
    let owner: OwnerId = "o-alice".into();
    let groups: Vec<GroupId> = vec!["grp-web".into(), "grp-linux".into()];
    let subject = Subject {
        common_name: "api.example.com",
        sans: &sans,
        environment: Some("production"),
        issuer_id: &issuer,
        owner_id: Some(&owner),
        team_id: None,
        tags: &tags,
        renewal_window_days: Some(30),
        lifetime_days: Some(90),
        key: Some(("ECDSA", 256)),
        agent_group_ids: &groups,
    };

    let compiled = CompiledPolicies::new(&rules);
    let sample = compiled.evaluate(&subject);
    assert_eq!(sample, evaluate(&rules, &subject));
    println!(
        "100 rules ({} enabled), {} in scope, {} failing, allowed={}; {iterations} iterations per case",
        compiled.rules().len(),
        sample.results.len(),
        sample.failures().count(),
        sample.allowed
    );

    let time = |name: &str, f: &dyn Fn()| {
        for _ in 0..iterations / 10 {
            f();
        }
        let samples = (0..iterations)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        report(name, samples);
    };
    time("compiled: CompiledPolicies::evaluate (100 rules)", &|| {
        black_box(compiled.evaluate(black_box(&subject)));
    });
    time("one-shot: policy::evaluate (100 rules)", &|| {
        black_box(evaluate(black_box(&rules), black_box(&subject)));
    });
    time("compile only: CompiledPolicies::new (100 rules)", &|| {
        black_box(CompiledPolicies::new(black_box(&rules)));
    });
}
