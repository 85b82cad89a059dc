//! File ownership of a target's files (`owner` and `group` in the target config): checked the
//! same way at the API and on the agent, resolved to ids on the agent's host (through NSS, so
//! LDAP and sssd accounts work too), applied to each temp file before any byte is written.

use crate::error::{Error, Result};

/// An account as written in a config: a name (`www-data`) or a numeric id (`33`).
pub fn account(field: &str, v: &serde_json::Value) -> Result<Option<String>> {
    let s = match v {
        serde_json::Value::Null => return Ok(None),
        serde_json::Value::Number(n) => {
            return n
                .as_u64()
                .filter(|n| *n < u64::from(u32::MAX))
                .map(|n| Some(n.to_string()))
                .ok_or_else(|| Error::invalid(field, "must be a user/group name or a numeric id"));
        }
        serde_json::Value::String(s) => s,
        _ => return Err(Error::invalid(field, "must be a user/group name or a numeric id")),
    };
    let valid = !s.is_empty()
        && s.len() <= 32
        && !s.starts_with('-')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        return Err(Error::invalid(
            field,
            format!(
                "{s:?} is not a user/group name or numeric id (letters, digits, '_', '-', '.'; at most 32)"
            ),
        ));
    }
    Ok(Some(s.clone()))
}

/// Owner and group ids applied to the files of a deployment; `None` keeps the agent's own.
#[cfg(feature = "agent")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ownership {
    /// The owning user id.
    pub uid: Option<u32>,
    /// The owning group id.
    pub gid: Option<u32>,
}

#[cfg(feature = "agent")]
impl Ownership {
    /// Reads `owner` and `group` of a target config and resolves them on this host.
    pub fn from_config(c: &serde_json::Value) -> Result<Self> {
        let get =
            |k: &str| account(&format!("config.{k}"), c.get(k).unwrap_or(&serde_json::Value::Null));
        let uid = match get("owner")? {
            None => None,
            Some(s) => Some(match s.parse::<u32>() {
                Ok(id) => id,
                Err(_) => nix::unistd::User::from_name(&s)
                    .map_err(|e| {
                        Error::invalid("config.owner", format!("cannot look up user {s:?}: {e}"))
                    })?
                    .ok_or_else(|| {
                        Error::invalid(
                            "config.owner",
                            format!("there is no user {s:?} on this host"),
                        )
                    })?
                    .uid
                    .as_raw(),
            }),
        };
        let gid = match get("group")? {
            None => None,
            Some(s) => Some(match s.parse::<u32>() {
                Ok(id) => id,
                Err(_) => nix::unistd::Group::from_name(&s)
                    .map_err(|e| {
                        Error::invalid("config.group", format!("cannot look up group {s:?}: {e}"))
                    })?
                    .ok_or_else(|| {
                        Error::invalid(
                            "config.group",
                            format!("there is no group {s:?} on this host"),
                        )
                    })?
                    .gid
                    .as_raw(),
            }),
        };
        Ok(Self { uid, gid })
    }

    /// Whether a file with this metadata already has the wanted owner and group.
    pub fn matches(&self, m: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        self.uid.is_none_or(|u| u == m.uid()) && self.gid.is_none_or(|g| g == m.gid())
    }

    /// Sets owner and group of an open file (a no-op when neither is configured).
    pub fn apply(&self, f: &std::fs::File) -> std::io::Result<()> {
        if self.uid.is_none() && self.gid.is_none() {
            return Ok(());
        }
        std::os::unix::fs::fchown(f, self.uid, self.gid)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn accounts_are_names_or_ids() {
        assert_eq!(account("o", &json!("www-data")).unwrap().as_deref(), Some("www-data"));
        assert_eq!(account("o", &json!(33)).unwrap().as_deref(), Some("33"));
        assert_eq!(account("o", &json!(null)).unwrap(), None);
        for bad in [
            json!(""),
            json!("-rf"),
            json!("a b"),
            json!("root;id"),
            json!(-1),
            json!([]),
            json!("x".repeat(33)),
        ] {
            let e = account("config.owner", &bad).unwrap_err().to_string();
            assert!(e.contains("config.owner"), "{e}");
        }
    }
}
