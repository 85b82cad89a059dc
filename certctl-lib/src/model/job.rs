//! Jobs: units of lifecycle work with a small state machine.

use serde::{Deserialize, Serialize};

use super::{AgentId, CertificateId, JobId, TargetId, Timestamp, VersionId, string_enum};

string_enum! {
    /// What a job does.
    JobType {
        Issuance = "Issuance",
        Renewal = "Renewal",
        Deployment = "Deployment",
        Validation = "Validation",
    }
}

string_enum! {
    /// Where a job is in its life.
    JobStatus {
        Pending = "Pending",
        AwaitingCsr = "AwaitingCSR",
        Running = "Running",
        Completed = "Completed",
        Failed = "Failed",
        Cancelled = "Cancelled",
    }
}

impl JobStatus {
    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }

    /// The legal moves of the state machine. `Running -> Pending` is a transient failure going
    /// back for a retry; `Failed | Cancelled -> Pending` is an explicit retry.
    pub fn can_move_to(self, to: JobStatus) -> bool {
        use JobStatus::*;
        matches!(
            (self, to),
            (Pending, AwaitingCsr | Running | Failed | Cancelled)
                | (AwaitingCsr, Running | Failed | Cancelled)
                | (Running, Pending | AwaitingCsr | Completed | Failed | Cancelled)
                | (Failed | Cancelled, Pending)
        )
    }
}

/// A job (`job-` id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Job {
    pub id: JobId,
    #[serde(rename = "type")]
    pub job_type: JobType,
    pub status: JobStatus,
    pub certificate_id: CertificateId,
    pub target_id: Option<TargetId>,
    /// The agent that must act (CSR or deployment), if any.
    pub agent_id: Option<AgentId>,
    /// The version a deployment job deploys.
    pub version_id: Option<VersionId>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    /// The CSR submitted for this issuance (public material), kept for retries; not serialised.
    #[serde(skip)]
    pub csr_pem: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    /// A Running job the server's job processor works on is claimed until this time (extended
    /// while it works, cleared when the job leaves Running); past it, the claim has expired
    /// (the server stopped) and the job goes back to Pending. None for every other job,
    /// including deployments handed to agents and ACME orders in flight.
    #[serde(default)]
    pub claimed_until: Option<Timestamp>,
}

impl Job {
    /// A new job of `certificate_id` with no attempt made yet.
    pub fn new(
        job_type: JobType,
        status: JobStatus,
        certificate_id: CertificateId,
        max_attempts: i64,
        now: Timestamp,
    ) -> Self {
        Job {
            id: JobId::generate(),
            job_type,
            status,
            certificate_id,
            target_id: None,
            agent_id: None,
            version_id: None,
            attempts: 0,
            max_attempts,
            next_attempt_at: None,
            last_error: None,
            csr_pem: None,
            created_at: now,
            updated_at: now,
            completed_at: None,
            claimed_until: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JobStatus::*;

    #[test]
    fn state_machine() {
        assert!(Pending.can_move_to(AwaitingCsr));
        assert!(AwaitingCsr.can_move_to(Running));
        assert!(Running.can_move_to(Completed));
        assert!(Failed.can_move_to(Pending));
        assert!(!Completed.can_move_to(Pending));
        assert!(!Completed.can_move_to(Running));
        assert!(!Cancelled.can_move_to(Completed));
        assert!(Completed.is_terminal() && !AwaitingCsr.is_terminal());
        assert_eq!("AwaitingCSR".parse::<super::JobStatus>(), Ok(AwaitingCsr));
    }
}
