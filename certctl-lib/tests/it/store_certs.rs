//! Certificates: every list filter, pagination, exact totals, renewal due list, versions, targets.

use std::sync::Arc;

use certctl::Error;
use certctl::model::*;
use certctl::store::Store;

use crate::support::*;
use crate::{assert_err, both_backends};

both_backends! {
    certificate_filters => certificate_filters;
    certificate_updates_and_counts => certificate_updates_and_counts;
    versions_and_targets => versions_and_targets;
}

async fn ids(s: &dyn Store, f: CertificateFilter) -> Vec<String> {
    let p = s.list_certificates(&f, PageRequest::new(1, 500)).await.unwrap();
    assert_eq!(p.total as usize, p.data.len(), "total matches rows for {f:?}");
    let mut v: Vec<String> = p.data.into_iter().map(|c| c.id.to_string()).collect();
    v.sort();
    v
}

async fn certificate_filters(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_issuer(&issuer("iss-other"), &audit("issuer_created", "iss-other")).await.unwrap();
    s.create_team(&team("team-web"), &audit("team_created", "team-web")).await.unwrap();
    s.create_owner(&owner("o-alice", Some("team-web")), &audit("owner_created", "o-alice"))
        .await
        .unwrap();

    let base = ts("2027-01-01T00:00:00Z");
    let mut a = cert("mc-a", "api.example.com");
    a.sans = vec!["api.example.com".into(), "API-v2.Example.com".into()];
    a.status = CertificateStatus::Active;
    a.expires_at = Some(base);
    a.owner_id = Some("o-alice".into());
    a.team_id = Some("team-web".into());
    a.tags.insert("app".into(), "billing".into());
    a.tags.insert("tier".into(), "1".into());
    let mut b = cert("mc-b", "www.example.org");
    b.status = CertificateStatus::Active;
    b.expires_at = Some(base.plus(time::Duration::days(10)));
    b.environment = Some("staging".into());
    b.tags.insert("app".into(), "web".into());
    let mut c = cert("mc-c", "db_1.internal");
    c.status = CertificateStatus::Expiring;
    c.expires_at = Some(base.plus(time::Duration::days(-5)));
    c.issuer_id = "iss-other".into();
    c.name = "100% legacy".into();
    let d = cert("mc-d", "pending.example.com");
    let mut e = cert("mc-e", "old.example.com");
    e.status = CertificateStatus::Archived;
    for x in [&a, &b, &c, &d, &e] {
        s.create_certificate(x, &audit("certificate_created", x.id.as_str())).await.unwrap();
    }
    assert_eq!(s.get_certificate(&a.id).await.unwrap(), a, "every field round-trips");
    assert_err!(
        s.create_certificate(&a, &audit("certificate_created", "mc-a")).await,
        Error::Conflict(_)
    );
    let mut bad = cert("mc-bad", "x.example.com");
    bad.owner_id = Some("o-nobody".into());
    assert_err!(
        s.create_certificate(&bad, &audit("certificate_created", "mc-bad")).await,
        Error::NotFound { .. }
    );

    let f = CertificateFilter::default;
    // lists and single reads render every field identically
    for listed in s.list_certificates(&f(), PageRequest::new(1, 500)).await.unwrap().data {
        assert_eq!(listed, s.get_certificate(&listed.id).await.unwrap());
    }
    assert_eq!(ids(&*s, f()).await, ["mc-a", "mc-b", "mc-c", "mc-d", "mc-e"]);
    assert_eq!(
        ids(&*s, CertificateFilter { exclude_archived: true, ..f() }).await,
        ["mc-a", "mc-b", "mc-c", "mc-d"]
    );
    assert_eq!(
        ids(&*s, CertificateFilter { status: Some(CertificateStatus::Active), ..f() }).await,
        ["mc-a", "mc-b"]
    );
    assert_eq!(
        ids(
            &*s,
            CertificateFilter {
                status: Some(CertificateStatus::Archived),
                exclude_archived: true,
                ..f()
            }
        )
        .await,
        ["mc-e"]
    );
    assert_eq!(
        ids(&*s, CertificateFilter { environment: Some("staging".into()), ..f() }).await,
        ["mc-b"]
    );
    assert_eq!(
        ids(&*s, CertificateFilter { owner_id: Some("o-alice".into()), ..f() }).await,
        ["mc-a"]
    );
    assert_eq!(
        ids(&*s, CertificateFilter { team_id: Some("team-web".into()), ..f() }).await,
        ["mc-a"]
    );
    assert_eq!(
        ids(&*s, CertificateFilter { issuer_id: Some("iss-other".into()), ..f() }).await,
        ["mc-c"]
    );
    assert_eq!(
        ids(
            &*s,
            CertificateFilter { expires_before: Some(base.plus(time::Duration::days(1))), ..f() }
        )
        .await,
        ["mc-a", "mc-c"]
    );
    assert_eq!(ids(&*s, CertificateFilter { expires_after: Some(base), ..f() }).await, ["mc-b"]);
    assert_eq!(
        ids(
            &*s,
            CertificateFilter {
                expires_after: Some(base.plus(time::Duration::days(-6))),
                expires_before: Some(base.plus(time::Duration::days(5))),
                ..f()
            }
        )
        .await,
        ["mc-a", "mc-c"]
    );
    // q: case-insensitive substring of name, CN or a SAN; LIKE wildcards are literal
    assert_eq!(ids(&*s, CertificateFilter { q: Some("api-V2".into()), ..f() }).await, ["mc-a"]);
    assert_eq!(
        ids(&*s, CertificateFilter { q: Some("EXAMPLE.ORG".into()), ..f() }).await,
        ["mc-b"]
    );
    assert_eq!(
        ids(&*s, CertificateFilter { q: Some("api-v2.example.com".into()), ..f() }).await,
        ["mc-a"],
        "longer than the index window"
    );
    assert!(
        ids(&*s, CertificateFilter { q: Some("api-v2.example.comX".into()), ..f() })
            .await
            .is_empty(),
        "the whole of q must match"
    );
    assert_eq!(ids(&*s, CertificateFilter { q: Some("100%".into()), ..f() }).await, ["mc-c"]);
    assert_eq!(ids(&*s, CertificateFilter { q: Some("db_1".into()), ..f() }).await, ["mc-c"]);
    assert!(
        ids(&*s, CertificateFilter { q: Some("www_example".into()), ..f() }).await.is_empty(),
        "_ is not a wildcard"
    );
    assert!(ids(&*s, CertificateFilter { q: Some("%".into()), ..f() }).await.len() == 1);
    // tags: every pair must match
    let tag = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        ids(&*s, CertificateFilter { tags: vec![tag("app", "billing")], ..f() }).await,
        ["mc-a"]
    );
    assert_eq!(
        ids(&*s, CertificateFilter { tags: vec![tag("app", "billing"), tag("tier", "1")], ..f() })
            .await,
        ["mc-a"]
    );
    assert!(
        ids(&*s, CertificateFilter { tags: vec![tag("app", "billing"), tag("tier", "2")], ..f() })
            .await
            .is_empty()
    );
    assert!(ids(&*s, CertificateFilter { tags: vec![tag("a.b", "x")], ..f() }).await.is_empty());
    // combined
    assert_eq!(
        ids(
            &*s,
            CertificateFilter {
                status: Some(CertificateStatus::Active),
                environment: Some("production".into()),
                ..f()
            }
        )
        .await,
        ["mc-a"]
    );

    // the search index follows renames (and only the new names match)
    let mut renamed = s.get_certificate(&"mc-b".into()).await.unwrap();
    renamed.common_name = "renamed.example.net".into();
    renamed.sans = vec!["renamed.example.net".into()];
    s.update_certificate(&renamed, &audit("certificate_updated", "mc-b")).await.unwrap();
    assert_eq!(
        ids(&*s, CertificateFilter { q: Some("RENAMED.exa".into()), ..f() }).await,
        ["mc-b"]
    );
    assert!(
        ids(&*s, CertificateFilter { q: Some("www.example.org".into()), ..f() }).await.is_empty()
    );
    renamed.common_name = "www.example.org".into();
    renamed.sans = vec!["www.example.org".into()];
    s.update_certificate(&renamed, &audit("certificate_updated", "mc-b")).await.unwrap();

    // pagination with a filter: ordered by expiry when filtering by it
    let p = s
        .list_certificates(
            &CertificateFilter { expires_before: Some(base.plus(time::Duration::days(30))), ..f() },
            PageRequest::new(1, 2),
        )
        .await
        .unwrap();
    assert_eq!(p.total, 3);
    assert_eq!(p.data.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["mc-c", "mc-a"]);
    let p2 = s
        .list_certificates(
            &CertificateFilter { expires_before: Some(base.plus(time::Duration::days(30))), ..f() },
            PageRequest::new(2, 2),
        )
        .await
        .unwrap();
    assert_eq!(p2.data.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["mc-b"]);
    // keyset cursor: the same pages in the expiry order, the total of the whole filter
    let soon =
        CertificateFilter { expires_before: Some(base.plus(time::Duration::days(30))), ..f() };
    let k2 = s
        .list_certificates(
            &CertificateFilter { after: Some("mc-a".into()), ..soon.clone() },
            PageRequest::new(7, 2),
        )
        .await
        .unwrap();
    assert_eq!((k2.total, k2.page), (3, 1));
    assert_eq!(k2.data.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["mc-b"]);
    // and in id order without an expiry filter
    let all = ids(&*s, f()).await;
    let after_first = s
        .list_certificates(
            &CertificateFilter { after: Some(all[0].as_str().into()), ..f() },
            PageRequest::new(1, 500),
        )
        .await
        .unwrap();
    assert_eq!(after_first.total, all.len() as i64);
    assert_eq!(after_first.data.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(), all[1..]);
    // per_page is capped
    assert_eq!(
        s.list_certificates(&f(), PageRequest::new(1, 100_000)).await.unwrap().per_page,
        MAX_PER_PAGE
    );
}

