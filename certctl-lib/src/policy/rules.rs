//! The checks: one function per rule type, each returning pass/fail and a human sentence why.

use std::fmt::Display;
use std::net::IpAddr;

use super::Subject;
use super::config::{DomainRule, KeyAllowance, KeyFamily, RuleConfig, normalize_name};

/// How many list entries a reason spells out before "and N more".
const LIST_LIMIT: usize = 10;

/// Outcome of one check.
pub(crate) struct Outcome {
    pub(crate) passed: bool,
    pub(crate) reason: String,
}

fn pass(reason: String) -> Outcome {
    Outcome { passed: true, reason }
}

fn fail(reason: String) -> Outcome {
    Outcome { passed: false, reason }
}

/// One DNS name or IP address of the subject, in compared form.
pub(crate) struct Name {
    /// Lowercase, no trailing dot.
    pub(crate) norm: String,
    pub(crate) ip: Option<IpAddr>,
    /// Appears in the SAN list (the common name alone does not count towards `max_sans`).
    pub(crate) in_sans: bool,
}

impl Name {
    fn is_wildcard(&self) -> bool {
        self.norm.starts_with('*')
    }
}

/// Facts derived once per evaluation from a [`Subject`], shared by every rule.
pub(crate) struct Facts<'s, 'a> {
    pub(crate) subject: &'s Subject<'a>,
    /// Common name and SANs, deduplicated in compared form, common name first.
    pub(crate) names: Vec<Name>,
}

impl<'s, 'a> Facts<'s, 'a> {
    pub(crate) fn new(subject: &'s Subject<'a>) -> Self {
        let mut names: Vec<Name> = Vec::with_capacity(subject.sans.len() + 1);
        let cn = std::iter::once((subject.common_name, false));
        for (raw, in_sans) in cn.chain(subject.sans.iter().map(|s| (s.as_str(), true))) {
            let norm = normalize_name(raw.trim());
            if norm.is_empty() {
                continue;
            }
            let ip = norm.parse::<IpAddr>().ok();
            // Compare IPs by value so `::1` and `0::1` are one name.
            match names.iter_mut().find(|n| n.norm == norm || (ip.is_some() && n.ip == ip)) {
                Some(existing) => existing.in_sans |= in_sans,
                None => names.push(Name { norm, ip, in_sans }),
            }
        }
        Facts { subject, names }
    }

    fn san_count(&self) -> usize {
        self.names.iter().filter(|n| n.in_sans).count()
    }
}

/// `a, b, c` with at most [`LIST_LIMIT`] entries, then `and N more`.
fn listing<T: Display>(items: impl ExactSizeIterator<Item = T>) -> String {
    let total = items.len();
    let mut out = String::new();
    for (i, item) in items.take(LIST_LIMIT).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&item.to_string());
    }
    if total > LIST_LIMIT {
        out.push_str(&format!(" and {} more", total - LIST_LIMIT));
    }
    out
}

/// `x is` / `x, y are`.
fn subject_verb(names: &[&str]) -> String {
    let verb = if names.len() == 1 { "is" } else { "are" };
    format!("{} {verb}", listing(names.iter()))
}

/// Runs the check of a valid config against the facts.
pub(crate) fn check(config: &RuleConfig, facts: &Facts<'_, '_>) -> Outcome {
    let s = facts.subject;
    match config {
        RuleConfig::AllowedIssuers { issuer_ids } => {
            if issuer_ids.contains(s.issuer_id) {
                pass(format!("issuer {} is allowed", s.issuer_id))
            } else {
                fail(format!(
                    "issuer {} is not allowed: allowed issuers are {}",
                    s.issuer_id,
                    listing(issuer_ids.iter())
                ))
            }
        }
        RuleConfig::AllowedDomains { domains } => allowed_domains(domains, facts),
        RuleConfig::RequiredMetadata { tags, require_owner, require_team } => {
            let mut missing = Vec::new();
            if *require_owner && s.owner_id.is_none() {
                missing.push("owner".to_owned());
            }
            if *require_team && s.team_id.is_none() {
                missing.push("team".to_owned());
            }
            for tag in tags {
                if s.tags.get(tag).is_none_or(|v| v.trim().is_empty()) {
                    missing.push(format!("tag {tag}"));
                }
            }
            let mut required: Vec<String> = Vec::new();
            if *require_owner {
                required.push("owner".into());
            }
            if *require_team {
                required.push("team".into());
            }
            required.extend(tags.iter().map(|t| format!("tag {t}")));
            if missing.is_empty() {
                pass(format!("required metadata is present: {}", listing(required.iter())))
            } else {
                fail(format!("missing required metadata: {}", listing(missing.iter())))
            }
        }
        RuleConfig::AllowedEnvironments { environments } => {
            let allowed = listing(environments.iter());
            match s.environment {
                Some(env) if environments.iter().any(|e| e.eq_ignore_ascii_case(env)) => {
                    pass(format!("environment {env} is allowed"))
                }
                Some(env) => {
                    fail(format!("environment {env} is not allowed: environments are {allowed}"))
                }
                None => fail(format!("no environment is set: environments are {allowed}")),
            }
        }
        RuleConfig::RenewalLeadTime { min_days } => match s.renewal_window_days {
            Some(d) if d >= *min_days => {
                pass(format!("renewal window of {d} days meets the minimum of {min_days} days"))
            }
            Some(d) => fail(format!(
                "renewal window of {d} days is shorter than the minimum of {min_days} days"
            )),
            None => {
                pass("renewal window not known yet (checked once a renewal policy is set)".into())
            }
        },
        RuleConfig::CertificateLifetime { max_days } => match s.lifetime_days {
            Some(d) if d <= *max_days => {
                pass(format!("lifetime of {d} days is within the maximum of {max_days} days"))
            }
            Some(d) => fail(format!("lifetime of {d} days exceeds the maximum of {max_days} days")),
            None => pass("lifetime not known yet (checked at issuance)".into()),
        },
        RuleConfig::KeyAlgorithm { allowed } => key_algorithm(allowed, s.key),
        RuleConfig::SanRules { max_sans, allow_wildcards, allow_ip_addresses } => {
            san_rules(*max_sans, *allow_wildcards, *allow_ip_addresses, facts)
        }
    }
}

