//! Pagination and the list filters of each resource.

use serde::{Deserialize, Serialize};

use super::{
    AgentId, AgentStatus, CertificateId, CertificateStatus, GroupId, IssuerId, JobStatus, JobType,
    NotificationStatus, OwnerId, PolicyId, RenewalPolicyId, TeamId, Timestamp,
};

/// Page size when none is asked for.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// Largest page served.
pub const MAX_PER_PAGE: u32 = 500;

/// Which page of a list (1-based); `per_page` is clamped to [`MAX_PER_PAGE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, per_page: DEFAULT_PER_PAGE }
    }
}

impl PageRequest {
    /// Page `page` of `per_page`, normalised.
    pub fn new(page: u32, per_page: u32) -> Self {
        Self { page, per_page }.normalized()
    }

    /// Clamps to page ≥ 1 and 1 ≤ per_page ≤ [`MAX_PER_PAGE`].
    pub fn normalized(self) -> Self {
        Self { page: self.page.max(1), per_page: self.per_page.clamp(1, MAX_PER_PAGE) }
    }

    /// Rows to skip.
    pub fn offset(self) -> i64 {
        let p = self.normalized();
        i64::from(p.page - 1) * i64::from(p.per_page)
    }

    /// Rows to take.
    pub fn limit(self) -> i64 {
        i64::from(self.normalized().per_page)
    }
}

/// One page of a list, as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Page<T> {
    pub data: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    /// Wraps rows of page `req` out of `total`.
    pub fn new(data: Vec<T>, total: i64, req: PageRequest) -> Self {
        let req = req.normalized();
        Self { data, total, page: req.page, per_page: req.per_page }
    }
}

/// Filters of `GET /certificates`. All set fields must match.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct CertificateFilter {
    pub status: Option<CertificateStatus>,
    pub environment: Option<String>,
    pub owner_id: Option<OwnerId>,
    pub team_id: Option<TeamId>,
    pub issuer_id: Option<IssuerId>,
    pub renewal_policy_id: Option<RenewalPolicyId>,
    pub expires_before: Option<Timestamp>,
    pub expires_after: Option<Timestamp>,
    /// Case-insensitive substring of name, common name or a SAN.
    pub q: Option<String>,
    /// `(key, value)` pairs; all must be present.
    pub tags: Vec<(String, String)>,
    /// Leave out archived certificates unless `status` asks for them.
    pub exclude_archived: bool,
    /// Children of this fleet certificate (template).
    pub parent_id: Option<CertificateId>,
    /// Fleet certificates (templates) bound to this agent group.
    pub agent_group_id: Option<GroupId>,
    /// Only fleet certificates (templates).
    pub templates_only: bool,
    /// Leave out fleet certificates (templates): what is issued.
    pub exclude_templates: bool,
    /// Certificates whose key lives on this agent (the agent of one of their targets).
    pub key_agent_id: Option<AgentId>,
    /// Keyset cursor: only rows after this certificate in the list's order (the id of the last
    /// row of the previous page). `page` is then ignored and `total` still counts the whole filter,
    /// so a walk costs the same on its last page as on its first.
    pub after: Option<CertificateId>,
    /// Order of the rows (`sort=` query parameter); default: by id (or expiry when an expiry
    /// bound is set).
    pub sort: Option<CertificateSort>,
}

impl CertificateFilter {
    /// The list's order: the `ORDER BY` clause, the column compared before the id by the keyset
    /// cursor (`None`: the id alone) and whether it runs descending.
    pub fn ordering(&self) -> (&'static str, Option<&'static str>, bool) {
        match self.sort {
            Some(s) => (s.order_by(), s.column(), s.descending),
            None if self.expires_before.is_some() || self.expires_after.is_some() => {
                ("expires_at, id", Some("expires_at"), false)
            }
            None => ("id", None, false),
        }
    }

