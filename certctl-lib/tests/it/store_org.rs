//! Teams, owners, renewal policies, issuers, groups and policies: CRUD, pagination, typed errors.

use std::sync::Arc;

use certctl::Error;
use certctl::model::*;
use certctl::store::Store;

use crate::support::*;
use crate::{assert_err, both_backends};

both_backends! {
    teams_and_owners => teams_and_owners;
    renewal_policies_and_issuers => renewal_policies_and_issuers;
    groups_and_policies => groups_and_policies;
}

async fn teams_and_owners(s: Arc<dyn Store>) {
    for i in 0..7 {
        s.create_team(&team(&format!("team-{i}")), &audit("team_created", "t")).await.unwrap();
    }
    let got = s.get_team(&"team-3".into()).await.unwrap();
    assert_eq!(got, team_like(&got, "team-3"));
    assert_err!(
        s.create_team(&team("team-3"), &audit("team_created", "team-3")).await,
        Error::Conflict(_)
    );
    assert_err!(s.get_team(&"team-none".into()).await, Error::NotFound { resource: "team", .. });

    let p = s.list_teams(PageRequest::new(2, 3)).await.unwrap();
    assert_eq!((p.total, p.page, p.per_page), (7, 2, 3));
    let ids: Vec<_> = p.data.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["team-3", "team-4", "team-5"]);
    let last = s.list_teams(PageRequest::new(3, 3)).await.unwrap();
    assert_eq!(last.data.len(), 1);
    assert!(s.list_teams(PageRequest::new(9, 3)).await.unwrap().data.is_empty());

    let mut t = got.clone();
    t.description = "platform".into();
    assert_eq!(
        s.update_team(&t, &audit("team_updated", "team-3")).await.unwrap().description,
        "platform"
    );
    let mut ghost = team("team-ghost");
    ghost.name = "x".into();
    assert_err!(
        s.update_team(&ghost, &audit("team_updated", "team-ghost")).await,
        Error::NotFound { .. }
    );

    // owners reference teams
    s.create_owner(&owner("o-alice", Some("team-1")), &audit("owner_created", "o-alice"))
        .await
        .unwrap();
    s.create_owner(&owner("o-bob", None), &audit("owner_created", "o-bob")).await.unwrap();
    assert_err!(
        s.create_owner(&owner("o-carol", Some("team-missing")), &audit("owner_created", "o-carol"))
            .await,
        Error::NotFound { .. }
    );
    assert_err!(s.get_owner(&"o-carol".into()).await, Error::NotFound { .. });
    let team1 = s.list_owners(Some(&"team-1".into()), PageRequest::default()).await.unwrap();
    assert_eq!((team1.total, team1.data[0].id.as_str()), (1, "o-alice"));
    assert_eq!(s.list_owners(None, PageRequest::default()).await.unwrap().total, 2);
    // a referenced team cannot be deleted; an unreferenced one can
    assert_err!(
        s.delete_team(&"team-1".into(), &audit("team_deleted", "team-1")).await,
        Error::Conflict(_)
    );
    s.delete_team(&"team-2".into(), &audit("team_deleted", "team-2")).await.unwrap();
    assert_err!(
        s.delete_team(&"team-2".into(), &audit("team_deleted", "team-2")).await,
        Error::NotFound { .. }
    );
    let mut alice = s.get_owner(&"o-alice".into()).await.unwrap();
    alice.email = "alice@corp.example".into();
    alice.team_id = None;
    assert_eq!(
        s.update_owner(&alice, &audit("owner_updated", "o-alice")).await.unwrap().email,
        "alice@corp.example"
    );
    s.delete_team(&"team-1".into(), &audit("team_deleted", "team-1")).await.unwrap();
    s.delete_owner(&"o-bob".into(), &audit("owner_deleted", "o-bob")).await.unwrap();
    assert_eq!(s.list_owners(None, PageRequest::default()).await.unwrap().total, 1);
}

fn team_like(got: &Team, id: &str) -> Team {
    Team {
        id: id.into(),
        name: format!("Team {id}"),
        description: String::new(),
        created_at: got.created_at,
        updated_at: got.updated_at,
    }
}

