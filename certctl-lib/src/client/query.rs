//! Filters and page requests → query parameters, spelled exactly as the server parses them.

use super::{ClientError, Query, Result};
use crate::model::{
    AgentFilter, AuditFilter, CertificateFilter, JobFilter, NotificationFilter, PageRequest,
    Timestamp,
};

/// `page` and `per_page` (normalised: page ≥ 1, 1 ≤ per_page ≤ the server's maximum).
pub(crate) fn page(q: &mut Query, p: PageRequest) {
    let p = p.normalized();
    q.push(("page", p.page.to_string()));
    q.push(("per_page", p.per_page.to_string()));
}

/// Adds `key=value` when `value` is set and not empty (the server ignores empty values).
fn opt<T: AsRef<str>>(q: &mut Query, key: &'static str, value: Option<T>) {
    if let Some(v) = value.as_ref().map(AsRef::as_ref).filter(|v| !v.is_empty()) {
        q.push((key, v.to_owned()));
    }
}

fn time(q: &mut Query, key: &'static str, value: Option<Timestamp>) {
    opt(q, key, value.map(Timestamp::to_rfc3339));
}

fn flag(q: &mut Query, key: &'static str, on: bool) {
    if on {
        q.push((key, "true".to_owned()));
    }
}

/// `GET /certificates`. The server excludes archived certificates unless a `status` is given
/// or `include_archived=true`; so `exclude_archived: false` without a status sends
/// `include_archived=true`, and the server rebuilds the same filter.
pub(crate) fn certificates(f: &CertificateFilter, p: PageRequest) -> Result<Query> {
    if f.templates_only || f.exclude_templates || f.key_agent_id.is_some() {
        return Err(ClientError::Config("templates_only, exclude_templates and key_agent_id are store filters without a query parameter".into()));
    }
    let mut q = Query::new();
    opt(&mut q, "status", f.status.map(|s| s.as_str()));
    opt(&mut q, "environment", f.environment.as_ref());
    opt(&mut q, "owner_id", f.owner_id.as_ref());
    opt(&mut q, "team_id", f.team_id.as_ref());
    opt(&mut q, "issuer_id", f.issuer_id.as_ref());
    opt(&mut q, "renewal_policy_id", f.renewal_policy_id.as_ref());
    time(&mut q, "expires_before", f.expires_before);
    time(&mut q, "expires_after", f.expires_after);
    opt(&mut q, "q", f.q.as_ref());
    for (k, v) in &f.tags {
        if k.contains(':') || k.is_empty() {
            return Err(ClientError::Config(format!(
                "tag key {k:?} must be non-empty and must not contain ':'"
            )));
        }
        q.push(("tag", format!("{k}:{v}")));
    }
    opt(&mut q, "parent_id", f.parent_id.as_ref());
    opt(&mut q, "agent_group_id", f.agent_group_id.as_ref());
    flag(&mut q, "include_archived", f.status.is_none() && !f.exclude_archived);
    opt(&mut q, "after", f.after.as_ref());
    opt(&mut q, "sort", f.sort.map(|s| s.as_param()));
    page(&mut q, p);
    Ok(q)
}

/// `GET /agents`. `ids` has no query parameter; a filter that sets it is refused rather than
/// silently widened.
pub(crate) fn agents(f: &AgentFilter, p: PageRequest) -> Result<Query> {
    if f.ids.is_some() {
        return Err(ClientError::Config("AgentFilter::ids cannot be sent to GET /agents".into()));
    }
    let mut q = Query::new();
    opt(&mut q, "status", f.status.map(|s| s.as_str()));
    opt(&mut q, "os", f.os.as_ref());
    opt(&mut q, "arch", f.arch.as_ref());
    opt(&mut q, "group_id", f.group_id.as_ref());
    page(&mut q, p);
    Ok(q)
}

/// `GET /jobs`.
pub(crate) fn jobs(f: &JobFilter, p: PageRequest) -> Query {
    let mut q = Query::new();
    opt(&mut q, "status", f.status.map(|s| s.as_str()));
    opt(&mut q, "type", f.job_type.map(|t| t.as_str()));
    opt(&mut q, "certificate_id", f.certificate_id.as_ref());
    opt(&mut q, "agent_id", f.agent_id.as_ref());
    page(&mut q, p);
    q
}

