//! Shared by the server benches: the real `certctl-server` binary over a prepared data dir.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts `certctl-server` (release build of this crate) on a free loopback port over `data_dir`
/// with `env` added, and waits until it accepts connections. Returns the child and its base URL.
pub async fn spawn_server(data_dir: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certctl-server"));
    cmd.env("CERTCTL_DATA_DIR", data_dir)
        .env("CERTCTL_LISTEN", format!("127.0.0.1:{port}"))
        .env("CERTCTL_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, format!("http://127.0.0.1:{port}"))
}
