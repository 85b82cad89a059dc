//! Dynamic agent groups: criteria validation, matching, membership of one agent or one group, diffs.
//!
//! A group holds [`GroupCriteria`], not a member list. [`compile`] validates the criteria once;
//! [`CompiledCriteria::matches`] decides membership from an agent's current metadata:
//!
//! > member = not excluded AND (included OR (some criterion is set AND every set criterion matches))
//!
//! - `os`, `arch`: any-of, ignoring case;
//! - `hostname`: glob patterns, any-of, ignoring case;
//! - `cidr`: IPv4 / IPv6 networks, any-of against any of the addresses the agent reports (prefix
//!   containment; `::ffff:10.0.0.1` is inside `10.0.0.0/8`; an IPv4 address is never inside an
//!   IPv6 network; unparsable addresses are ignored);
//! - `observed_cidr`: the same, against the address the server saw the last heartbeat come from
//!   (`observed_ip`); an agent that never sent one does not match;
//! - `labels`: operator labels (set through the API); every pair must be present with exactly
//!   that value;
//! - `reported_labels`: the same, against the labels the agent reports about itself;
//!
//! `os`, `arch`, `hostname`, `cidr`, `agent_version` and `reported_labels` are what the agent says
//! about itself; `labels` and `observed_cidr` are what an operator or the server asserts.
//! - `agent_version`: a semver requirement; an agent whose version is not semver never matches.
//!   As in Cargo, a prerelease (`1.3.0-rc.1`) only matches a requirement that names a prerelease
//!   of the same `major.minor.patch` (`>=1.3.0-rc.0`), so `>=1.2` does not select release candidates;
//! - `include` / `exclude`: agent ids; exclude wins over everything.
//!
//! A group with no criteria and no includes matches nothing.
//!
//! ```
//! use certctl::groups::{compile, describe};
//! use certctl::model::{AgentId, AgentMetadata, GroupCriteria};
//!
//! let criteria = GroupCriteria {
//!     os: vec!["linux".into()],
//!     cidr: vec!["10.1.0.0/16".into()],
//!     ..Default::default()
//! };
//! let group = compile(&criteria)?;
//! let meta = AgentMetadata {
//!     os: "Linux".into(),
//!     ip_addresses: vec!["192.168.1.4".into(), "10.1.7.9".into()],
//!     ..Default::default()
//! };
//! assert!(group.matches(&AgentId::from_trusted("ag-web-1"), &meta));
//! assert_eq!(describe(&criteria), "os linux AND cidr 10.1.0.0/16");
//! # Ok::<(), certctl::Error>(())
//! ```

mod criteria;
pub mod template;

use std::collections::{BTreeMap, BTreeSet};

pub use criteria::{CompiledCriteria, Subject, compile};

use crate::model::{Agent, AgentId, AgentMetadata, GroupCriteria, GroupId};

/// The compiled groups known to the server, sorted by id: answers "which groups is this agent in".
#[derive(Clone, Debug, Default)]
pub struct Membership {
    groups: Vec<(GroupId, CompiledCriteria)>,
}

impl Membership {
    /// Holds `groups`; with duplicate ids the last one wins.
    pub fn new(groups: impl IntoIterator<Item = (GroupId, CompiledCriteria)>) -> Self {
        let mut m = Membership::default();
        for (id, c) in groups {
            m.upsert(id, c);
        }
        m
    }

    /// Adds or replaces one group (after a create or an update).
    pub fn upsert(&mut self, id: GroupId, criteria: CompiledCriteria) {
        match self.groups.binary_search_by(|(g, _)| g.cmp(&id)) {
            Ok(i) => self.groups[i].1 = criteria,
            Err(i) => self.groups.insert(i, (id, criteria)),
        }
    }

