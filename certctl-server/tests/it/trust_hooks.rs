//! Issue #16 item 2, as an attacker with an `operator` key: no API role supplies a command the
//! server runs (DNS hooks are named in server config, `dns_hook_command` is refused and a stored
//! one never runs), and target / fleet template configs with commands other than the built-in
//! defaults, a webroot or paths outside /etc/ssl/certctl and /var/lib/certctl need `admin`, with
//! the argv in the audit event. Both databases; and the real binary with its hooks from
//! `CERTCTL_ACME_DNS_HOOKS`, whose hook never sees `CERTCTL_SECRET_KEY` or other server env.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::Method;
use certctl::issuer::acme::DnsHooks;
use certctl::model::{Issuer, IssuerId, Timestamp};
use certctl::service::{Actor, KeygenMode, ServiceConfig};
use certctl::store::Store;
use serde_json::{Value, json};

use crate::support::{BOOTSTRAP_TOKEN, Server};

/// A server (server keygen, so the processor orders without an agent) with two DNS hooks.
async fn hooks_server(store: Arc<dyn Store>, dir: tempfile::TempDir, url: String) -> Server {
    let hooks = DnsHooks::from_json(
        "CERTCTL_ACME_DNS_HOOKS",
        r#"{"zone-a": ["/usr/bin/true", "--zone", "a.example"], "zone-b": ["/usr/bin/false"]}"#,
    )
    .unwrap();
    let config = ServiceConfig {
        bootstrap_token: Some(BOOTSTRAP_TOKEN.into()),
        keygen_mode: KeygenMode::Server,
        dns_hooks: hooks,
        outbound: crate::support::loopback_allowed(),
        ..Default::default()
    };
    Server::with(store, dir, url, config, |s| s).await
}

crate::both_backends_with! {
    operator_targets_need_default_commands_and_paths => operator_targets_need_default_commands_and_paths, hooks_server;
    operator_fleet_templates => operator_fleet_templates, hooks_server;
    issuers_name_server_hooks => issuers_name_server_hooks, hooks_server;
    stored_dns_hook_command_never_runs => stored_dns_hook_command_never_runs, hooks_server;
}

/// The audit events of `action` on `id`, newest first.
async fn audit(s: &Server, action: &str, id: &str) -> Vec<Value> {
    let ev = s.get(&format!("/api/v1/audit?action={action}&resource_id={id}")).await.ok(200);
    ev["data"].as_array().unwrap().clone()
}

