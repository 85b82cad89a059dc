//! An ACME order survives a server restart: the real `certctl-server` binary is killed (SIGKILL)
//! while its order waits for the agent's HTTP-01 token; the restarted server takes the order up
//! again (its lease expired) and, once the agent serves the token, the job completes.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use certctl::api::{AgentInput, CertificateInput, ConnectorInput, JobReport, WorkItem};
use certctl::client::Client;
use certctl::model::{JobStatus, JobType};
use serde_json::json;

use crate::acme::{HTTP01_PORT, pebble, serve_on};

fn start(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .env("CERTCTL_DATA_DIR", dir)
        .env("CERTCTL_LISTEN", format!("127.0.0.1:{port}"))
        .env("CERTCTL_JOB_PROCESSOR_INTERVAL", "200ms")
        .env("CERTCTL_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8,::1/128")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn up(url: &str, key: &str) -> Client {
    let c = Client::builder(url).api_key(key).build().unwrap();
    for _ in 0..200 {
        if c.health().await.is_ok() {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not come up");
}

async fn validation_work(agent: &Client, id: &str, within: Duration) -> WorkItem {
    let start = Instant::now();
    loop {
        if let Some(w) = agent
            .agent_work(id)
            .await
            .unwrap()
            .data
            .into_iter()
            .find(|w| w.job.job_type == JobType::Validation)
        {
            return w;
        }
        assert!(start.elapsed() < within, "no validation work within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

type Tokens = Arc<Mutex<HashMap<String, String>>>;

async fn token(
    State(t): State<Tokens>,
    Path(token): Path<String>,
) -> Result<String, axum::http::StatusCode> {
    t.lock().unwrap().get(&token).cloned().ok_or(axum::http::StatusCode::NOT_FOUND)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_resumes_after_a_server_restart() {
    let Some(p) = pebble() else { return };
    let _turn = HTTP01_PORT.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = start(dir.path(), port);
    let key_file = dir.path().join("admin.key");
    for _ in 0..200 {
        if key_file.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let key = std::fs::read_to_string(&key_file).unwrap().trim().to_owned();
    let admin = up(&url, &key).await;
    let cfg = p.issuer_config(json!({"http01_mode": "agent"}));
    admin
        .create_issuer(&ConnectorInput {
            id: Some("iss-acme".into()),
            name: Some("pebble".into()),
            connector_type: Some("acme".into()),
            config: Some(cfg),
            ..Default::default()
        })
        .await
        .unwrap();
    let reg = admin
        .register_agent(&AgentInput { name: "edge".into(), ..Default::default() })
        .await
        .unwrap();
    let agent_id = reg.agent.id.to_string();
    let agent = Client::builder(&url).api_key(&reg.api_key).build().unwrap();
    let t = admin
        .create_target(&ConnectorInput {
            name: Some("files".into()),
            connector_type: Some("file".into()),
            agent_id: Some(Some(agent_id.clone())),
            config: Some(json!({"fullchain_path": "/tmp/certctl-restart.pem"})),
            ..Default::default()
        })
        .await
        .unwrap();
    admin
        .create_certificate(&CertificateInput {
            id: Some("mc-restart".into()),
            common_name: "restart.example.test".into(),
            issuer_id: Some("iss-acme".into()),
            target_ids: vec![t.id.to_string()],
            ..Default::default()
        })
        .await
        .unwrap();
    let item = agent
        .agent_work(&agent_id)
        .await
        .unwrap()
        .data
        .into_iter()
        .find(|w| w.job.status == JobStatus::AwaitingCsr)
        .unwrap();
    let key_pair = certctl::pki::PrivateKey::generate_p256().unwrap();
    let csr = certctl::pki::build_csr(&key_pair, &item.common_name, &item.sans).unwrap();
    assert_eq!(
        agent.submit_csr(&agent_id, item.job.id.as_str(), &csr).await.unwrap().status,
        JobStatus::Running
    );
    let before = validation_work(&agent, &agent_id, Duration::from_secs(30)).await;

    // crash while the order waits for the agent
    child.kill().unwrap();
    child.wait().unwrap();
    let mut child = start(dir.path(), port);
    let _ = up(&url, &key).await;
    assert_eq!(
        admin.get_job(item.job.id.as_str()).await.unwrap().status,
        JobStatus::Running,
        "the job is not lost"
    );

    // the agent serves the token (still handed out after the restart) and says so
    let tokens = Tokens::default();
    let v = before.validation.clone().unwrap();
    tokens.lock().unwrap().insert(v.token.clone(), v.key_authorization.clone());
    let router = axum::Router::new()
        .route("/.well-known/acme-challenge/{token}", axum::routing::get(token))
        .with_state(tokens.clone());
    let _http01 = serve_on(router, p.http_port).await;
    let after = validation_work(&agent, &agent_id, Duration::from_secs(30)).await;
    assert_eq!(after.validation.as_ref().map(|v| &v.token), Some(&v.token));
    agent
        .report_job(
            &agent_id,
            after.job.id.as_str(),
            &JobReport { status: "Ready".into(), message: None },
        )
        .await
        .unwrap();

    // the restarted server resumes the order once the dead process's lease has expired (15 s)
    let start = Instant::now();
    let job = loop {
        let j = admin.get_job(item.job.id.as_str()).await.unwrap();
        if j.status.is_terminal() {
            break j;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "still {:?} after 60 s", j.status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    assert_eq!(admin.get_job(after.job.id.as_str()).await.unwrap().status, JobStatus::Completed);
    p.verify_chain(&admin.export_certificate("mc-restart").await.unwrap()).await;
    child.kill().unwrap();
    child.wait().unwrap();
}
