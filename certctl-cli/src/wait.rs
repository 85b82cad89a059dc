//! Following jobs until they end (`certs renew --wait`, `certs deploy --wait`, `jobs watch ID`):
//! a progress line on a terminal, the final jobs on stdout, each failed step's message on
//! stderr, exit code 0 only when all completed (7 when one failed or was cancelled). A renewal
//! is followed through the deployments it starts.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use certctl::client::Client;
use certctl::model::{Job, JobFilter, JobId, JobStatus, JobType, MAX_PER_PAGE, Page, PageRequest};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args;
use crate::error::{self, Failure};
use crate::output::Out;

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Follow the job(s) until they end (a renewal: through its deployments); exit 0 only when
    /// every step completed, 7 when one failed or was cancelled
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

/// Polls every job until each is Completed, Failed or Cancelled, then prints them. With
/// `chain`, an issuance or renewal that completes brings in the deployment jobs it started
/// (one per target), which are followed too: the command ends when the new certificate is
/// deployed everywhere or a step failed.
pub async fn follow(
    client: &Client,
    out: &Out,
    mut jobs: Vec<Job>,
    args: &WaitArgs,
    chain: bool,
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
    let mut chained: Vec<JobId> = Vec::new();
    loop {
        if chain {
            for j in jobs.clone() {
                let issues = matches!(j.job_type, JobType::Issuance | JobType::Renewal);
                if issues && j.status == JobStatus::Completed && !chained.contains(&j.id) {
                    chained.push(j.id.clone());
                    jobs.extend(deployments_after(client, &j).await?);
                }
            }
        }
        let open: Vec<&Job> = jobs.iter().filter(|j| !j.status.is_terminal()).collect();
        if let Some(b) = &bar {
            b.set_message(progress(&jobs));
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
        eprintln!("error: {}", certctl::text::visible(&describe(j)));
    }
    if jobs.len() == 1 && out.is_json() {
        out.one(&jobs[0])?;
    } else {
        let total = jobs.len() as i64;
        out.page(&Page { data: jobs.clone(), total, page: 1, per_page: total.max(1) as u32 })?;
    }
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(error::JOB_FAILED) })
}

/// The deployment jobs of the version an issuance or renewal produced (one per target; none
/// when the certificate has no target). By version, not by time: a deployment still open when
/// the new version came is moved to it rather than doubled.
async fn deployments_after(client: &Client, issued: &Job) -> anyhow::Result<Vec<Job>> {
    let cert = issued.certificate_id.as_str();
    let Some(version) = client.certificate_versions(cert).await?.data.into_iter().next() else {
        return Ok(Vec::new());
    };
    let filter = JobFilter {
        certificate_id: Some(issued.certificate_id.clone()),
        job_type: Some(JobType::Deployment),
        ..Default::default()
    };
    let page = client.list_jobs(&filter, PageRequest::new(1, MAX_PER_PAGE)).await?;
    Ok(page.data.into_iter().filter(|d| d.version_id.as_ref() == Some(&version.id)).collect())
}

/// The progress line: each step's state, the first open job in words.
fn progress(jobs: &[Job]) -> String {
    let done = jobs.iter().filter(|j| j.status.is_terminal()).count();
    let open = jobs.iter().find(|j| !j.status.is_terminal());
    let now = open.map_or_else(String::new, |j| format!(" · {}", describe(j)));
    certctl::text::visible(&format!("{done}/{} steps done{now}", jobs.len())).into_owned()
}
