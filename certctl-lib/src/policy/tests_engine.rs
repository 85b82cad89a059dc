//! Tests of the engine around the checks: scope, verdicts, JSON shape, config validation.

use serde_json::json;

use super::tests::{cert, rule};
use super::*;
use crate::error::Error;

fn domains_rule(id: &str) -> PolicyRule {
    rule(id, PolicyType::AllowedDomains, json!({"domains": ["*.corp.example"]}))
}

fn ids(e: &Evaluation) -> Vec<&str> {
    e.results.iter().map(|r| r.policy_id.as_str()).collect()
}

#[test]
fn scope_by_group_and_environment() {
    let mut by_group = domains_rule("pol-group");
    by_group.scope.agent_group_ids = vec!["grp-dmz".into(), "grp-web".into()];
    let mut other_group = domains_rule("pol-other-group");
    other_group.scope.agent_group_ids = vec!["grp-db".into()];
    let mut by_env = domains_rule("pol-env");
    by_env.scope.environments = vec!["PRODUCTION".into()];
    let mut other_env = domains_rule("pol-other-env");
    other_env.scope.environments = vec!["staging".into()];
    let mut both = domains_rule("pol-both");
    both.scope = PolicyScope {
        agent_group_ids: vec!["grp-web".into()],
        environments: vec!["staging".into()],
    };
    let mut disabled = domains_rule("pol-disabled");
    disabled.enabled = false;
    let global = domains_rule("pol-global");
    let rules = [by_group, other_group, by_env, other_env, both, disabled, global];

    let c = cert();
    let s = c.subject();
    let expected = ["pol-group", "pol-env", "pol-global"];
    assert_eq!(ids(&evaluate(&rules, &s)), expected);
    assert_eq!(ids(&CompiledPolicies::new(&rules).evaluate(&s)), expected);
    for r in &rules {
        assert_eq!(in_scope(r, &s), expected.contains(&r.id.as_str()), "{}", r.id);
    }

    // The same certificate on an agent in no group, without environment: only the global rule.
    let mut elsewhere = cert();
    elsewhere.groups.clear();
    elsewhere.env = None;
    assert_eq!(ids(&evaluate(&rules, &elsewhere.subject())), ["pol-global"]);
}

#[test]
fn group_scoped_enforce_rule_rejects_members_only() {
    let mut r = domains_rule("pol-dmz");
    r.scope.agent_group_ids = vec!["grp-web".into()];
    let c = cert();
    let member = evaluate(std::slice::from_ref(&r), &c.subject());
    assert!(!member.allowed);
    let mut outsider = cert();
    outsider.groups = vec!["grp-db".into()];
    let outside = evaluate(&[r], &outsider.subject());
    assert!(outside.allowed && outside.results.is_empty());
}

#[test]
fn enforce_rejects_warn_lets_through() {
    let c = cert();
    let mut warn = domains_rule("pol-warn");
    warn.mode = PolicyMode::Warn;
    warn.severity = Severity::Warning;
    let passing =
        rule("pol-pass", PolicyType::AllowedIssuers, json!({"issuer_ids": ["iss-local"]}));

    let e = evaluate(&[warn.clone(), passing.clone()], &c.subject());
    assert!(e.allowed);
    assert_eq!(e.warnings().map(|r| r.policy_id.as_str()).collect::<Vec<_>>(), ["pol-warn"]);
    assert_eq!(e.rejections().count(), 0);
    assert_eq!(e.rejection_message(), None);

    let mut enforce = domains_rule("pol-enforce");
    enforce.name = "corp only".into();
    let mut env =
        rule("pol-env", PolicyType::AllowedEnvironments, json!({"environments": ["staging"]}));
    env.name = "staging only".into();
    let e = evaluate(&[warn, passing, enforce, env], &c.subject());
    assert!(!e.allowed);
    assert_eq!(e.failures().count(), 3);
    assert_eq!(
        e.rejections().map(|r| r.policy_id.as_str()).collect::<Vec<_>>(),
        ["pol-enforce", "pol-env"]
    );
    assert_eq!(
        e.rejection_message().as_deref(),
        Some(
            "rejected by policy: corp only: api.example.com, www.example.com are not allowed: domains are \
             *.corp.example; staging only: environment production is not allowed: environments are staging"
        )
    );
}

