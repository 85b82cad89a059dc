//! `certctl channels` (alias `notification-channels`): list, get, create, update, delete, test.
//! Secrets (SMTP password, webhook secret, Slack/Teams URL) are sent, never shown back.

use certctl::api::ChannelInput;
use certctl::client::Client;
use clap::{Args, Subcommand};

use crate::args::{FromFile, Id, Paging};
use crate::body::Body;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List notification channels
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one channel (secrets appear as `<key>_set: true`)
    Get(Id),
    /// Create a channel
    ///
    /// Configs: email `{"host", "port", "tls": "none|starttls|tls", "username", "password",
    /// "from", "to": [...], "tls_ca_pem"}`; webhook `{"url", "secret"}` (16+ characters; requests
    /// carry `X-Certctl-Timestamp` and `X-Certctl-Signature: sha256=<HMAC of "<timestamp>.<body>">`);
    /// slack and teams `{"webhook_url"}`.
    Create {
        /// Id to give it (`nc-...`; generated when absent)
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Change a channel; only the given fields change, and secrets left out of a new --config keep their value
    Update {
        id: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete a channel (refused while a renewal policy routes to it)
    Delete(Id),
    /// Send a test message through the channel (exit 1 when it cannot be delivered)
    Test(Id),
}

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

impl Fields {
    fn input(&self, id: Option<&String>) -> anyhow::Result<ChannelInput> {
        let mut b = Body::new(&self.file)?;
        b.set("id", id)
            .set("name", self.name.as_ref())
            .set("type", self.kind.as_ref())
            .set("enabled", self.enabled);
        b.set("min_severity", self.min_severity.as_ref()).list("events", &self.events);
        b.json("config", self.config.as_deref())?;
        b.typed()
    }
}

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Cmd::List { paging } => out.list(paging, |p| client.list_channels(p)).await,
        Cmd::Get(Id { id }) => out.one(&client.get_channel(&id).await?),
        Cmd::Create { id, fields } => {
            out.one(&client.create_channel(&fields.input(id.as_ref())?).await?)
        }
        Cmd::Update { id, fields } => {
            out.one(&client.update_channel(&id, &fields.input(None)?).await?)
        }
        Cmd::Delete(Id { id }) => {
            client.delete_channel(&id).await?;
            out.done(&format!("deleted {id}"))
        }
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
