//! Rule configs: strict parsing of a rule's JSON `config` into typed form, naming the bad field.

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::{IssuerId, PolicyType};

/// Largest day count accepted in `min_days` / `max_days` (100 years).
const MAX_DAYS: i64 = 36_500;
/// Largest key size accepted in `min_size`.
const MAX_KEY_BITS: u64 = 16_384;

/// A rule config after validation; what the checks in `rules` run against.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RuleConfig {
    AllowedIssuers {
        issuer_ids: Vec<IssuerId>,
    },
    AllowedDomains {
        domains: Vec<DomainRule>,
    },
    RequiredMetadata {
        tags: Vec<String>,
        require_owner: bool,
        require_team: bool,
    },
    AllowedEnvironments {
        environments: Vec<String>,
    },
    RenewalLeadTime {
        min_days: i64,
    },
    CertificateLifetime {
        max_days: i64,
    },
    KeyAlgorithm {
        allowed: Vec<KeyAllowance>,
    },
    SanRules {
        max_sans: Option<u64>,
        allow_wildcards: Option<bool>,
        allow_ip_addresses: Option<bool>,
    },
}

/// One entry of an AllowedDomains list, normalised (lowercase, no trailing dot).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum DomainRule {
    /// `api.example.com`: that name only.
    Exact(String),
    /// `*.example.com`, stored as `.example.com`: any name below it, not the apex.
    Suffix(String),
    /// `10.0.0.7`, `2001:db8::1`: that address only.
    Ip(IpAddr),
}

impl std::fmt::Display for DomainRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DomainRule::Exact(name) => f.write_str(name),
            DomainRule::Suffix(suffix) => write!(f, "*{suffix}"),
            DomainRule::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// Key families the KeyAlgorithm rule knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Ecdsa,
    Rsa,
}

impl KeyFamily {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KeyFamily::Ecdsa => "ECDSA",
            KeyFamily::Rsa => "RSA",
        }
    }

    /// Case-insensitive `ECDSA` / `RSA`; anything else is unknown.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("ECDSA") {
            Some(KeyFamily::Ecdsa)
        } else if s.eq_ignore_ascii_case("RSA") {
            Some(KeyFamily::Rsa)
        } else {
            None
        }
    }
}

/// One entry of a KeyAlgorithm `allowed` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyAllowance {
    pub(crate) family: KeyFamily,
    pub(crate) min_size: u32,
}

/// Checks a rule's `config` for its type: required keys present, no unknown keys, every value of
/// the right type and range. The error names the field, e.g. `config.allowed[0].min_size`.
///
/// Required keys: `issuer_ids`, `domains`, `environments`, `allowed` (non-empty lists), `min_days`,
/// `max_days`. RequiredMetadata keys (`tags`, `require_owner`, `require_team`) and SanRules keys
/// (`max_sans`, `allow_wildcards`, `allow_ip_addresses`) are optional (`null` counts as absent),
/// but a RequiredMetadata config must require something.
pub fn validate_config(rule_type: PolicyType, config: &Value) -> Result<()> {
    parse(rule_type, config).map(|_| ())
}

