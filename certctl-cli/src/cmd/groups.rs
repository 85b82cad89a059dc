//! `certctl groups` (alias `agent-groups`): list, get, create, update, delete. Membership is
//! computed from criteria (`--os`, `--arch`, `--hostname`, `--cidr`, `--observed-cidr`, `--label`,
//! `--reported-label`, `--agent-version`, `--include`, `--exclude`, or `criteria` in `--from-file`).

use certctl::api::GroupInput;
use certctl::client::Client;
use clap::{Args, Subcommand};
use serde_json::{Map, Value};

use crate::args::{self, FromFile, Id, Paging};
use crate::body::Body;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List agent groups
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one group
    Get(Id),
    /// Create a group
    Create {
        /// Id to give it (`grp-...`; generated when absent)
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Change a group; only the given fields change (criteria given replace the criteria)
    Update {
        id: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete a group
    Delete(Id),
    /// The agents that match the group's criteria now
    Members {
        id: String,
        #[command(flatten)]
        paging: Paging,
    },
}

#[derive(Debug, Args)]
pub struct Fields {
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// Operating system, any of (repeatable)
    #[arg(long)]
    os: Vec<String>,
    /// Architecture, any of (repeatable)
    #[arg(long)]
    arch: Vec<String>,
    /// Hostname glob, any of (repeatable)
    #[arg(long, value_name = "GLOB")]
    hostname: Vec<String>,
    /// Network holding an address the agent reports, any of (repeatable)
    #[arg(long)]
    cidr: Vec<String>,
    /// Network holding the address the server saw the agent's heartbeat come from, any of
    /// (repeatable)
    #[arg(long, value_name = "CIDR")]
    observed_cidr: Vec<String>,
    /// Operator label KEY=VALUE (set with `agents update --label`), all of (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = args::key_value)]
    label: Vec<(String, String)>,
    /// Label KEY=VALUE the agent reports about itself (CERTCTL_AGENT_LABELS), all of
    /// (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = args::key_value)]
    reported_label: Vec<(String, String)>,
    /// Semver requirement on the agent version (`>=1.2`)
    #[arg(long, value_name = "REQ")]
    agent_version: Option<String>,
    /// Agent always in the group (repeatable)
    #[arg(long, value_name = "AGENT")]
    include: Vec<String>,
    /// Agent never in the group (repeatable)
    #[arg(long, value_name = "AGENT")]
    exclude: Vec<String>,
    #[command(flatten)]
    file: FromFile,
}

impl Fields {
    fn input(&self, id: Option<&String>) -> anyhow::Result<GroupInput> {
        let mut criteria = Body::default();
        criteria
            .list("os", &self.os)
            .list("arch", &self.arch)
            .list("hostname", &self.hostname)
            .list("cidr", &self.cidr)
            .list("observed_cidr", &self.observed_cidr)
            .pairs("labels", &self.label)
            .pairs("reported_labels", &self.reported_label)
            .set("agent_version", self.agent_version.as_ref())
            .list("include", &self.include)
            .list("exclude", &self.exclude);
        let criteria: Map<String, Value> = criteria.typed()?;
        let mut b = Body::new(&self.file)?;
        b.set("id", id)
            .set("name", self.name.as_ref())
            .set("description", self.description.as_ref());
        if !criteria.is_empty() {
            b.set("criteria", Some(criteria));
        }
        b.typed()
    }
}

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Cmd::List { paging } => out.list(paging, |p| client.list_agent_groups(p)).await,
        Cmd::Get(Id { id }) => out.one(&client.get_agent_group(&id).await?),
        Cmd::Create { id, fields } => {
            out.one(&client.create_agent_group(&fields.input(id.as_ref())?).await?)
        }
        Cmd::Update { id, fields } => {
            out.one(&client.update_agent_group(&id, &fields.input(None)?).await?)
        }
        Cmd::Delete(Id { id }) => {
            client.delete_agent_group(&id).await?;
            out.done(&format!("deleted {id}"))
        }
        Cmd::Members { id, paging } => {
            out.list(paging, |p| client.agent_group_members(&id, p)).await
        }
    }
}