fn domain_allows(domains: &[DomainRule], name: &Name) -> bool {
    domains.iter().any(|rule| match (rule, name.ip) {
        (DomainRule::Ip(allowed), Some(ip)) => *allowed == ip,
        (DomainRule::Exact(exact), None) => *exact == name.norm,
        (DomainRule::Suffix(suffix), None) => {
            name.norm.len() > suffix.len() && name.norm.ends_with(suffix.as_str())
        }
        _ => false,
    })
}

fn allowed_domains(domains: &[DomainRule], facts: &Facts<'_, '_>) -> Outcome {
    let rejected: Vec<&str> = facts
        .names
        .iter()
        .filter(|n| !domain_allows(domains, n))
        .map(|n| n.norm.as_str())
        .collect();
    if !rejected.is_empty() {
        return fail(format!(
            "{} not allowed: domains are {}",
            subject_verb(&rejected),
            listing(domains.iter())
        ));
    }
    match facts.names.as_slice() {
        [] => pass("no names to check".into()),
        [one] => pass(format!("{} is within the allowed domains", one.norm)),
        all => pass(format!("all {} names are within the allowed domains", all.len())),
    }
}

fn key_algorithm(allowed: &[KeyAllowance], key: Option<(&str, u32)>) -> Outcome {
    let Some((algorithm, size)) = key else {
        return pass("key not known yet (checked on CSR)".into());
    };
    let family = KeyFamily::parse(algorithm);
    let ok = allowed.iter().any(|a| Some(a.family) == family && size >= a.min_size);
    let shown: &str = match family {
        Some(f) => f.as_str(),
        None => algorithm,
    };
    if ok {
        pass(format!("{shown} {size}-bit key is allowed"))
    } else {
        let list = listing(
            allowed.iter().map(|a| format!("{} >= {} bits", a.family.as_str(), a.min_size)),
        );
        fail(format!("{shown} {size}-bit key is not allowed: allowed keys are {list}"))
    }
}

fn san_rules(
    max_sans: Option<u64>,
    wildcards: Option<bool>,
    ips: Option<bool>,
    facts: &Facts<'_, '_>,
) -> Outcome {
    let mut problems = Vec::new();
    let mut fine = Vec::new();
    if let Some(max) = max_sans {
        let n = facts.san_count();
        if u64::try_from(n).unwrap_or(u64::MAX) > max {
            problems.push(format!("SAN count {n} exceeds the maximum of {max}"));
        } else {
            fine.push(format!("SAN count {n} is within the maximum of {max}"));
        }
    }
    if wildcards == Some(false) {
        let found: Vec<&str> =
            facts.names.iter().filter(|n| n.is_wildcard()).map(|n| n.norm.as_str()).collect();
        if found.is_empty() {
            fine.push("no wildcard names".into());
        } else {
            problems.push(format!("wildcard names are not allowed: {}", listing(found.iter())));
        }
    }
    if ips == Some(false) {
        let found: Vec<&str> =
            facts.names.iter().filter(|n| n.ip.is_some()).map(|n| n.norm.as_str()).collect();
        if found.is_empty() {
            fine.push("no IP addresses".into());
        } else {
            problems.push(format!("IP addresses are not allowed: {}", listing(found.iter())));
        }
    }
    if !problems.is_empty() {
        fail(problems.join("; "))
    } else if fine.is_empty() {
        pass("no SAN restrictions are configured".into())
    } else {
        pass(fine.join("; "))
    }
}
