//! `email`: one mail per event and channel over SMTP (lettre, rustls on aws-lc-rs), to the
//! channel's `to` list plus the certificate owner. TLS modes: `none` (plain), `starttls`
//! (upgrade required), `tls` (implicit TLS, "SMTPS"); a wrong mode gets an actionable hint.

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;

use super::{Message, Notifier, NotifyContext, parse_config};
use crate::config::Secret;
use crate::error::{Error, Result};

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text (a relay on localhost).
    None,
    /// Plain connect, then `STARTTLS` (required): usually port 587.
    Starttls,
    /// TLS from the first byte ("SMTPS"): usually port 465.
    Tls,
}

/// Config of an `email` channel.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    #[serde(default)]
    pub username: Option<String>,
    /// Write-only.
    #[serde(default)]
    pub password: Option<Secret>,
    pub from: String,
    #[serde(default)]
    pub to: Vec<String>,
    /// Extra CA certificate(s), PEM, trusted for this server (a private relay); the system's
    /// roots are trusted too.
    #[serde(default)]
    pub tls_ca_pem: Option<String>,
}

impl EmailConfig {
    /// Parses and checks a channel config.
    pub fn parse(config: &serde_json::Value) -> Result<Self> {
        let c: EmailConfig = parse_config(config)?;
        if c.host.trim().is_empty() || c.host.contains(|ch: char| ch.is_whitespace() || ch == '/') {
            return Err(Error::invalid("config.host", "must be a host name or address"));
        }
        if c.port == 0 {
            return Err(Error::invalid("config.port", "must be 1-65535"));
        }
        c.from.parse::<Mailbox>().map_err(|e| {
            Error::invalid("config.from", format!("{:?} is not an email address: {e}", c.from))
        })?;
        for (i, t) in c.to.iter().enumerate() {
            t.parse::<Mailbox>().map_err(|e| {
                Error::invalid(
                    format!("config.to[{i}]"),
                    format!("{t:?} is not an email address: {e}"),
                )
            })?;
        }
        if c.password.is_some() && c.username.is_none() {
            return Err(Error::invalid("config.username", "is required when a password is given"));
        }
        if let Some(pem) = &c.tls_ca_pem {
            Certificate::from_pem(pem.as_bytes()).map_err(|e| {
                Error::invalid("config.tls_ca_pem", format!("not a PEM certificate: {e}"))
            })?;
        }
        Ok(c)
    }
}

pub(super) struct EmailNotifier {
    config: EmailConfig,
    ctx: NotifyContext,
    tls: Option<TlsParameters>,
}

impl std::fmt::Debug for EmailNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailNotifier")
            .field("config", &self.config)
            .field("policy", &self.ctx.policy)
            .finish_non_exhaustive()
    }
}

impl EmailNotifier {
    pub(super) fn new(config: EmailConfig, ctx: NotifyContext) -> Result<Self> {
        let bad = |e: lettre::transport::smtp::Error| Error::Connector {
            message: format!("SMTP TLS setup: {e}"),
            transient: false,
        };
        // the certificate is checked against the configured host name, whatever address it
        // resolved to
        let tls = match config.tls {
            TlsMode::None => None,
            TlsMode::Starttls | TlsMode::Tls => {
                let mut b = TlsParameters::builder(config.host.clone());
                if let Some(pem) = &config.tls_ca_pem {
                    b = b.add_root_certificate(Certificate::from_pem(pem.as_bytes()).map_err(bad)?);
                }
                Some(b.build_rustls().map_err(bad)?)
            }
        };
        Ok(Self { config, ctx, tls })
    }

    /// A transport to one checked address of the host (pinned: lettre connects to the address,
    /// TLS verifies the configured host name).
    fn transport(&self, addr: std::net::IpAddr) -> AsyncSmtpTransport<Tokio1Executor> {
        let mode = match (&self.config.tls, &self.tls) {
            (TlsMode::Starttls, Some(p)) => Tls::Required(p.clone()),
            (TlsMode::Tls, Some(p)) => Tls::Wrapper(p.clone()),
            _ => Tls::None,
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.to_string())
            .port(self.config.port)
            .tls(mode)
            .timeout(Some(self.ctx.timeout));
        if let (Some(u), Some(p)) = (&self.config.username, &self.config.password) {
            b = b.credentials(Credentials::new(u.clone(), p.expose().to_owned()));
        }
        b.build()
    }

