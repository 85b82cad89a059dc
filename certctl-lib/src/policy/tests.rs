//! Table-driven tests of every rule type: pass and fail, with the exact reason text.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::model::Timestamp;

/// An owned certificate fixture that lends a [`Subject`].
#[derive(Clone)]
pub(super) struct Cert {
    pub cn: String,
    pub sans: Vec<String>,
    pub env: Option<String>,
    pub issuer: IssuerId,
    pub owner: Option<OwnerId>,
    pub team: Option<TeamId>,
    pub tags: BTreeMap<String, String>,
    pub renewal: Option<i64>,
    pub lifetime: Option<i64>,
    pub key: Option<(String, u32)>,
    pub groups: Vec<GroupId>,
}

impl Cert {
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            common_name: &self.cn,
            sans: &self.sans,
            environment: self.env.as_deref(),
            issuer_id: &self.issuer,
            owner_id: self.owner.as_ref(),
            team_id: self.team.as_ref(),
            tags: &self.tags,
            renewal_window_days: self.renewal,
            lifetime_days: self.lifetime,
            key: self.key.as_ref().map(|(a, s)| (a.as_str(), *s)),
            agent_group_ids: &self.groups,
        }
    }
}

/// api.example.com + www.example.com, production, iss-local, owner and team set, tag app=shop,
/// renewal window 30 days, lifetime 90 days, key unknown, on an agent in grp-web.
pub(super) fn cert() -> Cert {
    Cert {
        cn: "api.example.com".into(),
        sans: vec!["api.example.com".into(), "www.example.com".into()],
        env: Some("production".into()),
        issuer: "iss-local".into(),
        owner: Some("o-alice".into()),
        team: Some("team-web".into()),
        tags: BTreeMap::from([("app".into(), "shop".into())]),
        renewal: Some(30),
        lifetime: Some(90),
        key: None,
        groups: vec!["grp-web".into()],
    }
}

pub(super) fn rule(id: &str, rule_type: PolicyType, config: Value) -> PolicyRule {
    let now = Timestamp::now();
    PolicyRule {
        id: id.into(),
        name: format!("{rule_type} rule"),
        rule_type,
        config,
        enabled: true,
        severity: Severity::Error,
        mode: PolicyMode::Enforce,
        scope: PolicyScope::default(),
        created_at: now,
        updated_at: now,
    }
}

/// (passed, reason) of one rule against a fixture, through the one-shot and compiled paths.
fn run(rule_type: PolicyType, config: &Value, c: &Cert) -> (bool, String) {
    let rules = [rule("pol-t", rule_type, config.clone())];
    let one_shot = evaluate(&rules, &c.subject());
    let compiled = CompiledPolicies::new(&rules).evaluate(&c.subject());
    assert_eq!(one_shot, compiled, "one-shot and compiled paths differ");
    assert_eq!(one_shot.results.len(), 1);
    let r = &one_shot.results[0];
    assert_eq!(one_shot.allowed, r.passed, "enforce verdict follows the rule");
    (r.passed, r.reason.clone())
}

type Case = (&'static str, Value, fn(&mut Cert), bool, &'static str);

fn table(rule_type: PolicyType, cases: &[Case]) {
    for (label, config, tweak, passed, reason) in cases {
        assert!(validate_config(rule_type, config).is_ok(), "{label}: config must be valid");
        let mut c = cert();
        tweak(&mut c);
        let got = run(rule_type, config, &c);
        assert_eq!(got, (*passed, reason.to_string()), "{rule_type} / {label}");
    }
}

fn same(_: &mut Cert) {}

fn names(c: &mut Cert, cn: &str, sans: &[&str]) {
    c.cn = cn.into();
    c.sans = sans.iter().map(|s| s.to_string()).collect();
}

#[test]
fn allowed_issuers() {
    let cfg = json!({"issuer_ids": ["iss-local", "iss-vault"]});
    table(
        PolicyType::AllowedIssuers,
        &[
            ("listed", cfg.clone(), same, true, "issuer iss-local is allowed"),
            (
                "not listed",
                cfg,
                |c| c.issuer = "iss-acme".into(),
                false,
                "issuer iss-acme is not allowed: allowed issuers are iss-local, iss-vault",
            ),
        ],
    );
}

