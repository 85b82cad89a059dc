//! Jobs (failed first, with their error), Policies (with the selected rule's open violations)
//! and the Audit tail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{Theme, empty_text, filtered, pane_block, table_rows, window};
use crate::app::App;
use crate::search::{fit_len, id_width, short_id};
use crate::sort::age;

pub fn draw_jobs(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let rows = app.job_rows();
    let total = app.jobs.pane.data.as_ref().map(|p| p.total).unwrap_or(0);
    let block = pane_block(
        filtered(
            format!("Jobs · newest {} of {total}, failed first", app.jobs.all().len()),
            &app.jobs.filter,
            rows.len(),
        ),
        &app.jobs.pane,
        t,
    );
    if rows.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(empty_text(&app.jobs.pane, "jobs")), inner);
        return;
    }
    let header = Row::new(["ID", "TYPE", "STATUS", "CERTIFICATE", "TRY", "AGE", "ERROR (Enter)"])
        .style(t.header());
    // ids as long as it takes to tell them apart, never cut into look-alikes
    let wide = area.width >= 120;
    let (w_id, w_cert) = if wide { (26, 32) } else { (12, 12) };
    let (ids, certs) =
        (rows.iter().map(|j| j.id.as_str()), rows.iter().map(|j| j.certificate_id.as_str()));
    let (n_id, n_cert) = (fit_len(ids.clone(), w_id), fit_len(certs.clone(), w_cert));
    let widths = [
        Constraint::Length(id_width(ids, n_id)),
        Constraint::Length(10),
        Constraint::Length(if wide { 11 } else { 9 }),
        Constraint::Length(id_width(certs, n_cert).max(11)),
        Constraint::Length(if wide { 5 } else { 3 }),
        Constraint::Length(if wide { 5 } else { 4 }),
        Constraint::Min(10),
    ];
    let (from, to) = window(app.jobs.selected, rows.len(), table_rows(area.height));
    let body = rows[from..to].iter().map(|j| {
        Row::new(vec![
            Cell::from(short_id(j.id.as_str(), n_id)),
            Cell::from(j.job_type.to_string()),
            Cell::from(Span::styled(j.status.to_string(), t.status(j.status.as_str()))),
            Cell::from(short_id(j.certificate_id.as_str(), n_cert)),
            Cell::from(format!("{}/{}", j.attempts, j.max_attempts)),
            Cell::from(age(Some(j.created_at), app.now)),
            Cell::from(Span::styled(j.last_error.clone().unwrap_or_default(), t.bad())),
        ])
    });
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .row_highlight_style(t.selected())
        .column_spacing(1);
    let mut state =
        TableState::default().with_selected(Some(app.jobs.selected.saturating_sub(from)));
    f.render_stateful_widget(table, area, &mut state);
}

pub fn draw_policies(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let p = &app.policies;
    let rows = p.rows();
    let block = pane_block(filtered("Policies".into(), &p.filter, rows.len()), &p.pane, t);
    if rows.is_empty() {
        let inner = block.inner(top);
        f.render_widget(block, top);
        f.render_widget(Paragraph::new(empty_text(&p.pane, "policy rules")), inner);
    } else {
        let header = Row::new(["ID", "NAME", "TYPE", "MODE", "SEVERITY", "ON"]).style(t.header());
        let n = fit_len(rows.iter().map(|r| r.id.as_str()), 16);
        let widths = [
            Constraint::Length(id_width(rows.iter().map(|r| r.id.as_str()), n).max(2)),
            Constraint::Min(12),
            Constraint::Length(18),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(3),
        ];
        let (from, to) = window(p.selected, rows.len(), table_rows(top.height));
        let body = rows[from..to].iter().map(|r| {
            Row::new(vec![
                Cell::from(short_id(r.id.as_str(), n)),
                Cell::from(r.name.clone()),
                Cell::from(r.rule_type.to_string()),
                Cell::from(r.mode.to_string()),
                Cell::from(Span::styled(r.severity.to_string(), t.status(r.severity.as_str()))),
                Cell::from(if r.enabled { "yes" } else { "no" }),
            ])
        });
        let table = Table::new(body, widths)
            .header(header)
            .block(block)
            .row_highlight_style(t.selected())
            .column_spacing(1);
        let mut state = TableState::default().with_selected(Some(p.selected.saturating_sub(from)));
        f.render_stateful_widget(table, top, &mut state);
    }
    let v = &app.violations;
    let total = v.data.as_ref().map(|x| x.total).unwrap_or(0);
    let name = p.current().map(|r| r.name.clone()).unwrap_or_default();
    let block = pane_block(format!("Open violations of {name} · {total}"), v, t);
    let rows = v.data.as_ref().map(|x| x.data.as_slice()).unwrap_or(&[]);
    if rows.is_empty() {
        let inner = block.inner(bottom);
        f.render_widget(block, bottom);
        f.render_widget(Paragraph::new(empty_text(v, "open violations")), inner);
        return;
    }
    let header = Row::new(["CERTIFICATE", "SEVERITY", "AGE", "MESSAGE"]).style(t.header());
    let n = fit_len(rows.iter().map(|x| x.certificate_id.as_str()), 18);
    let widths = [
        Constraint::Length(id_width(rows.iter().map(|x| x.certificate_id.as_str()), n).max(11)),
        Constraint::Length(8),
        Constraint::Length(4),
        Constraint::Min(20),
    ];
    let body = rows.iter().take(table_rows(bottom.height)).map(|x| {
        Row::new(vec![
            Cell::from(short_id(x.certificate_id.as_str(), n)),
            Cell::from(Span::styled(x.severity.to_string(), t.status(x.severity.as_str()))),
            Cell::from(age(Some(x.created_at), app.now)),
            Cell::from(x.message.clone()),
        ])
    });
    f.render_widget(Table::new(body, widths).header(header).block(block).column_spacing(1), bottom);
}

pub fn draw_audit(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let a = &app.audit;
    let rows = a.rows();
    let total = a.pane.data.as_ref().map(|p| p.total).unwrap_or(0);
    let block = pane_block(
        filtered(format!("Audit · newest of {total}"), &a.filter, rows.len()),
        &a.pane,
        t,
    );
    if rows.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(empty_text(&a.pane, "audit events")), inner);
        return;
    }
    let header = Row::new(["SEQ", "AGE", "ACTOR", "ACTION", "RESOURCE"]).style(t.header());
    let widths = [
        Constraint::Length(6),
        Constraint::Length(4),
        Constraint::Length(12),
        Constraint::Length(22),
        Constraint::Min(16),
    ];
    // the resource column: its type and an id cut only where the ids stay apart
    let room = area.width.saturating_sub(2 + 6 + 4 + 12 + 22 + 4) as usize;
    let n = fit_len(rows.iter().map(|e| e.resource_id.as_str()), room.max(8));
    let (from, to) = window(a.selected, rows.len(), table_rows(area.height));
    let body = rows[from..to].iter().map(|e| {
        let id = short_id(&e.resource_id, n);
        let resource = if e.resource_type.chars().count() + 1 + id.chars().count() <= room {
            format!("{} {id}", e.resource_type)
        } else {
            id
        };
        Row::new(vec![
            Cell::from(e.seq.to_string()),
            Cell::from(age(Some(e.timestamp), app.now)),
            Cell::from(e.actor.clone()),
            Cell::from(e.action.clone()),
            Cell::from(resource),
        ])
    });
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .row_highlight_style(t.selected())
        .column_spacing(1);
    let mut state = TableState::default().with_selected(Some(a.selected.saturating_sub(from)));
    f.render_stateful_widget(table, area, &mut state);
}
