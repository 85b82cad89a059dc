//! The HTTP client instant-acme talks through: reqwest with aws-lc-rs rustls, trusting either
//! the system roots or only the issuer's `ca_cert`, and remembering the CA's last `Retry-After`.
//! Every request (the directory and every URL the CA links to) goes through the SSRF guard
//! ([`crate::net`]): internal addresses only when allowed, resolved once and pinned, no redirects.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::BodyExt;
use instant_acme::{BodyWrapper, BytesResponse, HttpClient};

use crate::error::{Error, Result};
use crate::net::AddressPolicy;

/// How long one request to the CA may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `badNonce` answers seen by this process (instant-acme retries them inline, up to 3 times).
static BAD_NONCES: AtomicU64 = AtomicU64::new(0);

/// How many `badNonce` problems the CA answered in this process (each one retried inline).
pub fn bad_nonces_seen() -> u64 {
    BAD_NONCES.load(Ordering::Relaxed)
}

/// The `Retry-After` of the CA's last error answer, shared with the order driver.
#[derive(Debug, Clone, Default)]
pub struct RetryAfter(Arc<Mutex<Option<SystemTime>>>);

impl RetryAfter {
    /// Takes the remembered time (and forgets it).
    pub fn take(&self) -> Option<SystemTime> {
        self.0.lock().ok().and_then(|mut g| g.take())
    }

    fn set(&self, at: Option<SystemTime>) {
        if let Ok(mut g) = self.0.lock() {
            *g = at;
        }
    }
}

/// reqwest behind instant-acme's [`HttpClient`].
#[derive(Debug, Clone)]
pub struct AcmeHttp {
    client: reqwest::Client,
    retry_after: RetryAfter,
    policy: AddressPolicy,
}

impl AcmeHttp {
    /// A client trusting the system roots, or only `ca_cert` (PEM) when given, that connects
    /// only where `policy` allows.
    pub fn new(ca_cert: Option<&str>, policy: &AddressPolicy) -> Result<Self> {
        let mut b = crate::net::http_client(policy, reqwest::Client::builder())
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("certctl/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_cert {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                Error::invalid("config.ca_cert", format!("not a PEM certificate bundle: {e}"))
            })?;
            if certs.is_empty() {
                return Err(Error::invalid("config.ca_cert", "holds no certificate"));
            }
            b = b.tls_certs_only(certs);
        }
        let client = b.build().map_err(|e| Error::Connector {
            message: format!("building the ACME HTTP client: {e}"),
            transient: false,
        })?;
        Ok(Self { client, retry_after: RetryAfter::default(), policy: policy.clone() })
    }

    /// The shared `Retry-After` cell.
    pub fn retry_after(&self) -> RetryAfter {
        self.retry_after.clone()
    }
}

impl HttpClient for AcmeHttp {
    fn request(
        &self,
        req: http::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<BytesResponse, instant_acme::Error>> + Send>>
    {
        let client = self.client.clone();
        let retry_after = self.retry_after.clone();
        let policy = self.policy.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let url = reqwest::Url::parse(&parts.uri.to_string())
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            policy.check_url(&url).map_err(|r| instant_acme::Error::Other(Box::new(r)))?;
            let body = match body.collect().await {
                Ok(c) => c.to_bytes(),
                Err(never) => match never {},
            };
            let resp = client
                .request(parts.method, url)
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            if !status.is_success() {
                retry_after.set(
                    headers
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after),
                );
            }
            let problem = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("application/problem+json"));
            let mut bytes =
                resp.bytes().await.map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            if !status.is_success() && !problem {
                // only the CA's problem documents reach an error message, never another body
                bytes = Bytes::from(serde_json::json!({"type": "about:blank", "detail": format!("the server answered {status} without an ACME problem document"), "status": status.as_u16()}).to_string());
            }
            if status == http::StatusCode::BAD_REQUEST && bytes.windows(8).any(|w| w == b"badNonce")
            {
                BAD_NONCES.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("the ACME CA rejected a nonce; retrying with a fresh one");
            }
            let mut out = http::Response::new(());
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            let (parts, ()) = out.into_parts();
            Ok(BytesResponse { parts, body: Box::new(bytes) })
        })
    }
}

/// `Retry-After`: delay-seconds, or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<SystemTime> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return SystemTime::now().checked_add(Duration::from_secs(secs.min(7 * 86_400)));
    }
    let format = time::format_description::well_known::Rfc2822;
    time::OffsetDateTime::parse(v.replace("GMT", "+0000").as_str(), &format)
        .ok()
        .map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let t = parse_retry_after("120").unwrap();
        let d = t.duration_since(SystemTime::now()).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120));
        let t = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(), 1_445_412_480);
        assert!(parse_retry_after("soon").is_none());
    }

    /// A server that answers an error without a problem document: instant-acme sees a fixed
    /// problem, never the body; a loopback CA is refused unless allowed, as a permanent failure.
    #[tokio::test]
    async fn bodies_and_addresses() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let body = "INTERNAL-ONLY-BODY";
                let _ = s.write_all(format!("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes()).await;
            }
        });
        let get = |http: AcmeHttp| async move {
            let req = http::Request::get(format!("http://localhost:{port}/dir"))
                .body(BodyWrapper::from(Vec::new()))
                .unwrap();
            http.request(req).await
        };
        let allowed = crate::net::AddressPolicy::parse(&["127.0.0.0/8", "::1"]).unwrap();
        let mut resp = get(AcmeHttp::new(None, &allowed).unwrap()).await.unwrap();
        assert_eq!(resp.parts.status, http::StatusCode::FORBIDDEN);
        let body = resp.body.into_bytes().await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("INTERNAL-ONLY-BODY")
                && text.contains("without an ACME problem document"),
            "{text}"
        );
        let e = get(AcmeHttp::new(None, &crate::net::AddressPolicy::strict()).unwrap())
            .await
            .err()
            .unwrap();
        let f = super::super::classify(&e, None);
        assert!(
            !f.transient
                && f.message.contains("loopback")
                && f.message.contains(crate::net::SETTING),
            "{f:?}"
        );
    }
}
