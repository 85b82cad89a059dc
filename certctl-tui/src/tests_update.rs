//! `update` without a terminal: key → state change → effects, and answers → state.
#![allow(clippy::unwrap_used)]

use certctl::model::{Certificate, CertificateFilter};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::{App, Options, Overlay, Quick, Tab};
use crate::fixtures::{self, loaded_app, now, page};
use crate::msg::{Action, Data, Effect, Msg, Request, Slot};
use crate::update::{cert_filter, refresh, update};

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(app: &mut App, c: char) -> Vec<Effect> {
    key(app, KeyCode::Char(c))
}

fn requests(fx: &[Effect]) -> Vec<Request> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Load { req, .. } => Some(req.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn start_loads_the_overview_and_marks_it_loading() {
    let mut app = App::new(Options::default(), now());
    let fx = refresh(&mut app);
    assert_eq!(requests(&fx), vec![Request::Summary]);
    assert!(app.summary.loading);
}

#[test]
fn tab_cycles_and_numbers_jump_each_loading_its_screen() {
    let mut app = loaded_app(false, true);
    assert_eq!(app.tab, Tab::Overview);
    let fx = key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Certificates);
    assert!(matches!(requests(&fx)[..], [Request::Certs { page: 1, .. }]));
    let fx = ch(&mut app, '3');
    assert_eq!(app.tab, Tab::Fleet);
    assert!(matches!(requests(&fx)[..], [Request::Agents { group: None, page: 1, .. }]));
    assert_eq!(requests(&ch(&mut app, '5')), vec![Request::Jobs]);
    assert_eq!(requests(&ch(&mut app, '7')), vec![Request::Audit(Default::default())]);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Overview, "Tab wraps around");
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.tab, Tab::Audit);
    ch(&mut app, 'l');
    assert_eq!(app.tab, Tab::Overview, "vim keys: l next");
    ch(&mut app, 'h');
    assert_eq!(app.tab, Tab::Audit, "h previous");
    let fx = ch(&mut app, '4');
    assert_eq!(requests(&fx), vec![Request::Groups, Request::Members("grp-web".into())]);
}

#[test]
fn slash_filter_reloads_from_the_server_on_every_key_and_esc_clears() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    app.certs.list.selected = 5;
    assert!(ch(&mut app, '/').is_empty());
    assert_eq!(app.input.as_deref(), Some(""));
    ch(&mut app, 's');
    let fx = ch(&mut app, 'v');
    assert_eq!(app.certs.list.selected, 0);
    match &requests(&fx)[..] {
        [Request::Certs { filter, page: 1, .. }] => assert_eq!(filter.q.as_deref(), Some("sv")),
        other => panic!("{other:?}"),
    }
    // q and j are text while typing, not quit or move
    assert!(ch(&mut app, 'q').iter().all(|e| *e != Effect::Quit));
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.certs.filter, "sv");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.input, None);
    assert_eq!(app.certs.filter, "sv", "Enter keeps the filter");
    // Esc at the top level clears the filter (and reloads) instead of quitting
    let fx = key(&mut app, KeyCode::Esc);
    assert!(app.certs.filter.is_empty());
    assert!(matches!(requests(&fx)[..], [Request::Certs { .. }]));
    // then it asks before quitting: Esc (or n) stays, y quits
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit));
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.overlay, None);
    key(&mut app, KeyCode::Esc);
    assert_eq!(ch(&mut app, 'y'), vec![Effect::Quit]);
}