/// `GET /audit`.
pub(crate) fn audit(f: &AuditFilter, p: PageRequest) -> Query {
    let mut q = Query::new();
    opt(&mut q, "actor", f.actor.as_ref());
    opt(&mut q, "action", f.action.as_ref());
    opt(&mut q, "resource_type", f.resource_type.as_ref());
    opt(&mut q, "resource_id", f.resource_id.as_ref());
    time(&mut q, "since", f.since);
    time(&mut q, "until", f.until);
    page(&mut q, p);
    q
}

/// `GET /notifications`.
pub(crate) fn notifications(f: &NotificationFilter, p: PageRequest) -> Query {
    let mut q = Query::new();
    opt(&mut q, "status", f.status.map(|s| s.as_str()));
    opt(&mut q, "certificate_id", f.certificate_id.as_ref());
    flag(&mut q, "unread", f.unread);
    page(&mut q, p);
    q
}

/// Paging only.
pub(crate) fn paged(p: PageRequest) -> Query {
    let mut q = Query::new();
    page(&mut q, p);
    q
}

/// A list with one optional reference filter (`agent_id` of targets, `team_id` of owners) and
/// paging.
pub(crate) fn with(key: &'static str, value: Option<&str>, p: PageRequest) -> Query {
    let mut q = Query::new();
    opt(&mut q, key, value);
    page(&mut q, p);
    q
}

