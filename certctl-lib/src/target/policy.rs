//! The host's execution policy: which commands an agent may run and under which path prefixes it
//! may write, set on the host (`CERTCTL_AGENT_ALLOWED_COMMANDS`, `CERTCTL_AGENT_ALLOWED_PATHS`),
//! never by the server. A deployment asks; [`HostPolicy::check`] decides, before anything runs.
//!
//! Commands setting: `;`-separated entries, each a profile name or a JSON argv array:
//! `nginx` (`nginx -t`, `nginx -s reload`), `apache` (`apachectl configtest`, `apachectl graceful`),
//! `haproxy` (`haproxy -c -f /etc/haproxy/haproxy.cfg`, `systemctl reload haproxy`),
//! `systemd-reload:UNIT` (`systemctl reload UNIT`); every profile command is also allowed with
//! `sudo -n` in front. `["/usr/local/bin/x", "--y"]` allows exactly that argv. `none` allows no
//! command. A command is allowed when its argv is equal, element by element, to an allowed one.
//!
//! Paths setting: `:`-separated absolute prefixes. A path is allowed when it is strictly below a
//! prefix once both are resolved: `..` components are refused outright, the deepest existing
//! ancestor of the path is canonicalised (symlinks followed, the file itself included), and the
//! result must start with the canonicalised prefix. The agent's own state (identity, keys,
//! journal: [`HostPolicy::protect`]) is never written, even when it lies below a prefix.
//!
//! ```
//! # #[cfg(feature = "agent")] {
//! use certctl::target::HostPolicy;
//! let p = HostPolicy::parse(r#"nginx; systemd-reload:nginx; ["/usr/local/bin/hook", "--reload"]"#, "/etc/ssl/certctl").unwrap();
//! assert!(p.allows_command(&["sudo", "-n", "systemctl", "reload", "nginx"]));
//! assert!(!p.allows_command(&["/bin/sh", "-c", "id"]));
//! assert!(p.check_path("cert_path", "/etc/ssl/certctl/web/cert.pem".as_ref()).is_ok());
//! assert!(p.check_path("cert_path", "/etc/ssl/certctl/../shadow".as_ref()).is_err());
//! # }
//! ```

use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::FileSpec;
use crate::error::{Error, Result};

/// The host setting (environment variable) that lists the allowed commands.
pub const COMMANDS_SETTING: &str = "CERTCTL_AGENT_ALLOWED_COMMANDS";
/// The host setting (environment variable) that lists the allowed path prefixes.
pub const PATHS_SETTING: &str = "CERTCTL_AGENT_ALLOWED_PATHS";
/// Commands allowed when the setting is absent: the defaults of the built-in connectors.
pub const DEFAULT_COMMANDS: &str = "nginx";
/// Path prefixes allowed when the setting is absent (also where an operator, not only an admin,
/// may point a target).
pub const DEFAULT_PATHS: &str = super::privileged::DEFAULT_AGENT_PATHS;

/// The named profiles and the argv lists each allows (each also with `sudo -n` in front).
const PROFILES: &[(&str, &[&[&str]])] = &[
    (
        "nginx",
        &[super::privileged::NGINX_VALIDATE_COMMAND, super::privileged::NGINX_RELOAD_COMMAND],
    ),
    ("apache", &[&["apachectl", "configtest"], &["apachectl", "graceful"]]),
    (
        "haproxy",
        &[
            &["haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"],
            &["systemctl", "reload", "haproxy"],
        ],
    ),
];

/// What the host allows an agent to run and write. `Default` is [`DEFAULT_COMMANDS`] and
/// [`DEFAULT_PATHS`].
#[derive(Clone, PartialEq, Eq)]
pub struct HostPolicy {
    /// The entries of the commands setting as given (profile names, argv arrays), for display.
    entries: Vec<String>,
    /// Every allowed argv, profiles expanded.
    commands: Vec<Vec<String>>,
    /// The allowed prefixes as given (resolved again at each check).
    paths: Vec<PathBuf>,
    /// Never written, even below an allowed prefix (the agent's identity, keys, journal).
    protected: Vec<PathBuf>,
}

impl Default for HostPolicy {
    fn default() -> Self {
        // both constants parse (a unit test checks it); the fallback only keeps this infallible
        Self::parse(DEFAULT_COMMANDS, DEFAULT_PATHS).unwrap_or_else(|_| Self {
            entries: Vec::new(),
            commands: Vec::new(),
            paths: Vec::new(),
            protected: Vec::new(),
        })
    }
}

