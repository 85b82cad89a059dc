//! The console's state: the current tab, one pane per screen (data kept while a refresh runs,
//! Loading / Error and the time of the last refresh), the selection, filters and overlays.
//! `update` changes it; `view` draws it; nothing here does I/O.

use std::time::Duration;

use certctl::api::Summary;
use certctl::model::{
    Agent, AgentGroup, AuditEvent, Certificate, CertificateId, CertificateSort, CertificateSortKey,
    Job, Page, PolicyRule, PolicyViolation, Timestamp,
};

use crate::msg::{Action, AgentDetail, CertDetail};
use crate::search::Search;

/// The screens, in tab order (number keys 1–7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Certificates,
    Fleet,
    Groups,
    Jobs,
    Policies,
    Audit,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Overview,
        Tab::Certificates,
        Tab::Fleet,
        Tab::Groups,
        Tab::Jobs,
        Tab::Policies,
        Tab::Audit,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Certificates => "Certificates",
            Tab::Fleet => "Fleet",
            Tab::Groups => "Groups",
            Tab::Jobs => "Jobs",
            Tab::Policies => "Policies",
            Tab::Audit => "Audit",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// Settings of the console that are not connection settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Hide every action that changes the server.
    pub read_only: bool,
    /// Auto-refresh interval.
    pub refresh: Duration,
    /// Colours (off with `NO_COLOR`): the layout never depends on them.
    pub color: bool,
    /// Where the console talks to (shown in the title bar).
    pub server: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            read_only: false,
            refresh: Duration::from_secs(10),
            color: true,
            server: String::new(),
        }
    }
}

/// One pane's data with its load state. The data stays while a refresh runs or after an error,
/// so the screen never goes blank and the selection stays in place.
#[derive(Debug, Clone)]
pub struct Pane<T> {
    pub data: Option<T>,
    pub loading: bool,
    pub error: Option<String>,
    pub refreshed: Option<Timestamp>,
    /// Generation of the request in flight; older answers are dropped.
    pub seq: u64,
}

impl<T> Default for Pane<T> {
    fn default() -> Self {
        Pane { data: None, loading: false, error: None, refreshed: None, seq: 0 }
    }
}

/// A list pane: a page of rows, the `/` filter over them and the selected row (an index into
/// the rows the filter lets through).
#[derive(Debug, Clone)]
pub struct List<T> {
    pub pane: Pane<Page<T>>,
    pub selected: usize,
    /// Words every shown row matches ([`Search`]); empty: every row.
    pub filter: String,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List { pane: Pane::default(), selected: 0, filter: String::new() }
    }
}

impl<T: Search> List<T> {
    /// Every row of the loaded page.
    pub fn all(&self) -> &[T] {
        self.pane.data.as_ref().map(|p| p.data.as_slice()).unwrap_or(&[])
    }

    /// The rows the filter lets through, in the server's order.
    pub fn rows(&self) -> Vec<&T> {
        self.all().iter().filter(|r| r.matches(&self.filter)).collect()
    }

    pub fn current(&self) -> Option<&T> {
        self.rows().get(self.selected).copied()
    }
}

/// Columns of the certificates table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertCol {
    Id,
    Name,
    Env,
    Status,
    DaysLeft,
    Issuer,
    Owner,
    Targets,
}

impl CertCol {
    pub const ALL: [CertCol; 8] = [
        CertCol::Id,
        CertCol::Name,
        CertCol::Env,
        CertCol::Status,
        CertCol::DaysLeft,
        CertCol::Issuer,
        CertCol::Owner,
        CertCol::Targets,
    ];

