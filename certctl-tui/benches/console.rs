//! Console benchmark (not a timed test): 100,000 certificates on a real server (in this
//! process, SQLite, loopback). Measures, with the console's own code paths and a ratatui
//! `TestBackend`:
//! - first full screen: from a fresh [`App`] (client built) through its loads over HTTP, the
//!   answers applied by `update`, to the first frame drawn — for the Overview (the start
//!   screen) and for the Certificates screen. Target ≤ 500 ms.
//! - redraw after a key press: `update` of the key plus one `draw`, at 80×24 and 160×48, over
//!   a loaded page of 100 certificates (and the other screens). Target ≤ 16 ms.
//! - a `/` search typed into the certificates filter: key → server answer → frame.
//! - `s` (server-side sort of the whole list): key → server answer → frame.
//!
//! Run: `cargo bench -p certctl-tui --bench console [-- --certs N --runs R]`.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use certctl::client::Client;
use certctl::model::Timestamp;
use certctl_tui::app::{App, Options, Tab};
use certctl_tui::msg::{Effect, Msg};
use certctl_tui::{net, update, view};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs every load effect (concurrently, like the console) and applies the answers.
async fn settle(client: &Client, app: &mut App, mut effects: Vec<Effect>) {
    while !effects.is_empty() {
        let mut calls = Vec::new();
        for e in effects.drain(..) {
            if let Effect::Load { slot, seq, req } = e {
                let c = client.clone();
                calls.push(tokio::spawn(async move {
                    (slot, seq, net::fetch(&c, req).await.map_err(|e| e.to_string()))
                }));
            }
        }
        for call in calls {
            let (slot, seq, result) = call.await.unwrap();
            effects.extend(update::update(app, Msg::Loaded { slot, seq, result }));
        }
    }
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn report(what: &str, v: &mut [Duration]) {
    println!(
        "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples)",
        pct(v, 0.5),
        pct(v, 0.99),
        pct(v, 1.0),
        v.len()
    );
}

fn main() {
    let n = arg("--certs", 100_000) as usize;
    let runs = arg("--runs", 20) as usize;
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (url, key_) = rt.block_on(async {
        let seed = Instant::now();
        let (svc, key) = certctl::testing::seeded_service(dir.path(), n).await;
        eprintln!("seeded {n} certificates in {:.1} s", seed.elapsed().as_secs_f64());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = certctl_server::app(certctl_server::AppState::new(svc));
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (url, key)
    });
    println!("certctl-tui console over {n} certificates, {runs} runs each");
    let opts = Options { server: url.clone(), ..Options::default() };

    for tab in [Tab::Overview, Tab::Certificates] {
        let mut firsts = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            let client = Client::builder(&url).api_key(&key_).build().unwrap();
            let mut app = App::new(opts.clone(), Timestamp::now());
            app.tab = tab;
            let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
            let fx = update::refresh(&mut app);
            rt.block_on(settle(&client, &mut app, fx));
            term.draw(|f| view::draw(f, &app)).unwrap();
            firsts.push(start.elapsed());
        }
        report(&format!("first full screen, {} (80x24)", tab.title()), &mut firsts);
    }

    let client = Client::builder(&url).api_key(&key_).build().unwrap();
    let mut app = App::new(opts.clone(), Timestamp::now());
    for tab in ['1', '2', '3', '4', '5', '6', '7'] {
        let fx = update::update(&mut app, key(tab));
        rt.block_on(settle(&client, &mut app, fx));
    }
    let fx = update::update(&mut app, key('2'));
    rt.block_on(settle(&client, &mut app, fx));
    assert_eq!(app.certs.list.rows().len(), 100, "a full page of certificates is loaded");
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        // back on Certificates (the tab-switch round of the previous size ends on Audit)
        let fx = update::update(&mut app, key('2'));
        rt.block_on(settle(&client, &mut app, fx));
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut redraws = Vec::new();
        for i in 0..runs * 20 {
            let k = if (i / 50) % 2 == 0 { 'j' } else { 'k' };
            let start = Instant::now();
            let fx = update::update(&mut app, key(k));
            term.draw(|f| view::draw(f, &app)).unwrap();
            redraws.push(start.elapsed());
            assert!(fx.is_empty());
        }
        report(&format!("redraw after j/k on Certificates ({w}x{h})"), &mut redraws);
        // s asks the server for page 1 of the whole list in the next order (common name,
        // status, expiry, name, created, then the default): key → answer → frame.
        let mut sorts = Vec::new();
        for _ in 0..runs * 3 {
            let start = Instant::now();
            let fx = update::update(&mut app, key('s'));
            rt.block_on(settle(&client, &mut app, fx));
            term.draw(|f| view::draw(f, &app)).unwrap();
            sorts.push(start.elapsed());
        }
        assert_eq!(app.certs.list.rows().len(), 100, "each sort brings a full page");
        report(&format!("s: key → server-sorted page 1 of {n} → frame ({w}x{h})"), &mut sorts);
        let mut tabs = Vec::new();
        for i in 0..runs * 7 {
            let c = char::from(b'1' + (i % 7) as u8);
            let start = Instant::now();
            update::update(&mut app, key(c));
            term.draw(|f| view::draw(f, &app)).unwrap();
            tabs.push(start.elapsed());
        }
        report(&format!("redraw after a tab switch, before its answer ({w}x{h})"), &mut tabs);
    }

    // `/` search typed letter by letter: each key sends a `q=` request; time key → frame with rows.
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut searches = Vec::new();
    update::update(&mut app, key('2'));
    for i in 0..runs {
        update::update(&mut app, key('/'));
        let text = format!("svc-{}", 1000 + i * 37);
        let start = Instant::now();
        for c in text.chars() {
            let fx = update::update(&mut app, key(c));
            rt.block_on(settle(&client, &mut app, fx));
            term.draw(|f| view::draw(f, &app)).unwrap();
        }
        searches.push(start.elapsed() / text.len() as u32);
        update::update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    }
    report("`/` search: key → server answer → frame, per key", &mut searches);

    // The real binary in tmux (80×24): from `tmux new-session` to the Overview drawn with its
    // data (the pane shows "refreshed"), polled every 2 ms.
    if std::process::Command::new("tmux").arg("-V").output().is_ok() {
        let mut starts = Vec::new();
        for i in 0..runs.min(10) {
            let socket = format!("certctl-tui-bench-{}-{i}", std::process::id());
            let tmux = |args: &[&str]| {
                std::process::Command::new("tmux")
                    .args(["-L", &socket, "-f", "/dev/null"])
                    .args(args)
                    .output()
                    .unwrap()
            };
            let start = Instant::now();
            let env_url = format!("CERTCTL_SERVER_URL={url}");
            let env_key = format!("CERTCTL_API_KEY={key_}");
            tmux(&[
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
                "-e",
                &env_url,
                "-e",
                &env_key,
                env!("CARGO_BIN_EXE_certctl-tui"),
            ]);
            loop {
                let screen =
                    String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
                if screen.contains("refreshed") && screen.contains("Total") {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "no overview after 20 s:\n{screen}"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            starts.push(start.elapsed());
            tmux(&["kill-server"]);
        }
        report("real binary in tmux: start → Overview with data (80x24)", &mut starts);
    }
}
