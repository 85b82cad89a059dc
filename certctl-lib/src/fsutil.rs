//! Crash-safe file creation for secrets and certificates: no partial file, restrictive mode from
//! the first byte.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes a new file atomically: a temp file created with `mode` before any byte is written,
/// synced, then linked to `path` (never replacing an existing file) and the temp name removed.
pub fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut nonce = [0u8; 8];
    aws_lc_rs::rand::fill(&mut nonce)
        .map_err(|_| Error::Storage("random generator failed".into()))?;
    let tmp = dir.join(format!(".{name}.tmp-{}", hex::encode(nonce)));
    let ctx = |what: &str, p: &Path| format!("cannot {what} {}", p.display());

    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(ctx("write", &tmp), e));
    }
    let placed = match fs::hard_link(&tmp, path) {
        Ok(()) => fs::remove_file(&tmp).map_err(|e| Error::io(ctx("remove", &tmp), e)),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            Err(Error::Conflict(format!("{} already exists", path.display())))
        }
        // A filesystem without hard links: a plain rename (the caller checked `path` is absent).
        Err(_) => fs::rename(&tmp, path).map_err(|e| Error::io(ctx("create", path), e)),
    };
    if placed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    placed?;
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(ctx("sync", dir), e))
}
