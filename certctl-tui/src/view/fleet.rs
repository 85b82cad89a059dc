//! Fleet (agents, narrowed to a group's members by the group selector) and Groups (each
//! group's criteria in words and its live members).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Theme, empty_text, filtered, pane_block, table_rows, window};
use crate::app::{App, PER_PAGE, Pane};
use crate::search::{fit_len, id_width, short_id};
use crate::sort::age;
use certctl::model::Agent;

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let fl = &app.fleet;
    let mut title = String::from("Fleet");
    match &fl.group {
        Some(g) => {
            let name = fl
                .groups
                .iter()
                .find(|x| x.id.as_str() == g)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| g.clone());
            title.push_str(&format!(" · group {name}"));
        }
        None => title.push_str(" · all agents"),
    }
    if let Some(p) = &fl.list.pane.data {
        let pages = (p.total.max(1) + PER_PAGE as i64 - 1) / PER_PAGE as i64;
        title.push_str(&format!(" · {} · page {}/{}", p.total, fl.page, pages));
    }
    let rows = fl.list.rows();
    let title = filtered(title, &fl.list.filter, rows.len());
    agents_table(f, app, t, area, title, &fl.list.pane, rows, fl.list.selected, true);
}

/// A table of agents; `selectable` highlights the selected row.
#[allow(clippy::too_many_arguments)]
fn agents_table(
    f: &mut Frame,
    app: &App,
    t: &Theme,
    area: Rect,
    title: String,
    pane: &Pane<certctl::model::Page<Agent>>,
    rows: Vec<&Agent>,
    selected: usize,
    selectable: bool,
) {
    let block = pane_block(title, pane, t);
    if rows.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(empty_text(pane, "agents")), inner);
        return;
    }
    let wide = area.width >= 120;
    let widths = if wide {
        vec![
            Constraint::Length(16),
            Constraint::Min(18),
            Constraint::Length(14),
            Constraint::Length(24),
            Constraint::Length(8),
            Constraint::Length(20),
            Constraint::Length(9),
            Constraint::Length(6),
        ]
    } else {
        vec![
            Constraint::Length(10),
            Constraint::Min(12),
            Constraint::Length(11),
            Constraint::Length(13),
            Constraint::Length(6),
            Constraint::Length(0),
            Constraint::Length(8),
            Constraint::Length(4),
        ]
    };
    let version = if wide { "VERSION" } else { "VER" };
    let header =
        Row::new(["NAME", "HOSTNAME", "OS/ARCH", "IPS", version, "LABELS", "STATUS", "SEEN"])
            .style(t.header());
    let (from, to) = window(selected, rows.len(), table_rows(area.height));
    let body = rows[from..to].iter().map(|a| {
        let labels: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Row::new(vec![
            Cell::from(a.name.clone()),
            Cell::from(a.hostname.clone()),
            Cell::from(format!("{}/{}", a.os, a.arch)),
            Cell::from(a.ip_addresses.join(",")),
            Cell::from(a.agent_version.clone()),
            Cell::from(labels.join(",")),
            Cell::from(Span::styled(a.status.to_string(), t.status(a.status.as_str()))),
            Cell::from(Line::from(age(a.last_heartbeat_at, app.now)).right_aligned()),
        ])
    });
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .row_highlight_style(t.selected())
        .column_spacing(1);
    let mut state =
        TableState::default().with_selected(selectable.then_some(selected.saturating_sub(from)));
    f.render_stateful_widget(table, area, &mut state);
}

pub fn draw_groups(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let g = &app.groups;
    let rows = g.rows();
    let block = pane_block(filtered("Groups".into(), &g.filter, rows.len()), &g.pane, t);
    if rows.is_empty() {
        let inner = block.inner(top);
        f.render_widget(block, top);
        f.render_widget(Paragraph::new(empty_text(&g.pane, "agent groups")), inner);
    } else {
        let header = Row::new(["ID", "NAME", "CRITERIA"]).style(t.header());
        let n = fit_len(rows.iter().map(|x| x.id.as_str()), 16);
        let (from, to) = window(g.selected, rows.len(), table_rows(top.height));
        let body = rows[from..to].iter().map(|x| {
            Row::new(vec![
                Cell::from(short_id(x.id.as_str(), n)),
                Cell::from(x.name.clone()),
                Cell::from(certctl::groups::describe(&x.criteria)),
            ])
        });
        let widths = [
            Constraint::Length(id_width(rows.iter().map(|x| x.id.as_str()), n)),
            Constraint::Length(16),
            Constraint::Min(20),
        ];
        let table = Table::new(body, widths)
            .header(header)
            .block(block)
            .row_highlight_style(t.selected())
            .column_spacing(1);
        let mut state = TableState::default().with_selected(Some(g.selected.saturating_sub(from)));
        f.render_stateful_widget(table, top, &mut state);
    }
    let Some(cur) = g.current() else {
        f.render_widget(pane_block("Members", &app.members, t), bottom);
        return;
    };
    let [crit, members] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(bottom);
    let words = Line::from(vec![
        Span::styled("criteria: ", t.title()),
        Span::raw(certctl::groups::describe(&cur.criteria)),
    ]);
    f.render_widget(Paragraph::new(words).wrap(Wrap { trim: true }), crit);
    let total = app.members.data.as_ref().map(|p| p.total).unwrap_or(0);
    agents_table(
        f,
        app,
        t,
        members,
        format!("Members of {} · {total}", cur.name),
        &app.members,
        app.members.data.iter().flat_map(|p| p.data.iter()).collect(),
        0,
        false,
    );
}
