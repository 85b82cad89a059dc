//! A real server in-process (own runtime, SQLite, 127.0.0.1:0) with seeded certificates and an
//! agent that has sent a heartbeat; and a tmux session (private `-L` socket) to drive the binary.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use certctl::api::{AgentInput, CertificateInput};
use certctl::client::Client;
use certctl::model::AgentMetadata;
use certctl::service::{KeygenMode, Service, ServiceConfig};
use certctl_server::{AppState, app};

pub struct Server {
    pub url: String,
    pub admin: String,
    pub client: Client,
    pub rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Server keygen (so a renewal needs no agent to start), three certificates, one agent.
    pub fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (dir, admin, url) = rt.block_on(async {
            let (dir, store) = certctl::testing::sqlite().await;
            let config = ServiceConfig { keygen_mode: KeygenMode::Server, ..Default::default() };
            let svc = Service::open(store, dir.path(), config).unwrap();
            let admin = svc.bootstrap().await.unwrap().admin_key.unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let router = app(AppState::new(svc));
            tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
            (dir, admin, url)
        });
        let client = Client::builder(&url).api_key(&admin).build().unwrap();
        let s = Server { url, admin, client, rt, _dir: dir };
        s.seed();
        s
    }

    fn seed(&self) {
        self.rt.block_on(async {
            for (id, cn, env) in [
                ("mc-alpha", "alpha.example.com", "production"),
                ("mc-beta", "beta.example.com", "staging"),
                ("mc-gamma", "gamma.example.org", "production"),
            ] {
                let input = CertificateInput {
                    id: Some(id.into()),
                    common_name: cn.into(),
                    environment: Some(env.into()),
                    ..Default::default()
                };
                self.client.create_certificate(&input).await.unwrap();
            }
            let reg = self
                .client
                .register_agent(&AgentInput {
                    id: Some("ag-web1".into()),
                    name: "web1".into(),
                    labels: BTreeMap::new(),
                })
                .await
                .unwrap();
            let agent = Client::builder(&self.url).api_key(&reg.api_key).build().unwrap();
            let meta = AgentMetadata {
                hostname: "web1.prod.internal".into(),
                os: "linux".into(),
                os_version: "12".into(),
                arch: "amd64".into(),
                ip_addresses: vec!["10.1.0.5".into()],
                agent_version: "0.1.0".into(),
                // a terminal escape (OSC 0: set the window title) in a reported fact: the
                // console must show it inert
                labels: BTreeMap::from([
                    ("role".into(), "web".into()),
                    ("note".into(), "\u{1b}]0;pwned\u{7}x".into()),
                ]),
            };
            agent.heartbeat("ag-web1", &meta).await.unwrap();
        });
    }
}

/// tmux is provided by scripts/test; elsewhere the test says it is skipped.
pub fn have_tmux() -> bool {
    let ok = Command::new("tmux").arg("-V").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok && std::env::var("CERTCTL_TEST_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("tmux is required (CERTCTL_TEST_REQUIRE_SERVICES=1)");
    }
    if !ok {
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
    }
    ok
}

/// A tmux server on a private socket with one session; killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `argv` in a detached `w`×`h` session with `env` set.
    pub fn start(name: &str, w: u16, h: u16, env: &[(&str, &str)], argv: &[&str]) -> Self {
        let socket = format!("certctl-tui-{name}-{}", std::process::id());
        let mut c = Command::new("tmux");
        c.args([
            "-L",
            &socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ]);
        for (k, v) in env {
            c.arg("-e").arg(format!("{k}={v}"));
        }
        c.args(argv);
        let out = c.output().unwrap();
        assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
        Tmux { socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").args(["-L", &self.socket]).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// Sends keys (tmux key names: `Enter`, `Escape`, or literal text with `-l`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types literal text.
    pub fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
    }

    /// Polls the screen until `pred` holds (at most 20 s); returns that screen.
    #[track_caller]
    pub fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("waited 20 s for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pane's title (what an OSC 0/2 escape sequence would change).
    pub fn pane_title(&self) -> String {
        self.tmux(&["display-message", "-p", "#{pane_title}"]).trim().to_owned()
    }

    /// The process id of the pane's first process.
    pub fn pane_pid(&self) -> u32 {
        self.tmux(&["list-panes", "-F", "#{pane_pid}"]).trim().parse().unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}
