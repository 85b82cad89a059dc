//! The shared deployment primitive: stage temp files beside their destinations, back up the
//! current files, rename into place, validate, reload, verify — and put everything back (and reload
//! again) when any step fails. A journal lets [`recover`] undo a deployment interrupted by a crash.

use std::collections::BTreeSet;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{
    DeployError, DeployOptions, DeployOutcome, Material, Ownership, Step, Target, run_command,
};

/// One file a target installs. `Debug` shows its length, never its contents (keys).
#[derive(Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// The config key that names it (`cert_path`, `key_path`, ...), for reports.
    pub field: &'static str,
    /// Absolute destination.
    pub path: PathBuf,
    /// What it must hold.
    pub contents: Vec<u8>,
    /// Its permission bits (0600 keys, 0644 certificates).
    pub mode: u32,
    /// Its owner and group (the target's `owner` / `group`), set before any byte is written.
    pub owner: Ownership,
}

impl fmt::Debug for FileSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSpec")
            .field("field", &self.field)
            .field("path", &self.path)
            .field("bytes", &self.contents.len())
            .field("mode", &format_args!("{:o}", self.mode))
            .field("owner", &self.owner)
            .finish()
    }
}

/// What the journal remembers of one file while a deployment is in flight.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    path: PathBuf,
    tmp: PathBuf,
    /// The previous file (a hard link to it), `None` when there was none.
    backup: Option<PathBuf>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    entries: Vec<Entry>,
    reload: Option<Vec<String>>,
}

/// Installs `material` on `target` (the body of [`Target::deploy`]). First of all, every
/// command and every file of the target is checked against `opts.policy`: a refusal fails with
/// [`Step::Policy`] before anything is written or run.
pub async fn install<T: Target + ?Sized>(
    target: &T,
    material: &Material,
    opts: &DeployOptions,
) -> Result<DeployOutcome, DeployError> {
    let files = target.files(material);
    let fingerprint = material.fingerprint().to_owned();
    if files.is_empty() {
        return Err(DeployError::new(Step::Write, "the target config names no file to write"));
    }
    opts.policy.check(&target.commands(), &files).map_err(|m| DeployError::new(Step::Policy, m))?;
    let mut seen = BTreeSet::new();
    if let Some(f) = files.iter().find(|f| !f.path.is_absolute() || !seen.insert(f.path.clone())) {
        return Err(DeployError::new(
            Step::Write,
            format!("{} is not absolute or is named twice", f.path.display()),
        ));
    }
    if let Some(j) = &opts.journal {
        recover(j, opts).await.map_err(|e| {
            DeployError::new(
                Step::Rollback,
                format!("an interrupted deployment could not be undone: {e}"),
            )
        })?;
    }
    let reload = target.reload_command().map(<[String]>::to_vec);

    if files.iter().all(unchanged) {
        // Same material: nothing to write. Make sure it is live (a crash may have come between
        // the rename and the reload), reloading only when it is not.
        if target.verify(&fingerprint).await.is_err() {
            if let Some(r) = &reload {
                run_command(r, opts.command_timeout)
                    .await
                    .map_err(|e| DeployError::new(Step::Reload, e.to_string()))?;
            }
            target.verify(&fingerprint).await?;
        }
        return Ok(DeployOutcome { fingerprint, changed: false });
    }

    let mut entries = Vec::with_capacity(files.len());
    for f in &files {
        match stage(f) {
            Ok(e) => entries.push(e),
            Err(msg) => {
                discard(&entries);
                return Err(DeployError::new(Step::Write, msg));
            }
        }
    }
    let journal = Journal { entries, reload: reload.clone() };
    if let Some(j) = &opts.journal
        && let Err(e) = write_replace(j, &serde_json::to_vec(&journal).unwrap_or_default(), 0o600)
    {
        discard(&journal.entries);
        return Err(DeployError::new(
            Step::Write,
            format!("cannot write the journal {}: {e}", j.display()),
        ));
    }

    let mut reloaded = false;
    let result = async {
        for e in &journal.entries {
            fs::rename(&e.tmp, &e.path).map_err(|err| {
                DeployError::new(
                    Step::Write,
                    format!("cannot rename into {}: {err}", e.path.display()),
                )
            })?;
        }
        sync_dirs(&journal.entries).map_err(|m| DeployError::new(Step::Write, m))?;
        target.validate(opts).await?;
        if let Some(r) = &reload {
            reloaded = true;
            run_command(r, opts.command_timeout)
                .await
                .map_err(|e| DeployError::new(Step::Reload, e.to_string()))?;
        }
        target.verify(&fingerprint).await
    }
    .await;

    match result {
        Ok(()) => {
            if let Some(j) = &opts.journal {
                let _ = fs::remove_file(j);
            }
            for b in journal.entries.iter().filter_map(|e| e.backup.as_ref()) {
                let _ = fs::remove_file(b);
            }
            Ok(DeployOutcome { fingerprint, changed: true })
        }
        Err(mut err) => {
            let restored = restore(&journal.entries);
            let reload_again = match (&reload, reloaded) {
                (Some(r), true) => {
                    run_command(r, opts.command_timeout).await.err().map(|e| e.to_string())
                }
                _ => None,
            };
            match (restored, reload_again) {
                (Ok(()), None) => {
                    if let Some(j) = &opts.journal {
                        let _ = fs::remove_file(j);
                    }
                    err.message.push_str("; rolled back to the previous files");
                }
                (Err(m), _) => err.message.push_str(&format!("; rollback failed: {m}")),
                (Ok(()), Some(m)) => err.message.push_str(&format!(
                    "; previous files restored, but the rollback reload failed: {m}"
                )),
            }
            Err(err)
        }
    }
}

