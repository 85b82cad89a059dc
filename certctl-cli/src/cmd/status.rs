//! `certctl status`: the one-screen summary of `GET /api/v1/summary`.

use certctl::client::Client;
use comfy_table::Cell;

use crate::output::Out;

pub async fn run(client: &Client, out: &Out) -> anyhow::Result<()> {
    let s = client.summary().await?;
    if out.is_json() {
        return out.one(&s);
    }
    let mut t = out.table(&["", "COUNT"]);
    let total: i64 = s.certificates_by_status.values().sum();
    t.add_row(vec![Cell::new("Certificates"), Cell::new(total)]);
    for (status, n) in &s.certificates_by_status {
        t.add_row(vec![Cell::new(format!("  {status}")), Cell::new(n)]);
    }
    t.add_row(vec![
        Cell::new("Expiring within 7 days"),
        days(s.expiring_within_7_days, 0, out.color),
    ]);
    t.add_row(vec![
        Cell::new("Expiring within 30 days"),
        days(s.expiring_within_30_days, 1, out.color),
    ]);
    let agents: i64 = s.agents_by_status.values().sum();
    t.add_row(vec![Cell::new("Agents"), Cell::new(agents)]);
    for (status, n) in &s.agents_by_status {
        t.add_row(vec![Cell::new(format!("  {status}")), Cell::new(n)]);
    }
    t.add_row(vec![Cell::new("Failed jobs"), Cell::new(s.failed_jobs)]);
    out.text(&crate::output::render(&t))
}

/// A non-zero count of soon-expiring certificates, red (7 days) or yellow (30 days).
fn days(n: i64, level: u8, color: bool) -> Cell {
    let c = Cell::new(n);
    match (color && n > 0, level) {
        (true, 0) => c.fg(comfy_table::Color::Red),
        (true, _) => c.fg(comfy_table::Color::Yellow),
        _ => c,
    }
}
