//! The typed HTTP client of the REST API, shared by the CLI, the TUI, the agent and the tests.
//!
//! One [`Client`] (cheap to clone) holds the connection pool, the server URL and the API key; one
//! file per resource adds its `impl Client` block: [`certificates`](Client::list_certificates),
//! issuers, targets, agents, agent groups, jobs, policies, teams, owners, renewal policies,
//! audit, notifications, API keys and the system endpoints. Lists take the resource's filter
//! from [`crate::model`] and a [`PageRequest`](crate::model::PageRequest); [`pages`] and
//! [`list_all`] walk every page. Every call returns a [`ClientError`] on failure, with the
//! server's error code for non-2xx answers.
//!
//! ```no_run
//! # async fn run() -> Result<(), certctl::client::ClientError> {
//! use certctl::client::Client;
//! use certctl::model::{CertificateFilter, CertificateStatus, PageRequest};
//!
//! let client = Client::builder("https://certctl.example.com:8443")
//!     .api_key("ck_...")
//!     .ca_cert_file("/etc/certctl/ca.pem")
//!     .build()?;
//! let filter = CertificateFilter { status: Some(CertificateStatus::Expiring), ..Default::default() };
//! let page = client.list_certificates(&filter, PageRequest::new(1, 100)).await?;
//! println!("{} of {} expiring", page.data.len(), page.total);
//! match client.get_certificate("mc-missing").await {
//!     Err(e) if e.is_not_found() => println!("no such certificate"),
//!     other => println!("{other:?}"),
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

use reqwest::{Method, RequestBuilder, Response, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

mod builder;
mod error;
mod pages;
mod settings;

mod agent_groups;
mod agents;
mod api_keys;
mod audit;
mod certificates;
mod channels;
mod issuers;
mod jobs;
mod notifications;
mod owners;
mod policies;
mod renewal_policies;
mod system;
mod targets;
mod teams;

pub use builder::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
pub use error::{ClientError, Result};
pub use pages::{list_all, pages, pages_after};
pub use settings::{ConfigFile, Context, DEFAULT_SERVER, Settings, SettingsError};

/// A client of one certctl server. Clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    /// `Bearer <key>`, marked sensitive (never shown by reqwest's `Debug`).
    auth: Option<reqwest::header::HeaderValue>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("api_key", &if self.inner.auth.is_some() { Some("<redacted>") } else { None })
            .finish()
    }
}

impl Client {
    /// Starts configuring a client of the server at `base_url` (`https://host:8443`).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The same server and connection pool under another API key: thousands of identities
    /// (the fleet simulator's virtual agents) without one pool and TLS setup each.
    pub fn with_api_key(&self, key: &str) -> Result<Client> {
        let auth = Some(builder::bearer(key)?);
        Ok(Client {
            inner: Arc::new(Inner {
                http: self.inner.http.clone(),
                base: self.inner.base.clone(),
                auth,
            }),
        })
    }

    /// A request with this client's credentials.
    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let req = self.inner.http.request(method, url);
        match &self.inner.auth {
            Some(a) => req.header(reqwest::header::AUTHORIZATION, a.clone()),
            None => req,
        }
    }

    /// `base` + `segments`, each percent-encoded as one path segment.
    fn root_url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            for s in segments {
                // `.` and `..` would be collapsed by URL normalisation; send them encoded.
                match *s {
                    "." => path.push("%2E"),
                    ".." => path.push("%2E%2E"),
                    s => path.push(s),
                };
            }
        }
        url
    }

    /// `base/api/v1/` + `segments`.
    fn url(&self, segments: &[&str]) -> Url {
        let mut all = Vec::with_capacity(segments.len() + 2);
        all.extend_from_slice(&["api", "v1"]);
        all.extend_from_slice(segments);
        self.root_url(&all)
    }

    /// Sends the request; a non-2xx answer becomes [`ClientError::Api`].
    async fn send(&self, req: RequestBuilder) -> Result<Response> {
        let resp = req.send().await.map_err(ClientError::from_transport)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.bytes().await.map_err(ClientError::from_transport)?;
        Err(ClientError::from_status(status.as_u16(), &body))
    }

    /// Reads a success body as JSON of type `T`.
    async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T> {
        let url = resp.url().path().to_owned();
        let body = resp.bytes().await.map_err(ClientError::from_transport)?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode(format!("{url}: {e}")))
    }

    /// `GET` of a list: `query` (one of [`crate::api::query`]'s structs) encoded as the server
    /// decodes it, JSON answer.
    async fn get_list<T: DeserializeOwned, Q: serde::Serialize>(
        &self,
        mut url: Url,
        query: &Q,
    ) -> Result<T> {
        let q = crate::api::query::encode(query).map_err(ClientError::Config)?;
        if !q.is_empty() {
            url.set_query(Some(&q));
        }
        self.get_json(url).await
    }

    /// `GET`, JSON answer.
    async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        let resp = self.send(self.request(Method::GET, url)).await?;
        Self::decode(resp).await
    }

    /// `GET`, text answer (PEM).
    async fn get_text(&self, url: Url) -> Result<String> {
        let resp = self.send(self.request(Method::GET, url)).await?;
        let body = resp.bytes().await.map_err(ClientError::from_transport)?;
        String::from_utf8(body.to_vec()).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// `method` with a JSON body (or none: action endpoints accept an empty body), JSON answer.
    async fn send_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<T> {
        let mut req = self.request(method, url);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = self.send(req).await?;
        Self::decode(resp).await
    }

    /// `POST` of a JSON body, JSON answer.
    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
    ) -> Result<T> {
        self.send_json(Method::POST, url, Some(body)).await
    }

    /// `PUT` of a JSON body, JSON answer.
    async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
    ) -> Result<T> {
        self.send_json(Method::PUT, url, Some(body)).await
    }

    /// `POST` without a body (an action), JSON answer.
    async fn action<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        self.send_json::<(), T>(Method::POST, url, None).await
    }

    /// `DELETE`, empty answer (204).
    async fn delete(&self, url: Url) -> Result<()> {
        self.send(self.request(Method::DELETE, url)).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_each_segment() {
        let c = Client::builder("https://h:8443/").build().unwrap();
        assert_eq!(c.url(&["certificates"]).as_str(), "https://h:8443/api/v1/certificates");
        assert_eq!(
            c.url(&["certificates", "a/b?c#d", "versions"]).as_str(),
            "https://h:8443/api/v1/certificates/a%2Fb%3Fc%23d/versions"
        );
        assert_eq!(c.url(&["teams", ".."]).as_str(), "https://h:8443/api/v1/teams/%252E%252E");
        assert_eq!(c.root_url(&["health"]).as_str(), "https://h:8443/health");

        let behind_proxy = Client::builder("https://h/certctl").build().unwrap();
        assert_eq!(
            behind_proxy.url(&["jobs", "job-1"]).as_str(),
            "https://h/certctl/api/v1/jobs/job-1"
        );
        assert_eq!(behind_proxy.root_url(&["ready"]).as_str(), "https://h/certctl/ready");
    }
}