/// Undoes a deployment that was interrupted (crash, kill) between its first rename and its end,
/// from the journal at `journal`: the previous files go back and the reload command runs again.
/// Every path and the command of the journal are checked against `opts.policy` first (nothing
/// is touched when one is refused). Returns whether there was anything to undo.
pub async fn recover(journal: &Path, opts: &DeployOptions) -> Result<bool, String> {
    let bytes = match fs::read(journal) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("cannot read {}: {e}", journal.display())),
    };
    let j: Journal = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is corrupt: {e}", journal.display()))?;
    let paths =
        j.entries.iter().flat_map(|e| [Some(&e.path), Some(&e.tmp), e.backup.as_ref()]).flatten();
    let refused: Vec<String> = paths
        .filter_map(|p| opts.policy.check_path("journal entry", p).err())
        .chain(j.reload.as_ref().and_then(|r| opts.policy.check_command("reload_command", r).err()))
        .collect();
    if !refused.is_empty() {
        return Err(format!("{} left as it is: {}", journal.display(), refused.join("; ")));
    }
    restore(&j.entries)?;
    if let Some(r) = &j.reload {
        run_command(r, opts.command_timeout).await.map_err(|e| e.to_string())?;
    }
    fs::remove_file(journal).map_err(|e| format!("cannot remove {}: {e}", journal.display()))?;
    Ok(true)
}

/// Whether `f.path` is a regular file that already holds `f.contents` with `f.mode` and owner.
fn unchanged(f: &FileSpec) -> bool {
    match fs::symlink_metadata(&f.path) {
        Ok(m)
            if m.is_file() && m.permissions().mode() & 0o7777 == f.mode && f.owner.matches(&m) =>
        {
            fs::read(&f.path).is_ok_and(|b| b == f.contents)
        }
        _ => false,
    }
}

/// Writes the temp file (mode set at creation and again explicitly, against the umask) and
/// hard-links the current file as the backup.
fn stage(f: &FileSpec) -> Result<Entry, String> {
    let (dir, name) = split(&f.path)?;
    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut nonce = [0u8; 6];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| "random generator failed".to_owned())?;
    let tmp = dir.join(format!(".{name}.certctl-new-{}", hex::encode(nonce)));
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(f.mode).open(&tmp)?;
        file.set_permissions(fs::Permissions::from_mode(f.mode))?;
        f.owner.apply(&file).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot set owner {:?} / group {:?}: {e}", f.owner.uid, f.owner.gid),
            )
        })?;
        // chown may clear mode bits: set them again
        file.set_permissions(fs::Permissions::from_mode(f.mode))?;
        file.write_all(&f.contents)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(format!("cannot write {}: {e}", tmp.display()));
    }
    let backup = match fs::symlink_metadata(&f.path) {
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(format!("cannot read {}: {e}", f.path.display()));
        }
        Ok(_) => {
            let bak = dir.join(format!(".{name}.certctl-previous"));
            let _ = fs::remove_file(&bak);
            if let Err(e) =
                fs::hard_link(&f.path, &bak).or_else(|_| fs::copy(&f.path, &bak).map(drop))
            {
                let _ = fs::remove_file(&tmp);
                return Err(format!("cannot back up {}: {e}", f.path.display()));
            }
            Some(bak)
        }
    };
    Ok(Entry { path: f.path.clone(), tmp, backup })
}

/// Removes staged temp files and backups (nothing was renamed yet).
fn discard(entries: &[Entry]) {
    for e in entries {
        let _ = fs::remove_file(&e.tmp);
        if let Some(b) = &e.backup {
            let _ = fs::remove_file(b);
        }
    }
}

/// Puts every previous file back (or removes a file that did not exist before) and drops the
/// temp files. Safe to run twice.
fn restore(entries: &[Entry]) -> Result<(), String> {
    let mut errors = Vec::new();
    for e in entries.iter().rev() {
        let _ = fs::remove_file(&e.tmp);
        let r = match &e.backup {
            Some(b) if b.exists() => fs::rename(b, &e.path),
            Some(_) => Ok(()),
            None => match fs::remove_file(&e.path) {
                Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
                other => other,
            },
        };
        if let Err(err) = r {
            errors.push(format!("{}: {err}", e.path.display()));
        }
    }
    if let Err(m) = sync_dirs(entries) {
        errors.push(m);
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}

fn sync_dirs(entries: &[Entry]) -> Result<(), String> {
    let dirs: BTreeSet<&Path> = entries.iter().filter_map(|e| e.path.parent()).collect();
    for d in dirs {
        fs::File::open(d)
            .and_then(|f| f.sync_all())
            .map_err(|e| format!("cannot sync {}: {e}", d.display()))?;
    }
    Ok(())
}

fn split(path: &Path) -> Result<(&Path, String), String> {
    match (path.parent(), path.file_name()) {
        (Some(d), Some(n)) => Ok((d, n.to_string_lossy().into_owned())),
        _ => Err(format!("{} is not a file path", path.display())),
    }
}

/// Replaces `path` atomically with `bytes` (temp file with `mode`, fsync, rename, fsync dir).
pub(crate) fn write_replace(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let (dir, name) = split(path).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let _ = fs::remove_file(&tmp);
    let mut f = OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)?;
    fs::File::open(dir)?.sync_all()
}
