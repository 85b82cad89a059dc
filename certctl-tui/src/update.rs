//! The pure update: `(state, message) → state', effects`. Keys, clock ticks and the answers of
//! background calls come in; loads and actions go out as [`Effect`]s for the runtime to run.
//! No I/O here, so every key can be tested without a terminal.

use certctl::model::{AgentStatus, CertificateFilter, CertificateSort, CertificateStatus, Page};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::{
    App, List, Logged, Overlay, PER_PAGE, Pane, Quick, Reselect, SORT_KEYS, Status, Tab,
};
use crate::msg::{Action, Data, Effect, Msg, REVOKE_REASONS, Request, Slot};
use crate::search::{Search, audit_filter};

/// Applies one message; returns what to do next.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) if k.kind == KeyEventKind::Release => Vec::new(),
        Msg::Key(k) => key(app, k),
        Msg::Tick(now) => {
            app.now = now;
            Vec::new()
        }
        Msg::Refresh => refresh(app),
        Msg::Loaded { slot, seq, result } => loaded(app, slot, seq, result),
        Msg::Acted { action, result, forbidden } => {
            let status = match result {
                Ok(text) => Status { text, error: false },
                Err(e) if forbidden => {
                    // A viewer key: hide the actions from now on.
                    app.opts.read_only = true;
                    Status {
                        text: format!(
                            "{} refused: {e}; this API key is read-only, actions hidden",
                            action.describe()
                        ),
                        error: true,
                    }
                }
                Err(e) => {
                    Status { text: format!("{} failed: {e}", action.describe()), error: true }
                }
            };
            app.say(status);
            refresh(app)
        }
    }
}

/// The loads that bring the current screen (and an open detail pane) up to date.
pub fn refresh(app: &mut App) -> Vec<Effect> {
    let mut fx = load_tab(app);
    match app.overlay.clone() {
        Some(Overlay::CertDetail(id)) => {
            fx.push(load(app, Slot::CertDetail, Request::CertDetail(id)))
        }
        Some(Overlay::AgentDetail(id)) => {
            fx.push(load(app, Slot::AgentDetail, Request::AgentDetail(id)))
        }
        _ => {}
    }
    fx
}

/// Starts a load: marks the slot's pane as loading with a new generation.
fn load(app: &mut App, slot: Slot, req: Request) -> Effect {
    app.next_seq += 1;
    let seq = app.next_seq;
    macro_rules! mark {
        ($p:expr) => {{
            $p.loading = true;
            $p.seq = seq;
        }};
    }
    match slot {
        Slot::Summary => mark!(app.summary),
        Slot::Certs => mark!(app.certs.list.pane),
        Slot::CertDetail => mark!(app.cert_detail),
        Slot::Agents => mark!(app.fleet.list.pane),
        Slot::AgentDetail => mark!(app.agent_detail),
        Slot::Groups => mark!(app.groups.pane),
        Slot::Members => mark!(app.members),
        Slot::Jobs => mark!(app.jobs.pane),
        Slot::Policies => mark!(app.policies.pane),
        Slot::Violations => mark!(app.violations),
        Slot::Audit => mark!(app.audit.pane),
    }
    Effect::Load { slot, seq, req }
}

/// The certificates filter in force: search text (`tag:k=v` words are tag filters), quick
/// filter, and the order the server sorts the whole list by.
pub fn cert_filter(app: &App) -> CertificateFilter {
    let mut f =
        CertificateFilter { exclude_archived: true, sort: app.certs.sort, ..Default::default() };
    let mut words = Vec::new();
    for w in app.certs.filter.split_whitespace() {
        match w.strip_prefix("tag:").and_then(|t| t.split_once('=')) {
            Some((k, v)) if !k.is_empty() && !k.contains(':') => {
                f.tags.push((k.to_owned(), v.to_owned()))
            }
            _ => words.push(w),
        }
    }
    if !words.is_empty() {
        f.q = Some(words.join(" "));
    }
    match &app.certs.quick {
        Quick::All => {}
        Quick::Expiring => {
            f.expires_after = Some(app.now);
            f.expires_before = Some(app.now.plus(time::Duration::days(30)));
        }
        Quick::Failed => f.status = Some(CertificateStatus::Failed),
        Quick::Environment(e) => f.environment = Some(e.clone()),
    }
    f
}

