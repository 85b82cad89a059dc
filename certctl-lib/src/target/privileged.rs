//! Which parts of a target config need the `admin` role: commands other than the connector's
//! built-in default, a `webroot`, and paths outside the default agent prefixes. Pure functions:
//! the service asks them when a target config enters (targets, fleet target templates).

use std::path::Path;

use serde_json::{Map, Value, json};

/// The agent's default allowed path prefixes (`CERTCTL_AGENT_ALLOWED_PATHS` when unset), `:`-separated.
pub const DEFAULT_AGENT_PATHS: &str = "/etc/ssl/certctl:/var/lib/certctl";

/// Where an operator may have an agent write: the agent's default allowed path prefixes.
pub fn operator_path_prefixes() -> impl Iterator<Item = &'static str> {
    DEFAULT_AGENT_PATHS.split(':')
}

/// The nginx connector's default `validate_command`.
pub const NGINX_VALIDATE_COMMAND: &[&str] = &["nginx", "-t"];
/// The nginx connector's default `reload_command`.
pub const NGINX_RELOAD_COMMAND: &[&str] = &["nginx", "-s", "reload"];

/// The built-in default of command `key` of a connector, if it has one.
pub fn default_command(target_type: &str, key: &str) -> Option<&'static [&'static str]> {
    match (target_type, key) {
        ("nginx", "validate_command") => Some(NGINX_VALIDATE_COMMAND),
        ("nginx", "reload_command") => Some(NGINX_RELOAD_COMMAND),
        _ => None,
    }
}

/// Whether `path` lies under one of the [`operator_path_prefixes`], judged on its text: a valid
/// config path ([`super::config_path`]: absolute, no NUL, no `..`), and the prefix matches whole
/// components (`/etc/ssl/certctl-x` does not).
pub fn under_operator_prefixes(path: &str) -> bool {
    let p = Path::new(path);
    super::argv::check_path("path", p).is_ok()
        && operator_path_prefixes().any(|pre| p.starts_with(pre))
}

/// What in a target config only an admin may set, one line per key (empty: an operator may):
/// a `*_command` other than the connector's default (a connector without a default has none an
/// operator may set), a `webroot`, a `*_path` outside the [`operator_path_prefixes`]. A key set to
/// `null` means the default and needs nothing.
pub fn admin_only(target_type: &str, config: &Value) -> Vec<String> {
    let Some(obj) = config.as_object() else { return Vec::new() };
    let mut out = Vec::new();
    for (k, v) in obj.iter().filter(|(_, v)| !v.is_null()) {
        if k.ends_with("_command") {
            let default = default_command(target_type, k);
            let is_default = default.is_some_and(|d| {
                v.as_array().is_some_and(|a| {
                    a.len() == d.len() && a.iter().zip(d).all(|(x, y)| x.as_str() == Some(y))
                })
            });
            if !is_default {
                let default = default
                    .map_or_else(|| "none".to_owned(), |d| Value::from(d.to_vec()).to_string());
                out.push(format!(
                    "config.{k} {v} is not the {target_type} connector's default ({default})"
                ));
            }
        } else if k == "webroot" {
            out.push(format!(
                "config.webroot {v} has the agent write into a web server's directory"
            ));
        } else if k.ends_with("_path") && !v.as_str().is_some_and(under_operator_prefixes) {
            out.push(format!(
                "config.{k} {v} is outside {}",
                DEFAULT_AGENT_PATHS.replace(':', " and ")
            ));
        }
    }
    out
}

