//! The host's execution policy end to end: an agent allowed only the `nginx` profile deploys to a
//! real NGINX with the connector's default commands; an agent with a restricted allow-list (the
//! exact argv the test's NGINX needs, and its certs dir) deploys to a real NGINX; targets that ask for a
//! shell, an argv outside the list, a path outside the prefixes, a symlink escape, the agent's own
//! identity file or a `..` path fail on the host naming the setting, with nothing run and nothing
//! written; a malformed
//! setting stops the agent before it talks to the server.

use std::collections::BTreeMap;
use std::path::Path;

use certctl::api::{CertificateInput, ConnectorInput};
use certctl::model::{ActorType, AuditDraft, Job, JobFilter, JobStatus, JobType, PageRequest};
use serde_json::{Value, json};

use crate::nginx::Nginx;
use crate::support::{Agent, Server, require};

const CN: &str = "policy.example.com";

/// Every entry below `dir`: name → contents (a symlink: where it points).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let contents = if meta.is_symlink() {
            std::fs::read_link(&p).unwrap().into_os_string().into_encoded_bytes()
        } else {
            std::fs::read(&p).unwrap()
        };
        out.insert(name, contents);
    }
    out
}

async fn last_deployment(s: &Server) -> Job {
    let f = JobFilter {
        job_type: Some(JobType::Deployment),
        certificate_id: Some("mc-pol".into()),
        ..Default::default()
    };
    let mut v = s.admin.list_jobs(&f, PageRequest::new(1, 100)).await.unwrap().data;
    v.sort_by_key(|j| j.created_at);
    v.pop().unwrap()
}

fn with(base: &Value, key: &str, v: Value) -> Value {
    let mut c = base.clone();
    c[key] = v;
    c
}

