//! `certctl issuers` (CRUD, `test`, `ca`) and `certctl targets` (CRUD): connector type plus a
//! JSON config.

use certctl::api::ConnectorInput;
use certctl::client::Client;
use clap::{Args, Subcommand};

use crate::body::Body;
use crate::cli::{FromFile, Id, Paging};
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum IssuerCmd {
    /// List issuers
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one issuer
    Get(Id),
    /// Create an issuer
    Create {
        /// Id to give it (`iss-...`; generated when absent)
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Change an issuer; only the given fields change
    Update {
        id: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete an issuer
    Delete(Id),
    /// Check that the issuer can issue (exit 1 when it cannot)
    Test(Id),
    /// Print the issuer's CA certificate(s) as PEM
    Ca(Id),
}

#[derive(Debug, Subcommand)]
pub enum TargetCmd {
    /// List deployment targets
    List {
        /// Only the targets of this agent
        #[arg(long, visible_alias = "agent-id")]
        agent: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one target
    Get(Id),
    /// Create a target
    Create {
        /// Id to give it (`t-...`; generated when absent)
        #[arg(long)]
        id: Option<String>,
        /// The agent that deploys to this target
        #[arg(long, visible_alias = "agent-id")]
        agent: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Change a target; only the given fields change
    Update {
        id: String,
        /// The agent that deploys to this target
        #[arg(long, visible_alias = "agent-id")]
        agent: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete a target
    Delete(Id),
}

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
    fn body(&self, id: Option<&String>) -> anyhow::Result<Body> {
        let mut b = Body::new(&self.file)?;
        b.set("id", id)
            .set("name", self.name.as_ref())
            .set("type", self.kind.as_ref())
            .set("enabled", self.enabled);
        b.json("config", self.config.as_deref())?;
        Ok(b)
    }
}

pub async fn run_issuers(cmd: IssuerCmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        IssuerCmd::List { paging } => out.list(paging, |p| client.list_issuers(p)).await,
        IssuerCmd::Get(Id { id }) => out.one(&client.get_issuer(&id).await?),
        IssuerCmd::Create { id, fields } => {
            let input: ConnectorInput = fields.body(id.as_ref())?.typed()?;
            out.one(&client.create_issuer(&input).await?)
        }
        IssuerCmd::Update { id, fields } => {
            let input: ConnectorInput = fields.body(None)?.typed()?;
            out.one(&client.update_issuer(&id, &input).await?)
        }
        IssuerCmd::Delete(Id { id }) => {
            client.delete_issuer(&id).await?;
            out.done(&format!("deleted {id}"))
        }
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

pub async fn run_targets(cmd: TargetCmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        TargetCmd::List { agent, paging } => {
            out.list(paging, |p| client.list_targets(agent.as_deref(), p)).await
        }
        TargetCmd::Get(Id { id }) => out.one(&client.get_target(&id).await?),
        TargetCmd::Create { id, agent, fields } => {
            let input: ConnectorInput = fields.body(id.as_ref())?.set("agent_id", agent).typed()?;
            out.one(&client.create_target(&input).await?)
        }
        TargetCmd::Update { id, agent, fields } => {
            let input: ConnectorInput = fields.body(None)?.set("agent_id", agent).typed()?;
            out.one(&client.update_target(&id, &input).await?)
        }
        TargetCmd::Delete(Id { id }) => {
            client.delete_target(&id).await?;
            out.done(&format!("deleted {id}"))
        }
    }
}