#[test]
fn slash_filters_every_screen_by_ids_and_names() {
    let mut app = loaded_app(false, true);
    // jobs: matched here, over the rows loaded; the selection follows the shown rows
    ch(&mut app, '5');
    assert_eq!(app.job_rows().len(), 2);
    assert!(ch(&mut app, '/').is_empty());
    for c in "job-ok".chars() {
        assert!(ch(&mut app, c).is_empty(), "no reload for a screen filtered here");
    }
    assert_eq!(app.job_rows().len(), 1);
    assert_eq!(app.job_rows()[0].id.as_str(), "job-ok");
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'c');
    assert_eq!(app.overlay, Some(Overlay::Confirm(Action::CancelJob("job-ok".into()))));
    key(&mut app, KeyCode::Esc);
    // a certificate id matches too, and Esc clears the filter before anything else
    app.jobs.filter = "MC-BENCH".into();
    assert_eq!(app.job_rows().len(), 2, "case-insensitive, any field");
    key(&mut app, KeyCode::Esc);
    assert!(app.jobs.filter.is_empty() && app.overlay.is_none());
    // fleet: by id, name or hostname
    ch(&mut app, '3');
    let n = app.fleet.list.rows().len();
    app.fleet.list.filter = app.fleet.list.all()[1].id.to_string();
    assert_eq!(app.fleet.list.rows().len(), 1);
    assert!(n > 1);
    // audit: key:value words go to the server, the rest is matched here
    ch(&mut app, '7');
    ch(&mut app, '/');
    let mut fx = Vec::new();
    for c in "id:mc-bench-000002".chars() {
        fx = ch(&mut app, c);
    }
    match &requests(&fx)[..] {
        [Request::Audit(f)] => assert_eq!(f.resource_id.as_deref(), Some("mc-bench-000002")),
        other => panic!("{other:?}"),
    }
    key(&mut app, KeyCode::Enter);
    app.audit.filter = "000003".into();
    assert_eq!(app.audit.rows().len(), 1, "free words match the loaded events");
    assert_eq!(app.audit.rows()[0].resource_id, "mc-bench-000003");
}

#[test]
fn enter_on_a_job_or_an_event_shows_it_whole_and_the_log_keeps_every_message() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '5');
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.overlay, Some(Overlay::JobDetail("job-bad".into())));
    ch(&mut app, 'j');
    assert_eq!(app.scroll, 1, "j scrolls the text");
    ch(&mut app, 'r');
    assert_eq!(app.overlay, Some(Overlay::Confirm(Action::RetryJob("job-bad".into()))));
    key(&mut app, KeyCode::Esc);
    ch(&mut app, '7');
    key(&mut app, KeyCode::Enter);
    let first = app.audit.rows()[0].id.to_string();
    assert_eq!(app.overlay, Some(Overlay::AuditDetail(first)));
    key(&mut app, KeyCode::Esc);
    // a long, multi-line refusal: the status bar shows a line, the log all of it
    let long = format!("conflict: {}\nsecond line", "x".repeat(300));
    update(
        &mut app,
        Msg::Acted {
            action: Action::RetryJob("job-bad".into()),
            result: Err(long),
            forbidden: false,
        },
    );
    // a failing load is logged once, not on every refresh
    for _ in 0..3 {
        let seq = app.audit.pane.seq;
        update(&mut app, Msg::Loaded { slot: Slot::Audit, seq, result: Err("server down".into()) });
    }
    let logged: Vec<&str> = app.log.iter().map(|m| m.status.text.as_str()).collect();
    assert_eq!(logged.iter().filter(|t| t.contains("server down")).count(), 1, "{logged:?}");
    assert!(logged.iter().any(|t| t.ends_with("second line") && t.contains(&"x".repeat(300))));
    assert!(
        logged.iter().any(|t| t.contains("cancelled")),
        "a declined dialog says what it declined"
    );
    ch(&mut app, 'm');
    assert_eq!(app.overlay, Some(Overlay::Messages));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, None);
}

