//! `certctl certs`: list, get, create, update, archive, renew, deploy, revoke, versions,
//! export, export-key.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use certctl::api::{CertificateInput, CertificatePatch};
use certctl::client::Client;
use certctl::model::{
    Certificate, CertificateFilter, CertificateId, CertificateSort, CertificateStatus, Timestamp,
};
use clap::{Args, Subcommand};

use crate::args::{self, FromFile, Id, Paging};
use crate::body::{self, Body};
use crate::output::Out;
use crate::wait::{self, WaitArgs};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List certificates (archived ones only with --status Archived or --include-archived)
    List(ListArgs),
    /// Show one certificate
    Get(Id),
    /// Record a certificate (issue it with `certs renew`); with --group, a fleet certificate
    /// whose children are created and issued for every member agent
    Create(CreateArgs),
    /// Change a certificate; only the given fields change (lists and tags are replaced)
    Update(UpdateArgs),
    /// Archive a certificate (certificates are never deleted)
    #[command(visible_alias = "delete")]
    Archive(Id),
    /// Start issuance or renewal (idempotent); --wait follows the job
    Renew(Action),
    /// Deploy the current version to every target; --wait follows the jobs
    Deploy(Action),
    /// Revoke the current version
    Revoke {
        id: String,
        /// RFC 5280 reason in camelCase: keyCompromise, superseded, cessationOfOperation, ...
        #[arg(long)]
        reason: Option<String>,
    },
    /// List the issued versions, newest first
    Versions(Id),
    /// Policy violations of a certificate (open and resolved)
    Violations {
        id: String,
        /// Unresolved ones only
        #[arg(long)]
        open: bool,
        #[command(flatten)]
        paging: Paging,
    },
    /// Print the current PEM chain (leaf first)
    Export(Export),
    /// Print the server-held private key (server keygen demo mode only; admin; audited)
    ExportKey(Export),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Pending, Active, Expiring, Expired, RenewalInProgress, Failed, Revoked or Archived
    #[arg(long)]
    status: Option<String>,
    #[arg(long, visible_alias = "env")]
    environment: Option<String>,
    #[arg(long, visible_alias = "owner-id")]
    owner: Option<String>,
    #[arg(long, visible_alias = "team-id")]
    team: Option<String>,
    #[arg(long, visible_alias = "issuer-id")]
    issuer: Option<String>,
    #[arg(long, visible_alias = "renewal-policy-id")]
    renewal_policy: Option<String>,
    /// Expiring within a duration from now and not expired yet (as the summary counts them):
    /// 7d, 30d, 12h, 2w
    #[arg(long, value_name = "DURATION", value_parser = args::duration, conflicts_with = "expires_before")]
    expiring_within: Option<Duration>,
    /// Expiring before an RFC 3339 time
    #[arg(long, value_name = "TIME", value_parser = args::timestamp)]
    expires_before: Option<Timestamp>,
    /// Expiring after an RFC 3339 time
    #[arg(long, value_name = "TIME", value_parser = args::timestamp)]
    expires_after: Option<Timestamp>,
    /// Order of the whole list, sorted by the server: common_name, status, expires_at, name,
    /// created_at; a leading - reverses (-expires_at: latest expiry first)
    #[arg(long, value_name = "KEY", allow_hyphen_values = true, value_parser = |s: &str| s.parse::<CertificateSort>())]
    sort: Option<CertificateSort>,
    /// Search names, common names and SANs
    #[arg(long, visible_alias = "search")]
    q: Option<String>,
    /// Tag KEY=VALUE (repeatable; all must match)
    #[arg(long, value_name = "KEY=VALUE", value_parser = args::key_value)]
    tag: Vec<(String, String)>,
    /// Include archived certificates
    #[arg(long)]
    include_archived: bool,
    /// Children of this fleet certificate
    #[arg(long, value_name = "ID", visible_alias = "parent-id")]
    parent: Option<String>,
    /// Fleet certificates bound to this agent group
    #[arg(long, value_name = "GROUP", visible_alias = "agent-group-id")]
    group: Option<String>,
    #[command(flatten)]
    paging: Paging,
}

