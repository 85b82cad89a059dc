//! `certctl teams`, `certctl owners` and `certctl renewal-policies`: plain CRUD.

use certctl::api::{OwnerInput, RenewalPolicyInput, TeamInput};
use certctl::client::{Client, ClientError};
use certctl::model::{Owner, Page, PageRequest, RenewalPolicy, Team};
use clap::Args;

use super::crud::{Crud, Help, NoFilter, Resource};
use crate::args::FromFile;
use crate::body::Body;

pub type TeamCmd = Crud<Teams>;
pub type OwnerCmd = Crud<Owners>;
pub type RenewalPolicyCmd = Crud<RenewalPolicies>;

#[derive(Debug)]
pub struct Teams;
#[derive(Debug)]
pub struct Owners;
#[derive(Debug)]
pub struct RenewalPolicies;

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

impl Resource for Teams {
    type Fields = TeamFields;
    type Filter = NoFilter;
    type Item = Team;
    type Input = TeamInput;
    const HELP: Help = Help::PLAIN;

    fn input(id: Option<String>, f: &TeamFields) -> anyhow::Result<TeamInput> {
        let mut b = Body::new(&f.file)?;
        b.set("id", id).set("name", f.name.as_ref()).set("description", f.description.as_ref());
        b.typed()
    }
    async fn list(c: &Client, _: &NoFilter, p: PageRequest) -> Result<Page<Team>, ClientError> {
        c.list_teams(p).await
    }
    async fn get(c: &Client, id: &str) -> Result<Team, ClientError> {
        c.get_team(id).await
    }
    async fn create(c: &Client, input: &TeamInput) -> Result<Team, ClientError> {
        c.create_team(input).await
    }
    async fn update(c: &Client, id: &str, input: &TeamInput) -> Result<Team, ClientError> {
        c.update_team(id, input).await
    }
    async fn delete(c: &Client, id: &str) -> Result<(), ClientError> {
        c.delete_team(id).await
    }
}

impl Resource for Owners {
    type Fields = OwnerFields;
    type Filter = OwnerFilter;
    type Item = Owner;
    type Input = OwnerInput;
    const HELP: Help = Help::PLAIN;

    fn input(id: Option<String>, f: &OwnerFields) -> anyhow::Result<OwnerInput> {
        let mut b = Body::new(&f.file)?;
        b.set("id", id)
            .set("name", f.name.as_ref())
            .set("email", f.email.as_ref())
            .set("team_id", f.team.as_ref());
        b.typed()
    }
    async fn list(c: &Client, f: &OwnerFilter, p: PageRequest) -> Result<Page<Owner>, ClientError> {
        c.list_owners(f.team.as_deref(), p).await
    }
    async fn get(c: &Client, id: &str) -> Result<Owner, ClientError> {
        c.get_owner(id).await
    }
    async fn create(c: &Client, input: &OwnerInput) -> Result<Owner, ClientError> {
        c.create_owner(input).await
    }
    async fn update(c: &Client, id: &str, input: &OwnerInput) -> Result<Owner, ClientError> {
        c.update_owner(id, input).await
    }
    async fn delete(c: &Client, id: &str) -> Result<(), ClientError> {
        c.delete_owner(id).await
    }
}

impl Resource for RenewalPolicies {
    type Fields = RenewalPolicyFields;
    type Filter = NoFilter;
    type Item = RenewalPolicy;
    type Input = RenewalPolicyInput;
    const HELP: Help = Help::PLAIN;

    fn input(id: Option<String>, f: &RenewalPolicyFields) -> anyhow::Result<RenewalPolicyInput> {
        let mut b = Body::new(&f.file)?;
        b.set("id", id)
            .set("name", f.name.as_ref())
            .set("renewal_window_days", f.renewal_window_days)
            .set("auto_renew", f.auto_renew)
            .set("max_retries", f.max_retries)
            .set("retry_interval_seconds", f.retry_interval_seconds)
            .list("notification_channel_ids", &f.channel);
        if !f.alert_threshold.is_empty() {
            b.set("alert_thresholds_days", Some(&f.alert_threshold));
        }
        b.typed()
    }
    async fn list(
        c: &Client,
        _: &NoFilter,
        p: PageRequest,
    ) -> Result<Page<RenewalPolicy>, ClientError> {
        c.list_renewal_policies(p).await
    }
    async fn get(c: &Client, id: &str) -> Result<RenewalPolicy, ClientError> {
        c.get_renewal_policy(id).await
    }
    async fn create(c: &Client, input: &RenewalPolicyInput) -> Result<RenewalPolicy, ClientError> {
        c.create_renewal_policy(input).await
    }
    async fn update(
        c: &Client,
        id: &str,
        input: &RenewalPolicyInput,
    ) -> Result<RenewalPolicy, ClientError> {
        c.update_renewal_policy(id, input).await
    }
    async fn delete(c: &Client, id: &str) -> Result<(), ClientError> {
        c.delete_renewal_policy(id).await
    }
}
