//! Tests of the file target and the deploy primitive: modes, backups, rollback, idempotence,
//! recovery of an interrupted deployment.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::pki::PrivateKey;

/// A self-signed certificate and its key.
fn material(cn: &str) -> Material {
    let key = PrivateKey::generate_p256().unwrap();
    let cert = rcgen::CertificateParams::new(vec![cn.to_owned()])
        .unwrap()
        .self_signed(key.key_pair())
        .unwrap();
    Material::new(&cert.pem(), key.pem()).unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// Names in `dir` (to spot leftover temp files and backups).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A host policy that allows writing under `root` and running exactly the commands of `targets`.
fn allowing(root: &Path, targets: &[&dyn Target]) -> HostPolicy {
    let cmds: Vec<String> = targets
        .iter()
        .flat_map(|t| t.commands())
        .map(|(_, c)| serde_json::to_string(c).unwrap())
        .collect();
    let spec = if cmds.is_empty() { "none".to_owned() } else { cmds.join(";") };
    HostPolicy::parse(&spec, &root.display().to_string()).unwrap()
}

/// Deploy options with [`allowing`].
fn opts(root: &Path, targets: &[&dyn Target]) -> DeployOptions {
    DeployOptions { policy: allowing(root, targets), ..Default::default() }
}

fn file_target(dir: &Path, extra: serde_json::Value) -> Box<dyn Target> {
    let mut c = json!({
        "cert_path": dir.join("cert.pem"), "chain_path": dir.join("chain.pem"),
        "fullchain_path": dir.join("fullchain.pem"), "key_path": dir.join("key.pem"),
        "combined_path": dir.join("combined.pem"),
    });
    if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    from_config("file", &c).unwrap()
}

#[tokio::test]
async fn file_target_writes_modes_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tls");
    let marker = tmp.path().join("reloads");
    let t = file_target(&dir, json!({"reload_command": ["touch", marker]}));
    let m = material("a.example.com");
    let opts =
        DeployOptions { journal: Some(tmp.path().join("journal")), ..opts(tmp.path(), &[&*t]) };
    let out = t.deploy(&m, &opts).await.unwrap();
    assert!(out.changed);
    assert_eq!(out.fingerprint, m.fingerprint());
    assert_eq!(read(&dir.join("cert.pem")), m.cert_pem());
    assert_eq!(read(&dir.join("fullchain.pem")), m.fullchain_pem());
    assert_eq!(read(&dir.join("key.pem")), m.key_pem());
    assert_eq!(
        (mode(&dir.join("cert.pem")), mode(&dir.join("key.pem")), mode(&dir.join("combined.pem"))),
        (0o644, 0o600, 0o600)
    );
    assert!(marker.exists(), "reloaded");
    assert_eq!(
        names(&dir),
        ["cert.pem", "chain.pem", "combined.pem", "fullchain.pem", "key.pem"],
        "no temp or backup left"
    );
    assert!(!tmp.path().join("journal").exists());

    // same material again: nothing written, no reload
    std::fs::remove_file(&marker).unwrap();
    let before = std::fs::metadata(dir.join("key.pem")).unwrap().modified().unwrap();
    let again = t.deploy(&m, &opts).await.unwrap();
    assert!(!again.changed);
    assert_eq!(std::fs::metadata(dir.join("key.pem")).unwrap().modified().unwrap(), before);
    assert!(!marker.exists(), "no reload for an unchanged deployment");
}

#[tokio::test]
async fn failures_restore_the_previous_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tls");
    let v1 = material("a.example.com");
    let v2 = material("a.example.com");
    let none = opts(tmp.path(), &[]);
    file_target(&dir, json!({})).deploy(&v1, &none).await.unwrap();
    let snapshot = |d: &Path| {
        names(d).into_iter().map(|n| (read(&d.join(&n)), mode(&d.join(&n)), n)).collect::<Vec<_>>()
    };
    let before = snapshot(&dir);

    // validate fails: step named, stderr tail carried, files restored
    let t = file_target(&dir, json!({"validate_command": ["ls", "/nonexistent-validate-check"]}));
    let e = t.deploy(&v2, &opts(tmp.path(), &[&*t])).await.unwrap_err();
    assert_eq!(e.step, Step::Validate, "{e}");
    assert!(
        e.to_string()
            .starts_with("validate: `ls /nonexistent-validate-check` exited with status 2"),
        "{e}"
    );
    assert!(
        e.message.contains("nonexistent-validate-check")
            && e.message.ends_with("rolled back to the previous files"),
        "{e}"
    );
    assert_eq!(snapshot(&dir), before);

    // reload fails: restored, and the reload runs again (the marker counts runs)
    let count = tmp.path().join("count");
    std::fs::create_dir(&count).unwrap();
    let t = file_target(&dir, json!({"reload_command": ["mktemp", "-p", count]}));
    let t = FailingVerify(t);
    let e = t.deploy(&v2, &opts(tmp.path(), &[&t])).await.unwrap_err();
    assert_eq!(e.step, Step::Verify, "{e}");
    assert_eq!(snapshot(&dir), before);
    assert_eq!(
        names(&count).len(),
        2,
        "reloaded with the new files, then again with the restored ones"
    );

    let t = file_target(&dir, json!({"reload_command": ["false"]}));
    let e = t.deploy(&v2, &opts(tmp.path(), &[&*t])).await.unwrap_err();
    assert_eq!(e.step, Step::Reload, "{e}");
    assert!(e.message.contains("rollback reload failed"), "{e}");
    assert_eq!(snapshot(&dir), before);

    // a file that did not exist before is removed again
    let extra = tmp.path().join("other").join("new.pem");
    let t =
        from_config("file", &json!({"cert_path": extra, "validate_command": ["false"]})).unwrap();
    assert_eq!(t.deploy(&v2, &opts(tmp.path(), &[&*t])).await.unwrap_err().step, Step::Validate);
    assert!(!extra.exists());
    assert!(names(extra.parent().unwrap()).is_empty());
}

