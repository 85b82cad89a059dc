//! The view: draws the state into a ratatui frame; never waits for anything. One module per
//! screen, plus the overlays (help, confirm, reason picker, detail panes) and shared widgets.

mod certs;
mod detail;
mod fleet;
mod lists;
mod overlay;
mod overview;
mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Tabs};

use crate::app::{App, Pane, Tab};
pub use theme::Theme;

/// Draws the whole console.
pub fn draw(f: &mut Frame, app: &App) {
    let t = Theme::new(app.opts.color);
    let [top, body, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)])
            .areas(f.area());
    tabs(f, app, &t, top);
    match app.tab {
        Tab::Overview => overview::draw(f, app, &t, body),
        Tab::Certificates => certs::draw(f, app, &t, body),
        Tab::Fleet => fleet::draw(f, app, &t, body),
        Tab::Groups => fleet::draw_groups(f, app, &t, body),
        Tab::Jobs => lists::draw_jobs(f, app, &t, body),
        Tab::Policies => lists::draw_policies(f, app, &t, body),
        Tab::Audit => lists::draw_audit(f, app, &t, body),
    }
    status_bar(f, app, &t, bottom);
    overlay::draw(f, app, &t, body);
}

/// Rows a table shows in a body of `height` rows (borders and header taken off).
pub fn table_rows(height: u16) -> usize {
    height.saturating_sub(3) as usize
}

fn tabs(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let titles: Vec<Line> = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, tab)| Line::from(format!("{} {}", i + 1, tab.title())))
        .collect();
    let w = Tabs::new(titles)
        .select(app.tab.index())
        .highlight_style(t.selected())
        .divider(" ")
        .padding("", "");
    f.render_widget(w, area);
}

fn status_bar(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let hint = if app.opts.read_only { "read-only  ? keys  q quit" } else { "? keys  q quit" };
    let [l, r] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(hint.chars().count() as u16)])
            .areas(area);
    let left = match (&app.input, &app.status) {
        (Some(text), _) => Span::styled(format!("/{text}▏"), t.title()),
        (None, Some(s)) => {
            // what does not fit (or a second line) stays readable in the message log
            let text = fit(&s.text, l.width.saturating_sub(1) as usize);
            if s.error { Span::styled(text, t.bad()) } else { Span::raw(text) }
        }
        (None, None) => Span::styled(app.opts.server.clone(), t.dim()),
    };
    f.render_widget(Paragraph::new(Line::from(left)), l);
    f.render_widget(Paragraph::new(Span::styled(hint, t.dim())), r);
}

/// The first line of `text` in `width` columns; cut with "… m: all" when it is longer or has
/// more lines (the message log shows all of it).
pub fn fit(text: &str, width: usize) -> String {
    let first = first_line(text);
    if first.len() == text.len() && first.chars().count() <= width {
        return first.to_owned();
    }
    let more = "… m: all";
    let keep = width.saturating_sub(more.chars().count());
    format!("{}{more}", first.chars().take(keep).collect::<String>())
}

/// The first line of a (possibly multi-line) message.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// A title with the screen's `/` filter and how many rows match it, right after the screen's
/// name (the rest of the title follows and is the first to be cut on a narrow terminal).
pub fn filtered(title: String, filter: &str, shown: usize) -> String {
    if filter.is_empty() {
        return title;
    }
    match title.split_once(" · ") {
        Some((name, rest)) => format!("{name} · /{filter} · {shown} match · {rest}"),
        None => format!("{title} · /{filter} · {shown} match"),
    }
}

/// A bordered block titled with the pane's name and its load state.
pub fn pane_block<'a, T>(title: impl Into<String>, pane: &Pane<T>, t: &Theme) -> Block<'a> {
    let mut spans = vec![Span::styled(format!(" {} ", title.into()), t.title())];
    if pane.loading {
        spans.push(Span::raw("· Loading… "));
    }
    if let Some(e) = &pane.error {
        spans.push(Span::styled(format!("· Error: {} (m: all) ", first_line(e)), t.bad()));
    }
    let right = match pane.refreshed {
        Some(at) => format!(" refreshed {} ", crate::sort::clock(at)),
        None if !pane.loading && pane.error.is_none() => " idle ".into(),
        None => String::new(),
    };
    Block::default()
        .borders(Borders::ALL)
        .title(Line::from(spans))
        .title(Line::from(Span::styled(right, t.dim())).right_aligned())
}

/// The window `[offset, offset + rows)` of a list of `len` rows that keeps `selected` visible.
pub fn window(selected: usize, len: usize, rows: usize) -> (usize, usize) {
    if rows == 0 || len == 0 {
        return (0, 0);
    }
    let selected = selected.min(len - 1);
    let offset = if selected >= rows { selected + 1 - rows } else { 0 };
    (offset, (offset + rows).min(len))
}

/// A placeholder line when a pane has nothing to show yet.
pub fn empty_text<T>(pane: &Pane<T>, what: &str) -> String {
    match (&pane.error, pane.loading, pane.data.is_some()) {
        (Some(e), _, _) => format!("Error: {e}"),
        (None, true, false) => "Loading…".into(),
        _ => format!("No {what}."),
    }
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn window_keeps_the_selection_visible_and_never_overruns() {
        assert_eq!(window(0, 100, 20), (0, 20));
        assert_eq!(window(19, 100, 20), (0, 20));
        assert_eq!(window(20, 100, 20), (1, 21));
        assert_eq!(window(99, 100, 20), (80, 100));
        assert_eq!(window(50, 10, 20), (0, 10), "a stale selection past the end");
        assert_eq!(window(5, 0, 20), (0, 0));
        assert_eq!(window(5, 10, 0), (0, 0));
    }
}
