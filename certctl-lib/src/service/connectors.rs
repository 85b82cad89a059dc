//! Issuers and deployment targets: connector type + JSON config, validated per type.

use super::org::exists;
use super::validate::{new_id, required, text};
use super::{Access, Actor, LOCAL_ISSUER_ID, Service, outbound};
use crate::api::{ConnectorInput, TestResult};
use crate::error::{Error, Result};
use crate::issuer::IssueRequest;
use crate::issuer::acme::{AcmeConfig, DnsProvider};
use crate::model::*;
use crate::pki;
pub use crate::target::argv;
use crate::target::privileged;

/// Target connector types this build knows.
pub const TARGET_TYPES: &[&str] = &["nginx", "file"];

/// Checks a target's type and config. Commands (`*_command` keys) must be argv arrays of plain
/// strings: they are run without a shell, and shell metacharacters are refused outright.
pub fn validate_target(target_type: &str, config: &serde_json::Value) -> Result<()> {
    if !TARGET_TYPES.contains(&target_type) {
        return Err(Error::invalid(
            "type",
            format!("unknown target type {target_type:?}; available: {}", TARGET_TYPES.join(", ")),
        ));
    }
    let obj =
        config.as_object().ok_or_else(|| Error::invalid("config", "must be a JSON object"))?;
    for (k, v) in obj {
        if k.ends_with("_command") {
            argv(&format!("config.{k}"), v)?;
        } else if k == "owner" || k == "group" {
            crate::target::account(&format!("config.{k}"), v)?;
        } else if k.ends_with("_path") || k == "webroot" {
            crate::target::config_path(&format!("config.{k}"), v)?;
        }
    }
    Ok(())
}

/// [`Error::Forbidden`] for a non-admin `actor` when a target config has admin-only parts
/// ([`privileged::admin_only`]): `what` says what was asked ("creating target tg-web").
pub fn require_admin_for_target(
    actor: &Actor,
    what: &str,
    target_type: &str,
    config: &serde_json::Value,
) -> Result<()> {
    let reasons = privileged::admin_only(target_type, config);
    if reasons.is_empty() || actor.allows(&Access::Admin) {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "{what} needs the admin role ({} is {}): {}. An operator may use the connector's built-in commands and paths under {}",
        actor.name,
        actor.role,
        reasons.join("; "),
        privileged::DEFAULT_AGENT_PATHS.replace(':', " and ")
    )))
}

/// The DNS hook an issuer config names (`dns_provider: hook`), if it is an ACME config.
fn dns_hook_of(issuer_type: &str, config: &serde_json::Value) -> Option<String> {
    if issuer_type != "acme" {
        return None;
    }
    match AcmeConfig::parse(config).ok()?.dns {
        Some(DnsProvider::Hook(name)) => Some(name),
        _ => None,
    }
}

impl Service {
    /// An issuer config that names a DNS hook: the name must be configured on this server (else
    /// 422 on `config.dns_hook` listing the names), and only an admin may choose it, because it
    /// decides which server-side command runs. Returns the audit details of the hook
    /// (`dns_hook`, `dns_hook_argv`), `{}` for other configs.
    fn check_issuer_hook(
        &self,
        actor: &Actor,
        what: &str,
        issuer_type: &str,
        config: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let Some(name) = dns_hook_of(issuer_type, config) else { return Ok(serde_json::json!({})) };
        let argv = self.config.dns_hooks.resolve("config.dns_hook", &name)?;
        if !actor.allows(&Access::Admin) {
            return Err(Error::Forbidden(format!(
                "{what} needs the admin role ({} is {}): config.dns_hook {name:?} makes the server run {argv:?} for every DNS-01 order of this issuer",
                actor.name, actor.role
            )));
        }
        Ok(serde_json::json!({"dns_hook": name, "dns_hook_argv": argv}))
    }