    /// Whether [`after`](Self::after) can continue this order: not over a column that may be
    /// empty (`expires_at` of certificates never issued), unless an expiry bound rules those out.
    pub fn cursor_allowed(&self) -> bool {
        self.after.is_none()
            || !matches!(
                self.sort,
                Some(CertificateSort { key: CertificateSortKey::ExpiresAt, .. })
            )
            || self.expires_before.is_some()
            || self.expires_after.is_some()
    }
}

/// Order of `GET /certificates`: `sort=name`, `sort=-expires_at` (`-` = descending), ...; ties
/// are broken by id in the same direction, so pages are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CertificateSort {
    pub key: CertificateSortKey,
    pub descending: bool,
}

/// A column certificates can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CertificateSortKey {
    Name,
    CommonName,
    Status,
    ExpiresAt,
    CreatedAt,
}

impl CertificateSort {
    /// Every accepted key, as written in `sort=`.
    pub const KEYS: &'static [&'static str] =
        &["name", "common_name", "status", "expires_at", "created_at"];

    /// The `ORDER BY` clause (columns only from the fixed list above).
    pub fn order_by(&self) -> &'static str {
        use CertificateSortKey::*;
        match (self.key, self.descending) {
            (Name, false) => "name, id",
            (Name, true) => "name DESC, id DESC",
            (CommonName, false) => "common_name, id",
            (CommonName, true) => "common_name DESC, id DESC",
            (Status, false) => "status, id",
            (Status, true) => "status DESC, id DESC",
            (ExpiresAt, false) => "expires_at, id",
            (ExpiresAt, true) => "expires_at DESC, id DESC",
            (CreatedAt, false) => "created_at, id",
            (CreatedAt, true) => "created_at DESC, id DESC",
        }
    }

    /// The column compared before the id (all but `expires_at` are never empty).
    pub fn column(&self) -> Option<&'static str> {
        use CertificateSortKey::*;
        Some(match self.key {
            Name => "name",
            CommonName => "common_name",
            Status => "status",
            ExpiresAt => "expires_at",
            CreatedAt => "created_at",
        })
    }

    /// As written in `sort=`.
    pub fn as_param(&self) -> String {
        let key = Self::KEYS[self.key as usize];
        if self.descending { format!("-{key}") } else { key.to_owned() }
    }
}

impl std::str::FromStr for CertificateSort {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        use CertificateSortKey::*;
        let (descending, key) = match s.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, s),
        };
        let key = match key {
            "name" => Name,
            "common_name" => CommonName,
            "status" => Status,
            "expires_at" => ExpiresAt,
            "created_at" => CreatedAt,
            _ => {
                return Err(format!(
                    "{s:?} is not one of {} (prefix - for descending)",
                    Self::KEYS.join(", ")
                ));
            }
        };
        Ok(Self { key, descending })
    }
}

/// Filters of `GET /agents`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct AgentFilter {
    pub status: Option<AgentStatus>,
    /// Case-insensitive.
    pub os: Option<String>,
    /// Case-insensitive.
    pub arch: Option<String>,
    /// Members of this agent group (resolved live from its criteria).
    pub group_id: Option<GroupId>,
    /// Restrict to these agents (store level: what `group_id` resolves to).
    pub ids: Option<Vec<AgentId>>,
}

/// Filters of `GET /jobs`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    #[serde(rename = "type")]
    pub job_type: Option<JobType>,
    pub certificate_id: Option<CertificateId>,
    pub agent_id: Option<AgentId>,
}

/// Filters of `GET /audit`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Resource types left out (set by the service from the caller's role, never from a query).
    #[serde(skip)]
    pub exclude_resource_types: Vec<String>,
}

/// Filters of `GET /notifications`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct NotificationFilter {
    pub status: Option<NotificationStatus>,
    pub certificate_id: Option<CertificateId>,
    pub unread: bool,
}

/// Filters of policy violations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ViolationFilter {
    pub policy_id: Option<PolicyId>,
    pub certificate_id: Option<CertificateId>,
    /// Only violations without `resolved_at`.
    pub open_only: bool,
}
