//! The real server on a port-0 listener over a fresh SQLite store, recording every request body
//! it receives; and a runner for the agent binary.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use certctl::service::{Service, ServiceConfig};
use certctl_server::{AppState, app};
use serde_json::Value;

/// The server's quick-start token (`CERTCTL_AGENT_BOOTSTRAP_TOKEN`): agents it registers are
/// Pending until approved.
pub const TOKEN: &str = "bootstrap-token-for-agent-tests-0123456789";
/// A bootstrap token created in the API with `auto_approve` (as a fleet rollout would use): the
/// agents it registers are admitted at once. What the agents of these tests use.
pub const FLEET_TOKEN: &str = "certctl_fleet-token-for-agent-tests";

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
        let config =
            ServiceConfig { bootstrap_token: Some(TOKEN.into()), outbound, ..Default::default() };
        let svc = Service::open(store, dir.path(), config).unwrap();
        let admin_key = svc.bootstrap().await.unwrap().admin_key.unwrap();
        let now = certctl::model::Timestamp::now();
        let fleet = certctl::model::BootstrapToken {
            id: "bt-fleet".into(),
            name: "agent tests".into(),
            token_hash: certctl::service::auth::hash_secret(FLEET_TOKEN),
            labels: Default::default(),
            auto_approve: true,
            max_uses: None,
            uses: 0,
            expires_at: now.plus(time::Duration::hours(1)),
            created_by: "test".into(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        let audit = certctl::model::AuditDraft::new(
            "test",
            certctl::model::ActorType::System,
            "bootstrap_token_created",
            "bootstrap_token",
            "bt-fleet",
        );
        svc.store_for_tests().create_bootstrap_token(&fleet, &audit).await.unwrap();
        let received = Log::default();
        let router = app(AppState::new(svc.clone()))
            .layer(axum::middleware::from_fn_with_state(received.clone(), record));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap()
        });
        let admin = certctl::client::Client::builder(&url).api_key(admin_key).build().unwrap();
        Server { url, svc, admin, received, db: dir.path().join("certctl.db"), _dir: dir }
    }
}

/// The agent's directories and settings for one test.
pub struct Agent {
    pub state: PathBuf,
    pub keys: PathBuf,
    pub server: String,
    /// `CERTCTL_AGENT_ALLOWED_COMMANDS` / `_PATHS` when set (else the agent's defaults).
    pub allowed: Option<(String, String)>,
    /// The bootstrap token it registers with ([`FLEET_TOKEN`] unless changed).
    pub token: &'static str,
    /// A directory put first on the agent's `PATH` (programs the host provides under their
    /// usual names).
    pub path_first: Option<PathBuf>,
}

impl Agent {
    pub fn new(root: &Path, server: &str) -> Self {
        Agent {
            state: root.join("state"),
            keys: root.join("state").join("keys"),
            server: server.into(),
            allowed: None,
            token: FLEET_TOKEN,
            path_first: None,
        }
    }

    /// The same agent with these host settings as they are written (`nginx;systemd-reload:x`).
    pub fn settings(mut self, commands: &str, paths: &[impl AsRef<Path>]) -> Self {
        let paths: Vec<String> = paths.iter().map(|p| p.as_ref().display().to_string()).collect();
        self.allowed = Some((commands.to_owned(), paths.join(":")));
        self
    }

    /// The same agent with `dir` first on its `PATH`.
    pub fn path_first(mut self, dir: &Path) -> Self {
        self.path_first = Some(dir.to_owned());
        self
    }

    /// The same agent with a host policy: exactly these commands (JSON argv arrays) and paths.
    pub fn allow(mut self, commands: &[Vec<String>], paths: &[impl AsRef<Path>]) -> Self {
        let commands: Vec<String> =
            commands.iter().map(|c| serde_json::to_string(c).unwrap()).collect();
        let commands = if commands.is_empty() { "none".to_owned() } else { commands.join(";") };
        let paths: Vec<String> = paths.iter().map(|p| p.as_ref().display().to_string()).collect();
        self.allowed = Some((commands, paths.join(":")));
        self
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
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_certctl-agent"));
        cmd.env_clear();
        if let Some((commands, paths)) = &self.allowed {
            cmd.env("CERTCTL_AGENT_ALLOWED_COMMANDS", commands)
                .env("CERTCTL_AGENT_ALLOWED_PATHS", paths);
        }
        let out = cmd
            .arg("--once")
            .envs(env.iter().copied())
            .env(
                "PATH",
                match &self.path_first {
                    Some(d) => {
                        format!("{}:{}", d.display(), std::env::var("PATH").unwrap_or_default())
                    }
                    None => std::env::var("PATH").unwrap_or_default(),
                },
            )
            .env("CERTCTL_SERVER_URL", &self.server)
            .env("CERTCTL_AGENT_BOOTSTRAP_TOKEN", self.token)
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
        let v: Value =
            serde_json::from_slice(&std::fs::read(self.state.join("agent.json")).unwrap()).unwrap();
        v["agent_id"].as_str().unwrap().to_owned()
    }
}

/// Whether an outside component is there; when not, skips (one line) unless
/// `CERTCTL_TEST_REQUIRE_SERVICES` is set (scripts/test), where it fails.
pub fn require(program: &str) -> bool {
    let found = std::process::Command::new(program).arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CERTCTL_TEST_REQUIRE_SERVICES").is_none(),
            "{program} is missing but CERTCTL_TEST_REQUIRE_SERVICES is set"
        );
        eprintln!(
            "skipped: the agent end-to-end tests ({program} is not installed; scripts/test installs it)"
        );
    }
    found
}