#[test]
fn tag_words_become_tag_filters_and_quick_filters_go_to_the_server() {
    let mut app = loaded_app(false, true);
    app.certs.filter = "web tag:app=billing  prod".into();
    let f = cert_filter(&app);
    assert_eq!(f.q.as_deref(), Some("web prod"));
    assert_eq!(f.tags, vec![("app".to_owned(), "billing".to_owned())]);
    assert!(f.exclude_archived);
    ch(&mut app, '2');
    app.certs.filter.clear();
    ch(&mut app, 'x');
    assert_eq!(app.certs.quick, Quick::Expiring);
    let f = cert_filter(&app);
    assert_eq!(
        (f.expires_after, f.expires_before),
        (Some(now()), Some(now().plus(time::Duration::days(30))))
    );
    ch(&mut app, 'F');
    assert_eq!(cert_filter(&app).status, Some(certctl::model::CertificateStatus::Failed));
    ch(&mut app, 'F');
    assert_eq!(app.certs.quick, Quick::All, "a second press turns it off");
    ch(&mut app, 'e');
    assert_eq!(
        app.certs.quick,
        Quick::Environment("development".into()),
        "environments seen, sorted"
    );
    assert_eq!(cert_filter(&app).environment.as_deref(), Some("development"));
}

#[test]
fn movement_paging_and_sorting() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    ch(&mut app, 'j');
    key(&mut app, KeyCode::Down);
    assert_eq!(app.certs.list.selected, 2);
    ch(&mut app, 'k');
    assert_eq!(app.certs.list.selected, 1);
    ch(&mut app, 'G');
    assert_eq!(app.certs.list.selected, 29);
    ch(&mut app, 'j');
    assert_eq!(app.certs.list.selected, 29, "clamped");
    ch(&mut app, 'g');
    assert_eq!(app.certs.list.selected, 0);
    let fx = ch(&mut app, 'n');
    assert!(matches!(requests(&fx)[..], [Request::Certs { page: 2, .. }]));
    assert_eq!(app.certs.page, 2);
    let fx = ch(&mut app, 'p');
    assert!(matches!(requests(&fx)[..], [Request::Certs { page: 1, .. }]));
    assert!(ch(&mut app, 'p').is_empty(), "no page before the first");
}

/// The one Certs request among `fx`: its filter and page.
fn certs_request(fx: &[Effect]) -> (CertificateFilter, u32) {
    match &requests(fx)[..] {
        [Request::Certs { filter, page, .. }] => ((**filter).clone(), *page),
        other => panic!("{other:?}"),
    }
}

/// Answers the last Certs request of `fx` with `rows`.
fn answer_certs(app: &mut App, fx: &[Effect], rows: Vec<Certificate>) {
    let Some(Effect::Load { seq, .. }) = fx.last() else { panic!("{fx:?}") };
    update(
        app,
        Msg::Loaded { slot: Slot::Certs, seq: *seq, result: Ok(Data::Certs(page(rows, 100_000))) },
    );
}

