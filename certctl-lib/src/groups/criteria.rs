//! Group criteria compiled once (validated, globs built, networks parsed) and matched against agents.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use semver::{Version, VersionReq};

use crate::model::{Agent, AgentId, AgentMetadata, GroupCriteria, validate_id};
use crate::{Error, Result};

/// Validated, ready-to-match form of a [`GroupCriteria`]; build it with [`compile`].
///
/// Matching allocates nothing: os / arch are compared ASCII-case-insensitively, hostname globs are
/// one pre-built case-insensitive [`GlobSet`], networks are parsed and split by family, include /
/// exclude are sorted for binary search.
#[derive(Clone, Debug)]
pub struct CompiledCriteria {
    os: Vec<String>,
    arch: Vec<String>,
    hostname: Option<GlobSet>,
    v4: Vec<Ipv4Net>,
    v6: Vec<Ipv6Net>,
    /// `observed_cidr`: matched against the address the server saw.
    observed_v4: Vec<Ipv4Net>,
    observed_v6: Vec<Ipv6Net>,
    labels: Vec<(String, String)>,
    reported_labels: Vec<(String, String)>,
    version: Option<VersionReq>,
    include: Vec<String>,
    exclude: Vec<String>,
    /// At least one of os, arch, hostname, cidr, observed_cidr, labels, reported_labels,
    /// agent_version is set.
    selective: bool,
}

/// Validates `criteria` and compiles it for matching.
///
/// Errors are [`Error::Invalid`] naming the field and entry, e.g. `criteria.cidr[1]`,
/// `criteria.hostname[0]`, `criteria.agent_version`, `criteria.labels`, `criteria.include[2]`,
/// `criteria.observed_cidr[0]`, `criteria.reported_labels`.
/// Rules:
/// - list entries are trimmed and must not be empty;
/// - `hostname` entries are globs (`*`, `?`, `[0-9]`, `[!a]`, `{a,b}`, `\` escapes); `*` also
///   crosses dots (`*.example.com` matches `a.b.example.com`); matching ignores case;
/// - `cidr` entries are `addr/len` (IPv4 or IPv6) or a bare address (= /32 or /128); host bits
///   are allowed and ignored (`10.1.2.3/16` means `10.1.0.0/16`);
/// - `agent_version` is a [`semver::VersionReq`] (`>=1.2`, `^0.1`, `=1.2.3`, `1.2` = `^1.2`);
///   blank means any version;
/// - label keys must not be blank; values are compared exactly (an empty value requires the key
///   to be present with an empty value);
/// - `include` / `exclude` entries must be agent ids (`ag-...`).
pub fn compile(criteria: &GroupCriteria) -> Result<CompiledCriteria> {
    let os = words("criteria.os", &criteria.os)?;
    let arch = words("criteria.arch", &criteria.arch)?;
    let hostname = globs(&criteria.hostname)?;
    let (v4, v6) = networks("criteria.cidr", &criteria.cidr)?;
    let (observed_v4, observed_v6) = networks("criteria.observed_cidr", &criteria.observed_cidr)?;
    let reported_labels = label_pairs("criteria.reported_labels", &criteria.reported_labels)?;
    let labels = label_pairs("criteria.labels", &criteria.labels)?;
    let version = version_req(&criteria.agent_version)?;
    let include = ids("criteria.include", &criteria.include)?;
    let exclude = ids("criteria.exclude", &criteria.exclude)?;
    let selective = !os.is_empty()
        || !arch.is_empty()
        || hostname.is_some()
        || !v4.is_empty()
        || !v6.is_empty()
        || !observed_v4.is_empty()
        || !observed_v6.is_empty()
        || !labels.is_empty()
        || !reported_labels.is_empty()
        || version.is_some();
    Ok(CompiledCriteria {
        os,
        arch,
        hostname,
        v4,
        v6,
        observed_v4,
        observed_v6,
        labels,
        reported_labels,
        version,
        include,
        exclude,
        selective,
    })
}

