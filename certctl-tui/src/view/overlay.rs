//! Overlays drawn over the body: the key bindings (`?`), the confirm dialog, the revocation
//! reason picker and the certificate / agent detail panes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{Theme, empty_text, pane_block};
use crate::app::{App, Overlay};
use crate::msg::REVOKE_REASONS;
use crate::sort::{age, days_left};

/// Every key binding: (keys, what), in the help's order; `true` marks actions hidden read-only.
pub const KEYS: &[(&str, &str, bool)] = &[
    ("Tab S-Tab l h", "next / previous screen", false),
    ("1 … 7", "Overview Certs Fleet Groups Jobs Policies Audit", false),
    ("j k ↓ ↑", "move the selection", false),
    ("PgDn PgUp ^d ^u", "move by a screen", false),
    ("g G Home End", "first / last row", false),
    ("n p ] [", "next / previous server page", false),
    ("Enter", "details: certificate, agent, job, audit event", false),
    ("/", "filter by id and name; certs: CN, SAN, tag:k=v", false),
    ("", "audit: actor:A action:A type:T id:ID (server)", false),
    ("x F e", "quick filter: expiring, failed, environment", false),
    ("s S", "sort all: CN status expiry name created / reverse", false),
    ("f", "fleet: narrow to the next group", false),
    ("r d a R", "certificate: renew deploy archive revoke", true),
    ("c r", "jobs: cancel / retry the selected job", true),
    ("A", "fleet: approve the selected Pending agent", true),
    ("m", "message log: every status line, whole", false),
    ("^r F5", "refresh now (auto every few seconds)", false),
    ("Esc", "close / clear filter / back; at the top: quit?", false),
    ("? q ^c", "this help / quit", false),
];

