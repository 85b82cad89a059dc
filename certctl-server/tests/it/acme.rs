//! The ACME issuer against a real pebble + pebble-challtestsrv (started by `scripts/test`):
//! HTTP-01 answered by the control plane, DNS-01 through a hook named in the server's config that
//! sets TXT records in challtestsrv (a wildcard with its apex; the hook's environment is cleared), EAB on a second pebble that requires it, renewal,
//! revocation, a name pebble refuses, and HTTP-01 answered by the agent across a server restart
//! (`restart.rs`). Chains are verified against pebble's root fetched from its management port.

use std::time::{Duration, Instant};

use axum::http::Method;
use certctl::pki;
use serde_json::{Value, json};

use crate::support::Server;

/// Pebble's settings from `scripts/test` (`CERTCTL_TEST_PEBBLE_*`).
#[derive(Debug, Clone)]
pub struct Pebble {
    pub url: String,
    pub eab_url: String,
    pub eab_kid: String,
    pub eab_key: String,
    pub eab_mgmt: String,
    pub ca_pem: String,
    pub mgmt: String,
    pub http_port: u16,
    pub challtestsrv: String,
}

/// Pebble, or `None` (test skipped) when the script did not start it; never skipped under
/// `CERTCTL_TEST_REQUIRE_SERVICES`.
pub fn pebble() -> Option<Pebble> {
    let Ok(url) = std::env::var("CERTCTL_TEST_PEBBLE_URL") else {
        assert!(
            std::env::var_os("CERTCTL_TEST_REQUIRE_SERVICES").is_none(),
            "CERTCTL_TEST_PEBBLE_URL is not set but CERTCTL_TEST_REQUIRE_SERVICES is"
        );
        eprintln!("skipped: no pebble (run scripts/test)");
        return None;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    Some(Pebble {
        url,
        eab_url: var("CERTCTL_TEST_PEBBLE_EAB_URL"),
        eab_kid: var("CERTCTL_TEST_PEBBLE_EAB_KID"),
        eab_key: var("CERTCTL_TEST_PEBBLE_EAB_KEY"),
        eab_mgmt: var("CERTCTL_TEST_PEBBLE_EAB_MGMT_URL"),
        ca_pem: std::fs::read_to_string(var("CERTCTL_TEST_PEBBLE_CA")).unwrap(),
        mgmt: var("CERTCTL_TEST_PEBBLE_MGMT_URL"),
        http_port: var("CERTCTL_TEST_PEBBLE_HTTP_PORT").parse().unwrap(),
        challtestsrv: var("CERTCTL_TEST_CHALLTESTSRV_URL"),
    })
}

/// Pebble validates HTTP-01 on one port: tests that answer there take turns.
pub static HTTP01_PORT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Pebble {
    /// An HTTP client that trusts pebble's TLS certificate.
    pub fn http(&self) -> reqwest::Client {
        let certs = reqwest::Certificate::from_pem_bundle(self.ca_pem.as_bytes()).unwrap();
        reqwest::Client::builder().tls_certs_only(certs).build().unwrap()
    }

    /// Pebble's current root (regenerated at each start).
    pub async fn root(&self) -> String {
        self.http()
            .get(format!("{}/roots/0", self.mgmt))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The chain verifies against pebble's root (openssl, with the chain's intermediates).
    pub async fn verify_chain(&self, chain: &str) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("root.pem"), self.root().await).unwrap();
        std::fs::write(dir.path().join("chain.pem"), chain).unwrap();
        let leaf = pki::parse_chain(chain).unwrap().remove(0);
        std::fs::write(dir.path().join("leaf.der"), &leaf.der).unwrap();
        let conv = std::process::Command::new("openssl")
            .args(["x509", "-inform", "DER", "-in"])
            .arg(dir.path().join("leaf.der"))
            .arg("-out")
            .arg(dir.path().join("leaf.pem"))
            .status()
            .unwrap();
        assert!(conv.success());
        let out = std::process::Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(dir.path().join("root.pem"))
            .arg("-untrusted")
            .arg(dir.path().join("chain.pem"))
            .arg(dir.path().join("leaf.pem"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "chain does not verify against pebble's root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Pebble's view of a certificate (`Valid` or `Revoked`), by serial (hex).
    pub async fn status_of(&self, serial_hex: &str) -> String {
        let v: Value = self
            .http()
            .get(format!("{}/cert-status-by-serial/{serial_hex}", self.mgmt))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["Status"].as_str().unwrap_or_default().to_owned()
    }

    /// An `acme` issuer config for this pebble.
    pub fn issuer_config(&self, extra: Value) -> Value {
        let mut c = json!({"directory_url": self.url, "terms_accepted": true, "email": "ops@example.test", "ca_cert": self.ca_pem});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }
}

/// Serves `router` on 127.0.0.1:`port` until the handle is dropped.
pub async fn serve_on(router: axum::Router, port: u16) -> AbortOnDrop {
    let mut tries = 0;
    let listener = loop {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => break l,
            Err(e) if tries < 50 => {
                tries += 1;
                eprintln!("port {port}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot bind the HTTP-01 port {port}: {e}"),
        }
    };
    AbortOnDrop(tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }))
}

