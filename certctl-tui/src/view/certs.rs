//! Certificates: the server's page of certificates as a table (only the visible rows are
//! built), with the filter, quick filter, server-side sort and page in the title.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{Theme, empty_text, pane_block, table_rows, window};
use crate::app::{App, CertCol, PER_PAGE, Quick, sort_label};
use crate::search::{fit_len, id_width, short_id};
use crate::sort::days_left;

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let c = &app.certs;
    let mut title = String::from("Certificates");
    if let Some(p) = &c.list.pane.data {
        let first = (c.page as i64 - 1) * PER_PAGE as i64;
        let pages = (p.total.max(1) + PER_PAGE as i64 - 1) / PER_PAGE as i64;
        if p.data.is_empty() {
            title.push_str(&format!(" · 0 of {}", p.total));
        } else {
            title.push_str(&format!(
                " · {}–{} of {} · page {}/{}",
                first + 1,
                first + p.data.len() as i64,
                p.total,
                c.page,
                pages
            ));
        }
    }
    match &c.quick {
        Quick::All => {}
        Quick::Expiring => title.push_str(" · expiring ≤30d"),
        Quick::Failed => title.push_str(" · failed"),
        Quick::Environment(e) => title.push_str(&format!(" · env {e}")),
    }
    if !c.filter.is_empty() {
        title.push_str(&format!(" · /{}", c.filter));
    }
    if let Some(s) = c.sort {
        title.push_str(&format!(" · by {}", sort_label(s)));
    }
    let block = pane_block(title, &c.list.pane, t);
    let rows = app.cert_rows();
    if rows.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(empty_text(&c.list.pane, "certificates match")), inner);
        return;
    }
    let wide = area.width >= 120;
    // id columns (certificate, issuer, owner) grow past their default width rather than cut
    // ids into look-alikes; past it they are cut where they stay unique, marked …
    let id_col = |ids: Vec<&str>, default: u16| {
        let n = fit_len(ids.iter().copied(), default as usize);
        (n, id_width(ids, n).max(default))
    };
    let (n_id, w_id) =
        id_col(rows.iter().map(|c| c.id.as_str()).collect(), if wide { 22 } else { 15 });
    let (n_iss, w_iss) =
        id_col(rows.iter().map(|c| c.issuer_id.as_str()).collect(), if wide { 16 } else { 9 });
    let (n_own, w_own) = id_col(
        rows.iter().filter_map(|c| c.owner_id.as_ref().map(|o| o.as_str())).collect(),
        if wide { 14 } else { 7 },
    );
    let widths = if wide {
        [
            Constraint::Length(w_id),
            Constraint::Min(24),
            Constraint::Length(12),
            Constraint::Length(17),
            Constraint::Length(5),
            Constraint::Length(w_iss),
            Constraint::Length(w_own),
            Constraint::Length(3),
        ]
    } else {
        [
            Constraint::Length(w_id),
            Constraint::Min(16),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(4),
            Constraint::Length(w_iss),
            Constraint::Length(w_own),
            Constraint::Length(3),
        ]
    };
    let header = Row::new(CertCol::ALL.iter().map(|col| {
        let mark = match c.sort {
            Some(s) if CertCol::of_sort(s.key) == Some(*col) => {
                if s.descending {
                    "↓"
                } else {
                    "↑"
                }
            }
            _ => "",
        };
        Cell::from(format!("{}{mark}", col.title()))
    }))
    .style(t.header());
    let (from, to) = window(c.list.selected, rows.len(), table_rows(area.height));
    let body = rows[from..to].iter().map(|cert| {
        let days = days_left(cert.expires_at, app.now);
        Row::new(vec![
            Cell::from(short_id(cert.id.as_str(), n_id)),
            Cell::from(cert.common_name.clone()),
            Cell::from(cert.environment.clone().unwrap_or_default()),
            Cell::from(Span::styled(cert.status.to_string(), t.status(cert.status.as_str()))),
            Cell::from(
                Line::from(Span::styled(
                    days.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                    t.days(days),
                ))
                .right_aligned(),
            ),
            Cell::from(short_id(cert.issuer_id.as_str(), n_iss)),
            Cell::from(
                cert.owner_id.as_ref().map(|o| short_id(o.as_str(), n_own)).unwrap_or_default(),
            ),
            Cell::from(Line::from(cert.target_ids.len().to_string()).right_aligned()),
        ])
    });
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .row_highlight_style(t.selected())
        .column_spacing(1);
    let mut state = TableState::default().with_selected(Some(c.list.selected.saturating_sub(from)));
    f.render_stateful_widget(table, area, &mut state);
}