pub fn draw(f: &mut Frame, app: &App, t: &Theme, body: Rect) {
    let Some(o) = &app.overlay else { return };
    match o {
        Overlay::Help => {
            let lines: Vec<Line> = KEYS
                .iter()
                .filter(|(_, _, mutating)| !(*mutating && app.opts.read_only))
                .map(|(k, what, _)| {
                    Line::from(vec![Span::styled(format!("{k:<16}"), t.title()), Span::raw(*what)])
                })
                .collect();
            let area = popup(body, 68, lines.len() as u16 + 2);
            f.render_widget(Clear, area);
            f.render_widget(
                Paragraph::new(lines)
                    .block(Block::default().borders(Borders::ALL).title(" Keys · Esc closes ")),
                area,
            );
        }
        Overlay::Confirm(a) => {
            let area = popup(body, 50, 5);
            f.render_widget(Clear, area);
            let lines = vec![
                Line::from(Span::styled(format!("{}?", a.describe()), t.title())),
                Line::raw(""),
                Line::raw("y / Enter: yes    n / Esc: no"),
            ];
            f.render_widget(
                Paragraph::new(lines)
                    .block(Block::default().borders(Borders::ALL).title(" Confirm ")),
                area,
            );
        }
        Overlay::RevokeReason { id, selected } => {
            let area = popup(body, 50, REVOKE_REASONS.len() as u16 + 3);
            f.render_widget(Clear, area);
            let mut lines = vec![Line::raw(format!("Revoke {id}: reason (Enter picks)"))];
            for (i, r) in REVOKE_REASONS.iter().enumerate() {
                let mark = if i == *selected { "> " } else { "  " };
                let style =
                    if i == *selected { t.selected() } else { ratatui::style::Style::default() };
                lines.push(Line::from(Span::styled(format!("{mark}{r}"), style)));
            }
            f.render_widget(
                Paragraph::new(lines)
                    .block(Block::default().borders(Borders::ALL).title(" Revoke ")),
                area,
            );
        }
        Overlay::CertDetail(id) => cert_detail(f, app, t, body, id),
        Overlay::AgentDetail(id) => agent_detail(f, app, t, body, id),
        Overlay::JobDetail(id) => super::detail::job(f, app, t, body, id),
        Overlay::AuditDetail(id) => super::detail::audit_event(f, app, t, body, id),
        Overlay::Messages => super::detail::messages(f, app, t, body),
        Overlay::ConfirmQuit => {
            let area = popup(body, 40, 5);
            f.render_widget(Clear, area);
            let lines = vec![
                Line::from(Span::styled("Quit the console?", t.title())),
                Line::raw(""),
                Line::raw("y / Enter / q: quit    Esc: stay"),
            ];
            f.render_widget(
                Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Quit ")),
                area,
            );
        }
    }
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn popup(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn head<'a>(t: &Theme, s: &str) -> Line<'a> {
    Line::from(Span::styled(s.to_owned(), t.header()))
}

fn cert_detail(f: &mut Frame, app: &App, t: &Theme, body: Rect, id: &str) {
    let pane = &app.cert_detail;
    f.render_widget(Clear, body);
    let block = pane_block(format!("Certificate {id} · Esc back"), pane, t);
    let inner = block.inner(body);
    f.render_widget(block, body);
    let Some(d) = &pane.data else {
        f.render_widget(Paragraph::new(empty_text(pane, "details")), inner);
        return;
    };
    let c = &d.cert;
    let days = days_left(c.expires_at, app.now);
    let mut left = vec![
        Line::from(vec![
            Span::styled(c.common_name.clone(), t.title()),
            Span::raw("  "),
            Span::styled(c.status.to_string(), t.status(c.status.as_str())),
        ]),
        Line::from(vec![
            Span::raw(format!(
                "expires {} ",
                c.expires_at.map(|e| e.to_rfc3339()).unwrap_or_else(|| "-".into())
            )),
            Span::styled(days.map(|d| format!("({d} days)")).unwrap_or_default(), t.days(days)),
        ]),
        Line::raw(format!(
            "env {} · issuer {} · owner {}",
            c.environment.as_deref().unwrap_or("-"),
            c.issuer_id,
            c.owner_id.as_ref().map(|o| o.to_string()).unwrap_or_else(|| "-".into())
        )),
        head(t, "SANs"),
    ];
    left.extend(c.sans.iter().map(|s| Line::raw(format!("  {s}"))));
    left.push(head(t, "Versions (serial · validity · sha256)"));
    if d.versions.is_empty() {
        left.push(Line::raw("  none issued"));
    }
    for v in d.versions.iter().take(4) {
        let fp: String = v.fingerprint_sha256.chars().take(16).collect();
        let nb = v.not_before.to_rfc3339();
        let na = v.not_after.to_rfc3339();
        left.push(Line::raw(format!(
            "  {} {}…{} {fp}…",
            short(&v.serial_number, 12),
            nb.get(..10).unwrap_or(&nb),
            na.get(..10).unwrap_or(&na)
        )));
    }
    left.push(head(t, "Targets (last deployment)"));
    if d.targets.is_empty() {
        left.push(Line::raw("  none"));
    }
    for (tg, state) in &d.targets {
        let agent = tg.agent_id.as_ref().map(|a| a.to_string()).unwrap_or_else(|| "-".into());
        let st = state.clone().unwrap_or_else(|| "never deployed".into());
        left.push(Line::from(vec![
            Span::raw(format!("  {} {} on {agent}: ", tg.name, tg.target_type)),
            Span::styled(st.clone(), t.status(&st)),
        ]));
    }
    let mut right = vec![head(t, "Jobs")];
    if d.jobs.is_empty() {
        right.push(Line::raw("  none"));
    }
    let jobs = &d.jobs[..d.jobs.len().min(5)];
    let n = crate::search::fit_len(jobs.iter().map(|j| j.id.as_str()), 14);
    for j in jobs {
        right.push(Line::from(vec![
            Span::raw(format!("  {} {} ", crate::search::short_id(j.id.as_str(), n), j.job_type)),
            Span::styled(j.status.to_string(), t.status(j.status.as_str())),
            Span::styled(
                j.last_error.as_ref().map(|e| format!(" {e}")).unwrap_or_default(),
                t.bad(),
            ),
        ]));
    }
    right.push(head(t, "Open violations"));
    if d.violations.is_empty() {
        right.push(Line::raw("  none"));
    }
    for v in d.violations.iter().take(4) {
        right.push(Line::from(vec![
            Span::styled(format!("  {} ", v.severity), t.status(v.severity.as_str())),
            Span::raw(v.message.clone()),
        ]));
    }
    if d.violations_partial {
        right.push(Line::styled(
            format!("  (more than the {} read)", crate::net::VIOLATIONS_PAGE),
            t.warn(),
        ));
    }
    right.push(head(t, "Last audit events"));
    for e in d.audit.iter().take(6) {
        right.push(Line::raw(format!(
            "  {:>4} {} by {}",
            age(Some(e.timestamp), app.now),
            e.action,
            e.actor
        )));
    }
    two_columns(f, inner, left, right);
}

fn agent_detail(f: &mut Frame, app: &App, t: &Theme, body: Rect, id: &str) {
    let pane = &app.agent_detail;
    f.render_widget(Clear, body);
    let block = pane_block(format!("Agent {id} · Esc back"), pane, t);
    let inner = block.inner(body);
    f.render_widget(block, body);
    let Some(d) = &pane.data else {
        f.render_widget(Paragraph::new(empty_text(pane, "details")), inner);
        return;
    };
    let a = &d.agent;
    let mut left = vec![
        Line::from(vec![
            Span::styled(format!("{} ({})", a.name, a.hostname), t.title()),
            Span::raw("  "),
            Span::styled(a.status.to_string(), t.status(a.status.as_str())),
        ]),
        Line::raw(format!("{} {} {} · agent {}", a.os, a.os_version, a.arch, a.agent_version)),
        Line::raw(format!("last heartbeat {} ago", age(a.last_heartbeat_at, app.now))),
        head(t, "Addresses"),
    ];
    left.extend(a.ip_addresses.iter().map(|ip| Line::raw(format!("  {ip}"))));
    if let Some(ip) = &a.observed_ip {
        left.push(Line::raw(format!("  seen from {ip}")));
    }
    left.push(head(t, "Labels (operator)"));
    left.extend(a.labels.iter().map(|(k, v)| Line::raw(format!("  {k}={v}"))));
    if !a.reported_labels.is_empty() {
        left.push(head(t, "Labels (reported)"));
        left.extend(a.reported_labels.iter().map(|(k, v)| Line::raw(format!("  {k}={v}"))));
    }
    left.push(head(t, "Groups"));
    if d.groups.is_empty() {
        left.push(Line::raw("  none"));
    }
    left.extend(d.groups.iter().map(|g| Line::raw(format!("  {g}"))));
    let mut right = vec![head(t, "Targets")];
    if d.targets.is_empty() {
        right.push(Line::raw("  none"));
    }
    right.extend(
        d.targets.iter().map(|x| Line::raw(format!("  {} ({}) {}", x.name, x.target_type, x.id))),
    );
    right.push(head(t, "Certificates (from its jobs: keys held here)"));
    if d.certificates.is_empty() {
        right.push(Line::raw("  none"));
    }
    right.extend(d.certificates.iter().map(|c| Line::raw(format!("  {c}"))));
    two_columns(f, inner, left, right);
}

/// Side by side when wide enough, else one above the other.
fn two_columns(f: &mut Frame, area: Rect, left: Vec<Line>, right: Vec<Line>) {
    if area.width >= 100 {
        let [l, r] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(area);
        f.render_widget(Paragraph::new(left).wrap(Wrap { trim: false }), l);
        f.render_widget(Paragraph::new(right), r);
    } else {
        let mut all = left;
        all.extend(right);
        f.render_widget(Paragraph::new(all), area);
    }
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n).collect() }
}
