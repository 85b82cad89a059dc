//! Notification events and their delivery: events are routed to channels when recorded (the
//! certificate's renewal policy's `notification_channel_ids`, or the global default set, narrowed
//! by each channel's event kinds and minimum severity); the notification processor sends due
//! deliveries concurrently, with a bounded time per send, exponential backoff and a dead state.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;

use super::{Actor, Service};
use crate::error::{Error, Result};
use crate::model::*;
use crate::notify::{self, Message, Notifier, NotifyContext};

/// Deliveries fetched per round of a pass.
const BATCH: i64 = 1000;
/// Rounds per pass (a pass ends earlier when nothing is due).
const MAX_ROUNDS: usize = 100;
/// Transient failures of one channel after which the rest of its deliveries wait for a later pass.
const CHANNEL_FAILURES_BEFORE_DEFER: usize = 3;
/// Longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Delivery settings (server flags and env, see the server's `--help`).
#[derive(Clone, Debug)]
pub struct NotifySettings {
    /// Channels of events whose renewal policy names none, and of events without a certificate
    /// (agent offline) — `CERTCTL_NOTIFICATION_DEFAULT_CHANNELS`.
    pub default_channel_ids: Vec<ChannelId>,
    /// Base URL of the server for links in messages (`CERTCTL_PUBLIC_URL`).
    pub public_url: Option<String>,
    /// Attempts per delivery before it is Dead.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt (at most 1 h).
    pub retry_base: Duration,
    /// Bound on one send (connect + answer).
    pub send_timeout: Duration,
    /// Sends in flight per channel.
    pub per_channel_concurrency: usize,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            default_channel_ids: Vec::new(),
            public_url: None,
            max_attempts: 5,
            retry_base: Duration::from_secs(30),
            send_timeout: Duration::from_secs(10),
            per_channel_concurrency: 16,
        }
    }
}

/// An event to record and route.
#[derive(Debug)]
pub(crate) struct EventDraft<'a> {
    pub kind: EventKind,
    pub severity: NotifySeverity,
    pub certificate: Option<&'a Certificate>,
    pub message: String,
    /// Facts besides the certificate (`days_left`, `expires_at`, `error`, `target_id`, ...).
    pub details: serde_json::Value,
    pub dedup_key: Option<String>,
}

/// What one notification pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub dead: usize,
    pub deferred: usize,
}

impl Service {
    /// The HTTP client and timeouts the connectors share (built once).
    pub(crate) fn notify_context(&self) -> Result<&NotifyContext> {
        if let Some(c) = self.notify_ctx.get() {
            return Ok(c);
        }
        let c =
            NotifyContext::new(self.config().notify.send_timeout, self.config().outbound.clone())?;
        Ok(self.notify_ctx.get_or_init(|| c))
    }