    /// Issuers whose stored config still carries `dns_hook_command` (from before hooks were named
    /// in server config): their orders fail and the argv is never run. Listed at server start.
    pub async fn issuers_with_legacy_dns_hook(&self) -> Result<Vec<IssuerId>> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let p = self.store().list_issuers(PageRequest::new(page, MAX_PER_PAGE)).await?;
            let n = p.data.len();
            out.extend(
                p.data
                    .into_iter()
                    .filter(|i| i.config.get("dns_hook_command").is_some())
                    .map(|i| i.id),
            );
            if n < MAX_PER_PAGE as usize {
                return Ok(out);
            }
            page += 1;
        }
    }
}

impl Service {
    pub async fn create_issuer(&self, actor: &Actor, input: &ConnectorInput) -> Result<Issuer> {
        actor.require(&super::Access::Write)?;
        let now = Timestamp::now();
        let issuer_type = required("type", input.connector_type.as_deref())?;
        let mut config = input.config.clone().unwrap_or_else(|| serde_json::json!({}));
        outbound::strip_sealed(&mut config, outbound::ISSUER_SECRET_KEYS);
        self.connector(&issuer_type)?.validate_config(&config)?;
        let mut details = self.check_issuer_hook(
            actor,
            "creating an issuer with a DNS hook",
            &issuer_type,
            &config,
        )?;
        self.vet_issuer(&issuer_type, &config).await?;
        self.seal_issuer_secrets(&mut config)?;
        let issuer = Issuer {
            id: new_id(input.id.as_deref(), IssuerId::parse, IssuerId::generate)?,
            name: text("name", &required("name", input.name.as_deref())?, 200)?,
            issuer_type,
            config,
            enabled: input.enabled.unwrap_or(true),
            created_at: now,
            updated_at: now,
        };
        details["type"] = issuer.issuer_type.clone().into();
        let out = self
            .store()
            .create_issuer(
                &issuer,
                &actor.audit("issuer_created", "issuer", issuer.id.as_str()).with_details(details),
            )
            .await;
        self.invalidate_snapshot();
        out
    }

    pub async fn update_issuer(
        &self,
        actor: &Actor,
        id: &IssuerId,
        input: &ConnectorInput,
    ) -> Result<Issuer> {
        actor.require(&super::Access::Write)?;
        let mut issuer = self.store().get_issuer(id).await?;
        let before = (issuer.issuer_type.clone(), issuer.config.clone());
        if let Some(n) = &input.name {
            issuer.name = text("name", n, 200)?;
        }
        if let Some(t) = &input.connector_type {
            issuer.issuer_type = t.clone();
        }
        if let Some(c) = &input.config {
            // sealed values come only from the stored record, and only while their destination
            // (directory, CA certificate, rfc2136 primary) stays the same
            let mut config = c.clone();
            outbound::strip_sealed(&mut config, outbound::ISSUER_SECRET_KEYS);
            if issuer.issuer_type == before.0 {
                outbound::carry_issuer_secrets(&issuer.issuer_type, &issuer.config, &mut config)?;
            }
            issuer.config = config;
        }
        if let Some(e) = input.enabled {
            issuer.enabled = e;
        }
        self.connector(&issuer.issuer_type)?.validate_config(&issuer.config)?;
        // renaming or disabling is an operator's; choosing a hook is an admin's, and a changed
        // destination is vetted again
        let mut details = serde_json::json!({});
        if before != (issuer.issuer_type.clone(), issuer.config.clone()) {
            details = self.check_issuer_hook(
                actor,
                &format!("changing the config of issuer {id}"),
                &issuer.issuer_type,
                &issuer.config,
            )?;
            self.vet_issuer(&issuer.issuer_type, &issuer.config).await?;
        }
        details["type"] = issuer.issuer_type.clone().into();
        self.seal_issuer_secrets(&mut issuer.config)?;
        issuer.updated_at = Timestamp::now();
        let out = self
            .store()
            .update_issuer(
                &issuer,
                &actor.audit("issuer_updated", "issuer", id.as_str()).with_details(details),
            )
            .await;
        self.invalidate_snapshot();
        out
    }

    pub async fn delete_issuer(&self, actor: &Actor, id: &IssuerId) -> Result<()> {
        actor.require(&super::Access::Write)?;
        if id.as_str() == LOCAL_ISSUER_ID {
            return Err(Error::Conflict(format!(
                "{id} is the built-in Local CA and cannot be deleted"
            )));
        }
        let out = self
            .store()
            .delete_issuer(id, &actor.audit("issuer_deleted", "issuer", id.as_str()))
            .await;
        self.invalidate_snapshot();
        out
    }

