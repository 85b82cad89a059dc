//! `certctl audit` (list, get, verify), `certctl notifications` (list, get, read) and
//! `certctl api-keys` (create, list, get, revoke).

use std::process::ExitCode;

use certctl::api::ApiKeyInput;
use certctl::client::Client;
use certctl::model::{AuditFilter, NotificationFilter, NotificationStatus, Timestamp};
use clap::Subcommand;

use crate::args::{self, FromFile, Id, Paging};
use crate::body::{self, Body};
use crate::error;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// List audit events, newest first
    List {
        /// Who acted (`admin`, an agent id, ...)
        #[arg(long)]
        actor: Option<String>,
        /// What was done (`certificate_created`, ...)
        #[arg(long)]
        action: Option<String>,
        /// Kind of resource (`certificate`, `team`, ...)
        #[arg(long)]
        resource_type: Option<String>,
        #[arg(long)]
        resource_id: Option<String>,
        /// Events at or after an RFC 3339 time
        #[arg(long, value_name = "TIME", value_parser = args::timestamp)]
        since: Option<Timestamp>,
        /// Events before an RFC 3339 time
        #[arg(long, value_name = "TIME", value_parser = args::timestamp)]
        until: Option<Timestamp>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one event
    Get(Id),
    /// Verify the hash chain (exit 1 when it is broken)
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum NotificationCmd {
    /// List notifications
    List {
        /// Pending, Recorded (inbox only, no channel), Sent, Failed or Dead (any case)
        #[arg(long)]
        status: Option<String>,
        #[arg(long, visible_alias = "certificate-id")]
        certificate: Option<String>,
        /// Unread ones only
        #[arg(long)]
        unread: bool,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one notification
    Get(Id),
    /// Mark a notification as read
    Read(Id),
    /// Send a notification's dead deliveries again
    Requeue(Id),
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCmd {
    /// Create a key; its secret is printed once
    Create {
        #[arg(long, required_unless_present = "from_file")]
        name: Option<String>,
        /// admin, operator or viewer
        #[arg(long, required_unless_present = "from_file")]
        role: Option<String>,
        #[command(flatten)]
        file: FromFile,
    },
    /// List keys (never their secrets)
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one key
    Get(Id),
    /// Revoke a key
    #[command(visible_alias = "delete")]
    Revoke(Id),
}

pub async fn run_audit(cmd: AuditCmd, client: &Client, out: &Out) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCmd::List { actor, action, resource_type, resource_id, since, until, paging } => {
            let filter = AuditFilter {
                actor,
                action,
                resource_type,
                resource_id,
                since,
                until,
                ..Default::default()
            };
            out.list(paging, |p| client.list_audit(&filter, p)).await?;
        }
        AuditCmd::Get(Id { id }) => out.one(&client.get_audit_event(&id).await?)?,
        AuditCmd::Verify => {
            let r = client.verify_audit().await?;
            out.one(&r)?;
            if !r.valid {
                match (&r.problem, &r.first_invalid_id) {
                    (Some(p), _) => eprintln!("error: the audit chain is broken: {p}"),
                    (None, first) => eprintln!(
                        "error: the audit chain is broken at {}",
                        first.as_ref().map_or("?".into(), ToString::to_string)
                    ),
                }
                return Ok(ExitCode::from(error::OTHER));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `dead` → `Dead`: statuses are capitalised on the wire.
fn capitalised(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut c = lower.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}

pub async fn run_notifications(
    cmd: NotificationCmd,
    client: &Client,
    out: &Out,
) -> anyhow::Result<()> {
    match cmd {
        NotificationCmd::List { status, certificate, unread, paging } => {
            let filter = NotificationFilter {
                status: body::parse_enum::<NotificationStatus>(
                    "status",
                    status.as_deref().map(capitalised).as_deref(),
                )?,
                certificate_id: certificate.as_deref().map(Into::into),
                unread,
            };
            out.list(paging, |p| client.list_notifications(&filter, p)).await
        }
        NotificationCmd::Get(Id { id }) => out.one(&client.get_notification(&id).await?),
        NotificationCmd::Read(Id { id }) => out.one(&client.mark_notification_read(&id).await?),
        NotificationCmd::Requeue(Id { id }) => out.one(&client.requeue_notification(&id).await?),
    }
}

pub async fn run_api_keys(cmd: ApiKeyCmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCmd::Create { name, role, file } => {
            let mut b = Body::new(&file)?;
            b.set("name", name).set("role", role);
            let input: ApiKeyInput = b.typed()?;
            out.one(&client.create_api_key(&input).await?)
        }
        ApiKeyCmd::List { paging } => out.list(paging, |p| client.list_api_keys(p)).await,
        ApiKeyCmd::Get(Id { id }) => out.one(&client.get_api_key(&id).await?),
        ApiKeyCmd::Revoke(Id { id }) => {
            client.revoke_api_key(&id).await?;
            out.done(&format!("revoked {id}"))
        }
    }
}