    /// Forgets one group (after a delete); false if it was unknown.
    pub fn remove(&mut self, id: &GroupId) -> bool {
        match self.groups.binary_search_by(|(g, _)| g.cmp(id)) {
            Ok(i) => {
                self.groups.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// The compiled criteria of one group.
    pub fn get(&self, id: &GroupId) -> Option<&CompiledCriteria> {
        self.groups.binary_search_by(|(g, _)| g.cmp(id)).ok().map(|i| &self.groups[i].1)
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// No groups at all.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups (sorted by id) of agent `id` with heartbeat metadata `meta`.
    pub fn groups_of(&self, id: &AgentId, meta: &AgentMetadata) -> Vec<GroupId> {
        self.groups_of_subject(&Subject::new(id, meta))
    }

    /// The groups (sorted by id) of a stored agent.
    pub fn groups_of_agent(&self, agent: &Agent) -> Vec<GroupId> {
        self.groups_of_subject(&Subject::from_agent(agent))
    }

    /// The groups (sorted by id) of a prepared agent.
    pub fn groups_of_subject(&self, subject: &Subject<'_>) -> Vec<GroupId> {
        self.groups
            .iter()
            .filter(|(_, c)| c.matches_subject(subject))
            .map(|(g, _)| g.clone())
            .collect()
    }

    /// Full recompute: every group (also empty ones) with its members sorted by id.
    pub fn recompute<'a>(
        &self,
        agents: impl IntoIterator<Item = &'a Agent>,
    ) -> BTreeMap<GroupId, Vec<AgentId>> {
        let mut out: Vec<Vec<AgentId>> = vec![Vec::new(); self.groups.len()];
        for agent in agents {
            let subject = Subject::from_agent(agent);
            for (members, (_, c)) in out.iter_mut().zip(&self.groups) {
                if c.matches_subject(&subject) {
                    members.push(agent.id.clone());
                }
            }
        }
        self.groups
            .iter()
            .zip(out)
            .map(|((g, _), mut members)| {
                members.sort_unstable();
                (g.clone(), members)
            })
            .collect()
    }
}

/// The members of one group among `agents`, sorted by id (after a group is created or changed).
pub fn members<'a>(
    criteria: &CompiledCriteria,
    agents: impl IntoIterator<Item = &'a Agent>,
) -> Vec<AgentId> {
    let mut out: Vec<AgentId> =
        agents.into_iter().filter(|a| criteria.matches_agent(a)).map(|a| a.id.clone()).collect();
    out.sort_unstable();
    out
}

/// `(joined, left)` between two memberships, each sorted and without duplicates: what is in
/// `after` but not `before`, and what is in `before` but not `after`. Works for the groups of one
/// agent ([`GroupId`]) and for the members of one group ([`AgentId`]).
pub fn diff<T: Ord + Clone>(before: &[T], after: &[T]) -> (Vec<T>, Vec<T>) {
    let b: BTreeSet<&T> = before.iter().collect();
    let a: BTreeSet<&T> = after.iter().collect();
    (
        a.difference(&b).map(|x| (*x).clone()).collect(),
        b.difference(&a).map(|x| (*x).clone()).collect(),
    )
}

/// Human words for the criteria, for the TUI and CLI, e.g.
/// `os linux|darwin AND arch x86_64 AND hostname web-* AND cidr 10.1.0.0/16 AND label env=prod
/// AND version >=1.2 + include ag-x − exclude ag-y`; `matches nothing` when nothing can match.
/// Works on unvalidated criteria (blank entries are skipped).
pub fn describe(criteria: &GroupCriteria) -> String {
    fn list<'s>(items: impl IntoIterator<Item = &'s str>) -> String {
        items.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("|")
    }
    let mut parts: Vec<String> = Vec::new();
    for (word, items) in [
        ("os", list(criteria.os.iter().map(String::as_str))),
        ("arch", list(criteria.arch.iter().map(String::as_str))),
        ("hostname", list(criteria.hostname.iter().map(String::as_str))),
        ("cidr", list(criteria.cidr.iter().map(String::as_str))),
        ("observed cidr", list(criteria.observed_cidr.iter().map(String::as_str))),
    ] {
        if !items.is_empty() {
            parts.push(format!("{word} {items}"));
        }
    }
    parts.extend(criteria.labels.iter().map(|(k, v)| format!("label {k}={v}")));
    parts.extend(criteria.reported_labels.iter().map(|(k, v)| format!("reported label {k}={v}")));
    let version = criteria.agent_version.trim();
    if !version.is_empty() {
        parts.push(format!("version {version}"));
    }
    let include = list(criteria.include.iter().map(AgentId::as_str));
    let exclude = list(criteria.exclude.iter().map(AgentId::as_str));
    let mut out = parts.join(" AND ");
    if !include.is_empty() {
        out = if out.is_empty() {
            format!("include {include}")
        } else {
            format!("{out} + include {include}")
        };
    }
    if out.is_empty() {
        return "matches nothing".to_owned();
    }
    if !exclude.is_empty() {
        out.push_str(&format!(" − exclude {exclude}"));
    }
    out
}

#[cfg(test)]
mod tests_api;
#[cfg(test)]
mod tests_match;
