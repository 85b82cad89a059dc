//! A server under test: the real router over a fresh store, with a key per role.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use certctl::api::ApiKeyInput;
use certctl::model::Role;
use certctl::service::{Actor, Service, ServiceConfig};
use certctl::store::Store;
use certctl_server::{AppState, app};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const BOOTSTRAP_TOKEN: &str = "bootstrap-token-for-tests-0123456789";

/// The router and its keys.
pub struct Server {
    pub router: axum::Router,
    pub svc: Service,
    pub admin: String,
    pub operator: String,
    pub viewer: String,
    /// Database URL (SQLite file or PostgreSQL database) for out-of-process checks.
    pub url: String,
    /// The data dir (Local CA, key store): a restart opens the service on it again.
    pub dir: tempfile::TempDir,
}

/// A response: status, headers, body as JSON (or `Value::String` for non-JSON bodies).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Resp {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn ok(self, want: u16) -> Value {
        assert_eq!(self.status.as_u16(), want, "body: {}", self.body);
        self.body
    }

    /// Asserts an error status and code; returns the message.
    #[track_caller]
    pub fn err(self, want: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), want, "body: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
        self.body["error"]["message"].as_str().unwrap().to_owned()
    }
}

impl Server {
    /// A server whose outbound connections may reach loopback (the test receivers, pebble, BIND
    /// and aiosmtpd all listen there); the SSRF tests use [`Server::strict`].
    pub async fn new(store: Arc<dyn Store>, dir: tempfile::TempDir, url: String) -> Self {
        let config = ServiceConfig {
            bootstrap_token: Some(BOOTSTRAP_TOKEN.into()),
            outbound: loopback_allowed(),
            ..Default::default()
        };
        Self::with(store, dir, url, config, |s| s).await
    }

    /// A server with the default (empty) `CERTCTL_ALLOW_PRIVATE_TARGETS`.
    pub async fn strict(store: Arc<dyn Store>, dir: tempfile::TempDir, url: String) -> Self {
        let config =
            ServiceConfig { bootstrap_token: Some(BOOTSTRAP_TOKEN.into()), ..Default::default() };
        Self::with(store, dir, url, config, |s| s).await
    }

    /// A server with its own service configuration and extra connectors.
    pub async fn with(
        store: Arc<dyn Store>,
        dir: tempfile::TempDir,
        url: String,
        config: ServiceConfig,
        extend: impl FnOnce(Service) -> Service,
    ) -> Self {
        let svc = extend(Service::open(store, dir.path(), config).unwrap());
        let admin = svc.bootstrap().await.unwrap().admin_key.unwrap();
        let sys = Actor::system();
        let operator = svc
            .create_api_key(&sys, &ApiKeyInput { name: "ops".into(), role: Role::Operator })
            .await
            .unwrap()
            .key;
        let viewer = svc
            .create_api_key(&sys, &ApiKeyInput { name: "auditor".into(), role: Role::Viewer })
            .await
            .unwrap()
            .key;
        let router = app(AppState::new(svc.clone()));
        Server { router, svc, admin, operator, viewer, url, dir }
    }

    /// Sends a request with `key` (if any) and a JSON body (if any).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(k) = key {
            req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        let req = match body {
            Some(b) => {
                req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string()))
            }
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Resp { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, Some(&self.admin.clone()), None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(&self.admin.clone()), Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(&self.admin.clone()), Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, Some(&self.admin.clone()), None).await
    }
    /// POST without body or content type (actions).
    pub async fn action(&self, path: &str) -> Resp {
        self.call(Method::POST, path, Some(&self.admin.clone()), None).await
    }
}

/// `CERTCTL_ALLOW_PRIVATE_TARGETS=127.0.0.0/8,::1/128`: where the tests' real services listen.
pub fn loopback_allowed() -> certctl::net::AddressPolicy {
    certctl::net::AddressPolicy::parse(&["127.0.0.0/8", "::1/128"]).unwrap()
}

/// Runs `$body(server)` as two tests, `sqlite` and `postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident => $body:ident;)*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (dir, store) = certctl::testing::sqlite().await;
                let url = format!("sqlite://{}", dir.path().join("certctl.db").display());
                super::$body($crate::support::Server::new(store, dir, url).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some((url, store)) = certctl::testing::postgres().await {
                    let dir = tempfile::tempdir().unwrap();
                    super::$body($crate::support::Server::new(store, dir, url).await).await;
                }
            }
        }
    )*};
}

/// Like [`both_backends!`] with a custom server constructor `$make(store, dir, url)`.
#[macro_export]
macro_rules! both_backends_with {
    ($($name:ident => $body:ident, $make:ident;)*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (dir, store) = certctl::testing::sqlite().await;
                let url = format!("sqlite://{}", dir.path().join("certctl.db").display());
                super::$body(super::$make(store, dir, url).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some((url, store)) = certctl::testing::postgres().await {
                    let dir = tempfile::tempdir().unwrap();
                    super::$body(super::$make(store, dir, url).await).await;
                }
            }
        }
    )*};
}