#[test]
fn allowed_domains() {
    let cfg =
        json!({"domains": ["*.corp.example", "api.example.com", "www.example.com.", "10.0.0.7"]});
    table(
        PolicyType::AllowedDomains,
        &[
            ("exact names", cfg.clone(), same, true, "all 2 names are within the allowed domains"),
            (
                "one name, case and trailing dot ignored",
                cfg.clone(),
                |c| names(c, "API.Example.COM.", &[]),
                true,
                "api.example.com is within the allowed domains",
            ),
            (
                "suffix any depth",
                cfg.clone(),
                |c| names(c, "a.corp.example", &["a.b.corp.example", "x.y.z.corp.example"]),
                true,
                "all 3 names are within the allowed domains",
            ),
            (
                "wildcard name under suffix rule",
                cfg.clone(),
                |c| names(c, "*.corp.example", &["*.a.corp.example"]),
                true,
                "all 2 names are within the allowed domains",
            ),
            (
                "apex is not under the suffix",
                cfg.clone(),
                |c| names(c, "corp.example", &[]),
                false,
                "corp.example is not allowed: domains are *.corp.example, api.example.com, www.example.com, 10.0.0.7",
            ),
            (
                "look-alike suffix",
                cfg.clone(),
                |c| names(c, "evilcorp.example", &[]),
                false,
                "evilcorp.example is not allowed: domains are *.corp.example, api.example.com, www.example.com, 10.0.0.7",
            ),
            (
                "exact rule does not allow subdomains",
                cfg.clone(),
                |c| names(c, "api.example.com", &["v2.api.example.com"]),
                false,
                "v2.api.example.com is not allowed: domains are *.corp.example, api.example.com, www.example.com, 10.0.0.7",
            ),
            (
                "listed IP",
                cfg.clone(),
                |c| names(c, "api.example.com", &["10.0.0.7"]),
                true,
                "all 2 names are within the allowed domains",
            ),
            (
                "unlisted IPs and a foreign name",
                cfg.clone(),
                |c| names(c, "shop.example.org", &["10.0.0.8", "::1"]),
                false,
                "shop.example.org, 10.0.0.8, ::1 are not allowed: domains are *.corp.example, api.example.com, www.example.com, 10.0.0.7",
            ),
            (
                "IP is not a domain",
                json!({"domains": ["*.corp.example"]}),
                |c| names(c, "a.corp.example", &["10.1.2.3"]),
                false,
                "10.1.2.3 is not allowed: domains are *.corp.example",
            ),
            (
                "shop example from the spec",
                json!({"domains": ["*.corp.example", "api.example.com"]}),
                |c| names(c, "shop.example.org", &[]),
                false,
                "shop.example.org is not allowed: domains are *.corp.example, api.example.com",
            ),
        ],
    );
}

#[test]
fn allowed_domains_long_list_is_abbreviated() {
    let domains: Vec<String> = (0..13).map(|i| format!("h{i}.example.com")).collect();
    let mut c = cert();
    names(&mut c, "x.example.com", &[]);
    let (passed, reason) = run(PolicyType::AllowedDomains, &json!({ "domains": domains }), &c);
    assert!(!passed);
    assert!(reason.ends_with("h9.example.com and 3 more"), "{reason}");
}

#[test]
fn required_metadata() {
    let cfg = json!({"tags": ["app", "cost-center"], "require_owner": true, "require_team": true});
    table(
        PolicyType::RequiredMetadata,
        &[
            (
                "all present",
                cfg.clone(),
                |c| {
                    c.tags.insert("cost-center".into(), "42".into());
                },
                true,
                "required metadata is present: owner, team, tag app, tag cost-center",
            ),
            (
                "missing owner and tag",
                cfg.clone(),
                |c| c.owner = None,
                false,
                "missing required metadata: owner, tag cost-center",
            ),
            (
                "blank tag counts as missing",
                json!({"tags": ["app"]}),
                |c| {
                    c.tags.insert("app".into(), " ".into());
                },
                false,
                "missing required metadata: tag app",
            ),
            (
                "team only",
                json!({"require_team": true}),
                |c| c.team = None,
                false,
                "missing required metadata: team",
            ),
            (
                "owner only, present",
                json!({"require_owner": true, "require_team": false}),
                same,
                true,
                "required metadata is present: owner",
            ),
        ],
    );
}

#[test]
fn allowed_environments() {
    let cfg = json!({"environments": ["production", "staging"]});
    table(
        PolicyType::AllowedEnvironments,
        &[
            ("listed", cfg.clone(), same, true, "environment production is allowed"),
            (
                "case-insensitive",
                cfg.clone(),
                |c| c.env = Some("Staging".into()),
                true,
                "environment Staging is allowed",
            ),
            (
                "not listed",
                cfg.clone(),
                |c| c.env = Some("dev".into()),
                false,
                "environment dev is not allowed: environments are production, staging",
            ),
            (
                "unset",
                cfg,
                |c| c.env = None,
                false,
                "no environment is set: environments are production, staging",
            ),
        ],
    );
}

