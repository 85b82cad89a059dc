//! The terminal and the loop: raw mode and the alternate screen (restored on exit, on panic by
//! ratatui's hook, and on SIGTERM / SIGHUP), a thread reading keys, a 1 s clock, the
//! auto-refresh timer, and the effects spawned on the runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use certctl::client::Settings;
use certctl::model::Timestamp;
use crossterm::event::{self, Event};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, interval_at};

use crate::app::{App, Options};
use crate::args::ConsoleArgs;
use crate::msg::{Effect, Msg};
use crate::{net, update, view};

/// Runs the console until the user quits (or SIGTERM / SIGHUP); the terminal is restored.
pub fn run(settings: &Settings, args: &ConsoleArgs) -> anyhow::Result<()> {
    let client = settings.client().context("connection settings")?;
    run_client(&client, args)
}

/// Runs the console with a client built by the caller (`certctl tui` builds it from its flags).
pub fn run_client(client: &certctl::client::Client, args: &ConsoleArgs) -> anyhow::Result<()> {
    let opts = Options {
        read_only: args.read_only,
        refresh: args.refresh,
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        server: client.base_url().as_str().trim_end_matches('/').to_owned(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let mut terminal = ratatui::try_init().context("setting up the terminal")?;
    let out = rt.block_on(main_loop(&mut terminal, client, opts));
    ratatui::restore();
    rt.shutdown_timeout(Duration::from_millis(200));
    out
}

/// Reads terminal events on a thread of its own and forwards keys and resizes as messages.
fn input_thread(tx: mpsc::UnboundedSender<Msg>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => break,
            }
            let msg = match event::read() {
                Ok(Event::Key(k)) => Msg::Key(k),
                Ok(Event::Resize(..)) => Msg::Tick(Timestamp::now()),
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
}

async fn main_loop(
    terminal: &mut ratatui::DefaultTerminal,
    client: &certctl::client::Client,
    opts: Options,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let stop = Arc::new(AtomicBool::new(false));
    input_thread(tx.clone(), stop.clone());
    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut hup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    let mut clock = interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut refresh = interval_at(Instant::now() + opts.refresh, opts.refresh);
    refresh.set_missed_tick_behavior(MissedTickBehavior::Skip);

    let mut app = App::new(opts, Timestamp::now());
    let mut effects = update::refresh(&mut app);
    let result = loop {
        if effects.contains(&Effect::Quit) {
            break Ok(());
        }
        for e in effects.drain(..) {
            net::spawn(client, e, &tx);
        }
        let height = terminal.size().map(|s| s.height).unwrap_or(24);
        app.page_rows = view::table_rows(height.saturating_sub(2)).max(1);
        if let Err(e) = terminal.draw(|f| view::draw(f, &app)) {
            break Err(anyhow::Error::new(e).context("drawing"));
        }
        let msg = tokio::select! {
            m = rx.recv() => match m { Some(m) => m, None => break Ok(()) },
            _ = clock.tick() => Msg::Tick(Timestamp::now()),
            _ = refresh.tick() => Msg::Refresh,
            _ = term.recv() => break Ok(()),
            _ = hup.recv() => break Ok(()),
        };
        effects = update::update(&mut app, msg);
        // Take whatever else is queued before drawing again (one frame per burst).
        while let Ok(m) = rx.try_recv() {
            effects.extend(update::update(&mut app, m));
        }
    };
    stop.store(true, Ordering::Relaxed);
    result
}
