//! A fleet certificate end to end: three real agent processes (each its own state and key
//! directory) in a group by label; one fleet certificate gives each its own key and certificate,
//! issued through its CSR and deployed to its own files; a fourth agent that joins later gets
//! its own in its first run.

use certctl::api::{CertificateInput, GroupInput};
use certctl::model::{CertificateStatus, GroupCriteria, TargetTemplate};
use serde_json::json;

use crate::support::{Agent, Server};

/// The child of `mc-edge` on `agent`, reloaded.
async fn child_of(s: &Server, agent: &str) -> certctl::model::Certificate {
    let t = s.admin.get_certificate("mc-edge").await.unwrap();
    let c = t
        .children
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.agent_id.as_ref().map(|a| a.as_str()) == Some(agent))
        .unwrap_or_else(|| panic!("no child on {agent}"));
    s.admin.get_certificate(c.id.as_str()).await.unwrap()
}

/// The child is Active with one version whose CN is `cn`, and that is what the agent deployed.
async fn check_issued(
    s: &Server,
    agent: &str,
    cn: &str,
    files: &std::path::Path,
    keys: &std::path::Path,
) {
    let child = child_of(s, agent).await;
    assert_eq!(child.status, CertificateStatus::Active, "{child:?}");
    assert_eq!(child.common_name, cn);
    let versions = s.admin.certificate_versions(child.id.as_str()).await.unwrap().data;
    assert_eq!(versions.len(), 1);
    let leaf = certctl::pki::parse_certificate(&versions[0].pem_chain).unwrap();
    assert_eq!(leaf.subject_cn.as_deref(), Some(cn));
    let deployed =
        certctl::pki::parse_certificate(&std::fs::read_to_string(files.join("cert.pem")).unwrap())
            .unwrap();
    assert_eq!(
        deployed.fingerprint_sha256, versions[0].fingerprint_sha256,
        "{agent} deployed its own certificate"
    );
    // its key was made on that agent and is the deployed one
    let key = std::fs::read_to_string(keys.join(format!("{}.key", child.id))).unwrap();
    assert_eq!(std::fs::read_to_string(files.join("key.pem")).unwrap(), key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_certificate_across_agent_processes() {
    let s = Server::start().await;
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("deployed");
    let agents: Vec<(String, Agent)> = (1..=4)
        .map(|i| {
            (
                format!("edge-{i}"),
                Agent::new(&root.path().join(format!("agent-{i}")), &s.url).allow(&[], &[&out]),
            )
        })
        .collect();
    for (name, _) in &agents {
        std::fs::create_dir_all(out.join(name)).unwrap();
    }
    s.admin
        .create_agent_group(&GroupInput {
            id: Some("grp-edge".into()),
            name: Some("edge".into()),
            criteria: Some(GroupCriteria {
                reported_labels: [("fleet".into(), "edge".into())].into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();

    // three agents register (bootstrap token) and heartbeat: members of the group
    for (name, a) in &agents[..3] {
        let (ok, log) = a.once_as(name, "fleet=edge").await;
        assert!(ok, "{log}");
    }
    let members = s.admin.agent_group_members("grp-edge", Default::default()).await.unwrap();
    assert_eq!(members.total, 3);

    // one fleet certificate: a child per agent with its own names, target and issuance job
    let template = s
        .admin
        .create_certificate(&CertificateInput {
            id: Some("mc-edge".into()),
            name: Some("edge".into()),
            common_name: "{agent_name}.edge.example.com".into(),
            sans: vec!["{agent_name}.edge.example.com".into(), "{agent_id}.agents.example.com".into()],
            agent_group_id: Some("grp-edge".into()),
            target_template: Some(TargetTemplate {
                target_type: "file".into(),
                name: None,
                config: json!({"cert_path": format!("{}/{{agent_name}}/cert.pem", out.display()), "key_path": format!("{}/{{agent_name}}/key.pem", out.display())}),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(template.children.as_ref().map(Vec::len), Some(3));
    assert!(
        s.admin.certificate_versions("mc-edge").await.unwrap().data.is_empty(),
        "the template is never issued"
    );

    // each agent runs once: makes its key, sends its CSR, deploys its own certificate
    for (name, a) in &agents[..3] {
        let (ok, log) = a.once_as(name, "fleet=edge").await;
        assert!(ok, "{log}");
        let id = a.id();
        check_issued(&s, &id, &format!("{name}.edge.example.com"), &out.join(name), &a.keys).await;
        let child = child_of(&s, &id).await;
        assert_eq!(
            child.sans,
            [format!("{name}.edge.example.com"), format!("{id}.agents.example.com")]
        );
    }

    // a fourth agent joins: its first run registers, joins the group with its heartbeat, and
    // receives, issues and deploys its own child in the same run
    let (name, a) = &agents[3];
    let (ok, log) = a.once_as(name, "fleet=edge").await;
    assert!(ok, "{log}");
    check_issued(&s, &a.id(), "edge-4.edge.example.com", &out.join(name), &a.keys).await;
    let t = s.admin.get_certificate("mc-edge").await.unwrap();
    let children = t.children.unwrap();
    assert_eq!(children.len(), 4);
    assert!(children.iter().all(|c| c.status == CertificateStatus::Active), "{children:?}");
    let mut fingerprints: Vec<String> = Vec::new();
    for c in &children {
        fingerprints.push(
            s.admin.certificate_versions(c.id.as_str()).await.unwrap().data[0]
                .fingerprint_sha256
                .clone(),
        );
    }
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), 4, "four certificates, four keys");
}
