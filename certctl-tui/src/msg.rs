//! Messages into `update` (keys, clock, results of background calls) and the effects it asks
//! the runtime to carry out (calls to the server, quitting). Plain data: tests build them.

use certctl::api::Summary;
use certctl::model::{
    Agent, AgentGroup, AuditEvent, AuditFilter, Certificate, CertificateFilter, CertificateVersion,
    Job, Page, PolicyRule, PolicyViolation, Target, Timestamp,
};
use crossterm::event::KeyEvent;

/// What happened.
#[derive(Debug)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// The clock moved (ages and "days left" are relative to it).
    Tick(Timestamp),
    /// The auto-refresh interval elapsed.
    Refresh,
    /// A background read finished; `slot` and `seq` say which request it answers.
    Loaded { slot: Slot, seq: u64, result: Result<Data, String> },
    /// A background action finished: a line for the status bar, success or failure;
    /// `forbidden` when the server refused the API key's role (a viewer key).
    Acted { action: Action, result: Result<String, String>, forbidden: bool },
}

/// What `update` asks for; the runtime runs each one in the background.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read something; the answer comes back as [`Msg::Loaded`] with the same slot and seq.
    Load { slot: Slot, seq: u64, req: Request },
    /// Change something; the answer comes back as [`Msg::Acted`].
    Act(Action),
    /// Leave the console.
    Quit,
}

/// Where an answer goes: one per pane (a newer request of the same slot makes older answers stale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Summary,
    Certs,
    CertDetail,
    Agents,
    AgentDetail,
    Groups,
    Members,
    Jobs,
    Policies,
    Violations,
    Audit,
}

/// A read of the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Summary,
    /// One page of certificates (server-side filter and paging).
    Certs {
        filter: Box<CertificateFilter>,
        page: u32,
        per_page: u32,
    },
    /// A certificate with its versions, targets, jobs, open violations and last audit events.
    CertDetail(String),
    /// One page of agents, narrowed to a group's members; also the list of groups.
    Agents {
        group: Option<String>,
        page: u32,
        per_page: u32,
    },
    /// An agent with its groups, targets and the certificates of its jobs.
    AgentDetail(String),
    Groups,
    Members(String),
    /// The newest jobs (shown failed first).
    Jobs,
    Policies,
    Violations(String),
    /// The newest audit events (the server side of the Audit screen's filter).
    Audit(AuditFilter),
}

/// A read's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Summary(Summary),
    Certs(Page<Certificate>),
    CertDetail(Box<CertDetail>),
    Agents { agents: Page<Agent>, groups: Vec<AgentGroup> },
    AgentDetail(Box<AgentDetail>),
    Groups(Page<AgentGroup>),
    Members(Page<Agent>),
    Jobs(Page<Job>),
    Policies(Page<PolicyRule>),
    Violations(Page<PolicyViolation>),
    Audit(Page<AuditEvent>),
}

/// Everything the certificate detail pane shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CertDetail {
    pub cert: Certificate,
    pub versions: Vec<CertificateVersion>,
    /// Each target with the status of its latest deployment job, if any.
    pub targets: Vec<(Target, Option<String>)>,
    pub jobs: Vec<Job>,
    pub violations: Vec<PolicyViolation>,
    /// The certificate has more open violations than were read ([`crate::net::VIOLATIONS_PAGE`]).
    pub violations_partial: bool,
    pub audit: Vec<AuditEvent>,
}

/// Everything the agent detail pane shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentDetail {
    pub agent: Agent,
    pub groups: Vec<String>,
    pub targets: Vec<Target>,
    /// Certificates of the agent's jobs (their keys live on it), newest job first.
    pub certificates: Vec<String>,
}

/// A change of the server, confirmed by the user first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Renew(String),
    Deploy(String),
    Archive(String),
    /// Certificate id and RFC 5280 reason (camelCase).
    Revoke(String, String),
    CancelJob(String),
    RetryJob(String),
    /// Admit a Pending agent.
    ApproveAgent(String),
}

impl Action {
    /// "renew mc-x", for the dialog and the status bar.
    pub fn describe(&self) -> String {
        match self {
            Action::Renew(id) => format!("renew {id}"),
            Action::Deploy(id) => format!("deploy {id}"),
            Action::Archive(id) => format!("archive {id}"),
            Action::Revoke(id, reason) => format!("revoke {id} ({reason})"),
            Action::CancelJob(id) => format!("cancel job {id}"),
            Action::RetryJob(id) => format!("retry job {id}"),
            Action::ApproveAgent(id) => format!("approve agent {id}"),
        }
    }
}

/// RFC 5280 revocation reasons the server accepts, in the picker's order.
pub const REVOKE_REASONS: [&str; 6] = [
    "unspecified",
    "keyCompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "privilegeWithdrawn",
];
