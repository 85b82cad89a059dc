//! Host metadata for heartbeats, read from the host itself: hostname, OS release, architecture,
//! the addresses of every interface, and operator labels.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::AgentMetadata;

/// Everything a heartbeat reports, read now.
pub fn collect(labels: &BTreeMap<String, String>) -> AgentMetadata {
    AgentMetadata {
        hostname: hostname(),
        os: std::env::consts::OS.to_owned(),
        os_version: os_version(),
        arch: std::env::consts::ARCH.to_owned(),
        ip_addresses: ip_addresses(),
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
        labels: labels.clone(),
    }
}

/// The kernel's host name (`/proc/sys/kernel/hostname`, else `/etc/hostname`).
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// `PRETTY_NAME` of `/etc/os-release` (or `/usr/lib/os-release`); empty when neither exists.
pub fn os_version() -> String {
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .find_map(|t| os_release_name(&t))
        .unwrap_or_default()
}

/// The OS name in an os-release text: `PRETTY_NAME`, else `NAME VERSION_ID`.
pub fn os_release_name(text: &str) -> Option<String> {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            fields.insert(k.trim(), unquote(v.trim()));
        }
    }
    if let Some(p) = fields.get("PRETTY_NAME").filter(|p| !p.is_empty()) {
        return Some(p.clone());
    }
    let name = fields.get("NAME")?;
    Some(match fields.get("VERSION_ID") {
        Some(v) => format!("{name} {v}"),
        None => name.clone(),
    })
}

/// A shell-style value of os-release: quotes removed, `\"`, `\\`, `\$` and `` \` `` unescaped.
fn unquote(v: &str) -> String {
    let inner = match v.as_bytes() {
        [q @ (b'"' | b'\''), .., last] if last == q && v.len() >= 2 => &v[1..v.len() - 1],
        _ => v,
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Every non-loopback address of the host's interfaces (getifaddrs), sorted, without duplicates.
pub fn ip_addresses() -> Vec<String> {
    let mut ips: Vec<std::net::IpAddr> = match if_addrs::get_if_addrs() {
        Ok(ifs) => ifs
            .into_iter()
            .filter(|i| !i.is_loopback() && !i.ip().is_loopback())
            .map(|i| i.ip())
            .collect(),
        Err(e) => {
            tracing::warn!("cannot list the network interfaces: {e}");
            vec![]
        }
    };
    ips.sort();
    ips.dedup();
    ips.into_iter().map(|ip| ip.to_string()).collect()
}

/// `k=v,k2=v2` (`CERTCTL_AGENT_LABELS`) as a map; spaces around items are ignored.
pub fn parse_labels(s: &str) -> Result<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| Error::invalid("labels", format!("{item:?} is not key=value")))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(Error::invalid("labels", format!("{item:?} has an empty key")));
        }
        labels.insert(k.to_owned(), v.trim().to_owned());
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release() {
        let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n";
        assert_eq!(os_release_name(debian).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        let bare = "# comment\nNAME=Alpine\nVERSION_ID=3.20.1\n";
        assert_eq!(os_release_name(bare).as_deref(), Some("Alpine 3.20.1"));
        assert_eq!(
            os_release_name("PRETTY_NAME='It\\'s \\\"x\\\"'\n").as_deref(),
            Some("It's \"x\"")
        );
        assert_eq!(os_release_name("ID=foo\n"), None);
        assert_eq!(os_release_name(""), None);
    }

    #[test]
    fn labels() {
        let l = parse_labels(" env=prod, role = web ,empty=,").unwrap();
        assert_eq!(l.get("env").map(String::as_str), Some("prod"));
        assert_eq!(l.get("role").map(String::as_str), Some("web"));
        assert_eq!(l.get("empty").map(String::as_str), Some(""));
        assert!(parse_labels("").unwrap().is_empty());
        assert!(parse_labels("novalue").is_err());
        assert!(parse_labels("=x").is_err());
    }

    #[test]
    fn this_host() {
        let m = collect(&BTreeMap::new());
        assert!(!m.hostname.is_empty());
        assert_eq!(m.os, "linux");
        assert_eq!(m.arch, std::env::consts::ARCH);
        assert!(
            m.ip_addresses
                .iter()
                .all(|ip| ip.parse::<std::net::IpAddr>().is_ok_and(|a| !a.is_loopback())),
            "{:?}",
            m.ip_addresses
        );
        if std::path::Path::new("/etc/os-release").exists() {
            assert!(!m.os_version.is_empty());
        }
    }
}