    pub fn title(self) -> &'static str {
        match self {
            CertCol::Id => "ID",
            CertCol::Name => "COMMON NAME",
            CertCol::Env => "ENV",
            CertCol::Status => "STATUS",
            CertCol::DaysLeft => "DAYS",
            CertCol::Issuer => "ISSUER",
            CertCol::Owner => "OWNER",
            CertCol::Targets => "TGT",
        }
    }

    /// The column that shows a server sort key, if the table has one (`name` and `created_at`
    /// are not columns; DAYS left follows `expires_at`).
    pub fn of_sort(key: CertificateSortKey) -> Option<CertCol> {
        match key {
            CertificateSortKey::CommonName => Some(CertCol::Name),
            CertificateSortKey::Status => Some(CertCol::Status),
            CertificateSortKey::ExpiresAt => Some(CertCol::DaysLeft),
            CertificateSortKey::Name | CertificateSortKey::CreatedAt => None,
        }
    }
}

/// The orders `s` cycles through, each sorted by the server over the whole filtered list (the
/// columns the server cannot sort — environment, issuer, owner, targets — are not offered).
pub const SORT_KEYS: [CertificateSortKey; 5] = [
    CertificateSortKey::CommonName,
    CertificateSortKey::Status,
    CertificateSortKey::ExpiresAt,
    CertificateSortKey::Name,
    CertificateSortKey::CreatedAt,
];

/// How a sort reads in the title: "common name ↑", "expiry ↓".
pub fn sort_label(s: CertificateSort) -> String {
    let what = match s.key {
        CertificateSortKey::CommonName => "common name",
        CertificateSortKey::Status => "status",
        CertificateSortKey::ExpiresAt => "expiry",
        CertificateSortKey::Name => "name",
        CertificateSortKey::CreatedAt => "created",
    };
    format!("{what} {}", if s.descending { "↓" } else { "↑" })
}

/// Where the selection goes when the next page of certificates arrives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Reselect {
    /// Stay on the selected certificate (a refresh of the same list).
    #[default]
    Follow,
    /// The first row (a new filter or page).
    Top,
    /// This certificate if the new page has it, else the first row (a new sort).
    Keep(CertificateId),
}

/// Quick filters of the certificates screen (server-side).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Quick {
    #[default]
    All,
    /// Expiring within 30 days.
    Expiring,
    Failed,
    Environment(String),
}

/// The certificates screen.
#[derive(Debug, Clone)]
pub struct CertsState {
    pub list: List<Certificate>,
    /// 1-based page of the server's list.
    pub page: u32,
    /// The search sent to the server (`q`: name, common name, SAN); `tag:k=v` filters by tag.
    pub filter: String,
    pub quick: Quick,
    /// Order asked of the server (`sort=`); `None`: the server's default (by id, or by expiry
    /// under the expiring quick filter).
    pub sort: Option<CertificateSort>,
    /// Where the selection goes when the answer to the last change of filter, sort or page comes.
    pub reselect: Reselect,
    /// Environments seen so far (the environment quick filter cycles through them).
    pub environments: Vec<String>,
}

impl Default for CertsState {
    fn default() -> Self {
        CertsState {
            list: List::default(),
            page: 1,
            filter: String::new(),
            quick: Quick::All,
            sort: None,
            reselect: Reselect::Follow,
            environments: Vec::new(),
        }
    }
}

/// The fleet screen.
#[derive(Debug, Clone)]
pub struct FleetState {
    pub list: List<Agent>,
    pub page: u32,
    pub groups: Vec<AgentGroup>,
    /// The group that narrows the table, if any.
    pub group: Option<String>,
}

impl Default for FleetState {
    fn default() -> Self {
        FleetState { list: List::default(), page: 1, groups: Vec::new(), group: None }
    }
}

