//! Query strings of the list endpoints, written once: the client encodes these structs and the
//! server decodes them with the same serde derives ([`encode`], [`decode`]). A parameter that
//! is absent or empty is unset; a repeated single-valued one keeps its last non-empty value;
//! `tag` repeats. A bad value is refused naming the parameter (`query parameter status: ...`).

use serde::{Deserialize, Serialize};

use super::PolicyInput;
use crate::model::*;

mod wire;
pub use wire::{decode, encode};
use wire::{flag, is_false, param, tags};

/// `?page=&per_page=` of every list (`per_page` is capped at [`MAX_PER_PAGE`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// `GET /certificates`. Archived certificates are left out unless a `status` is given or
/// `include_archived=true`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub status: Option<CertificateStatus>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub issuer_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub renewal_policy_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub expires_before: Option<Timestamp>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub expires_after: Option<Timestamp>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// `tag=key:value`, repeated; every tag must match.
    #[serde(default, with = "tags", skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<(String, String)>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub agent_group_id: Option<String>,
    #[serde(default, with = "flag", skip_serializing_if = "is_false")]
    pub include_archived: bool,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub sort: Option<CertificateSort>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// `GET /agents` and `GET /agent-groups/{id}/members` (paging only there).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub status: Option<AgentStatus>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// `GET /jobs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatus>,
    #[serde(default, rename = "type", with = "param", skip_serializing_if = "Option::is_none")]
    pub job_type: Option<JobType>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// `GET /audit`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// `GET /notifications` (`status` case-insensitive: `dead` as well as `Dead`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub status: Option<NotificationStatus>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<String>,
    #[serde(default, with = "flag", skip_serializing_if = "is_false")]
    pub unread: bool,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// The violations of a certificate or a rule: `open=true` for unresolved ones only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationQuery {
    #[serde(default, with = "flag", skip_serializing_if = "is_false")]
    pub open: bool,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// `GET /targets`: the targets of one agent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// `GET /owners`: the owners of one team.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
}

/// `POST /policies/evaluate?with=<rule JSON>`: a draft rule evaluated with the stored ones.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EvaluateQuery {
    #[serde(default, with = "param", skip_serializing_if = "Option::is_none")]
    pub with: Option<PolicyInput>,
}

/// The page a query asks for (`page` defaults to 1, `per_page` to [`DEFAULT_PER_PAGE`]).
fn page_request(page: Option<u32>, per_page: Option<u32>) -> PageRequest {
    PageRequest::new(page.unwrap_or(1), per_page.unwrap_or(DEFAULT_PER_PAGE))
}

/// `page`/`per_page` of a page request, normalised as the server would.
fn page_params(p: PageRequest) -> (Option<u32>, Option<u32>) {
    let p = p.normalized();
    (Some(p.page), Some(p.per_page))
}

macro_rules! paged {
    ($($t:ty),*) => {$(
        impl $t {
            /// The page this query asks for.
            pub fn page_request(&self) -> PageRequest {
                page_request(self.page, self.per_page)
            }
        }
    )*};
}
paged!(
    PageQuery,
    CertificateQuery,
    AgentQuery,
    JobQuery,
    AuditQuery,
    NotificationQuery,
    ViolationQuery,
    TargetQuery,
    OwnerQuery
);

impl From<PageRequest> for PageQuery {
    fn from(p: PageRequest) -> Self {
        let (page, per_page) = page_params(p);
        PageQuery { page, per_page }
    }
}

impl CertificateQuery {
    /// The query sending `filter`; refused for store-only filters and tag keys that cannot be
    /// written as `key:value`.
    pub fn new(f: &CertificateFilter, p: PageRequest) -> Result<Self, String> {
        if f.templates_only || f.exclude_templates || f.key_agent_id.is_some() {
            return Err("templates_only, exclude_templates and key_agent_id are store filters without a query parameter".into());
        }
        if let Some((k, _)) = f.tags.iter().find(|(k, _)| k.contains(':') || k.is_empty()) {
            return Err(format!("tag key {k:?} must be non-empty and must not contain ':'"));
        }
        let (page, per_page) = page_params(p);
        Ok(CertificateQuery {
            status: f.status,
            environment: f.environment.clone(),
            owner_id: f.owner_id.as_ref().map(|v| v.as_str().to_owned()),
            team_id: f.team_id.as_ref().map(|v| v.as_str().to_owned()),
            issuer_id: f.issuer_id.as_ref().map(|v| v.as_str().to_owned()),
            renewal_policy_id: f.renewal_policy_id.as_ref().map(|v| v.as_str().to_owned()),
            expires_before: f.expires_before,
            expires_after: f.expires_after,
            q: f.q.clone(),
            tag: f.tags.clone(),
            parent_id: f.parent_id.as_ref().map(|v| v.as_str().to_owned()),
            agent_group_id: f.agent_group_id.as_ref().map(|v| v.as_str().to_owned()),
            include_archived: f.status.is_none() && !f.exclude_archived,
            after: f.after.as_ref().map(|v| v.as_str().to_owned()),
            sort: f.sort,
            page,
            per_page,
        })
    }