/// An agent prepared for matching: its addresses and version are parsed once, so one agent can be
/// checked against many groups cheaply. Borrowed from an [`Agent`] or an [`AgentMetadata`].
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    id: &'a str,
    hostname: Cow<'a, str>,
    os: &'a str,
    arch: &'a str,
    /// Operator labels.
    labels: &'a BTreeMap<String, String>,
    reported_labels: &'a BTreeMap<String, String>,
    ips: Vec<IpAddr>,
    observed: Option<IpAddr>,
    version: Option<Version>,
}

/// No labels (a heartbeat's subject has no operator labels).
static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

impl<'a> Subject<'a> {
    /// Prepares agent `id` with the metadata of a heartbeat: reported facts only (its labels are
    /// reported labels; no operator labels, no observed address).
    pub fn new(id: &'a AgentId, meta: &'a AgentMetadata) -> Self {
        Self::build(
            id.as_str(),
            &meta.hostname,
            &meta.os,
            &meta.arch,
            &meta.ip_addresses,
            &meta.agent_version,
            &NO_LABELS,
            &meta.labels,
            None,
        )
    }

    /// Prepares a stored agent (no copy of its metadata).
    pub fn from_agent(agent: &'a Agent) -> Self {
        Self::build(
            agent.id.as_str(),
            &agent.hostname,
            &agent.os,
            &agent.arch,
            &agent.ip_addresses,
            &agent.agent_version,
            &agent.labels,
            &agent.reported_labels,
            agent.observed_ip.as_deref(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        id: &'a str,
        hostname: &'a str,
        os: &'a str,
        arch: &'a str,
        ips: &[String],
        version: &str,
        labels: &'a BTreeMap<String, String>,
        reported_labels: &'a BTreeMap<String, String>,
        observed: Option<&str>,
    ) -> Self {
        let hostname = hostname.trim();
        // `host.example.com.` (fully qualified) is the same host as `host.example.com`.
        let hostname = hostname.strip_suffix('.').unwrap_or(hostname);
        Subject {
            id,
            // The glob set folds ASCII case only; non-ASCII names (rare: IDNs travel as `xn--`
            // punycode) are lowercased here, as the patterns are at compile time.
            hostname: if hostname.is_ascii() {
                Cow::Borrowed(hostname)
            } else {
                Cow::Owned(hostname.to_lowercase())
            },
            os: os.trim(),
            arch: arch.trim(),
            labels,
            reported_labels,
            ips: ips.iter().filter_map(|s| parse_agent_ip(s)).collect(),
            observed: observed.and_then(parse_agent_ip),
            version: Version::parse(version.trim()).ok(),
        }
    }
}

/// Parses one reported address, tolerating `10.0.0.5/24` (interface notation), `fe80::1%eth0`
/// (zone) and `[::1]`; anything else unparsable is ignored by the caller.
fn parse_agent_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s.split_once('/').map_or(s, |(a, _)| a);
    let s = s.split_once('%').map_or(s, |(a, _)| a);
    let s = s.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(s);
    s.parse().ok()
}

impl CompiledCriteria {
    /// Whether agent `id` with metadata `meta` is a member: not excluded, and either included or
    /// (at least one criterion is set and every set criterion matches).
    pub fn matches(&self, id: &AgentId, meta: &AgentMetadata) -> bool {
        self.matches_subject(&Subject::new(id, meta))
    }

    /// [`matches`](Self::matches) for a stored agent.
    pub fn matches_agent(&self, agent: &Agent) -> bool {
        self.matches_subject(&Subject::from_agent(agent))
    }

