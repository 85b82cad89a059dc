//! The scheduler loops: renewal checker, job processor, audit checkpoint (on the job
//! processor's interval), agent health, notification processor. Each ticks on its own interval (missed ticks are skipped, not bunched), does one
//! pass of library work, and stops when shutdown is signalled.

use std::future::Future;
use std::sync::Arc;
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
    // blocked renewals already warned about: each is logged when it becomes blocked (or its
    // reason changes), not on every pass (the "renewal check" line counts them)
    let blocked = Arc::new(std::sync::Mutex::new(Blocked::default()));
    vec![
        tokio::spawn(run(
            svc.clone(),
            "renewal checker",
            every.renewal_check,
            stop.clone(),
            move || {
                let s = s1.clone();
                let blocked = blocked.clone();
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
                    let new =
                        blocked.lock().map(|mut b| b.update(&r.not_started)).unwrap_or_default();
                    for (id, why) in new {
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

/// Renewals that are due but could not start, by certificate, as last reported.
#[derive(Debug, Default)]
struct Blocked(std::collections::HashMap<String, String>);

impl Blocked {
    /// Takes one pass's blocked renewals; returns those to warn about: new ones and ones whose
    /// reason changed. Certificates no longer blocked are forgotten (warned again if they are
    /// blocked again later).
    fn update(&mut self, now: &[(certctl::model::CertificateId, String)]) -> Vec<(String, String)> {
        let mut next = std::collections::HashMap::with_capacity(now.len());
        let mut new = Vec::new();
        for (id, why) in now {
            let id = id.to_string();
            if self.0.get(&id) != Some(why) {
                new.push((id.clone(), why.clone()));
            }
            next.insert(id, why.clone());
        }
        self.0 = next;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::Blocked;

    #[test]
    fn a_blocked_renewal_is_warned_about_once_per_change() {
        let mut b = Blocked::default();
        let r = |pairs: &[(&str, &str)]| -> Vec<(certctl::model::CertificateId, String)> {
            pairs.iter().map(|(i, w)| ((*i).into(), (*w).to_owned())).collect()
        };
        let pass = r(&[("mc-a", "no target"), ("mc-b", "no target")]);
        assert_eq!(b.update(&pass).len(), 2);
        assert!(b.update(&pass).is_empty(), "the same pass again: nothing new");
        let changed = r(&[("mc-a", "issuer disabled"), ("mc-b", "no target")]);
        assert_eq!(b.update(&changed), [("mc-a".to_owned(), "issuer disabled".to_owned())]);
        assert!(b.update(&r(&[("mc-b", "no target")])).is_empty(), "mc-a unblocked");
        assert_eq!(b.update(&changed).len(), 1, "mc-a blocked again: warned again");
    }
}
