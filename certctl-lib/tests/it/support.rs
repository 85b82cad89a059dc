//! Fixtures: stores on both backends and model builders.

use certctl::model::*;
use certctl::store::Store;

/// Runs `$body(store)` as two tests, `sqlite` and `postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident => $body:ident;)*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let (_g, s) = certctl::testing::sqlite().await;
                super::$body(s).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some((_url, s)) = certctl::testing::postgres().await {
                    super::$body(s).await;
                }
            }
        }
    )*};
}
pub fn audit(action: &str, resource_id: &str) -> AuditDraft {
    AuditDraft::new("tester", ActorType::User, action, "test", resource_id)
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

pub fn team(id: &str) -> Team {
    let now = Timestamp::now();
    Team {
        id: id.into(),
        name: format!("Team {id}"),
        description: String::new(),
        created_at: now,
        updated_at: now,
    }
}

pub fn owner(id: &str, team: Option<&str>) -> Owner {
    let now = Timestamp::now();
    Owner {
        id: id.into(),
        name: format!("Owner {id}"),
        email: format!("{id}@example.com"),
        team_id: team.map(Into::into),
        created_at: now,
        updated_at: now,
    }
}

pub fn renewal_policy(id: &str, window: i64) -> RenewalPolicy {
    RenewalPolicy {
        renewal_window_days: window,
        ..RenewalPolicy::with_defaults(id.into(), id, Timestamp::now())
    }
}

pub fn issuer(id: &str) -> Issuer {
    let now = Timestamp::now();
    Issuer {
        id: id.into(),
        name: id.into(),
        issuer_type: "local".into(),
        config: serde_json::json!({"validity_days": 90}),
        enabled: true,
        created_at: now,
        updated_at: now,
    }
}

pub fn agent(id: &str) -> Agent {
    Agent::registered(id.into(), id, Default::default(), Timestamp::now())
}

pub fn target(id: &str, agent: Option<&str>) -> Target {
    let now = Timestamp::now();
    Target {
        id: id.into(),
        name: id.into(),
        target_type: "nginx".into(),
        agent_id: agent.map(Into::into),
        config: serde_json::json!({"cert_path": "/etc/nginx/cert.pem", "reload_command": ["nginx", "-s", "reload"]}),
        enabled: true,
        created_at: now,
        updated_at: now,
    }
}

pub fn cert(id: &str, cn: &str) -> Certificate {
    let now = Timestamp::now();
    Certificate {
        id: id.into(),
        name: format!("cert {id}"),
        common_name: cn.into(),
        sans: vec![cn.into()],
        environment: Some("production".into()),
        owner_id: None,
        team_id: None,
        issuer_id: "iss-t".into(),
        renewal_policy_id: "rp-t".into(),
        status: CertificateStatus::Pending,
        expires_at: None,
        tags: Default::default(),
        target_ids: vec![],
        last_renewal_at: None,
        last_deployment_at: None,
        created_at: now,
        updated_at: now,
        parent_id: None,
        agent_id: None,
        agent_group_id: None,
        target_template: None,
        children: None,
    }
}

pub fn job(id: &str, cert: &str, job_type: JobType) -> Job {
    Job {
        id: id.into(),
        ..Job::new(job_type, JobStatus::Pending, cert.into(), 4, Timestamp::now())
    }
}

/// Issuer `iss-t` and renewal policy `rp-t` that [`cert`] refers to.
pub async fn cert_prereqs(s: &dyn Store) {
    s.create_issuer(&issuer("iss-t"), &audit("issuer_created", "iss-t")).await.expect("issuer");
    s.create_renewal_policy(&renewal_policy("rp-t", 30), &audit("renewal_policy_created", "rp-t"))
        .await
        .expect("rp");
}

/// Asserts `r` is `Err(Error::$variant {..})`.
#[macro_export]
macro_rules! assert_err {
    ($r:expr, $pat:pat) => {
        match $r {
            Err(e @ $pat) => e,
            other => panic!("expected {}, got {:?}", stringify!($pat), other),
        }
    };
}
