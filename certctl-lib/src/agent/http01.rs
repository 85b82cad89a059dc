//! The agent's HTTP-01 side (ACME `http01_mode: agent`): a built-in responder for
//! `/.well-known/acme-challenge/{token}` (`CERTCTL_HTTP01_LISTEN`), or token files written into a
//! webroot that the host's web server already serves. Tokens are served only while their
//! Validation job is handed out, then removed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::error::{Error, Result};
use crate::target::HostPolicy;

/// Path prefix of HTTP-01 requests.
pub const PREFIX: &str = "/.well-known/acme-challenge/";
/// Largest request head read.
const MAX_HEAD: usize = 8192;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Tokens the built-in responder answers: token → key authorization.
#[derive(Debug, Clone, Default)]
pub struct Http01Tokens(Arc<RwLock<HashMap<String, String>>>);

impl Http01Tokens {
    pub fn insert(&self, token: &str, key_authorization: &str) {
        if let Ok(mut m) = self.0.write() {
            m.insert(token.to_owned(), key_authorization.to_owned());
        }
    }

    pub fn remove(&self, token: &str) {
        if let Ok(mut m) = self.0.write() {
            m.remove(token);
        }
    }

    pub fn get(&self, token: &str) -> Option<String> {
        self.0.read().ok().and_then(|m| m.get(token).cloned())
    }

    /// Answers HTTP-01 requests on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { continue };
            let tokens = self.clone();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(512);
                let mut chunk = [0u8; 1024];
                let read = tokio::time::timeout(READ_TIMEOUT, async {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_HEAD {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return false,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    true
                })
                .await;
                if !matches!(read, Ok(true)) {
                    return;
                }
                let answer = match respond(&tokens, &buf) {
                    Some(ka) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ka}",
                        ka.len()
                    ),
                    None => {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_owned()
                    }
                };
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    }
}

/// The key authorization for a request head, when it is `GET|HEAD <PREFIX><known token>`.
fn respond(tokens: &Http01Tokens, head: &[u8]) -> Option<String> {
    let line = head.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    if method != "GET" && method != "HEAD" {
        return None;
    }
    let path = target.split('?').next()?;
    let path = path
        .strip_prefix("http://")
        .map(|rest| rest.find('/').map_or("/", |i| &rest[i..]))
        .unwrap_or(path);
    let token = path.strip_prefix(PREFIX)?;
    if !valid_token(token) {
        return None;
    }
    tokens.get(token)
}

/// ACME tokens are base64url: anything else is refused (no path tricks in file names).
pub fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 256
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Writes the token file `<webroot>/.well-known/acme-challenge/<token>` (world-readable: the
/// web server serves it) when the host's `policy` allows that path (else an error `policy: ...`
/// naming `CERTCTL_AGENT_ALLOWED_PATHS`, and nothing is written); returns its path.
pub fn write_webroot(
    webroot: &Path,
    token: &str,
    key_authorization: &str,
    policy: &HostPolicy,
) -> Result<PathBuf> {
    if !valid_token(token) {
        return Err(Error::invalid("token", "is not base64url"));
    }
    if !webroot.is_absolute() {
        return Err(Error::invalid(
            "webroot",
            format!("{} must be an absolute path", webroot.display()),
        ));
    }
    let dir = webroot.join(".well-known").join("acme-challenge");
    policy.check_path("webroot", &dir.join(token)).map_err(|m| Error::invalid("policy", m))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let path = dir.join(token);
    std::fs::write(&path, key_authorization)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
        .map_err(|e| Error::io(format!("chmod {}", path.display()), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn responder_answers_known_tokens_only() {
        let tokens = Http01Tokens::default();
        tokens.insert("tok_1-A", "tok_1-A.thumb");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(tokens.clone().serve(listener));
        let get = |path: &'static str| async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        let ok = get("/.well-known/acme-challenge/tok_1-A").await;
        assert!(ok.starts_with("HTTP/1.1 200") && ok.ends_with("\r\n\r\ntok_1-A.thumb"), "{ok}");
        assert!(get("/.well-known/acme-challenge/other").await.starts_with("HTTP/1.1 404"));
        assert!(
            get("/.well-known/acme-challenge/../../etc/passwd").await.starts_with("HTTP/1.1 404")
        );
        tokens.remove("tok_1-A");
        assert!(get("/.well-known/acme-challenge/tok_1-A").await.starts_with("HTTP/1.1 404"));
        task.abort();
    }

    #[test]
    fn webroot_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("www");
        let policy = HostPolicy::parse("none", &root.display().to_string()).unwrap();
        let p = write_webroot(&root, "abc", "abc.k", &policy).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "abc.k");
        assert!(p.ends_with(".well-known/acme-challenge/abc"));
        assert!(write_webroot(&root, "../x", "k", &policy).is_err());
        assert!(write_webroot(Path::new("rel"), "abc", "k", &policy).is_err());
        // a webroot outside the allowed paths, or escaping through `..` or a symlink: nothing written
        let outside = dir.path().join("other");
        let e = write_webroot(&outside, "abc", "k", &policy).unwrap_err().to_string();
        assert!(
            e.starts_with("policy: webroot ") && e.contains("CERTCTL_AGENT_ALLOWED_PATHS"),
            "{e}"
        );
        assert!(
            write_webroot(&root.join("../other"), "abc", "k", &policy)
                .unwrap_err()
                .to_string()
                .contains("`..`")
        );
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        assert!(
            write_webroot(&root.join("link"), "abc", "k", &policy)
                .unwrap_err()
                .to_string()
                .contains("resolves to")
        );
        assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
    }
}
