//! Commands of target configs as argv arrays: checked the same way at the API and on the agent.

use crate::error::{Error, Result};

/// Characters a shell would interpret. Commands never run through a shell, and an argument that
/// holds one of these is refused so that a config cannot smuggle a command line in.
pub const SHELL_METACHARACTERS: &[char] = &[';', '&', '|', '`', '$', '<', '>', '\n', '\r', '\0'];

/// A command as an argv array: non-empty, strings only, no shell metacharacters.
pub fn argv(field: &str, v: &serde_json::Value) -> Result<Vec<String>> {
    let items = v.as_array().ok_or_else(|| Error::invalid(field, "must be an array of strings (argv), e.g. [\"nginx\", \"-s\", \"reload\"]; commands never run through a shell"))?;
    if items.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let s = a.as_str().ok_or_else(|| Error::invalid(format!("{field}[{i}]"), "must be a string"))?;
            if let Some(c) = s.chars().find(|c| SHELL_METACHARACTERS.contains(c)) {
                return Err(Error::invalid(format!("{field}[{i}]"), format!("{s:?} contains the shell metacharacter {c:?}; commands run without a shell")));
            }
            Ok(s.to_owned())
        })
        .collect()
}