/// Parses and validates a config; see [`validate_config`].
pub(crate) fn parse(rule_type: PolicyType, config: &Value) -> Result<RuleConfig> {
    let Some(map) = config.as_object() else {
        return Err(Error::invalid(
            "config",
            format!("must be a JSON object ({rule_type} config)"),
        ));
    };
    let obj = Obj { map, rule_type };
    Ok(match rule_type {
        PolicyType::AllowedIssuers => {
            obj.only(&["issuer_ids"])?;
            let issuer_ids = non_empty_strings(obj.required("issuer_ids")?, "config.issuer_ids")?
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    IssuerId::parse(s).map_err(|e| {
                        Error::invalid(format!("config.issuer_ids[{i}]"), inner_message(e))
                    })
                })
                .collect::<Result<_>>()?;
            RuleConfig::AllowedIssuers { issuer_ids }
        }
        PolicyType::AllowedDomains => {
            obj.only(&["domains"])?;
            let domains = non_empty_strings(obj.required("domains")?, "config.domains")?
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    domain_rule(s).map_err(|m| Error::invalid(format!("config.domains[{i}]"), m))
                })
                .collect::<Result<_>>()?;
            RuleConfig::AllowedDomains { domains }
        }
        PolicyType::RequiredMetadata => {
            obj.only(&["tags", "require_owner", "require_team"])?;
            let tags = match obj.optional("tags") {
                Some(v) => strings(v, "config.tags")?.into_iter().map(str::to_owned).collect(),
                None => Vec::new(),
            };
            let require_owner = obj
                .optional("require_owner")
                .map(|v| boolean(v, "config.require_owner"))
                .transpose()?;
            let require_team = obj
                .optional("require_team")
                .map(|v| boolean(v, "config.require_team"))
                .transpose()?;
            let (require_owner, require_team) =
                (require_owner.unwrap_or(false), require_team.unwrap_or(false));
            if tags.is_empty() && !require_owner && !require_team {
                return Err(Error::invalid(
                    "config",
                    "requires nothing: set tags, require_owner or require_team",
                ));
            }
            RuleConfig::RequiredMetadata { tags, require_owner, require_team }
        }
        PolicyType::AllowedEnvironments => {
            obj.only(&["environments"])?;
            let environments =
                non_empty_strings(obj.required("environments")?, "config.environments")?;
            RuleConfig::AllowedEnvironments {
                environments: environments.into_iter().map(str::to_owned).collect(),
            }
        }
        PolicyType::RenewalLeadTime => {
            obj.only(&["min_days"])?;
            RuleConfig::RenewalLeadTime {
                min_days: days(obj.required("min_days")?, "config.min_days", 0)?,
            }
        }
        PolicyType::CertificateLifetime => {
            obj.only(&["max_days"])?;
            RuleConfig::CertificateLifetime {
                max_days: days(obj.required("max_days")?, "config.max_days", 1)?,
            }
        }
        PolicyType::KeyAlgorithm => {
            obj.only(&["allowed"])?;
            RuleConfig::KeyAlgorithm { allowed: key_allowances(obj.required("allowed")?)? }
        }
        PolicyType::SanRules => {
            obj.only(&["max_sans", "allow_wildcards", "allow_ip_addresses"])?;
            let max_sans = obj
                .optional("max_sans")
                .map(|v| {
                    v.as_u64().ok_or_else(|| {
                        Error::invalid("config.max_sans", "must be a whole number >= 0")
                    })
                })
                .transpose()?;
            let allow_wildcards = obj
                .optional("allow_wildcards")
                .map(|v| boolean(v, "config.allow_wildcards"))
                .transpose()?;
            let allow_ip_addresses = obj
                .optional("allow_ip_addresses")
                .map(|v| boolean(v, "config.allow_ip_addresses"))
                .transpose()?;
            RuleConfig::SanRules { max_sans, allow_wildcards, allow_ip_addresses }
        }
    })
}

/// A config object with the rule type, for messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    rule_type: PolicyType,
}

impl<'a> Obj<'a> {
    /// Rejects keys outside `known`.
    fn only(&self, known: &[&str]) -> Result<()> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(Error::invalid(
                format!("config.{k}"),
                format!("unknown key; {} takes {}", self.rule_type, known.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn required(&self, key: &str) -> Result<&'a Value> {
        match self.map.get(key) {
            Some(v) if !v.is_null() => Ok(v),
            _ => Err(Error::invalid(
                format!("config.{key}"),
                format!("is required by {}", self.rule_type),
            )),
        }
    }

    fn optional(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }
}

/// The message of an [`Error::Invalid`] without its field (ids report their own field as `id`).
fn inner_message(e: Error) -> String {
    match e {
        Error::Invalid { message, .. } => message,
        other => other.to_string(),
    }
}

fn boolean(v: &Value, field: &str) -> Result<bool> {
    v.as_bool().ok_or_else(|| Error::invalid(field, "must be true or false"))
}

fn days(v: &Value, field: &str, min: i64) -> Result<i64> {
    match v.as_i64() {
        Some(d) if (min..=MAX_DAYS).contains(&d) => Ok(d),
        Some(_) => Err(Error::invalid(field, format!("must be between {min} and {MAX_DAYS} days"))),
        None => Err(Error::invalid(field, "must be a whole number of days")),
    }
}

/// A list of strings; each element is named on error (`config.tags[2]`). Blank strings are refused.
fn strings<'a>(v: &'a Value, field: &str) -> Result<Vec<&'a str>> {
    let Some(items) = v.as_array() else {
        return Err(Error::invalid(field, "must be a list of strings"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.as_str() {
            Some(s) if !s.trim().is_empty() => Ok(s),
            Some(_) => Err(Error::invalid(format!("{field}[{i}]"), "must not be empty")),
            None => Err(Error::invalid(format!("{field}[{i}]"), "must be a string")),
        })
        .collect()
}

fn non_empty_strings<'a>(v: &'a Value, field: &str) -> Result<Vec<&'a str>> {
    let list = strings(v, field)?;
    if list.is_empty() {
        return Err(Error::invalid(
            field,
            "must list at least one entry (an empty list would reject everything)",
        ));
    }
    Ok(list)
}

