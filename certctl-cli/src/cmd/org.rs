//! `certctl teams`, `certctl owners` and `certctl renewal-policies`: plain CRUD.

use certctl::api::{OwnerInput, RenewalPolicyInput, TeamInput};
use certctl::client::Client;
use clap::{Args, Subcommand};

use crate::body::Body;
use crate::cli::{FromFile, Id, Paging};
use crate::output::Out;

/// The five verbs of a plain resource, with its own create/update fields.
#[derive(Debug, Subcommand)]
pub enum Crud<F: Args, L: Args = NoFilter> {
    /// List
    List {
        #[command(flatten)]
        filter: L,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one
    Get(Id),
    /// Create
    Create {
        /// Id to give it (generated when absent)
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: F,
    },
    /// Change; only the given fields change
    Update {
        id: String,
        #[command(flatten)]
        fields: F,
    },
    /// Delete
    Delete(Id),
}

#[derive(Debug, Args)]
pub struct NoFilter {}

pub type TeamCmd = Crud<TeamFields>;
pub type OwnerCmd = Crud<OwnerFields, OwnerFilter>;
pub type RenewalPolicyCmd = Crud<RenewalPolicyFields>;

#[derive(Debug, Args)]
pub struct TeamFields {
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    description: Option<String>,
    #[command(flatten)]
    file: FromFile,
}

#[derive(Debug, Args)]
pub struct OwnerFields {
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long, visible_alias = "team-id")]
    team: Option<String>,
    #[command(flatten)]
    file: FromFile,
}

#[derive(Debug, Args)]
pub struct OwnerFilter {
    /// Only the owners of this team
    #[arg(long, visible_alias = "team-id")]
    team: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenewalPolicyFields {
    #[arg(long)]
    name: Option<String>,
    /// Renew this many days before expiry
    #[arg(long, value_name = "DAYS")]
    renewal_window_days: Option<i64>,
    /// true or false
    #[arg(long, value_name = "BOOL")]
    auto_renew: Option<bool>,
    #[arg(long, value_name = "N")]
    max_retries: Option<i64>,
    #[arg(long, value_name = "SECONDS")]
    retry_interval_seconds: Option<i64>,
    /// Alert this many days before expiry (repeatable)
    #[arg(long, value_name = "DAYS")]
    alert_threshold: Vec<i64>,
    /// Notification channel (repeatable)
    #[arg(long, value_name = "ID")]
    channel: Vec<String>,
    #[command(flatten)]
    file: FromFile,
}

fn team_input(id: Option<String>, f: TeamFields) -> anyhow::Result<TeamInput> {
    let mut b = Body::new(&f.file)?;
    b.set("id", id).set("name", f.name).set("description", f.description);
    b.typed()
}

fn owner_input(id: Option<String>, f: OwnerFields) -> anyhow::Result<OwnerInput> {
    let mut b = Body::new(&f.file)?;
    b.set("id", id).set("name", f.name).set("email", f.email).set("team_id", f.team);
    b.typed()
}

fn rp_input(id: Option<String>, f: RenewalPolicyFields) -> anyhow::Result<RenewalPolicyInput> {
    let mut b = Body::new(&f.file)?;
    b.set("id", id)
        .set("name", f.name)
        .set("renewal_window_days", f.renewal_window_days)
        .set("auto_renew", f.auto_renew)
        .set("max_retries", f.max_retries)
        .set("retry_interval_seconds", f.retry_interval_seconds)
        .list("notification_channel_ids", &f.channel);
    if !f.alert_threshold.is_empty() {
        b.set("alert_thresholds_days", Some(f.alert_threshold));
    }
    b.typed()
}

pub async fn run_teams(cmd: TeamCmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Crud::List { paging, .. } => out.list(paging, |p| client.list_teams(p)).await,
        Crud::Get(Id { id }) => out.one(&client.get_team(&id).await?),
        Crud::Create { id, fields } => {
            out.one(&client.create_team(&team_input(id, fields)?).await?)
        }
        Crud::Update { id, fields } => {
            out.one(&client.update_team(&id, &team_input(None, fields)?).await?)
        }
        Crud::Delete(Id { id }) => {
            client.delete_team(&id).await?;
            out.done(&format!("deleted {id}"))
        }
    }
}

pub async fn run_owners(cmd: OwnerCmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Crud::List { filter, paging } => {
            out.list(paging, |p| client.list_owners(filter.team.as_deref(), p)).await
        }
        Crud::Get(Id { id }) => out.one(&client.get_owner(&id).await?),
        Crud::Create { id, fields } => {
            out.one(&client.create_owner(&owner_input(id, fields)?).await?)
        }
        Crud::Update { id, fields } => {
            out.one(&client.update_owner(&id, &owner_input(None, fields)?).await?)
        }
        Crud::Delete(Id { id }) => {
            client.delete_owner(&id).await?;
            out.done(&format!("deleted {id}"))
        }
    }
}

pub async fn run_renewal_policies(
    cmd: RenewalPolicyCmd,
    client: &Client,
    out: &Out,
) -> anyhow::Result<()> {
    match cmd {
        Crud::List { paging, .. } => out.list(paging, |p| client.list_renewal_policies(p)).await,
        Crud::Get(Id { id }) => out.one(&client.get_renewal_policy(&id).await?),
        Crud::Create { id, fields } => {
            out.one(&client.create_renewal_policy(&rp_input(id, fields)?).await?)
        }
        Crud::Update { id, fields } => {
            out.one(&client.update_renewal_policy(&id, &rp_input(None, fields)?).await?)
        }
        Crud::Delete(Id { id }) => {
            client.delete_renewal_policy(&id).await?;
            out.done(&format!("deleted {id}"))
        }
    }
}