async fn operator_targets_need_default_commands_and_paths(s: Server) {
    let op = s.operator.clone();
    let agent = s.post("/api/v1/agents", json!({"name": "web-1"})).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = s.post("/api/v1/agents", json!({"name": "web-2"})).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let marker = s.dir.path().join("MARKER");
    let evil = json!(["/bin/sh", "-c", format!("touch {}", marker.display())]);
    let body = |id: &str, config: Value| json!({"id": id, "name": id, "type": "nginx", "agent_id": agent, "config": config});
    let certs = json!({"cert_path": "/etc/ssl/certctl/web/fullchain.pem", "key_path": "/etc/ssl/certctl/web/key.pem"});
    let with = |k: &str, v: Value| {
        let mut c = certs.clone();
        c[k] = v;
        c
    };

    // an operator's command, webroot or path outside the prefixes: 403 naming what needs admin, nothing stored
    let msg = s
        .call(
            Method::POST,
            "/api/v1/targets",
            Some(&op),
            Some(body("t-evil", with("reload_command", evil.clone()))),
        )
        .await
        .err(403, "forbidden");
    assert!(
        msg.contains("admin role")
            && msg.contains("config.reload_command")
            && msg.contains("/bin/sh")
            && msg.contains("/etc/ssl/certctl"),
        "{msg}"
    );
    for (k, v) in [
        ("validate_command", json!(["/usr/bin/python3", "-c", "import os"])),
        ("reload_command", json!(["nginx", "-s", "reload", "-c", "/tmp/evil.conf"])),
        ("webroot", json!("/var/www/html")),
        ("key_path", json!("/root/.ssh/authorized_keys")),
        ("cert_path", json!("/etc/ssl/certctl-other/c.pem")),
    ] {
        let msg = s
            .call(
                Method::POST,
                "/api/v1/targets",
                Some(&op),
                Some(body("t-evil", with(k, v.clone()))),
            )
            .await
            .err(403, "forbidden");
        assert!(msg.contains(&format!("config.{k}")), "{k}={v}: {msg}");
    }
    // a `..` path is refused for everyone, before any role question
    let msg = s
        .call(
            Method::POST,
            "/api/v1/targets",
            Some(&op),
            Some(body(
                "t-evil",
                with("chain_path", json!("/var/lib/certctl/../../../etc/cron.d/x")),
            )),
        )
        .await
        .err(422, "validation_failed");
    assert!(msg.starts_with("config.chain_path"), "{msg}");
    s.get("/api/v1/targets/t-evil").await.err(404, "not_found");
    assert_eq!(s.get("/api/v1/targets").await.ok(200)["total"], 0);
    assert!(audit(&s, "target_created", "t-evil").await.is_empty());
    // a file target has no default command: any is admin-only
    s.call(Method::POST, "/api/v1/targets", Some(&op), Some(json!({"name": "f", "type": "file", "config": {"fullchain_path": "/etc/ssl/certctl/f.pem", "reload_command": ["nginx", "-s", "reload"]}}))).await.err(403, "forbidden");
    // invalid input is still a 422 first
    s.call(
        Method::POST,
        "/api/v1/targets",
        Some(&op),
        Some(body("t-evil", with("reload_command", json!("sh -c id")))),
    )
    .await
    .err(422, "validation_failed");

    // the built-in commands and paths under the prefixes are an operator's
    let t = s
        .call(
            Method::POST,
            "/api/v1/targets",
            Some(&op),
            Some(body("t-ok", with("reload_command", json!(["nginx", "-s", "reload"])))),
        )
        .await
        .ok(201);
    assert_eq!(t["config"]["reload_command"], json!(["nginx", "-s", "reload"]));
    s.call(Method::POST, "/api/v1/targets", Some(&op), Some(json!({"name": "lib", "type": "file", "config": {"fullchain_path": "/var/lib/certctl/app/f.pem", "owner": "www-data"}}))).await.ok(201);
    let ev = audit(&s, "target_created", "t-ok").await;
    assert_eq!(
        ev[0]["details"]["commands"],
        json!({"validate_command": ["nginx", "-t"], "reload_command": ["nginx", "-s", "reload"]}),
        "{ev:?}"
    );
    assert_eq!(ev[0]["details"]["paths"]["cert_path"], "/etc/ssl/certctl/web/fullchain.pem");
    // an operator may not turn it into a command runner
    s.call(
        Method::PUT,
        "/api/v1/targets/t-ok",
        Some(&op),
        Some(json!({"config": with("reload_command", evil.clone())})),
    )
    .await
    .err(403, "forbidden");
    assert_eq!(
        s.get("/api/v1/targets/t-ok").await.ok(200)["config"]["reload_command"],
        json!(["nginx", "-s", "reload"])
    );

    // an admin may, and the audit event carries the full argv
    s.post("/api/v1/targets", body("t-admin", with("reload_command", evil.clone()))).await.ok(201);
    let ev = audit(&s, "target_created", "t-admin").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["details"]["commands"]["reload_command"], evil, "{ev:?}");
    assert_eq!(ev[0]["details"]["agent_id"], agent.as_str());
    assert!(
        ev[0]["details"]["admin_only"][0].as_str().unwrap().starts_with("config.reload_command"),
        "{ev:?}"
    );
    // ... an operator may rename or disable it, not change its config or move it to another host
    s.call(
        Method::PUT,
        "/api/v1/targets/t-admin",
        Some(&op),
        Some(json!({"name": "renamed", "enabled": false})),
    )
    .await
    .ok(200);
    let msg = s
        .call(Method::PUT, "/api/v1/targets/t-admin", Some(&op), Some(json!({"agent_id": other})))
        .await
        .err(403, "forbidden");
    assert!(msg.contains("t-admin"), "{msg}");
    s.call(
        Method::PUT,
        "/api/v1/targets/t-admin",
        Some(&op),
        Some(json!({"config": with("reload_command", json!(["/bin/true"]))})),
    )
    .await
    .err(403, "forbidden");
    let kept = s.get("/api/v1/targets/t-admin").await.ok(200);
    assert_eq!(
        (kept["agent_id"].as_str(), &kept["config"]["reload_command"]),
        (Some(agent.as_str()), &evil)
    );
    // ... and may take the command out again
    s.call(Method::PUT, "/api/v1/targets/t-admin", Some(&op), Some(json!({"config": certs})))
        .await
        .ok(200);
    assert!(!marker.exists(), "nothing ran on the server");
}

