//! The real server on a port-0 listener over a fresh SQLite store, recording every request body
//! it receives; and a runner for the agent binary.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use certctl::service::{Service, ServiceConfig};
use certctl_server::{app, AppState};
use serde_json::Value;

pub const TOKEN: &str = "bootstrap-token-for-agent-tests-0123456789";

/// Request line and body of everything the server received.
pub type Log = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

pub struct Server {
    pub url: String,
    pub svc: Service,
    pub admin: certctl::client::Client,
    pub received: Log,
    pub db: PathBuf,
    pub _dir: tempfile::TempDir,
}

async fn record(State(log): State<Log>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20).await.unwrap_or_default();
    log.lock().unwrap().push((format!("{} {}", parts.method, parts.uri), bytes.to_vec()));
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

impl Server {
    pub async fn start() -> Self {
        let (dir, store) = certctl::testing::sqlite().await;
        // the ACME tests' pebble listens on loopback: allow it (CERTCTL_ALLOW_PRIVATE_TARGETS)
        let outbound = certctl::net::AddressPolicy::parse(&["127.0.0.0/8", "::1/128"]).unwrap();
        let config = ServiceConfig { bootstrap_token: Some(TOKEN.into()), outbound, ..Default::default() };
        let svc = Service::open(store, dir.path(), config).unwrap();
        let admin_key = svc.bootstrap().await.unwrap().admin_key.unwrap();
        let received = Log::default();
        let router = app(AppState::new(svc.clone())).layer(axum::middleware::from_fn_with_state(received.clone(), record));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let admin = certctl::client::Client::builder(&url).api_key(admin_key).build().unwrap();
        Server { url, svc, admin, received, db: dir.path().join("certctl.db"), _dir: dir }
    }
}

/// The agent's directories and settings for one test.
pub struct Agent {
    pub state: PathBuf,
    pub keys: PathBuf,
    pub server: String,
}

impl Agent {
    pub fn new(root: &Path, server: &str) -> Self {
        Agent { state: root.join("state"), keys: root.join("state").join("keys"), server: server.into() }
    }

    /// Runs `certctl-agent --once`; returns (success, stderr).
    pub async fn once(&self) -> (bool, String) {
        self.once_as("web-1", "env=test,role=web").await
    }

    /// `--once` with extra environment variables.
    pub async fn once_with(&self, env: &[(&str, &str)]) -> (bool, String) {
        self.run_once("web-1", "env=test,role=web", env).await
    }

    /// Runs `certctl-agent --once` with this name and these labels (`k=v,...`).
    pub async fn once_as(&self, name: &str, labels: &str) -> (bool, String) {
        self.run_once(name, labels, &[]).await
    }

    async fn run_once(&self, name: &str, labels: &str, env: &[(&str, &str)]) -> (bool, String) {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_certctl-agent"))
            .arg("--once")
            .env_clear()
            .envs(env.iter().copied())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CERTCTL_SERVER_URL", &self.server)
            .env("CERTCTL_AGENT_BOOTSTRAP_TOKEN", TOKEN)
            .env("CERTCTL_AGENT_NAME", name)
            .env("CERTCTL_AGENT_LABELS", labels)
            .env("CERTCTL_STATE_DIR", &self.state)
            .env("CERTCTL_KEY_DIR", &self.keys)
            .env("CERTCTL_LOG", "info")
            .kill_on_drop(true)
            .output()
            .await
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    pub fn id(&self) -> String {
        let v: Value = serde_json::from_slice(&std::fs::read(self.state.join("agent.json")).unwrap()).unwrap();
        v["agent_id"].as_str().unwrap().to_owned()
    }
}

/// Whether an outside component is there; when not, skips (one line) unless
/// `CERTCTL_TEST_REQUIRE_SERVICES` is set (scripts/test), where it fails.
pub fn require(program: &str) -> bool {
    let found = std::process::Command::new(program).arg("-v").output().is_ok();
    if !found {
        assert!(std::env::var_os("CERTCTL_TEST_REQUIRE_SERVICES").is_none(), "{program} is missing but CERTCTL_TEST_REQUIRE_SERVICES is set");
        eprintln!("skipped: the agent end-to-end tests ({program} is not installed; scripts/test installs it)");
    }
    found
}
