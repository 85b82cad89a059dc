//! Tests of the host policy: the settings' syntax (profiles, exact argv, `sudo -n` forms,
//! malformed input) and the path checks against a real file system (`..`, symlink escapes).

use std::os::unix::fs::symlink;
use std::path::Path;

use super::*;
use crate::target::Ownership;

fn argv(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_owned).collect()
}

fn err(commands: &str, paths: &str) -> String {
    HostPolicy::parse(commands, paths).unwrap_err().to_string()
}

#[test]
fn defaults_are_the_builtin_connector_commands() {
    let p = HostPolicy::default();
    assert_eq!(p, HostPolicy::parse(DEFAULT_COMMANDS, DEFAULT_PATHS).unwrap());
    let all: Vec<String> = p.commands().iter().map(|c| c.join(" ")).collect();
    assert_eq!(all, ["nginx -t", "nginx -s reload", "sudo -n nginx -t", "sudo -n nginx -s reload"]);
    assert_eq!(p.paths(), [PathBuf::from("/etc/ssl/certctl"), PathBuf::from("/var/lib/certctl")]);
    assert!(!p.allows_command(&argv("systemctl reload nginx")));
    assert!(!p.allows_command(&argv("/usr/sbin/nginx -t")), "exact argv: no program lookup");
    assert!(!p.allows_command(&argv("nginx -t -c /tmp/evil.conf")), "no extra arguments");
    assert!(!p.allows_command(&argv("nginx")), "no fewer arguments");
    let line = p.to_string();
    assert!(
        line.contains("commands (nginx): nginx -t | nginx -s reload")
            && line.ends_with("paths: /etc/ssl/certctl, /var/lib/certctl"),
        "{line}"
    );
}

