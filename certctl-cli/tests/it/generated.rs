//! Completions and man pages: `completions bash` passes `bash -n`, every shell generates, the
//! committed `man/` pages equal freshly generated ones, and `man -l man/certctl-certs.1` renders.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::Server;

fn repo_man() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("man")
}

#[test]
fn completions() {
    let s = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let bash = s.table(&["completions", "bash"]);
    assert!(bash.contains("certctl"));
    let file = dir.path().join("certctl.bash");
    std::fs::write(&file, &bash).unwrap();
    let check = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        assert!(!s.table(&["completions", shell]).is_empty(), "{shell}");
    }
}

#[test]
fn man_pages_match_the_code() {
    let s = Server::start();
    let dir = tempfile::tempdir().unwrap();
    s.table(&["generate", "man", "--out-dir", dir.path().to_str().unwrap()]);
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("certctl") && n.ends_with(".1"))
            .collect();
        v.sort();
        v
    };
    let fresh = names(dir.path());
    assert!(
        fresh.contains(&"certctl.1".to_owned())
            && fresh.contains(&"certctl-certs.1".to_owned())
            && fresh.contains(&"certctl-certs-list.1".to_owned()),
        "{fresh:?}"
    );
    let committed = names(&repo_man());
    assert_eq!(
        committed, fresh,
        "man/ drifted from the code: run `cargo run -p certctl-cli -- generate man --out-dir man`"
    );
    for n in &fresh {
        let a = std::fs::read(dir.path().join(n)).unwrap();
        let b = std::fs::read(repo_man().join(n)).unwrap();
        assert!(
            a == b,
            "man/{n} drifted from the code: run `cargo run -p certctl-cli -- generate man --out-dir man`"
        );
    }
}

#[test]
fn man_page_renders() {
    if Command::new("man").arg("--version").output().is_err() {
        eprintln!("skipped: man is not installed (apt-get install man-db)");
        return;
    }
    let page = repo_man().join("certctl-certs.1");
    let out = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .unwrap();
    assert!(out.status.success(), "man -l: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("certctl-certs") && text.contains("renew"), "{text}");
}