    /// Secrets in an issuer config (`eab_hmac_key`, `rfc2136_tsig_secret`) are stored sealed
    /// (`eab_hmac_key_sealed`, `rfc2136_tsig_secret_sealed`), so they never come back in API
    /// responses.
    fn seal_issuer_secrets(&self, config: &mut serde_json::Value) -> Result<()> {
        self.seal_config_secrets(config, outbound::ISSUER_SECRET_KEYS)
    }

    /// Checks that the issuer can issue: a throwaway CSR is signed through its connector (ACME:
    /// the directory answers and the account exists, created on first use).
    pub async fn test_issuer(&self, actor: &Actor, id: &IssuerId) -> Result<TestResult> {
        actor.require(&super::Access::Write)?;
        let issuer = self.store().get_issuer(id).await?;
        if issuer.issuer_type == "acme" {
            return Ok(match self.test_acme_issuer(&issuer).await {
                Ok(message) => TestResult { ok: true, message },
                Err(f) => TestResult { ok: false, message: f.message },
            });
        }
        let connector = match self.connector(&issuer.issuer_type) {
            Ok(c) => c,
            Err(e) => return Ok(TestResult { ok: false, message: e.to_string() }),
        };
        let key = pki::PrivateKey::generate_p256()?;
        let name = "certctl-issuer-test.invalid";
        let csr = pki::build_csr(&key, name, &[])?;
        let req =
            IssueRequest { csr_pem: &csr, common_name: name, sans: &[], config: &issuer.config };
        Ok(match connector.issue(&req).await {
            Ok(chain) => {
                let leaf = pki::parse_certificate(&chain)?;
                TestResult {
                    ok: true,
                    message: format!("issued a test certificate signed by {:?}", leaf.issuer),
                }
            }
            Err(e) => TestResult { ok: false, message: e.to_string() },
        })
    }

    /// The issuer's CA certificate(s) as PEM, to build trust stores.
    pub async fn issuer_ca_pem(&self, actor: &Actor, id: &IssuerId) -> Result<String> {
        actor.require(&super::Access::Read)?;
        let issuer = self.store().get_issuer(id).await?;
        self.connector(&issuer.issuer_type)?.ca_pem(&issuer.config).ok_or_else(|| {
            Error::Conflict(format!(
                "issuer {id} ({}) does not publish a CA certificate here",
                issuer.issuer_type
            ))
        })
    }

    pub async fn create_target(&self, actor: &Actor, input: &ConnectorInput) -> Result<Target> {
        actor.require(&super::Access::Write)?;
        let now = Timestamp::now();
        let target_type = required("type", input.connector_type.as_deref())?;
        let config = input.config.clone().unwrap_or_else(|| serde_json::json!({}));
        validate_target(&target_type, &config)?;
        require_admin_for_target(
            actor,
            "creating a target whose config sets these",
            &target_type,
            &config,
        )?;
        let target = Target {
            id: new_id(input.id.as_deref(), TargetId::parse, TargetId::generate)?,
            name: text("name", &required("name", input.name.as_deref())?, 200)?,
            target_type,
            agent_id: self.agent_ref(input.agent_id.clone().flatten()).await?,
            config,
            enabled: input.enabled.unwrap_or(true),
            created_at: now,
            updated_at: now,
        };
        let audit = actor
            .audit("target_created", "target", target.id.as_str())
            .with_details(target_audit_details(&target));
        self.store().create_target(&target, &audit).await
    }