/// A target whose verification always fails, to exercise the rollback after a reload.
#[derive(Debug)]
struct FailingVerify(Box<dyn Target>);

#[async_trait::async_trait]
impl Target for FailingVerify {
    fn kind(&self) -> &'static str {
        "test"
    }
    fn files(&self, m: &Material) -> Vec<FileSpec> {
        self.0.files(m)
    }
    fn reload_command(&self) -> Option<&[String]> {
        self.0.reload_command()
    }
    fn commands(&self) -> Vec<(&'static str, &[String])> {
        self.0.commands()
    }
    async fn validate(&self, o: &DeployOptions) -> Result<(), DeployError> {
        self.0.validate(o).await
    }
    async fn verify(&self, _: &str) -> Result<(), DeployError> {
        Err(DeployError::new(Step::Verify, "still serving the old one"))
    }
}

#[tokio::test]
async fn an_interrupted_deployment_is_undone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tls");
    let journal = tmp.path().join("deploy.journal");
    let slow = file_target(&dir, json!({"validate_command": ["sleep", "30"]}));
    let opts = DeployOptions {
        journal: Some(journal.clone()),
        command_timeout: Duration::from_secs(30),
        policy: allowing(tmp.path(), &[&*slow]),
    };
    let v1 = material("a.example.com");
    file_target(&dir, json!({})).deploy(&v1, &opts).await.unwrap();
    // the agent dies while the validate command runs: the new files are in place
    let v2 = material("a.example.com");
    assert!(
        tokio::time::timeout(Duration::from_millis(500), slow.deploy(&v2, &opts)).await.is_err()
    );
    assert_eq!(read(&dir.join("key.pem")), v2.key_pem());
    assert!(journal.exists());
    // at the next start: back to the previous pair, nothing left over
    // a host policy that no longer allows the journal's files leaves everything as it is
    let narrower = DeployOptions {
        policy: HostPolicy::parse("none", "/nonexistent-certctl").unwrap(),
        ..Default::default()
    };
    let e = recover(&journal, &narrower).await.unwrap_err();
    assert!(e.contains("left as it is") && e.contains("CERTCTL_AGENT_ALLOWED_PATHS"), "{e}");
    assert_eq!(read(&dir.join("key.pem")), v2.key_pem());
    assert!(recover(&journal, &opts).await.unwrap());
    assert_eq!(read(&dir.join("key.pem")), v1.key_pem());
    assert_eq!(read(&dir.join("cert.pem")), v1.cert_pem());
    assert_eq!(names(&dir), ["cert.pem", "chain.pem", "combined.pem", "fullchain.pem", "key.pem"]);
    assert!(!journal.exists());
    assert!(!recover(&journal, &opts).await.unwrap());
}

#[test]
fn configs_are_checked() {
    assert!(from_config("file", &json!({})).is_err());
    assert!(from_config("file", &json!({"cert_path": "relative.pem"})).is_err());
    let e = from_config(
        "file",
        &json!({"cert_path": "/x.pem", "reload_command": ["sh", "-c", "reboot; true"]}),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("config.reload_command[2]"), "{e}");
    assert!(
        from_config("nginx", &json!({"cert_path": "/a.pem"}))
            .unwrap_err()
            .to_string()
            .contains("key_path")
    );
    let n =
        NginxTarget::from_config(&json!({"cert_path": "/a.pem", "key_path": "/a.key"})).unwrap();
    assert_eq!(
        (n.validate_command.join(" "), n.reload_command.join(" ")),
        ("nginx -t".to_owned(), "nginx -s reload".to_owned())
    );
    assert!(from_config("iis", &json!({})).is_err());
    let m = material("a.example.com");
    let other = PrivateKey::generate_p256().unwrap();
    assert!(
        Material::new(&m.fullchain_pem(), other.pem()).is_err(),
        "a key that is not the leaf's is refused"
    );
    assert!(!format!("{m:?}").contains("PRIVATE"));
}

