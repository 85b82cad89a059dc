//! The agent's key directory ([`KeyDir`]; the server's sealing key is `service::KeyStore`): one
//! directory (0700) with `<certificate_id>.key` (the key in service) and `<certificate_id>.key.next`
//! (a key whose CSR was sent and whose certificate is not deployed yet), both 0600 from their first
//! byte. Keys never leave this directory except into the target files a deployment writes on the
//! same host.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::write_new_file;
use crate::pki::PrivateKey;

/// Which of a certificate's keys matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySlot {
    /// `<id>.key`: already in service.
    Current,
    /// `<id>.key.next`: new; becomes current once a deployment with it succeeded.
    Next,
}

/// The key directory.
#[derive(Clone, Debug)]
pub struct KeyDir {
    dir: PathBuf,
}

impl KeyDir {
    /// Opens `dir`, creating it 0700 when missing and tightening it to 0700 when it is not.
    pub fn open(dir: &Path) -> Result<Self> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let mode = fs::metadata(dir)
            .map_err(|e| Error::io(format!("cannot stat {}", dir.display()), e))?
            .permissions()
            .mode();
        if mode & 0o777 != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::io(format!("cannot chmod {}", dir.display()), e))?;
        }
        Ok(Self { dir: dir.to_owned() })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of a certificate's key in `slot`.
    pub fn path(&self, certificate_id: &str, slot: KeySlot) -> Result<PathBuf> {
        if certificate_id.is_empty()
            || !certificate_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(Error::invalid(
                "certificate_id",
                format!("{certificate_id:?} is not a certificate id"),
            ));
        }
        Ok(self.dir.join(match slot {
            KeySlot::Current => format!("{certificate_id}.key"),
            KeySlot::Next => format!("{certificate_id}.key.next"),
        }))
    }

    /// The pending key of a certificate for a new CSR: the existing `.key.next` (a CSR retried, or
    /// a renewal whose certificate was never deployed), else a fresh P-256 key written 0600.
    pub fn next_key(&self, certificate_id: &str) -> Result<PrivateKey> {
        let path = self.path(certificate_id, KeySlot::Next)?;
        if let Some(k) = self.read(&path)? {
            return Ok(k);
        }
        let key = PrivateKey::generate_p256()?;
        write_new_file(&path, key.pem().as_bytes(), 0o600)?;
        Ok(key)
    }

    /// The key (PEM) whose public half is `spki` (SubjectPublicKeyInfo DER), pending key first.
    pub fn find(&self, certificate_id: &str, spki: &[u8]) -> Result<Option<(String, KeySlot)>> {
        for slot in [KeySlot::Next, KeySlot::Current] {
            if let Some(k) = self.read(&self.path(certificate_id, slot)?)?
                && k.public_key_der() == spki
            {
                return Ok(Some((k.pem(), slot)));
            }
        }
        Ok(None)
    }

    /// Puts the pending key in service (atomic rename over the previous key).
    pub fn promote(&self, certificate_id: &str) -> Result<()> {
        let next = self.path(certificate_id, KeySlot::Next)?;
        let cur = self.path(certificate_id, KeySlot::Current)?;
        fs::rename(&next, &cur).map_err(|e| {
            Error::io(format!("cannot rename {} to {}", next.display(), cur.display()), e)
        })?;
        fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(format!("cannot sync {}", self.dir.display()), e))
    }

    fn read(&self, path: &Path) -> Result<Option<PrivateKey>> {
        match fs::read_to_string(path) {
            Ok(pem) => PrivateKey::from_pem(&pem)
                .map(Some)
                .map_err(|e| Error::Pki(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_key_then_promotion() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("keys");
        let ks = KeyDir::open(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        assert!(ks.path("../etc/passwd", KeySlot::Current).is_err());
        let k1 = ks.next_key("mc-a").unwrap();
        let p = ks.path("mc-a", KeySlot::Next).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(
            ks.next_key("mc-a").unwrap().pem(),
            k1.pem(),
            "a retried CSR reuses the pending key"
        );
        assert_eq!(
            ks.find("mc-a", &k1.public_key_der()).unwrap().map(|f| f.1),
            Some(KeySlot::Next)
        );
        ks.promote("mc-a").unwrap();
        assert_eq!(
            ks.find("mc-a", &k1.public_key_der()).unwrap().map(|f| f.1),
            Some(KeySlot::Current)
        );
        let k2 = ks.next_key("mc-a").unwrap();
        assert_ne!(k2.pem(), k1.pem());
        assert!(
            ks.find("mc-a", &PrivateKey::generate_p256().unwrap().public_key_der())
                .unwrap()
                .is_none()
        );
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        KeyDir::open(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    }
}
