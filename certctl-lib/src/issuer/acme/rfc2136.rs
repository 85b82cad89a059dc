//! DNS-01 through RFC 2136 dynamic updates signed with TSIG (RFC 8945), for BIND, Knot,
//! PowerDNS and any primary that accepts them: `add` appends one TXT value to the record (a
//! wildcard and its apex share one name, both values coexist), `remove` deletes exactly that
//! value. Messages go over TCP; the answer's RCODE and TSIG are checked. The wire format and the
//! HMACs come from hickory-proto (aws-lc-rs).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode, update_message};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::rdata::tsig::{TsigAlgorithm, TsigError};
use hickory_proto::rr::{Name, RData, RecordSet, RecordType, TSigner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{Error, Result};
use crate::net::{AddressPolicy, NetError};

/// Default TTL of the TXT records.
pub const DEFAULT_TTL: u32 = 60;
/// Longest a TCP connect or one exchange may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);
/// Allowed clock skew in the TSIG of requests (RFC 8945 recommends 300 s).
const FUDGE: u16 = 300;

/// The rfc2136 part of an `acme` issuer config. The TSIG secret is either given (base64, sealed
/// by the service before it is stored) or already sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Rfc2136Config {
    /// The primary, `host:port` (port 53 when omitted).
    pub server: String,
    pub key_name: String,
    pub algorithm: String,
    pub secret: Option<String>,
    pub secret_sealed: Option<String>,
    /// The zone to update; found through the server's SOA answers when absent.
    pub zone: Option<String>,
    pub ttl: u32,
    /// Where the primary may be ([`crate::net`]); [`parse`](Self::parse) sets the strict default,
    /// the service sets the server's `CERTCTL_ALLOW_PRIVATE_TARGETS` policy.
    pub policy: AddressPolicy,
}

impl std::fmt::Debug for Rfc2136Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rfc2136Config")
            .field("server", &self.server)
            .field("key_name", &self.key_name)
            .field("algorithm", &self.algorithm)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("zone", &self.zone)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// The raw `rfc2136_*` keys of an issuer config.
#[derive(Default)]
pub struct RawRfc2136 {
    pub server: Option<String>,
    pub key_name: Option<String>,
    pub algorithm: Option<String>,
    pub secret: Option<String>,
    pub secret_sealed: Option<String>,
    pub zone: Option<String>,
    pub ttl: Option<i64>,
}

impl std::fmt::Debug for RawRfc2136 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRfc2136")
            .field("server", &self.server)
            .field("key_name", &self.key_name)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl RawRfc2136 {
    /// True when any `rfc2136_*` key is set.
    pub fn any(&self) -> bool {
        self.server.is_some()
            || self.key_name.is_some()
            || self.algorithm.is_some()
            || self.secret.is_some()
            || self.secret_sealed.is_some()
            || self.zone.is_some()
            || self.ttl.is_some()
    }
}

impl Rfc2136Config {
    /// Checks the `rfc2136_*` keys; errors name the field (`config.rfc2136_server`).
    pub fn parse(raw: RawRfc2136) -> Result<Self> {
        let server =
            raw.server.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
                Error::invalid(
                    "config.rfc2136_server",
                    "is required with dns_provider rfc2136 (host:port of the primary)",
                )
            })?;
        split_server(server).map_err(|m| Error::invalid("config.rfc2136_server", m))?;
        let key_name =
            raw.key_name.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
                Error::invalid(
                    "config.rfc2136_tsig_key_name",
                    "is required with dns_provider rfc2136",
                )
            })?;
        dns_name(key_name).map_err(|m| Error::invalid("config.rfc2136_tsig_key_name", m))?;
        let algorithm =
            raw.algorithm.as_deref().map(str::trim).unwrap_or("hmac-sha256").to_ascii_lowercase();
        tsig_algorithm(&algorithm)?;
        match (&raw.secret, &raw.secret_sealed) {
            (Some(s), _) => {
                decode_secret(s).map_err(|m| Error::invalid("config.rfc2136_tsig_secret", m))?;
            }
            (None, Some(s)) if !s.is_empty() => {}
            _ => {
                return Err(Error::invalid(
                    "config.rfc2136_tsig_secret",
                    "is required with dns_provider rfc2136 (base64, as in tsig-keygen's output)",
                ));
            }
        }
        let zone = match raw.zone.as_deref().map(str::trim) {
            None => None,
            Some(z) => {
                dns_name(z).map_err(|m| Error::invalid("config.rfc2136_zone", m))?;
                Some(z.to_owned())
            }
        };
        let ttl = match raw.ttl {
            None => DEFAULT_TTL,
            Some(n) if (0..=86_400).contains(&n) => n as u32,
            Some(n) => {
                return Err(Error::invalid(
                    "config.rfc2136_ttl",
                    format!("{n} must be between 0 and 86400"),
                ));
            }
        };
        Ok(Self {
            server: server.to_owned(),
            key_name: key_name.to_owned(),
            algorithm,
            secret: raw.secret,
            secret_sealed: raw.secret_sealed,
            zone,
            ttl,
            policy: AddressPolicy::strict(),
        })
    }
}

