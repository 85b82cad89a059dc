//! DNS-01 hooks defined by the server's owner (`CERTCTL_ACME_DNS_HOOKS`, or `[acme.dns_hooks.NAME]`
//! in the server's TOML file): a name and an argv. Issuer configs refer to a hook by name
//! (`dns_hook`); no argv ever comes through the API.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

/// Longest hook name.
pub const MAX_NAME_LEN: usize = 64;

/// The configured hooks by name (sorted, so listings are stable).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsHooks(BTreeMap<String, Vec<String>>);

impl DnsHooks {
    /// Hooks from `name -> argv` pairs, each checked ([`check_name`], [`check_argv`]).
    /// `origin` names the setting in errors (`CERTCTL_ACME_DNS_HOOKS`, `acme.dns_hooks`).
    pub fn new(
        origin: &str,
        hooks: impl IntoIterator<Item = (String, Vec<String>)>,
    ) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (name, argv) in hooks {
            check_name(&format!("{origin}.{name}"), &name)?;
            check_argv(&format!("{origin}.{name}"), &argv)?;
            map.insert(name, argv);
        }
        Ok(Self(map))
    }

    /// Hooks from the JSON of `CERTCTL_ACME_DNS_HOOKS`: `{"NAME": ["/path/to/prog", "arg", ...]}`.
    pub fn from_json(origin: &str, text: &str) -> Result<Self> {
        let map: BTreeMap<String, Vec<String>> = serde_json::from_str(text)
            .map_err(|e| Error::invalid(origin, format!("must be a JSON object of argv arrays, e.g. {{\"cloudflare\": [\"/usr/local/bin/dns-hook\", \"--zone\", \"example.com\"]}}: {e}")))?;
        Self::new(origin, map)
    }

    /// Every hook's program exists and is a file (checked at server start).
    pub fn check_programs(&self, origin: &str) -> Result<()> {
        for (name, argv) in &self.0 {
            let prog = Path::new(&argv[0]);
            if !prog.is_file() {
                return Err(Error::invalid(
                    format!("{origin}.{name}"),
                    format!("the program {} does not exist or is not a file", prog.display()),
                ));
            }
        }
        Ok(())
    }

    /// The argv of hook `name`; an unknown name is an error on `field` that lists the configured names.
    pub fn resolve(&self, field: &str, name: &str) -> Result<&[String]> {
        self.0.get(name).map(Vec::as_slice).ok_or_else(|| {
            Error::invalid(
                field,
                format!(
                    "no DNS hook named {name:?} is configured on this server; {}",
                    self.describe_names()
                ),
            )
        })
    }

    /// The configured names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn describe_names(&self) -> String {
        if self.0.is_empty() {
            "none is configured (the server's owner defines them in CERTCTL_ACME_DNS_HOOKS or [acme.dns_hooks.NAME] in the server's config file)".to_owned()
        } else {
            format!("configured: {}", self.names().join(", "))
        }
    }
}

/// A hook name: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
pub fn check_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > MAX_NAME_LEN
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(
            field,
            format!("{name:?} is not a hook name: 1 to {MAX_NAME_LEN} of a-z, 0-9, - and _"),
        ));
    }
    Ok(())
}

/// A hook argv: an absolute program path first, no empty element, no NUL.
pub fn check_argv(field: &str, argv: &[String]) -> Result<()> {
    let prog = argv.first().ok_or_else(|| {
        Error::invalid(field, "the argv is empty; give the absolute path of the program first")
    })?;
    if !prog.starts_with('/') {
        return Err(Error::invalid(
            field,
            format!(
                "the program {prog:?} must be an absolute path (the hook runs with a minimal PATH)"
            ),
        ));
    }
    if let Some(i) = argv.iter().position(|a| a.is_empty()) {
        return Err(Error::invalid(format!("{field}[{i}]"), "is empty"));
    }
    if let Some(i) = argv.iter().position(|a| a.contains('\0')) {
        return Err(Error::invalid(format!("{field}[{i}]"), "contains a NUL byte"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_argvs() {
        let h = DnsHooks::from_json(
            "CERTCTL_ACME_DNS_HOOKS",
            r#"{"zone-a": ["/bin/true", "--zone", "a"], "b_2": ["/bin/false"]}"#,
        )
        .unwrap();
        assert_eq!(h.names(), ["b_2", "zone-a"]);
        assert_eq!(h.resolve("config.dns_hook", "zone-a").unwrap(), ["/bin/true", "--zone", "a"]);
        let e = h.resolve("config.dns_hook", "zone-c").unwrap_err().to_string();
        assert!(
            e.starts_with("config.dns_hook:")
                && e.contains("\"zone-c\"")
                && e.contains("configured: b_2, zone-a"),
            "{e}"
        );
        h.check_programs("CERTCTL_ACME_DNS_HOOKS").unwrap();
        let e = DnsHooks::default().resolve("config.dns_hook", "x").unwrap_err().to_string();
        assert!(e.contains("CERTCTL_ACME_DNS_HOOKS"), "{e}");

        let err = |json: &str| {
            DnsHooks::from_json("CERTCTL_ACME_DNS_HOOKS", json).unwrap_err().to_string()
        };
        assert!(err(r#"{"Zone": ["/bin/true"]}"#).starts_with("CERTCTL_ACME_DNS_HOOKS.Zone:"));
        assert!(err(r#"{"a b": ["/bin/true"]}"#).contains("not a hook name"));
        assert!(err(r#"{"": ["/bin/true"]}"#).contains("not a hook name"));
        assert!(
            err(&format!(r#"{{"{}": ["/bin/true"]}}"#, "a".repeat(65))).contains("not a hook name")
        );
        assert!(err(r#"{"a": []}"#).contains("argv is empty"));
        assert!(err(r#"{"a": ["true"]}"#).contains("absolute path"));
        assert!(
            err(r#"{"a": ["/bin/true", ""]}"#).starts_with("CERTCTL_ACME_DNS_HOOKS.a[1]: is empty")
        );
        assert!(
            err(r#"{"a": "/bin/true"}"#)
                .starts_with("CERTCTL_ACME_DNS_HOOKS: must be a JSON object")
        );
        assert!(err("not json").starts_with("CERTCTL_ACME_DNS_HOOKS:"));
        let missing =
            DnsHooks::from_json("acme.dns_hooks", r#"{"a": ["/nonexistent/hook"]}"#).unwrap();
        assert!(
            missing
                .check_programs("acme.dns_hooks")
                .unwrap_err()
                .to_string()
                .contains("/nonexistent/hook does not exist")
        );
    }
}
