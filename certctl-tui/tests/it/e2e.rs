//! The real `certctl-tui` in tmux (80×24) against a real server: certificate CNs on screen,
//! Fleet shows agent hostnames, `/` filters, a renewal is confirmed and its job appears, `q`
//! quits with the terminal restored (cooked mode, main screen); SIGTERM restores it too.

use crate::support::{have_tmux, Server, Tmux};

/// Runs the console under `sh`, which then prints its exit status and the tty's modes.
fn console(s: &Server, name: &str) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_certctl-tui");
    let env = [
        ("CERTCTL_SERVER_URL", s.url.as_str()),
        ("CERTCTL_API_KEY", s.admin.as_str()),
        // no config file: the settings come from the environment only
        ("XDG_CONFIG_HOME", "/nonexistent"),
        ("TUI_BIN", bin),
        ("NO_COLOR", "1"),
    ];
    Tmux::start(name, 80, 24, &env, &["sh", "-c", r#""$TUI_BIN" --refresh 2s; echo "EXIT=$?"; stty -a; exec sleep 60"#])
}

/// After the console ended: its exit status was printed and the tty is back in cooked mode
/// with echo (stty prints `icanon` and `echo`, not `-icanon` / `-echo`).
#[track_caller]
fn assert_restored(t: &Tmux) {
    let screen = t.wait("the console to exit", |s| s.contains("EXIT="));
    assert!(screen.contains("EXIT=0"), "{screen}");
    let words: Vec<&str> = screen.split_whitespace().collect();
    assert!(words.contains(&"icanon") && words.contains(&"echo"), "terminal left in raw mode:\n{screen}");
    assert!(!screen.contains("1 Overview"), "still on the console's screen:\n{screen}");
}

#[test]
fn browse_filter_renew_and_quit() {
    if !have_tmux() {
        return;
    }
    let s = Server::start();
    let t = console(&s, "main");
    t.wait("the overview", |s| s.contains("1 Overview") && s.contains("refreshed"));

    t.keys(&["2"]);
    t.wait("certificate CNs", |s| s.contains("alpha.example.com") && s.contains("beta.example.com") && s.contains("gamma.example.org"));

    t.keys(&["3"]);
    t.wait("agent hostnames", |s| s.contains("web1.prod.internal") && s.contains("Online"));

    t.keys(&["2"]);
    t.wait("certificates again", |s| s.contains("alpha.example.com"));
    t.keys(&["/"]);
    t.text("beta");
    let screen = t.wait("the filtered list", |s| s.contains("beta.example.com") && !s.contains("alpha.example.com") && s.contains("of 1"));
    assert!(screen.contains("/beta"), "{screen}");
    t.keys(&["Enter"]);

    // renew the one certificate left: a confirm dialog, then the job in the status bar
    t.keys(&["r"]);
    t.wait("the confirm dialog", |s| s.contains("renew mc-beta?"));
    t.keys(&["y"]);
    let screen = t.wait("the renewal's job", |s| s.contains("renew mc-beta: job job-"));
    let job = screen.split("job job-").nth(1).and_then(|r| r.split_whitespace().next()).map(|id| format!("job-{id}")).unwrap();
    let jobs = s.rt.block_on(s.client.list_jobs(&Default::default(), certctl::model::PageRequest::new(1, 10))).unwrap();
    assert!(jobs.data.iter().any(|j| j.id.as_str() == job && j.certificate_id.as_str() == "mc-beta"), "{job} not on the server");
    t.keys(&["5"]);
    t.wait("the job on the Jobs screen", |s| s.contains("mc-beta") && s.contains("Issuance"));

    // help, then quit
    t.keys(&["?"]);
    t.wait("the key bindings", |s| s.contains("Keys") && s.contains("renew deploy archive revoke"));
    t.keys(&["Escape"]);
    t.wait("help closed", |s| !s.contains("Keys ·"));
    t.keys(&["q"]);
    assert_restored(&t);
}

#[test]
fn sigterm_restores_the_terminal() {
    if !have_tmux() {
        return;
    }
    let s = Server::start();
    let t = console(&s, "term");
    t.wait("the overview", |s| s.contains("1 Overview") && s.contains("refreshed"));
    // the console is the shell's child
    let sh = t.pane_pid();
    let children = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).unwrap();
    let pid = children.split_whitespace().next().unwrap();
    let kill = std::process::Command::new("kill").args(["-TERM", pid]).status().unwrap();
    assert!(kill.success());
    assert_restored(&t);
}