#[tokio::test]
async fn owner_and_group_are_set_and_checked() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tls");
    let me = nix::unistd::User::from_uid(nix::unistd::getuid()).unwrap().unwrap();
    let group = nix::unistd::Group::from_gid(nix::unistd::getgid()).unwrap().unwrap();
    // by name, resolved on this host
    let t = file_target(&dir, json!({"owner": me.name, "group": group.name}));
    let none = opts(tmp.path(), &[]);
    t.deploy(&material("o.example.com"), &none).await.unwrap();
    let m = std::fs::metadata(dir.join("key.pem")).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o777), (me.uid.as_raw(), group.gid.as_raw(), 0o600));

    if nix::unistd::geteuid().is_root() {
        // root hands the files to another account (by id); the next deployment to the same
        // files with a different owner is a change, not a no-op
        let m2 = material("o2.example.com");
        let t = file_target(&dir, json!({"owner": 65534, "group": 65534}));
        t.deploy(&m2, &none).await.unwrap();
        for f in ["cert.pem", "key.pem", "combined.pem"] {
            let m = std::fs::metadata(dir.join(f)).unwrap();
            assert_eq!((m.uid(), m.gid()), (65534, 65534), "{f}");
        }
        assert_eq!(mode(&dir.join("key.pem")), 0o600);
        let back = file_target(&dir, json!({"owner": 0, "group": 0}));
        assert!(back.deploy(&m2, &none).await.unwrap().changed, "an owner change is a change");
        assert_eq!(std::fs::metadata(dir.join("key.pem")).unwrap().uid(), 0);
    } else {
        // anyone else may not give files away: the write step fails and nothing is replaced
        let before = read(&dir.join("key.pem"));
        let t = file_target(&dir, json!({"owner": 0}));
        let e = t.deploy(&material("o3.example.com"), &none).await.unwrap_err();
        assert_eq!(e.step, Step::Write, "{e}");
        assert!(e.message.contains("cannot set owner"), "{e}");
        assert_eq!(read(&dir.join("key.pem")), before);
    }

    // an account this host does not have is refused when the config is read
    let e = from_config(
        "file",
        &json!({"cert_path": dir.join("c.pem"), "owner": "no-such-user-certctl"}),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("config.owner") && e.contains("no user"), "{e}");
    let e = from_config("file", &json!({"cert_path": dir.join("c.pem"), "group": "bad group"}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.group"), "{e}");
}

#[tokio::test]
async fn the_host_policy_is_checked_before_anything_is_written_or_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let (allowed, outside) = (root.join("allowed"), root.join("outside"));
    std::fs::create_dir_all(&allowed).unwrap();
    let marker = root.join("marker");
    let policy = HostPolicy::parse(r#"["true"]"#, &allowed.display().to_string()).unwrap();
    let o = DeployOptions { journal: Some(root.join("journal")), policy, ..Default::default() };
    let m = material("p.example.com");

    // a command outside the list: refused with every other problem of the target, nothing written or run
    let t = from_config("file", &json!({"cert_path": allowed.join("c.pem"), "key_path": outside.join("k.pem"), "validate_command": ["true"], "reload_command": ["touch", marker]})).unwrap();
    let e = t.deploy(&m, &o).await.unwrap_err();
    assert_eq!(e.step, Step::Policy);
    let want = format!(
        r#"policy: reload_command ["touch","{}"] is not allowed on this host (CERTCTL_AGENT_ALLOWED_COMMANDS); key_path {} is outside"#,
        marker.display(),
        outside.join("k.pem").display()
    );
    assert!(e.to_string().starts_with(&want), "{e}");
    assert!(!marker.exists() && !outside.exists() && !root.join("journal").exists());
    assert!(names(&allowed).is_empty(), "nothing written, not even a temp file");

    // allowed: written
    let t = from_config(
        "file",
        &json!({"cert_path": allowed.join("tls/c.pem"), "reload_command": ["true"]}),
    )
    .unwrap();
    assert!(t.deploy(&m, &o).await.unwrap().changed);
    // the default policy (nginx profile, /etc/ssl/certctl, /var/lib/certctl) refuses this tempdir
    let e = t.deploy(&m, &DeployOptions::default()).await.unwrap_err();
    assert!(
        e.message.contains("reload_command [\"true\"] is not allowed")
            && e.message
                .contains("CERTCTL_AGENT_ALLOWED_PATHS: /etc/ssl/certctl, /var/lib/certctl"),
        "{e}"
    );
}
