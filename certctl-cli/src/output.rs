//! Rendering: `-o json` prints exactly the API's JSON (lists print the `data` array, `--all`
//! streams it page by page); `-o table` prints comfy-table tables sized to the terminal: one line
//! per row, id columns whole, other columns cut with `…`, `--wide` for every column.

use std::future::Future;
use std::io::{IsTerminal, Write};

use anyhow::Context;
use certctl::client::ClientError;
use certctl::model::{MAX_PER_PAGE, Page, PageRequest, Timestamp};
use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::args::{Format, Paging};
use crate::table::Row;

/// Where and how to print.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub format: Format,
    /// Colour days-to-expiry: a terminal and no `NO_COLOR`.
    pub color: bool,
    /// Table width: `COLUMNS`, else the terminal's; none when not a terminal.
    pub width: Option<u16>,
    /// Every column of a list (`--wide`), not only those that fit 80 columns.
    pub wide: bool,
}

impl Out {
    pub fn new(format: Format, wide: bool) -> Self {
        let tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0));
        Out { format, color: tty && !no_color, width, wide }
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// A new table with the output's width and styling.
    pub fn table(&self, headers: &[&str]) -> Table {
        let mut t = Table::new();
        t.load_preset(comfy_table::presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(w) = self.width {
            t.set_width(w);
        }
        if self.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t.set_header(headers.iter().map(Cell::new));
        t
    }

    /// The table of a list of `T`: one line per row; the `--wide` columns hidden without it;
    /// free-text columns shrink to the width, cut with `…`; ids, statuses, dates and numbers
    /// as wide as their content.
    pub fn rows_table<T: Row>(&self) -> Table {
        let mut t = self.table(T::HEADERS);
        let mut header = comfy_table::Row::from(T::HEADERS.iter().map(Cell::new));
        header.max_height(1);
        t.set_header(header).set_truncation_indicator("…");
        for (i, h) in T::HEADERS.iter().enumerate() {
            let Some(col) = t.column_mut(i) else { continue };
            if T::WIDE.contains(h) && !self.wide {
                col.set_constraint(ColumnConstraint::Hidden);
            } else if !T::FLEX.contains(h) {
                col.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
        t
    }

    /// Adds one row of `T` to a [`Out::rows_table`]: a single line, never wrapped.
    pub fn add<T: Row>(&self, t: &mut Table, row: &T, now: Timestamp) {
        let mut r = comfy_table::Row::from(row.cells(now, self.color));
        r.max_height(1);
        t.add_row(r);
    }

    /// One object: pretty JSON, or a FIELD / VALUE table of its JSON fields.
    pub fn one<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let v = serde_json::to_value(value).context("encoding the answer")?;
        if self.is_json() {
            return print(&format!("{}\n", serde_json::to_string_pretty(&v)?));
        }
        let mut t = self.table(&["FIELD", "VALUE"]);
        match &v {
            Value::Object(map) => {
                for (k, v) in map {
                    t.add_row(vec![Cell::new(k), crate::table::text(scalar(v))]);
                }
            }
            other => {
                t.add_row(vec![Cell::new("value"), crate::table::text(scalar(other))]);
            }
        }
        print(&render(&t))
    }

    /// A line for people (table mode only): `archived mc-x`. JSON mode prints nothing, as the
    /// API answers 204 with no body.
    pub fn done(&self, what: &str) -> anyhow::Result<()> {
        if self.is_json() { Ok(()) } else { print(&format!("{what}\n")) }
    }

    /// Text as it is (PEM), in both modes.
    pub fn text(&self, s: &str) -> anyhow::Result<()> {
        print(s)
    }

    /// A page already fetched: its `data` array, or a table with a footer when more exist.
    pub fn page<T: Serialize + Row>(&self, page: &Page<T>) -> anyhow::Result<()> {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::new(stdout.lock());
        if self.is_json() {
            let mut any = false;
            w.write_all(b"[")?;
            json_items(&mut w, &page.data, &mut any)?;
            close(&mut w, any)?;
        } else {
            let now = Timestamp::now();
            let mut t = self.rows_table::<T>();
            for row in &page.data {
                self.add(&mut t, row, now);
            }
            w.write_all(render(&t).as_bytes())?;
            let shown = i64::from(page.page.saturating_sub(1)) * i64::from(page.per_page)
                + page.data.len() as i64;
            if shown < page.total {
                writeln!(
                    w,
                    "({} of {}; --page {} or --all for more)",
                    page.data.len(),
                    page.total,
                    page.page + 1
                )?;
            }
        }
        w.flush().context("writing to stdout")
    }

    /// A list call: one page, or with `--all` every page up to the total of the first — streamed
    /// to stdout as JSON, at most two pages in memory; a table collects the rows to size its
    /// columns.
    pub async fn list<T, F, Fut>(&self, paging: Paging, mut fetch: F) -> anyhow::Result<()>
    where
        T: Serialize + Row,
        F: FnMut(PageRequest) -> Fut,
        Fut: Future<Output = Result<Page<T>, ClientError>>,
    {
        if !paging.all {
            let page = fetch(PageRequest::new(paging.page, paging.per_page)).await?;
            return self.page(&page);
        }
        // Page 1 gives the total; the next pages are requested one ahead of the one being
        // printed, so the server prepares page n+1 while page n is written.
        let first = fetch(PageRequest::new(1, MAX_PER_PAGE)).await?;
        let per_page = first.per_page.max(1);
        let last = u32::try_from((first.total.max(0) as u64).div_ceil(u64::from(per_page)))
            .unwrap_or(u32::MAX);
        let rest = futures_util::stream::iter(2..=last)
            .map(|n| fetch(PageRequest::new(n, per_page)))
            .buffered(2);
        self.all_pages(futures_util::stream::once(async { Ok(first) }).chain(rest)).await
    }

    /// [`Out::list`] for a list with a keyset cursor (certificates): `--all` asks each page for
    /// the rows after the last one printed, which keeps the server's cost per page flat.
    pub async fn list_after<T, K, F, Fut>(
        &self,
        paging: Paging,
        key: K,
        mut fetch: F,
    ) -> anyhow::Result<()>
    where
        T: Serialize + Row,
        K: Fn(&T) -> String,
        F: FnMut(PageRequest, Option<String>) -> Fut,
        Fut: Future<Output = Result<Page<T>, ClientError>>,
    {
        if !paging.all {
            return self.list(paging, |p| fetch(p, None)).await;
        }
        self.all_pages(certctl::client::pages_after(MAX_PER_PAGE, key, fetch)).await
    }

    /// Prints a stream of pages as one JSON array (each page written as it arrives) or one table.
    async fn all_pages<T: Serialize + Row>(
        &self,
        pages: impl futures_util::Stream<Item = Result<Page<T>, ClientError>>,
    ) -> anyhow::Result<()> {
        let mut pages = std::pin::pin!(pages);
        let now = Timestamp::now();
        let mut table = (!self.is_json()).then(|| self.rows_table::<T>());
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
        let mut any = false;
        if table.is_none() {
            w.write_all(b"[")?;
        }
        while let Some(page) = pages.try_next().await? {
            if page.data.is_empty() {
                break;
            }
            match &mut table {
                Some(t) => {
                    for row in &page.data {
                        self.add(t, row, now);
                    }
                }
                None => {
                    json_items(&mut w, &page.data, &mut any)?;
                    w.flush().context("writing to stdout")?;
                }
            }
        }
        match table {
            Some(t) => w.write_all(render(&t).as_bytes())?,
            None => close(&mut w, any)?,
        }
        w.flush().context("writing to stdout")
    }
}

/// Writes items of a JSON array, one compact object per line; `any` tells whether an item was
/// written before (by an earlier page). The caller writes `[` first and then [`close`].
fn json_items<T: Serialize>(w: &mut impl Write, items: &[T], any: &mut bool) -> anyhow::Result<()> {
    for item in items {
        w.write_all(if *any { b",\n" } else { b"\n" })?;
        serde_json::to_writer(&mut *w, item)?;
        *any = true;
    }
    Ok(())
}

/// Ends the array of [`json_items`].
fn close(w: &mut impl Write, any: bool) -> std::io::Result<()> {
    w.write_all(if any { b"\n]\n" } else { b"]\n" })
}

/// A table as text, each line without trailing blanks, ending with a newline.
pub fn render(t: &Table) -> String {
    let mut s = String::new();
    for line in t.lines() {
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// A JSON value as table text: strings bare, `null` as `-`, objects and arrays compact.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "-".into(),
        Value::Array(a) if a.iter().all(Value::is_string) => {
            a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

fn print(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes()).and_then(|()| out.flush()).context("writing to stdout")
}