/// A task aborted when dropped.
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An agent registered on the server, with a `file` target.
pub struct TestAgent {
    pub id: String,
    pub key: String,
    pub target: String,
}

pub async fn agent(s: &Server, name: &str, target_config: Value) -> TestAgent {
    let reg = s.post("/api/v1/agents", json!({"name": name})).await.ok(201);
    let id = reg["id"].as_str().unwrap().to_owned();
    let key = reg["api_key"].as_str().unwrap().to_owned();
    let t = s.post("/api/v1/targets", json!({"name": format!("{name} files"), "type": "file", "agent_id": id, "config": target_config})).await.ok(201);
    TestAgent { id, key, target: t["id"].as_str().unwrap().to_owned() }
}

/// As the agent: takes the AwaitingCSR job of `cert`, sends a CSR made with a fresh key.
pub async fn send_csr(s: &Server, a: &TestAgent, cert: &str) -> (String, pki::PrivateKey) {
    let work = s
        .call(Method::GET, &format!("/api/v1/agents/{}/work", a.id), Some(&a.key), None)
        .await
        .ok(200);
    let item = work["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["certificate_id"] == cert && w["status"] == "AwaitingCSR")
        .unwrap_or_else(|| panic!("no CSR work for {cert}: {work}"))
        .clone();
    let sans: Vec<String> =
        item["sans"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    let key = pki::PrivateKey::generate_p256().unwrap();
    let csr = pki::build_csr(&key, item["common_name"].as_str().unwrap(), &sans).unwrap();
    let job = s
        .call(
            Method::POST,
            &format!("/api/v1/agents/{}/csr", a.id),
            Some(&a.key),
            Some(json!({"job_id": item["id"], "csr_pem": csr})),
        )
        .await
        .ok(200);
    assert_eq!(job["status"], "Running", "the order runs in the background: {job}");
    (item["id"].as_str().unwrap().to_owned(), key)
}

/// Waits until the job ends; returns it.
pub async fn wait_job(s: &Server, job: &str, within: Duration) -> Value {
    let start = Instant::now();
    loop {
        let j = s.get(&format!("/api/v1/jobs/{job}")).await.ok(200);
        if matches!(j["status"].as_str(), Some("Completed" | "Failed" | "Cancelled"))
            || (j["status"] == "Pending" && j["last_error"].is_string())
        {
            return j;
        }
        assert!(start.elapsed() < within, "job {job} still {} after {within:?}: {j}", j["status"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The main pebble rejects 5% of nonces (`PEBBLE_WFE_NONCEREJECT` left at its default):
/// account creations and checks keep succeeding while rejections happen, because instant-acme
/// retries `badNonce` inline with the fresh nonce of the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_nonces_are_retried() {
    let Some(p) = pebble() else { return };
    let (dir, store) = certctl::testing::sqlite().await;
    let s = Server::new(store, dir, String::new()).await;
    let before = certctl::issuer::acme::bad_nonces_seen();
    let mut i = 0;
    // ~3 signed requests per round at 5%: a rejection is all but certain within 100 rounds
    while certctl::issuer::acme::bad_nonces_seen() == before && i < 100 {
        i += 1;
        s.post("/api/v1/issuers", json!({"id": format!("iss-n{i}"), "name": "n", "type": "acme", "config": p.issuer_config(json!({}))})).await.ok(201);
        let t = s.action(&format!("/api/v1/issuers/iss-n{i}/test")).await.ok(200);
        assert_eq!(t["ok"], true, "round {i}: {t}");
    }
    assert!(
        certctl::issuer::acme::bad_nonces_seen() > before,
        "pebble rejected no nonce in {i} rounds: is PEBBLE_WFE_NONCEREJECT set to 0?"
    );
}

crate::both_backends! {
    http01_served_by_the_control_plane => http01_served_by_the_control_plane;
    eab_and_refusals => eab_and_refusals;
    unreachable_ca_is_retried_then_fails => unreachable_ca_is_retried_then_fails;
}

/// A CA that cannot be reached is a transient failure: the job goes back to Pending with a
/// backoff, is retried by the processor with the stored CSR, and fails after the policy's
/// attempts with the connection error.
async fn unreachable_ca_is_retried_then_fails(s: Server) {
    let Some(p) = pebble() else { return };
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = p.issuer_config(json!({}));
    cfg["directory_url"] = json!(format!("https://127.0.0.1:{closed}/dir"));
    s.post(
        "/api/v1/issuers",
        json!({"id": "iss-down", "name": "down", "type": "acme", "config": cfg}),
    )
    .await
    .ok(201);
    let a = agent(&s, "down-1", json!({"fullchain_path": "/tmp/certctl-acme-down.pem"})).await;
    s.post("/api/v1/certificates", json!({"id": "mc-down", "common_name": "down.example.test", "issuer_id": "iss-down", "target_ids": [a.target]})).await.ok(201);
    let (job, _) = send_csr(&s, &a, "mc-down").await;
    let mut j = wait_job(&s, &job, Duration::from_secs(30)).await;
    assert_eq!(j["status"], "Pending", "{j}");
    assert!(j["last_error"].as_str().unwrap().contains("unreachable"), "{j}");
    assert!(j["next_attempt_at"].is_string(), "{j}");
    let max = j["max_attempts"].as_i64().unwrap();
    let mut later = certctl::model::Timestamp::now();
    while j["status"] == "Pending" {
        later = later.plus(time::Duration::days(2));
        assert!(s.svc.process_jobs(later).await.unwrap() >= 1);
        let start = Instant::now();
        loop {
            j = s.get(&format!("/api/v1/jobs/{job}")).await.ok(200);
            if j["status"] != "Running" {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "{j}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(j["status"], "Failed", "{j}");
    assert_eq!(j["attempts"].as_i64().unwrap(), max);
    assert!(j["last_error"].as_str().unwrap().contains("unreachable"), "{j}");
}

async fn http01_served_by_the_control_plane(s: Server) {
    let Some(p) = pebble() else { return };
    let _turn = HTTP01_PORT.lock().await;
    let _http01 = serve_on(s.router.clone(), p.http_port).await;
    let iss = s.post("/api/v1/issuers", json!({"id": "iss-pebble", "name": "pebble", "type": "acme", "config": p.issuer_config(json!({"http01_mode": "server"}))})).await.ok(201);
    assert_eq!(iss["config"]["directory_url"], p.url.as_str());
    let test = s.action("/api/v1/issuers/iss-pebble/test").await.ok(200);
    assert_eq!(test["ok"], true, "{test}");
    assert!(test["message"].as_str().unwrap().contains("account"), "{test}");
    // the account is stored once, sealed
    let row = s
        .svc
        .store_for_tests()
        .get_acme_account(&certctl::model::IssuerId::from("iss-pebble"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.credentials_sealed.starts_with("v1:") && !row.credentials_sealed.contains("key_pkcs8")
    );
    assert!(row.account_url.starts_with("https://127.0.0.1:"));

    let a = agent(&s, "web-1", json!({"fullchain_path": "/tmp/certctl-acme-web.pem"})).await;
    s.post("/api/v1/certificates", json!({"id": "mc-web", "common_name": "web.example.test", "sans": ["www.example.test"], "issuer_id": "iss-pebble", "target_ids": [a.target]})).await.ok(201);
    let (job, key) = send_csr(&s, &a, "mc-web").await;
    let done = wait_job(&s, &job, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let cert = s.get("/api/v1/certificates/mc-web").await.ok(200);
    assert_eq!(cert["status"], "Active");
    let chain =
        s.get("/api/v1/certificates/mc-web/export").await.ok(200).as_str().unwrap().to_owned();
    p.verify_chain(&chain).await;
    let leaf = pki::parse_chain(&chain).unwrap().remove(0);
    assert_eq!(
        leaf.dns_names.iter().cloned().collect::<std::collections::BTreeSet<_>>(),
        ["web.example.test".to_owned(), "www.example.test".to_owned()].into()
    );
    let spki = key.public_key_der();
    assert!(
        leaf.der.windows(spki.len()).any(|w| w == spki.as_slice()),
        "the leaf carries the agent's key: finalized with the agent's CSR"
    );
    // the deployment job for the agent is there; the tokens are gone
    let work = s
        .call(Method::GET, &format!("/api/v1/agents/{}/work", a.id), Some(&a.key), None)
        .await
        .ok(200);
    assert!(
        work["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["type"] == "Deployment" && w["pem_chain"].is_string()),
        "{work}"
    );
    let r = s.call(Method::GET, "/.well-known/acme-challenge/unknown-token", None, None).await;
    assert_eq!(r.status.as_u16(), 404);

    // renewal: the same flow, one order at a time
    let renew = s.action("/api/v1/certificates/mc-web/renew").await.ok(202);
    assert_eq!(
        s.action("/api/v1/certificates/mc-web/renew").await.ok(202)["id"],
        renew["id"],
        "never two orders for one certificate"
    );
    let (job2, _) = send_csr(&s, &a, "mc-web").await;
    assert_eq!(wait_job(&s, &job2, Duration::from_secs(60)).await["status"], "Completed");
    let versions = s.get("/api/v1/certificates/mc-web/versions").await.ok(200);
    assert_eq!(versions["total"], 2);

    // revocation through ACME: pebble knows it as revoked
    let serial = versions["data"][0]["serial_number"].as_str().unwrap().to_owned();
    assert_eq!(p.status_of(&serial).await, "Valid");
    let revoked = s
        .post("/api/v1/certificates/mc-web/revoke", json!({"reason": "keyCompromise"}))
        .await
        .ok(200);
    assert_eq!(revoked["status"], "Revoked");
    assert_eq!(p.status_of(&serial).await, "Revoked");
}

crate::both_backends_with! {
    dns01_hook_wildcard => dns01_hook_wildcard, dns_hook_server;
}

/// A server whose config defines the DNS hook `challtestsrv` ([`dns_hook`], in `<data dir>/hooks`).
async fn dns_hook_server(
    store: std::sync::Arc<dyn certctl::store::Store>,
    dir: tempfile::TempDir,
    url: String,
) -> Server {
    let hooks_dir = dir.path().join("hooks");
    std::fs::create_dir_all(&hooks_dir).unwrap();
    let argv = dns_hook(&hooks_dir, &pebble().map(|p| p.challtestsrv).unwrap_or_default());
    let hooks =
        certctl::issuer::acme::DnsHooks::new("test", [("challtestsrv".to_owned(), argv)]).unwrap();
    let config = certctl::service::ServiceConfig {
        bootstrap_token: Some(crate::support::BOOTSTRAP_TOKEN.into()),
        dns_hooks: hooks,
        outbound: crate::support::loopback_allowed(),
        ..Default::default()
    };
    Server::with(store, dir, url, config, |s| s).await
}

/// A DNS hook (argv, no shell) that sets TXT records in challtestsrv, logs its calls and writes
/// the environment and working directory it was given to `env.json`.
pub fn dns_hook(dir: &std::path::Path, challtestsrv: &str) -> Vec<String> {
    let script = dir.join("hook.py");
    let log = dir.join("hook.log");
    let env = dir.join("env.json");
    std::fs::write(
        &script,
        format!(
            r#"import json, os, sys, urllib.request
action, name, value = sys.argv[1:4]
assert (action, name, value) == (os.environ["CERTCTL_ACME_DNS_ACTION"], os.environ["CERTCTL_ACME_DNS_NAME"], os.environ["CERTCTL_ACME_DNS_VALUE"])
with open({log:?}, "a") as f:
    f.write(f"{{action}} {{name}} {{value}}\n")
with open({env:?}, "w") as f:
    json.dump({{"env": dict(os.environ), "cwd": os.getcwd(), "stdin": sys.stdin.read()}}, f)
if name.startswith("_acme-challenge.fail."):
    sys.stderr.write("zone is read-only\n")
    sys.exit(4)
path = "/set-txt" if action == "add" else "/clear-txt"
body = {{"host": name + ".", "value": value}} if action == "add" else {{"host": name + "."}}
urllib.request.urlopen(urllib.request.Request({url:?} + path, data=json.dumps(body).encode(), method="POST")).read()
"#,
            log = log.display().to_string(),
            env = env.display().to_string(),
            url = challtestsrv
        ),
    )
    .unwrap();
    vec!["/usr/bin/python3".into(), script.display().to_string()]
}

async fn dns01_hook_wildcard(s: Server) {
    let Some(p) = pebble() else { return };
    let hooks = s.dir.path().join("hooks");
    let backend = s.svc.store_for_tests().backend();
    let cfg = p.issuer_config(json!({"challenge": "dns-01", "dns_provider": "hook", "dns_hook": "challtestsrv", "dns_propagation_seconds": 0}));
    s.post(
        "/api/v1/issuers",
        json!({"id": "iss-dns", "name": "pebble dns", "type": "acme", "config": cfg}),
    )
    .await
    .ok(201);
    let a = agent(&s, "dns-1", json!({"fullchain_path": "/tmp/certctl-acme-dns.pem"})).await;
    let apex = format!("wild-{backend}.example.test");
    s.post("/api/v1/certificates", json!({"id": "mc-wild", "common_name": format!("*.{apex}"), "sans": [apex], "issuer_id": "iss-dns", "target_ids": [a.target]})).await.ok(201);
    let (job, _) = send_csr(&s, &a, "mc-wild").await;
    let done = wait_job(&s, &job, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let chain =
        s.get("/api/v1/certificates/mc-wild/export").await.ok(200).as_str().unwrap().to_owned();
    p.verify_chain(&chain).await;
    assert!(pki::parse_chain(&chain).unwrap()[0].dns_names.contains(&format!("*.{apex}")));
    // the wildcard and its apex share one record name: two values added, removed only after both
    let log = std::fs::read_to_string(hooks.join("hook.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4, "{log}");
    let name = format!("_acme-challenge.{apex}");
    assert!(lines[..2].iter().all(|l| l.starts_with(&format!("add {name} "))), "{log}");
    assert!(lines[2..].iter().all(|l| l.starts_with(&format!("remove {name} "))), "{log}");
    // the hook got a cleared environment (none of this test process's, e.g. the URLs scripts/test
    // exports), ran in / and read nothing on stdin
    assert_hook_env_cleared(&hooks.join("env.json"));

    // a failing hook fails the job with its stderr
    s.post("/api/v1/certificates", json!({"id": "mc-hookfail", "common_name": format!("fail.{apex}"), "issuer_id": "iss-dns", "target_ids": [a.target]})).await.ok(201);
    let (job, _) = send_csr(&s, &a, "mc-hookfail").await;
    let done = wait_job(&s, &job, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "Failed", "{done}");
    assert!(done["last_error"].as_str().unwrap().contains("zone is read-only"), "{done}");
}

/// What a hook saw (`env.json` of [`dns_hook`]): only PATH, LANG and CERTCTL_ACME_DNS_*, in /,
/// stdin empty. `HOME` and `CERTCTL_TEST_PEBBLE_URL` are set in this test process and must not
/// reach it.
pub fn assert_hook_env_cleared(env_json: &std::path::Path) {
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(env_json).unwrap()).unwrap();
    let env = seen["env"].as_object().unwrap();
    let allowed = [
        "PATH",
        "LANG",
        "CERTCTL_ACME_DNS_ACTION",
        "CERTCTL_ACME_DNS_NAME",
        "CERTCTL_ACME_DNS_VALUE",
    ];
    assert!(env.keys().all(|k| allowed.contains(&k.as_str()) || k == "LC_CTYPE"), "{seen}");
    assert!(
        std::env::var_os("CERTCTL_TEST_PEBBLE_URL").is_some() && std::env::var_os("HOME").is_some()
    );
    assert!(!env.contains_key("HOME") && !env.contains_key("CERTCTL_TEST_PEBBLE_URL"), "{seen}");
    assert_eq!((seen["cwd"].as_str(), seen["stdin"].as_str()), (Some("/"), Some("")), "{seen}");
}

async fn eab_and_refusals(s: Server) {
    let Some(p) = pebble() else { return };
    let _turn = HTTP01_PORT.lock().await;
    let _http01 = serve_on(s.router.clone(), p.http_port).await;
    // without EAB, the EAB pebble refuses to create the account
    let mut cfg = p.issuer_config(json!({}));
    cfg["directory_url"] = json!(p.eab_url);
    s.post(
        "/api/v1/issuers",
        json!({"id": "iss-noeab", "name": "no eab", "type": "acme", "config": cfg.clone()}),
    )
    .await
    .ok(201);
    let t = s.action("/api/v1/issuers/iss-noeab/test").await.ok(200);
    assert_eq!(t["ok"], false, "{t}");
    assert!(t["message"].as_str().unwrap().contains("externalAccountRequired"), "{t}");
    // with EAB: the HMAC key is stored sealed, never returned
    cfg["eab_kid"] = json!(p.eab_kid);
    cfg["eab_hmac_key"] = json!(p.eab_key);
    let iss = s
        .post(
            "/api/v1/issuers",
            json!({"id": "iss-eab", "name": "eab", "type": "acme", "config": cfg}),
        )
        .await
        .ok(201);
    assert!(
        !iss.to_string().contains(&p.eab_key) && iss["config"]["eab_hmac_key_sealed"].is_string(),
        "{iss}"
    );
    assert!(!s.get("/api/v1/issuers/iss-eab").await.ok(200).to_string().contains(&p.eab_key));
    assert_eq!(s.action("/api/v1/issuers/iss-eab/test").await.ok(200)["ok"], true);
    let a = agent(&s, "eab-1", json!({"fullchain_path": "/tmp/certctl-acme-eab.pem"})).await;
    s.post("/api/v1/certificates", json!({"id": "mc-eab", "common_name": "eab.example.test", "issuer_id": "iss-eab", "target_ids": [a.target]})).await.ok(201);
    let (job, _) = send_csr(&s, &a, "mc-eab").await;
    assert_eq!(wait_job(&s, &job, Duration::from_secs(60)).await["status"], "Completed");
    let eab = Pebble { mgmt: p.eab_mgmt.clone(), ..p.clone() };
    eab.verify_chain(s.get("/api/v1/certificates/mc-eab/export").await.ok(200).as_str().unwrap())
        .await;

    // a name pebble refuses: the job fails at once with the CA's problem type and detail
    s.post("/api/v1/certificates", json!({"id": "mc-refused", "common_name": "refused.example.test", "issuer_id": "iss-eab", "target_ids": [a.target]})).await.ok(201);
    let (job, _) = send_csr(&s, &a, "mc-refused").await;
    let done = wait_job(&s, &job, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "Failed", "{done}");
    assert_eq!(done["attempts"], 1);
    let err = done["last_error"].as_str().unwrap();
    assert!(err.contains("urn:ietf:params:acme:error:rejectedIdentifier"), "{err}");
    assert_eq!(s.get("/api/v1/certificates/mc-refused").await.ok(200)["status"], "Failed");
}
