//! Notifications (mark as read) and policy rules.

use super::validate::{new_id, required, text};
use super::{Actor, Service};
use crate::api::PolicyInput;
use crate::error::{Error, Result};
use crate::model::*;

impl Service {
    pub async fn mark_notification_read(
        &self,
        actor: &Actor,
        id: &NotificationId,
    ) -> Result<Notification> {
        actor.require(&super::Access::Write)?;
        self.store()
            .mark_notification_read(
                id,
                Timestamp::now(),
                &actor.audit("notification_read", "notification", id.as_str()),
            )
            .await
    }

    pub async fn create_policy(&self, actor: &Actor, input: &PolicyInput) -> Result<PolicyRule> {
        actor.require(&super::Access::Write)?;
        let rule = self.draft_policy(input)?;
        let out = self
            .store()
            .create_policy(
                &rule,
                &actor
                    .audit("policy_created", "policy", rule.id.as_str())
                    .with_details(serde_json::json!({"type": rule.rule_type, "mode": rule.mode})),
            )
            .await?;
        self.rules_changed().await;
        Ok(out)
    }

    /// After a rule was created or changed: the rule snapshot is dropped and every certificate
    /// re-evaluated at once, so the rule's violations are listed when the call returns, not at
    /// the next renewal check. The rule is stored either way; a failed re-evaluation is logged
    /// and the renewal checker's next pass does it again.
    async fn rules_changed(&self) {
        self.invalidate_snapshot();
        match self.recheck_violations().await {
            Ok(r) => tracing::info!(
                checked = r.checked,
                opened = r.opened,
                resolved = r.resolved,
                "policy rules changed: violations re-evaluated"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "policy rules changed: re-evaluating violations failed; the renewal checker will retry")
            }
        }
    }

    /// A rule from a create body, validated, not stored.
    pub fn draft_policy(&self, input: &PolicyInput) -> Result<PolicyRule> {
        let now = Timestamp::now();
        let rule_type: PolicyType = required("type", input.rule_type.as_deref())?
            .parse()
            .map_err(|e| Error::invalid("type", e))?;
        let rule = PolicyRule {
            id: new_id(input.id.as_deref(), PolicyId::parse, PolicyId::generate)?,
            name: text("name", &required("name", input.name.as_deref())?, 200)?,
            rule_type,
            config: input.config.clone().unwrap_or_else(|| serde_json::json!({})),
            enabled: input.enabled.unwrap_or(true),
            severity: input.severity.unwrap_or(Severity::Warning),
            mode: input.mode.unwrap_or(PolicyMode::Warn),
            scope: input.scope.clone().unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        crate::policy::validate_config(rule.rule_type, &rule.config)?;
        Ok(rule)
    }

    pub async fn update_policy(
        &self,
        actor: &Actor,
        id: &PolicyId,
        input: &PolicyInput,
    ) -> Result<PolicyRule> {
        actor.require(&super::Access::Write)?;
        let mut r = self.store().get_policy(id).await?;
        if let Some(n) = &input.name {
            r.name = text("name", n, 200)?;
        }
        if let Some(t) = &input.rule_type {
            r.rule_type = t.parse().map_err(|e| Error::invalid("type", e))?;
        }
        if let Some(c) = &input.config {
            r.config = c.clone();
        }
        if let Some(e) = input.enabled {
            r.enabled = e;
        }
        if let Some(s) = input.severity {
            r.severity = s;
        }
        if let Some(m) = input.mode {
            r.mode = m;
        }
        if let Some(s) = &input.scope {
            r.scope = s.clone();
        }
        crate::policy::validate_config(r.rule_type, &r.config)?;
        r.updated_at = Timestamp::now();
        let out = self
            .store()
            .update_policy(&r, &actor.audit("policy_updated", "policy", id.as_str()))
            .await?;
        self.rules_changed().await;
        Ok(out)
    }

    pub async fn delete_policy(&self, actor: &Actor, id: &PolicyId) -> Result<()> {
        actor.require(&super::Access::Write)?;
        let out = self
            .store()
            .delete_policy(id, &actor.audit("policy_deleted", "policy", id.as_str()))
            .await;
        self.invalidate_snapshot();
        out
    }
}

impl Service {
    /// The one-screen summary: certificates by status, expiring soon (7/14/30 days and a weekly
    /// histogram of the next 90), agents by status, failed jobs (ever and in the last 24 h) and
    /// open policy violations.
    pub async fn summary(&self, actor: &Actor) -> Result<crate::api::Summary> {
        actor.require(&super::Access::Read)?;
        let s = self.store();
        let now = Timestamp::now();
        let one = PageRequest::new(1, 1);
        let mut agents = std::collections::BTreeMap::new();
        for st in AgentStatus::ALL {
            let n = s
                .list_agents(&AgentFilter { status: Some(*st), ..Default::default() }, one)
                .await?
                .total;
            agents.insert(st.to_string(), n);
        }
        // Edges: 7, 14, 30 for the counters, then the histogram's weeks (one query for all).
        let days: Vec<i64> =
            [7, 14, 30].into_iter().chain(crate::api::EXPIRY_HISTOGRAM_EDGES).collect();
        let edges: Vec<Timestamp> =
            days.iter().map(|d| now.plus(time::Duration::days(*d))).collect();
        let below = s.count_expiring_before(now, &edges).await?;
        let at = |d: i64| {
            days.iter().position(|x| *x == d).and_then(|i| below.get(i)).copied().unwrap_or(0)
        };
        let mut histogram = Vec::new();
        let mut prev = 0;
        for d in crate::api::EXPIRY_HISTOGRAM_EDGES {
            histogram.push(crate::api::ExpiryBucket {
                from_day: prev,
                to_day: d,
                count: at(d) - at(prev),
            });
            prev = d;
        }
        let open = ViolationFilter { open_only: true, ..Default::default() };
        Ok(crate::api::Summary {
            certificates_by_status: s
                .count_certificates_by_status()
                .await?
                .into_iter()
                .map(|(st, n)| (st.to_string(), n))
                .collect(),
            expiring_within_7_days: at(7),
            expiring_within_14_days: at(14),
            expiring_within_30_days: at(30),
            agents_by_status: agents,
            failed_jobs: s
                .list_jobs(
                    &JobFilter { status: Some(JobStatus::Failed), ..Default::default() },
                    one,
                )
                .await?
                .total,
            failed_jobs_24h: s
                .count_failed_jobs_since(now.plus(time::Duration::hours(-24)))
                .await?,
            open_violations: s.list_violations(&open, one).await?.total,
            expiry_histogram: histogram,
            generated_at: Some(now),
        })
    }
}
