//! Input validation shared by every use case: names, ids, references. Errors name the field.

use std::net::IpAddr;

use crate::error::{Error, Result};

/// Checks a certificate name: a DNS name (wildcard only as the whole left-most label) or an IP
/// address. Returns the normalised form (lowercase, no trailing dot).
pub fn certificate_name(field: &str, name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if n.parse::<IpAddr>().is_ok() {
        return Ok(n.to_owned());
    }
    let n = n.strip_suffix('.').unwrap_or(n).to_ascii_lowercase();
    if n.len() > 253 {
        return Err(Error::invalid(field, format!("{name:?} is longer than 253 characters")));
    }
    let labels: Vec<&str> = n.split('.').collect();
    for (i, label) in labels.iter().enumerate() {
        if *label == "*" {
            if i != 0 {
                return Err(Error::invalid(
                    field,
                    format!("{name:?}: a wildcard may only be the whole left-most label"),
                ));
            }
            if labels.len() < 3 {
                return Err(Error::invalid(
                    field,
                    format!("{name:?}: a wildcard needs at least two labels after it"),
                ));
            }
            continue;
        }
        if label.is_empty() {
            return Err(Error::invalid(field, format!("{name:?} has an empty label")));
        }
        if label.len() > 63 {
            return Err(Error::invalid(
                field,
                format!("{name:?} has a label longer than 63 characters"),
            ));
        }
        if label.contains('*') {
            return Err(Error::invalid(
                field,
                format!("{name:?}: a wildcard may only be the whole left-most label"),
            ));
        }
        if let Some(c) =
            label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(Error::invalid(
                field,
                format!("{name:?} contains {c:?}, which is not allowed in a DNS name"),
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Error::invalid(
                field,
                format!("{name:?} has a label that starts or ends with '-'"),
            ));
        }
    }
    if labels.len() > 1 && labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(Error::invalid(
            field,
            format!("{name:?} is neither an IP address nor a DNS name"),
        ));
    }
    Ok(n)
}

/// A required, non-blank text field (trimmed).
pub fn required(field: &str, value: Option<&str>) -> Result<String> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(Error::invalid(field, "is required")),
    }
}

/// A text field that, when present, must not be blank and not exceed `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(Error::invalid(field, format!("must be at most {max} characters")));
    }
    Ok(v.to_owned())
}

/// A user-chosen id (checked against the resource's prefix) or a generated one.
pub fn new_id<T>(
    given: Option<&str>,
    parse: impl Fn(&str) -> Result<T>,
    generate: impl Fn() -> T,
) -> Result<T> {
    match given {
        Some(id) => parse(id),
        None => Ok(generate()),
    }
}

/// Tag and label keys and values: non-empty keys, bounded sizes.
pub fn tags(field: &str, tags: &std::collections::BTreeMap<String, String>) -> Result<()> {
    if tags.len() > 64 {
        return Err(Error::invalid(field, "at most 64 entries"));
    }
    for (k, v) in tags {
        if k.trim().is_empty() || k.len() > 128 {
            return Err(Error::invalid(format!("{field}.{k}"), "keys must be 1 to 128 characters"));
        }
        if v.len() > 512 {
            return Err(Error::invalid(
                format!("{field}.{k}"),
                "values must be at most 512 characters",
            ));
        }
    }
    Ok(())
}

/// An email address, loosely: `local@domain` with a dot-free-or-not domain and no spaces.
pub fn email(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    match v.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !v.contains(char::is_whitespace)
                && !domain.contains('@') =>
        {
            Ok(v.to_owned())
        }
        _ => Err(Error::invalid(field, format!("{value:?} is not an email address"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "api.example.com",
            "API.Example.COM.",
            "*.example.com",
            "10.0.0.1",
            "fd00::1",
            "localhost",
            "_acme.example.com",
            "xn--bcher-kva.example",
        ] {
            assert!(certificate_name("common_name", ok).is_ok(), "{ok}");
        }
        assert_eq!(certificate_name("cn", "API.Example.COM.").unwrap(), "api.example.com");
        for bad in [
            "",
            " ",
            "a..b",
            "*.com",
            "a.*.example.com",
            "f*o.example.com",
            "-a.example.com",
            "a b.example.com",
            "exa$mple.com",
            "999.1.1.1",
            &"a".repeat(64),
        ] {
            let e = certificate_name("sans[1]", bad).unwrap_err();
            assert!(e.to_string().starts_with("sans[1]: "), "{bad}: {e}");
        }
    }

    #[test]
    fn emails_and_text() {
        assert!(email("email", "a@b.example").is_ok());
        assert!(email("email", "nope").is_err());
        assert!(email("email", "a b@c").is_err());
        assert!(required("name", Some("  ")).is_err());
        assert_eq!(required("name", Some(" x ")).unwrap(), "x");
    }
}