#[test]
fn s_and_shift_s_sort_the_whole_list_on_the_server_and_keep_the_selection_sensible() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    // from page 2 with a filter: s asks for page 1 of the whole filtered list, sorted
    let fx = ch(&mut app, 'n');
    answer_certs(&mut app, &fx, fixtures::certs(30));
    assert_eq!(app.certs.page, 2);
    app.certs.filter = "svc".into();
    app.certs.list.selected = 3;
    let kept = app.cert_rows()[3].id.clone();
    let fx = ch(&mut app, 's');
    let (f, page) = certs_request(&fx);
    assert_eq!(
        (f.sort.map(|s| s.as_param()), page, f.q.as_deref()),
        (Some("common_name".to_owned()), 1, Some("svc"))
    );
    assert_eq!(app.certs.page, 1);
    // the selected certificate is on the new first page: it stays selected where it now is
    let mut rows = fixtures::certs(30);
    rows.reverse();
    answer_certs(&mut app, &fx, rows);
    assert_eq!(app.cert_rows()[app.certs.list.selected].id, kept);
    assert_eq!(app.certs.list.selected, 26);
    // not on it: the first row
    let fx = ch(&mut app, 's');
    assert_eq!(certs_request(&fx).0.sort.map(|s| s.as_param()).as_deref(), Some("status"));
    answer_certs(&mut app, &fx, fixtures::certs(60)[30..].to_vec());
    assert_eq!(app.certs.list.selected, 0);
    // S reverses; n / p keep the order
    let fx = ch(&mut app, 'S');
    assert_eq!(certs_request(&fx).0.sort.map(|s| s.as_param()).as_deref(), Some("-status"));
    answer_certs(&mut app, &fx, fixtures::certs(30));
    let fx = ch(&mut app, 'n');
    assert_eq!(
        certs_request(&fx),
        (CertificateFilter { sort: Some("-status".parse().unwrap()), ..cert_filter(&app) }, 2)
    );
    answer_certs(&mut app, &fx, fixtures::certs(30));
    // s walks the columns the server sorts (keeping the direction), then back to its default
    let mut seen = Vec::new();
    loop {
        let fx = ch(&mut app, 's');
        let (f, page) = certs_request(&fx);
        assert_eq!(page, 1);
        answer_certs(&mut app, &fx, fixtures::certs(30));
        match f.sort {
            Some(s) => seen.push(s.as_param()),
            None => break,
        }
    }
    assert_eq!(seen, ["-expires_at", "-name", "-created_at"]);
    assert_eq!(app.certs.sort, None);
    assert!(ch(&mut app, 'S').is_empty(), "nothing to reverse in the server's default order");
    // the rows are shown in the server's order, never re-sorted here
    let mut rows = fixtures::certs(30);
    rows.swap(0, 29);
    let fx = ch(&mut app, 's');
    answer_certs(&mut app, &fx, rows.clone());
    assert_eq!(app.cert_rows(), &rows[..]);
}

#[test]
fn a_new_filter_or_page_starts_at_the_top_a_failed_answer_keeps_the_selection() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    app.certs.list.selected = 5;
    ch(&mut app, 's');
    // the sort's answer fails: the old rows stay and so does the selection
    let fx = refresh(&mut app);
    let Effect::Load { seq, .. } = fx[0] else { panic!() };
    update(
        &mut app,
        Msg::Loaded { slot: Slot::Certs, seq, result: Err("server unreachable".into()) },
    );
    assert_eq!(app.certs.list.selected, 5);
    // typing a filter: the first row of the answer, even if the old row 0 is in it
    ch(&mut app, '/');
    let fx = ch(&mut app, 'v');
    let mut rows = fixtures::certs(30);
    rows.rotate_right(7);
    answer_certs(&mut app, &fx, rows);
    assert_eq!(app.certs.list.selected, 0);
    key(&mut app, KeyCode::Enter);
    // a refresh of the same list follows the selected row
    ch(&mut app, 'j');
    let id = app.cert_rows()[1].id.clone();
    let fx = refresh(&mut app);
    answer_certs(&mut app, &fx, fixtures::certs(30));
    assert_eq!(app.cert_rows()[app.certs.list.selected].id, id);
}

#[test]
fn answers_fill_panes_stale_ones_are_dropped_errors_keep_the_data_and_selection_stays() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    app.certs.list.selected = 3;
    let id = app.cert_rows()[3].id.clone();
    let fx = refresh(&mut app);
    let Effect::Load { seq, .. } = fx[0] else { panic!() };
    // an older answer is stale
    update(&mut app, Msg::Loaded { slot: Slot::Certs, seq: seq - 1, result: Err("old".into()) });
    assert!(app.certs.list.pane.loading && app.certs.list.pane.error.is_none());
    // the refresh brings the same rows shifted by one: the selection follows the row
    let mut rows = fixtures::certs(31);
    rows.remove(0);
    update(
        &mut app,
        Msg::Loaded { slot: Slot::Certs, seq, result: Ok(Data::Certs(page(rows, 100_000))) },
    );
    assert_eq!(app.cert_rows()[app.certs.list.selected].id, id);
    assert_eq!(app.certs.list.selected, 2);
    assert_eq!(app.certs.list.pane.refreshed, Some(now()));
    // an error keeps the rows and says so
    let fx = refresh(&mut app);
    let Effect::Load { seq, .. } = fx[0] else { panic!() };
    update(
        &mut app,
        Msg::Loaded { slot: Slot::Certs, seq, result: Err("server unreachable".into()) },
    );
    assert_eq!(app.certs.list.pane.error.as_deref(), Some("server unreachable"));
    assert_eq!(app.cert_rows().len(), 30);
}