/// Violations of a rule: `open=true` for unresolved ones only.
pub(crate) fn violations(open_only: bool, p: PageRequest) -> Query {
    let mut q = Query::new();
    flag(&mut q, "open", open_only);
    page(&mut q, p);
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    /// The query string as reqwest would encode it.
    fn encode(q: &Query) -> String {
        let mut url = reqwest::Url::parse("http://x/").unwrap();
        url.query_pairs_mut().extend_pairs(q.iter().map(|(k, v)| (*k, v.as_str())));
        url.query().unwrap_or("").to_owned()
    }

    #[test]
    fn empty_certificate_filter_includes_archived() {
        let q = certificates(&CertificateFilter::default(), PageRequest::default()).unwrap();
        assert_eq!(encode(&q), "include_archived=true&page=1&per_page=50");
        let live = CertificateFilter { exclude_archived: true, ..Default::default() };
        assert_eq!(
            encode(&certificates(&live, PageRequest::new(3, 20)).unwrap()),
            "page=3&per_page=20"
        );
    }

    #[test]
    fn full_certificate_filter() {
        let f = CertificateFilter {
            status: Some(CertificateStatus::Active),
            environment: Some("production".into()),
            owner_id: Some("o-alice".into()),
            team_id: Some("team-web".into()),
            issuer_id: Some("iss-local".into()),
            renewal_policy_id: Some("rp-default".into()),
            expires_before: Some(Timestamp::parse("2030-01-02T03:04:05Z").unwrap()),
            expires_after: Some(Timestamp::parse("2029-01-01T00:00:00+00:00").unwrap()),
            q: Some("api & co".into()),
            tags: vec![("app".into(), "web".into()), ("tier".into(), "a:b".into())],
            exclude_archived: false,
            parent_id: Some("mc-fleet".into()),
            agent_group_id: Some("grp-web".into()),
            after: Some("mc-b".into()),
            ..Default::default()
        };
        let q = certificates(&f, PageRequest::new(2, 10_000)).unwrap();
        let expires_before = Timestamp::parse("2030-01-02T03:04:05Z").unwrap().to_rfc3339();
        assert!(expires_before.starts_with("2030-01-02T03:04:05"), "{expires_before}");
        assert_eq!(
            q,
            vec![
                ("status", "Active".to_owned()),
                ("environment", "production".to_owned()),
                ("owner_id", "o-alice".to_owned()),
                ("team_id", "team-web".to_owned()),
                ("issuer_id", "iss-local".to_owned()),
                ("renewal_policy_id", "rp-default".to_owned()),
                ("expires_before", expires_before),
                ("expires_after", Timestamp::parse("2029-01-01T00:00:00Z").unwrap().to_rfc3339()),
                ("q", "api & co".to_owned()),
                ("tag", "app:web".to_owned()),
                ("tag", "tier:a:b".to_owned()),
                ("parent_id", "mc-fleet".to_owned()),
                ("agent_group_id", "grp-web".to_owned()),
                ("after", "mc-b".to_owned()),
                ("page", "2".to_owned()),
                ("per_page", MAX_PER_PAGE.to_string()),
            ]
        );
        // A status makes the server include archived ones as asked: no include_archived.
        let s = encode(&q);
        assert!(s.contains("q=api+%26+co") && s.contains("tag=tier%3Aa%3Ab"), "{s}");
        assert!(!s.contains("include_archived"), "{s}");
    }

    #[test]
    fn bad_tag_key_refused() {
        let f = CertificateFilter { tags: vec![("a:b".into(), "c".into())], ..Default::default() };
        assert!(matches!(certificates(&f, PageRequest::default()), Err(ClientError::Config(_))));
    }

    #[test]
    fn agent_filter() {
        let f = AgentFilter {
            status: Some(AgentStatus::ALL[0]),
            os: Some("linux".into()),
            arch: Some("".into()),
            group_id: None,
            ids: None,
        };
        let q = agents(&f, PageRequest::new(0, 0)).unwrap();
        assert_eq!(
            q,
            vec![
                ("status", AgentStatus::ALL[0].as_str().to_owned()),
                ("os", "linux".to_owned()),
                ("page", "1".to_owned()),
                ("per_page", "1".to_owned()),
            ]
        );
        let f = AgentFilter { ids: Some(vec![]), ..Default::default() };
        assert!(agents(&f, PageRequest::default()).is_err());
    }

    #[test]
    fn job_audit_notification_filters() {
        let f = JobFilter {
            status: Some(JobStatus::ALL[0]),
            job_type: Some(JobType::ALL[0]),
            certificate_id: Some("mc-a".into()),
            agent_id: Some("ag-b".into()),
        };
        let s = encode(&jobs(&f, PageRequest::default()));
        let want = format!(
            "status={}&type={}&certificate_id=mc-a&agent_id=ag-b&page=1&per_page=50",
            JobStatus::ALL[0],
            JobType::ALL[0]
        );
        assert_eq!(s, want);

        let since = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let f = AuditFilter {
            actor: Some("admin".into()),
            action: Some("team_created".into()),
            resource_type: Some("team".into()),
            resource_id: Some("team-a".into()),
            since: Some(since),
            until: None,
            exclude_resource_types: vec![],
        };
        let q = audit(&f, PageRequest::default());
        assert_eq!(
            q[..4].iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["actor", "action", "resource_type", "resource_id"]
        );
        assert_eq!(q[4], ("since", since.to_rfc3339()));
        assert_eq!(Timestamp::parse(&q[4].1).unwrap(), since);
        assert_eq!(q.len(), 7);

        let f =
            NotificationFilter { status: None, certificate_id: Some("mc-a".into()), unread: true };
        assert_eq!(
            encode(&notifications(&f, PageRequest::default())),
            "certificate_id=mc-a&unread=true&page=1&per_page=50"
        );
        assert_eq!(
            encode(&notifications(&NotificationFilter::default(), PageRequest::default())),
            "page=1&per_page=50"
        );
    }

    #[test]
    fn single_reference_and_flag_lists() {
        assert_eq!(
            encode(&with("agent_id", Some("ag-1"), PageRequest::default())),
            "agent_id=ag-1&page=1&per_page=50"
        );
        assert_eq!(encode(&with("team_id", None, PageRequest::default())), "page=1&per_page=50");
        assert_eq!(
            encode(&violations(true, PageRequest::default())),
            "open=true&page=1&per_page=50"
        );
        assert_eq!(encode(&violations(false, PageRequest::default())), "page=1&per_page=50");
    }
}