impl Rfc2136Config {
    /// The primary's host and port.
    pub fn host_port(&self) -> Result<(String, u16)> {
        split_server(&self.server).map_err(|m| Error::invalid("config.rfc2136_server", m))
    }
}

/// `host:port`, `host`, `[v6]:port` or a bare IPv6 address → (host, port).
fn split_server(s: &str) -> std::result::Result<(String, u16), String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok((a.ip().to_string(), a.port()));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok((ip.to_string(), 53));
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("{s:?}: the port must be a number between 1 and 65535"))?,
        ),
        None => (s, 53),
    };
    if host.is_empty()
        || host.len() > 253
        || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(format!("{s:?} is not host:port"));
    }
    Ok((host.to_owned(), port))
}

/// A DNS name in presentation form (absolute).
fn dns_name(s: &str) -> std::result::Result<Name, String> {
    if s.is_empty() || s.len() > 254 || s.contains(char::is_whitespace) {
        return Err(format!("{s:?} is not a DNS name"));
    }
    let mut n = Name::from_ascii(s).map_err(|e| format!("{s:?} is not a DNS name: {e}"))?;
    if n.is_root() {
        return Err(format!("{s:?} is not a DNS name"));
    }
    n.set_fqdn(true);
    Ok(n)
}

fn tsig_algorithm(name: &str) -> Result<TsigAlgorithm> {
    match name {
        "hmac-sha256" => Ok(TsigAlgorithm::HmacSha256),
        "hmac-sha384" => Ok(TsigAlgorithm::HmacSha384),
        "hmac-sha512" => Ok(TsigAlgorithm::HmacSha512),
        other => Err(Error::invalid(
            "config.rfc2136_tsig_algorithm",
            format!("{other:?} is not supported; available: hmac-sha256, hmac-sha384, hmac-sha512"),
        )),
    }
}

fn decode_secret(s: &str) -> std::result::Result<Vec<u8>, String> {
    let s = s.trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(s.trim_end_matches('='))
        })
        .map_err(|_| "must be base64 (as in tsig-keygen's output)".to_owned())?;
    if bytes.is_empty() {
        return Err("is empty".into());
    }
    Ok(bytes)
}

/// Sends TSIG-signed updates to one primary.
#[derive(Clone)]
pub struct Rfc2136 {
    host: String,
    port: u16,
    zone: Option<Name>,
    ttl: u32,
    signer: TSigner,
    policy: AddressPolicy,
}

impl std::fmt::Debug for Rfc2136 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rfc2136")
            .field("server", &format_args!("{}:{}", self.host, self.port))
            .field("zone", &self.zone)
            .finish_non_exhaustive()
    }
}

/// What went wrong in one exchange, before it is worded for the job.
enum Fault {
    /// Connecting, sending or reading failed (worth retrying).
    Io(String),
    /// The server answered, but not with success (or with a reply we cannot trust).
    Answer(String),
}

impl Rfc2136 {
    /// An updater for `cfg` with the plain base64 TSIG `secret` (unsealed by the caller).
    pub fn new(cfg: &Rfc2136Config, secret: &str) -> Result<Self> {
        let (host, port) =
            split_server(&cfg.server).map_err(|m| Error::invalid("config.rfc2136_server", m))?;
        let key =
            decode_secret(secret).map_err(|m| Error::invalid("config.rfc2136_tsig_secret", m))?;
        let key_name = dns_name(&cfg.key_name)
            .map_err(|m| Error::invalid("config.rfc2136_tsig_key_name", m))?;
        let signer = TSigner::new(key, tsig_algorithm(&cfg.algorithm)?, key_name, FUDGE)
            .map_err(|e| Error::invalid("config.rfc2136_tsig_algorithm", e.to_string()))?;
        let zone = cfg
            .zone
            .as_deref()
            .map(dns_name)
            .transpose()
            .map_err(|m| Error::invalid("config.rfc2136_zone", m))?;
        Ok(Self { host, port, zone, ttl: cfg.ttl, signer, policy: cfg.policy.clone() })
    }

    /// The primary as `host:port`.
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Appends `value` to the TXT record `name` (FQDN without trailing dot).
    pub async fn add(&self, name: &str, value: &str) -> Result<()> {
        self.update("add", name, value).await
    }

    /// Deletes exactly the TXT value `value` of `name`; other values stay.
    pub async fn remove(&self, name: &str, value: &str) -> Result<()> {
        self.update("remove", name, value).await
    }

