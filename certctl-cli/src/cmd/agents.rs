//! `certctl agents`: list, get, register (prints the agent's API key once), retire.

use certctl::api::AgentInput;
use certctl::client::Client;
use certctl::model::{AgentFilter, AgentStatus};
use clap::{Args, Subcommand};

use crate::body::{self, Body};
use crate::cli::{FromFile, Id, Paging};
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List agents
    List {
        /// Online, Offline, Degraded or Retired
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
    /// Retire an agent and revoke its keys
    Retire(Id),
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
    #[arg(long, value_name = "KEY=VALUE", value_parser = body::key_value)]
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
        Cmd::Retire(Id { id }) => out.one(&client.retire_agent(&id).await?),
    }
}