async fn operator_fleet_templates(s: Server) {
    let op = s.operator.clone();
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-web", "name": "web", "criteria": {"cidr": ["10.1.0.0/16"]}}),
    )
    .await
    .ok(201);
    s.post(
        "/api/v1/agent-groups",
        json!({"id": "grp-all", "name": "all", "criteria": {"cidr": ["0.0.0.0/0"]}}),
    )
    .await
    .ok(201);
    let fleet = |id: &str, config: Value| json!({"id": id, "common_name": "{hostname}", "agent_group_id": "grp-web", "target_template": {"type": "file", "config": config}});
    let ok = json!({"fullchain_path": "/etc/ssl/certctl/{agent_id}/fullchain.pem", "key_path": "/etc/ssl/certctl/{agent_id}/key.pem"});
    let mut evil = ok.clone();
    evil["reload_command"] = json!(["/bin/sh", "-c", "id"]);

    let msg = s
        .call(Method::POST, "/api/v1/certificates", Some(&op), Some(fleet("mc-evil", evil.clone())))
        .await
        .err(403, "forbidden");
    assert!(msg.contains("target_template") && msg.contains("config.reload_command"), "{msg}");
    let msg = s
        .call(
            Method::POST,
            "/api/v1/certificates",
            Some(&op),
            Some(fleet("mc-evil", json!({"fullchain_path": "/etc/nginx/{agent_id}.pem"}))),
        )
        .await
        .err(403, "forbidden");
    assert!(msg.contains("config.fullchain_path"), "{msg}");
    s.get("/api/v1/certificates/mc-evil").await.err(404, "not_found");

    // default-only templates are an operator's, and the template's paths are in the audit event
    s.call(Method::POST, "/api/v1/certificates", Some(&op), Some(fleet("mc-fleet", ok.clone())))
        .await
        .ok(201);
    let ev = audit(&s, "certificate_created", "mc-fleet").await;
    assert_eq!(
        ev[0]["details"]["target_template"]["paths"]["key_path"],
        "/etc/ssl/certctl/{agent_id}/key.pem",
        "{ev:?}"
    );
    s.call(
        Method::PUT,
        "/api/v1/certificates/mc-fleet",
        Some(&op),
        Some(json!({"target_template": {"type": "file", "config": evil.clone()}})),
    )
    .await
    .err(403, "forbidden");

    // an admin may; the operator may then change other fields but not spread it to another group
    s.post("/api/v1/certificates", fleet("mc-admin", evil.clone())).await.ok(201);
    let ev = audit(&s, "certificate_created", "mc-admin").await;
    assert_eq!(
        ev[0]["details"]["target_template"]["commands"]["reload_command"],
        json!(["/bin/sh", "-c", "id"]),
        "{ev:?}"
    );
    s.call(
        Method::PUT,
        "/api/v1/certificates/mc-admin",
        Some(&op),
        Some(json!({"tags": {"team": "web"}})),
    )
    .await
    .ok(200);
    s.call(
        Method::PUT,
        "/api/v1/certificates/mc-admin",
        Some(&op),
        Some(json!({"agent_group_id": "grp-all"})),
    )
    .await
    .err(403, "forbidden");
    assert_eq!(s.get("/api/v1/certificates/mc-admin").await.ok(200)["agent_group_id"], "grp-web");
    s.put("/api/v1/certificates/mc-admin", json!({"agent_group_id": "grp-all"})).await.ok(200);
    let ev = audit(&s, "certificate_updated", "mc-admin").await;
    assert_eq!(
        (
            ev[0]["details"]["agent_group_id"].as_str(),
            &ev[0]["details"]["target_template"]["commands"]["reload_command"]
        ),
        (Some("grp-all"), &json!(["/bin/sh", "-c", "id"]))
    );
}