/// Fields of create and update.
#[derive(Debug, Args)]
pub struct Fields {
    /// Display name (defaults to the common name)
    #[arg(long)]
    name: Option<String>,
    /// Subject alternative name (repeatable)
    #[arg(long, value_name = "NAME")]
    san: Vec<String>,
    #[arg(long, visible_alias = "env")]
    environment: Option<String>,
    #[arg(long, visible_alias = "owner-id")]
    owner: Option<String>,
    #[arg(long, visible_alias = "team-id")]
    team: Option<String>,
    /// Issuer (default iss-local)
    #[arg(long, visible_alias = "issuer-id")]
    issuer: Option<String>,
    /// Renewal policy (default rp-default)
    #[arg(long, visible_alias = "renewal-policy-id")]
    renewal_policy: Option<String>,
    /// Deployment target (repeatable)
    #[arg(long, visible_alias = "target-id", value_name = "ID")]
    target: Vec<String>,
    /// Tag KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = args::key_value)]
    tag: Vec<(String, String)>,
    /// Fleet certificate: every member of this agent group gets its own child certificate
    /// ({hostname}, {agent_id}, {agent_name} are expanded in --cn and --san); needs --target-template
    #[arg(long, value_name = "GROUP", visible_alias = "agent-group-id")]
    group: Option<String>,
    /// Fleet certificate: the target each child gets on its agent, as JSON or a JSON file:
    /// {"type": "file", "name": "...", "config": {"cert_path": "/etc/ssl/certctl/{agent_name}.pem", ...}}
    #[arg(long, value_name = "FILE.json|JSON")]
    target_template: Option<String>,
    #[command(flatten)]
    file: FromFile,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Id to give it (`mc-...`; generated when absent)
    #[arg(long)]
    id: Option<String>,
    /// Common name
    #[arg(long, visible_alias = "common-name", required_unless_present = "from_file")]
    cn: Option<String>,
    #[command(flatten)]
    fields: Fields,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    id: String,
    /// Common name
    #[arg(long, visible_alias = "common-name")]
    cn: Option<String>,
    #[command(flatten)]
    fields: Fields,
}

#[derive(Debug, Args)]
pub struct Action {
    id: String,
    #[command(flatten)]
    wait: WaitArgs,
}

