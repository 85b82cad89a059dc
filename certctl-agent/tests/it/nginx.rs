//! A private NGINX: its own prefix, config and loopback port, stopped on drop.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub struct Nginx {
    pub prefix: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

impl Nginx {
    /// Starts nginx serving a throwaway self-signed certificate for `server_name`.
    pub fn start(server_name: &str) -> Self {
        Self::start_with(server_name, None)
    }

    /// Also serves `<prefix>/webroot/.well-known/acme-challenge/` over plain HTTP on
    /// 127.0.0.1:`http01_port` (ACME HTTP-01 through a webroot).
    pub fn start_with_webroot(server_name: &str, http01_port: u16) -> Self {
        Self::start_with(server_name, Some(http01_port))
    }

    fn start_with(server_name: &str, http01_port: Option<u16>) -> Self {
        let prefix = tempfile::tempdir().unwrap();
        let p = prefix.path();
        for d in ["conf", "logs", "tmp", "certs", "webroot"] {
            std::fs::create_dir_all(p.join(d)).unwrap();
        }
        let cert = p.join("certs/web.pem");
        let key = p.join("certs/web.key");
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=bootstrap",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let d = p.display();
        let http01 = http01_port.map_or(String::new(), |hp| {
            format!("  server {{\n    listen 127.0.0.1:{hp};\n    location /.well-known/acme-challenge/ {{ root {d}/webroot; default_type text/plain; }}\n  }}\n")
        });
        let conf = format!(
            "daemon off;\nworker_processes 1;\npid {d}/logs/nginx.pid;\nerror_log {d}/logs/error.log;\nevents {{ worker_connections 64; }}\n\
             http {{\n  access_log {d}/logs/access.log;\n  client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n\
             fastcgi_temp_path {d}/tmp/fastcgi;\n  uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
             server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name {server_name};\n    ssl_certificate {d}/certs/web.pem;\n\
                 ssl_certificate_key {d}/certs/web.key;\n    return 200 \"ok\\n\";\n  }}\n{http01}}}\n"
        );
        std::fs::write(p.join("conf/nginx.conf"), conf).unwrap();
        let child = Command::new("nginx").args(Self::base_args(p)).spawn().unwrap();
        let n = Nginx { prefix, port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                std::fs::read_to_string(n.prefix.path().join("logs/error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        n
    }

    fn base_args(p: &std::path::Path) -> Vec<String> {
        let d = p.display();
        vec![
            "-p".into(),
            format!("{d}/"),
            "-c".into(),
            "conf/nginx.conf".into(),
            "-e".into(),
            format!("{d}/logs/error.log"),
        ]
    }

    /// The nginx command with `extra` appended, as an argv array.
    pub fn command(&self, extra: &[&str]) -> Vec<String> {
        let mut v = vec!["nginx".to_owned()];
        v.extend(Self::base_args(self.prefix.path()));
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    }

    pub fn cert_path(&self) -> PathBuf {
        self.prefix.path().join("certs/web.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.prefix.path().join("certs/web.key")
    }

    /// The HTTP-01 webroot of [`start_with_webroot`](Self::start_with_webroot).
    pub fn webroot(&self) -> PathBuf {
        self.prefix.path().join("webroot")
    }

    /// SHA-256 fingerprint (lowercase hex) of the leaf served for `server_name`, by openssl.
    pub fn served_fingerprint(&self, server_name: &str) -> String {
        self.served_fingerprint_once(server_name)
    }

    /// Polls openssl until it sees `want` (a reload is asynchronous), at most 5 s; returns the
    /// last fingerprint seen.
    pub fn wait_for(&self, server_name: &str, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let fp = self.served_fingerprint_once(server_name);
            if fp == want || Instant::now() > deadline {
                return fp;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn served_fingerprint_once(&self, server_name: &str) -> String {
        let s = Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &format!("127.0.0.1:{}", self.port),
                "-servername",
                server_name,
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let mut x = Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(x.stdin.as_mut().unwrap(), &s.stdout).unwrap();
        let out = x.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        text.trim().rsplit('=').next().unwrap().replace(':', "").to_lowercase()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("nginx").args(self.command(&["-s", "quit"])[1..].to_vec()).output();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
