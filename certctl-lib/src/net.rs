//! The SSRF guard for every outbound connection whose destination a user configures through the
//! API (webhook, Slack/Teams and SMTP channels, the ACME directory and everything the CA links
//! to, the rfc2136 primary): an [`AddressPolicy`] refuses loopback, link-local (cloud metadata),
//! private, shared (CGNAT), multicast, documentation and other non-global addresses unless the
//! server setting `CERTCTL_ALLOW_PRIVATE_TARGETS` lists a range that contains them. A host name
//! is resolved once, every address is checked, and the connection goes to a checked address
//! (pinned), so DNS rebinding cannot move it after the check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

use crate::error::{Error, Result};

/// The server setting (flag `--allow-private-targets`, TOML `allow_private_targets`) that lets
/// the server connect to internal ranges.
pub const SETTING: &str = "CERTCTL_ALLOW_PRIVATE_TARGETS";

/// Longest a name resolution may take when a connection is made.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a name resolution may take when a config is checked at create/update time (a name
/// that does not resolve then is accepted; it is checked again on every connection).
const VET_TIMEOUT: Duration = Duration::from_secs(3);

/// Which addresses outbound connections may reach: every global address, plus the ranges of
/// `CERTCTL_ALLOW_PRIVATE_TARGETS`. The default allows no internal range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    allow: Arc<[IpNet]>,
}

/// A destination the policy refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Refused {
    /// The host as configured (a name or an address).
    pub host: String,
    /// The refused address (the host itself, or one it resolves to).
    pub addr: IpAddr,
    /// Which kind of internal address it is (`loopback`, `link-local`, `private`, ...).
    pub class: &'static str,
}

impl Refused {
    fn describe(&self) -> String {
        let what = if self.host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() {
            format!("{} is", self.host)
        } else {
            format!("{} resolves to {}, which is", self.host, self.addr)
        };
        format!(
            "{what} {} {} address: certctl does not connect to internal addresses unless the server setting {SETTING} lists a range that contains it",
            article(self.class),
            self.class
        )
    }
}

fn article(class: &str) -> &'static str {
    if class.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// Why an outbound destination cannot be used.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The address (or one the name resolves to) is internal and not allowed.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The name does not resolve (now).
    #[error("cannot resolve {host}: {message}")]
    Resolve {
        /// The name.
        host: String,
        /// What the resolver said.
        message: String,
    },
}

impl NetError {
    /// As the crate's error at connection time: a refusal is permanent, a failed lookup transient.
    pub fn to_connector(&self, what: &str) -> Error {
        Error::Connector {
            message: format!("{what}: {self}"),
            transient: matches!(self, NetError::Resolve { .. }),
        }
    }
}

/// The kind of non-global address `ip` is, or `None` for a global (public) address.
/// IPv4-mapped IPv6 addresses are judged by their IPv4 address; NAT64 (`64:ff9b::/96`) and 6to4
/// (`2002::/16`) addresses by the IPv4 address they embed.
pub fn classify(ip: IpAddr) -> Option<&'static str> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        (0, _, _) => "reserved (\"this network\")",
        (127, _, _) => "loopback",
        (10, _, _) | (192, 168, _) => "private",
        (172, 16..=31, _) => "private",
        (169, 254, _) => "link-local (cloud metadata)",
        (100, 64..=127, _) => "shared (CGNAT)",
        (192, 0, 0) => "reserved (IETF protocol assignments)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 88, 99) => "reserved (6to4 relay)",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        _ if ip.is_broadcast() => "broadcast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // NAT64 well-known prefix and 6to4 carry an IPv4 address: judge that one
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    if s[0] == 0x2002 {
        return classify_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    Some(match s[0] {
        0xfe80..=0xfebf => "link-local",
        0xfec0..=0xfeff => "private (site-local)",
        0xfc00..=0xfdff => "private (unique local)",
        0xff00..=0xffff => "multicast",
        0x0064 if s[1] == 0xff9b => "private (local-use NAT64)",
        0x0100 if s[1..4] == [0, 0, 0] => "reserved (discard-only)",
        0x2001 if s[1] == 0x0db8 => "documentation",
        0x2001 if s[1] < 0x0200 => "reserved (IETF protocol assignments, Teredo)",
        0x3fff if s[1] < 0x1000 => "documentation",
        0x2000..=0x3fff => return None,
        _ => "reserved",
    })
}

impl AddressPolicy {
    /// Allows no internal range (the default).
    pub fn strict() -> Self {
        Self::default()
    }

    /// Allows the given ranges besides every global address.
    pub fn allowing(ranges: impl IntoIterator<Item = IpNet>) -> Self {
        Self { allow: ranges.into_iter().map(|n| n.trunc()).collect() }
    }