    pub async fn update_target(
        &self,
        actor: &Actor,
        id: &TargetId,
        input: &ConnectorInput,
    ) -> Result<Target> {
        actor.require(&super::Access::Write)?;
        let mut t = self.store().get_target(id).await?;
        let before = (t.target_type.clone(), t.agent_id.clone(), t.config.clone());
        if let Some(n) = &input.name {
            t.name = text("name", n, 200)?;
        }
        if let Some(ty) = &input.connector_type {
            t.target_type = ty.clone();
        }
        if let Some(c) = &input.config {
            t.config = c.clone();
        }
        if let Some(e) = input.enabled {
            t.enabled = e;
        }
        if let Some(a) = &input.agent_id {
            t.agent_id = self.agent_ref(a.clone()).await?;
        }
        validate_target(&t.target_type, &t.config)?;
        // renaming or disabling is an operator's; an admin-only config may not be changed or
        // moved to another agent by one
        if before != (t.target_type.clone(), t.agent_id.clone(), t.config.clone()) {
            require_admin_for_target(
                actor,
                &format!("changing target {id} so that its config sets these"),
                &t.target_type,
                &t.config,
            )?;
        }
        t.updated_at = Timestamp::now();
        let audit = actor
            .audit("target_updated", "target", id.as_str())
            .with_details(target_audit_details(&t));
        self.store().update_target(&t, &audit).await
    }

    pub async fn delete_target(&self, actor: &Actor, id: &TargetId) -> Result<()> {
        actor.require(&super::Access::Write)?;
        self.store().delete_target(id, &actor.audit("target_deleted", "target", id.as_str())).await
    }

    pub(super) async fn agent_ref(&self, id: Option<String>) -> Result<Option<AgentId>> {
        let Some(id) = id.filter(|s| !s.is_empty()) else { return Ok(None) };
        let id = AgentId::from_trusted(id);
        exists(self.store().get_agent(&id).await, "agent_id", &id)?;
        Ok(Some(id))
    }
}

/// Audit details of a target create/update: type, agent, the commands (defaults filled in) and
/// paths, and what of it needed the admin role.
fn target_audit_details(t: &Target) -> serde_json::Value {
    let mut d = privileged::commands_and_paths(&t.target_type, &t.config);
    d["type"] = t.target_type.clone().into();
    d["agent_id"] = serde_json::json!(t.agent_id);
    d["admin_only"] = privileged::admin_only(&t.target_type, &t.config).into();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn target_configs() {
        assert!(validate_target("nginx", &json!({"cert_path": "/etc/nginx/c.pem", "reload_command": ["nginx", "-s", "reload"]})).is_ok());
        let e =
            validate_target("nginx", &json!({"reload_command": "nginx -s reload"})).unwrap_err();
        assert!(e.to_string().starts_with("config.reload_command:"), "{e}");
        let e =
            validate_target("nginx", &json!({"reload_command": ["sh", "-c", "rm -rf / ; echo"]}))
                .unwrap_err();
        assert!(e.to_string().starts_with("config.reload_command[2]:"), "{e}");
        assert!(validate_target("nginx", &json!({"cert_path": "relative.pem"})).is_err());
        assert!(validate_target("iis", &json!({})).unwrap_err().to_string().starts_with("type:"));
        assert!(
            validate_target(
                "file",
                &json!({"cert_path": "/c.pem", "owner": "www-data", "group": 33})
            )
            .is_ok()
        );
        let e = validate_target("file", &json!({"cert_path": "/c.pem", "owner": "root;id"}))
            .unwrap_err();
        assert!(e.to_string().starts_with("config.owner:"), "{e}");
        // paths with `..`, NUL bytes; empty argv and empty argv elements: refused, naming the field
        for (config, field) in [
            (json!({"cert_path": "/etc/ssl/certctl/../../shadow"}), "config.cert_path:"),
            (json!({"key_path": "/etc/ssl/k\u{0}.pem"}), "config.key_path:"),
            (json!({"webroot": "/var/www/.."}), "config.webroot:"),
            (json!({"reload_command": []}), "config.reload_command:"),
            (json!({"reload_command": [""]}), "config.reload_command[0]:"),
            (json!({"validate_command": ["nginx", ""]}), "config.validate_command[1]:"),
            (json!({"reload_command": ["nginx\u{0}", "-t"]}), "config.reload_command[0]:"),
        ] {
            let e = validate_target("file", &config).unwrap_err().to_string();
            assert!(e.starts_with(field), "{config}: {e}");
        }
    }
}
