//! The scheduler loops: renewal checker, job processor, audit checkpoint (on the job
//! processor's interval), agent health, notification processor. Each ticks on its own interval (missed ticks are skipped, not bunched), does one
//! pass of library work, and stops when shutdown is signalled.

use std::future::Future;
use std::time::Duration;

use certctl::model::Timestamp;
use certctl::service::Service;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::config::Intervals;

/// Starts the loops; they end when `stop` turns true.
pub fn spawn(
    svc: Service,
    every: Intervals,
    offline_after: Duration,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let s1 = svc.clone();
    let s2 = svc.clone();
    let s3 = svc.clone();
    let s4 = svc.clone();
    vec![
        tokio::spawn(run(
            svc.clone(),
            "renewal checker",
            every.renewal_check,
            stop.clone(),
            move || {
                let s = s1.clone();
                async move {
                    let r = s.check_renewals(Timestamp::now()).await?;
                    if r.jobs_started + r.marked_expired + r.marked_expiring + r.alerts > 0
                        || !r.not_started.is_empty()
                    {
                        tracing::info!(
                            jobs = r.jobs_started,
                            expiring = r.marked_expiring,
                            expired = r.marked_expired,
                            alerts = r.alerts,
                            blocked = r.not_started.len(),
                            "renewal check"
                        );
                    }
                    if r.violations.opened + r.violations.resolved > 0 {
                        tracing::info!(
                            checked = r.violations.checked,
                            opened = r.violations.opened,
                            resolved = r.violations.resolved,
                            "policy violations re-evaluated"
                        );
                    }
                    for (id, why) in &r.not_started {
                        tracing::warn!(certificate = %id, "renewal due but not started: {why}");
                    }
                    Ok(())
                }
            },
        )),
        tokio::spawn(run(
            svc.clone(),
            "job processor",
            every.job_processor,
            stop.clone(),
            move || {
                let s = s2.clone();
                async move { s.process_jobs(Timestamp::now()).await.map(|_| ()) }
            },
        )),
        tokio::spawn(run(
            svc.clone(),
            "audit checkpoint",
            every.job_processor,
            stop.clone(),
            move || {
                let s = s4.clone();
                async move { s.audit_checkpoint_if_due(Timestamp::now()).await.map(|_| ()) }
            },
        )),
        tokio::spawn(run(
            svc.clone(),
            "agent health",
            every.agent_health,
            stop.clone(),
            move || {
                let s = s3.clone();
                async move {
                    for id in s.check_agents(Timestamp::now(), offline_after).await? {
                        tracing::warn!(agent = %id, "agent offline: no heartbeat for {}s", offline_after.as_secs());
                    }
                    Ok(())
                }
            },
        )),
        tokio::spawn(run(
            svc.clone(),
            "notification processor",
            every.notification,
            stop,
            move || {
                let s = svc.clone();
                async move { s.deliver_notifications(Timestamp::now()).await.map(|_| ()) }
            },
        )),
    ]
}

async fn run<F, Fut>(
    svc: Service,
    name: &'static str,
    every: Duration,
    mut stop: watch::Receiver<bool>,
    pass: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = certctl::Result<()>>,
{
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                // one replica at a time runs each loop (PostgreSQL advisory lock)
                match svc.try_lead(name).await {
                    Ok(Some(lock)) => {
                        if let Err(e) = pass().await {
                            tracing::error!(loop_name = name, error = %e, "scheduler pass failed");
                        }
                        drop(lock);
                    }
                    Ok(None) => tracing::debug!(loop_name = name, "another replica holds this loop"),
                    Err(e) => tracing::error!(loop_name = name, error = %e, "cannot take the loop lock"),
                }
            }
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
    tracing::debug!(loop_name = name, "stopped");
}