async fn issuers_name_server_hooks(s: Server) {
    let op = s.operator.clone();
    let cfg = |extra: Value| {
        let mut c = json!({"directory_url": "https://127.0.0.1:1/dir", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "hook", "dns_propagation_seconds": 0});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"id": "iss-dns", "name": "dns", "type": "acme", "config": c})
    };
    // an argv from the API is refused for everyone, naming the field and where hooks live now
    for key in [&s.admin, &op] {
        let msg = s
            .call(
                Method::POST,
                "/api/v1/issuers",
                Some(key),
                Some(cfg(json!({"dns_hook_command": ["/bin/sh", "-c", "id"]}))),
            )
            .await
            .err(422, "validation_failed");
        assert!(
            msg.starts_with("config.dns_hook_command:") && msg.contains("CERTCTL_ACME_DNS_HOOKS"),
            "{msg}"
        );
    }
    // an unknown name lists the configured ones
    let msg = s
        .post("/api/v1/issuers", cfg(json!({"dns_hook": "zone-c"})))
        .await
        .err(422, "validation_failed");
    assert!(
        msg.starts_with("config.dns_hook:")
            && msg.contains("zone-c")
            && msg.contains("configured: zone-a, zone-b"),
        "{msg}"
    );
    s.post("/api/v1/issuers", cfg(json!({}))).await.err(422, "validation_failed");
    // choosing which server command runs is an admin's
    let msg = s
        .call(Method::POST, "/api/v1/issuers", Some(&op), Some(cfg(json!({"dns_hook": "zone-a"}))))
        .await
        .err(403, "forbidden");
    assert!(msg.contains("admin role") && msg.contains("zone-a"), "{msg}");
    s.get("/api/v1/issuers/iss-dns").await.err(404, "not_found");
    let created = s.post("/api/v1/issuers", cfg(json!({"dns_hook": "zone-a"}))).await.ok(201);
    assert_eq!(created["config"]["dns_hook"], "zone-a");
    let ev = audit(&s, "issuer_created", "iss-dns").await;
    assert_eq!(
        (ev[0]["details"]["dns_hook"].as_str(), &ev[0]["details"]["dns_hook_argv"]),
        (Some("zone-a"), &json!(["/usr/bin/true", "--zone", "a.example"])),
        "{ev:?}"
    );
    // an operator may rename it, not switch its hook
    s.call(Method::PUT, "/api/v1/issuers/iss-dns", Some(&op), Some(json!({"name": "renamed"})))
        .await
        .ok(200);
    s.call(
        Method::PUT,
        "/api/v1/issuers/iss-dns",
        Some(&op),
        Some(json!({"config": cfg(json!({"dns_hook": "zone-b"}))["config"]})),
    )
    .await
    .err(403, "forbidden");
    s.put(
        "/api/v1/issuers/iss-dns",
        json!({"config": cfg(json!({"dns_hook": "zone-b"}))["config"]}),
    )
    .await
    .ok(200);
    let ev = audit(&s, "issuer_updated", "iss-dns").await;
    assert_eq!(ev[0]["details"]["dns_hook_argv"], json!(["/usr/bin/false"]), "{ev:?}");
    // an operator's HTTP-01 ACME issuer runs nothing on the server and needs no admin
    s.call(Method::POST, "/api/v1/issuers", Some(&op), Some(json!({"name": "h", "type": "acme", "config": {"directory_url": "https://127.0.0.1:1/dir", "terms_accepted": true}}))).await.ok(201);
}

