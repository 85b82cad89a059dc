//! `certctl issuers` (CRUD, `test`, `ca`) and `certctl targets` (CRUD): connector type plus a
//! JSON config.

use certctl::api::ConnectorInput;
use certctl::client::{Client, ClientError};
use certctl::model::{Issuer, Page, PageRequest, Target};
use clap::{Args, Subcommand};

use super::crud::{Crud, Help, NoFilter, Resource};
use crate::args::{FromFile, Id};
use crate::body::Body;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum IssuerCmd {
    #[command(flatten)]
    Crud(Crud<Issuers>),
    /// Check that the issuer can issue (exit 1 when it cannot)
    Test(Id),
    /// Print the issuer's CA certificate(s) as PEM
    Ca(Id),
}

pub type TargetCmd = Crud<Targets>;

#[derive(Debug)]
pub struct Issuers;
#[derive(Debug)]
pub struct Targets;

#[derive(Debug, Args)]
pub struct Fields {
    #[arg(long)]
    name: Option<String>,
    /// Connector type (issuers: local, acme, ...; targets: nginx, apache, haproxy, file, ...)
    #[arg(long = "type")]
    kind: Option<String>,
    /// The connector's configuration as JSON
    #[arg(long, value_name = "JSON")]
    config: Option<String>,
    /// true or false
    #[arg(long, value_name = "BOOL")]
    enabled: Option<bool>,
    #[command(flatten)]
    file: FromFile,
}

impl Fields {
    fn body(&self, id: Option<String>) -> anyhow::Result<Body> {
        let mut b = Body::new(&self.file)?;
        b.set("id", id)
            .set("name", self.name.as_ref())
            .set("type", self.kind.as_ref())
            .set("enabled", self.enabled);
        b.json("config", self.config.as_deref())?;
        Ok(b)
    }
}

/// A target's fields: a connector's, and the agent that deploys to it.
#[derive(Debug, Args)]
pub struct TargetFields {
    /// The agent that deploys to this target
    #[arg(long, visible_alias = "agent-id")]
    agent: Option<String>,
    #[command(flatten)]
    fields: Fields,
}

#[derive(Debug, Args)]
pub struct TargetFilter {
    /// Only the targets of this agent
    #[arg(long, visible_alias = "agent-id")]
    agent: Option<String>,
}

pub async fn run_issuers(cmd: IssuerCmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        IssuerCmd::Crud(c) => c.run(client, out).await,
        IssuerCmd::Test(Id { id }) => {
            let r = client.test_issuer(&id).await?;
            out.one(&r)?;
            if r.ok {
                Ok(())
            } else {
                Err(crate::error::Failure::failed(
                    "issuer_test_failed",
                    format!("{id}: {}", r.message),
                ))
            }
        }
        IssuerCmd::Ca(Id { id }) => out.text(&client.issuer_ca_pem(&id).await?),
    }
}

impl Resource for Issuers {
    type Fields = Fields;
    type Filter = NoFilter;
    type Item = Issuer;
    type Input = ConnectorInput;
    const HELP: Help = Help {
        list: "List issuers",
        get: "Show one issuer",
        create: "Create an issuer",
        id: "Id to give it (`iss-...`; generated when absent)",
        update: "Change an issuer; only the given fields change",
        delete: "Delete an issuer",
        ..Help::PLAIN
    };

    fn input(id: Option<String>, f: &Fields) -> anyhow::Result<ConnectorInput> {
        f.body(id)?.typed()
    }
    async fn list(c: &Client, _: &NoFilter, p: PageRequest) -> Result<Page<Issuer>, ClientError> {
        c.list_issuers(p).await
    }
    async fn get(c: &Client, id: &str) -> Result<Issuer, ClientError> {
        c.get_issuer(id).await
    }
    async fn create(c: &Client, input: &ConnectorInput) -> Result<Issuer, ClientError> {
        c.create_issuer(input).await
    }
    async fn update(c: &Client, id: &str, input: &ConnectorInput) -> Result<Issuer, ClientError> {
        c.update_issuer(id, input).await
    }
    async fn delete(c: &Client, id: &str) -> Result<(), ClientError> {
        c.delete_issuer(id).await
    }
}

impl Resource for Targets {
    type Fields = TargetFields;
    type Filter = TargetFilter;
    type Item = Target;
    type Input = ConnectorInput;
    const HELP: Help = Help {
        list: "List deployment targets",
        get: "Show one target",
        create: "Create a target",
        id: "Id to give it (`t-...`; generated when absent)",
        update: "Change a target; only the given fields change",
        delete: "Delete a target",
        ..Help::PLAIN
    };

    fn input(id: Option<String>, f: &TargetFields) -> anyhow::Result<ConnectorInput> {
        f.fields.body(id)?.set("agent_id", f.agent.as_ref()).typed()
    }
    async fn list(
        c: &Client,
        f: &TargetFilter,
        p: PageRequest,
    ) -> Result<Page<Target>, ClientError> {
        c.list_targets(f.agent.as_deref(), p).await
    }
    async fn get(c: &Client, id: &str) -> Result<Target, ClientError> {
        c.get_target(id).await
    }
    async fn create(c: &Client, input: &ConnectorInput) -> Result<Target, ClientError> {
        c.create_target(input).await
    }
    async fn update(c: &Client, id: &str, input: &ConnectorInput) -> Result<Target, ClientError> {
        c.update_target(id, input).await
    }
    async fn delete(c: &Client, id: &str) -> Result<(), ClientError> {
        c.delete_target(id).await
    }
}
