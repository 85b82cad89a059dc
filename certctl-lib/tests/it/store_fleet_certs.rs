//! Fleet certificates in the store: templates and children round-trip (group, target template,
//! parent, agent), one child per template and agent, the fleet filters, the children listing,
//! and the cursor walk without totals.

use std::sync::Arc;

use certctl::Error;
use certctl::model::*;
use certctl::store::Store;

use crate::support::*;
use crate::{assert_err, both_backends};

both_backends! {
    fleet_rows => fleet_rows;
}

async fn ids(s: &dyn Store, f: CertificateFilter) -> Vec<String> {
    let p = s.list_certificates(&f, PageRequest::new(1, 500)).await.unwrap();
    assert_eq!(p.total as usize, p.data.len(), "total matches rows for {f:?}");
    p.data.into_iter().map(|c| c.id.to_string()).collect()
}

async fn fleet_rows(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_group(
        &AgentGroup {
            id: "grp-web".into(),
            name: "web".into(),
            description: String::new(),
            criteria: Default::default(),
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        },
        &audit("agent_group_created", "grp-web"),
    )
    .await
    .unwrap();
    for a in ["ag-1", "ag-2"] {
        s.create_agent(&agent(a), &audit("agent_registered", a)).await.unwrap();
    }
    let mut t = cert("mc-tpl", "{agent_name}.example.com");
    t.agent_group_id = Some("grp-web".into());
    t.target_template = Some(TargetTemplate {
        target_type: "file".into(),
        name: None,
        config: serde_json::json!({"cert_path": "/srv/{agent_id}.pem"}),
    });
    s.create_certificate(&t, &audit("certificate_created", "mc-tpl")).await.unwrap();
    let got = s.get_certificate(&"mc-tpl".into()).await.unwrap();
    assert_eq!(
        (got.agent_group_id.clone(), got.target_template.clone(), got.parent_id.clone()),
        (t.agent_group_id.clone(), t.target_template.clone(), None)
    );
    assert!(got.is_template());

    // children: created with their target in one transaction; a second child on the same agent is refused
    for (id, a) in [("mc-c1", "ag-1"), ("mc-c2", "ag-2")] {
        let mut c = cert(id, &format!("{a}.example.com"));
        c.parent_id = Some("mc-tpl".into());
        c.agent_id = Some(a.into());
        c.target_ids = vec![format!("t-{id}").as_str().into()];
        s.create_fleet_child(
            &target(&format!("t-{id}"), Some(a)),
            &c,
            &[audit("target_created", "t"), audit("certificate_created", id)],
        )
        .await
        .unwrap();
        let back = s.get_certificate(&id.into()).await.unwrap();
        assert_eq!(
            (back.parent_id, back.agent_id, back.target_template, back.target_ids),
            (c.parent_id, c.agent_id, None, c.target_ids)
        );
    }
    let mut dup = cert("mc-c3", "dup.example.com");
    dup.parent_id = Some("mc-tpl".into());
    dup.agent_id = Some("ag-1".into());
    dup.target_ids = vec!["t-mc-c3".into()];
    assert_err!(
        s.create_fleet_child(
            &target("t-mc-c3", Some("ag-1")),
            &dup,
            &[audit("certificate_created", "mc-c3")]
        )
        .await,
        Error::Conflict(_)
    );
    assert_err!(s.get_target(&"t-mc-c3".into()).await, Error::NotFound { .. });
    s.create_certificate(
        &cert("mc-plain", "plain.example.com"),
        &audit("certificate_created", "mc-plain"),
    )
    .await
    .unwrap();

    // the fleet filters (list and scan agree)
    let f = |f: CertificateFilter| f;
    assert_eq!(
        ids(&*s, f(CertificateFilter { parent_id: Some("mc-tpl".into()), ..Default::default() }))
            .await,
        ["mc-c1", "mc-c2"]
    );
    assert_eq!(
        ids(
            &*s,
            f(CertificateFilter { agent_group_id: Some("grp-web".into()), ..Default::default() })
        )
        .await,
        ["mc-tpl"]
    );
    assert_eq!(
        ids(&*s, f(CertificateFilter { templates_only: true, ..Default::default() })).await,
        ["mc-tpl"]
    );
    assert_eq!(
        ids(&*s, f(CertificateFilter { exclude_templates: true, ..Default::default() })).await,
        ["mc-c1", "mc-c2", "mc-plain"]
    );
    assert_eq!(
        ids(&*s, f(CertificateFilter { key_agent_id: Some("ag-2".into()), ..Default::default() }))
            .await,
        ["mc-c2"]
    );
    let children = s.fleet_children(&"mc-tpl".into()).await.unwrap();
    assert_eq!(
        children
            .iter()
            .map(|c| (
                c.id.as_str(),
                c.agent_id.as_ref().map(|a| a.as_str()),
                c.common_name.as_str()
            ))
            .collect::<Vec<_>>(),
        [("mc-c1", Some("ag-1"), "ag-1.example.com"), ("mc-c2", Some("ag-2"), "ag-2.example.com")]
    );

    // an archived child stays a child (listed, archived) and can come back: same row
    let mut c1 = s.get_certificate(&"mc-c1".into()).await.unwrap();
    c1.status = CertificateStatus::Archived;
    s.update_certificate(&c1, &audit("certificate_archived", "mc-c1")).await.unwrap();
    assert_eq!(
        s.fleet_children(&"mc-tpl".into()).await.unwrap()[0].status,
        CertificateStatus::Archived
    );
    assert_eq!(
        ids(
            &*s,
            CertificateFilter {
                parent_id: Some("mc-tpl".into()),
                exclude_archived: true,
                ..Default::default()
            }
        )
        .await,
        ["mc-c2"]
    );

    // scan: pages in id order after the cursor, no total needed
    let mut walked = Vec::new();
    let mut filter = CertificateFilter::default();
    loop {
        let page = s.scan_certificates(&filter, 2).await.unwrap();
        walked.extend(page.iter().map(|c| c.id.to_string()));
        match page.last() {
            Some(last) if page.len() == 2 => filter.after = Some(last.id.clone()),
            _ => break,
        }
    }
    assert_eq!(walked, ["mc-c1", "mc-c2", "mc-plain", "mc-tpl"]);
}