/// An issuer stored before hooks were named (written straight to the store): its argv is never
/// run, its order fails with a message that says what to do, and it is listed for the start-up
/// warning.
async fn stored_dns_hook_command_never_runs(s: Server) {
    let marker = s.dir.path().join("LEGACY-MARKER");
    let now = Timestamp::now();
    let issuer = Issuer {
        id: IssuerId::from_trusted("iss-legacy".to_owned()),
        name: "legacy".into(),
        issuer_type: "acme".into(),
        config: json!({"directory_url": "https://127.0.0.1:1/dir", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "hook",
            "dns_hook_command": ["/bin/sh", "-c", format!("touch {}", marker.display())], "dns_propagation_seconds": 0}),
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    s.svc
        .store_for_tests()
        .create_issuer(&issuer, &Actor::system().audit("issuer_created", "issuer", "iss-legacy"))
        .await
        .unwrap();
    let legacy = s.svc.issuers_with_legacy_dns_hook().await.unwrap();
    assert_eq!(legacy.iter().map(|i| i.as_str()).collect::<Vec<_>>(), ["iss-legacy"]);

    s.post(
        "/api/v1/certificates",
        json!({"id": "mc-legacy", "common_name": "legacy.example.test", "issuer_id": "iss-legacy"}),
    )
    .await
    .ok(201);
    let job = s.action("/api/v1/certificates/mc-legacy/renew").await.ok(202)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = Instant::now();
    let done = loop {
        s.svc.process_jobs(Timestamp::now()).await.unwrap();
        let j = s.get(&format!("/api/v1/jobs/{job}")).await.ok(200);
        if j["status"] == "Failed" || start.elapsed() > Duration::from_secs(20) {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done["status"], "Failed", "{done}");
    let err = done["last_error"].as_str().unwrap();
    assert!(
        err.contains("dns_hook_command")
            && err.contains("CERTCTL_ACME_DNS_HOOKS")
            && err.contains("never run"),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!marker.exists(), "the stored argv ran");
    // fixing it means naming a configured hook (an admin's act)
    s.put("/api/v1/issuers/iss-legacy", json!({"config": {"directory_url": "https://127.0.0.1:1/dir", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "hook", "dns_hook": "zone-a"}})).await.ok(200);
    assert!(s.svc.issuers_with_legacy_dns_hook().await.unwrap().is_empty());
}

/// The real binary, hooks from `CERTCTL_ACME_DNS_HOOKS`: a DNS-01 issuance against pebble through
/// the named hook works, and the hook sees neither `CERTCTL_SECRET_KEY`, the database URL nor a
/// canary variable set for the server, and does not run in the data dir. A bad hook setting
/// stops the server with a message naming it.
#[tokio::test]
async fn binary_hook_gets_no_server_env() {
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .env("CERTCTL_DATA_DIR", tempfile::tempdir().unwrap().path())
        .env("CERTCTL_ACME_DNS_HOOKS", r#"{"zone": ["sh", "-c", "id"]}"#)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success()
            && said.contains("CERTCTL_ACME_DNS_HOOKS.zone")
            && said.contains("absolute path"),
        "{said}"
    );

    let Some(p) = crate::acme::pebble() else { return };
    let dir = tempfile::tempdir().unwrap();
    let hooks = tempfile::tempdir().unwrap();
    let argv = crate::acme::dns_hook(hooks.path(), &p.challtestsrv);
    let secret = "5ec2e7".repeat(10) + "abcd";
    let canary = "canary-value-that-must-not-reach-the-hook";
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_certctl-server"))
        .env("CERTCTL_DATA_DIR", dir.path())
        .env("CERTCTL_LISTEN", format!("127.0.0.1:{port}"))
        .env("CERTCTL_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8")
        .env("CERTCTL_KEYGEN_MODE", "server")
        .env("CERTCTL_SECRET_KEY", &secret)
        .env("CERTCTL_JOB_PROCESSOR_INTERVAL", "200ms")
        .env("CERTCTL_ACME_DNS_HOOKS", json!({"challtestsrv": argv}).to_string())
        .env("CERTCTL_HOOK_TEST_CANARY", canary)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Kill(child);
    let key_file = dir.path().join("admin.key");
    let start = Instant::now();
    while !key_file.exists() && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let key = std::fs::read_to_string(&key_file).unwrap().trim().to_owned();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let http = reqwest::Client::new();
    let call = |m: reqwest::Method, path: &str, body: Option<Value>| {
        let mut r = http.request(m, format!("{base}{path}")).bearer_auth(&key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    let mut up = false;
    for _ in 0..100 {
        if call(reqwest::Method::GET, "/issuers", None).await.is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "server did not come up");
    let cfg = p.issuer_config(json!({"challenge": "dns-01", "dns_provider": "hook", "dns_hook": "challtestsrv", "dns_propagation_seconds": 0}));
    let r = call(
        reqwest::Method::POST,
        "/issuers",
        Some(json!({"id": "iss-dns", "name": "dns", "type": "acme", "config": cfg})),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = call(
        reqwest::Method::POST,
        "/certificates",
        Some(
            json!({"id": "mc-bin", "common_name": "bin-hook.example.test", "issuer_id": "iss-dns"}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let job: Value = call(reqwest::Method::POST, "/certificates/mc-bin/renew", None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_id = job["id"].as_str().unwrap().to_owned();
    let start = Instant::now();
    let done = loop {
        let j: Value = call(reqwest::Method::GET, &format!("/jobs/{job_id}"), None)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if matches!(j["status"].as_str(), Some("Completed" | "Failed"))
            || start.elapsed() > Duration::from_secs(60)
        {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    drop(child);
    assert_eq!(done["status"], "Completed", "{done}");
    let env_json = hooks.path().join("env.json");
    let seen = std::fs::read_to_string(&env_json).unwrap();
    assert!(
        !seen.contains(&secret)
            && !seen.contains(canary)
            && !seen.contains("CERTCTL_SECRET_KEY")
            && !seen.contains("CERTCTL_DATA_DIR"),
        "{seen}"
    );
    assert!(
        !seen.contains(&dir.path().display().to_string()),
        "the data dir is not the hook's working dir: {seen}"
    );
    crate::acme::assert_hook_env_cleared(&env_json);
}
