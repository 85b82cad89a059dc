//! Overview: certificates by status, expiring within 7/14/30 days, the expiry histogram of the
//! next 90 days, agents by status, failed jobs in the last 24 h and open policy violations.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph};

use super::{Theme, empty_text, pane_block};
use crate::app::App;

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let block = pane_block("Overview", &app.summary, t);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(s) = &app.summary.data else {
        f.render_widget(Paragraph::new(empty_text(&app.summary, "summary")), inner);
        return;
    };
    let rows = (s.certificates_by_status.len().max(s.agents_by_status.len()).max(5) + 3) as u16;
    let [top, hist] =
        Layout::vertical([Constraint::Length(rows.min(inner.height / 2 + 1)), Constraint::Min(0)])
            .areas(inner);
    let [a, b, c] = Layout::horizontal([
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
    ])
    .areas(top);

    let total: i64 = s.certificates_by_status.values().sum();
    let mut certs =
        vec![Line::from(vec![Span::raw("Total "), Span::styled(total.to_string(), t.title())])];
    for (status, n) in &s.certificates_by_status {
        certs.push(Line::from(vec![
            Span::styled(format!("{status:<17}"), t.status(status)),
            Span::raw(format!("{n:>6}")),
        ]));
    }
    f.render_widget(
        Paragraph::new(certs).block(Block::default().borders(Borders::ALL).title(" Certificates ")),
        a,
    );

    let count = |label: &str, n: i64, style| {
        Line::from(vec![
            Span::raw(format!("{label:<17}")),
            Span::styled(format!("{n:>6}"), if n > 0 { style } else { t.dim() }),
        ])
    };
    let soon = vec![
        count("within 7 days", s.expiring_within_7_days, t.bad()),
        count("within 14 days", s.expiring_within_14_days, t.warn()),
        count("within 30 days", s.expiring_within_30_days, t.warn()),
        Line::raw(""),
        count("failed jobs 24h", s.failed_jobs_24h, t.bad()),
        count("open violations", s.open_violations, t.warn()),
    ];
    f.render_widget(
        Paragraph::new(soon)
            .block(Block::default().borders(Borders::ALL).title(" Expiring · Attention ")),
        b,
    );

    let agents_total: i64 = s.agents_by_status.values().sum();
    let mut agents = vec![Line::from(vec![
        Span::raw("Total "),
        Span::styled(agents_total.to_string(), t.title()),
    ])];
    for (status, n) in &s.agents_by_status {
        agents.push(Line::from(vec![
            Span::styled(format!("{status:<17}"), t.status(status)),
            Span::raw(format!("{n:>6}")),
        ]));
    }
    f.render_widget(
        Paragraph::new(agents).block(Block::default().borders(Borders::ALL).title(" Agents ")),
        c,
    );

    let bars: Vec<Bar> = s
        .expiry_histogram
        .iter()
        .map(|b| {
            Bar::default()
                .value(b.count.max(0) as u64)
                .label(Line::from(format!("{}d", b.from_day)))
                .text_value(b.count.to_string())
        })
        .collect();
    let width = (hist.width.saturating_sub(2) / bars.len().max(1) as u16).clamp(2, 10);
    let chart = BarChart::default()
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Expiring in the next 90 days, by week (not archived) "),
        )
        .data(BarGroup::default().bars(&bars))
        .bar_width(width.saturating_sub(1).max(1))
        .bar_gap(1)
        .bar_style(t.warn())
        .value_style(t.selected());
    f.render_widget(chart, hist);
}