#[test]
fn profiles_exact_argv_and_sudo_forms() {
    let p = HostPolicy::parse(r#" apache ;haproxy; systemd-reload:nginx;["/usr/local/bin/reload-app", "--graceful"] ; systemd-reload:getty@tty1.service"#, "/srv/tls").unwrap();
    for ok in [
        "apachectl configtest",
        "apachectl graceful",
        "sudo -n apachectl graceful",
        "haproxy -c -f /etc/haproxy/haproxy.cfg",
        "systemctl reload haproxy",
        "sudo -n systemctl reload haproxy",
        "systemctl reload nginx",
        "sudo -n systemctl reload nginx",
        "/usr/local/bin/reload-app --graceful",
        "systemctl reload getty@tty1.service",
    ] {
        assert!(p.allows_command(&argv(ok)), "{ok}");
    }
    for refused in [
        "nginx -t",
        "sudo nginx -t",
        "sudo -n /usr/local/bin/reload-app --graceful",
        "systemctl restart nginx",
        "systemctl reload nginx haproxy",
        "/usr/local/bin/reload-app",
    ] {
        assert!(!p.allows_command(&argv(refused)), "{refused}");
    }
    let e = p.check_command("reload_command", &argv("/bin/sh -c touch")).unwrap_err();
    assert_eq!(
        e,
        r#"reload_command ["/bin/sh","-c","touch"] is not allowed on this host (CERTCTL_AGENT_ALLOWED_COMMANDS)"#
    );
    assert!(p.check_command("validate_command", &argv("apachectl configtest")).is_ok());
    // the same profile twice expands once
    assert_eq!(HostPolicy::parse("nginx;nginx", "/a").unwrap().commands().len(), 4);
    // `none`: no command at all
    let none = HostPolicy::parse("none", "/a").unwrap();
    assert!(none.commands().is_empty() && !none.allows_command(&argv("nginx -t")));
    assert!(none.to_string().starts_with("commands (none): none;"), "{none}");
}

#[test]
fn malformed_settings_are_refused_naming_the_setting() {
    for (commands, want) in [
        ("", "is empty"),
        (" ; ;", "is empty"),
        ("nginx;bash", "entry 2: \"bash\" is not a profile"),
        ("systemd-reload:", "is not a systemd unit name"),
        ("systemd-reload:--now", "is not a systemd unit name"),
        ("systemd-reload:a b", "is not a systemd unit name"),
        ("systemd-reload:x;y", "entry 2: \"y\""),
        ("[\"nginx\", \"-t\"", "is not a JSON array"),
        ("[]", "entry 1: must not be empty"),
        ("[\"\"]", "entry 1[0]: must not be empty"),
        ("[\"nginx\", 3]", "entry 1[1]: must be a string"),
        ("[\"sh\", \"-c\", \"a;b\"]", "entry 1[2]:"),
        ("{\"a\": 1}", "is not a profile"),
        ("[\"nginx\"] nginx", "expected `;` after the argv array"),
        ("none;nginx", "`none` cannot be combined"),
    ] {
        let e = err(commands, "/a");
        assert!(
            e.starts_with("CERTCTL_AGENT_ALLOWED_COMMANDS: ") && e.contains(want),
            "{commands:?}: {e}"
        );
    }
    for (paths, want) in [
        ("", "is empty"),
        (" : ", "is empty"),
        ("etc/ssl", "must be an absolute path"),
        ("/etc/ssl/../..", "`..`"),
        ("/a:/", "`/` would allow writing anywhere"),
    ] {
        let e = err("nginx", paths);
        assert!(
            e.starts_with("CERTCTL_AGENT_ALLOWED_PATHS: ") && e.contains(want),
            "{paths:?}: {e}"
        );
    }
    let p = HostPolicy::parse("nginx", " /a/b : /c ::").unwrap();
    assert_eq!(p.paths(), [PathBuf::from("/a/b"), PathBuf::from("/c")]);
}

/// A policy allowing `<tmp>/allowed`, and the tmp dir (canonical).
fn fixture() -> (tempfile::TempDir, PathBuf, HostPolicy) {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    std::fs::create_dir_all(root.join("allowed/existing")).unwrap();
    std::fs::create_dir_all(root.join("outside")).unwrap();
    let p = HostPolicy::parse("none", &root.join("allowed").display().to_string()).unwrap();
    (tmp, root, p)
}

#[test]
fn paths_below_the_prefixes_only() {
    let (_tmp, root, p) = fixture();
    let a = root.join("allowed");
    assert_eq!(
        p.check_path("cert_path", &a.join("existing/cert.pem")).unwrap(),
        a.join("existing/cert.pem")
    );
    assert_eq!(
        p.check_path("cert_path", &a.join("new/dir/cert.pem")).unwrap(),
        a.join("new/dir/cert.pem"),
        "missing directories are fine"
    );
    assert!(p.check_path("cert_path", &a.join("./existing/cert.pem")).is_ok());
    let e = p.check_path("key_path", &root.join("outside/key.pem")).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "key_path {} is outside the paths this host allows (CERTCTL_AGENT_ALLOWED_PATHS: {})",
            root.join("outside/key.pem").display(),
            a.display()
        )),
        "{e}"
    );
    assert!(p.check_path("cert_path", &a).is_err(), "the prefix itself is not a file to write");
    std::fs::create_dir_all(root.join("allowed-evil")).unwrap();
    assert!(
        p.check_path("cert_path", &root.join("allowed-evil/c.pem")).is_err(),
        "prefixes match whole components"
    );
    let e = p.check_path("cert_path", &a.join("existing/../../outside/c.pem")).unwrap_err();
    assert!(e.contains("`..`") && e.contains("CERTCTL_AGENT_ALLOWED_PATHS"), "{e}");
    assert!(
        p.check_path("cert_path", &a.join("../allowed/c.pem")).is_err(),
        "`..` is refused even when it stays inside"
    );
    assert!(p.check_path("cert_path", Path::new("relative/c.pem")).is_err());
}