#[test]
fn json_shape() {
    let c = cert();
    let mut r = rule("pol-iss", PolicyType::AllowedIssuers, json!({"issuer_ids": ["iss-local"]}));
    r.name = "local only".into();
    r.mode = PolicyMode::Warn;
    r.severity = Severity::Critical;
    let e = evaluate(&[r], &c.subject());
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(
        v,
        json!({"allowed": true, "results": [{
            "policy_id": "pol-iss", "name": "local only", "type": "AllowedIssuers", "passed": true,
            "reason": "issuer iss-local is allowed", "severity": "Critical", "mode": "warn"
        }]})
    );
    assert_eq!(serde_json::from_value::<Evaluation>(v).unwrap(), e);
}

#[test]
fn invalid_config_at_evaluation_fails_without_panicking() {
    let c = cert();
    let broken = [
        rule("pol-a", PolicyType::AllowedDomains, json!({"domain": ["a.example"]})),
        rule("pol-b", PolicyType::KeyAlgorithm, json!(null)),
        rule("pol-c", PolicyType::CertificateLifetime, json!({"max_days": "90"})),
    ];
    let e = evaluate(&broken, &c.subject());
    assert!(!e.allowed);
    assert!(e.results.iter().all(|r| !r.passed));
    assert_eq!(
        e.results[0].reason,
        "the rule's config is invalid (config.domain: unknown key; AllowedDomains takes domains); \
         fix or disable the rule"
    );
    assert!(
        e.results[1].reason.contains("config: must be a JSON object"),
        "{}",
        e.results[1].reason
    );
    let compiled = CompiledPolicies::new(&broken);
    assert!(compiled.rules()[2].config_error().is_some_and(|m| m.starts_with("config.max_days")));
    assert_eq!(compiled.evaluate(&c.subject()), e);
}

#[test]
fn draft_rule_can_be_added() {
    let c = cert();
    let mut compiled = CompiledPolicies::new(&[]);
    assert!(compiled.evaluate(&c.subject()).allowed);
    compiled.push(&domains_rule("pol-draft"));
    let e = compiled.evaluate(&c.subject());
    assert!(!e.allowed);
    assert_eq!(ids(&e), ["pol-draft"]);
}

#[test]
fn subject_from_certificate() {
    let now = crate::model::Timestamp::now();
    let record = Certificate {
        id: "mc-x".into(),
        name: "x".into(),
        common_name: "a.corp.example".into(),
        sans: vec![],
        environment: Some("production".into()),
        owner_id: None,
        team_id: None,
        issuer_id: "iss-local".into(),
        renewal_policy_id: "rp-default".into(),
        status: crate::model::CertificateStatus::Pending,
        expires_at: None,
        tags: Default::default(),
        target_ids: vec![],
        last_renewal_at: None,
        last_deployment_at: None,
        created_at: now,
        updated_at: now,
        parent_id: None,
        agent_id: None,
        agent_group_id: None,
        target_template: None,
        children: None,
    };
    let groups = ["grp-web".into()];
    let e = evaluate(&[domains_rule("pol-d")], &Subject::from_certificate(&record, &groups));
    assert!(e.allowed, "{e:?}");
}

