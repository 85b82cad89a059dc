//! The list query strings: every query struct survives encode → decode unchanged (property
//! test), the client's filters become the parameters the server reads, and a bad value is
//! refused naming the parameter.

use certctl::api::query::{decode, encode};
use certctl::api::*;
use certctl::model::*;
use proptest::prelude::*;

/// A value a parameter can carry: not empty (an empty value means "unset").
fn text() -> impl Strategy<Value = String> {
    "\\PC{1,12}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn opt_u32() -> impl Strategy<Value = Option<u32>> {
    proptest::option::of(any::<u32>())
}

fn opt_time() -> impl Strategy<Value = Option<Timestamp>> {
    proptest::option::of(
        (0i64..4_102_444_800_000).prop_map(|ms| Timestamp::from_unix_millis(ms).unwrap()),
    )
}

fn tags() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(("[^:\\pC]{1,6}", "\\PC{0,8}"), 0..4)
}

fn sort() -> impl Strategy<Value = Option<CertificateSort>> {
    proptest::option::of(
        (proptest::sample::select(CertificateSort::KEYS), any::<bool>())
            .prop_map(|(k, desc)| format!("{}{k}", if desc { "-" } else { "" }).parse().unwrap()),
    )
}

fn certificate_query() -> impl Strategy<Value = CertificateQuery> {
    (
        (
            proptest::option::of(proptest::sample::select(CertificateStatus::ALL)),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_text(),
            opt_time(),
            opt_time(),
        ),
        (opt_text(), tags(), opt_text(), opt_text(), any::<bool>(), opt_text(), sort()),
        (opt_u32(), opt_u32()),
    )
        .prop_map(
            |(
                (status, environment, owner_id, team_id, issuer_id, renewal_policy_id, eb, ea),
                (q, tag, parent_id, agent_group_id, include_archived, after, sort),
                (page, per_page),
            )| CertificateQuery {
                status,
                environment,
                owner_id,
                team_id,
                issuer_id,
                renewal_policy_id,
                expires_before: eb,
                expires_after: ea,
                q,
                tag,
                parent_id,
                agent_group_id,
                include_archived,
                after,
                sort,
                page,
                per_page,
            },
        )
}

fn round_trip<T>(q: &T) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let s = encode(q).map_err(TestCaseError::fail)?;
    let back: T = decode(&s).map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
    prop_assert_eq!(&back, q, "{}", s);
    Ok(())
}

proptest! {
    #[test]
    fn certificate_query_round_trips(q in certificate_query()) {
        round_trip(&q)?;
    }

    #[test]
    fn agent_query_round_trips(
        status in proptest::option::of(proptest::sample::select(AgentStatus::ALL)),
        os in opt_text(), arch in opt_text(), group_id in opt_text(),
        page in opt_u32(), per_page in opt_u32(),
    ) {
        round_trip(&AgentQuery { status, os, arch, group_id, page, per_page })?;
    }

    #[test]
    fn job_query_round_trips(
        status in proptest::option::of(proptest::sample::select(JobStatus::ALL)),
        job_type in proptest::option::of(proptest::sample::select(JobType::ALL)),
        certificate_id in opt_text(), agent_id in opt_text(),
        page in opt_u32(), per_page in opt_u32(),
    ) {
        round_trip(&JobQuery { status, job_type, certificate_id, agent_id, page, per_page })?;
    }

    #[test]
    fn audit_query_round_trips(
        actor in opt_text(), action in opt_text(), resource_type in opt_text(),
        resource_id in opt_text(), since in opt_time(), until in opt_time(),
        page in opt_u32(), per_page in opt_u32(),
    ) {
        round_trip(&AuditQuery { actor, action, resource_type, resource_id, since, until, page, per_page })?;
    }

    #[test]
    fn small_queries_round_trip(
        status in proptest::option::of(proptest::sample::select(NotificationStatus::ALL)),
        id in opt_text(), flag in any::<bool>(),
        page in opt_u32(), per_page in opt_u32(),
    ) {
        round_trip(&NotificationQuery { status, certificate_id: id.clone(), unread: flag, page, per_page })?;
        round_trip(&ViolationQuery { open: flag, page, per_page })?;
        round_trip(&TargetQuery { agent_id: id.clone(), page, per_page })?;
        round_trip(&OwnerQuery { team_id: id, page, per_page })?;
        round_trip(&PageQuery { page, per_page })?;
    }
}

