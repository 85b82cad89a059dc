//! Policies at work: every change to a certificate, and every CSR, is evaluated against the
//! rules in scope — `enforce` failures refuse the change with every reason, `warn` failures are
//! stored as violations (and resolved when they no longer hold). `evaluate` runs the same code
//! path without changing anything.

use super::{Actor, Service};
use crate::api::EvaluateInput;
use crate::error::{Error, Result};
use crate::model::*;
use crate::policy::{CompiledPolicies, Evaluation, Subject};

impl Service {
    /// Evaluates `cert` against every rule in scope (plus `extra`); `key` when a CSR is known.
    pub async fn evaluate_certificate(&self, cert: &Certificate, key: Option<(&str, u32)>, extra: Option<&PolicyRule>) -> Result<Evaluation> {
        let snapshot = self.snapshot().await?;
        if snapshot.rules.is_empty() && extra.is_none() {
            return Ok(Evaluation { allowed: true, results: Vec::new() });
        }
        let mut compiled = CompiledPolicies::new(&snapshot.rules);
        if let Some(r) = extra {
            compiled.push(r);
        }
        let groups = match self.key_agent(cert).await? {
            Some(agent) => match self.store().get_agent(&agent).await {
                Ok(a) => self.membership().await?.groups_of_agent(&a),
                Err(Error::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e),
            },
            None => Vec::new(),
        };
        let window = self.renewal_policy_of(&cert.renewal_policy_id).await.ok().map(|p| p.renewal_window_days);
        let lifetime = match self.issuer_of(&cert.issuer_id).await {
            Ok(i) => Some(i.config.get("validity_days").and_then(serde_json::Value::as_i64).unwrap_or(crate::issuer::local::DEFAULT_VALIDITY_DAYS.into())),
            Err(_) => None,
        };
        let subject = Subject { renewal_window_days: window, lifetime_days: lifetime, key, ..Subject::from_certificate(cert, &groups) };
        Ok(compiled.evaluate(&subject))
    }

    /// Evaluates and refuses (every reason) when an `enforce` rule fails.
    pub(super) async fn enforce_policies(&self, cert: &Certificate, key: Option<(&str, u32)>) -> Result<Evaluation> {
        let evaluation = self.evaluate_certificate(cert, key, None).await?;
        if !evaluation.allowed {
            return Err(Error::PolicyRejected(evaluation.rejections().map(|r| format!("{}: {}", r.name, r.reason)).collect()));
        }
        Ok(evaluation)
    }

    /// Opens a violation for each failing `warn` rule without an open one, and resolves open
    /// violations of the certificate that no longer hold.
    pub(super) async fn sync_violations(&self, actor: &Actor, cert: &CertificateId, evaluation: &Evaluation) -> Result<()> {
        if evaluation.results.is_empty() && self.snapshot().await?.rules.is_empty() {
            // no rule exists: no violation can (deleting a rule deletes its violations)
            return Ok(());
        }
        let filter = ViolationFilter { certificate_id: Some(cert.clone()), open_only: true, ..Default::default() };
        let open = self.store().list_violations(&filter, PageRequest::new(1, MAX_PER_PAGE)).await?.data;
        let now = Timestamp::now();
        for w in evaluation.warnings() {
            if open.iter().any(|v| v.policy_id == w.policy_id) {
                continue;
            }
            let v = PolicyViolation {
                id: ViolationId::generate(),
                policy_id: w.policy_id.clone(),
                certificate_id: cert.clone(),
                message: w.reason.clone(),
                severity: w.severity,
                created_at: now,
                resolved_at: None,
            };
            let audit = actor.audit("policy_violation_opened", "certificate", cert.as_str()).with_details(serde_json::json!({"policy_id": v.policy_id, "violation_id": v.id, "message": v.message}));
            self.store().create_violation(&v, &audit).await?;
            self.record_violation(&v, now).await;
        }
        for v in open.iter().filter(|v| !evaluation.warnings().any(|w| w.policy_id == v.policy_id)) {
            let audit = actor.audit("policy_violation_resolved", "certificate", cert.as_str()).with_details(serde_json::json!({"policy_id": v.policy_id, "violation_id": v.id}));
            self.store().resolve_violation(&v.id, now, &audit).await?;
        }
        Ok(())
    }

    /// `POST /policies/evaluate`: the verdict and every in-scope rule's result, for an existing
    /// certificate or a draft, optionally with a draft rule; nothing is stored.
    pub async fn evaluate_policies(&self, input: &EvaluateInput) -> Result<Evaluation> {
        let cert = match &input.certificate_id {
            Some(id) => self.store().get_certificate(&CertificateId::from_trusted(id.clone())).await?,
            None => self.draft_certificate(&input.draft).await?,
        };
        let extra = match &input.with {
            Some(p) => Some(self.draft_policy(p)?),
            None => None,
        };
        self.evaluate_certificate(&cert, None, extra.as_ref()).await
    }
}