    /// The recipients: the channel's list plus the owner, without duplicates.
    fn recipients(&self, msg: &Message) -> Vec<String> {
        let mut to: Vec<String> = Vec::new();
        for r in self.config.to.iter().chain(msg.recipient.iter()) {
            if !to.iter().any(|t| t.eq_ignore_ascii_case(r)) {
                to.push(r.clone());
            }
        }
        to
    }
}

#[async_trait::async_trait]
impl Notifier for EmailNotifier {
    async fn send(&self, msg: &Message) -> Result<()> {
        let perm = |message: String| Error::Connector { message, transient: false };
        let from: Mailbox =
            self.config.from.parse().map_err(|e| perm(format!("from address: {e}")))?;
        let recipients = self.recipients(msg);
        if recipients.is_empty() {
            return Err(perm("no recipient: the channel lists none in `to` and the certificate has no owner email".into()));
        }
        let mut b = lettre::Message::builder()
            .from(from)
            .subject(msg.subject())
            .header(ContentType::TEXT_PLAIN);
        for r in &recipients {
            match r.parse::<Mailbox>() {
                Ok(m) => b = b.to(m),
                Err(e) => {
                    tracing::warn!(recipient = %r, "skipping a recipient that is not an email address: {e}")
                }
            }
        }
        let mail = b.body(msg.text_body()).map_err(|e| perm(format!("building the mail: {e}")))?;
        let what = format!("SMTP {}:{}", self.config.host, self.config.port);
        let addrs = self
            .ctx
            .policy
            .resolve(&self.config.host, self.config.port)
            .await
            .map_err(|e| e.to_connector(&what))?;
        let mut last = None;
        for a in &addrs {
            match self.transport(a.ip()).send(mail.clone()).await {
                Ok(_) => return Ok(()),
                // nothing was said yet when the TCP connect fails: the next address may answer
                Err(e) if e.to_string().starts_with("Connection error") => last = Some(e),
                Err(e) => return Err(smtp_error(&self.config, &e)),
            }
        }
        Err(match last {
            Some(e) => smtp_error(&self.config, &e),
            None => Error::Connector { message: format!("{what}: no address"), transient: true },
        })
    }
}

/// An SMTP failure as a connector error, with a hint when the TLS mode looks wrong.
fn smtp_error(c: &EmailConfig, e: &lettre::transport::smtp::Error) -> Error {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let hint = match c.tls {
        TlsMode::None if lower.contains("starttls") || lower.contains("530") => Some(
            "the server requires encryption: set tls to \"starttls\" (usually port 587) or \"tls\" (usually port 465)",
        ),
        TlsMode::Starttls if lower.contains("starttls is not supported") => Some(
            "the server does not offer STARTTLS on this port: use tls \"tls\" for implicit TLS (port 465), or \"none\" for a plain local relay",
        ),
        TlsMode::Tls
            if e.is_tls()
                || lower.contains("corrupt")
                || lower.contains("invalid content type")
                || lower.contains("handshake")
                || lower.contains("eof") =>
        {
            Some(
                "the TLS handshake failed: if this port speaks plain SMTP first (usually 587 or 25), set tls to \"starttls\"",
            )
        }
        TlsMode::Starttls if e.is_tls() => Some(
            "the TLS handshake after STARTTLS failed: check the server's certificate (tls_ca_pem for a private CA) and host name",
        ),
        _ => None,
    };
    let transient = !(e.is_permanent() || hint.is_some() || e.is_tls());
    // the server's own words are not repeated (a channel must not read what a service says):
    // its reply code, or what failed on our side
    let shown = match e.status() {
        Some(code) if e.is_permanent() => format!("the server answered {code} (permanent)"),
        Some(code) => format!("the server answered {code} (transient)"),
        None if e.is_response() => "the server's answer is not SMTP".to_owned(),
        None => text,
    };
    let mut message = format!("SMTP {}:{} ({:?}): {shown}", c.host, c.port, c.tls);
    if let Some(h) = hint {
        message.push_str("; hint: ");
        message.push_str(h);
    }
    Error::Connector { message, transient }
}
