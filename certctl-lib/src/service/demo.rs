//! `--demo`: realistic data to explore a fresh control plane — teams, owners, renewal policies,
//! policy rules, agents with metadata, targets, and ~30 certificates across environments with
//! real versions issued by the Local CA (some expiring soon, one expired).

use time::Duration;

use super::{Actor, Service};
use crate::api::{
    AgentInput, CertificateInput, ConnectorInput, OwnerInput, PolicyInput, RenewalPolicyInput,
    TeamInput,
};
use crate::error::Result;
use crate::issuer::SignRequest;
use crate::model::*;
use crate::pki;

/// id suffix, common name, environment, team, owner, days until expiry (None = not issued).
type DemoCert = (&'static str, &'static str, &'static str, &'static str, &'static str, Option<i64>);

const CERTS: &[DemoCert] = &[
    ("api-prod", "api.shop.example.com", "production", "team-platform", "o-alice", Some(61)),
    ("www-prod", "www.shop.example.com", "production", "team-web", "o-bob", Some(75)),
    (
        "checkout-prod",
        "checkout.shop.example.com",
        "production",
        "team-payments",
        "o-carol",
        Some(5),
    ),
    (
        "payments-prod",
        "payments.shop.example.com",
        "production",
        "team-payments",
        "o-carol",
        Some(12),
    ),
    ("auth-prod", "auth.shop.example.com", "production", "team-platform", "o-alice", Some(44)),
    ("cdn-prod", "cdn.shop.example.com", "production", "team-web", "o-bob", Some(88)),
    ("search-prod", "search.shop.example.com", "production", "team-platform", "o-dave", Some(27)),
    ("mail-prod", "mail.example.com", "production", "team-platform", "o-dave", Some(3)),
    ("vpn-prod", "vpn.example.com", "production", "team-platform", "o-alice", Some(-9)),
    ("grafana-prod", "grafana.ops.example.com", "production", "team-platform", "o-dave", Some(52)),
    (
        "kafka-prod",
        "kafka-1.internal.example.com",
        "production",
        "team-platform",
        "o-alice",
        Some(19),
    ),
    ("ldap-prod", "ldap.internal.example.com", "production", "team-platform", "o-dave", Some(33)),
    (
        "api-staging",
        "api.staging.shop.example.com",
        "staging",
        "team-platform",
        "o-alice",
        Some(70),
    ),
    ("www-staging", "www.staging.shop.example.com", "staging", "team-web", "o-bob", Some(29)),
    (
        "checkout-staging",
        "checkout.staging.shop.example.com",
        "staging",
        "team-payments",
        "o-carol",
        Some(81),
    ),
    (
        "payments-staging",
        "payments.staging.shop.example.com",
        "staging",
        "team-payments",
        "o-carol",
        Some(7),
    ),
    (
        "auth-staging",
        "auth.staging.shop.example.com",
        "staging",
        "team-platform",
        "o-alice",
        Some(58),
    ),
    (
        "grafana-staging",
        "grafana.staging.ops.example.com",
        "staging",
        "team-platform",
        "o-dave",
        Some(84),
    ),
    ("api-dev", "api.dev.shop.example.com", "development", "team-platform", "o-alice", Some(40)),
    ("www-dev", "www.dev.shop.example.com", "development", "team-web", "o-bob", Some(14)),
    (
        "checkout-dev",
        "checkout.dev.shop.example.com",
        "development",
        "team-payments",
        "o-carol",
        Some(66),
    ),
    ("wiki-dev", "wiki.dev.example.com", "development", "team-web", "o-bob", Some(23)),
    ("ci-dev", "ci.dev.example.com", "development", "team-platform", "o-dave", Some(86)),
    (
        "registry-dev",
        "registry.dev.example.com",
        "development",
        "team-platform",
        "o-dave",
        Some(49),
    ),
    ("metrics-qa", "metrics.qa.example.com", "qa", "team-platform", "o-dave", Some(37)),
    ("api-qa", "api.qa.shop.example.com", "qa", "team-platform", "o-alice", Some(90)),
    ("www-qa", "www.qa.shop.example.com", "qa", "team-web", "o-bob", Some(11)),
    ("partner-api-prod", "partner-api.example.com", "production", "team-payments", "o-carol", None),
    ("status-prod", "status.example.com", "production", "team-web", "o-bob", None),
    ("admin-staging", "admin.staging.example.com", "staging", "team-platform", "o-alice", None),
];

/// Seeds the demo data unless the inventory already has certificates. Returns the number of
/// certificates issued.
pub async fn seed(svc: &Service) -> Result<usize> {
    if svc.store().count_certificates_by_status().await?.iter().map(|(_, n)| n).sum::<i64>() > 0 {
        return Ok(0);
    }
    let a = Actor { name: "demo".into(), ..Actor::system() };
    for (id, name, desc) in [
        ("team-platform", "Platform", "Core infrastructure"),
        ("team-web", "Web", "Storefront and sites"),
        ("team-payments", "Payments", "Checkout and payment APIs"),
    ] {
        svc.create_team(
            &a,
            &TeamInput {
                id: Some(id.into()),
                name: Some(name.into()),
                description: Some(desc.into()),
            },
        )
        .await?;
    }
    for (id, name, team) in [
        ("o-alice", "Alice Martin", "team-platform"),
        ("o-bob", "Bob Chen", "team-web"),
        ("o-carol", "Carol Diaz", "team-payments"),
        ("o-dave", "Dave Okafor", "team-platform"),
    ] {
        let email = format!("{}@example.com", &id[2..]);
        svc.create_owner(
            &a,
            &OwnerInput {
                id: Some(id.into()),
                name: Some(name.into()),
                email: Some(email),
                team_id: Some(Some(team.into())),
            },
        )
        .await?;
    }
    svc.create_renewal_policy(
        &a,
        &RenewalPolicyInput {
            id: Some("rp-critical".into()),
            name: Some("Critical services".into()),
            renewal_window_days: Some(45),
            max_retries: Some(5),
            retry_interval_seconds: Some(120),
            alert_thresholds_days: Some(vec![45, 30, 14, 7, 3, 1, 0]),
            ..Default::default()
        },
    )
    .await?;
    for (id, name, ty, config, mode) in [
        (
            "pol-corp-domains",
            "Only our domains",
            "AllowedDomains",
            serde_json::json!({"domains": ["*.example.com"]}),
            PolicyMode::Warn,
        ),
        (
            "pol-owner",
            "Every certificate has an owner",
            "RequiredMetadata",
            serde_json::json!({"tags": [], "require_owner": true, "require_team": false}),
            PolicyMode::Warn,
        ),
        (
            "pol-lifetime",
            "At most 397 days",
            "CertificateLifetime",
            serde_json::json!({"max_days": 397}),
            PolicyMode::Enforce,
        ),
    ] {
        svc.create_policy(
            &a,
            &PolicyInput {
                id: Some(id.into()),
                name: Some(name.into()),
                rule_type: Some(ty.into()),
                config: Some(config),
                mode: Some(mode),
                severity: Some(Severity::Error),
                ..Default::default()
            },
        )
        .await?;
    }
    let hosts = [
        ("ag-web-01", "web-01", "10.1.0.11", "x86_64"),
        ("ag-web-02", "web-02", "10.1.0.12", "x86_64"),
        ("ag-edge-01", "edge-01", "10.2.0.5", "aarch64"),
    ];
    for (id, host, ip, arch) in hosts {
        let reg = svc
            .register_agent(
                &a,
                &AgentInput {
                    id: Some(id.into()),
                    name: host.into(),
                    labels: [("env".to_owned(), "production".to_owned())].into(),
                },
            )
            .await?;
        let meta = AgentMetadata {
            hostname: format!("{host}.example.com"),
            os: "linux".into(),
            os_version: "Debian GNU/Linux 12 (bookworm)".into(),
            arch: arch.into(),
            ip_addresses: vec![ip.into()],
            agent_version: env!("CARGO_PKG_VERSION").into(),
            labels: reg.agent.labels.clone(),
        };
        svc.store().record_heartbeat(&reg.agent.id, &meta, Timestamp::now()).await?;
        svc.create_target(
            &a,
            &ConnectorInput {
                id: Some(format!("t-nginx-{host}")),
                name: Some(format!("NGINX on {host}")),
                connector_type: Some("nginx".into()),
                config: Some(serde_json::json!({
                    "cert_path": "/etc/nginx/tls/site.pem",
                    "key_path": "/etc/nginx/tls/site.key",
                    "reload_command": ["nginx", "-s", "reload"],
                    "verify_address": format!("{ip}:443"),
                })),
                agent_id: Some(Some(id.into())),
                enabled: Some(true),
            },
        )
        .await?;
    }

    let now = Timestamp::now();
    let mut issued_count = 0;
    for (suffix, cn, env, team, owner, days_left) in CERTS {
        let input = CertificateInput {
            id: Some(format!("mc-{suffix}")),
            name: Some(cn.split('.').next().unwrap_or(cn).to_owned() + " (" + env + ")"),
            common_name: (*cn).into(),
            sans: vec![(*cn).into()],
            environment: Some((*env).into()),
            owner_id: Some((*owner).into()),
            team_id: Some((*team).into()),
            renewal_policy_id: if *env == "production" { Some("rp-critical".into()) } else { None },
            tags: [("app".to_owned(), cn.split('.').next().unwrap_or("app").to_owned())].into(),
            ..Default::default()
        };
        let mut cert = svc.create_certificate(&a, &input).await?;
        let Some(days_left) = days_left else { continue };
        // Demo data only: a throwaway key stands in for the one an agent would keep.
        let key = pki::PrivateKey::generate_p256()?;
        let csr = pki::build_csr(&key, cn, &cert.sans)?;
        let start = now.plus(Duration::days(days_left - 90));
        let issued = svc.local_ca().sign(
            &csr,
            &SignRequest {
                common_name: (*cn).into(),
                sans: cert.sans.clone(),
                validity_days: Some(90),
                not_before: Some(start),
            },
        )?;
        let version = pki::version_from_chain(&cert.id, &issued.pem_chain, Some(&csr))?;
        svc.store().add_version(&version, &a.audit("certificate_issued", "certificate", cert.id.as_str()).with_details(serde_json::json!({"serial_number": version.serial_number, "fingerprint_sha256": version.fingerprint_sha256}))).await?;
        cert.expires_at = Some(version.not_after);
        cert.last_renewal_at = Some(version.not_before);
        cert.status = if version.not_after <= now {
            CertificateStatus::Expired
        } else if version.not_after <= now.plus(Duration::days(30)) {
            CertificateStatus::Expiring
        } else {
            CertificateStatus::Active
        };
        cert.updated_at = Timestamp::now();
        issued_count += 1;
        svc.store()
            .update_certificate(
                &cert,
                &a.audit("certificate_status_changed", "certificate", cert.id.as_str()),
            )
            .await?;
    }
    Ok(issued_count)
}

/// The agent `--demo` runs inside the server process, on this machine.
pub const LOCAL_AGENT_ID: &str = "ag-demo-local";

/// Demo certificates renewed and deployed through the local agent as soon as the server starts
/// (all inside their renewal window): certificate id suffix and target id suffix. The last one's
/// target points outside what the local agent's host policy allows, so its deployment fails
/// with the reason.
const LOCAL_CERTS: [(&str, &str); 3] =
    [("mail-prod", "mail"), ("checkout-prod", "checkout"), ("payments-prod", "broken")];

/// Where the local agent writes: `<data-dir>/demo-targets` (its only allowed path).
pub fn local_targets_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("demo-targets")
}

