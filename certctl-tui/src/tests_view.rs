//! Snapshots of every screen and overlay on a `TestBackend`, at 80×24 and 160×48, with the
//! fixtures and a fixed clock; plus NO_COLOR and empty / loading / error states.
#![allow(clippy::unwrap_used)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::app::{App, Overlay, Tab};
use crate::fixtures::{self, loaded_app};
use crate::msg::{Action, AgentDetail};
use crate::view::draw;

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app)).unwrap();
    t
}

fn snap(name: &str, app: &App) {
    for (w, h) in [(80, 24), (160, 48)] {
        let t = render(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

fn on(tab: Tab) -> App {
    let mut app = loaded_app(false, true);
    app.tab = tab;
    app
}

#[test]
fn screens() {
    snap("overview", &on(Tab::Overview));
    snap("certificates", &on(Tab::Certificates));
    snap("fleet", &on(Tab::Fleet));
    snap("groups", &on(Tab::Groups));
    snap("jobs", &on(Tab::Jobs));
    snap("policies", &on(Tab::Policies));
    snap("audit", &on(Tab::Audit));
}

#[test]
fn overlays() {
    let mut app = on(Tab::Certificates);
    app.overlay = Some(Overlay::Help);
    snap("help", &app);
    app.overlay = Some(Overlay::Confirm(Action::Renew("mc-bench-000001".into())));
    snap("confirm", &app);
    app.overlay = Some(Overlay::RevokeReason { id: "mc-bench-000001".into(), selected: 1 });
    snap("revoke", &app);
    app.overlay = Some(Overlay::CertDetail("mc-bench-000001".into()));
    app.cert_detail.data = Some(fixtures::cert_detail());
    app.cert_detail.refreshed = Some(fixtures::now());
    snap("cert_detail", &app);
    // more open violations than one page: the pane says it shows only part of them
    if let Some(d) = app.cert_detail.data.as_mut() {
        d.violations_partial = true;
    }
    let text = format!("{}", render(&app, 160, 48).backend());
    assert!(text.contains("(more than the 500 read)"), "{text}");
    if let Some(d) = app.cert_detail.data.as_mut() {
        d.violations.clear();
        d.violations_partial = false;
    }
    assert!(format!("{}", render(&app, 160, 48).backend()).contains("Open violations"));
    let mut app = on(Tab::Fleet);
    app.overlay = Some(Overlay::AgentDetail("ag-web1".into()));
    app.agent_detail.data = Some(AgentDetail {
        agent: fixtures::agents().remove(0),
        groups: vec!["grp-web".into()],
        targets: fixtures::cert_detail().targets.into_iter().map(|(t, _)| t).collect(),
        certificates: vec!["mc-bench-000001".into()],
    });
    snap("agent_detail", &app);
}

#[test]
fn job_and_audit_details_messages_and_quit() {
    let mut app = on(Tab::Jobs);
    // a long error, whole in the job detail (wrapped), not cut as in the table
    let err = "deploy: nginx -t failed: nginx: [emerg] cannot load certificate \"/etc/ssl/certctl/web.pem\": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE) — the previous files were restored";
    if let Some(p) = app.jobs.pane.data.as_mut() {
        p.data
            .iter_mut()
            .filter(|j| j.id.as_str() == "job-bad")
            .for_each(|j| j.last_error = Some(err.into()));
    }
    app.overlay = Some(Overlay::JobDetail(app.job_rows()[0].id.to_string()));
    snap("job_detail", &app);
    let text: String = format!("{}", render(&app, 80, 24).backend())
        .lines()
        .map(|l| l.trim_matches(|c| c == '"' || c == '│').trim_end().to_owned())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("the previous files were restored"), "{text}");
    let mut app = on(Tab::Audit);
    if let Some(p) = app.audit.pane.data.as_mut() {
        // generated ids and MACs differ per run: fixed ones for the snapshot
        p.data[0].id = "ev-01m911wwwn4trfjx1tsc".into();
        p.data[0].hash = "22f229ec".repeat(8);
        p.data[0].details = serde_json::json!({"common_name": "svc-3.example.com"});
    }
    app.overlay = Some(Overlay::AuditDetail("ev-01m911wwwn4trfjx1tsc".into()));
    snap("audit_detail", &app);
    let mut app = on(Tab::Jobs);
    app.say(crate::app::Status {
        text: format!("retry job job-bad failed: {err}\nsecond line"),
        error: true,
    });
    snap("status_long", &app);
    app.overlay = Some(Overlay::Messages);
    snap("messages", &app);
    app.overlay = Some(Overlay::ConfirmQuit);
    snap("confirm_quit", &app);
}

#[test]
fn job_ids_that_share_a_prefix_are_told_apart_at_80_columns() {
    let mut app = on(Tab::Jobs);
    if let Some(p) = app.jobs.pane.data.as_mut() {
        p.data[0].id = "job-01m90k2e3xq4z8ab7c2d".into();
        p.data[1].id = "job-01m90k2e3xv7y1mn0p9r".into();
        p.data[1].certificate_id = "mc-customer-portal-production".into();
    }
    let text = format!("{}", render(&app, 80, 24).backend());
    assert!(text.contains("job-01m90k2e3xq…") && text.contains("job-01m90k2e3xv…"), "{text}");
    assert!(text.contains("mc-customer…") && text.contains("mc-bench-00…"), "{text}");
    let wide = format!("{}", render(&app, 160, 48).backend());
    assert!(
        wide.contains("job-01m90k2e3xq4z8ab7c2d") && wide.contains("mc-customer-portal-production"),
        "{wide}"
    );
}

#[test]
fn filter_sort_and_read_only() {
    let mut app = on(Tab::Certificates);
    app.certs.filter = "svc-1".into();
    app.input = Some("svc-1".into());
    // the server's answer to sort=expires_at: the rows in expiry order
    app.certs.sort = Some("expires_at".parse().unwrap());
    if let Some(p) = app.certs.list.pane.data.as_mut() {
        p.data.sort_by_key(|c| (c.expires_at, c.id.clone()));
    }
    app.certs.list.selected = 4;
    snap("certificates_filtered_sorted", &app);
    // a sort without a column of its own says so in the title only; descending arrows point down
    app.certs.sort = Some("-created_at".parse().unwrap());
    let text = format!("{}", render(&app, 160, 48).backend());
    assert!(
        text.contains("by created ↓") && !text.contains("DAYS↑") && !text.contains("↑"),
        "{text}"
    );
    app.certs.sort = Some("-status".parse().unwrap());
    assert!(format!("{}", render(&app, 160, 48).backend()).contains("STATUS↓"));
    let mut app = loaded_app(true, true);
    app.overlay = Some(Overlay::Help);
    let text = format!("{}", render(&app, 80, 24).backend());
    assert!(text.contains("read-only") && !text.contains("renew deploy archive"), "{text}");
}

#[test]
fn loading_error_and_empty_states() {
    let mut app = App::new(Default::default(), fixtures::now());
    app.tab = Tab::Certificates;
    app.certs.list.pane.loading = true;
    let text = format!("{}", render(&app, 80, 24).backend());
    assert!(text.contains("Loading…"), "{text}");
    app.certs.list.pane.loading = false;
    app.certs.list.pane.error = Some("server unreachable: connection refused".into());
    snap("certificates_error", &app);
    app.tab = Tab::Overview;
    let text = format!("{}", render(&app, 80, 24).backend());
    assert!(text.contains("idle"), "{text}");
}

#[test]
fn no_color_draws_the_same_text_without_colours() {
    let colour = loaded_app(false, true);
    let mono = loaded_app(false, false);
    for tab in Tab::ALL {
        let (mut a, mut b) = (colour.clone(), mono.clone());
        a.tab = tab;
        b.tab = tab;
        let (ta, tb) = (render(&a, 80, 24), render(&b, 80, 24));
        assert_eq!(format!("{}", ta.backend()), format!("{}", tb.backend()), "{tab:?}");
        let buf = tb.backend().buffer();
        assert!(
            buf.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
            "{tab:?} uses a colour with NO_COLOR"
        );
    }
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = loaded_app(false, true);
    for tab in Tab::ALL {
        app.tab = tab;
        for (w, h) in [(1, 1), (20, 5), (40, 10), (79, 23)] {
            render(&app, w, h);
        }
    }
    app.overlay = Some(Overlay::Help);
    render(&app, 10, 4);
}