#[test]
fn renew_asks_first_then_acts_and_the_result_refreshes_the_screen() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    ch(&mut app, 'j');
    let id = app.cert_rows()[1].id.to_string();
    assert!(ch(&mut app, 'r').is_empty());
    assert_eq!(app.overlay, Some(Overlay::Confirm(Action::Renew(id.clone()))));
    // q in a confirm dialog does not quit
    assert!(ch(&mut app, 'q').is_empty());
    let fx = ch(&mut app, 'y');
    assert_eq!(fx, vec![Effect::Act(Action::Renew(id.clone()))]);
    assert_eq!(app.overlay, None);
    let fx = update(
        &mut app,
        Msg::Acted {
            action: Action::Renew(id.clone()),
            result: Ok(format!("renew {id}: job job-1 Pending")),
            forbidden: false,
        },
    );
    assert!(app.status.as_ref().unwrap().text.contains("job-1"));
    assert!(matches!(requests(&fx)[..], [Request::Certs { .. }]));
    // a refusal is shown as an error
    update(
        &mut app,
        Msg::Acted {
            action: Action::Deploy(id.clone()),
            result: Err("conflict: busy".into()),
            forbidden: false,
        },
    );
    let s = app.status.clone().unwrap();
    assert!(s.error && s.text.contains("deploy") && s.text.contains("busy"));
    assert!(!app.opts.read_only);
    // n cancels
    ch(&mut app, 'a');
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.overlay, None);
}

#[test]
fn revoke_picks_a_reason_first() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    let id = app.cert_rows()[0].id.to_string();
    ch(&mut app, 'R');
    assert!(matches!(app.overlay, Some(Overlay::RevokeReason { selected: 0, .. })));
    ch(&mut app, 'j');
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.overlay,
        Some(Overlay::Confirm(Action::Revoke(id.clone(), "keyCompromise".into())))
    );
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::Act(Action::Revoke(id, "keyCompromise".into()))]
    );
}

#[test]
fn read_only_hides_every_mutating_key() {
    let mut app = loaded_app(true, true);
    ch(&mut app, '2');
    for c in ['r', 'd', 'a', 'R'] {
        assert!(ch(&mut app, c).is_empty());
        assert_eq!(app.overlay, None, "{c}");
    }
    ch(&mut app, '5');
    for c in ['c', 'r'] {
        ch(&mut app, c);
        assert_eq!(app.overlay, None, "{c}");
    }
}

#[test]
fn a_viewer_keys_refusal_hides_the_actions() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    let id = app.cert_rows()[0].id.to_string();
    update(
        &mut app,
        Msg::Acted {
            action: Action::Renew(id),
            result: Err("forbidden: viewer".into()),
            forbidden: true,
        },
    );
    assert!(app.opts.read_only);
    assert!(app.status.as_ref().unwrap().text.contains("read-only"));
    ch(&mut app, 'r');
    assert_eq!(app.overlay, None);
}

#[test]
fn jobs_failed_first_cancel_and_retry() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '5');
    assert_eq!(app.job_rows()[0].id.as_str(), "job-bad");
    ch(&mut app, 'r');
    assert_eq!(app.overlay, Some(Overlay::Confirm(Action::RetryJob("job-bad".into()))));
    key(&mut app, KeyCode::Esc);
    ch(&mut app, 'j');
    ch(&mut app, 'c');
    assert_eq!(app.overlay, Some(Overlay::Confirm(Action::CancelJob("job-ok".into()))));
}

