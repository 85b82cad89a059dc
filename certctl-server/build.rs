//! Embeds the built dashboard (`web/dist`, made by `npm ci && npm run build` in `web/`) into the
//! binary: writes `$OUT_DIR/dashboard.rs`, a table of (path, bytes). When `web/dist` does not
//! exist (a clean clone), the table is empty and the server answers `/` with a page that says how
//! to build the dashboard; the Rust code and its tests build either way.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("..")
        .join("web");
    let dist = std::env::var_os("CERTCTL_WEB_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("dist"));
    println!("cargo:rerun-if-env-changed=CERTCTL_WEB_DIST");
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        println!("cargo:rerun-if-changed={}", dist.display());
        collect(&dist, &dist, &mut files);
    } else {
        // no dashboard yet: watch web/ as a whole, so that `npm run build` creating web/dist
        // makes the next cargo build embed it
        println!("cargo:rerun-if-changed={}", root.display());
    }
    files.sort();
    let mut out = String::from(
        "/// The dashboard's files: (URL path without the leading `/`, contents).\npub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (rel, abs) in &files {
        let _ = writeln!(out, "    ({rel:?}, include_bytes!({:?})),", abs.display().to_string());
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("dashboard.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("writing {}: {e}", dest.display());
    }
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(base, &p, out);
        } else if let Ok(rel) = p.strip_prefix(base) {
            let abs = p.canonicalize().unwrap_or(p.clone());
            out.push((rel.to_string_lossy().replace('\\', "/"), abs));
        }
    }
}