    /// [`matches`](Self::matches) for a prepared agent; use it to check one agent against many groups.
    pub fn matches_subject(&self, s: &Subject<'_>) -> bool {
        if contains(&self.exclude, s.id) {
            return false;
        }
        if contains(&self.include, s.id) {
            return true;
        }
        self.selective
            && any_word(&self.os, s.os)
            && any_word(&self.arch, s.arch)
            && self.labels.iter().all(|(k, v)| s.labels.get(k.as_str()) == Some(v))
            && self
                .reported_labels
                .iter()
                .all(|(k, v)| s.reported_labels.get(k.as_str()) == Some(v))
            && self
                .version
                .as_ref()
                .is_none_or(|req| s.version.as_ref().is_some_and(|v| req.matches(v)))
            && in_networks(&self.v4, &self.v6, &s.ips)
            && in_networks(&self.observed_v4, &self.observed_v6, s.observed.as_slice())
            && self
                .hostname
                .as_ref()
                .is_none_or(|set| !s.hostname.is_empty() && set.is_match(s.hostname.as_ref()))
    }
}

/// No networks = no constraint; otherwise any address inside any network (an IPv4-mapped IPv6
/// address counts as its IPv4 address).
fn in_networks(v4: &[Ipv4Net], v6: &[Ipv6Net], ips: &[IpAddr]) -> bool {
    if v4.is_empty() && v6.is_empty() {
        return true;
    }
    ips.iter().any(|ip| match ip {
        IpAddr::V4(a) => v4.iter().any(|n| n.contains(a)),
        IpAddr::V6(a) => {
            v6.iter().any(|n| n.contains(a))
                || a.to_ipv4_mapped().is_some_and(|m| v4.iter().any(|n| n.contains(&m)))
        }
    })
}

/// Empty list = no constraint; otherwise any entry equal ignoring ASCII case.
fn any_word(words: &[String], value: &str) -> bool {
    words.is_empty() || words.iter().any(|w| w.eq_ignore_ascii_case(value))
}

fn contains(sorted: &[String], id: &str) -> bool {
    sorted.binary_search_by(|x| x.as_str().cmp(id)).is_ok()
}

fn entry<'s>(field: &str, i: usize, s: &'s str) -> Result<&'s str> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::invalid(format!("{field}[{i}]"), "must not be empty"));
    }
    Ok(t)
}

fn words(field: &str, list: &[String]) -> Result<Vec<String>> {
    let mut out = list
        .iter()
        .enumerate()
        .map(|(i, s)| entry(field, i, s).map(str::to_ascii_lowercase))
        .collect::<Result<Vec<_>>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

fn globs(list: &[String]) -> Result<Option<GlobSet>> {
    if list.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for (i, s) in list.iter().enumerate() {
        let p = entry("criteria.hostname", i, s)?;
        let glob = GlobBuilder::new(&p.to_lowercase())
            .case_insensitive(true)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|e| {
                Error::invalid(
                    format!("criteria.hostname[{i}]"),
                    format!("{p:?} is not a valid hostname glob: {}", e.kind()),
                )
            })?;
        set.add(glob);
    }
    let set = set.build().map_err(|e| {
        Error::invalid("criteria.hostname", format!("the patterns cannot be compiled: {e}"))
    })?;
    Ok(Some(set))
}

fn networks(field: &str, list: &[String]) -> Result<(Vec<Ipv4Net>, Vec<Ipv6Net>)> {
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for (i, s) in list.iter().enumerate() {
        let t = entry(field, i, s)?;
        let net = network(t).map_err(|why| {
            Error::invalid(
                format!("{field}[{i}]"),
                format!("{t:?} is not an IPv4 or IPv6 network: {why}"),
            )
        })?;
        match net {
            IpNet::V4(n) => v4.push(n),
            IpNet::V6(n) => v6.push(n),
        }
    }
    Ok((v4, v6))
}

/// `addr/len` or a bare address (full-length prefix); host bits are cleared.
fn network(s: &str) -> std::result::Result<IpNet, String> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| format!("{addr:?} is not an IP address"))?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= max && l.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("prefix length {l:?} is not a number from 0 to {max}"))?,
    };
    IpNet::new(addr, len).map(|n| n.trunc()).map_err(|e| e.to_string())
}

fn label_pairs(field: &str, map: &BTreeMap<String, String>) -> Result<Vec<(String, String)>> {
    if map.keys().any(|k| k.trim().is_empty()) {
        return Err(Error::invalid(field, "label keys must not be empty"));
    }
    Ok(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn version_req(s: &str) -> Result<Option<VersionReq>> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    VersionReq::parse(t).map(Some).map_err(|e| {
        Error::invalid("criteria.agent_version", format!("{t:?} is not a semver requirement: {e}"))
    })
}

fn ids(field: &str, list: &[AgentId]) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(list.len());
    for (i, id) in list.iter().enumerate() {
        validate_id(AgentId::PREFIX, id.as_str())
            .map_err(|m| Error::invalid(format!("{field}[{i}]"), m))?;
        out.push(id.as_str().to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}
