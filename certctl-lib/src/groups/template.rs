//! Fleet certificate templates: the placeholders `{hostname}`, `{agent_id}` and `{agent_name}`
//! in a template's names and target, expanded for one member agent. Pure functions.

use crate::error::{Error, Result};
use crate::model::Agent;

/// The placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &["{hostname}", "{agent_id}", "{agent_name}"];

/// What the placeholders stand for on one agent.
#[derive(Clone, Copy, Debug)]
pub struct Values<'a> {
    pub hostname: &'a str,
    pub agent_id: &'a str,
    pub agent_name: &'a str,
}

impl<'a> Values<'a> {
    /// The values of `agent` (its reported hostname, its id, its name).
    pub fn of(agent: &'a Agent) -> Self {
        Values { hostname: &agent.hostname, agent_id: agent.id.as_str(), agent_name: &agent.name }
    }

    /// Plausible values, to check that a template expands to valid names before any agent exists.
    pub fn sample() -> Self {
        Values { hostname: "host-1.example.com", agent_id: "ag-sample-1", agent_name: "sample-1" }
    }
}

/// Checks that every `{...}` in `text` is a known placeholder; `field` names the input.
pub fn check(field: &str, text: &str) -> Result<()> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        let close = after
            .find('}')
            .ok_or_else(|| Error::invalid(field, format!("{text:?} has a '{{' without '}}'")))?;
        let token = &after[..=close];
        if !PLACEHOLDERS.contains(&token) {
            return Err(Error::invalid(
                field,
                format!("{token} is not a placeholder; available: {}", PLACEHOLDERS.join(", ")),
            ));
        }
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(Error::invalid(field, format!("{text:?} has a '}}' without '{{'")));
    }
    Ok(())
}

/// `text` with every placeholder replaced by its value.
pub fn expand(text: &str, v: &Values<'_>) -> String {
    text.replace("{hostname}", v.hostname)
        .replace("{agent_id}", v.agent_id)
        .replace("{agent_name}", v.agent_name)
}

/// Every string inside `value` (objects and arrays, recursively) expanded.
pub fn expand_json(value: &serde_json::Value, v: &Values<'_>) -> serde_json::Value {
    match value {
        serde_json::Value::String(s) => serde_json::Value::String(expand(s, v)),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.iter().map(|x| expand_json(x, v)).collect())
        }
        serde_json::Value::Object(o) => serde_json::Value::Object(
            o.iter().map(|(k, x)| (k.clone(), expand_json(x, v))).collect(),
        ),
        other => other.clone(),
    }
}

/// Checks the placeholders of every string inside `value`; `field` names the input.
pub fn check_json(field: &str, value: &serde_json::Value) -> Result<()> {
    match value {
        serde_json::Value::String(s) => check(field, s),
        serde_json::Value::Array(a) => {
            a.iter().enumerate().try_for_each(|(i, x)| check_json(&format!("{field}[{i}]"), x))
        }
        serde_json::Value::Object(o) => {
            o.iter().try_for_each(|(k, x)| check_json(&format!("{field}.{k}"), x))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_every_placeholder() {
        let v = Values { hostname: "web-1.example.com", agent_id: "ag-7", agent_name: "web-1" };
        assert_eq!(expand("{agent_name}.svc.example.com", &v), "web-1.svc.example.com");
        assert_eq!(expand("{hostname}/{agent_id}/{agent_id}", &v), "web-1.example.com/ag-7/ag-7");
        let c = serde_json::json!({"cert_path": "/etc/ssl/{agent_id}.pem", "reload_command": ["systemctl", "reload", "{agent_name}"], "n": 3});
        assert_eq!(
            expand_json(&c, &v),
            serde_json::json!({"cert_path": "/etc/ssl/ag-7.pem", "reload_command": ["systemctl", "reload", "web-1"], "n": 3})
        );
    }

    #[test]
    fn unknown_or_unbalanced_placeholders_are_refused_naming_the_field() {
        assert!(check("common_name", "{hostname}.example.com").is_ok());
        assert!(check("common_name", "plain.example.com").is_ok());
        let e = check("common_name", "{host}.example.com").unwrap_err().to_string();
        assert!(
            e.contains("common_name") && e.contains("{host}") && e.contains("{agent_name}"),
            "{e}"
        );
        assert!(
            check("sans[0]", "{hostname.example.com").unwrap_err().to_string().contains("sans[0]")
        );
        assert!(check("sans[0]", "hostname}.example.com").is_err());
        let e =
            check_json("target_template.config", &serde_json::json!({"cert_path": "/x/{nope}"}))
                .unwrap_err()
                .to_string();
        assert!(e.contains("target_template.config.cert_path"), "{e}");
    }
}