#[test]
fn symlink_escapes_are_refused() {
    let (_tmp, root, p) = fixture();
    let a = root.join("allowed");
    // a directory inside the prefix that points outside
    symlink(root.join("outside"), a.join("escape")).unwrap();
    let e = p.check_path("cert_path", &a.join("escape/cert.pem")).unwrap_err();
    assert!(
        e.contains(&format!("resolves to {}", root.join("outside/cert.pem").display()))
            && e.ends_with(&format!("(CERTCTL_AGENT_ALLOWED_PATHS: {})", a.display())),
        "{e}"
    );
    assert!(
        p.check_path("cert_path", &a.join("escape/new/cert.pem")).is_err(),
        "below a symlinked dir, existing or not"
    );
    // the file itself a symlink to a file outside, or dangling
    std::fs::write(root.join("outside/shadow"), "x").unwrap();
    symlink(root.join("outside/shadow"), a.join("existing/key.pem")).unwrap();
    assert!(
        p.check_path("key_path", &a.join("existing/key.pem")).unwrap_err().contains("resolves to")
    );
    symlink(root.join("outside/nothing"), a.join("existing/dangling.pem")).unwrap();
    let e = p.check_path("key_path", &a.join("existing/dangling.pem")).unwrap_err();
    assert!(e.contains("cannot be resolved"), "{e}");
    // a symlink that stays inside is fine
    symlink(a.join("existing"), a.join("current")).unwrap();
    assert_eq!(
        p.check_path("cert_path", &a.join("current/c.pem")).unwrap(),
        a.join("existing/c.pem")
    );
    // the prefix itself may be a symlink: both spellings are inside
    symlink(&a, root.join("link-to-allowed")).unwrap();
    let via_link =
        HostPolicy::parse("none", &root.join("link-to-allowed").display().to_string()).unwrap();
    assert!(via_link.check_path("cert_path", &a.join("c.pem")).is_ok());
    assert!(via_link.check_path("cert_path", &root.join("link-to-allowed/c.pem")).is_ok());
}

#[test]
fn the_agents_own_state_is_never_written() {
    let (_tmp, root, p) = fixture();
    let state = root.join("allowed/state");
    let p = p.protect([state.join("agent.json"), state.join("keys")]);
    for f in ["state/agent.json", "state/keys/mc-1.key", "state/keys/new/x"] {
        let e = p.check_path("cert_path", &root.join("allowed").join(f)).unwrap_err();
        assert!(e.contains("the agent's own state"), "{f}: {e}");
    }
    assert!(p.check_path("cert_path", &state.join("web.pem")).is_ok());
    // through a symlink too
    std::fs::create_dir_all(state.join("keys")).unwrap();
    symlink(state.join("keys"), root.join("allowed/k")).unwrap();
    assert!(
        p.check_path("key_path", &root.join("allowed/k/mc-1.key"))
            .unwrap_err()
            .contains("own state")
    );
    assert!(
        p.to_string().ends_with(&format!(
            "never written: {}, {}",
            state.join("agent.json").display(),
            state.join("keys").display()
        )),
        "{p}"
    );
}

#[test]
fn a_whole_deployment_is_checked_at_once() {
    let (_tmp, root, _) = fixture();
    let p = HostPolicy::parse("nginx", &root.join("allowed").display().to_string()).unwrap();
    let file = |field, path: PathBuf| FileSpec {
        field,
        path,
        contents: Vec::new(),
        mode: 0o644,
        owner: Ownership::default(),
    };
    let ok = [
        file("cert_path", root.join("allowed/c.pem")),
        file("key_path", root.join("allowed/k.pem")),
    ];
    let (t, r) = (argv("nginx -t"), argv("nginx -s reload"));
    assert!(p.check(&[("validate_command", &t), ("reload_command", &r)], &ok).is_ok());
    let bad_cmd = argv("/bin/sh -c id");
    let bad = [
        file("cert_path", root.join("allowed/c.pem")),
        file("key_path", root.join("outside/k.pem")),
    ];
    let e = p.check(&[("validate_command", &t), ("reload_command", &bad_cmd)], &bad).unwrap_err();
    assert!(e.starts_with(r#"reload_command ["/bin/sh","-c","id"] is not allowed on this host (CERTCTL_AGENT_ALLOWED_COMMANDS); key_path "#), "{e}");
    assert_eq!(e.matches("; ").count(), 1, "{e}");
}