    /// The store filter this query selects.
    pub fn filter(&self) -> CertificateFilter {
        CertificateFilter {
            status: self.status,
            environment: self.environment.clone(),
            owner_id: self.owner_id.clone().map(OwnerId::from_trusted),
            team_id: self.team_id.clone().map(TeamId::from_trusted),
            issuer_id: self.issuer_id.clone().map(IssuerId::from_trusted),
            renewal_policy_id: self.renewal_policy_id.clone().map(RenewalPolicyId::from_trusted),
            expires_before: self.expires_before,
            expires_after: self.expires_after,
            q: self.q.clone(),
            tags: self.tag.clone(),
            exclude_archived: self.status.is_none() && !self.include_archived,
            after: self.after.clone().map(CertificateId::from_trusted),
            parent_id: self.parent_id.clone().map(CertificateId::from_trusted),
            agent_group_id: self.agent_group_id.clone().map(GroupId::from_trusted),
            sort: self.sort,
            ..Default::default()
        }
    }
}

impl AgentQuery {
    /// The query sending `filter`; `ids` has no parameter and is refused rather than widened.
    pub fn new(f: &AgentFilter, p: PageRequest) -> Result<Self, String> {
        if f.ids.is_some() {
            return Err("AgentFilter::ids cannot be sent to GET /agents".into());
        }
        let (page, per_page) = page_params(p);
        Ok(AgentQuery {
            status: f.status,
            os: f.os.clone(),
            arch: f.arch.clone(),
            group_id: f.group_id.as_ref().map(|v| v.as_str().to_owned()),
            page,
            per_page,
        })
    }

    /// The store filter this query selects.
    pub fn filter(&self) -> AgentFilter {
        AgentFilter {
            status: self.status,
            os: self.os.clone(),
            arch: self.arch.clone(),
            group_id: self.group_id.clone().map(GroupId::from_trusted),
            ids: None,
        }
    }
}

impl JobQuery {
    /// The query sending `filter`.
    pub fn new(f: &JobFilter, p: PageRequest) -> Self {
        let (page, per_page) = page_params(p);
        JobQuery {
            status: f.status,
            job_type: f.job_type,
            certificate_id: f.certificate_id.as_ref().map(|v| v.as_str().to_owned()),
            agent_id: f.agent_id.as_ref().map(|v| v.as_str().to_owned()),
            page,
            per_page,
        }
    }

    /// The store filter this query selects.
    pub fn filter(&self) -> JobFilter {
        JobFilter {
            status: self.status,
            job_type: self.job_type,
            certificate_id: self.certificate_id.clone().map(CertificateId::from_trusted),
            agent_id: self.agent_id.clone().map(AgentId::from_trusted),
        }
    }
}

impl AuditQuery {
    /// The query sending `filter` (`exclude_resource_types` is the server's, never sent).
    pub fn new(f: &AuditFilter, p: PageRequest) -> Self {
        let (page, per_page) = page_params(p);
        AuditQuery {
            actor: f.actor.clone(),
            action: f.action.clone(),
            resource_type: f.resource_type.clone(),
            resource_id: f.resource_id.clone(),
            since: f.since,
            until: f.until,
            page,
            per_page,
        }
    }

    /// The store filter this query selects.
    pub fn filter(&self) -> AuditFilter {
        AuditFilter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
            since: self.since,
            until: self.until,
            exclude_resource_types: Vec::new(),
        }
    }
}

impl NotificationQuery {
    /// The query sending `filter`.
    pub fn new(f: &NotificationFilter, p: PageRequest) -> Self {
        let (page, per_page) = page_params(p);
        NotificationQuery {
            status: f.status,
            certificate_id: f.certificate_id.as_ref().map(|v| v.as_str().to_owned()),
            unread: f.unread,
            page,
            per_page,
        }
    }

    /// The store filter this query selects.
    pub fn filter(&self) -> NotificationFilter {
        NotificationFilter {
            status: self.status,
            certificate_id: self.certificate_id.clone().map(CertificateId::from_trusted),
            unread: self.unread,
        }
    }
}

impl ViolationQuery {
    /// The query for open (or all) violations.
    pub fn new(open_only: bool, p: PageRequest) -> Self {
        let (page, per_page) = page_params(p);
        ViolationQuery { open: open_only, page, per_page }
    }
}

impl TargetQuery {
    /// The query for the targets of `agent_id` (all when `None`).
    pub fn new(agent_id: Option<&str>, p: PageRequest) -> Self {
        let (page, per_page) = page_params(p);
        TargetQuery { agent_id: agent_id.map(str::to_owned), page, per_page }
    }
}

impl OwnerQuery {
    /// The query for the owners of `team_id` (all when `None`).
    pub fn new(team_id: Option<&str>, p: PageRequest) -> Self {
        let (page, per_page) = page_params(p);
        OwnerQuery { team_id: team_id.map(str::to_owned), page, per_page }
    }
}
