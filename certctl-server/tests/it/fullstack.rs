//! Full stack: the real server on a port-0 listener, driven through the library's typed client
//! (`certctl::client`), as the CLI, TUI and agent use it.

use certctl::api::{AgentInput, CertificateInput, ConnectorInput, TeamInput};
use certctl::client::{Client, ClientError, list_all};
use certctl::model::*;

use crate::both_backends;
use crate::support::Server;

both_backends! {
    through_the_client => through_the_client;
}

/// Serves the server's router on 127.0.0.1:0 and returns its base URL.
async fn serve(s: &Server) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = s.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn through_the_client(s: Server) {
    let url = serve(&s).await;
    let admin = Client::builder(&url).api_key(&s.admin).build().unwrap();
    admin.health().await.unwrap();
    assert!(admin.ready().await.unwrap().ready);

    // create and list through the client; --all walks every page
    for i in 0..7 {
        admin
            .create_team(&TeamInput {
                id: Some(format!("team-{i}")),
                name: Some(format!("T{i}")),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let all = list_all(3, |p| admin.list_teams(p)).await.unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all.last().unwrap().id.as_str(), "team-6");

    let c = admin
        .create_certificate(&CertificateInput {
            id: Some("mc-client".into()),
            common_name: "client.example.com".into(),
            environment: Some("staging".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(c.status, CertificateStatus::Pending);
    let filter = CertificateFilter {
        environment: Some("staging".into()),
        exclude_archived: true,
        ..Default::default()
    };
    let page = admin.list_certificates(&filter, PageRequest::default()).await.unwrap();
    assert_eq!(page.data, vec![c.clone()]);

    // typed errors: 404, 409, 422, 401, 403
    let e = admin.get_certificate("mc-none").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    match admin
        .create_team(&TeamInput {
            id: Some("team-0".into()),
            name: Some("dup".into()),
            ..Default::default()
        })
        .await
    {
        Err(ClientError::Api { status: 409, code, .. }) => assert_eq!(code, "conflict"),
        other => panic!("{other:?}"),
    }
    match admin
        .create_certificate(&CertificateInput {
            common_name: "bad..name".into(),
            ..Default::default()
        })
        .await
    {
        Err(ClientError::Api { status: 422, message, .. }) => {
            assert!(message.starts_with("common_name"))
        }
        other => panic!("{other:?}"),
    }
    let nobody = Client::builder(&url).api_key("certctl_nope").build().unwrap();
    assert_eq!(nobody.list_teams(PageRequest::default()).await.unwrap_err().status(), Some(401));
    let viewer = Client::builder(&url).api_key(&s.viewer).build().unwrap();
    assert_eq!(
        viewer
            .create_team(&TeamInput { name: Some("x".into()), ..Default::default() })
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );

    // an agent registers, heartbeats with its own key, gets its first issuance job
    let reg = admin
        .register_agent(&AgentInput { name: "edge-1".into(), ..Default::default() })
        .await
        .unwrap();
    let agent = Client::builder(&url).api_key(&reg.api_key).build().unwrap();
    let meta = AgentMetadata {
        hostname: "edge-1".into(),
        os: "linux".into(),
        arch: "aarch64".into(),
        ip_addresses: vec!["10.9.0.1".into()],
        ..Default::default()
    };
    let hb = agent.heartbeat(reg.agent.id.as_str(), &meta).await.unwrap();
    assert_eq!(hb.status, AgentStatus::Online);
    let t = admin
        .create_target(&ConnectorInput {
            name: Some("edge nginx".into()),
            connector_type: Some("nginx".into()),
            agent_id: Some(Some(reg.agent.id.to_string())),
            config: Some(serde_json::json!({"cert_path": "/etc/nginx/edge.pem"})),
            ..Default::default()
        })
        .await
        .unwrap();
    let patch = certctl::api::CertificatePatch {
        target_ids: Some(vec![t.id.to_string()]),
        ..Default::default()
    };
    admin.update_certificate("mc-client", &patch).await.unwrap();
    let job = admin.renew_certificate("mc-client").await.unwrap();
    assert_eq!(
        (job.status, job.agent_id.clone()),
        (JobStatus::AwaitingCsr, Some(reg.agent.id.clone()))
    );
    assert_eq!(admin.renew_certificate("mc-client").await.unwrap().id, job.id, "idempotent");
    let agents = admin
        .list_agents(
            &AgentFilter { os: Some("Linux".into()), ..Default::default() },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(agents.total, 1);

    let report = admin.verify_audit().await.unwrap();
    assert!(report.valid && report.checked > 10, "{report:?}");
    let summary = admin.summary().await.unwrap();
    assert_eq!(summary.certificates_by_status.get("RenewalInProgress"), Some(&1));

    // nothing listens: unreachable, not an API error
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gone = Client::builder(format!("http://127.0.0.1:{port}")).api_key("k").build().unwrap();
    assert!(matches!(gone.health().await, Err(ClientError::Unreachable(_))));
}