impl fmt::Debug for HostPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostPolicy")
            .field("commands", &self.entries)
            .field("paths", &self.paths)
            .field("protected", &self.protected)
            .finish()
    }
}

impl fmt::Display for HostPolicy {
    /// One line for the start-up log: every allowed argv and every prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cmds: Vec<String> = self.commands.iter().map(|c| c.join(" ")).collect();
        let cmds = if cmds.is_empty() { "none".to_owned() } else { cmds.join(" | ") };
        write!(f, "commands ({}): {cmds}; paths: {}", self.entries.join("; "), self.paths_list())?;
        if !self.protected.is_empty() {
            let p: Vec<String> = self.protected.iter().map(|p| p.display().to_string()).collect();
            write!(f, "; never written: {}", p.join(", "))?;
        }
        Ok(())
    }
}

impl HostPolicy {
    /// Parses the two settings (syntax in the [module docs](self)); a malformed one is an
    /// [`Error::Invalid`] naming the setting.
    pub fn parse(commands: &str, paths: &str) -> Result<Self> {
        let (entries, commands) = parse_commands(commands)?;
        Ok(Self { entries, commands, paths: parse_paths(paths)?, protected: Vec::new() })
    }

    /// The same policy, never writing `paths` (files, or directories and all below them) even
    /// when they lie below an allowed prefix: the agent protects its identity, key store and
    /// journal this way.
    pub fn protect(mut self, paths: impl IntoIterator<Item = PathBuf>) -> Self {
        self.protected.extend(paths);
        self
    }

    /// Every allowed argv, profiles expanded.
    pub fn commands(&self) -> &[Vec<String>] {
        &self.commands
    }

    /// The allowed path prefixes as configured.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Whether `argv` is exactly one of the allowed commands.
    pub fn allows_command<S: AsRef<str>>(&self, argv: &[S]) -> bool {
        self.commands
            .iter()
            .any(|c| c.len() == argv.len() && c.iter().zip(argv).all(|(a, b)| a == b.as_ref()))
    }

    /// Ok when `argv` (the target's `field`) is allowed; else the refusal, naming the setting.
    pub fn check_command(&self, field: &str, argv: &[String]) -> Result<(), String> {
        if self.allows_command(argv) {
            return Ok(());
        }
        let shown = serde_json::to_string(argv).unwrap_or_default();
        Err(format!("{field} {shown} is not allowed on this host ({COMMANDS_SETTING})"))
    }

    /// The resolved form of `path` (the target's `field`) when it lies strictly below an
    /// allowed prefix; else the refusal, naming the setting. Refused outright: a relative path,
    /// a `..` component, a NUL byte, a path whose existing part cannot be resolved (a dangling
    /// symlink included).
    pub fn check_path(&self, field: &str, path: &Path) -> Result<PathBuf, String> {
        let shown = path.display();
        if let Err(e) = super::argv::check_path(field, path) {
            return Err(format!("{e}; refused on this host ({PATHS_SETTING})"));
        }
        let resolved = resolve(path).map_err(|e| {
            format!(
                "{field} {shown} cannot be resolved ({e}); refused on this host ({PATHS_SETTING})"
            )
        })?;
        let inside = self
            .paths
            .iter()
            .filter_map(|p| resolve(p).ok())
            .any(|p| resolved != p && resolved.starts_with(&p));
        if inside
            && self
                .protected
                .iter()
                .filter_map(|p| resolve(p).ok())
                .any(|p| resolved.starts_with(&p))
        {
            return Err(format!(
                "{field} {shown} is part of the agent's own state (identity, keys or journal), never written by a deployment"
            ));
        }
        match (inside, resolved.as_path() == path) {
            (true, _) => Ok(resolved),
            (false, true) => Err(format!(
                "{field} {shown} is outside the paths this host allows ({PATHS_SETTING}: {})",
                self.paths_list()
            )),
            (false, false) => Err(format!(
                "{field} {shown} resolves to {}, outside the paths this host allows ({PATHS_SETTING}: {})",
                resolved.display(),
                self.paths_list()
            )),
        }
    }

    /// Checks a whole deployment up front: every command (by config key) and every file. All
    /// refusals are returned together, one sentence each, joined by `; `.
    pub fn check(&self, commands: &[(&str, &[String])], files: &[FileSpec]) -> Result<(), String> {
        let refusals: Vec<String> = commands
            .iter()
            .filter_map(|(field, argv)| self.check_command(field, argv).err())
            .chain(files.iter().filter_map(|f| self.check_path(f.field, &f.path).err()))
            .collect();
        if refusals.is_empty() { Ok(()) } else { Err(refusals.join("; ")) }
    }

