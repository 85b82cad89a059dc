//! `certctl agents`: list, get, register (prints the agent's API key once), update (operator
//! labels), approve, retire; `certctl bootstrap-tokens`: create (prints the token once), list, get,
//! revoke.

use certctl::api::{AgentInput, AgentUpdate, BootstrapTokenInput};
use certctl::client::Client;
use certctl::model::{AgentFilter, AgentStatus};
use clap::{Args, Subcommand};

use crate::args::{self, FromFile, Id, Paging};
use crate::body::{self, Body};
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List agents
    List {
        /// Pending, Online, Offline, Degraded or Retired
        #[arg(long)]
        status: Option<String>,
        /// Operating system (linux, windows, ...)
        #[arg(long)]
        os: Option<String>,
        /// Architecture (x86_64, aarch64, ...)
        #[arg(long)]
        arch: Option<String>,
        /// Members of this agent group (`grp-...`)
        #[arg(long, alias = "group-id")]
        group: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one agent
    Get(Id),
    /// Register an agent; its API key is printed once
    Register(Register),
    /// Rename an agent or replace its operator labels (what group criteria `labels` match)
    Update(Update),
    /// Admit a Pending agent (one that registered itself with a bootstrap token)
    Approve(Id),
    /// Retire an agent and revoke its keys
    Retire(Id),
}

#[derive(Debug, Args)]
pub struct Update {
    /// The agent (`ag-...`)
    id: String,
    /// New name
    #[arg(long)]
    name: Option<String>,
    /// Operator label KEY=VALUE (repeatable); replaces all operator labels
    #[arg(long, value_name = "KEY=VALUE", value_parser = args::key_value)]
    label: Vec<(String, String)>,
    /// Remove every operator label
    #[arg(long, conflicts_with = "label")]
    clear_labels: bool,
    #[command(flatten)]
    file: FromFile,
}

/// `certctl bootstrap-tokens`: tokens with which agents register themselves.
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token (admin); it is printed once
    Create {
        /// Id to give it (`bt-...`; generated when absent)
        #[arg(long)]
        id: Option<String>,
        /// What it is for
        #[arg(long, required_unless_present = "from_file")]
        name: Option<String>,
        /// How long it can be used: 30m, 24h, 7d (default 24h, at most 365d)
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<String>,
        /// Registrations allowed in all (default: unlimited until it expires)
        #[arg(long)]
        max_uses: Option<i64>,
        /// Operator label KEY=VALUE stamped on every agent it registers (repeatable)
        #[arg(long, value_name = "KEY=VALUE", value_parser = args::key_value)]
        label: Vec<(String, String)>,
        /// Admit the agents it registers at once instead of leaving them Pending
        #[arg(long)]
        auto_approve: bool,
        #[command(flatten)]
        file: FromFile,
    },
    /// List tokens (admin; never the secrets)
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one token (admin)
    Get(Id),
    /// Revoke a token (admin): it registers no more agents
    Revoke(Id),
}

pub async fn run_tokens(cmd: TokenCmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create { id, name, expires_in, max_uses, label, auto_approve, file } => {
            let mut b = Body::new(&file)?;
            b.set("id", id.as_ref())
                .set("name", name.as_ref())
                .set("expires_in", expires_in.as_ref())
                .set("max_uses", max_uses.as_ref())
                .pairs("labels", &label);
            if auto_approve {
                b.set("auto_approve", Some(&true));
            }
            let input: BootstrapTokenInput = b.typed()?;
            out.one(&client.create_bootstrap_token(&input).await?)
        }
        TokenCmd::List { paging } => out.list(paging, |p| client.list_bootstrap_tokens(p)).await,
        TokenCmd::Get(Id { id }) => out.one(&client.get_bootstrap_token(&id).await?),
        TokenCmd::Revoke(Id { id }) => out.one(&client.revoke_bootstrap_token(&id).await?),
    }
}

#[derive(Debug, Args)]
pub struct Register {
    /// Id to give it (`ag-...`; generated when absent)
    #[arg(long)]
    id: Option<String>,
    /// Name
    #[arg(long, required_unless_present = "from_file")]
    name: Option<String>,
    /// Label KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = args::key_value)]
    label: Vec<(String, String)>,
    #[command(flatten)]
    file: FromFile,
}

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Cmd::List { status, os, arch, group, paging } => {
            let filter = AgentFilter {
                status: body::parse_enum::<AgentStatus>("status", status.as_deref())?,
                os,
                arch,
                group_id: group.map(|g| g.as_str().into()),
                ids: None,
            };
            out.list(paging, |p| client.list_agents(&filter, p)).await
        }
        Cmd::Get(Id { id }) => out.one(&client.get_agent(&id).await?),
        Cmd::Register(r) => {
            let mut b = Body::new(&r.file)?;
            b.set("id", r.id.as_ref()).set("name", r.name.as_ref()).pairs("labels", &r.label);
            let input: AgentInput = b.typed()?;
            out.one(&client.register_agent(&input).await?)
        }
        Cmd::Update(u) => {
            let mut b = Body::new(&u.file)?;
            b.set("name", u.name.as_ref()).pairs("labels", &u.label);
            if u.clear_labels {
                b.set("labels", Some(&serde_json::json!({})));
            }
            let input: AgentUpdate = b.typed()?;
            out.one(&client.update_agent(&u.id, &input).await?)
        }
        Cmd::Approve(Id { id }) => out.one(&client.approve_agent(&id).await?),
        Cmd::Retire(Id { id }) => out.one(&client.retire_agent(&id).await?),
    }
}