/// Lowercase, without one trailing dot: the form names are compared in.
pub(crate) fn normalize_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// Parses one AllowedDomains entry: an IP address, `*.suffix`, or an exact DNS name.
fn domain_rule(raw: &str) -> std::result::Result<DomainRule, String> {
    let name = normalize_name(raw);
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(DomainRule::Ip(ip));
    }
    if let Some(suffix) = name.strip_prefix("*.") {
        check_hostname(suffix).map_err(|m| format!("{raw:?}: {m}"))?;
        return Ok(DomainRule::Suffix(format!(".{suffix}")));
    }
    check_hostname(&name).map_err(|m| format!("{raw:?}: {m}"))?;
    Ok(DomainRule::Exact(name))
}

/// DNS syntax: at most 253 chars, labels of 1-63 chars of `a-z0-9-_`, no label starting or
/// ending with `-`. A `*` is only allowed as the whole left-most label, handled by the caller.
fn check_hostname(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err("a domain name must have 1 to 253 characters".into());
    }
    for label in name.split('.') {
        if label.contains('*') {
            return Err("a wildcard must be the whole left-most label, as in *.example.com".into());
        }
        if label.is_empty() || label.len() > 63 {
            return Err("every label must have 1 to 63 characters".into());
        }
        if let Some(c) =
            label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!("{c:?} is not allowed in a domain name"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} must not start or end with '-'"));
        }
    }
    Ok(())
}

fn key_allowances(v: &Value) -> Result<Vec<KeyAllowance>> {
    let Some(items) = v.as_array() else {
        return Err(Error::invalid(
            "config.allowed",
            "must be a list of {algorithm, min_size} objects",
        ));
    };
    if items.is_empty() {
        return Err(Error::invalid(
            "config.allowed",
            "must list at least one algorithm (an empty list would reject every key)",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = |k: &str| format!("config.allowed[{i}].{k}");
            let Some(map) = item.as_object() else {
                return Err(Error::invalid(
                    format!("config.allowed[{i}]"),
                    "must be an object {algorithm, min_size}",
                ));
            };
            if let Some(k) = map.keys().find(|k| !matches!(k.as_str(), "algorithm" | "min_size")) {
                return Err(Error::invalid(field(k), "unknown key; expected algorithm, min_size"));
            }
            let family = match map.get("algorithm") {
                None | Some(Value::Null) => {
                    return Err(Error::invalid(field("algorithm"), "is required"));
                }
                Some(a) => a.as_str().and_then(KeyFamily::parse),
            };
            let family = family.ok_or_else(|| {
                Error::invalid(field("algorithm"), "must be \"ECDSA\" or \"RSA\"")
            })?;
            let min_size = match map.get("min_size") {
                None | Some(Value::Null) => {
                    return Err(Error::invalid(field("min_size"), "is required"));
                }
                Some(s) => s.as_u64().filter(|n| (1..=MAX_KEY_BITS).contains(n)),
            };
            let min_size = min_size.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
                Error::invalid(
                    field("min_size"),
                    format!("must be a key size in bits, 1 to {MAX_KEY_BITS}"),
                )
            })?;
            Ok(KeyAllowance { family, min_size })
        })
        .collect()
}