    fn paths_list(&self) -> String {
        self.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    }
}

/// `path` with its deepest existing ancestor canonicalised (symlinks followed, `path` itself
/// included when it exists) and the missing components appended. `path` is absolute, no `..`.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut existing = path;
    let mut missing = Vec::new();
    loop {
        match std::fs::symlink_metadata(existing) {
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                match (existing.parent(), existing.file_name()) {
                    (Some(parent), Some(name)) => {
                        missing.push(name);
                        existing = parent;
                    }
                    _ => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    let mut out = std::fs::canonicalize(existing)?;
    out.extend(missing.iter().rev());
    Ok(out)
}

/// The entries of the commands setting and every argv they allow.
fn parse_commands(spec: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let bad = |msg: String| Error::invalid(COMMANDS_SETTING, msg);
    let mut entries = Vec::new();
    let mut commands: Vec<Vec<String>> = Vec::new();
    let mut rest = spec;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let n = entries.len() + 1;
        if rest.starts_with('[') {
            let mut stream =
                serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
            let value = match stream.next() {
                Some(Ok(v)) => v,
                _ => {
                    return Err(bad(format!(
                        "entry {n} starts with `[` but is not a JSON array of strings, e.g. [\"nginx\", \"-t\"]"
                    )));
                }
            };
            let end = stream.byte_offset();
            let argv =
                super::argv(&format!("entry {n}"), &value).map_err(|e| bad(e.to_string()))?;
            entries.push(rest[..end].to_owned());
            commands.push(argv);
            rest = rest[end..].trim_start();
            if !(rest.is_empty() || rest.starts_with(';')) {
                return Err(bad(format!("entry {n}: expected `;` after the argv array")));
            }
            continue;
        }
        let end = rest.find(';').unwrap_or(rest.len());
        let name = rest[..end].trim();
        rest = &rest[end..];
        let argvs: Vec<Vec<String>> = if let Some(unit) = name.strip_prefix("systemd-reload:") {
            let valid = !unit.is_empty()
                && !unit.starts_with('-')
                && unit.chars().all(|c| c.is_ascii_alphanumeric() || "@._:-\\".contains(c));
            if !valid {
                return Err(bad(format!(
                    "entry {n}: {unit:?} is not a systemd unit name (letters, digits, @ . _ : - \\, not starting with -)"
                )));
            }
            vec![vec!["systemctl".into(), "reload".into(), unit.into()]]
        } else if name == "none" {
            Vec::new()
        } else if let Some((_, list)) = PROFILES.iter().find(|(p, _)| *p == name) {
            list.iter().map(|a| a.iter().map(|s| (*s).to_owned()).collect()).collect()
        } else {
            return Err(bad(format!(
                "entry {n}: {name:?} is not a profile (nginx, apache, haproxy, systemd-reload:UNIT, none) nor a JSON argv array"
            )));
        };
        let sudo: Vec<Vec<String>> = argvs
            .iter()
            .map(|a| {
                ["sudo".to_owned(), "-n".to_owned()].into_iter().chain(a.iter().cloned()).collect()
            })
            .collect();
        entries.push(name.to_owned());
        for a in argvs.into_iter().chain(sudo) {
            if !commands.contains(&a) {
                commands.push(a);
            }
        }
    }
    if entries.is_empty() {
        return Err(bad("is empty; list profiles or argv arrays separated by `;`, or `none` to allow no command".into()));
    }
    if entries.len() > 1 && entries.iter().any(|e| e == "none") {
        return Err(bad("`none` cannot be combined with other entries".into()));
    }
    Ok((entries, commands))
}

/// The prefixes of the paths setting.
fn parse_paths(spec: &str) -> Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> =
        spec.split(':').map(str::trim).filter(|s| !s.is_empty()).map(PathBuf::from).collect();
    if paths.is_empty() {
        return Err(Error::invalid(
            PATHS_SETTING,
            "is empty; list absolute path prefixes separated by `:`",
        ));
    }
    for (i, p) in paths.iter().enumerate() {
        super::argv::check_path(&format!("entry {}", i + 1), p)
            .map_err(|e| Error::invalid(PATHS_SETTING, e))?;
        if p.parent().is_none() {
            return Err(Error::invalid(
                PATHS_SETTING,
                "`/` would allow writing anywhere; list the directories the agent may write to",
            ));
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests;
