//! Sealing of server-held private keys (server keygen, demo only): AES-256-GCM with a key that
//! is never in the database — `CERTCTL_SECRET_KEY` (64 hex characters, shared by replicas) or
//! `<data-dir>/secret.key` (created 0600 on first use). The audit chain's MAC key is derived
//! from it ([`AuditKey`]); the raw key is used for sealing only.

use std::fmt;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand;

use crate::error::{Error, Result};
use crate::model::AuditKey;

/// File name of the secret key in the data dir.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// Seals and opens secrets with one AES-256-GCM key.
pub struct KeyStore {
    key: LessSafeKey,
    audit: AuditKey,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyStore(<redacted>)")
    }
}

impl KeyStore {
    /// From 32 bytes given as 64 hex characters.
    pub fn from_hex(hex_key: &str) -> Result<Self> {
        let bytes = hex::decode(hex_key.trim())
            .map_err(|_| Error::invalid("secret_key", "must be 64 hex characters (32 bytes)"))?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| Error::invalid("secret_key", "must be 64 hex characters (32 bytes)"))?;
        Ok(Self { key: LessSafeKey::new(key), audit: AuditKey::derive(&bytes) })
    }

    /// The key in `dir/secret.key`; an error naming the file when it is missing (never creates
    /// one: `audit verify` must not invent a key).
    pub fn load_existing(dir: &Path) -> Result<Self> {
        let path = dir.join(SECRET_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(&text),
            Err(e) => Err(Error::io(
                format!("reading the secret key {} (or set CERTCTL_SECRET_KEY)", path.display()),
                e,
            )),
        }
    }

    /// The audit chain's MAC key, derived from this key (HMAC-SHA-256(key, "certctl audit chain v1")).
    pub fn audit_key(&self) -> AuditKey {
        self.audit.clone()
    }

    /// The key in `dir/secret.key`, created (0600, random) when missing.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        let path = dir.join(SECRET_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                rand::fill(&mut bytes)
                    .map_err(|_| Error::Storage("the random generator failed".into()))?;
                crate::fsutil::write_new_file(
                    &path,
                    format!("{}\n", hex::encode(bytes)).as_bytes(),
                    0o600,
                )?;
                Self::from_hex(&hex::encode(bytes))
            }
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }

    /// `v1:` + hex(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, plaintext: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce).map_err(|_| Error::Storage("the random generator failed".into()))?;
        let mut data = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| Error::Storage("sealing failed".into()))?;
        Ok(format!("v1:{}{}", hex::encode(nonce), hex::encode(data)))
    }

    /// The plaintext of [`seal`](Self::seal)'s output; fails on a wrong key or tampering.
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>> {
        let raw = sealed
            .strip_prefix("v1:")
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| Error::Storage("sealed secret is malformed".into()))?;
        if raw.len() < NONCE_LEN {
            return Err(Error::Storage("sealed secret is malformed".into()));
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Error::Storage("sealed secret is malformed".into()))?;
        let mut data = rest.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::empty(), &mut data).map_err(|_| {
            Error::Storage(
                "sealed secret does not open with this key (wrong CERTCTL_SECRET_KEY?)".into(),
            )
        })?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_detects_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let ks = KeyStore::load_or_create(dir.path()).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join(SECRET_KEY_FILE)).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        let sealed = ks.seal(b"-----BEGIN PRIVATE KEY-----").unwrap();
        assert!(!sealed.contains("PRIVATE"));
        assert_eq!(
            KeyStore::load_or_create(dir.path()).unwrap().open(&sealed).unwrap(),
            b"-----BEGIN PRIVATE KEY-----"
        );
        let mut bad = sealed.clone();
        bad.replace_range(bad.len() - 2.., "00");
        assert!(ks.open(&bad).is_err());
        assert!(KeyStore::from_hex(&"11".repeat(32)).unwrap().open(&sealed).is_err());
        assert!(KeyStore::from_hex("abc").is_err());
    }
}
