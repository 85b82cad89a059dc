//! A real server in-process (own runtime, 127.0.0.1:0) and helpers to run the binary against it.

use std::future::Future;

use assert_cmd::Command;
use certctl::api::ApiKeyInput;
use certctl::client::Client;
use certctl::model::Role;
use certctl::service::{Actor, Service, ServiceConfig};
use certctl_server::{AppState, app};
use serde_json::Value;

/// The server, its keys and a typed client (admin).
pub struct Server {
    pub url: String,
    pub admin: String,
    pub viewer: String,
    pub svc: Service,
    pub client: Client,
    pub rt: tokio::runtime::Runtime,
    pub config_home: tempfile::TempDir,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A server whose channels may reach loopback, where the tests' receivers listen
    /// (`CERTCTL_ALLOW_PRIVATE_TARGETS=127.0.0.0/8,::1/128`).
    pub fn start() -> Self {
        let outbound = certctl::net::AddressPolicy::parse(&["127.0.0.0/8", "::1/128"]).unwrap();
        Self::with(ServiceConfig { outbound, ..Default::default() })
    }

    pub fn with(config: ServiceConfig) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (dir, svc, admin, viewer, url) = rt.block_on(async move {
            let (dir, store) = certctl::testing::sqlite().await;
            let svc = Service::open(store, dir.path(), config).unwrap();
            let admin = svc.bootstrap().await.unwrap().admin_key.unwrap();
            let viewer = svc
                .create_api_key(
                    &Actor::system(),
                    &ApiKeyInput { name: "auditor".into(), role: Role::Viewer },
                )
                .await
                .unwrap()
                .key;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let router = app(AppState::new(svc.clone()));
            tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
            (dir, svc, admin, viewer, url)
        });
        let client = Client::builder(&url).api_key(&admin).build().unwrap();
        Server {
            url,
            admin,
            viewer,
            svc,
            client,
            rt,
            config_home: tempfile::tempdir().unwrap(),
            _dir: dir,
        }
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// `certctl` with this server, the admin key, no colour, 120 columns, an empty config home.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("certctl").unwrap();
        for (k, _) in std::env::vars() {
            if k.starts_with("CERTCTL_") {
                c.env_remove(k);
            }
        }
        c.env("CERTCTL_SERVER_URL", &self.url)
            .env("CERTCTL_API_KEY", &self.admin)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "120")
            .env("XDG_CONFIG_HOME", self.config_home.path())
            .timeout(std::time::Duration::from_secs(60));
        c
    }

    /// Runs `certctl -o json ARGS`, asserts exit 0, parses stdout.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().args(["-o", "json"]).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "certctl {args:?}: {:?}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("certctl {args:?}: {e}\n{}", String::from_utf8_lossy(&out.stdout))
        })
    }

    /// Runs `certctl ARGS` (table output), asserts exit 0, returns stdout.
    #[track_caller]
    pub fn table(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "certctl {args:?}: {:?}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `certctl ARGS`, returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }
}

/// A value as the API's JSON.
pub fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}