/// Registers the local demo agent (labelled `demo=local`), its file targets under
/// [`local_targets_dir`] plus one it is not allowed to write, binds three due certificates to
/// them and a group that selects the agent. Returns the agent's id and API key. Called once,
/// right after [`seed`].
pub async fn seed_local_agent(
    svc: &Service,
    data_dir: &std::path::Path,
) -> Result<crate::api::AgentRegistered> {
    let a = Actor { name: "demo".into(), ..Actor::system() };
    let reg = svc
        .register_agent(
            &a,
            &AgentInput {
                id: Some(LOCAL_AGENT_ID.into()),
                name: "this host (demo agent)".into(),
                labels: [("demo".to_owned(), "local".to_owned())].into(),
            },
        )
        .await?;
    let dir = local_targets_dir(data_dir);
    for (cert, target) in LOCAL_CERTS {
        let base = if target == "broken" {
            // outside the local agent's allowed paths: refused on the host, nothing written
            std::path::PathBuf::from("/etc/certctl-demo-not-allowed")
        } else {
            dir.join(target)
        };
        let t = svc
            .create_target(
                &a,
                &ConnectorInput {
                    id: Some(format!("t-demo-{target}")),
                    name: Some(format!("files for {cert} on this host")),
                    connector_type: Some("file".into()),
                    config: Some(serde_json::json!({
                        "fullchain_path": base.join("fullchain.pem"),
                        "key_path": base.join("privkey.pem"),
                    })),
                    agent_id: Some(Some(LOCAL_AGENT_ID.into())),
                    enabled: Some(true),
                },
            )
            .await?;
        let patch = crate::api::CertificatePatch {
            target_ids: Some(vec![t.id.to_string()]),
            ..Default::default()
        };
        svc.update_certificate(&a, &format!("mc-{cert}").as_str().into(), &patch).await?;
    }
    svc.create_group(
        &a,
        &crate::api::GroupInput {
            id: Some("grp-demo-local".into()),
            name: Some("This host".into()),
            description: Some("The agent --demo runs on the machine it runs on".into()),
            criteria: Some(GroupCriteria {
                labels: [("demo".to_owned(), "local".to_owned())].into(),
                ..Default::default()
            }),
        },
    )
    .await?;
    Ok(reg)
}