/// The `nginx` profile as an operator would use it: the target keeps the connector's default
/// commands (`nginx -t`, `nginx -s reload`), the host allows exactly the profile, and `nginx` on
/// the agent's `PATH` is this test's NGINX (a wrapper that adds its private prefix, the way a
/// packaged nginx finds `/etc/nginx`). Deployed, reloaded and served; a reload command outside the
/// profile fails on the host and its marker never appears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_profile_with_the_connectors_default_commands() {
    if !require("nginx") {
        return;
    }
    let s = Server::start().await;
    let nginx = Nginx::start("profile.example.com");
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin"])
        .map(|d| Path::new(d).join("nginx"))
        .find(|p| p.is_file())
        .unwrap();
    let args: Vec<String> = nginx.command(&[])[1..].iter().map(|a| format!("'{a}'")).collect();
    std::fs::write(
        bin.join("nginx"),
        format!("#!/bin/sh\nexec {} {} \"$@\"\n", real.display(), args.join(" ")),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("nginx"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let certs = nginx.prefix.path().join("certs");
    let agent = Agent::new(&root.path().join("agent"), &s.url)
        .settings("nginx", &[&certs])
        .path_first(&bin);
    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    assert!(
        log.contains(r#"["nginx","-t"]"#) || log.contains("nginx -t"),
        "the profile is logged: {log}"
    );
    let config = json!({
        "cert_path": nginx.cert_path(), "key_path": nginx.key_path(),
        "verify_address": format!("127.0.0.1:{}", nginx.port), "verify_server_name": "profile.example.com",
    });
    let target = ConnectorInput {
        id: Some("t-nginx".into()),
        name: Some("nginx".into()),
        connector_type: Some("nginx".into()),
        agent_id: Some(Some(agent.id())),
        config: Some(config.clone()),
        ..Default::default()
    };
    s.admin.create_target(&target).await.unwrap();
    s.admin
        .create_certificate(&CertificateInput {
            id: Some("mc-pol".into()),
            common_name: "profile.example.com".into(),
            target_ids: vec!["t-nginx".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    let fp =
        s.admin.certificate_versions("mc-pol").await.unwrap().data[0].fingerprint_sha256.clone();
    assert_eq!(
        nginx.wait_for("profile.example.com", &fp),
        fp,
        "NGINX serves the deployed certificate"
    );
    assert_eq!(last_deployment(&s).await.status, JobStatus::Completed);

    // a shell as the reload command: refused on the host, nothing run, nothing written
    let marker = root.path().join("MARKER");
    let evil = with(
        &config,
        "reload_command",
        json!(["/bin/sh", "-c", format!("touch {}", marker.display())]),
    );
    let update = ConnectorInput { config: Some(evil), ..Default::default() };
    s.admin.update_target("t-nginx", &update).await.unwrap();
    let before = snapshot(&certs);
    s.admin.renew_certificate("mc-pol").await.unwrap();
    let (ok, _) = agent.once().await;
    assert!(!ok);
    let job = last_deployment(&s).await;
    assert_eq!(job.status, JobStatus::Failed);
    let err = job.last_error.unwrap_or_default();
    assert!(
        err.starts_with("policy:")
            && err.contains("CERTCTL_AGENT_ALLOWED_COMMANDS")
            && err.contains("/bin/sh"),
        "{err}"
    );
    assert!(!marker.exists(), "the shell never ran");
    assert_eq!(snapshot(&certs), before, "nothing was written");
    assert_eq!(
        nginx.served_fingerprint("profile.example.com"),
        fp,
        "the previous certificate is still served"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_allow_list_deploys_and_refuses_the_rest() {
    if !require("nginx") {
        return;
    }
    let s = Server::start().await;
    let nginx = Nginx::start(CN);
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let certs = nginx.prefix.path().join("certs");
    let (check, reload) = (nginx.command(&["-t"]), nginx.command(&["-s", "reload"]));
    // allowed: the exact commands and the certs dir of the test's NGINX; also the agent's own
    // directory, whose identity, keys and journal are nevertheless never written
    let agent = Agent::new(&root.path().join("agent"), &s.url)
        .allow(&[check.clone(), reload.clone()], &[&certs, &root.path().join("agent")]);

    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    assert!(
        log.contains("execution policy of this host: commands (")
            && log.contains(&format!("paths: {}, ", certs.display())),
        "the policy is logged at start: {log}"
    );
    let identity = std::fs::read(agent.state.join("agent.json")).unwrap();
    let good = json!({
        "cert_path": nginx.cert_path(), "key_path": nginx.key_path(), "validate_command": check, "reload_command": reload,
        "verify_address": format!("127.0.0.1:{}", nginx.port), "verify_server_name": CN,
    });
    let target = ConnectorInput {
        id: Some("t-nginx".into()),
        name: Some("nginx".into()),
        connector_type: Some("nginx".into()),
        agent_id: Some(Some(agent.id())),
        config: Some(good.clone()),
        ..Default::default()
    };
    s.admin.create_target(&target).await.unwrap();
    s.admin
        .create_certificate(&CertificateInput {
            id: Some("mc-pol".into()),
            common_name: CN.into(),
            sans: vec![CN.into()],
            target_ids: vec!["t-nginx".into()],
            ..Default::default()
        })
        .await
        .unwrap();

    // allowed: issued, deployed with exactly the listed commands, served
    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    let fp =
        s.admin.certificate_versions("mc-pol").await.unwrap().data[0].fingerprint_sha256.clone();
    assert_eq!(nginx.wait_for(CN, &fp), fp, "NGINX serves the deployed certificate");
    assert_eq!(last_deployment(&s).await.status, JobStatus::Completed);

    // refused: each target asks for one thing this host does not allow; a renewal makes a new
    // key and certificate that would be written and reloaded
    let marker = root.path().join("MARKER");
    let shell: Vec<String> =
        vec!["/bin/sh".into(), "-c".into(), format!("touch {}", marker.display())];
    let other_argv = nginx.command(&["-t", "-c", &outside.join("evil.conf").display().to_string()]);
    std::os::unix::fs::symlink(&outside, certs.join("escape")).unwrap();
    let before = snapshot(&certs);
    let cases = [
        (
            with(&good, "reload_command", json!(shell)),
            format!(
                "reload_command {} is not allowed on this host (CERTCTL_AGENT_ALLOWED_COMMANDS)",
                serde_json::to_string(&shell).unwrap()
            ),
        ),
        (
            with(&good, "validate_command", json!(other_argv)),
            format!(
                "validate_command {} is not allowed on this host (CERTCTL_AGENT_ALLOWED_COMMANDS)",
                serde_json::to_string(&other_argv).unwrap()
            ),
        ),
        (
            with(&good, "key_path", json!(outside.join("web.key"))),
            format!(
                "key_path {} is outside the paths this host allows (CERTCTL_AGENT_ALLOWED_PATHS: {}, {})",
                outside.join("web.key").display(),
                certs.display(),
                root.path().join("agent").display()
            ),
        ),
        (
            with(&good, "cert_path", json!(certs.join("escape/web.pem"))),
            format!("cert_path {} resolves to ", certs.join("escape/web.pem").display()),
        ),
        (
            with(&good, "cert_path", json!(agent.state.join("agent.json"))),
            format!(
                "cert_path {} is part of the agent's own state",
                agent.state.join("agent.json").display()
            ),
        ),
    ];
    for (config, want) in cases {
        s.admin
            .update_target(
                "t-nginx",
                &ConnectorInput { config: Some(config.clone()), ..Default::default() },
            )
            .await
            .unwrap();
        s.admin.renew_certificate("mc-pol").await.unwrap();
        let (ok, log) = agent.once().await;
        assert!(!ok, "a refused deployment fails the run: {log}");
        let job = last_deployment(&s).await;
        assert_eq!(job.status, JobStatus::Failed, "{config}");
        let err = job.last_error.unwrap_or_default();
        assert!(
            err.starts_with("policy: ") && err.contains(&want),
            "{config}\nwant {want}\ngot  {err}"
        );
        assert!(!marker.exists(), "the shell never ran");
        assert_eq!(snapshot(&certs), before, "nothing written in the allowed dir: {config}");
        assert!(snapshot(&outside).is_empty(), "nothing written outside: {config}");
        assert_eq!(nginx.served_fingerprint(CN), fp, "the deployed certificate is still served");
        assert_eq!(std::fs::read(agent.state.join("agent.json")).unwrap(), identity);
    }

    // `..`: the API refuses it, naming the field ...
    let dotdot =
        with(&good, "cert_path", json!(format!("{}/../../outside/web.pem", certs.display())));
    let e = s
        .admin
        .update_target(
            "t-nginx",
            &ConnectorInput { config: Some(dotdot.clone()), ..Default::default() },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.cert_path") && e.contains("`..`"), "{e}");
    // ... and so does the host when a config carries one anyway (written to the store directly,
    // as a compromised or older server could): the agent refuses the config before the policy
    let mut t = s
        .svc
        .store_for_tests()
        .get_target(&certctl::model::TargetId::parse("t-nginx").unwrap())
        .await
        .unwrap();
    t.config = dotdot;
    s.svc
        .store_for_tests()
        .update_target(
            &t,
            &AuditDraft::new("test", ActorType::User, "target_updated", "target", "t-nginx"),
        )
        .await
        .unwrap();
    s.admin.renew_certificate("mc-pol").await.unwrap();
    let (ok, _) = agent.once().await;
    assert!(!ok);
    let err = last_deployment(&s).await.last_error.unwrap_or_default();
    assert!(
        err.starts_with("write: target config: config.cert_path: ")
            && err.contains("must not contain a `..` component"),
        "{err}"
    );
    assert_eq!(snapshot(&certs), before);
    assert!(snapshot(&outside).is_empty() && !root.path().join("outside/web.pem").exists());

    // back to the allowed config: the waiting key and certificate go into service
    s.admin
        .update_target("t-nginx", &ConnectorInput { config: Some(good), ..Default::default() })
        .await
        .unwrap();
    s.admin.renew_certificate("mc-pol").await.unwrap();
    let (ok, log) = agent.once().await;
    assert!(ok, "{log}");
    let versions = s.admin.certificate_versions("mc-pol").await.unwrap().data;
    let newest = versions.iter().max_by_key(|v| v.created_at).unwrap().fingerprint_sha256.clone();
    assert_ne!(newest, fp);
    assert_eq!(nginx.wait_for(CN, &newest), newest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_setting_stops_the_agent_at_start() {
    let s = Server::start().await;
    let root = tempfile::tempdir().unwrap();
    for (commands, paths, want) in [
        (
            r#"nginx;["/bin/sh", "-c""#,
            "/etc/ssl/certctl",
            "CERTCTL_AGENT_ALLOWED_COMMANDS: entry 2 starts with `[` but is not a JSON array",
        ),
        (
            "bash",
            "/etc/ssl/certctl",
            "CERTCTL_AGENT_ALLOWED_COMMANDS: entry 1: \"bash\" is not a profile",
        ),
        (
            "nginx",
            "/etc/ssl/../..",
            "CERTCTL_AGENT_ALLOWED_PATHS: entry 1: \"/etc/ssl/../..\" must not contain a `..` component",
        ),
    ] {
        let mut agent = Agent::new(root.path(), &s.url);
        agent.allowed = Some((commands.into(), paths.into()));
        let (ok, log) = agent.once().await;
        assert!(!ok && log.contains(want), "{log}");
    }
    assert!(
        s.received.lock().unwrap().is_empty(),
        "the agent stopped before talking to the server"
    );
    assert!(!root.path().join("state/agent.json").exists());
}