fn load_certs(app: &mut App) -> Effect {
    let req = Request::Certs {
        filter: Box::new(cert_filter(app)),
        page: app.certs.page,
        per_page: PER_PAGE,
    };
    load(app, Slot::Certs, req)
}

fn load_agents(app: &mut App) -> Effect {
    let req = Request::Agents {
        group: app.fleet.group.clone(),
        page: app.fleet.page,
        per_page: PER_PAGE,
    };
    load(app, Slot::Agents, req)
}

/// The loads of the current tab.
fn load_tab(app: &mut App) -> Vec<Effect> {
    match app.tab {
        Tab::Overview => vec![load(app, Slot::Summary, Request::Summary)],
        Tab::Certificates => vec![load_certs(app)],
        Tab::Fleet => vec![load_agents(app)],
        Tab::Groups => {
            let mut fx = vec![load(app, Slot::Groups, Request::Groups)];
            fx.extend(load_members(app));
            fx
        }
        Tab::Jobs => vec![load(app, Slot::Jobs, Request::Jobs)],
        Tab::Policies => {
            let mut fx = vec![load(app, Slot::Policies, Request::Policies)];
            fx.extend(load_violations(app));
            fx
        }
        Tab::Audit => vec![load_audit(app)],
    }
}

fn load_audit(app: &mut App) -> Effect {
    let req = Request::Audit(audit_filter(&app.audit.filter));
    load(app, Slot::Audit, req)
}

fn load_members(app: &mut App) -> Option<Effect> {
    let id = app.groups.current()?.id.to_string();
    Some(load(app, Slot::Members, Request::Members(id)))
}

fn load_violations(app: &mut App) -> Option<Effect> {
    let id = app.policies.current()?.id.to_string();
    Some(load(app, Slot::Violations, Request::Violations(id)))
}

fn set_tab(app: &mut App, tab: Tab) -> Vec<Effect> {
    app.tab = tab;
    app.input = None;
    load_tab(app)
}

