//! Runs effects against the server with the typed client, in the background; every answer
//! comes back as a [`Msg`] on the channel. Nothing here touches the state.

use certctl::client::{Client, ClientError};
use certctl::model::{AgentFilter, AuditFilter, Job, JobFilter, JobType, PageRequest};
use tokio::sync::mpsc::UnboundedSender;

use crate::msg::{Action, AgentDetail, CertDetail, Data, Effect, Msg, Request};

/// Spawns the effect's call on the current runtime (quitting is the caller's business).
pub fn spawn(client: &Client, effect: Effect, tx: &UnboundedSender<Msg>) {
    let (client, tx) = (client.clone(), tx.clone());
    match effect {
        Effect::Load { slot, seq, req } => {
            tokio::spawn(async move {
                let result = fetch(&client, req).await.map_err(|e| e.to_string());
                let _ = tx.send(Msg::Loaded { slot, seq, result });
            });
        }
        Effect::Act(action) => {
            tokio::spawn(async move {
                let result = act(&client, &action).await;
                let forbidden = matches!(result, Err(ClientError::Api { status: 403, .. }));
                let _ = tx.send(Msg::Acted {
                    action,
                    result: result.map_err(|e| e.to_string()),
                    forbidden,
                });
            });
        }
        Effect::Quit => {}
    }
}

/// Performs one read.
pub async fn fetch(c: &Client, req: Request) -> Result<Data, ClientError> {
    Ok(match req {
        Request::Summary => Data::Summary(c.summary().await?),
        Request::Certs { filter, page, per_page } => {
            Data::Certs(c.list_certificates(&filter, PageRequest::new(page, per_page)).await?)
        }
        Request::CertDetail(id) => Data::CertDetail(Box::new(cert_detail(c, &id).await?)),
        Request::Agents { group, page, per_page } => {
            let filter =
                AgentFilter { group_id: group.as_deref().map(Into::into), ..Default::default() };
            let (agents, groups) = tokio::join!(
                c.list_agents(&filter, PageRequest::new(page, per_page)),
                c.list_agent_groups(PageRequest::new(1, 500))
            );
            Data::Agents { agents: agents?, groups: groups?.data }
        }
        Request::AgentDetail(id) => Data::AgentDetail(Box::new(agent_detail(c, &id).await?)),
        Request::Groups => Data::Groups(c.list_agent_groups(PageRequest::new(1, 500)).await?),
        Request::Members(id) => {
            Data::Members(c.agent_group_members(&id, PageRequest::new(1, 500)).await?)
        }
        Request::Jobs => {
            Data::Jobs(c.list_jobs(&JobFilter::default(), PageRequest::new(1, 200)).await?)
        }
        Request::Policies => Data::Policies(c.list_policies(PageRequest::new(1, 500)).await?),
        Request::Violations(id) => {
            Data::Violations(c.policy_violations(&id, true, PageRequest::new(1, 200)).await?)
        }
        Request::Audit(filter) => {
            Data::Audit(c.list_audit(&filter, PageRequest::new(1, 200)).await?)
        }
    })
}

async fn cert_detail(c: &Client, id: &str) -> Result<CertDetail, ClientError> {
    let jobs_filter = JobFilter { certificate_id: Some(id.into()), ..Default::default() };
    let audit_filter = AuditFilter { resource_id: Some(id.to_owned()), ..Default::default() };
    let (cert, versions, jobs, audit, violations) = tokio::join!(
        c.get_certificate(id),
        c.certificate_versions(id),
        c.list_jobs(&jobs_filter, PageRequest::new(1, 50)),
        c.list_audit(&audit_filter, PageRequest::new(1, 8)),
        c.certificate_violations(id, true, PageRequest::new(1, VIOLATIONS_PAGE)),
    );
    let (cert, jobs) = (cert?, jobs?.data);
    let mut targets = Vec::new();
    for t in &cert.target_ids {
        let target = c.get_target(t.as_str()).await?;
        targets.push((target, last_deployment(&jobs, t.as_str())));
    }
    // open violations, one page of them (a certificate with more says so in the pane)
    let violations = violations?;
    let violations_partial = violations.total > violations.data.len() as i64;
    let violations = violations.data;
    Ok(CertDetail {
        cert,
        versions: versions?.data,
        targets,
        jobs,
        violations,
        violations_partial,
        audit: audit?.data,
    })
}

/// Open violations read for the certificate detail (the server's largest page).
pub const VIOLATIONS_PAGE: u32 = certctl::model::MAX_PER_PAGE;

/// The status of the newest deployment job of a target (jobs come newest first).
fn last_deployment(jobs: &[Job], target: &str) -> Option<String> {
    jobs.iter()
        .find(|j| {
            j.job_type == JobType::Deployment
                && j.target_id.as_ref().map(|t| t.as_str()) == Some(target)
        })
        .map(|j| j.status.to_string())
}

async fn agent_detail(c: &Client, id: &str) -> Result<AgentDetail, ClientError> {
    let jobs_filter = JobFilter { agent_id: Some(id.into()), ..Default::default() };
    let (view, targets, jobs) = tokio::join!(
        c.get_agent(id),
        c.list_targets(Some(id), PageRequest::new(1, 500)),
        c.list_jobs(&jobs_filter, PageRequest::new(1, 200))
    );
    let view = view?;
    let mut certificates: Vec<String> = Vec::new();
    for j in jobs?.data {
        let cid = j.certificate_id.to_string();
        if !certificates.contains(&cid) {
            certificates.push(cid);
        }
    }
    Ok(AgentDetail {
        groups: view.groups.iter().map(|g| g.to_string()).collect(),
        agent: view.agent,
        targets: targets?.data,
        certificates,
    })
}

/// Performs one action; the text for the status bar.
pub async fn act(c: &Client, a: &Action) -> Result<String, ClientError> {
    Ok(match a {
        Action::Renew(id) => {
            let j = c.renew_certificate(id).await?;
            format!("renew {id}: job {} {}", j.id, j.status)
        }
        Action::Deploy(id) => {
            let jobs = c.deploy_certificate(id).await?;
            format!("deploy {id}: {} deployment job(s)", jobs.data.len())
        }
        Action::Archive(id) => {
            c.archive_certificate(id).await?;
            format!("archived {id}")
        }
        Action::Revoke(id, reason) => {
            let cert = c.revoke_certificate(id, Some(reason)).await?;
            format!("revoked {id} ({reason}): {}", cert.status)
        }
        Action::CancelJob(id) => format!("job {id}: {}", c.cancel_job(id).await?.status),
        Action::RetryJob(id) => format!("job {id}: {}", c.retry_job(id).await?.status),
        Action::ApproveAgent(id) => format!("agent {id}: {}", c.approve_agent(id).await?.status),
    })
}
