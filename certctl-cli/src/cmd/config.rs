//! `certctl config`: named contexts in the config file (`use-context`, `get-contexts`,
//! `set-context`, `current-context`, `delete-context`).

use clap::Subcommand;
use comfy_table::Cell;
use serde_json::json;

use crate::args::Global;
use crate::error::Failure;
use crate::output::Out;
use crate::settings::{ConfigFile, Context, config_path};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Make NAME the current context
    UseContext { name: String },
    /// List the contexts (never their API keys)
    GetContexts,
    /// Print the current context's name
    CurrentContext,
    /// Create or change a context from the global --server, --api-key-file and --ca-cert (or
    /// their environment variables); only the given settings change. An API key itself is never
    /// written to the file: keep it in a file of its own and pass --api-key-file.
    SetContext { name: String },
    /// Remove a context
    DeleteContext { name: String },
}

pub fn run(cmd: Cmd, g: &Global, out: &Out) -> anyhow::Result<()> {
    let path = config_path(g).ok_or_else(|| {
        Failure::usage("no config file: set XDG_CONFIG_HOME, HOME or --config-file")
    })?;
    let mut file = ConfigFile::load(&path)?;
    match cmd {
        Cmd::UseContext { name } => {
            if !file.contexts.contains_key(&name) {
                return Err(Failure::usage(format!("no context {name:?} in {}", path.display())));
            }
            file.current_context = Some(name.clone());
            file.save(&path)?;
            out.done(&format!("switched to context {name:?}"))
        }
        Cmd::CurrentContext => match &file.current_context {
            Some(c) if out.is_json() => out.one(&json!({ "current_context": c })),
            Some(c) => out.text(&format!("{c}\n")),
            None => Err(Failure::failed("no_context", "no current context")),
        },
        Cmd::GetContexts => {
            let current = file.current_context.as_deref();
            if out.is_json() {
                let list: Vec<_> = file
                    .contexts
                    .iter()
                    .map(|(n, c)| json!({"name": n, "current": Some(n.as_str()) == current, "server": c.server, "ca_cert": c.ca_cert, "api_key_file": c.api_key_file}))
                    .collect();
                return out.one(&list);
            }
            let mut t = out.table(&["CURRENT", "NAME", "SERVER", "API KEY", "CA CERT"]);
            for (n, c) in &file.contexts {
                let key = match (&c.api_key_file, &c.api_key) {
                    (Some(f), _) => f.display().to_string(),
                    (None, Some(_)) => "(inline)".into(),
                    (None, None) => "-".into(),
                };
                t.add_row(vec![
                    Cell::new(if Some(n.as_str()) == current { "*" } else { "" }),
                    Cell::new(n),
                    Cell::new(c.server.as_deref().unwrap_or("-")),
                    Cell::new(key),
                    Cell::new(c.ca_cert.as_ref().map_or("-".into(), |p| p.display().to_string())),
                ]);
            }
            out.text(&crate::output::render(&t))
        }
        Cmd::SetContext { name } => {
            let (ctx_server, ctx_api_key_file, ctx_ca_cert) =
                (g.server.clone(), g.api_key_file.clone(), g.ca_cert.clone());
            let ctx: &mut Context = file.contexts.entry(name.clone()).or_default();
            if ctx_server.is_some() {
                ctx.server = ctx_server;
            }
            if ctx_api_key_file.is_some() {
                ctx.api_key_file = ctx_api_key_file;
                ctx.api_key = None;
            }
            if ctx_ca_cert.is_some() {
                ctx.ca_cert = ctx_ca_cert;
            }
            if file.current_context.is_none() {
                file.current_context = Some(name.clone());
            }
            file.save(&path)?;
            out.done(&format!("context {name:?} saved in {}", path.display()))
        }
        Cmd::DeleteContext { name } => {
            if file.contexts.remove(&name).is_none() {
                return Err(Failure::usage(format!("no context {name:?} in {}", path.display())));
            }
            if file.current_context.as_deref() == Some(name.as_str()) {
                file.current_context = None;
            }
            file.save(&path)?;
            out.done(&format!("deleted context {name:?}"))
        }
    }
}
