//! The policy engine: pure, explainable evaluation of policy rules against a certificate's facts.
//!
//! Enforcement (create, update, CSR), stored violations and `POST /policies/evaluate` all go
//! through [`evaluate`] / [`CompiledPolicies::evaluate`], so what the explain endpoint shows is
//! exactly what enforcement does. Every in-scope rule yields a [`RuleResult`] with a sentence
//! saying why it passed or failed; the verdict [`Evaluation::allowed`] is false iff a failing rule
//! is in `enforce` mode.
//!
//! | type | config | passes when |
//! |---|---|---|
//! | AllowedIssuers | `{issuer_ids: [..]}` | the issuer is listed |
//! | AllowedDomains | `{domains: [..]}` | every name (common name and SANs) is allowed, see below |
//! | RequiredMetadata | `{tags: [keys], require_owner, require_team}` | owner / team set, each tag present and not blank |
//! | AllowedEnvironments | `{environments: [..]}` | the environment is listed (case-insensitive) |
//! | RenewalLeadTime | `{min_days}` | the renewal window is at least `min_days` |
//! | CertificateLifetime | `{max_days}` | the requested or issued validity is at most `max_days` |
//! | KeyAlgorithm | `{allowed: [{algorithm: "ECDSA"\|"RSA", min_size}]}` | the key matches an entry with at least its size |
//! | SanRules | `{max_sans, allow_wildcards, allow_ip_addresses}` (all optional) | every configured limit holds |
//!
//! **AllowedDomains** compares case-insensitively and ignores one trailing dot. An exact entry
//! (`api.example.com`) allows that name only. A `*.example.com` entry allows every name *below*
//! `example.com` at any depth (`a.example.com`, `a.b.example.com`) including the wildcard name
//! `*.example.com` itself, but not the apex `example.com` (list it too if wanted) — the
//! convention of cert-manager / Vault `allowed_domains` with `allow_subdomains`. IP addresses are
//! not domains: an IP SAN passes only when the same address is listed exactly.
//!
//! Facts that are not known yet pass with a reason saying so and are checked when they are: the
//! key (on the CSR), the lifetime (at issuance), the renewal window (once a renewal policy is set).
//! A rule whose stored config is invalid fails with a reason saying so; it never panics.

mod config;
mod rules;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_engine;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use config::validate_config;

use crate::model::{
    Certificate, GroupId, IssuerId, OwnerId, PolicyId, PolicyMode, PolicyRule, PolicyScope,
    PolicyType, Severity, TeamId,
};
use config::RuleConfig;
use rules::Facts;

/// The facts of a certificate under evaluation (a stored certificate, a draft, or a CSR for one).
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub common_name: &'a str,
    pub sans: &'a [String],
    pub environment: Option<&'a str>,
    pub issuer_id: &'a IssuerId,
    pub owner_id: Option<&'a OwnerId>,
    pub team_id: Option<&'a TeamId>,
    pub tags: &'a BTreeMap<String, String>,
    /// Renewal window of the certificate's renewal policy, when known.
    pub renewal_window_days: Option<i64>,
    /// Requested or issued validity in days, when known.
    pub lifetime_days: Option<i64>,
    /// Key family (`"ECDSA"`, `"RSA"`, as [`crate::pki`] reports it) and size in bits, known on a CSR.
    pub key: Option<(&'a str, u32)>,
    /// Groups of the agent(s) where the certificate's key lives.
    pub agent_group_ids: &'a [GroupId],
}

impl<'a> Subject<'a> {
    /// The facts a certificate record carries; renewal window, lifetime and key start unknown.
    pub fn from_certificate(cert: &'a Certificate, agent_group_ids: &'a [GroupId]) -> Self {
        Subject {
            common_name: &cert.common_name,
            sans: &cert.sans,
            environment: cert.environment.as_deref(),
            issuer_id: &cert.issuer_id,
            owner_id: cert.owner_id.as_ref(),
            team_id: cert.team_id.as_ref(),
            tags: &cert.tags,
            renewal_window_days: None,
            lifetime_days: None,
            key: None,
            agent_group_ids,
        }
    }
}

/// The outcome of one in-scope rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RuleResult {
    pub policy_id: PolicyId,
    pub name: String,
    #[serde(rename = "type")]
    pub rule_type: PolicyType,
    pub passed: bool,
    /// Why it passed or failed, as a sentence for humans.
    pub reason: String,
    pub severity: Severity,
    pub mode: PolicyMode,
}

/// The verdict and the per-rule explanation: `{"allowed": bool, "results": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Evaluation {
    /// False iff some failing rule is in `enforce` mode.
    pub allowed: bool,
    /// One entry per in-scope rule, in rule order.
    pub results: Vec<RuleResult>,
}

impl Evaluation {
    /// Every failing rule, whatever its mode.
    pub fn failures(&self) -> impl Iterator<Item = &RuleResult> {
        self.results.iter().filter(|r| !r.passed)
    }

    /// Failing `enforce` rules: the reasons a change is rejected (422).
    pub fn rejections(&self) -> impl Iterator<Item = &RuleResult> {
        self.failures().filter(|r| r.mode == PolicyMode::Enforce)
    }

    /// Failing `warn` rules: recorded as violations, the change goes through.
    pub fn warnings(&self) -> impl Iterator<Item = &RuleResult> {
        self.failures().filter(|r| r.mode == PolicyMode::Warn)
    }

    /// `rejected by policy: <name>: <reason>; ...` listing every rejection, or `None` if allowed.
    pub fn rejection_message(&self) -> Option<String> {
        let reasons: Vec<String> =
            self.rejections().map(|r| format!("{}: {}", r.name, r.reason)).collect();
        (!reasons.is_empty()).then(|| format!("rejected by policy: {}", reasons.join("; ")))
    }
}

