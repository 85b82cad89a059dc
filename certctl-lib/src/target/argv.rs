//! Commands (argv arrays) and paths of target configs: checked the same way at the API and on the agent.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Characters a shell would interpret. Commands never run through a shell, and an argument that
/// holds one of these is refused so that a config cannot smuggle a command line in.
pub const SHELL_METACHARACTERS: &[char] = &[';', '&', '|', '`', '$', '<', '>', '\n', '\r', '\0'];

/// A command as an argv array: non-empty, strings only, none empty, no shell metacharacters (NUL included).
pub fn argv(field: &str, v: &serde_json::Value) -> Result<Vec<String>> {
    let items = v.as_array().ok_or_else(|| Error::invalid(field, "must be an array of strings (argv), e.g. [\"nginx\", \"-s\", \"reload\"]; commands never run through a shell"))?;
    if items.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let s = a
                .as_str()
                .ok_or_else(|| Error::invalid(format!("{field}[{i}]"), "must be a string"))?;
            if s.is_empty() {
                return Err(Error::invalid(format!("{field}[{i}]"), "must not be empty"));
            }
            if let Some(c) = s.chars().find(|c| SHELL_METACHARACTERS.contains(c)) {
                return Err(Error::invalid(
                    format!("{field}[{i}]"),
                    format!(
                        "{s:?} contains the shell metacharacter {c:?}; commands run without a shell"
                    ),
                ));
            }
            Ok(s.to_owned())
        })
        .collect()
}

/// A path of a target config (`cert_path`, `webroot`, ...): a string holding an absolute path with
/// no NUL byte and no `..` component.
pub fn config_path(field: &str, v: &serde_json::Value) -> Result<PathBuf> {
    let p = v.as_str().ok_or_else(|| Error::invalid(field, "must be a string"))?;
    check_path(field, Path::new(p))?;
    Ok(PathBuf::from(p))
}

/// The checks of [`config_path`] on a path already read.
pub(crate) fn check_path(field: &str, p: &Path) -> Result<()> {
    let shown = p.to_string_lossy();
    if !p.is_absolute() {
        return Err(Error::invalid(field, format!("{shown:?} must be an absolute path")));
    }
    if shown.contains('\0') {
        return Err(Error::invalid(field, format!("{shown:?} must not contain a NUL byte")));
    }
    if p.components().any(|c| c == Component::ParentDir) {
        return Err(Error::invalid(field, format!("{shown:?} must not contain a `..` component")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn argv_and_paths_are_checked() {
        assert_eq!(argv("c", &json!(["nginx", "-t"])).unwrap(), ["nginx", "-t"]);
        assert!(argv("c", &json!([])).unwrap_err().to_string().starts_with("c: must not be empty"));
        assert!(
            argv("c", &json!([""])).unwrap_err().to_string().starts_with("c[0]: must not be empty")
        );
        assert!(argv("c", &json!(["nginx", ""])).unwrap_err().to_string().starts_with("c[1]:"));
        assert!(argv("c", &json!(["a\u{0}b"])).unwrap_err().to_string().starts_with("c[0]:"));
        assert!(argv("c", &json!("nginx -t")).is_err());
        assert_eq!(
            config_path("p", &json!("/etc/ssl/./a.pem")).unwrap(),
            PathBuf::from("/etc/ssl/./a.pem")
        );
        for bad in [
            json!("rel/a.pem"),
            json!("/etc/ssl/../shadow"),
            json!("/a/.."),
            json!("/a\u{0}b"),
            json!(3),
            json!(""),
        ] {
            let e = config_path("config.cert_path", &bad).unwrap_err().to_string();
            assert!(e.starts_with("config.cert_path:"), "{bad}: {e}");
        }
        assert!(
            config_path("p", &json!("/etc/ssl/..x/a.pem")).is_ok(),
            "only a whole `..` component is refused"
        );
    }
}
