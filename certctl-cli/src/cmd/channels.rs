//! `certctl channels` (alias `notification-channels`): list, get, create, update, delete, test.
//! Secrets (SMTP password, webhook secret, Slack/Teams URL) are sent, never shown back.

use certctl::api::ChannelInput;
use certctl::client::{Client, ClientError};
use certctl::model::{NotificationChannel, Page, PageRequest};
use clap::{Args, Subcommand};

use super::crud::{Crud, Help, NoFilter, Resource};
use crate::args::{FromFile, Id};
use crate::body::Body;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    #[command(flatten)]
    Crud(Crud<Channels>),
    /// Send a test message through the channel (exit 1 when it cannot be delivered)
    Test(Id),
}

#[derive(Debug)]
pub struct Channels;

#[derive(Debug, Args)]
pub struct Fields {
    #[arg(long)]
    name: Option<String>,
    /// email, webhook, slack or teams
    #[arg(long = "type")]
    kind: Option<String>,
    /// The connector's configuration as JSON
    #[arg(long, value_name = "JSON")]
    config: Option<String>,
    /// Event kinds to receive (repeat; none: all): expiry_threshold, certificate_expired, renewal_failed,
    /// issuance_failed, deployment_failed, agent_offline, policy_violation
    #[arg(long = "event", value_name = "KIND")]
    events: Vec<String>,
    /// Lowest severity sent here: info, warning or critical
    #[arg(long, value_name = "SEVERITY")]
    min_severity: Option<String>,
    /// true or false
    #[arg(long, value_name = "BOOL")]
    enabled: Option<bool>,
    #[command(flatten)]
    file: FromFile,
}

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Cmd::Crud(c) => c.run(client, out).await,
        Cmd::Test(Id { id }) => {
            let r = client.test_channel(&id).await?;
            out.one(&r)?;
            if r.ok {
                Ok(())
            } else {
                Err(crate::error::Failure::failed(
                    "channel_test_failed",
                    format!("{id}: {}", r.message),
                ))
            }
        }
    }
}

impl Resource for Channels {
    type Fields = Fields;
    type Filter = NoFilter;
    type Item = NotificationChannel;
    type Input = ChannelInput;
    const HELP: Help = Help {
        list: "List notification channels",
        get: "Show one channel (secrets appear as `<key>_set: true`)",
        create: "Create a channel",
        create_long: Some(
            "Create a channel\n\nConfigs: email `{\"host\", \"port\", \"tls\": \"none|starttls|tls\", \
             \"username\", \"password\", \"from\", \"to\": [...], \"tls_ca_pem\"}`; webhook `{\"url\", \
             \"secret\"}` (16+ characters; requests carry `X-Certctl-Timestamp` and \
             `X-Certctl-Signature: sha256=<HMAC of \"<timestamp>.<body>\">`); slack and teams \
             `{\"webhook_url\"}`.",
        ),
        id: "Id to give it (`nc-...`; generated when absent)",
        update: "Change a channel; only the given fields change, and secrets left out of a new \
                 --config keep their value",
        delete: "Delete a channel (refused while a renewal policy routes to it)",
    };

    fn input(id: Option<String>, f: &Fields) -> anyhow::Result<ChannelInput> {
        let mut b = Body::new(&f.file)?;
        b.set("id", id)
            .set("name", f.name.as_ref())
            .set("type", f.kind.as_ref())
            .set("enabled", f.enabled);
        b.set("min_severity", f.min_severity.as_ref()).list("events", &f.events);
        b.json("config", f.config.as_deref())?;
        b.typed()
    }
    async fn list(
        c: &Client,
        _: &NoFilter,
        p: PageRequest,
    ) -> Result<Page<NotificationChannel>, ClientError> {
        c.list_channels(p).await
    }
    async fn get(c: &Client, id: &str) -> Result<NotificationChannel, ClientError> {
        c.get_channel(id).await
    }
    async fn create(c: &Client, input: &ChannelInput) -> Result<NotificationChannel, ClientError> {
        c.create_channel(input).await
    }
    async fn update(
        c: &Client,
        id: &str,
        input: &ChannelInput,
    ) -> Result<NotificationChannel, ClientError> {
        c.update_channel(id, input).await
    }
    async fn delete(c: &Client, id: &str) -> Result<(), ClientError> {
        c.delete_channel(id).await
    }
}