    async fn update(&self, action: &str, name: &str, value: &str) -> Result<()> {
        let what = format!("rfc2136 {action} {name} TXT at {}", self.server());
        let record = dns_name(name)
            .map_err(|m| Error::Connector { message: format!("{what}: {m}"), transient: false })?;
        let zone = self.zone_of(&record).await.map_err(|f| fault(&what, None, f))?;
        let mut rrset = RecordSet::new(record.clone(), RecordType::TXT, 0);
        rrset.set_ttl(self.ttl);
        rrset.add_rdata(RData::TXT(TXT::new(vec![value.to_owned()])));
        let mut msg = if action == "add" {
            update_message::append(rrset, zone.clone(), false, false)
        } else {
            update_message::delete_by_rdata(rrset, zone.clone(), false)
        };
        msg.metadata.id = rand::random();
        let now =
            SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let mut verifier = msg
            .finalize(&self.signer, now)
            .map_err(|e| Error::Connector {
                message: format!("{what}: signing the update: {e}"),
                transient: false,
            })?
            .ok_or_else(|| Error::Connector {
                message: format!("{what}: the update was not signed"),
                transient: false,
            })?;
        let bytes = msg.to_vec().map_err(|e| Error::Connector {
            message: format!("{what}: encoding the update: {e}"),
            transient: false,
        })?;
        let answer = self.exchange(&bytes).await.map_err(|f| fault(&what, Some(&zone), f))?;
        let reply = Message::from_vec(&answer).map_err(|e| {
            fault(&what, Some(&zone), Fault::Answer(format!("unreadable answer: {e}")))
        })?;
        if reply.metadata.id != msg.metadata.id
            || reply.metadata.message_type != MessageType::Response
            || reply.metadata.op_code != OpCode::Update
        {
            return Err(fault(
                &what,
                Some(&zone),
                Fault::Answer("the answer does not match the update".into()),
            ));
        }
        let rcode = reply.metadata.response_code;
        let tsig_error = reply.signature().and_then(|s| s.data.error);
        if rcode != ResponseCode::NoError || tsig_error.is_some() {
            let mut m = format!("refused the update: {}", rcode_name(rcode));
            if let Some(e) = tsig_error {
                m.push_str(&format!(" (TSIG error {}: check rfc2136_tsig_key_name, rfc2136_tsig_algorithm and rfc2136_tsig_secret)", tsig_error_name(&e)));
            } else if rcode == ResponseCode::NotAuth {
                m.push_str(" (the server is not authoritative for the zone, or the TSIG key is not allowed to update it)");
            } else if rcode == ResponseCode::Refused {
                m.push_str(" (the TSIG key is not allowed to update this zone or name)");
            } else if rcode == ResponseCode::NotZone {
                m.push_str(" (the name is not in the zone: check rfc2136_zone)");
            }
            let transient = rcode == ResponseCode::ServFail;
            return Err(Error::Connector {
                message: format!("{what} (zone {zone}): {m}"),
                transient,
            });
        }
        if reply.signature().is_none() {
            return Err(fault(
                &what,
                Some(&zone),
                Fault::Answer("the answer is not signed (TSIG): it cannot be trusted".into()),
            ));
        }
        verifier.verify(&answer).map_err(|e| {
            fault(
                &what,
                Some(&zone),
                Fault::Answer(format!("the answer's TSIG does not verify: {e}")),
            )
        })?;
        Ok(())
    }

    /// Whether the primary serves every value in `values` for the TXT record `name`.
    pub async fn serves(&self, name: &str, values: &[&str]) -> Result<bool> {
        let have = self.txt_values(name).await?;
        Ok(values.iter().all(|v| have.iter().any(|h| h == v)))
    }