/// What is drawn over the screen; Esc closes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help,
    /// The certificate detail pane (its data is [`App::cert_detail`]).
    CertDetail(String),
    /// The agent detail pane (its data is [`App::agent_detail`]).
    AgentDetail(String),
    /// One job of the Jobs screen, every field and the whole error (from [`App::jobs`]).
    JobDetail(String),
    /// One audit event with its details (from [`App::audit`], by event id).
    AuditDetail(String),
    /// Every status-bar message of this session, newest first, wrapped (`m`).
    Messages,
    /// "Quit the console?" — Esc at the top level asks first.
    ConfirmQuit,
    /// "Really do this?" — y / Enter confirms.
    Confirm(Action),
    /// The revocation reason picker for a certificate.
    RevokeReason {
        id: String,
        selected: usize,
    },
}

/// A line in the status bar. Only its first line is shown there; all of it stays in the
/// message log (`m`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// A status message kept in the log, with when it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub at: Timestamp,
    pub status: Status,
}

/// Messages the log keeps (the oldest go first).
pub const LOG_LEN: usize = 200;

/// The whole state.
#[derive(Debug, Clone)]
pub struct App {
    pub opts: Options,
    pub now: Timestamp,
    pub tab: Tab,
    pub overlay: Option<Overlay>,
    /// The `/` filter being typed (certificates screen), if any.
    pub input: Option<String>,
    pub status: Option<Status>,
    /// Every status message of the session, oldest first (at most [`LOG_LEN`]).
    pub log: Vec<Logged>,
    /// Lines scrolled in the open text overlay (job / audit detail, message log).
    pub scroll: u16,
    /// Rows of the tables' viewport (set by the view from the terminal size; paging keys use it).
    pub page_rows: usize,
    pub summary: Pane<Summary>,
    pub certs: CertsState,
    pub cert_detail: Pane<CertDetail>,
    pub fleet: FleetState,
    pub agent_detail: Pane<AgentDetail>,
    pub groups: List<AgentGroup>,
    pub members: Pane<Page<Agent>>,
    pub jobs: List<Job>,
    pub policies: List<PolicyRule>,
    pub violations: Pane<Page<PolicyViolation>>,
    pub audit: List<AuditEvent>,
    /// Monotonic request counter (generations).
    pub next_seq: u64,
}

/// Rows per page asked of the server for the certificates and agents tables.
pub const PER_PAGE: u32 = 100;

impl App {
    pub fn new(opts: Options, now: Timestamp) -> Self {
        App {
            opts,
            now,
            tab: Tab::Overview,
            overlay: None,
            input: None,
            status: None,
            log: Vec::new(),
            scroll: 0,
            page_rows: 15,
            summary: Pane::default(),
            certs: CertsState::default(),
            cert_detail: Pane::default(),
            fleet: FleetState::default(),
            agent_detail: Pane::default(),
            groups: List::default(),
            members: Pane::default(),
            jobs: List::default(),
            policies: List::default(),
            violations: Pane::default(),
            audit: List::default(),
            next_seq: 0,
        }
    }

    /// The certificates of the loaded page, in the server's order (the server applied the filter).
    pub fn cert_rows(&self) -> &[Certificate] {
        self.certs.list.all()
    }

    /// Jobs in display order: failed first, then newest first (the server's order).
    pub fn job_rows(&self) -> Vec<&Job> {
        let mut rows = self.jobs.rows();
        rows.sort_by_key(|j| j.status != certctl::model::JobStatus::Failed);
        rows
    }

    /// Shows `status` in the status bar and keeps it in the log.
    pub fn say(&mut self, status: Status) {
        if self.log.len() >= LOG_LEN {
            self.log.remove(0);
        }
        self.log.push(Logged { at: self.now, status: status.clone() });
        self.status = Some(status);
    }

    /// The `/` filter of the current screen (certificates: the server search).
    pub fn filter(&self) -> &str {
        match self.tab {
            Tab::Overview => "",
            Tab::Certificates => &self.certs.filter,
            Tab::Fleet => &self.fleet.list.filter,
            Tab::Groups => &self.groups.filter,
            Tab::Jobs => &self.jobs.filter,
            Tab::Policies => &self.policies.filter,
            Tab::Audit => &self.audit.filter,
        }
    }
}