/// The commands (defaults filled in) and paths of a target config, for audit details:
/// `{"commands": {"reload_command": [...]}, "paths": {"cert_path": "..."}}`. Target configs hold
/// no secrets.
pub fn commands_and_paths(target_type: &str, config: &Value) -> Value {
    let mut commands = Map::new();
    let mut paths = Map::new();
    for key in ["validate_command", "reload_command"] {
        if let Some(d) = default_command(target_type, key) {
            commands.insert(key.to_owned(), Value::from(d.to_vec()));
        }
    }
    for (k, v) in config.as_object().into_iter().flatten().filter(|(_, v)| !v.is_null()) {
        if k.ends_with("_command") {
            commands.insert(k.clone(), v.clone());
        } else if k.ends_with("_path") || k == "webroot" {
            paths.insert(k.clone(), v.clone());
        }
    }
    json!({"commands": commands, "paths": paths})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_configs_need_nothing() {
        assert!(admin_only("nginx", &json!({"cert_path": "/etc/ssl/certctl/web/fullchain.pem", "key_path": "/var/lib/certctl/web.key"})).is_empty());
        assert!(admin_only("nginx", &json!({"cert_path": "/etc/ssl/certctl/{hostname}.pem", "key_path": "/etc/ssl/certctl/k.pem", "reload_command": ["nginx", "-s", "reload"], "validate_command": ["nginx", "-t"]})).is_empty());
        assert!(admin_only("nginx", &json!({"cert_path": "/etc/ssl/certctl/c.pem", "reload_command": null, "webroot": null, "chain_path": null})).is_empty());
        assert!(admin_only("file", &json!({"fullchain_path": "/etc/ssl/certctl/a.pem", "owner": "www-data", "verify_address": "127.0.0.1:443"})).is_empty());
        assert!(
            admin_only("nginx", &json!({})).is_empty()
                && admin_only("nginx", &json!("not an object")).is_empty()
        );
    }

    #[test]
    fn commands_webroot_and_paths_need_admin() {
        let one = |ty: &str, c: Value| {
            let r = admin_only(ty, &c);
            assert_eq!(r.len(), 1, "{c}: {r:?}");
            r.into_iter().next().unwrap()
        };
        let r = one(
            "nginx",
            json!({"cert_path": "/etc/ssl/certctl/c.pem", "reload_command": ["/bin/sh", "-c", "touch /tmp/x"]}),
        );
        assert!(r.starts_with("config.reload_command [\"/bin/sh\",\"-c\",\"touch /tmp/x\"] is not the nginx connector's default ([\"nginx\",\"-s\",\"reload\"])"), "{r}");
        // one argument more or less is not the default
        one("nginx", json!({"reload_command": ["nginx", "-s", "reload", "-c", "/tmp/evil.conf"]}));
        one("nginx", json!({"validate_command": ["nginx"]}));
        // the file connector runs no command by default, any is admin-only
        assert!(
            one("file", json!({"reload_command": ["nginx", "-s", "reload"]}))
                .contains("default (none)")
        );
        // a command key the connector does not know
        one("nginx", json!({"post_command": ["/usr/bin/true"]}));
        assert!(
            one("nginx", json!({"webroot": "/var/lib/certctl/www"})).starts_with("config.webroot")
        );
        for p in [
            "/etc/nginx/ssl/c.pem",
            "/etc/ssl/certctl-evil/c.pem",
            "/etc/ssl/certctl/../../shadow",
            "/var/lib/certctl/a/../../../etc/cron.d/x",
            "etc/ssl/certctl/c.pem",
            "/etc/ssl",
            "/",
        ] {
            assert!(one("nginx", json!({"cert_path": p})).starts_with("config.cert_path"), "{p}");
        }
        assert!(one("file", json!({"key_path": 5})).starts_with("config.key_path 5"));
        let all = admin_only(
            "nginx",
            &json!({"cert_path": "/root/c.pem", "key_path": "/root/k.pem", "reload_command": ["/bin/true"], "webroot": "/srv/www"}),
        );
        assert_eq!(all.len(), 4, "{all:?}");
    }

    #[test]
    fn audit_view() {
        let v = commands_and_paths(
            "nginx",
            &json!({"cert_path": "/etc/ssl/certctl/c.pem", "reload_command": ["/usr/sbin/nginx", "-s", "reload"], "owner": "www-data", "webroot": "/srv/www"}),
        );
        assert_eq!(
            v,
            json!({"commands": {"validate_command": ["nginx", "-t"], "reload_command": ["/usr/sbin/nginx", "-s", "reload"]}, "paths": {"cert_path": "/etc/ssl/certctl/c.pem", "webroot": "/srv/www"}})
        );
        assert_eq!(
            commands_and_paths("file", &json!({"fullchain_path": "/etc/ssl/certctl/f.pem"})),
            json!({"commands": {}, "paths": {"fullchain_path": "/etc/ssl/certctl/f.pem"}})
        );
    }
}