    /// The TXT values the primary serves for `name` (asked without recursion: it answers for
    /// its own zones).
    pub async fn txt_values(&self, name: &str) -> Result<Vec<String>> {
        let what = format!("rfc2136 lookup of {name} TXT at {}", self.server());
        let record = dns_name(name)
            .map_err(|m| Error::Connector { message: format!("{what}: {m}"), transient: false })?;
        let reply =
            self.query(&record, RecordType::TXT).await.map_err(|f| fault(&what, None, f))?;
        let have = reply
            .answers
            .iter()
            .filter(|r| r.name == record)
            .filter_map(|r| match &r.data {
                RData::TXT(t) => Some(
                    t.txt_data
                        .iter()
                        .map(|d| String::from_utf8_lossy(d).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect();
        Ok(have)
    }

    /// The zone to update for `record`: the configured one (it must contain the name), else the
    /// owner of the SOA the server gives for the name or its nearest parent.
    async fn zone_of(&self, record: &Name) -> std::result::Result<Name, Fault> {
        if let Some(z) = &self.zone {
            if !z.zone_of(record) {
                return Err(Fault::Answer(format!("rfc2136_zone {z} does not contain {record}")));
            }
            return Ok(z.clone());
        }
        let mut candidate = record.clone();
        while !candidate.is_root() {
            let reply = self.query(&candidate, RecordType::SOA).await?;
            match reply.metadata.response_code {
                ResponseCode::NoError | ResponseCode::NXDomain => {}
                rc => {
                    return Err(Fault::Answer(format!(
                        "the SOA query for {candidate} was answered {}: set rfc2136_zone",
                        rcode_name(rc)
                    )));
                }
            }
            let soa = reply
                .answers
                .iter()
                .chain(&reply.authorities)
                .find(|r| r.record_type() == RecordType::SOA && r.name.zone_of(record));
            if let Some(soa) = soa {
                return Ok(soa.name.clone());
            }
            candidate = candidate.base_name();
        }
        Err(Fault::Answer(format!(
            "the server knows no zone containing {record}: set rfc2136_zone"
        )))
    }

    async fn query(&self, name: &Name, rtype: RecordType) -> std::result::Result<Message, Fault> {
        let mut msg = Message::query();
        msg.metadata.id = rand::random();
        msg.metadata.recursion_desired = false;
        msg.add_query(Query::query(name.clone(), rtype));
        let bytes = msg.to_vec().map_err(|e| Fault::Answer(format!("encoding the query: {e}")))?;
        let answer = self.exchange(&bytes).await?;
        let reply = Message::from_vec(&answer)
            .map_err(|e| Fault::Answer(format!("unreadable answer: {e}")))?;
        if reply.metadata.id != msg.metadata.id
            || reply.metadata.message_type != MessageType::Response
        {
            return Err(Fault::Answer("the answer does not match the query".into()));
        }
        Ok(reply)
    }

    /// One DNS message over TCP (2-byte length prefix, RFC 1035 4.2.2).
    async fn exchange(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, Fault> {
        let len = u16::try_from(msg.len())
            .map_err(|_| Fault::Answer("the message is too long".into()))?;
        let run = async {
            // resolved once, every address checked, connected to a checked one
            let addrs = self.policy.resolve(&self.host, self.port).await.map_err(|e| match e {
                NetError::Refused(r) => Fault::Answer(r.to_string()),
                other => Fault::Io(other.to_string()),
            })?;
            let mut s = TcpStream::connect(&addrs[..])
                .await
                .map_err(|e| Fault::Io(format!("cannot connect: {e}")))?;
            let mut out = Vec::with_capacity(msg.len() + 2);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(msg);
            s.write_all(&out).await.map_err(|e| Fault::Io(format!("sending: {e}")))?;
            let n =
                s.read_u16().await.map_err(|e| Fault::Io(format!("reading the answer: {e}")))?;
            let mut buf = vec![0; usize::from(n)];
            s.read_exact(&mut buf)
                .await
                .map_err(|e| Fault::Io(format!("reading the answer: {e}")))?;
            Ok(buf)
        };
        tokio::time::timeout(EXCHANGE_TIMEOUT, run)
            .await
            .map_err(|_| Fault::Io(format!("no answer within {}s", EXCHANGE_TIMEOUT.as_secs())))?
    }
}

fn fault(what: &str, zone: Option<&Name>, f: Fault) -> Error {
    let zone = zone.map(|z| format!(" (zone {z})")).unwrap_or_default();
    match f {
        Fault::Io(m) => Error::Connector { message: format!("{what}{zone}: {m}"), transient: true },
        Fault::Answer(m) => {
            Error::Connector { message: format!("{what}{zone}: {m}"), transient: false }
        }
    }
}

/// An RCODE by its mnemonic (`NOTAUTH`), as in dig's and BIND's logs.
fn rcode_name(rc: ResponseCode) -> String {
    let name = match rc {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        ResponseCode::YXDomain => "YXDOMAIN",
        ResponseCode::YXRRSet => "YXRRSET",
        ResponseCode::NXRRSet => "NXRRSET",
        ResponseCode::NotAuth => "NOTAUTH",
        ResponseCode::NotZone => "NOTZONE",
        other => return format!("{} ({})", other.to_str(), u16::from(other)),
    };
    name.to_owned()
}

fn tsig_error_name(e: &TsigError) -> String {
    match e {
        TsigError::BadSig => "BADSIG".into(),
        TsigError::BadKey => "BADKEY".into(),
        TsigError::BadTime => "BADTIME".into(),
        TsigError::BadTrunc => "BADTRUNC".into(),
        TsigError::Unknown(n) => n.to_string(),
    }
}

#[cfg(test)]
mod tests;