#[derive(Debug, Args)]
pub struct Export {
    id: String,
    /// Write to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

impl Fields {
    fn body(&self, cn: Option<&String>) -> anyhow::Result<Body> {
        let mut b = Body::new(&self.file)?;
        b.set("common_name", cn)
            .set("name", self.name.as_ref())
            .list("sans", &self.san)
            .set("environment", self.environment.as_ref())
            .set("owner_id", self.owner.as_ref())
            .set("team_id", self.team.as_ref())
            .set("issuer_id", self.issuer.as_ref())
            .set("renewal_policy_id", self.renewal_policy.as_ref())
            .list("target_ids", &self.target)
            .pairs("tags", &self.tag)
            .set("agent_group_id", self.group.as_ref());
        if let Some(t) = &self.target_template {
            let text = if t.trim_start().starts_with('{') {
                t.clone()
            } else {
                std::fs::read_to_string(t)
                    .with_context(|| format!("--target-template: reading {t}"))?
            };
            b.json("target_template", Some(&text))?;
        }
        Ok(b)
    }
}

impl ListArgs {
    fn filter(&self) -> anyhow::Result<CertificateFilter> {
        let status = body::parse_enum::<CertificateStatus>("status", self.status.as_deref())?;
        // --expiring-within D: from now (unless --expires-after says otherwise) to now + D, so
        // an expired certificate is not "expiring" here either (the summary's and console's rule)
        let now = Timestamp::now();
        let (expires_before, expires_after) = match self.expiring_within {
            Some(d) => (
                Some(now.plus(time::Duration::try_from(d).context("--expiring-within")?)),
                Some(self.expires_after.unwrap_or(now)),
            ),
            None => (self.expires_before, self.expires_after),
        };
        Ok(CertificateFilter {
            status,
            environment: self.environment.clone(),
            owner_id: self.owner.as_deref().map(Into::into),
            team_id: self.team.as_deref().map(Into::into),
            issuer_id: self.issuer.as_deref().map(Into::into),
            renewal_policy_id: self.renewal_policy.as_deref().map(Into::into),
            expires_before,
            expires_after,
            q: self.q.clone(),
            tags: self.tag.clone(),
            exclude_archived: !self.include_archived,
            parent_id: self.parent.as_deref().map(Into::into),
            agent_group_id: self.group.as_deref().map(Into::into),
            sort: self.sort,
            ..Default::default()
        })
    }
}

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::List(a) => {
            let filter = a.filter()?;
            out.list_after(
                a.paging,
                |c: &Certificate| c.id.to_string(),
                |p, after| {
                    let filter = CertificateFilter {
                        after: after.map(CertificateId::from_trusted),
                        ..filter.clone()
                    };
                    async move { client.list_certificates(&filter, p).await }
                },
            )
            .await?;
        }
        Cmd::Get(Id { id }) => out.one(&client.get_certificate(&id).await?)?,
        Cmd::Create(a) => {
            let input: CertificateInput =
                a.fields.body(a.cn.as_ref())?.set("id", a.id.as_ref()).typed()?;
            out.one(&client.create_certificate(&input).await?)?;
        }
        Cmd::Update(a) => {
            let patch: CertificatePatch = a.fields.body(a.cn.as_ref())?.typed()?;
            out.one(&client.update_certificate(&a.id, &patch).await?)?;
        }
        Cmd::Archive(Id { id }) => {
            client.archive_certificate(&id).await?;
            out.done(&format!("archived {id}"))?;
        }
        Cmd::Renew(a) => {
            let job = client.renew_certificate(&a.id).await?;
            if a.wait.wait {
                return wait::follow(client, out, vec![job], &a.wait, true).await;
            }
            out.one(&job)?;
        }
        Cmd::Deploy(a) => {
            let jobs = client.deploy_certificate(&a.id).await?;
            if a.wait.wait {
                return wait::follow(client, out, jobs.data, &a.wait, false).await;
            }
            out.page(&jobs)?;
        }
        Cmd::Revoke { id, reason } => {
            out.one(&client.revoke_certificate(&id, reason.as_deref()).await?)?
        }
        Cmd::Versions(Id { id }) => out.page(&client.certificate_versions(&id).await?)?,
        Cmd::Violations { id, open, paging } => {
            out.list(paging, |p| client.certificate_violations(&id, open, p)).await?
        }
        Cmd::Export(e) => write_pem(out, &e, client.export_certificate(&e.id).await?)?,
        Cmd::ExportKey(e) => write_pem(out, &e, client.export_certificate_key(&e.id).await?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn write_pem(out: &Out, e: &Export, pem: String) -> anyhow::Result<()> {
    match &e.out {
        None => out.text(&pem),
        Some(path) => {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(path).with_context(|| format!("writing {}", path.display()))?;
            std::io::Write::write_all(&mut f, pem.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            out.done(&format!("wrote {}", path.display()))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;

    use super::ListArgs;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        list: ListArgs,
    }

    #[test]
    fn expiring_within_leaves_out_what_has_expired() {
        let f =
            T::try_parse_from(["t", "--expiring-within", "30d"]).unwrap().list.filter().unwrap();
        let (after, before) = (f.expires_after.unwrap(), f.expires_before.unwrap());
        assert_eq!(before.unix_millis() - after.unix_millis(), 30 * 86_400_000);
        let f = T::try_parse_from(["t", "--expires-before", "2030-01-01T00:00:00Z"])
            .unwrap()
            .list
            .filter()
            .unwrap();
        assert_eq!(f.expires_after, None, "an explicit range is taken as given");
    }
}