async fn certificate_updates_and_counts(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_renewal_policy(
        &renewal_policy("rp-long", 60),
        &audit("renewal_policy_created", "rp-long"),
    )
    .await
    .unwrap();
    let mut manual = renewal_policy("rp-manual", 90);
    manual.auto_renew = false;
    s.create_renewal_policy(&manual, &audit("renewal_policy_created", "rp-manual")).await.unwrap();
    let now = ts("2027-06-01T00:00:00Z");
    let days = |d: i64| Some(now.plus(time::Duration::days(d)));
    let mk = |id: &str, status: CertificateStatus, exp: Option<Timestamp>, rp: &str| {
        let mut c = cert(id, &format!("{id}.example.com"));
        c.status = status;
        c.expires_at = exp;
        c.renewal_policy_id = rp.into();
        c
    };
    let all = [
        mk("mc-soon", CertificateStatus::Active, days(5), "rp-t"),
        mk("mc-in-window", CertificateStatus::Expiring, days(29), "rp-t"),
        mk("mc-outside", CertificateStatus::Active, days(45), "rp-t"),
        mk("mc-long-window", CertificateStatus::Active, days(45), "rp-long"),
        mk("mc-manual", CertificateStatus::Active, days(3), "rp-manual"),
        mk("mc-failed", CertificateStatus::Failed, days(2), "rp-t"),
        mk("mc-far", CertificateStatus::Active, days(300), "rp-long"),
    ];
    for c in &all {
        s.create_certificate(c, &audit("certificate_created", c.id.as_str())).await.unwrap();
    }
    let due: Vec<String> = s
        .certificates_due_for_renewal(now, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(
        due,
        ["mc-soon", "mc-in-window", "mc-long-window"],
        "inside each policy's window, auto-renew only, soonest first"
    );
    assert_eq!(s.certificates_due_for_renewal(now, 1).await.unwrap().len(), 1);

    let counts = s.count_certificates_by_status().await.unwrap();
    assert_eq!(
        counts,
        vec![
            (CertificateStatus::Active, 5),
            (CertificateStatus::Expiring, 1),
            (CertificateStatus::Failed, 1)
        ]
    );
    // status changes move the counters in the same transaction
    let mut c = s.get_certificate(&"mc-soon".into()).await.unwrap();
    c.status = CertificateStatus::Archived;
    c.updated_at = Timestamp::now();
    let back = s.update_certificate(&c, &audit("certificate_archived", "mc-soon")).await.unwrap();
    assert_eq!(back.status, CertificateStatus::Archived);
    let counts = s.count_certificates_by_status().await.unwrap();
    assert!(
        counts.contains(&(CertificateStatus::Active, 4))
            && counts.contains(&(CertificateStatus::Archived, 1)),
        "{counts:?}"
    );
    let active = s
        .list_certificates(
            &CertificateFilter { status: Some(CertificateStatus::Active), ..Default::default() },
            PageRequest::new(1, 2),
        )
        .await
        .unwrap();
    assert_eq!((active.total, active.data.len()), (4, 2));
    let live = s
        .list_certificates(
            &CertificateFilter { exclude_archived: true, ..Default::default() },
            PageRequest::new(1, 2),
        )
        .await
        .unwrap();
    assert_eq!(live.total, 6);
    // a failed update (unknown issuer) changes nothing, counters included
    let mut broken = s.get_certificate(&"mc-far".into()).await.unwrap();
    broken.status = CertificateStatus::Revoked;
    broken.issuer_id = "iss-nope".into();
    assert_err!(
        s.update_certificate(&broken, &audit("certificate_updated", "mc-far")).await,
        Error::NotFound { .. }
    );
    assert_eq!(
        s.get_certificate(&"mc-far".into()).await.unwrap().status,
        CertificateStatus::Active
    );
    assert!(
        !s.count_certificates_by_status()
            .await
            .unwrap()
            .iter()
            .any(|(st, _)| *st == CertificateStatus::Revoked)
    );
    // imports: all or nothing, one audit event per certificate
    let batch: Vec<_> = (0..5)
        .map(|i| mk(&format!("mc-imp-{i}"), CertificateStatus::Active, days(100), "rp-t"))
        .collect();
    s.import_certificates(&batch, &audit("certificate_imported", "-")).await.unwrap();
    let imported = s
        .list_audit(
            &AuditFilter { action: Some("certificate_imported".into()), ..Default::default() },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(imported.total, 5);
    assert!(imported.data.iter().any(|e| e.resource_id == "mc-imp-3"));
    let dup_inside =
        vec![mk("mc-imp-new", CertificateStatus::Active, days(100), "rp-t"), batch[0].clone()];
    assert_err!(
        s.import_certificates(&dup_inside, &audit("certificate_imported", "-")).await,
        Error::Conflict(_)
    );
    assert_err!(s.get_certificate(&"mc-imp-new".into()).await, Error::NotFound { .. });
    let mut ghost = cert("mc-ghost", "ghost.example.com");
    ghost.updated_at = Timestamp::now();
    assert_err!(
        s.update_certificate(&ghost, &audit("certificate_updated", "mc-ghost")).await,
        Error::NotFound { .. }
    );
}

async fn versions_and_targets(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_agent(&agent("ag-web1"), &audit("agent_registered", "ag-web1")).await.unwrap();
    s.create_target(&target("t-nginx1", Some("ag-web1")), &audit("target_created", "t-nginx1"))
        .await
        .unwrap();
    s.create_target(&target("t-nginx2", Some("ag-web1")), &audit("target_created", "t-nginx2"))
        .await
        .unwrap();
    s.create_target(&target("t-files", None), &audit("target_created", "t-files")).await.unwrap();
    assert_err!(
        s.create_target(&target("t-x", Some("ag-none")), &audit("target_created", "t-x")).await,
        Error::NotFound { .. }
    );
    assert_eq!(
        s.list_targets(Some(&"ag-web1".into()), PageRequest::default()).await.unwrap().total,
        2
    );
    assert_eq!(s.list_targets(None, PageRequest::default()).await.unwrap().total, 3);

    let mut c = cert("mc-web", "web.example.com");
    c.target_ids = vec!["t-nginx1".into(), "t-nginx2".into()];
    s.create_certificate(&c, &audit("certificate_created", "mc-web")).await.unwrap();
    assert_eq!(s.get_certificate(&c.id).await.unwrap().target_ids, c.target_ids);
    let mut bad = cert("mc-bad", "bad.example.com");
    bad.target_ids = vec!["t-missing".into()];
    assert_err!(
        s.create_certificate(&bad, &audit("certificate_created", "mc-bad")).await,
        Error::NotFound { .. }
    );
    assert_err!(s.get_certificate(&"mc-bad".into()).await, Error::NotFound { .. });

    // binding state survives a rebinding that keeps the target
    let mut b = s.list_certificate_targets(&c.id).await.unwrap().remove(0);
    assert_eq!((b.target_id.as_str(), b.deployment_status.as_deref()), ("t-nginx1", None));
    b.deployment_status = Some("Deployed".into());
    b.last_deployed_at = Some(Timestamp::now());
    s.update_certificate_target(&b).await.unwrap();
    c.target_ids = vec!["t-nginx1".into(), "t-files".into()];
    c.updated_at = Timestamp::now();
    let back = s.update_certificate(&c, &audit("certificate_updated", "mc-web")).await.unwrap();
    assert_eq!(back.target_ids, vec![TargetId::from("t-files"), TargetId::from("t-nginx1")]);
    let bindings = s.list_certificate_targets(&c.id).await.unwrap();
    assert_eq!(bindings.len(), 2);
    assert_eq!(
        bindings
            .iter()
            .find(|x| x.target_id.as_str() == "t-nginx1")
            .unwrap()
            .deployment_status
            .as_deref(),
        Some("Deployed")
    );
    let listed =
        s.list_certificates(&CertificateFilter::default(), PageRequest::default()).await.unwrap();
    assert_eq!(listed.data[0].target_ids.len(), 2, "lists carry target ids too");
    // a target in use cannot be deleted
    assert_err!(
        s.delete_target(&"t-files".into(), &audit("target_deleted", "t-files")).await,
        Error::Conflict(_)
    );
    s.delete_target(&"t-nginx2".into(), &audit("target_deleted", "t-nginx2")).await.unwrap();

    // versions: newest first, revocation once
    let mk = |id: &str, nb: &str, na: &str| CertificateVersion {
        id: id.into(),
        certificate_id: c.id.clone(),
        serial_number: format!("{:0>32}", id.len()),
        not_before: ts(nb),
        not_after: ts(na),
        fingerprint_sha256: "ab".repeat(32),
        pem_chain: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
        csr_pem: Some(
            "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n".into(),
        ),
        key_algorithm: "ECDSA".into(),
        key_size: 256,
        revoked_at: None,
        revocation_reason: None,
        key_ciphertext: None,
        created_at: ts(nb),
    };
    let v1 = mk("cv-1", "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z");
    let v2 = mk("cv-2", "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z");
    s.add_version(&v1, &audit("certificate_issued", "cv-1")).await.unwrap();
    s.add_version(&v2, &audit("certificate_issued", "cv-2")).await.unwrap();
    assert_err!(s.add_version(&v1, &audit("certificate_issued", "cv-1")).await, Error::Conflict(_));
    let mut orphan = mk("cv-3", "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z");
    orphan.certificate_id = "mc-none".into();
    assert_err!(
        s.add_version(&orphan, &audit("certificate_issued", "cv-3")).await,
        Error::NotFound { .. }
    );
    let vs = s.list_versions(&c.id).await.unwrap();
    assert_eq!(vs.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["cv-2", "cv-1"]);
    assert_eq!(vs[1], v1, "every field round-trips");
    let r = s
        .revoke_version(
            &v2.id,
            "keyCompromise",
            Timestamp::now(),
            &audit("certificate_revoked", "cv-2"),
        )
        .await
        .unwrap();
    assert_eq!(r.revocation_reason.as_deref(), Some("keyCompromise"));
    assert_err!(
        s.revoke_version(
            &v2.id,
            "superseded",
            Timestamp::now(),
            &audit("certificate_revoked", "cv-2")
        )
        .await,
        Error::Conflict(_)
    );
    assert_err!(
        s.revoke_version(
            &"cv-none".into(),
            "superseded",
            Timestamp::now(),
            &audit("certificate_revoked", "cv-none")
        )
        .await,
        Error::NotFound { .. }
    );
}