async fn renewal_policies_and_issuers(s: Arc<dyn Store>) {
    let rp = renewal_policy("rp-fast", 10);
    assert_eq!(
        s.create_renewal_policy(&rp, &audit("renewal_policy_created", "rp-fast")).await.unwrap(),
        rp
    );
    assert_eq!(s.get_renewal_policy(&rp.id).await.unwrap(), rp, "every field round-trips");
    let mut rp2 = rp.clone();
    rp2.alert_thresholds_days = vec![21, 3];
    rp2.notification_channel_ids = vec!["nc-ops".into()];
    rp2.auto_renew = false;
    let back =
        s.update_renewal_policy(&rp2, &audit("renewal_policy_updated", "rp-fast")).await.unwrap();
    assert_eq!(
        (back.alert_thresholds_days, back.auto_renew, back.notification_channel_ids.len()),
        (vec![21, 3], false, 1)
    );
    assert_err!(s.create_renewal_policy(&rp, &audit("x", "rp-fast")).await, Error::Conflict(_));
    assert_eq!(s.list_renewal_policies(PageRequest::default()).await.unwrap().total, 1);

    let mut iss = issuer("iss-acme");
    iss.issuer_type = "acme".into();
    iss.config =
        serde_json::json!({"directory_url": "https://acme.example/dir", "nested": {"a": [1, 2]}});
    s.create_issuer(&iss, &audit("issuer_created", "iss-acme")).await.unwrap();
    assert_eq!(s.get_issuer(&iss.id).await.unwrap(), iss);
    iss.enabled = false;
    assert!(!s.update_issuer(&iss, &audit("issuer_updated", "iss-acme")).await.unwrap().enabled);
    assert_eq!(s.list_issuers(PageRequest::default()).await.unwrap().data.len(), 1);
    s.delete_issuer(&iss.id, &audit("issuer_deleted", "iss-acme")).await.unwrap();
    s.delete_renewal_policy(&rp.id, &audit("renewal_policy_deleted", "rp-fast")).await.unwrap();
    assert_err!(s.get_issuer(&iss.id).await, Error::NotFound { resource: "issuer", .. });
}

async fn groups_and_policies(s: Arc<dyn Store>) {
    let now = Timestamp::now();
    let mut g = AgentGroup {
        id: "grp-linux".into(),
        name: "linux".into(),
        description: "all linux".into(),
        criteria: GroupCriteria {
            os: vec!["linux".into()],
            cidr: vec!["10.0.0.0/8".into()],
            ..Default::default()
        },
        created_at: now,
        updated_at: now,
    };
    s.create_group(&g, &audit("agent_group_created", "grp-linux")).await.unwrap();
    assert_eq!(s.get_group(&g.id).await.unwrap(), g);
    g.criteria.labels.insert("env".into(), "prod".into());
    assert_eq!(
        s.update_group(&g, &audit("agent_group_updated", "grp-linux")).await.unwrap().criteria,
        g.criteria
    );
    assert_eq!(s.list_groups(PageRequest::default()).await.unwrap().total, 1);

    let mut rule = PolicyRule {
        id: "pol-domains".into(),
        name: "corp domains".into(),
        rule_type: PolicyType::AllowedDomains,
        config: serde_json::json!({"domains": ["*.corp.example"]}),
        enabled: true,
        severity: Severity::Error,
        mode: PolicyMode::Enforce,
        scope: PolicyScope { agent_group_ids: vec![g.id.clone()], environments: vec![] },
        created_at: now,
        updated_at: now,
    };
    s.create_policy(&rule, &audit("policy_created", "pol-domains")).await.unwrap();
    assert_eq!(s.get_policy(&rule.id).await.unwrap(), rule);
    rule.mode = PolicyMode::Warn;
    assert_eq!(
        s.update_policy(&rule, &audit("policy_updated", "pol-domains")).await.unwrap().mode,
        PolicyMode::Warn
    );
    assert_eq!(
        s.list_policies(PageRequest::default()).await.unwrap().data[0].scope.agent_group_ids,
        vec![g.id.clone()]
    );

    // violations: stored, filtered, resolved once
    cert_prereqs(&*s).await;
    s.create_certificate(&cert("mc-a", "a.corp.example"), &audit("certificate_created", "mc-a"))
        .await
        .unwrap();
    s.create_certificate(&cert("mc-b", "b.example.org"), &audit("certificate_created", "mc-b"))
        .await
        .unwrap();
    let v = PolicyViolation {
        id: "viol-1".into(),
        policy_id: rule.id.clone(),
        certificate_id: "mc-b".into(),
        message: "b.example.org is not under *.corp.example".into(),
        severity: Severity::Error,
        created_at: now,
        resolved_at: None,
    };
    s.create_violation(&v, &audit("policy_violation_opened", "viol-1")).await.unwrap();
    let open = ViolationFilter { open_only: true, ..Default::default() };
    assert_eq!(s.list_violations(&open, PageRequest::default()).await.unwrap().total, 1);
    let by_cert = ViolationFilter { certificate_id: Some("mc-a".into()), ..Default::default() };
    assert_eq!(s.list_violations(&by_cert, PageRequest::default()).await.unwrap().total, 0);
    let resolved = s
        .resolve_violation(&v.id, Timestamp::now(), &audit("policy_violation_resolved", "viol-1"))
        .await
        .unwrap();
    assert!(resolved.resolved_at.is_some());
    assert_eq!(s.list_violations(&open, PageRequest::default()).await.unwrap().total, 0);
    let by_policy = ViolationFilter { policy_id: Some(rule.id.clone()), ..Default::default() };
    assert_eq!(
        s.list_violations(&by_policy, PageRequest::default()).await.unwrap().total,
        1,
        "kept after resolving"
    );

    s.delete_group(&g.id, &audit("agent_group_deleted", "grp-linux")).await.unwrap();
    s.delete_policy(&rule.id, &audit("policy_deleted", "pol-domains")).await.unwrap();
    assert_err!(s.get_policy(&rule.id).await, Error::NotFound { .. });
}
