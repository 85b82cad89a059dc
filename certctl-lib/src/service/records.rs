//! Notifications (mark as read) and policy rules.

use super::validate::{new_id, required, text};
use super::{Actor, Service};
use crate::api::PolicyInput;
use crate::error::{Error, Result};
use crate::model::*;

impl Service {
    pub async fn mark_notification_read(&self, actor: &Actor, id: &NotificationId) -> Result<Notification> {
        self.store().mark_notification_read(id, Timestamp::now(), &actor.audit("notification_read", "notification", id.as_str())).await
    }

    pub async fn create_policy(&self, actor: &Actor, input: &PolicyInput) -> Result<PolicyRule> {
        let rule = self.draft_policy(input)?;
        let out = self.store().create_policy(&rule, &actor.audit("policy_created", "policy", rule.id.as_str()).with_details(serde_json::json!({"type": rule.rule_type, "mode": rule.mode}))).await;
        self.invalidate_snapshot();
        out
    }

    /// A rule from a create body, validated, not stored.
    pub fn draft_policy(&self, input: &PolicyInput) -> Result<PolicyRule> {
        let now = Timestamp::now();
        let rule_type: PolicyType = required("type", input.rule_type.as_deref())?.parse().map_err(|e| Error::invalid("type", e))?;
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

    pub async fn update_policy(&self, actor: &Actor, id: &PolicyId, input: &PolicyInput) -> Result<PolicyRule> {
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
        let out = self.store().update_policy(&r, &actor.audit("policy_updated", "policy", id.as_str())).await;
        self.invalidate_snapshot();
        out
    }

    pub async fn delete_policy(&self, actor: &Actor, id: &PolicyId) -> Result<()> {
        let out = self.store().delete_policy(id, &actor.audit("policy_deleted", "policy", id.as_str())).await;
        self.invalidate_snapshot();
        out
    }
}

impl Service {
    /// The one-screen summary: certificates by status, expiring soon, agents, failed jobs.
    pub async fn summary(&self) -> Result<crate::api::Summary> {
        let s = self.store();
        let now = Timestamp::now();
        let one = PageRequest::new(1, 1);
        let expiring = |days: i64| CertificateFilter {
            expires_after: Some(now),
            expires_before: Some(now.plus(time::Duration::days(days))),
            exclude_archived: true,
            ..Default::default()
        };
        let mut agents = std::collections::BTreeMap::new();
        for st in AgentStatus::ALL {
            let n = s.list_agents(&AgentFilter { status: Some(*st), ..Default::default() }, one).await?.total;
            agents.insert(st.to_string(), n);
        }
        Ok(crate::api::Summary {
            certificates_by_status: s.count_certificates_by_status().await?.into_iter().map(|(st, n)| (st.to_string(), n)).collect(),
            expiring_within_7_days: s.list_certificates(&expiring(7), one).await?.total,
            expiring_within_30_days: s.list_certificates(&expiring(30), one).await?.total,
            agents_by_status: agents,
            failed_jobs: s.list_jobs(&JobFilter { status: Some(JobStatus::Failed), ..Default::default() }, one).await?.total,
            generated_at: Some(now),
        })
    }
}
