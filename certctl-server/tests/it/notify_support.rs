//! Real receivers for the notification tests: an HTTP listener on a loopback port (webhook,
//! Slack, Teams) that records every request and answers as scripted, and the SMTP receiver
//! (aiosmtpd, started by scripts/test) read through its maildir.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use certctl::model::*;

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Hit {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    }
}

/// An HTTP receiver on 127.0.0.1:0: answers `fail_status` to the first `fail_first` requests
/// (all of them when `fail_first` is `usize::MAX`), then 200; optionally sleeps before answering.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    fail_left: Arc<AtomicUsize>,
    served: Arc<AtomicUsize>,
}

impl Receiver {
    pub async fn start(fail_first: usize, fail_status: u16, delay: Duration) -> Self {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let fail_left = Arc::new(AtomicUsize::new(fail_first));
        let served = Arc::new(AtomicUsize::new(0));
        let (h, f, s) = (hits.clone(), fail_left.clone(), served.clone());
        let app = axum::Router::new().route(
            "/{*path}",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (h, f, s) = (h.clone(), f.clone(), s.clone());
                async move {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    s.fetch_add(1, Ordering::SeqCst);
                    let failing = f.load(Ordering::SeqCst) > 0;
                    if failing {
                        if f.load(Ordering::SeqCst) != usize::MAX {
                            f.fetch_sub(1, Ordering::SeqCst);
                        }
                        return (StatusCode::from_u16(fail_status).unwrap(), "scripted failure");
                    }
                    h.lock().unwrap().push(Hit { headers, body });
                    (StatusCode::OK, "ok")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, hits, fail_left, served }
    }

    pub async fn ok() -> Self {
        Self::start(0, 200, Duration::ZERO).await
    }

    /// Requests answered 200 (the delivered ones).
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Every request received, failed ones included.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }

    /// From now on, answer 200.
    pub fn heal(&self) {
        self.fail_left.store(0, Ordering::SeqCst);
    }
}

/// A certificate imported with `expires_at` in `days`, on renewal policy `policy`, owned by `owner`.
/// A test server whose notifications use `notify` (links to https://certctl.example.test).
pub async fn server_with_notify(
    store: Arc<dyn certctl::store::Store>,
    dir: tempfile::TempDir,
    url: String,
    notify: certctl::service::NotifySettings,
) -> crate::support::Server {
    let notify = certctl::service::NotifySettings {
        public_url: Some("https://certctl.example.test".into()),
        ..notify
    };
    let config = certctl::service::ServiceConfig {
        bootstrap_token: Some(crate::support::BOOTSTRAP_TOKEN.into()),
        notify,
        outbound: crate::support::loopback_allowed(),
        ..Default::default()
    };
    crate::support::Server::with(store, dir, url, config, |s| s).await
}

pub async fn import_cert(
    s: &crate::support::Server,
    id: &str,
    cn: &str,
    days: i64,
    policy: &str,
    owner: Option<&str>,
) -> Certificate {
    let now = Timestamp::now();
    let mut c = certctl::testing::sample_certificates(1, now).remove(0);
    c.id = id.into();
    c.name = format!("{cn} service");
    c.common_name = cn.into();
    c.sans = vec![cn.into()];
    c.status = CertificateStatus::Active;
    // a second short of `days` whole days: checked at any moment after this, `days - 1` whole
    // days are left (checked within this millisecond, exactly `days` would be)
    c.expires_at = Some(now.plus(time::Duration::days(days) - time::Duration::seconds(1)));
    c.renewal_policy_id = policy.into();
    c.owner_id = owner.map(OwnerId::from_trusted);
    c.tags = Default::default();
    let audit =
        AuditDraft::new("test", ActorType::System, "certificate_imported", "certificate", id);
    s.svc.store_for_tests().import_certificates(std::slice::from_ref(&c), &audit).await.unwrap();
    c
}

/// The SMTP receivers scripts/test started: (plain, STARTTLS-required, implicit TLS, CA PEM,
/// maildir). `None` (test skipped) when absent, a panic when CERTCTL_TEST_REQUIRE_SERVICES is set.
pub struct Smtp {
    pub plain: (String, u16),
    pub starttls: (String, u16),
    pub smtps: (String, u16),
    pub ca_pem: String,
    pub maildir: std::path::PathBuf,
}

fn host_port(v: &str) -> (String, u16) {
    let (h, p) = v.rsplit_once(':').unwrap();
    (h.to_owned(), p.parse().unwrap())
}

impl Smtp {
    pub fn from_env() -> Option<Smtp> {
        let get = |k: &str| std::env::var(k).ok();
        match (
            get("CERTCTL_TEST_SMTP"),
            get("CERTCTL_TEST_SMTP_STARTTLS"),
            get("CERTCTL_TEST_SMTPS"),
            get("CERTCTL_TEST_SMTP_CA"),
            get("CERTCTL_TEST_SMTP_MAILDIR"),
        ) {
            (Some(p), Some(st), Some(s), Some(ca), Some(md)) => Some(Smtp {
                plain: host_port(&p),
                starttls: host_port(&st),
                smtps: host_port(&s),
                ca_pem: std::fs::read_to_string(ca).unwrap(),
                maildir: md.into(),
            }),
            _ => {
                assert!(
                    std::env::var_os("CERTCTL_TEST_REQUIRE_SERVICES").is_none(),
                    "the SMTP receiver (CERTCTL_TEST_SMTP...) is not set but CERTCTL_TEST_REQUIRE_SERVICES is"
                );
                eprintln!(
                    "skipped: SMTP tests (CERTCTL_TEST_SMTP is not set; scripts/test starts aiosmtpd and sets it)"
                );
                None
            }
        }
    }

    /// Mails whose envelope recipients include `rcpt`, waiting up to 10 s for `n` of them.
    pub async fn mails_to(&self, rcpt: &str, n: usize) -> Vec<Mail> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut found = Vec::new();
            for dir in ["new", "cur"] {
                let Ok(rd) = std::fs::read_dir(self.maildir.join(dir)) else {
                    continue;
                };
                for e in rd.flatten() {
                    let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                    let m = Mail::parse(&text);
                    if m.header("X-RcptTo")
                        .to_ascii_lowercase()
                        .contains(&rcpt.to_ascii_lowercase())
                    {
                        found.push(m);
                    }
                }
            }
            if found.len() >= n || std::time::Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A received mail: unfolded headers and body.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Mail {
    fn parse(text: &str) -> Mail {
        let text = text.replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        Mail { headers, body: body.to_owned() }
    }

    /// The body, quoted-printable decoded when so encoded.
    pub fn text(&self) -> String {
        if !self.header("Content-Transfer-Encoding").eq_ignore_ascii_case("quoted-printable") {
            return self.body.clone();
        }
        let joined = self.body.replace("=\n", "");
        let b = joined.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'='
                && i + 2 < b.len()
                && let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(v);
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A short random token for addresses and names unique to one test run.
pub fn token() -> String {
    ChannelId::generate().as_str()[13..].to_owned()
}
