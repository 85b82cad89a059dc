//! The committed `man/certctl-tui.1` equals the page the binary generates now.

use std::path::Path;
use std::process::Command;

#[test]
fn man_page_matches_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_certctl-tui"))
        .args(["generate", "man", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fresh = std::fs::read(dir.path().join("certctl-tui.1")).unwrap();
    let committed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../man/certctl-tui.1")).unwrap();
    assert!(
        fresh == committed,
        "man/certctl-tui.1 drifted from the code: run `cargo run -p certctl-cli -- generate man --out-dir man`"
    );
    let text = String::from_utf8_lossy(&fresh);
    assert!(
        text.contains("read\\-only")
            && text.contains("CERTCTL_SERVER_URL")
            && text.contains("certctl tui"),
        "{text}"
    );
}