#[test]
fn client_filters_become_the_server_defaults() {
    // the server's default view leaves archived certificates out; a filter that includes them
    // says so, and a status includes them without saying it
    let all = CertificateQuery::new(&CertificateFilter::default(), PageRequest::default()).unwrap();
    assert_eq!(encode(&all).unwrap(), "include_archived=true&page=1&per_page=50");
    let live = CertificateFilter { exclude_archived: true, ..Default::default() };
    let q = CertificateQuery::new(&live, PageRequest::new(3, 20)).unwrap();
    assert_eq!(encode(&q).unwrap(), "page=3&per_page=20");
    assert_eq!(decode::<CertificateQuery>("").unwrap().filter(), live);

    let f = CertificateFilter {
        status: Some(CertificateStatus::Active),
        q: Some("api & co".into()),
        tags: vec![("app".into(), "web".into()), ("tier".into(), "a:b".into())],
        owner_id: Some("o-alice".into()),
        expires_before: Some(Timestamp::parse("2030-01-02T03:04:05Z").unwrap()),
        sort: Some("-expires_at".parse().unwrap()),
        ..Default::default()
    };
    let q = CertificateQuery::new(&f, PageRequest::new(2, 10_000)).unwrap();
    let s = encode(&q).unwrap();
    assert!(s.contains("q=api+%26+co") && s.contains("tag=app%3Aweb&tag=tier%3Aa%3Ab"), "{s}");
    assert!(s.contains("sort=-expires_at") && s.ends_with("page=2&per_page=500"), "{s}");
    assert!(!s.contains("include_archived"), "{s}");
    // the server rebuilds the same filter (paging normalised)
    let back: CertificateQuery = decode(&s).unwrap();
    assert_eq!(back.filter(), f);
    assert_eq!(back.page_request(), PageRequest::new(2, MAX_PER_PAGE));

    // store-only filters and tag keys that cannot be written are refused, not widened
    let bad = CertificateFilter { tags: vec![("a:b".into(), "c".into())], ..Default::default() };
    assert!(CertificateQuery::new(&bad, PageRequest::default()).is_err());
    let bad = CertificateFilter { templates_only: true, ..Default::default() };
    assert!(CertificateQuery::new(&bad, PageRequest::default()).is_err());
    let bad = AgentFilter { ids: Some(vec![]), ..Default::default() };
    assert!(AgentQuery::new(&bad, PageRequest::default()).is_err());

    let f = NotificationFilter { status: None, certificate_id: Some("mc-a".into()), unread: true };
    let s = encode(&NotificationQuery::new(&f, PageRequest::default())).unwrap();
    assert_eq!(s, "certificate_id=mc-a&unread=true&page=1&per_page=50");
    let f = JobFilter { job_type: Some(JobType::ALL[0]), ..Default::default() };
    let s = encode(&JobQuery::new(&f, PageRequest::default())).unwrap();
    assert_eq!(s, format!("type={}&page=1&per_page=50", JobType::ALL[0]));
    assert_eq!(
        encode(&ViolationQuery::new(true, PageRequest::default())).unwrap(),
        "open=true&page=1&per_page=50"
    );
    assert_eq!(encode(&PageQuery::default()).unwrap(), "");
}

#[test]
fn server_reading() {
    // absent or empty is unset; a repeated single value keeps the last non-empty one
    let q: CertificateQuery =
        decode("q=&status=Active&status=&environment=a&environment=b").unwrap();
    assert_eq!(
        (q.q, q.status, q.environment.as_deref()),
        (None, Some(CertificateStatus::Active), Some("b"))
    );
    // unknown parameters are ignored; tags repeat and keep ':' in the value
    let q: CertificateQuery = decode("foo=bar&tag=a:1&tag=&tag=b:x:y").unwrap();
    assert_eq!(q.tag, vec![("a".into(), "1".into()), ("b".into(), "x:y".into())]);
    // notification status is case-insensitive
    let q: NotificationQuery = decode("status=dead&unread=1").unwrap();
    assert_eq!((q.status, q.unread), (Some(NotificationStatus::Dead), true));
    let q: ViolationQuery = decode("open=0").unwrap();
    assert!(!q.open);
    // paging defaults and caps
    assert_eq!(decode::<PageQuery>("").unwrap().page_request(), PageRequest::default());
    let p = decode::<PageQuery>("page=0&per_page=100000").unwrap().page_request();
    assert_eq!((p.page, p.per_page), (1, MAX_PER_PAGE));
    let q: EvaluateQuery = decode("with=%7B%22name%22%3A%22x%22%7D").unwrap();
    assert_eq!(q.with.and_then(|w| w.name).as_deref(), Some("x"));
}

#[test]
fn bad_values_name_the_parameter() {
    let err = |s: &str| decode::<CertificateQuery>(s).unwrap_err();
    assert!(
        err("status=Shiny").starts_with("query parameter status: \"Shiny\" is not one of "),
        "{}",
        err("status=Shiny")
    );
    assert_eq!(err("page=x"), "query parameter page: invalid digit found in string");
    assert!(
        err("expires_before=tomorrow").starts_with(
            "query parameter expires_before: \"tomorrow\" is not an RFC 3339 timestamp"
        )
    );
    assert_eq!(err("tag=novalue"), "query parameter tag: \"novalue\" is not key:value");
    assert_eq!(
        err("include_archived=maybe"),
        "query parameter include_archived: \"maybe\" is not true or false"
    );
    assert!(err("sort=size").starts_with("query parameter sort: \"size\" is not one of name"));
    let e = decode::<JobQuery>("type=Nope").unwrap_err();
    assert!(e.starts_with("query parameter type: "), "{e}");
    let e = decode::<NotificationQuery>("status=gone").unwrap_err();
    assert_eq!(e, "query parameter status: \"gone\" is not one of Pending, Sent, Failed, Dead");
    let e = decode::<EvaluateQuery>("with=nope").unwrap_err();
    assert!(e.starts_with("query parameter with: not a policy rule: "), "{e}");
}
