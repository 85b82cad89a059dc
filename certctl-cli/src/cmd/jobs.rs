//! `certctl jobs`: list, get, cancel, retry, and `watch` (poll and print every change).

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use certctl::client::Client;
use certctl::model::{Job, JobFilter, JobStatus, JobType, PageRequest};
use clap::{Args, Subcommand};

use crate::args::{self, Id, Paging};
use crate::body;
use crate::output::Out;
use crate::wait::{self, WaitArgs};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List jobs, newest first
    List {
        #[command(flatten)]
        filter: Filter,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one job
    Get(Id),
    /// Cancel a job
    Cancel(Id),
    /// Retry a failed or cancelled job
    Retry(Id),
    /// Print jobs as they change: with ids, until those end (exit 0 only when all completed);
    /// without, every change of the newest jobs matching the filter until interrupted or --for
    Watch(Watch),
}

#[derive(Debug, Args)]
pub struct Filter {
    /// Pending, AwaitingCSR, Running, Completed, Failed or Cancelled
    #[arg(long)]
    status: Option<String>,
    /// Issuance, Renewal, Deployment or Validation
    #[arg(long = "type")]
    job_type: Option<String>,
    #[arg(long, visible_alias = "certificate-id")]
    certificate: Option<String>,
    #[arg(long, visible_alias = "agent-id")]
    agent: Option<String>,
}

#[derive(Debug, Args)]
pub struct Watch {
    /// Jobs to follow until they end
    ids: Vec<String>,
    #[command(flatten)]
    filter: Filter,
    /// Poll interval
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = args::duration)]
    interval: Duration,
    /// Stop watching the list after this long (exit 0)
    #[arg(long = "for", value_name = "DURATION", value_parser = args::duration)]
    for_: Option<Duration>,
}

impl Filter {
    fn typed(&self) -> anyhow::Result<JobFilter> {
        Ok(JobFilter {
            status: body::parse_enum::<JobStatus>("status", self.status.as_deref())?,
            job_type: body::parse_enum::<JobType>("type", self.job_type.as_deref())?,
            certificate_id: self.certificate.as_deref().map(Into::into),
            agent_id: self.agent.as_deref().map(Into::into),
        })
    }
}

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::List { filter, paging } => {
            let f = filter.typed()?;
            out.list(paging, |p| client.list_jobs(&f, p)).await?;
        }
        Cmd::Get(Id { id }) => out.one(&client.get_job(&id).await?)?,
        Cmd::Cancel(Id { id }) => out.one(&client.cancel_job(&id).await?)?,
        Cmd::Retry(Id { id }) => out.one(&client.retry_job(&id).await?)?,
        Cmd::Watch(w) if !w.ids.is_empty() => {
            let mut jobs = Vec::new();
            for id in &w.ids {
                jobs.push(client.get_job(id).await?);
            }
            let args = WaitArgs {
                wait: true,
                interval: w.interval,
                timeout: w.for_.unwrap_or(Duration::MAX),
            };
            return wait::follow(client, out, jobs, &args, false).await;
        }
        Cmd::Watch(w) => watch(client, out, &w).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Polls the newest 100 jobs and prints each new job or status change: one JSON object per
/// line with `-o json`, else one line of text.
async fn watch(client: &Client, out: &Out, w: &Watch) -> anyhow::Result<()> {
    let filter = w.filter.typed()?;
    let start = Instant::now();
    let mut seen: HashMap<String, (JobStatus, i64)> = HashMap::new();
    loop {
        let page = client.list_jobs(&filter, PageRequest::new(1, 100)).await?;
        for j in page.data.iter().rev() {
            let state = (j.status, j.attempts);
            if seen.get(j.id.as_str()) != Some(&state) {
                seen.insert(j.id.to_string(), state);
                print_change(out, j)?;
            }
        }
        if w.for_.is_some_and(|d| start.elapsed() >= d) {
            return Ok(());
        }
        tokio::time::sleep(w.interval).await;
    }
}

fn print_change(out: &Out, j: &Job) -> anyhow::Result<()> {
    let line = if out.is_json() {
        serde_json::to_string(j)?
    } else {
        format!("{} {}", j.updated_at.to_rfc3339(), wait::describe(j))
    };
    out.text(&format!("{line}\n"))
}