/// Whether a rule applies to a subject: enabled, `scope.agent_group_ids` empty or sharing a group
/// with the subject, and `scope.environments` empty or containing the subject's environment
/// (case-insensitive; a subject without environment is outside an environment-scoped rule).
pub fn in_scope(rule: &PolicyRule, subject: &Subject<'_>) -> bool {
    rule.enabled && scope_matches(&rule.scope, subject)
}

fn scope_matches(scope: &PolicyScope, subject: &Subject<'_>) -> bool {
    let groups_ok = scope.agent_group_ids.is_empty()
        || scope.agent_group_ids.iter().any(|g| subject.agent_group_ids.contains(g));
    let env_ok = scope.environments.is_empty()
        || subject
            .environment
            .is_some_and(|env| scope.environments.iter().any(|e| e.eq_ignore_ascii_case(env)));
    groups_ok && env_ok
}

/// Evaluates every in-scope rule against the subject (one-shot: parses the configs each call;
/// use [`CompiledPolicies`] to evaluate many subjects against the same rules).
pub fn evaluate(rules: &[PolicyRule], subject: &Subject<'_>) -> Evaluation {
    let facts = Facts::new(subject);
    let results = rules.iter().filter(|r| in_scope(r, subject)).map(|r| {
        // Borrow the rule's fields: only the config is parsed, nothing else is cloned up front.
        let config = config::parse(r.rule_type, &r.config).map_err(|e| e.to_string());
        result(
            Meta {
                id: &r.id,
                name: &r.name,
                rule_type: r.rule_type,
                severity: r.severity,
                mode: r.mode,
            },
            &config,
            &facts,
        )
    });
    verdict(results.collect())
}

fn verdict(results: Vec<RuleResult>) -> Evaluation {
    let allowed = !results.iter().any(|r| !r.passed && r.mode == PolicyMode::Enforce);
    Evaluation { allowed, results }
}

/// A rule with its config parsed once.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    id: PolicyId,
    name: String,
    rule_type: PolicyType,
    enabled: bool,
    severity: Severity,
    mode: PolicyMode,
    scope: PolicyScope,
    /// The parsed config, or the validation message when it is invalid.
    config: std::result::Result<RuleConfig, String>,
}

impl CompiledRule {
    /// Parses the rule's config; an invalid config is kept and makes the rule fail when evaluated.
    pub fn new(rule: &PolicyRule) -> Self {
        CompiledRule {
            id: rule.id.clone(),
            name: rule.name.clone(),
            rule_type: rule.rule_type,
            enabled: rule.enabled,
            severity: rule.severity,
            mode: rule.mode,
            scope: rule.scope.clone(),
            config: config::parse(rule.rule_type, &rule.config).map_err(|e| e.to_string()),
        }
    }

    /// The rule's id.
    pub fn id(&self) -> &PolicyId {
        &self.id
    }

    /// Why the config is invalid, if it is.
    pub fn config_error(&self) -> Option<&str> {
        self.config.as_ref().err().map(String::as_str)
    }

    /// See [`in_scope`].
    pub fn in_scope(&self, subject: &Subject<'_>) -> bool {
        self.enabled && scope_matches(&self.scope, subject)
    }

    /// Checks the rule against the subject, in scope or not.
    pub fn check(&self, subject: &Subject<'_>) -> RuleResult {
        self.result(&Facts::new(subject))
    }

    fn result(&self, facts: &Facts<'_, '_>) -> RuleResult {
        let meta = Meta {
            id: &self.id,
            name: &self.name,
            rule_type: self.rule_type,
            severity: self.severity,
            mode: self.mode,
        };
        result(meta, &self.config, facts)
    }
}

/// The parts of a rule that a [`RuleResult`] repeats.
struct Meta<'r> {
    id: &'r PolicyId,
    name: &'r str,
    rule_type: PolicyType,
    severity: Severity,
    mode: PolicyMode,
}

/// Runs a parsed (or invalid) config against the facts: the one place a [`RuleResult`] is made.
fn result(
    meta: Meta<'_>,
    config: &std::result::Result<RuleConfig, String>,
    facts: &Facts<'_, '_>,
) -> RuleResult {
    let (passed, reason) = match config {
        Ok(config) => {
            let outcome = rules::check(config, facts);
            (outcome.passed, outcome.reason)
        }
        Err(e) => (false, format!("the rule's config is invalid ({e}); fix or disable the rule")),
    };
    RuleResult {
        policy_id: meta.id.clone(),
        name: meta.name.to_owned(),
        rule_type: meta.rule_type,
        passed,
        reason,
        severity: meta.severity,
        mode: meta.mode,
    }
}

/// A set of rules compiled once (configs parsed, disabled rules dropped) for repeated evaluation.
#[derive(Clone, Debug, Default)]
pub struct CompiledPolicies {
    rules: Vec<CompiledRule>,
}

impl CompiledPolicies {
    /// Compiles the enabled rules, in order.
    pub fn new(rules: &[PolicyRule]) -> Self {
        CompiledPolicies {
            rules: rules.iter().filter(|r| r.enabled).map(CompiledRule::new).collect(),
        }
    }

    /// Adds one rule (e.g. a draft rule for `?with=`) after the others.
    pub fn push(&mut self, rule: &PolicyRule) {
        if rule.enabled {
            self.rules.push(CompiledRule::new(rule));
        }
    }

    /// The compiled (enabled) rules.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Evaluates every in-scope rule against the subject; same result as [`evaluate`].
    pub fn evaluate(&self, subject: &Subject<'_>) -> Evaluation {
        let facts = Facts::new(subject);
        verdict(
            self.rules.iter().filter(|r| r.in_scope(subject)).map(|r| r.result(&facts)).collect(),
        )
    }
}