    /// Records an event (once per `dedup_key`) with a delivery for each routed channel.
    /// Returns whether it was new.
    pub(crate) async fn record_event(&self, ev: EventDraft<'_>, now: Timestamp) -> Result<bool> {
        let mut details = match ev.details {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let mut recipient = String::new();
        let mut policy_channels = Vec::new();
        if let Some(c) = ev.certificate {
            details.insert(
                "certificate".into(),
                serde_json::json!({"id": c.id, "name": c.name, "common_name": c.common_name}),
            );
            if let Some(o) = &c.owner_id {
                recipient = self.store().get_owner(o).await.map(|o| o.email).unwrap_or_default();
            }
            if let Ok(p) = self.renewal_policy_of(&c.renewal_policy_id).await {
                policy_channels = p.notification_channel_ids;
            }
        }
        let wanted = if policy_channels.is_empty() {
            self.config().notify.default_channel_ids.clone()
        } else {
            policy_channels
        };
        let mut channels = Vec::new();
        for id in wanted {
            match self.store().get_channel(&id).await {
                Ok(ch) if ch.accepts(ev.kind, ev.severity) => channels.push(ch.id),
                Ok(_) => {}
                Err(Error::NotFound { .. }) => {
                    tracing::warn!(channel = %id, "a routed notification channel does not exist")
                }
                Err(e) => return Err(e),
            }
        }
        let n = Notification {
            id: NotificationId::generate(),
            kind: ev.kind.as_str().to_owned(),
            certificate_id: ev.certificate.map(|c| c.id.clone()),
            channel: "inbox".into(),
            recipient,
            message: ev.message,
            status: NotificationStatus::Pending,
            created_at: now,
            sent_at: None,
            read_at: None,
            dedup_key: ev.dedup_key,
            severity: ev.severity,
            details: serde_json::Value::Object(details),
            deliveries: Vec::new(),
        };
        Ok(self.store().create_routed_notification(&n, &channels).await?.is_some())
    }

    /// [`record_event`](Self::record_event) for side effects of another operation: a failure
    /// is logged, never returned (the operation itself succeeded).
    pub(crate) async fn record_event_logged(&self, ev: EventDraft<'_>, now: Timestamp) {
        let kind = ev.kind;
        if let Err(e) = self.record_event(ev, now).await {
            tracing::error!(event = %kind, error = %e, "could not record a notification event");
        }
    }

    /// The event of a job that ended Failed: issuance/renewal failed (with the error after its
    /// retries), deployment failed (target and failed step). Logged, never returned.
    pub(crate) async fn record_job_failure(
        &self,
        job: &Job,
        cert: Option<&Certificate>,
        now: Timestamp,
    ) {
        let fetched;
        let cert = match cert {
            Some(c) => c,
            None => match self.store().get_certificate(&job.certificate_id).await {
                Ok(c) => {
                    fetched = c;
                    &fetched
                }
                Err(e) => {
                    return tracing::error!(job = %job.id, error = %e, "no notification for a failed job: certificate unreadable");
                }
            },
        };
        let error = job.last_error.clone().unwrap_or_else(|| "failed".into());
        let (kind, severity, message, details) = match job.job_type {
            JobType::Deployment => {
                let target = job.target_id.as_ref().map_or("(none)".to_owned(), |t| t.to_string());
                let step: String =
                    error.lines().next().unwrap_or_default().chars().take(200).collect();
                let message = format!(
                    "deployment of {} ({}) to target {target} failed: {step}",
                    cert.common_name, cert.id
                );
                (
                    EventKind::DeploymentFailed,
                    NotifySeverity::Warning,
                    message,
                    serde_json::json!({"job_id": job.id, "target_id": job.target_id, "agent_id": job.agent_id, "step": step, "error": error}),
                )
            }
            t => {
                let (kind, what) = if t == JobType::Issuance {
                    (EventKind::IssuanceFailed, "issuance")
                } else {
                    (EventKind::RenewalFailed, "renewal")
                };
                let message = format!(
                    "{what} of {} ({}) failed after {} attempt(s): {error}",
                    cert.common_name, cert.id, job.attempts
                );
                (
                    kind,
                    NotifySeverity::Critical,
                    message,
                    serde_json::json!({"job_id": job.id, "attempts": job.attempts, "error": error, "expires_at": cert.expires_at, "days_left": cert.expires_at.map(|e| e.days_from(now))}),
                )
            }
        };
        let dedup = Some(format!("job_failed:{}:{}", job.id, job.updated_at.unix_millis()));
        self.record_event_logged(
            EventDraft {
                kind,
                severity,
                certificate: Some(cert),
                message,
                details,
                dedup_key: dedup,
            },
            now,
        )
        .await;
    }

    /// The event of a newly opened policy violation. Logged, never returned.
    pub(crate) async fn record_violation(&self, v: &PolicyViolation, now: Timestamp) {
        let cert = match self.store().get_certificate(&v.certificate_id).await {
            Ok(c) => c,
            Err(e) => {
                return tracing::error!(violation = %v.id, error = %e, "no notification for a violation: certificate unreadable");
            }
        };
        let severity = if v.severity == Severity::Warning {
            NotifySeverity::Warning
        } else {
            NotifySeverity::Critical
        };
        let message = format!(
            "{} ({}) violates policy {}: {}",
            cert.common_name, cert.id, v.policy_id, v.message
        );
        let details = serde_json::json!({"violation_id": v.id, "policy_id": v.policy_id, "policy_severity": v.severity});
        self.record_event_logged(
            EventDraft {
                kind: EventKind::PolicyViolation,
                severity,
                certificate: Some(&cert),
                message,
                details,
                dedup_key: Some(format!("violation:{}", v.id)),
            },
            now,
        )
        .await;
    }

    /// One notification-processor pass: inbox-only events become Sent; due deliveries are sent,
    /// channels concurrently (each with bounded concurrency and a time bound per send), and the
    /// outcomes recorded: Sent, retry with exponential backoff, or Dead after the last attempt.
    /// A channel that keeps failing is deferred to a later pass so it cannot hold the others.
    pub async fn deliver_notifications(&self, now: Timestamp) -> Result<usize> {
        Ok(self.deliver_notifications_report(now).await?.sent)
    }

    /// [`deliver_notifications`](Self::deliver_notifications) with the whole report.
    pub async fn deliver_notifications_report(&self, now: Timestamp) -> Result<DeliveryReport> {
        self.store().settle_notifications(now).await?;
        let mut report = DeliveryReport::default();
        for _ in 0..MAX_ROUNDS {
            let due = self.store().due_deliveries(now, BATCH).await?;
            if due.is_empty() {
                break;
            }
            let full = due.len() as i64 == BATCH;
            let mut ids: Vec<NotificationId> =
                due.iter().map(|d| d.notification_id.clone()).collect();
            ids.sort();
            ids.dedup();
            let events: Arc<HashMap<NotificationId, Notification>> = Arc::new(
                self.store()
                    .notifications_by_ids(&ids)
                    .await?
                    .into_iter()
                    .map(|n| (n.id.clone(), n))
                    .collect(),
            );
            let mut by_channel: BTreeMap<ChannelId, Vec<Delivery>> = BTreeMap::new();
            for d in due {
                by_channel.entry(d.channel_id.clone()).or_default().push(d);
            }
            let mut outcomes = Vec::new();
            let mut sends = Vec::new();
            for (cid, ds) in by_channel {
                let notifier = match self.store().get_channel(&cid).await {
                    Ok(ch) if !ch.enabled => Err(format!("channel {cid} is disabled")),
                    Ok(ch) => {
                        let ctx = self.notify_context()?;
                        self.open_channel_config(&ch.config)
                            .and_then(|config| notify::build(ch.channel_type, &config, ctx))
                            .map_err(|e| e.to_string())
                    }
                    Err(Error::NotFound { .. }) => Err(format!("channel {cid} was deleted")),
                    Err(e) => return Err(e),
                };
                match notifier {
                    Ok(n) => sends.push(self.send_to_channel(n, ds, events.clone(), now)),
                    Err(error) => outcomes.extend(ds.into_iter().map(|d| {
                        (
                            d.notification_id,
                            d.channel_id,
                            DeliveryOutcome::Dead { error: error.clone() },
                        )
                    })),
                }
            }
            for r in futures_util::future::join_all(sends).await {
                outcomes.extend(r);
            }
            for (_, _, o) in &outcomes {
                match o {
                    DeliveryOutcome::Sent => report.sent += 1,
                    DeliveryOutcome::Retry { .. } => report.retrying += 1,
                    DeliveryOutcome::Dead { .. } => report.dead += 1,
                    DeliveryOutcome::Deferred { .. } => report.deferred += 1,
                }
            }
            self.store().record_deliveries(&outcomes, now).await?;
            if !full {
                break;
            }
        }
        Ok(report)
    }

    /// Sends one channel's due deliveries, a few at a time.
    async fn send_to_channel(
        &self,
        notifier: Arc<dyn Notifier>,
        deliveries: Vec<Delivery>,
        events: Arc<HashMap<NotificationId, Notification>>,
        now: Timestamp,
    ) -> Vec<(NotificationId, ChannelId, DeliveryOutcome)> {
        let s = &self.config().notify;
        let failures = AtomicUsize::new(0);
        let public_url = s.public_url.as_deref();
        futures_util::stream::iter(deliveries)
            .map(|d| {
                let notifier = notifier.clone();
                let events = events.clone();
                let failures = &failures;
                async move {
                    let outcome = if failures.load(Ordering::Relaxed)
                        >= CHANNEL_FAILURES_BEFORE_DEFER
                    {
                        DeliveryOutcome::Deferred {
                            next_attempt_at: now
                                .plus(time::Duration::seconds(s.retry_base.as_secs() as i64)),
                        }
                    } else if let Some(ev) = events.get(&d.notification_id) {
                        let msg = Message::from_notification(ev, public_url);
                        let r =
                            match tokio::time::timeout(s.send_timeout, notifier.send(&msg)).await {
                                Ok(r) => r,
                                Err(_) => Err(Error::Connector {
                                    message: format!(
                                        "timed out after {} ms",
                                        s.send_timeout.as_millis()
                                    ),
                                    transient: true,
                                }),
                            };
                        match r {
                            Ok(()) => DeliveryOutcome::Sent,
                            Err(e) => {
                                let transient =
                                    matches!(e, Error::Connector { transient: true, .. });
                                if transient {
                                    failures.fetch_add(1, Ordering::Relaxed);
                                }
                                let error: String = e.to_string().chars().take(1000).collect();
                                let attempt = d.attempts + 1;
                                if transient && attempt < i64::from(s.max_attempts) {
                                    DeliveryOutcome::Retry {
                                        error,
                                        next_attempt_at: now.plus(backoff(s.retry_base, attempt)),
                                    }
                                } else {
                                    DeliveryOutcome::Dead { error }
                                }
                            }
                        }
                    } else {
                        DeliveryOutcome::Dead { error: "the event no longer exists".into() }
                    };
                    (d.notification_id, d.channel_id, outcome)
                }
            })
            .buffer_unordered(s.per_channel_concurrency.max(1))
            .collect()
            .await
    }

    /// A notification with its deliveries (attempts, last error per channel).
    pub async fn get_notification(
        &self,
        actor: &Actor,
        id: &NotificationId,
    ) -> Result<Notification> {
        actor.require(&super::Access::Read)?;
        let mut n = self.store().get_notification(id).await?;
        n.deliveries = self.store().deliveries_of(std::slice::from_ref(id)).await?;
        Ok(n)
    }

    /// A page of notifications, each with its deliveries.
    pub async fn list_notifications(
        &self,
        actor: &Actor,
        q: &crate::api::NotificationQuery,
    ) -> Result<Page<Notification>> {
        actor.require(&super::Access::Read)?;
        let mut p = self.store().list_notifications(&q.filter(), q.page_request()).await?;
        let ids: Vec<NotificationId> = p.data.iter().map(|n| n.id.clone()).collect();
        let mut by_id: HashMap<NotificationId, Vec<Delivery>> = HashMap::new();
        for d in self.store().deliveries_of(&ids).await? {
            by_id.entry(d.notification_id.clone()).or_default().push(d);
        }
        for n in &mut p.data {
            n.deliveries = by_id.remove(&n.id).unwrap_or_default();
        }
        Ok(p)
    }

    /// `POST /notifications/{id}/requeue`: its Dead deliveries are sent again from the next pass.
    pub async fn requeue_notification(
        &self,
        actor: &Actor,
        id: &NotificationId,
    ) -> Result<Notification> {
        actor.require(&super::Access::Write)?;
        self.store().get_notification(id).await?;
        let audit = actor.audit("notification_requeued", "notification", id.as_str());
        if self.store().requeue_notification(id, Timestamp::now(), &audit).await? == 0 {
            return Err(Error::Conflict(format!(
                "notification {id} has no dead delivery to requeue"
            )));
        }
        self.get_notification(actor, id).await
    }
}

/// `base * 2^(attempt-1)`, at most an hour.
fn backoff(base: Duration, attempt: i64) -> time::Duration {
    let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let d = base.saturating_mul(1u32 << exp).min(MAX_BACKOFF);
    time::Duration::milliseconds(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = std::time::Duration::from_secs(30);
        assert_eq!(super::backoff(b, 1).whole_seconds(), 30);
        assert_eq!(super::backoff(b, 3).whole_seconds(), 120);
        assert_eq!(super::backoff(b, 30).whole_seconds(), 3600);
    }
}
