//! The config file's named contexts: set-context, use-context, get-contexts, and the context's
//! server and key file used when no flag or variable is given.

use crate::support::Server;

#[test]
fn contexts() {
    let s = Server::start();
    let home = s.config_home.path();
    let key_file = home.join("admin.key");
    std::fs::write(&key_file, format!("{}\n", s.admin)).unwrap();
    let bare = || {
        let mut c = s.cmd();
        c.env_remove("CERTCTL_SERVER_URL").env_remove("CERTCTL_API_KEY");
        c
    };
    // without settings: the default URL, where nothing listens in tests → 6 or a refused key
    let out = bare()
        .args([
            "config",
            "set-context",
            "local",
            "--server",
            &s.url,
            "--api-key-file",
            key_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = home.join("certctl").join("config.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&s.admin), "the key itself is never written: {text}");
    assert!(text.contains("current-context = \"local\""), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let out = bare().args(["-o", "json", "teams", "list"]).output().unwrap();
    assert!(
        out.status.success(),
        "the context's server and key: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    bare()
        .args(["config", "set-context", "prod", "--server", "http://127.0.0.1:1"])
        .assert()
        .success();
    let out = bare().args(["config", "get-contexts"]).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.lines().any(|l| l.trim_start().starts_with('*') && l.contains("local")),
        "{table}"
    );
    assert!(!table.contains(&s.admin));

    bare().args(["config", "use-context", "prod"]).assert().success();
    assert_eq!(
        String::from_utf8(bare().args(["config", "current-context"]).output().unwrap().stdout)
            .unwrap(),
        "prod\n"
    );
    bare().args(["status"]).assert().code(6);
    // flags and variables win over the context; --context picks another one
    bare().args(["status", "--context", "local"]).assert().success();
    s.cmd().args(["status"]).assert().success();
    bare().args(["config", "use-context", "nope"]).assert().code(2);
    bare().args(["status", "--context", "nope"]).assert().code(2);
    bare().args(["config", "delete-context", "prod"]).assert().success();
}

/// `certctl tui` resolves the same settings before it touches the terminal: an unknown context
/// is a usage error (exit 2) naming it, a bad refresh interval is refused by the parser.
#[test]
fn tui_uses_the_cli_settings() {
    let s = Server::start();
    let out = s.cmd().args(["--context", "nowhere", "tui"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
    let out = s.cmd().args(["tui", "--refresh", "10ms"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1s"));
}