#[test]
fn validation_names_the_field() {
    use PolicyType::*;
    let cases = [
        (AllowedIssuers, json!([]), "config"),
        (AllowedIssuers, json!({}), "config.issuer_ids"),
        (AllowedIssuers, json!({"issuer_ids": []}), "config.issuer_ids"),
        (AllowedIssuers, json!({"issuer_ids": ["iss-a", "local"]}), "config.issuer_ids[1]"),
        (AllowedDomains, json!({"domains": "a.example"}), "config.domains"),
        (AllowedDomains, json!({"domains": ["a.example", 7]}), "config.domains[1]"),
        (AllowedDomains, json!({"domains": ["a.*.example"]}), "config.domains[0]"),
        (AllowedDomains, json!({"domains": ["*"]}), "config.domains[0]"),
        (AllowedDomains, json!({"domains": ["-a.example"]}), "config.domains[0]"),
        (AllowedDomains, json!({"domains": ["a b.example"]}), "config.domains[0]"),
        (
            AllowedDomains,
            json!({"domains": ["a.example"], "allow_subdomains": true}),
            "config.allow_subdomains",
        ),
        (RequiredMetadata, json!({}), "config"),
        (RequiredMetadata, json!({"tags": ["app", ""]}), "config.tags[1]"),
        (RequiredMetadata, json!({"require_owner": "yes"}), "config.require_owner"),
        (AllowedEnvironments, json!({"environments": null}), "config.environments"),
        (RenewalLeadTime, json!({"min_days": -1}), "config.min_days"),
        (RenewalLeadTime, json!({"min_days": 7.5}), "config.min_days"),
        (CertificateLifetime, json!({"max_days": 0}), "config.max_days"),
        (CertificateLifetime, json!({"max": 90}), "config.max"),
        (KeyAlgorithm, json!({"allowed": []}), "config.allowed"),
        (KeyAlgorithm, json!({"allowed": ["ECDSA"]}), "config.allowed[0]"),
        (
            KeyAlgorithm,
            json!({"allowed": [{"algorithm": "DSA", "min_size": 2048}]}),
            "config.allowed[0].algorithm",
        ),
        (KeyAlgorithm, json!({"allowed": [{"algorithm": "RSA"}]}), "config.allowed[0].min_size"),
        (
            KeyAlgorithm,
            json!({"allowed": [{"algorithm": "RSA", "min_size": 2048}, {"algorithm": "ECDSA", "min_size": "256"}]}),
            "config.allowed[1].min_size",
        ),
        (
            KeyAlgorithm,
            json!({"allowed": [{"algorithm": "RSA", "min_size": 2048, "curve": "P-256"}]}),
            "config.allowed[0].curve",
        ),
        (SanRules, json!({"max_sans": -2}), "config.max_sans"),
        (SanRules, json!({"allow_wildcards": 1}), "config.allow_wildcards"),
        (SanRules, json!({"allow_ips": false}), "config.allow_ips"),
    ];
    for (rule_type, config, field) in cases {
        match validate_config(rule_type, &config) {
            Err(Error::Invalid { field: got, message }) => {
                assert_eq!(got, field, "{rule_type} {config}: {message}");
                assert!(!message.is_empty());
            }
            other => panic!("{rule_type} {config}: expected Invalid on {field}, got {other:?}"),
        }
    }
    let err =
        validate_config(KeyAlgorithm, &json!({"allowed": [{"algorithm": "RSA"}]})).unwrap_err();
    assert_eq!(err.to_string(), "config.allowed[0].min_size: is required");
}

#[test]
fn valid_configs_pass_validation() {
    use PolicyType::*;
    for (rule_type, config) in [
        (AllowedIssuers, json!({"issuer_ids": ["iss-local"]})),
        (
            AllowedDomains,
            json!({"domains": ["*.Example.com.", "api.example.org", "10.0.0.1", "2001:db8::1", "_acme.example"]}),
        ),
        (RequiredMetadata, json!({"tags": ["app"], "require_owner": null})),
        (AllowedEnvironments, json!({"environments": ["production"]})),
        (RenewalLeadTime, json!({"min_days": 0})),
        (CertificateLifetime, json!({"max_days": 397})),
        (KeyAlgorithm, json!({"allowed": [{"algorithm": "ecdsa", "min_size": 256}]})),
        (SanRules, json!({"max_sans": 0, "allow_wildcards": null})),
    ] {
        assert!(validate_config(rule_type, &config).is_ok(), "{rule_type} {config}");
    }
}
