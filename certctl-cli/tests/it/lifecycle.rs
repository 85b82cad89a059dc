//! Certificates end to end in server keygen mode (a job processor loop runs in the test's
//! runtime, so jobs complete without an agent): create, update, renew --wait, versions,
//! export, export-key, jobs, deploy, revoke, archive.

use std::time::Duration;

use certctl::model::{CertificateFilter, PageRequest, Timestamp};
use certctl::service::{KeygenMode, ServiceConfig};
use serde_json::json;

use crate::support::{Server, json};

fn server_keygen() -> Server {
    let s = Server::with(ServiceConfig { keygen_mode: KeygenMode::Server, ..Default::default() });
    let svc = s.svc.clone();
    s.rt.spawn(async move {
        loop {
            let _ = svc.process_jobs(Timestamp::now()).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    s
}

#[test]
fn certificate_lifecycle() {
    let s = server_keygen();
    let c = s.json(&[
        "certs",
        "create",
        "--id",
        "mc-api",
        "--cn",
        "api.example.com",
        "--san",
        "api2.example.com",
        "--env",
        "staging",
        "--tag",
        "app=api",
        "--tag",
        "tier=1",
    ]);
    assert_eq!(c, json(&s.block_on(s.client.get_certificate("mc-api")).unwrap()));
    assert_eq!(c["sans"], json!(["api2.example.com"]));
    assert_eq!(c["tags"], json!({"app": "api", "tier": "1"}));
    assert_eq!(c["status"], "Pending");

    let u = s.json(&[
        "certificates",
        "update",
        "mc-api",
        "--name",
        "API",
        "--environment",
        "production",
    ]);
    assert_eq!(
        (u["name"].as_str(), u["environment"].as_str(), u["common_name"].as_str()),
        (Some("API"), Some("production"), Some("api.example.com"))
    );
    assert_eq!(s.json(&["certs", "get", "mc-api"]), u);

    let filter = CertificateFilter { exclude_archived: true, ..Default::default() };
    let listed = s.json(&["certs", "list"]);
    assert_eq!(
        listed,
        json(
            &s.block_on(s.client.list_certificates(&filter, PageRequest::default())).unwrap().data
        )
    );
    assert_eq!(
        s.json(&["certs", "list", "--environment", "production", "--tag", "app=api"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.json(&["certs", "list", "--q", "api.example"]).as_array().unwrap().len(), 1);
    assert_eq!(s.json(&["certs", "list", "--status", "Active"]), json!([]));

    // renew --wait: follows the job to its end, prints it, exit 0
    let job =
        s.json(&["certs", "renew", "mc-api", "--wait", "--interval", "100ms", "--timeout", "30s"]);
    assert_eq!(job["status"], "Completed", "{job}");
    assert_eq!(job, json(&s.block_on(s.client.get_job(job["id"].as_str().unwrap())).unwrap()));
    assert_eq!(s.json(&["certs", "get", "mc-api"])["status"], "Active");
    assert_eq!(
        s.json(&["certs", "list", "--expiring-within", "400d"]).as_array().unwrap().len(),
        1
    );
    assert_eq!(s.json(&["certs", "list", "--expiring-within", "1d"]), json!([]));

    let versions = s.json(&["certs", "versions", "mc-api"]);
    assert_eq!(versions, json(&s.block_on(s.client.certificate_versions("mc-api")).unwrap().data));
    assert_eq!(versions.as_array().unwrap().len(), 1);
    let pem = s.table(&["certs", "export", "mc-api"]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let key = s.table(&["certs", "export-key", "mc-api"]);
    assert!(key.contains("PRIVATE KEY"), "server keygen demo: the key is exportable");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("api.pem");
    s.table(&["certs", "export", "mc-api", "--out", file.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pem);

    // jobs: list, get, and watch of a finished job exits at once
    let jobs = s.json(&["jobs", "list", "--certificate", "mc-api", "--type", "Issuance"]);
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    assert_eq!(s.json(&["jobs", "get", job["id"].as_str().unwrap()]), job);
    assert_eq!(s.json(&["jobs", "watch", job["id"].as_str().unwrap()]), job);
    let watched = s.table(&["jobs", "watch", "--certificate", "mc-api", "--for", "1ms"]);
    assert!(watched.contains("Issuance mc-api: Completed"), "{watched}");

    // deploy with no target is refused by the server (409 → exit 5)
    let (code, _, err) = s.run(&["certs", "deploy", "mc-api", "--wait"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("no targets"), "{err}");

    let revoked = s.json(&["certs", "revoke", "mc-api", "--reason", "superseded"]);
    assert_eq!(revoked["status"], "Revoked");
    assert_eq!(
        s.run(&["certs", "archive", "mc-api"]),
        (0, "archived mc-api\n".into(), String::new())
    );
    assert_eq!(s.json(&["certs", "list"]), json!([]));
    assert_eq!(s.json(&["certs", "list", "--include-archived"]).as_array().unwrap().len(), 1);
}

#[test]
fn jobs_cancel_retry_and_failed_wait() {
    // agent keygen and no agent: the job waits for a CSR that never comes
    let s = Server::start();
    s.json(&["agents", "register", "--id", "ag-x", "--name", "x"]);
    s.json(&[
        "targets", "create", "--id", "t-x", "--name", "x", "--type", "file", "--agent", "ag-x",
    ]);
    s.json(&["certs", "create", "--id", "mc-x", "--cn", "x.example.com", "--target", "t-x"]);
    let job = s.json(&["certs", "renew", "mc-x"]);
    let id = job["id"].as_str().unwrap();
    let cancelled = s.json(&["jobs", "cancel", id]);
    assert_eq!(cancelled["status"], "Cancelled");
    let (code, stdout, stderr) = s.run(&["jobs", "watch", id]);
    assert_eq!(code, 7, "a cancelled job is not a success: {stdout} {stderr}");
    assert!(stderr.contains("Cancelled"), "{stderr}");
    let retried = s.json(&["jobs", "retry", id]);
    assert!(["Pending", "AwaitingCSR"].contains(&retried["status"].as_str().unwrap()), "{retried}");
    // --wait gives up after --timeout with exit 1; the job goes on
    let (code, _, stderr) =
        s.run(&["certs", "renew", "mc-x", "--wait", "--interval", "50ms", "--timeout", "200ms"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("still running"), "{stderr}");
}

/// `renew --wait` follows the renewal and then the deployment it starts; the deployment fails
/// on the agent (the test plays the agent through the real API): exit 7, the failed step and
/// its error on stderr, both jobs on stdout.
#[test]
fn renew_wait_follows_the_deployment_and_fails_with_its_message() {
    let s = server_keygen();
    let reg = s.json(&["agents", "register", "--id", "ag-web", "--name", "web"]);
    let agent_key = reg["api_key"].as_str().unwrap().to_owned();
    s.json(&[
        "targets", "create", "--id", "t-web", "--name", "web", "--type", "file", "--agent",
        "ag-web",
    ]);
    s.json(&["certs", "create", "--id", "mc-web", "--cn", "web.example.com", "--target", "t-web"]);
    let mut cmd = s.cmd();
    cmd.args(["-o", "json", "certs", "renew", "mc-web", "--wait", "--interval", "100ms"])
        .args(["--timeout", "30s"]);
    let cli = std::thread::spawn(move || cmd.output().unwrap());
    // the agent: every deployment job it gets fails at the reload (the first issuance may
    // have completed before `renew`, which then starts a renewal with a deployment of its own)
    let agent = certctl::client::Client::builder(&s.url).api_key(&agent_key).build().unwrap();
    let report = certctl::api::JobReport {
        status: "Failed".into(),
        message: Some("reload: nginx -s reload exited 1: [emerg] cannot load certificate".into()),
    };
    let mut failed = Vec::new();
    s.block_on(async {
        for _ in 0..300 {
            if cli.is_finished() {
                break;
            }
            for w in agent.agent_work("ag-web").await.unwrap().data {
                if w.job.job_type.to_string() == "Deployment" {
                    // a job moved meanwhile (superseded by the renewal's version) answers 409
                    if agent.report_job("ag-web", w.job.id.as_str(), &report).await.is_ok() {
                        failed.push(w.job.id.to_string());
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let out = cli.join().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(7), "{stdout}\n{stderr}");
    assert!(
        failed.iter().any(|id| stderr.contains(id.as_str()))
            && stderr.contains("cannot load certificate"),
        "the failed step and its message: {stderr}"
    );
    let jobs: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let types: Vec<&str> =
        jobs.as_array().unwrap().iter().map(|j| j["type"].as_str().unwrap()).collect();
    assert!(
        types == ["Issuance", "Deployment"] || types == ["Renewal", "Deployment"],
        "the issuance, then its deployment: {jobs}"
    );
    assert_eq!(jobs[0]["status"], "Completed");
    assert_eq!(jobs[1]["status"], "Failed");
}
