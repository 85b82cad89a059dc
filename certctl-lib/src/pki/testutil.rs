//! Test helpers that drive the real `openssl` CLI (an independent implementation to check against).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

/// Runs `openssl args...` in `dir`; panics with stderr when it fails or cannot be started.
pub(crate) fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = openssl_status(dir, args);
    assert!(out.0, "openssl {} failed:\n{}", args.join(" "), out.1);
    out.1
}

/// Runs `openssl args...` in `dir`; returns (success, stdout + stderr). Panics if openssl is missing.
pub(crate) fn openssl_status(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl (it is required by these tests): {e}"));
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Writes `text` to `dir/name` and returns the file name (for openssl arguments).
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

/// Reads `dir/name`.
pub(crate) fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// The value after `key=` in openssl's `-serial` / `-fingerprint` output, lowercased, no colons.
pub(crate) fn openssl_value(output: &str, key: &str) -> String {
    output
        .lines()
        .find_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key}= in openssl output:\n{output}"))
        .replace(':', "")
        .to_lowercase()
}