/// Puts an answer in its pane (stale answers are dropped) and keeps the selection on the same row.
fn loaded(app: &mut App, slot: Slot, seq: u64, result: Result<Data, String>) -> Vec<Effect> {
    if let Err(e) = &result {
        log_error(app, slot, e);
    }
    let now = app.now;
    fn store<T>(
        p: &mut Pane<T>,
        seq: u64,
        now: certctl::model::Timestamp,
        r: Result<T, String>,
    ) -> bool {
        if p.seq != seq {
            return false;
        }
        p.loading = false;
        match r {
            Ok(d) => {
                p.data = Some(d);
                p.error = None;
                p.refreshed = Some(now);
            }
            Err(e) => p.error = Some(e),
        }
        true
    }
    /// Replaces a list's page, keeping the selection on the row with the same key.
    fn relist<T: Search, K: PartialEq>(
        l: &mut List<T>,
        seq: u64,
        now: certctl::model::Timestamp,
        r: Result<Page<T>, String>,
        key: impl Fn(&T) -> K,
    ) -> bool {
        let before = l.current().map(&key);
        if !store(&mut l.pane, seq, now, r) {
            return false;
        }
        if let Some(k) = before
            && let Some(i) = l.rows().iter().position(|t| key(t) == k)
        {
            l.selected = i;
        }
        l.selected = l.selected.min(l.rows().len().saturating_sub(1));
        true
    }
    let err = |r: &Result<Data, String>| r.as_ref().err().cloned();
    match slot {
        Slot::Summary => {
            let r = match result {
                Ok(Data::Summary(s)) => Ok(s),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            store(&mut app.summary, seq, now, r);
        }
        Slot::Certs => {
            let before = app.cert_rows().get(app.certs.list.selected).map(|c| c.id.clone());
            let r = match result {
                Ok(Data::Certs(p)) => Ok(p),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            let ok = r.is_ok();
            if store(&mut app.certs.list.pane, seq, now, r) {
                for c in app.certs.list.rows() {
                    if let Some(e) = &c.environment
                        && !app.certs.environments.contains(e)
                    {
                        app.certs.environments.push(e.clone());
                    }
                }
                app.certs.environments.sort();
                // A new filter, sort or page is settled by its first answer; a failed one leaves
                // the old rows on screen, and the selection with them.
                let reselect =
                    if ok { std::mem::take(&mut app.certs.reselect) } else { Reselect::Follow };
                let rows = app.cert_rows();
                let found = match reselect {
                    Reselect::Follow => before.and_then(|id| rows.iter().position(|c| c.id == id)),
                    Reselect::Top => Some(0),
                    Reselect::Keep(id) => Some(rows.iter().position(|c| c.id == id).unwrap_or(0)),
                };
                let len = rows.len();
                app.certs.list.selected =
                    found.unwrap_or(app.certs.list.selected).min(len.saturating_sub(1));
            }
        }
        Slot::CertDetail => {
            let r = match result {
                Ok(Data::CertDetail(d)) => Ok(*d),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            store(&mut app.cert_detail, seq, now, r);
        }
        Slot::Agents => {
            let r = match result {
                Ok(Data::Agents { agents, groups }) => {
                    app.fleet.groups = groups;
                    Ok(agents)
                }
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            relist(&mut app.fleet.list, seq, now, r, |a| a.id.clone());
        }
        Slot::AgentDetail => {
            let r = match result {
                Ok(Data::AgentDetail(d)) => Ok(*d),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            store(&mut app.agent_detail, seq, now, r);
        }
        Slot::Groups => {
            let before = app.groups.current().map(|g| g.id.clone());
            let r = match result {
                Ok(Data::Groups(p)) => Ok(p),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            if relist(&mut app.groups, seq, now, r, |g| g.id.clone())
                && before != app.groups.current().map(|g| g.id.clone())
            {
                return load_members(app).into_iter().collect();
            }
        }
        Slot::Members => {
            let r = match result {
                Ok(Data::Members(p)) => Ok(p),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            store(&mut app.members, seq, now, r);
        }
        Slot::Jobs => {
            let before = app.job_rows().get(app.jobs.selected).map(|j| j.id.clone());
            let r = match result {
                Ok(Data::Jobs(p)) => Ok(p),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            if store(&mut app.jobs.pane, seq, now, r) {
                let rows = app.job_rows();
                let found = before.and_then(|id| rows.iter().position(|j| j.id == id));
                let len = rows.len();
                app.jobs.selected = found.unwrap_or(app.jobs.selected).min(len.saturating_sub(1));
            }
        }
        Slot::Policies => {
            let before = app.policies.current().map(|p| p.id.clone());
            let r = match result {
                Ok(Data::Policies(p)) => Ok(p),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            if relist(&mut app.policies, seq, now, r, |p| p.id.clone())
                && before != app.policies.current().map(|p| p.id.clone())
            {
                return load_violations(app).into_iter().collect();
            }
        }
        Slot::Violations => {
            let r = match result {
                Ok(Data::Violations(p)) => Ok(p),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            store(&mut app.violations, seq, now, r);
        }
        Slot::Audit => {
            let r = match result {
                Ok(Data::Audit(p)) => Ok(p),
                other => Err(err(&other).unwrap_or_else(|| "unexpected answer".to_owned())),
            };
            relist(&mut app.audit, seq, now, r, |e| e.id.clone());
        }
    }
    Vec::new()
}

/// Keeps a failed load's whole error in the message log, once per change (the pane's title
/// shows its first line; auto-refresh does not repeat it).
fn log_error(app: &mut App, slot: Slot, e: &str) {
    let pane_error = match slot {
        Slot::Summary => &app.summary.error,
        Slot::Certs => &app.certs.list.pane.error,
        Slot::CertDetail => &app.cert_detail.error,
        Slot::Agents => &app.fleet.list.pane.error,
        Slot::AgentDetail => &app.agent_detail.error,
        Slot::Groups => &app.groups.pane.error,
        Slot::Members => &app.members.error,
        Slot::Jobs => &app.jobs.pane.error,
        Slot::Policies => &app.policies.pane.error,
        Slot::Violations => &app.violations.error,
        Slot::Audit => &app.audit.pane.error,
    };
    if pane_error.as_deref() != Some(e) {
        let status =
            Status { text: format!("loading {} failed: {e}", slot_name(slot)), error: true };
        app.log.push(Logged { at: app.now, status });
        if app.log.len() > crate::app::LOG_LEN {
            app.log.remove(0);
        }
    }
}

fn slot_name(slot: Slot) -> &'static str {
    match slot {
        Slot::Summary => "the overview",
        Slot::Certs => "certificates",
        Slot::CertDetail => "the certificate",
        Slot::Agents => "agents",
        Slot::AgentDetail => "the agent",
        Slot::Groups => "groups",
        Slot::Members => "group members",
        Slot::Jobs => "jobs",
        Slot::Policies => "policies",
        Slot::Violations => "violations",
        Slot::Audit => "the audit log",
    }
}

/// The selected certificate's id (display order), on the certificates screen or its detail.
fn selected_cert(app: &App) -> Option<String> {
    if let Some(Overlay::CertDetail(id)) = &app.overlay {
        return Some(id.clone());
    }
    (app.tab == Tab::Certificates)
        .then(|| app.cert_rows().get(app.certs.list.selected).map(|c| c.id.to_string()))
        .flatten()
}

fn key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && k.code == KeyCode::Char('c') {
        return vec![Effect::Quit];
    }
    if app.input.is_some() {
        return input_key(app, k);
    }
    if let Some(o) = app.overlay.clone() {
        return overlay_key(app, o, k);
    }
    if ctrl && matches!(k.code, KeyCode::Char('r')) || k.code == KeyCode::F(5) {
        return refresh(app);
    }
    if ctrl {
        return match k.code {
            KeyCode::Char('d') => move_by(app, app.page_rows as isize),
            KeyCode::Char('u') => move_by(app, -(app.page_rows as isize)),
            _ => Vec::new(),
        };
    }
    match k.code {
        KeyCode::Char('q') => vec![Effect::Quit],
        KeyCode::Esc => esc(app),
        KeyCode::Char('?') => {
            app.overlay = Some(Overlay::Help);
            Vec::new()
        }
        KeyCode::Char('m') => open_text(app, Overlay::Messages),
        KeyCode::Char('/') if app.tab != Tab::Overview => {
            app.input = Some(app.filter().to_owned());
            Vec::new()
        }
        KeyCode::Tab | KeyCode::Char('l') => {
            set_tab(app, Tab::ALL[(app.tab.index() + 1) % Tab::ALL.len()])
        }
        KeyCode::BackTab | KeyCode::Char('h') => {
            set_tab(app, Tab::ALL[(app.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()])
        }
        KeyCode::Char(c @ '1'..='7') => set_tab(app, Tab::ALL[(c as usize) - ('1' as usize)]),
        KeyCode::Char('j') | KeyCode::Down => move_by(app, 1),
        KeyCode::Char('k') | KeyCode::Up => move_by(app, -1),
        KeyCode::PageDown => move_by(app, app.page_rows as isize),
        KeyCode::PageUp => move_by(app, -(app.page_rows as isize)),
        KeyCode::Char('g') | KeyCode::Home => move_by(app, isize::MIN / 2),
        KeyCode::Char('G') | KeyCode::End => move_by(app, isize::MAX / 2),
        KeyCode::Char('n') | KeyCode::Char(']') => turn_page(app, 1),
        KeyCode::Char('p') | KeyCode::Char('[') => turn_page(app, -1),
        _ => screen_key(app, k),
    }
}

/// Esc at the top level: clear a filter, else the group selector, else ask before quitting.
fn esc(app: &mut App) -> Vec<Effect> {
    match app.tab {
        Tab::Fleet | Tab::Groups | Tab::Jobs | Tab::Policies | Tab::Audit
            if !app.filter().is_empty() =>
        {
            set_filter(app, String::new())
        }
        Tab::Certificates if !app.certs.filter.is_empty() || app.certs.quick != Quick::All => {
            app.certs.filter.clear();
            app.certs.quick = Quick::All;
            app.certs.page = 1;
            app.certs.list.selected = 0;
            app.certs.reselect = Reselect::Top;
            vec![load_certs(app)]
        }
        Tab::Fleet if app.fleet.group.is_some() => {
            app.fleet.group = None;
            app.fleet.page = 1;
            vec![load_agents(app)]
        }
        _ => {
            app.overlay = Some(Overlay::ConfirmQuit);
            Vec::new()
        }
    }
}

/// Opens a text overlay at its top.
fn open_text(app: &mut App, o: Overlay) -> Vec<Effect> {
    app.overlay = Some(o);
    app.scroll = 0;
    Vec::new()
}

/// Keys of one screen.
fn screen_key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    let rw = !app.opts.read_only;
    match (app.tab, k.code) {
        (Tab::Certificates, KeyCode::Char('s')) => {
            let next = match app.certs.sort {
                None => SORT_KEYS.first().map(|k| (*k, false)),
                Some(s) => SORT_KEYS
                    .iter()
                    .position(|k| *k == s.key)
                    .and_then(|i| SORT_KEYS.get(i + 1))
                    .map(|k| (*k, s.descending)),
            };
            resort(app, next.map(|(key, descending)| CertificateSort { key, descending }))
        }
        (Tab::Certificates, KeyCode::Char('S')) => match app.certs.sort {
            Some(s) => resort(app, Some(CertificateSort { descending: !s.descending, ..s })),
            None => Vec::new(),
        },
        (Tab::Certificates, KeyCode::Char('x')) => quick(app, Quick::Expiring),
        (Tab::Certificates, KeyCode::Char('F')) => quick(app, Quick::Failed),
        (Tab::Certificates, KeyCode::Char('e')) => {
            let envs = &app.certs.environments;
            let next = match &app.certs.quick {
                Quick::Environment(e) => {
                    envs.iter().position(|x| x == e).and_then(|i| envs.get(i + 1)).cloned()
                }
                _ => envs.first().cloned(),
            };
            app.certs.quick = next.map(Quick::Environment).unwrap_or(Quick::All);
            app.certs.page = 1;
            app.certs.list.selected = 0;
            app.certs.reselect = Reselect::Top;
            vec![load_certs(app)]
        }
        (Tab::Certificates, KeyCode::Enter) => match selected_cert(app) {
            Some(id) => open_cert(app, id),
            None => Vec::new(),
        },
        (Tab::Certificates, KeyCode::Char(c)) if rw => cert_action(app, c),
        (Tab::Fleet, KeyCode::Char('f')) => {
            let groups = &app.fleet.groups;
            app.fleet.group = match &app.fleet.group {
                None => groups.first().map(|g| g.id.to_string()),
                Some(cur) => groups
                    .iter()
                    .position(|g| g.id.as_str() == cur)
                    .and_then(|i| groups.get(i + 1))
                    .map(|g| g.id.to_string()),
            };
            app.fleet.page = 1;
            app.fleet.list.selected = 0;
            vec![load_agents(app)]
        }
        (Tab::Jobs, KeyCode::Enter) => match app.job_rows().get(app.jobs.selected) {
            Some(j) => {
                let id = j.id.to_string();
                open_text(app, Overlay::JobDetail(id))
            }
            None => Vec::new(),
        },
        (Tab::Audit, KeyCode::Enter) => match app.audit.current() {
            Some(e) => {
                let id = e.id.to_string();
                open_text(app, Overlay::AuditDetail(id))
            }
            None => Vec::new(),
        },
        (Tab::Fleet, KeyCode::Enter) => match app.fleet.list.current().map(|a| a.id.to_string()) {
            Some(id) => {
                app.overlay = Some(Overlay::AgentDetail(id.clone()));
                app.agent_detail = Pane { seq: app.agent_detail.seq, ..Pane::default() };
                vec![load(app, Slot::AgentDetail, Request::AgentDetail(id))]
            }
            None => Vec::new(),
        },
        (Tab::Fleet, KeyCode::Char('A')) if rw => {
            match app.fleet.list.current().map(|a| (a.id.to_string(), a.status)) {
                Some((id, status)) => approve(app, id, status),
                None => Vec::new(),
            }
        }
        (Tab::Jobs, KeyCode::Char('c')) if rw => job_action(app, Action::CancelJob),
        (Tab::Jobs, KeyCode::Char('r')) if rw => job_action(app, Action::RetryJob),
        _ => Vec::new(),
    }
}

fn open_cert(app: &mut App, id: String) -> Vec<Effect> {
    app.overlay = Some(Overlay::CertDetail(id.clone()));
    app.cert_detail = Pane { seq: app.cert_detail.seq, ..Pane::default() };
    vec![load(app, Slot::CertDetail, Request::CertDetail(id))]
}

/// A new server-side order: page 1 of the whole filtered list in that order, the selected
/// certificate still selected if it is on that page.
fn resort(app: &mut App, sort: Option<CertificateSort>) -> Vec<Effect> {
    app.certs.sort = sort;
    app.certs.page = 1;
    app.certs.reselect = match app.cert_rows().get(app.certs.list.selected) {
        Some(c) => Reselect::Keep(c.id.clone()),
        None => Reselect::Top,
    };
    vec![load_certs(app)]
}

fn quick(app: &mut App, q: Quick) -> Vec<Effect> {
    app.certs.quick = if app.certs.quick == q { Quick::All } else { q };
    app.certs.page = 1;
    app.certs.list.selected = 0;
    app.certs.reselect = Reselect::Top;
    vec![load_certs(app)]
}

/// r renew, d deploy, a archive, R revoke (reason first): each asks for confirmation.
fn cert_action(app: &mut App, c: char) -> Vec<Effect> {
    let Some(id) = selected_cert(app) else { return Vec::new() };
    app.overlay = match c {
        'r' => Some(Overlay::Confirm(Action::Renew(id))),
        'd' => Some(Overlay::Confirm(Action::Deploy(id))),
        'a' => Some(Overlay::Confirm(Action::Archive(id))),
        'R' => Some(Overlay::RevokeReason { id, selected: 0 }),
        _ => return Vec::new(),
    };
    Vec::new()
}

/// A: approve a Pending agent (asks first); any other agent gets a note why not.
fn approve(app: &mut App, id: String, status: AgentStatus) -> Vec<Effect> {
    if status == AgentStatus::Pending {
        app.overlay = Some(Overlay::Confirm(Action::ApproveAgent(id)));
    } else {
        app.say(Status {
            text: format!("agent {id} is {status}: only a Pending agent can be approved"),
            error: true,
        });
    }
    Vec::new()
}

fn job_action(app: &mut App, make: fn(String) -> Action) -> Vec<Effect> {
    if let Some(j) = app.job_rows().get(app.jobs.selected) {
        app.overlay = Some(Overlay::Confirm(make(j.id.to_string())));
    }
    Vec::new()
}

fn overlay_key(app: &mut App, o: Overlay, k: KeyEvent) -> Vec<Effect> {
    match (o, k.code) {
        (Overlay::ConfirmQuit, KeyCode::Char('y' | 'q') | KeyCode::Enter) => vec![Effect::Quit],
        (Overlay::ConfirmQuit, _) => {
            app.overlay = None;
            Vec::new()
        }
        (_, KeyCode::Char('q')) if !matches!(app.overlay, Some(Overlay::Confirm(_))) => {
            vec![Effect::Quit]
        }
        (
            Overlay::JobDetail(_) | Overlay::AuditDetail(_) | Overlay::Messages,
            code @ (KeyCode::Char('j' | 'k' | 'g')
            | KeyCode::Down
            | KeyCode::Up
            | KeyCode::PageDown
            | KeyCode::PageUp
            | KeyCode::Home),
        ) => {
            let page = app.page_rows.max(1) as u16;
            app.scroll = match code {
                KeyCode::Char('j') | KeyCode::Down => app.scroll.saturating_add(1),
                KeyCode::Char('k') | KeyCode::Up => app.scroll.saturating_sub(1),
                KeyCode::PageDown => app.scroll.saturating_add(page),
                KeyCode::PageUp => app.scroll.saturating_sub(page),
                _ => 0,
            };
            Vec::new()
        }
        (Overlay::JobDetail(_) | Overlay::AuditDetail(_) | Overlay::Messages, KeyCode::Esc) => {
            app.overlay = None;
            Vec::new()
        }
        (Overlay::JobDetail(id), KeyCode::Char(c @ ('c' | 'r'))) if !app.opts.read_only => {
            let make = if c == 'c' { Action::CancelJob } else { Action::RetryJob };
            app.overlay = Some(Overlay::Confirm(make(id)));
            Vec::new()
        }
        (Overlay::Confirm(a), KeyCode::Char('y') | KeyCode::Enter) => {
            app.overlay = None;
            app.say(Status { text: format!("{}…", a.describe()), error: false });
            vec![Effect::Act(a)]
        }
        (Overlay::Confirm(a), KeyCode::Char('n') | KeyCode::Esc) => {
            app.overlay = None;
            app.say(Status { text: format!("{}: cancelled", a.describe()), error: false });
            Vec::new()
        }
        (Overlay::RevokeReason { id, selected }, code) => {
            let n = REVOKE_REASONS.len();
            match code {
                KeyCode::Char('j') | KeyCode::Down => {
                    app.overlay = Some(Overlay::RevokeReason { id, selected: (selected + 1) % n })
                }
                KeyCode::Char('k') | KeyCode::Up => {
                    app.overlay =
                        Some(Overlay::RevokeReason { id, selected: (selected + n - 1) % n })
                }
                KeyCode::Enter => {
                    app.overlay = Some(Overlay::Confirm(Action::Revoke(
                        id,
                        REVOKE_REASONS[selected % n].to_owned(),
                    )))
                }
                KeyCode::Esc => app.overlay = None,
                _ => {}
            }
            Vec::new()
        }
        (Overlay::Help, KeyCode::Esc | KeyCode::Char('?')) => {
            app.overlay = None;
            Vec::new()
        }
        (Overlay::CertDetail(_) | Overlay::AgentDetail(_), KeyCode::Esc) => {
            app.overlay = None;
            Vec::new()
        }
        (Overlay::CertDetail(_), KeyCode::Char(c)) if !app.opts.read_only => cert_action(app, c),
        (Overlay::AgentDetail(id), KeyCode::Char('A')) if !app.opts.read_only => {
            let status = app
                .agent_detail
                .data
                .as_ref()
                .map(|d| d.agent.status)
                .unwrap_or(AgentStatus::Offline);
            approve(app, id, status)
        }
        _ => Vec::new(),
    }
}

/// Typing the `/` filter of the current screen.
fn input_key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    let Some(text) = app.input.as_mut() else { return Vec::new() };
    let next = match k.code {
        KeyCode::Enter => {
            app.input = None;
            return Vec::new();
        }
        KeyCode::Esc => {
            app.input = None;
            if app.filter().is_empty() {
                return Vec::new();
            }
            String::new()
        }
        KeyCode::Backspace => {
            text.pop();
            text.clone()
        }
        KeyCode::Char(c) if !c.is_control() && text.chars().count() < 200 => {
            text.push(c);
            text.clone()
        }
        _ => return Vec::new(),
    };
    set_filter(app, next)
}

/// A new `/` filter for the current screen, the selection back on the first row. Certificates
/// reload page 1 from the server; the Audit screen reloads when its server words changed; the
/// other screens filter the rows they have.
fn set_filter(app: &mut App, text: String) -> Vec<Effect> {
    match app.tab {
        Tab::Overview => Vec::new(),
        Tab::Certificates => {
            app.certs.filter = text;
            app.certs.page = 1;
            app.certs.list.selected = 0;
            app.certs.reselect = Reselect::Top;
            vec![load_certs(app)]
        }
        Tab::Audit => {
            let before = audit_filter(&app.audit.filter);
            app.audit.filter = text;
            app.audit.selected = 0;
            if audit_filter(&app.audit.filter) != before {
                vec![load_audit(app)]
            } else {
                Vec::new()
            }
        }
        Tab::Fleet => refilter(&mut app.fleet.list, text),
        Tab::Jobs => refilter(&mut app.jobs, text),
        Tab::Groups => {
            let before = app.groups.current().map(|g| g.id.clone());
            refilter(&mut app.groups, text);
            if before != app.groups.current().map(|g| g.id.clone()) {
                return load_members(app).into_iter().collect();
            }
            Vec::new()
        }
        Tab::Policies => {
            let before = app.policies.current().map(|p| p.id.clone());
            refilter(&mut app.policies, text);
            if before != app.policies.current().map(|p| p.id.clone()) {
                return load_violations(app).into_iter().collect();
            }
            Vec::new()
        }
    }
}

fn refilter<T>(l: &mut List<T>, text: String) -> Vec<Effect> {
    l.filter = text;
    l.selected = 0;
    Vec::new()
}

/// Moves the selection of the current table (clamped); dependent panes follow.
fn move_by(app: &mut App, delta: isize) -> Vec<Effect> {
    fn step(sel: &mut usize, len: usize, delta: isize) -> bool {
        let old = *sel;
        let max = len.saturating_sub(1) as isize;
        *sel = (old as isize).saturating_add(delta).clamp(0, max.max(0)) as usize;
        *sel != old
    }
    match app.tab {
        Tab::Overview => Vec::new(),
        Tab::Certificates => {
            let len = app.certs.list.rows().len();
            step(&mut app.certs.list.selected, len, delta);
            Vec::new()
        }
        Tab::Fleet => {
            let len = app.fleet.list.rows().len();
            step(&mut app.fleet.list.selected, len, delta);
            Vec::new()
        }
        Tab::Groups => {
            let len = app.groups.rows().len();
            if step(&mut app.groups.selected, len, delta) {
                return load_members(app).into_iter().collect();
            }
            Vec::new()
        }
        Tab::Jobs => {
            let len = app.jobs.rows().len();
            step(&mut app.jobs.selected, len, delta);
            Vec::new()
        }
        Tab::Policies => {
            let len = app.policies.rows().len();
            if step(&mut app.policies.selected, len, delta) {
                return load_violations(app).into_iter().collect();
            }
            Vec::new()
        }
        Tab::Audit => {
            let len = app.audit.rows().len();
            step(&mut app.audit.selected, len, delta);
            Vec::new()
        }
    }
}

/// Next / previous page of the server's list (certificates, fleet).
fn turn_page(app: &mut App, delta: i64) -> Vec<Effect> {
    let (page, total) = match app.tab {
        Tab::Certificates => {
            (&mut app.certs.page, app.certs.list.pane.data.as_ref().map(|p| p.total))
        }
        Tab::Fleet => (&mut app.fleet.page, app.fleet.list.pane.data.as_ref().map(|p| p.total)),
        _ => return Vec::new(),
    };
    let pages =
        total.map(|t| ((t.max(1) + PER_PAGE as i64 - 1) / PER_PAGE as i64) as u32).unwrap_or(1);
    let next = (*page as i64 + delta).clamp(1, pages.max(1) as i64) as u32;
    if next == *page {
        return Vec::new();
    }
    *page = next;
    match app.tab {
        Tab::Certificates => {
            app.certs.list.selected = 0;
            app.certs.reselect = Reselect::Top;
            vec![load_certs(app)]
        }
        _ => {
            app.fleet.list.selected = 0;
            vec![load_agents(app)]
        }
    }
}
