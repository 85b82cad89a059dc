//! Jobs: filters, the state machine with optimistic concurrency, and atomic claiming.

use std::collections::HashSet;
use std::sync::Arc;

use certctl::Error;
use certctl::model::*;
use certctl::store::Store;

use crate::support::*;
use crate::{assert_err, both_backends};

both_backends! {
    job_lifecycle => job_lifecycle;
    concurrent_claims => concurrent_claims;
    loop_locks => loop_locks;
    group_commit_of_issuances => group_commit_of_issuances;
}

/// Three issuances in one batch, the middle one's job moved by someone else first: it gets its
/// Conflict and writes nothing; the other two commit with their versions, deployment jobs,
/// bindings and audit events.
async fn group_commit_of_issuances(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_agent(&agent("ag-1"), &audit("agent_registered", "ag-1")).await.unwrap();
    s.create_target(&target("t-1", Some("ag-1")), &audit("target_created", "t-1")).await.unwrap();
    let now = Timestamp::now();
    let mut records = Vec::new();
    for i in 1..=3 {
        let id = format!("mc-g{i}");
        let mut c = cert(&id, &format!("g{i}.example.com"));
        c.target_ids = vec!["t-1".into()];
        let c = s.create_certificate(&c, &audit("certificate_created", &id)).await.unwrap();
        let mut j = job(&format!("job-g{i}"), &id, JobType::Issuance);
        j.status = JobStatus::AwaitingCsr;
        j.agent_id = Some("ag-1".into());
        s.create_job(&j, &audit("job_created", j.id.as_str())).await.unwrap();
        let mut done = j.clone();
        done.status = JobStatus::Completed;
        done.completed_at = Some(now);
        let version = CertificateVersion {
            id: format!("cv-g{i}").as_str().into(),
            certificate_id: c.id.clone(),
            serial_number: format!("0{i}"),
            not_before: now,
            not_after: now.plus(time::Duration::days(90)),
            fingerprint_sha256: format!("{i:064}"),
            pem_chain: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".into(),
            csr_pem: Some("csr".into()),
            key_algorithm: "ECDSA".into(),
            key_size: 256,
            revoked_at: None,
            revocation_reason: None,
            key_ciphertext: None,
            created_at: now,
        };
        let mut active = c.clone();
        active.status = CertificateStatus::Active;
        active.expires_at = Some(version.not_after);
        let mut deploy = job(&format!("job-d{i}"), &id, JobType::Deployment);
        deploy.target_id = Some("t-1".into());
        deploy.agent_id = Some("ag-1".into());
        deploy.version_id = Some(version.id.clone());
        records.push(certctl::store::IssuanceRecord {
            job: done,
            expected: JobStatus::AwaitingCsr,
            version,
            certificate: active,
            deployments: vec![deploy],
            superseded: vec![],
            audits: vec![audit("certificate_issued", &id)],
        });
    }
    // someone cancels the second job first
    let mut cancelled = s.get_job(&"job-g2".into()).await.unwrap();
    cancelled.status = JobStatus::Cancelled;
    s.update_job(&cancelled, JobStatus::AwaitingCsr, None).await.unwrap();
    let before = s.list_audit(&Default::default(), PageRequest::new(1, 1)).await.unwrap().total;

    let outcome = s.record_issuances(&records).await.unwrap();
    assert!(outcome[0].is_ok() && outcome[2].is_ok(), "{outcome:?}");
    assert_err!(outcome.into_iter().nth(1).unwrap(), Error::Conflict(_));
    for (i, issued) in [(1, true), (2, false), (3, true)] {
        let id: CertificateId = format!("mc-g{i}").as_str().into();
        let c = s.get_certificate(&id).await.unwrap();
        assert_eq!(c.status == CertificateStatus::Active, issued, "{c:?}");
        assert_eq!(s.list_versions(&id).await.unwrap().len(), usize::from(issued));
        let deployments = s
            .list_jobs(
                &JobFilter {
                    certificate_id: Some(id.clone()),
                    job_type: Some(JobType::Deployment),
                    ..Default::default()
                },
                PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(deployments.total, i64::from(issued));
        let binding = s.list_certificate_targets(&id).await.unwrap().remove(0);
        assert_eq!(
            binding.deployment_status.as_deref(),
            issued.then_some("Pending"),
            "{binding:?}"
        );
    }
    assert_eq!(s.get_job(&"job-g2".into()).await.unwrap().status, JobStatus::Cancelled);
    let after = s.list_audit(&Default::default(), PageRequest::new(1, 1)).await.unwrap().total;
    assert_eq!(after - before, 2, "the audit events of the two committed issuances");
    assert!(
        certctl::audit::verify_chain(&*s, &certctl::testing::audit_key(), &[]).await.unwrap().valid
    );
    // a batch that is all conflicts writes nothing and says so per record
    let again = s.record_issuances(&records[..1]).await.unwrap();
    assert_err!(again.into_iter().next().unwrap(), Error::Conflict(_));
}

async fn loop_locks(s: Arc<dyn Store>) {
    let first = s.try_lock("renewal checker").await.unwrap().expect("free lock");
    let other = s.try_lock("job processor").await.unwrap();
    assert!(other.is_some(), "locks are per loop");
    if s.backend() == "postgres" {
        // a second replica (another pool on the same database) is refused while it is held
        let pg =
            (s.as_ref() as &dyn std::any::Any).downcast_ref::<certctl::store::PgStore>().unwrap();
        let db: String = sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(pg.pool())
            .await
            .unwrap();
        let base = std::env::var("CERTCTL_TEST_POSTGRES_URL").unwrap();
        let url = format!("{}/{db}", base.rsplit_once('/').unwrap().0);
        let replica = certctl::store::PgStore::connect(&url).await.unwrap();
        assert!(replica.try_lock("renewal checker").await.unwrap().is_none());
        drop(first);
        let mut again = None;
        for _ in 0..50 {
            again = replica.try_lock("renewal checker").await.unwrap();
            if again.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(again.is_some(), "released on drop");
    } else {
        drop(first);
        assert!(s.try_lock("renewal checker").await.unwrap().is_some());
    }
}

async fn job_lifecycle(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_certificate(&cert("mc-a", "a.example.com"), &audit("certificate_created", "mc-a"))
        .await
        .unwrap();
    s.create_certificate(&cert("mc-b", "b.example.com"), &audit("certificate_created", "mc-b"))
        .await
        .unwrap();
    s.create_agent(&agent("ag-1"), &audit("agent_registered", "ag-1")).await.unwrap();
    let mut j1 = job("job-1", "mc-a", JobType::Issuance);
    j1.agent_id = Some("ag-1".into());
    let j2 = job("job-2", "mc-a", JobType::Deployment);
    let j3 = job("job-3", "mc-b", JobType::Renewal);
    for j in [&j1, &j2, &j3] {
        s.create_job(j, &audit("job_created", j.id.as_str())).await.unwrap();
    }
    assert_eq!(s.get_job(&j1.id).await.unwrap(), j1);
    assert_err!(
        s.create_job(&job("job-4", "mc-none", JobType::Renewal), &audit("job_created", "job-4"))
            .await,
        Error::NotFound { .. }
    );

    let ids = |f: JobFilter| {
        let s = s.clone();
        async move {
            let mut v: Vec<String> = s
                .list_jobs(&f, PageRequest::default())
                .await
                .unwrap()
                .data
                .into_iter()
                .map(|j| j.id.to_string())
                .collect();
            v.sort();
            v
        }
    };
    assert_eq!(
        ids(JobFilter { certificate_id: Some("mc-a".into()), ..Default::default() }).await,
        ["job-1", "job-2"]
    );
    assert_eq!(
        ids(JobFilter { job_type: Some(JobType::Renewal), ..Default::default() }).await,
        ["job-3"]
    );
    assert_eq!(
        ids(JobFilter { agent_id: Some("ag-1".into()), ..Default::default() }).await,
        ["job-1"]
    );

    // legal move with the right expectation
    let mut w = j1.clone();
    w.status = JobStatus::AwaitingCsr;
    s.update_job(&w, JobStatus::Pending, Some(&audit("job_awaiting_csr", "job-1"))).await.unwrap();
    assert_eq!(
        ids(JobFilter { status: Some(JobStatus::AwaitingCsr), ..Default::default() }).await,
        ["job-1"]
    );
    // stale expectation: someone else moved it already
    let mut again = j1.clone();
    again.status = JobStatus::Cancelled;
    assert_err!(s.update_job(&again, JobStatus::Pending, None).await, Error::Conflict(_));
    // illegal move
    let mut done = w.clone();
    done.status = JobStatus::Completed;
    done.completed_at = Some(Timestamp::now());
    assert_err!(s.update_job(&done, JobStatus::AwaitingCsr, None).await, Error::Conflict(_));
    let mut run = w.clone();
    run.status = JobStatus::Running;
    s.update_job(&run, JobStatus::AwaitingCsr, None).await.unwrap();
    s.update_job(&done, JobStatus::Running, None).await.unwrap();
    let mut reopen = done.clone();
    reopen.status = JobStatus::Pending;
    assert_err!(s.update_job(&reopen, JobStatus::Completed, None).await, Error::Conflict(_));
    assert_eq!(s.get_job(&j1.id).await.unwrap().status, JobStatus::Completed);

    // claiming honours type and next_attempt_at
    let now = Timestamp::now();
    let mut later = job("job-later", "mc-b", JobType::Renewal);
    later.next_attempt_at = Some(now.plus(time::Duration::hours(1)));
    s.create_job(&later, &audit("job_created", "job-later")).await.unwrap();
    assert!(s.claim_job(&[JobType::Validation], now, lease()).await.unwrap().is_none());
    let c = s.claim_job(&[JobType::Renewal], now, lease()).await.unwrap().unwrap();
    assert_eq!((c.id.as_str(), c.status, c.attempts), ("job-3", JobStatus::Running, 1));
    assert!(
        s.claim_job(&[JobType::Renewal], now, lease()).await.unwrap().is_none(),
        "job-later is not due"
    );
    let c = s
        .claim_job(&[JobType::Renewal], now.plus(time::Duration::hours(2)), lease())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.id.as_str(), "job-later");
    // transient failure: back to Pending with a backoff, then claimed again
    let mut retry = c.clone();
    retry.status = JobStatus::Pending;
    retry.last_error = Some("CA unreachable".into());
    retry.next_attempt_at = Some(now.plus(time::Duration::hours(3)));
    s.update_job(&retry, JobStatus::Running, None).await.unwrap();
    let c = s
        .claim_job(&[JobType::Renewal], now.plus(time::Duration::hours(4)), lease())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((c.attempts, c.last_error.as_deref()), (2, Some("CA unreachable")));

    // the claim: held until the lease given, extended while held, expired ones are listed,
    // cleared when the job leaves Running
    assert!(c.claimed_until.is_some());
    assert_eq!(s.get_job(&c.id).await.unwrap().claimed_until, c.claimed_until);
    assert!(s.expired_claims(now, 10).await.unwrap().is_empty());
    let far = now.plus(time::Duration::hours(10));
    assert!(s.extend_claim(&c.id, far).await.unwrap());
    assert_eq!(s.get_job(&c.id).await.unwrap().claimed_until, Some(far));
    // job-3 (claimed above, five minutes) expired first, then this one
    let expired = s.expired_claims(far.plus(time::Duration::seconds(1)), 10).await.unwrap();
    assert_eq!(
        expired.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        vec!["job-3", c.id.as_str()]
    );
    let mut done = c.clone();
    done.status = JobStatus::Completed;
    let done = s.update_job(&done, JobStatus::Running, None).await.unwrap();
    assert_eq!((done.claimed_until, s.get_job(&c.id).await.unwrap().claimed_until), (None, None));
    assert!(
        !s.extend_claim(&c.id, far).await.unwrap(),
        "a job that left Running has no claim to extend"
    );
    assert_eq!(
        s.expired_claims(far.plus(time::Duration::seconds(1)), 10).await.unwrap().len(),
        1,
        "job-3 only"
    );
}

/// A claim lease five minutes from now.
fn lease() -> Timestamp {
    Timestamp::now().plus(time::Duration::minutes(5))
}

async fn concurrent_claims(s: Arc<dyn Store>) {
    cert_prereqs(&*s).await;
    s.create_certificate(&cert("mc-a", "a.example.com"), &audit("certificate_created", "mc-a"))
        .await
        .unwrap();
    const N: usize = 60;
    for i in 0..N {
        let id = format!("job-{i:03}");
        s.create_job(&job(&id, "mc-a", JobType::Renewal), &audit("job_created", &id))
            .await
            .unwrap();
    }
    let now = Timestamp::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(j) = s.claim_job(&[JobType::Renewal], now, lease()).await.unwrap() {
                got.push(j.id.to_string());
            }
            got
        }));
    }
    let mut all = Vec::new();
    let mut claimers_with_work = 0;
    for t in tasks {
        let got = t.await.unwrap();
        claimers_with_work += usize::from(!got.is_empty());
        all.extend(got);
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), N, "every job claimed once");
    assert_eq!(unique.len(), N, "no job claimed twice");
    assert!(claimers_with_work > 1, "claims really ran concurrently");
    let running = s
        .list_jobs(
            &JobFilter { status: Some(JobStatus::Running), ..Default::default() },
            PageRequest::new(1, 500),
        )
        .await
        .unwrap();
    assert_eq!(running.total as usize, N);
    assert!(running.data.iter().all(|j| j.attempts == 1));
}
