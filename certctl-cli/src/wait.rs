//! Following jobs until they end (`certs renew --wait`, `certs deploy --wait`, `jobs watch ID`):
//! a progress line on a terminal, the final jobs on stdout, exit code 0 only when all completed.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use certctl::client::Client;
use certctl::model::{Job, JobStatus, Page};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args;
use crate::error::{self, Failure};
use crate::output::Out;

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Follow the job(s) until they end; exit 0 only when all completed
    #[arg(long)]
    pub wait: bool,
    /// Poll interval while waiting
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = args::duration)]
    pub interval: Duration,
    /// Give up waiting after this long (exit 1; the jobs go on)
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = args::duration)]
    pub timeout: Duration,
}

/// One line about a job: `job-1 Renewal mc-a: AwaitingCSR (attempt 1/5)`.
pub fn describe(j: &Job) -> String {
    let mut s = format!(
        "{} {} {}: {} (attempt {}/{})",
        j.id, j.job_type, j.certificate_id, j.status, j.attempts, j.max_attempts
    );
    if let Some(e) = &j.last_error {
        s.push_str(" — ");
        s.push_str(e);
    }
    s
}

/// Polls every job until each is Completed, Failed or Cancelled, then prints them.
pub async fn follow(
    client: &Client,
    out: &Out,
    mut jobs: Vec<Job>,
    args: &WaitArgs,
) -> anyhow::Result<ExitCode> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let start = Instant::now();
    loop {
        let open: Vec<&Job> = jobs.iter().filter(|j| !j.status.is_terminal()).collect();
        if let Some(b) = &bar {
            let msg = open.first().map_or_else(String::new, |j| describe(j));
            let more =
                if open.len() > 1 { format!(" (+{} more)", open.len() - 1) } else { String::new() };
            b.set_message(format!("{msg}{more}"));
        }
        if open.is_empty() {
            break;
        }
        if start.elapsed() >= args.timeout {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            let ids: Vec<String> = open.iter().map(|j| j.id.to_string()).collect();
            return Err(Failure::failed(
                "timeout",
                format!("still running after {:?}: {}", args.timeout, ids.join(", ")),
            ));
        }
        tokio::time::sleep(args.interval).await;
        for j in jobs.iter_mut().filter(|j| !j.status.is_terminal()) {
            *j = client.get_job(j.id.as_str()).await?;
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let failed: Vec<&Job> = jobs.iter().filter(|j| j.status != JobStatus::Completed).collect();
    for j in &failed {
        eprintln!("{}", describe(j));
    }
    if jobs.len() == 1 && out.is_json() {
        out.one(&jobs[0])?;
    } else {
        let total = jobs.len() as i64;
        out.page(&Page { data: jobs.clone(), total, page: 1, per_page: total.max(1) as u32 })?;
    }
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(error::OTHER) })
}