#[test]
fn enter_opens_details_esc_goes_back_and_refresh_reloads_them() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '2');
    let id = app.cert_rows()[0].id.to_string();
    let fx = key(&mut app, KeyCode::Enter);
    assert_eq!(app.overlay, Some(Overlay::CertDetail(id.clone())));
    assert_eq!(requests(&fx), vec![Request::CertDetail(id.clone())]);
    let fx = update(&mut app, Msg::Refresh);
    assert!(requests(&fx).contains(&Request::CertDetail(id.clone())));
    // actions work from the detail pane too
    ch(&mut app, 'd');
    assert_eq!(app.overlay, Some(Overlay::Confirm(Action::Deploy(id))));
    key(&mut app, KeyCode::Esc);
    ch(&mut app, '3');
    let fx = key(&mut app, KeyCode::Enter);
    assert_eq!(requests(&fx), vec![Request::AgentDetail("ag-web1".into())]);
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.overlay, None);
    assert_eq!(app.tab, Tab::Fleet);
}

#[test]
fn group_selector_narrows_the_fleet() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '3');
    let fx = ch(&mut app, 'f');
    assert_eq!(app.fleet.group.as_deref(), Some("grp-web"));
    assert!(
        matches!(&requests(&fx)[..], [Request::Agents { group: Some(g), .. }] if g == "grp-web")
    );
    let fx = ch(&mut app, 'f');
    assert_eq!(app.fleet.group, None, "after the last group: all agents");
    assert!(matches!(&requests(&fx)[..], [Request::Agents { group: None, .. }]));
    ch(&mut app, 'f');
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.fleet.group, None, "Esc clears the group first");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, Some(Overlay::ConfirmQuit), "then asks before quitting");
}

#[test]
fn help_quit_and_ticks() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '?');
    assert_eq!(app.overlay, Some(Overlay::Help));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, None);
    assert_eq!(ch(&mut app, 'q'), vec![Effect::Quit]);
    assert_eq!(
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))),
        vec![Effect::Quit]
    );
    let later = now().plus(time::Duration::seconds(5));
    assert!(update(&mut app, Msg::Tick(later)).is_empty());
    assert_eq!(app.now, later);
    // the auto-refresh reloads the visible screen only
    ch(&mut app, '6');
    let fx = update(&mut app, Msg::Refresh);
    assert_eq!(requests(&fx), vec![Request::Policies, Request::Violations("pol-owner".into())]);
}

#[test]
fn approving_a_pending_agent_asks_first_and_other_agents_say_why_not() {
    let mut app = loaded_app(false, true);
    ch(&mut app, '3');
    // the first agent is Online: nothing to approve, the status bar says why
    assert!(ch(&mut app, 'A').is_empty());
    assert_eq!(app.overlay, None);
    let s = app.status.clone().unwrap();
    assert!(s.error && s.text.contains("only a Pending agent"), "{s:?}");
    // a Pending one: confirm, then act
    let rows = &mut app.fleet.list.pane.data.as_mut().unwrap().data;
    rows[1].status = certctl::model::AgentStatus::Pending;
    let id = rows[1].id.to_string();
    ch(&mut app, 'j');
    assert!(ch(&mut app, 'A').is_empty());
    assert_eq!(app.overlay, Some(Overlay::Confirm(Action::ApproveAgent(id.clone()))));
    assert_eq!(ch(&mut app, 'y'), vec![Effect::Act(Action::ApproveAgent(id))]);
    // read-only consoles have no such key
    let mut ro = loaded_app(true, true);
    ch(&mut ro, '3');
    assert!(ch(&mut ro, 'A').is_empty() && ro.overlay.is_none() && ro.status.is_none());
}
