//! `certctl groups` (alias `agent-groups`): list, get, create, update, delete. Membership is
//! computed from criteria (`--os`, `--arch`, `--hostname`, `--cidr`, `--observed-cidr`, `--label`,
//! `--reported-label`, `--agent-version`, `--include`, `--exclude`, or `criteria` in `--from-file`).

use certctl::api::GroupInput;
use certctl::client::{Client, ClientError};
use certctl::model::{AgentGroup, Page, PageRequest};
use clap::{Args, Subcommand};
use serde_json::{Map, Value};

use super::crud::{Crud, Help, NoFilter, Resource};
use crate::args::{self, FromFile, Paging};
use crate::body::Body;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    #[command(flatten)]
    Crud(Box<Crud<Groups>>),
    /// The agents that match the group's criteria now
    Members {
        id: String,
        #[command(flatten)]
        paging: Paging,
    },
}

#[derive(Debug)]
pub struct Groups;

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

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Cmd::Crud(c) => c.run(client, out).await,
        Cmd::Members { id, paging } => {
            out.list(paging, |p| client.agent_group_members(&id, p)).await
        }
    }
}

impl Resource for Groups {
    type Fields = Fields;
    type Filter = NoFilter;
    type Item = AgentGroup;
    type Input = GroupInput;
    const HELP: Help = Help {
        list: "List agent groups",
        get: "Show one group",
        create: "Create a group",
        id: "Id to give it (`grp-...`; generated when absent)",
        update: "Change a group; only the given fields change (criteria given replace the criteria)",
        delete: "Delete a group",
        ..Help::PLAIN
    };

    fn input(id: Option<String>, f: &Fields) -> anyhow::Result<GroupInput> {
        let mut criteria = Body::default();
        criteria
            .list("os", &f.os)
            .list("arch", &f.arch)
            .list("hostname", &f.hostname)
            .list("cidr", &f.cidr)
            .list("observed_cidr", &f.observed_cidr)
            .pairs("labels", &f.label)
            .pairs("reported_labels", &f.reported_label)
            .set("agent_version", f.agent_version.as_ref())
            .list("include", &f.include)
            .list("exclude", &f.exclude);
        let criteria: Map<String, Value> = criteria.typed()?;
        let mut b = Body::new(&f.file)?;
        b.set("id", id).set("name", f.name.as_ref()).set("description", f.description.as_ref());
        if !criteria.is_empty() {
            b.set("criteria", Some(criteria));
        }
        b.typed()
    }
    async fn list(
        c: &Client,
        _: &NoFilter,
        p: PageRequest,
    ) -> Result<Page<AgentGroup>, ClientError> {
        c.list_agent_groups(p).await
    }
    async fn get(c: &Client, id: &str) -> Result<AgentGroup, ClientError> {
        c.get_agent_group(id).await
    }
    async fn create(c: &Client, input: &GroupInput) -> Result<AgentGroup, ClientError> {
        c.create_agent_group(input).await
    }
    async fn update(c: &Client, id: &str, input: &GroupInput) -> Result<AgentGroup, ClientError> {
        c.update_agent_group(id, input).await
    }
    async fn delete(c: &Client, id: &str) -> Result<(), ClientError> {
        c.delete_agent_group(id).await
    }
}
