//! End to end with a real ACME CA: the agent's key and CSR, an order at pebble (started by
//! `scripts/test`) whose HTTP-01 challenge the agent daemon answers — with its built-in responder
//! (`CERTCTL_HTTP01_LISTEN`), or through NGINX's webroot — the chain verified against pebble's
//! root fetched from its management port, deployed to NGINX and seen in a TLS handshake.

use certctl::api::{CertificateInput, ConnectorInput};
use certctl::model::{JobFilter, JobStatus, JobType, PageRequest};
use serde_json::json;

use crate::nginx::Nginx;
use crate::support::{Agent, Server, require};

const CN: &str = "acme-web.example.test";

/// Pebble's env from `scripts/test`, or `None` (skip) outside it.
fn pebble_env() -> Option<(String, String, String, u16)> {
    let Ok(url) = std::env::var("CERTCTL_TEST_PEBBLE_URL") else {
        assert!(
            std::env::var_os("CERTCTL_TEST_REQUIRE_SERVICES").is_none(),
            "CERTCTL_TEST_PEBBLE_URL is not set but CERTCTL_TEST_REQUIRE_SERVICES is"
        );
        eprintln!("skipped: no pebble (run scripts/test)");
        return None;
    };
    let ca = std::fs::read_to_string(std::env::var("CERTCTL_TEST_PEBBLE_CA").unwrap()).unwrap();
    let mgmt = std::env::var("CERTCTL_TEST_PEBBLE_MGMT_URL").unwrap();
    let port = std::env::var("CERTCTL_TEST_PEBBLE_HTTP_PORT").unwrap().parse().unwrap();
    Some((url, ca, mgmt, port))
}

fn openssl_verify(root: &str, chain: &str, leaf_pem: &str) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("root.pem", root), ("chain.pem", chain), ("leaf.pem", leaf_pem)] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = std::process::Command::new("openssl")
        .args(["verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Pebble validates on one port: the two tests take turns.
static HTTP01_PORT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http01_answered_by_the_agent_then_deployed_to_nginx() {
    if !require("nginx") {
        return;
    }
    let Some(env) = pebble_env() else { return };
    let _turn = HTTP01_PORT.lock().await;
    let nginx = Nginx::start(CN);
    let listen = format!("127.0.0.1:{}", env.3);
    issue_and_deploy(env, &nginx, &[("CERTCTL_HTTP01_LISTEN", listen.as_str())], None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http01_through_the_nginx_webroot() {
    if !require("nginx") {
        return;
    }
    let Some(env) = pebble_env() else { return };
    let _turn = HTTP01_PORT.lock().await;
    let nginx = Nginx::start_with_webroot(CN, env.3);
    let webroot = nginx.webroot();
    issue_and_deploy(env, &nginx, &[], Some(webroot.display().to_string())).await;
    let left: Vec<_> =
        std::fs::read_dir(webroot.join(".well-known/acme-challenge")).unwrap().collect();
    assert!(left.is_empty(), "token files are removed once the authorization is final: {left:?}");
}

async fn issue_and_deploy(
    (url, ca, mgmt, _): (String, String, String, u16),
    nginx: &Nginx,
    env: &[(&str, &str)],
    webroot: Option<String>,
) {
    let s = Server::start().await;
    let root = tempfile::tempdir().unwrap();
    let agent = Agent::new(root.path(), &s.url)
        .allow(&[nginx.command(&["-t"]), nginx.command(&["-s", "reload"])], &[nginx.prefix.path()]);
    let (ok, log) = agent.once_with(env).await;
    assert!(ok, "{log}");
    let id = agent.id();

    let cfg = json!({"directory_url": url, "terms_accepted": true, "ca_cert": ca, "challenge": "http-01", "http01_mode": "agent"});
    s.admin
        .create_issuer(&ConnectorInput {
            id: Some("iss-acme".into()),
            name: Some("pebble".into()),
            connector_type: Some("acme".into()),
            config: Some(cfg),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut target = json!({
        "cert_path": nginx.cert_path(), "key_path": nginx.key_path(), "validate_command": nginx.command(&["-t"]),
        "reload_command": nginx.command(&["-s", "reload"]), "verify_address": format!("127.0.0.1:{}", nginx.port), "verify_server_name": CN,
    });
    if let Some(w) = webroot {
        target["webroot"] = json!(w);
    }
    s.admin
        .create_target(&ConnectorInput {
            id: Some("t-nginx".into()),
            name: Some("nginx".into()),
            connector_type: Some("nginx".into()),
            agent_id: Some(Some(id.clone())),
            config: Some(target),
            ..Default::default()
        })
        .await
        .unwrap();
    s.admin
        .create_certificate(&CertificateInput {
            id: Some("mc-acme".into()),
            common_name: CN.into(),
            sans: vec![format!("www.{CN}")],
            issuer_id: Some("iss-acme".into()),
            target_ids: vec!["t-nginx".into()],
            ..Default::default()
        })
        .await
        .unwrap();

    // one agent run: CSR, HTTP-01 served by the agent, order finalized with the agent's CSR, deployed
    let (ok, log) = agent.once_with(env).await;
    assert!(ok, "{log}");
    assert!(log.contains("serving the HTTP-01 token") && log.contains("no longer served"), "{log}");
    let versions = s.admin.certificate_versions("mc-acme").await.unwrap().data;
    assert_eq!(versions.len(), 1);
    let fp = versions[0].fingerprint_sha256.clone();
    assert_eq!(nginx.wait_for(CN, &fp), fp, "NGINX serves the ACME certificate");
    let chain = s.admin.export_certificate("mc-acme").await.unwrap();
    let certs = reqwest::Certificate::from_pem_bundle(ca.as_bytes()).unwrap();
    let http = reqwest::Client::builder().tls_certs_only(certs).build().unwrap();
    let pebble_root =
        http.get(format!("{mgmt}/roots/0")).send().await.unwrap().text().await.unwrap();
    let leaf = certctl::pki::parse_chain(&chain).unwrap().remove(0).pem();
    openssl_verify(&pebble_root, &chain, &leaf);
    let served = std::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", nginx.port),
            "-servername",
            CN,
            "-showcerts",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let served = String::from_utf8_lossy(&served.stdout);
    assert!(served.contains("Pebble Intermediate CA"), "{served}");

    let f = JobFilter {
        job_type: Some(JobType::Validation),
        certificate_id: Some("mc-acme".into()),
        ..Default::default()
    };
    let validations = s.admin.list_jobs(&f, PageRequest::new(1, 10)).await.unwrap().data;
    assert!(
        !validations.is_empty() && validations.iter().all(|j| j.status == JobStatus::Completed),
        "{validations:?}"
    );
    let f = JobFilter {
        job_type: Some(JobType::Deployment),
        certificate_id: Some("mc-acme".into()),
        ..Default::default()
    };
    assert_eq!(
        s.admin.list_jobs(&f, PageRequest::new(1, 10)).await.unwrap().data[0].status,
        JobStatus::Completed
    );
}