    /// Parses `CERTCTL_ALLOW_PRIVATE_TARGETS`: CIDRs (`10.0.0.0/8`, `fd00::/8`) or single
    /// addresses, given as separate items or comma-separated.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> std::result::Result<Self, String> {
        let mut ranges = Vec::new();
        for item in items
            .iter()
            .flat_map(|s| s.as_ref().split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let net = match item.parse::<IpNet>() {
                Ok(n) => n,
                Err(_) => item.parse::<IpAddr>().map(IpNet::from).map_err(|_| format!("{item:?} is not a CIDR range (such as 10.0.0.0/8 or fd00::/8) nor an address"))?,
            };
            ranges.push(net);
        }
        Ok(Self::allowing(ranges))
    }

    /// The allowed internal ranges.
    pub fn allowed_ranges(&self) -> &[IpNet] {
        &self.allow
    }

    /// Checks one address (`host` is what the user configured, for the message).
    pub fn check(&self, host: &str, ip: IpAddr) -> std::result::Result<(), Refused> {
        let ip = ip.to_canonical();
        match classify(ip) {
            None => Ok(()),
            Some(_) if self.allow.iter().any(|n| n.contains(&ip)) => Ok(()),
            Some(class) => Err(Refused { host: host.to_owned(), addr: ip, class }),
        }
    }

    /// Resolves `host` once (an address is taken as it is) and checks every address it resolves
    /// to: one refused address refuses the host. Returns the checked addresses, to connect to.
    pub async fn resolve(
        &self,
        host: &str,
        port: u16,
    ) -> std::result::Result<Vec<SocketAddr>, NetError> {
        self.resolve_within(host, port, RESOLVE_TIMEOUT).await
    }

    async fn resolve_within(
        &self,
        host: &str,
        port: u16,
        within: Duration,
    ) -> std::result::Result<Vec<SocketAddr>, NetError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            self.check(host, ip)?;
            return Ok(vec![SocketAddr::new(ip.to_canonical(), port)]);
        }
        let failed = |message: String| NetError::Resolve { host: host.to_owned(), message };
        let found = tokio::time::timeout(within, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| failed(format!("no answer within {}s", within.as_secs())))?
            .map_err(|e| failed(e.to_string()))?;
        let mut addrs: Vec<SocketAddr> = Vec::new();
        for a in found {
            self.check(host, a.ip())?;
            let a = SocketAddr::new(a.ip().to_canonical(), a.port());
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
        if addrs.is_empty() {
            return Err(failed("no address".into()));
        }
        Ok(addrs)
    }

    /// Checks a destination in a config being created or updated: a refused address (the host
    /// itself or what it resolves to now) is an [`Error::Invalid`] naming `field`. A name that
    /// does not resolve now is accepted (every connection checks it again).
    pub async fn vet(&self, field: &str, host: &str, port: u16) -> Result<()> {
        match self.resolve_within(host, port, VET_TIMEOUT).await {
            Ok(_) | Err(NetError::Resolve { .. }) => Ok(()),
            Err(NetError::Refused(r)) => Err(Error::invalid(field, r)),
        }
    }

    /// Like [`vet`](Self::vet) for an `http(s)://` URL (its host and port).
    pub async fn vet_url(&self, field: &str, url: &str) -> Result<()> {
        let Ok(u) = reqwest::Url::parse(url) else { return Ok(()) };
        match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) => self.vet(field, h, p).await,
            _ => Ok(()),
        }
    }

    /// Checks a URL whose host is an address (names are checked by the resolver of
    /// [`http_client`] when it connects).
    pub fn check_url(&self, url: &reqwest::Url) -> std::result::Result<(), Refused> {
        let host = url.host_str().unwrap_or_default();
        match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) => self.check(host, ip),
            Err(_) => Ok(()),
        }
    }
}

/// Sets up a reqwest client for user-configured destinations: names resolve through the policy
/// (the connection goes to a checked address), redirects are not followed, and no proxy from the
/// environment is used (a proxy would connect on our behalf, unchecked). Callers still check URLs
/// whose host is an address with [`AddressPolicy::check_url`] (reqwest connects to those without
/// resolving).
pub fn http_client(policy: &AddressPolicy, b: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    b.dns_resolver(GuardResolver(policy.clone()))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
}

/// The policy's refusal behind an error (a reqwest error from [`http_client`]'s resolver, or
/// anything wrapping a [`NetError`] or [`Refused`]).
pub fn refusal(e: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<Refused>() {
            return Some(r.clone());
        }
        if let Some(NetError::Refused(r)) = err.downcast_ref::<NetError>() {
            return Some(r.clone());
        }
        cur = err.source();
    }
    None
}

/// reqwest's resolver through an [`AddressPolicy`].
#[derive(Debug, Clone)]
struct GuardResolver(AddressPolicy);

impl reqwest::dns::Resolve for GuardResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = policy
                .resolve(&host, 0)
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests;