#[test]
fn renewal_lead_time() {
    let cfg = json!({"min_days": 14});
    table(
        PolicyType::RenewalLeadTime,
        &[
            (
                "longer",
                cfg.clone(),
                same,
                true,
                "renewal window of 30 days meets the minimum of 14 days",
            ),
            (
                "equal",
                cfg.clone(),
                |c| c.renewal = Some(14),
                true,
                "renewal window of 14 days meets the minimum of 14 days",
            ),
            (
                "shorter",
                cfg.clone(),
                |c| c.renewal = Some(7),
                false,
                "renewal window of 7 days is shorter than the minimum of 14 days",
            ),
            (
                "unknown",
                cfg,
                |c| c.renewal = None,
                true,
                "renewal window not known yet (checked once a renewal policy is set)",
            ),
        ],
    );
}

#[test]
fn certificate_lifetime() {
    let cfg = json!({"max_days": 90});
    table(
        PolicyType::CertificateLifetime,
        &[
            (
                "equal",
                cfg.clone(),
                same,
                true,
                "lifetime of 90 days is within the maximum of 90 days",
            ),
            (
                "longer",
                cfg.clone(),
                |c| c.lifetime = Some(398),
                false,
                "lifetime of 398 days exceeds the maximum of 90 days",
            ),
            (
                "unknown",
                cfg,
                |c| c.lifetime = None,
                true,
                "lifetime not known yet (checked at issuance)",
            ),
        ],
    );
}

#[test]
fn key_algorithm() {
    let cfg = json!({"allowed": [{"algorithm": "ECDSA", "min_size": 256}, {"algorithm": "RSA", "min_size": 3072}]});
    table(
        PolicyType::KeyAlgorithm,
        &[
            ("unknown key", cfg.clone(), same, true, "key not known yet (checked on CSR)"),
            (
                "P-256",
                cfg.clone(),
                |c| c.key = Some(("ECDSA".into(), 256)),
                true,
                "ECDSA 256-bit key is allowed",
            ),
            (
                "RSA 4096, lowercase family",
                cfg.clone(),
                |c| c.key = Some(("rsa".into(), 4096)),
                true,
                "RSA 4096-bit key is allowed",
            ),
            (
                "RSA too small",
                cfg.clone(),
                |c| c.key = Some(("RSA".into(), 2048)),
                false,
                "RSA 2048-bit key is not allowed: allowed keys are ECDSA >= 256 bits, RSA >= 3072 bits",
            ),
            (
                "other family",
                json!({"allowed": [{"algorithm": "ECDSA", "min_size": 384}]}),
                |c| c.key = Some(("Ed25519".into(), 256)),
                false,
                "Ed25519 256-bit key is not allowed: allowed keys are ECDSA >= 384 bits",
            ),
        ],
    );
}

#[test]
fn san_rules() {
    let strict = json!({"max_sans": 2, "allow_wildcards": false, "allow_ip_addresses": false});
    table(
        PolicyType::SanRules,
        &[
            (
                "within",
                strict.clone(),
                same,
                true,
                "SAN count 2 is within the maximum of 2; no wildcard names; no IP addresses",
            ),
            (
                "duplicates and the CN are not extra SANs",
                strict.clone(),
                |c| {
                    names(
                        c,
                        "api.example.com",
                        &["api.example.com", "API.example.com.", "www.example.com"],
                    )
                },
                true,
                "SAN count 2 is within the maximum of 2; no wildcard names; no IP addresses",
            ),
            (
                "everything wrong",
                strict.clone(),
                |c| names(c, "*.example.com", &["*.example.com", "a.example.com", "10.0.0.7"]),
                false,
                "SAN count 3 exceeds the maximum of 2; wildcard names are not allowed: *.example.com; IP addresses are not allowed: 10.0.0.7",
            ),
            (
                "wildcards and IPs allowed",
                json!({"allow_wildcards": true, "allow_ip_addresses": true}),
                |c| names(c, "*.example.com", &["10.0.0.7"]),
                true,
                "no SAN restrictions are configured",
            ),
            ("empty config", json!({}), same, true, "no SAN restrictions are configured"),
            (
                "IPv6 only rule",
                json!({"allow_ip_addresses": false}),
                |c| names(c, "a.example.com", &["2001:db8::1"]),
                false,
                "IP addresses are not allowed: 2001:db8::1",
            ),
        ],
    );
}
