//! [`ClientBuilder`]: server URL, API key, trusted CA and timeouts → a [`Client`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use super::{Client, ClientError, Inner, Result};

/// Whole-request timeout when none is set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connection (TCP + TLS) timeout when none is set.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Configures a [`Client`]; start with [`Client::builder`].
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    api_key: Option<String>,
    ca_pem: Option<Vec<u8>>,
    ca_file: Option<PathBuf>,
    timeout: Duration,
    connect_timeout: Duration,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("ca_pem", &self.ca_pem.as_ref().map(|p| format!("{} bytes", p.len())))
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl ClientBuilder {
    pub(super) fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            ca_pem: None,
            ca_file: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Sends `Authorization: Bearer <key>` with every request.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Trusts only the CA certificate(s) in `pem` (e.g. the Local CA root from
    /// `GET /api/v1/issuers/iss-local/ca`) instead of the system's roots.
    pub fn ca_cert_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self.ca_file = None;
        self
    }

    /// Like [`ca_cert_pem`](Self::ca_cert_pem), reading the PEM file at [`build`](Self::build).
    pub fn ca_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self.ca_pem = None;
        self
    }

    /// Limit for a whole request, body included (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for establishing a connection (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Checks the settings and builds the client; nothing is sent yet.
    pub fn build(self) -> Result<Client> {
        let base = parse_base_url(&self.base_url)?;

        let auth = self.api_key.as_deref().map(bearer).transpose()?;

        let mut http = reqwest::Client::builder()
            .user_agent(concat!("certctl/", env!("CARGO_PKG_VERSION")))
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout);

        let pem = match (&self.ca_pem, &self.ca_file) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(path)) => Some(std::fs::read(path).map_err(|e| {
                ClientError::Config(format!("reading CA certificate {}: {e}", path.display()))
            })?),
            (None, None) => None,
        };
        if let Some(pem) = pem {
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| ClientError::Config(format!("CA certificate: {e}")))?;
            if certs.is_empty() {
                return Err(ClientError::Config(
                    "the CA certificate PEM holds no certificate".into(),
                ));
            }
            http = http.tls_certs_only(certs);
        }

        let http = http.build().map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(Client { inner: Arc::new(Inner { http, base, auth }) })
    }
}

/// The `Authorization` value of an API key, marked sensitive.
pub(super) fn bearer(key: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("Bearer {}", key.trim())).map_err(|_| {
        ClientError::Config("the API key contains characters not allowed in an HTTP header".into())
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// An absolute `http(s)://` URL that can take path segments; a trailing `/` is dropped.
fn parse_base_url(s: &str) -> Result<Url> {
    let url = Url::parse(s.trim()).map_err(|e| ClientError::InvalidUrl(format!("{s:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ClientError::InvalidUrl(format!("{s:?}: the scheme must be http or https")));
    }
    if url.cannot_be_a_base() || url.host_str().is_none() {
        return Err(ClientError::InvalidUrl(format!("{s:?}: not an absolute URL with a host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ClientError::InvalidUrl(format!("{s:?}: must not have a query or fragment")));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_checked() {
        assert!(parse_base_url("https://certctl.example.com:8443").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8443/").is_ok());
        for bad in ["127.0.0.1:8443", "ftp://x", "mailto:a@b", "", "https://x/?a=1"] {
            assert!(matches!(parse_base_url(bad), Err(ClientError::InvalidUrl(_))), "{bad}");
        }
    }

    #[test]
    fn debug_redacts_the_key() {
        let b = Client::builder("https://x").api_key("ck_secret123");
        assert!(!format!("{b:?}").contains("secret123"));
        let c = b.build().unwrap();
        let s = format!("{c:?}");
        assert!(!s.contains("secret123"), "{s}");
        assert!(s.contains("redacted"), "{s}");
    }

    #[test]
    fn bad_settings_are_config_errors() {
        assert!(matches!(
            Client::builder("https://x").api_key("a\nb").build(),
            Err(ClientError::Config(_))
        ));
        assert!(matches!(
            Client::builder("https://x").ca_cert_file("/nonexistent/ca.pem").build(),
            Err(ClientError::Config(_))
        ));
        assert!(matches!(
            Client::builder("https://x").ca_cert_pem("not a pem").build(),
            Err(ClientError::Config(_))
        ));
    }
}
