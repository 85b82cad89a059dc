//! Text overlays that show one thing whole, wrapped and scrollable (j k PgDn PgUp): a job with
//! its full error, an audit event with its details, and the message log (`m`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use super::overlay::head;
use crate::app::App;
use crate::sort::{age, clock};

/// Draws `lines` over the body in a bordered pane titled `title`, wrapped, scrolled by
/// [`App::scroll`].
fn text_pane(f: &mut Frame, app: &App, body: Rect, title: String, lines: Vec<Line>) {
    f.render_widget(Clear, body);
    let block = Block::default().borders(Borders::ALL).title(title);
    f.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).scroll((app.scroll, 0)),
        body,
    );
}

fn field<'a>(t: &Theme, name: &str, value: String) -> Line<'a> {
    Line::from(vec![Span::styled(format!("{name:<12}"), t.dim()), Span::raw(value)])
}

fn when(at: Option<certctl::model::Timestamp>, app: &App) -> String {
    match at {
        Some(at) => format!("{} ({} ago)", at.to_rfc3339(), age(Some(at), app.now)),
        None => "-".into(),
    }
}

/// One job: every field, then its last error whole.
pub fn job(f: &mut Frame, app: &App, t: &Theme, body: Rect, id: &str) {
    let title = format!(" Job {id} · Esc back ");
    let Some(j) = app.jobs.all().iter().find(|j| j.id.as_str() == id) else {
        let gone = vec![Line::raw("This job is no longer among the newest jobs loaded.")];
        return text_pane(f, app, body, title, gone);
    };
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", j.job_type), t.title()),
            Span::styled(j.status.to_string(), t.status(j.status.as_str())),
        ]),
        field(t, "id", j.id.to_string()),
        field(t, "certificate", j.certificate_id.to_string()),
        field(t, "agent", opt(j.agent_id.as_ref().map(|a| a.to_string()))),
        field(t, "target", opt(j.target_id.as_ref().map(|x| x.to_string()))),
        field(t, "version", opt(j.version_id.as_ref().map(|x| x.to_string()))),
        field(t, "attempts", format!("{} of {}", j.attempts, j.max_attempts)),
        field(t, "next try", when(j.next_attempt_at, app)),
        field(t, "created", when(Some(j.created_at), app)),
        field(t, "updated", when(Some(j.updated_at), app)),
        field(t, "completed", when(j.completed_at, app)),
        head(t, "Last error"),
    ];
    match &j.last_error {
        Some(e) => lines.extend(e.lines().map(|l| Line::styled(l.to_owned(), t.bad()))),
        None => lines.push(Line::raw("none")),
    }
    if !app.opts.read_only {
        lines.push(Line::raw(""));
        lines.push(Line::styled("c cancel · r retry · j k scroll", t.dim()));
    }
    text_pane(f, app, body, title, lines);
}

/// One audit event: who, what, when, its details as JSON and its place in the chain.
pub fn audit_event(f: &mut Frame, app: &App, t: &Theme, body: Rect, id: &str) {
    let title = format!(" Audit event {id} · Esc back ");
    let Some(e) = app.audit.all().iter().find(|e| e.id.as_str() == id) else {
        let gone = vec![Line::raw("This event is no longer among the events loaded.")];
        return text_pane(f, app, body, title, gone);
    };
    let mut lines = vec![
        Line::styled(e.action.clone(), t.title()),
        field(t, "seq", e.seq.to_string()),
        field(t, "at", when(Some(e.timestamp), app)),
        field(t, "actor", format!("{} ({:?})", e.actor, e.actor_type)),
        field(t, "resource", format!("{} {}", e.resource_type, e.resource_id)),
        field(t, "mac", e.hash.clone()),
        field(t, "previous", e.prev_hash.clone()),
        head(t, "Details"),
    ];
    let details =
        serde_json::to_string_pretty(&e.details).unwrap_or_else(|_| e.details.to_string());
    lines.extend(details.lines().map(|l| Line::raw(l.to_owned())));
    text_pane(f, app, body, title, lines);
}

/// Every status message of the session, newest first, whole.
pub fn messages(f: &mut Frame, app: &App, t: &Theme, body: Rect) {
    let title = format!(" Messages · {} · newest first · Esc back ", app.log.len());
    let mut lines = Vec::new();
    if app.log.is_empty() {
        lines.push(Line::raw("No messages yet."));
    }
    for m in app.log.iter().rev() {
        let style = if m.status.error { t.bad() } else { ratatui::style::Style::default() };
        let mut text = m.status.text.lines();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", clock(m.at)), t.dim()),
            Span::styled(text.next().unwrap_or("").to_owned(), style),
        ]));
        lines.extend(text.map(|l| Line::styled(format!("         {l}"), style)));
    }
    text_pane(f, app, body, title, lines);
}
