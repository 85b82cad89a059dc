//! The real `certctl-tui` in tmux (80×24) against a real server: certificate CNs on screen,
//! Fleet shows agent hostnames, `/` filters, `s`/`S` sort the whole list on the server (rows
//! from the second page come first), a renewal is confirmed and its job appears, `/` narrows the
//! jobs by id and Enter shows one whole, a terminal escape in an agent's label stays inert, Esc at
//! the top asks before quitting and `y` quits with the terminal restored (cooked mode, main
//! screen); SIGTERM restores it too.

use crate::support::{Server, Tmux, have_tmux};

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
    Tmux::start(
        name,
        80,
        24,
        &env,
        &["sh", "-c", r#""$TUI_BIN" --refresh 2s; echo "EXIT=$?"; stty -a; exec sleep 60"#],
    )
}

/// After the console ended: its exit status was printed and the tty is back in cooked mode
/// with echo (stty prints `icanon` and `echo`, not `-icanon` / `-echo`).
#[track_caller]
fn assert_restored(t: &Tmux) {
    // wait for stty's lines too, not only the exit status printed before them
    let screen = t.wait("the console to exit", |s| {
        s.contains("EXIT=") && s.contains("icanon") && s.contains("echo")
    });
    assert!(screen.contains("EXIT=0"), "{screen}");
    let words: Vec<&str> = screen.split_whitespace().collect();
    assert!(
        words.contains(&"icanon") && words.contains(&"echo"),
        "terminal left in raw mode:\n{screen}"
    );
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
    t.wait("certificate CNs", |s| {
        s.contains("alpha.example.com")
            && s.contains("beta.example.com")
            && s.contains("gamma.example.org")
    });

    t.keys(&["3"]);
    t.wait("agent hostnames", |s| s.contains("web1.prod.internal") && s.contains("Online"));
    // the agent reported a label holding a terminal escape: shown inert, the title unchanged
    let title = t.pane_title();
    t.keys(&["Enter"]);
    t.wait("the agent's reported labels", |s| s.contains("Labels (reported)") && s.contains("x"));
    assert!(!t.pane_title().contains("pwned"), "the pane title changed: {}", t.pane_title());
    assert_eq!(t.pane_title(), title);
    t.keys(&["Escape"]);
    t.wait("the fleet again", |s| !s.contains("Labels (reported)"));

    t.keys(&["2"]);
    t.wait("certificates again", |s| s.contains("alpha.example.com"));
    t.keys(&["/"]);
    t.text("beta");
    let screen = t.wait("the filtered list", |s| {
        s.contains("beta.example.com") && !s.contains("alpha.example.com") && s.contains("of 1")
    });
    assert!(screen.contains("/beta"), "{screen}");
    t.keys(&["Enter"]);

    // renew the one certificate left: a confirm dialog, then the job in the status bar
    t.keys(&["r"]);
    t.wait("the confirm dialog", |s| s.contains("renew mc-beta?"));
    t.keys(&["y"]);
    let screen = t.wait("the renewal's job", |s| s.contains("renew mc-beta: job job-"));
    let job = screen
        .split("job job-")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .map(|id| format!("job-{id}"))
        .unwrap();
    let jobs = s
        .rt
        .block_on(s.client.list_jobs(&Default::default(), certctl::model::PageRequest::new(1, 10)))
        .unwrap();
    assert!(
        jobs.data.iter().any(|j| j.id.as_str() == job && j.certificate_id.as_str() == "mc-beta"),
        "{job} not on the server"
    );
    t.keys(&["5"]);
    t.wait("the job on the Jobs screen", |s| s.contains("mc-beta") && s.contains("Issuance"));
    // `/` narrows the jobs by id; Enter shows the job whole
    t.keys(&["/"]);
    t.text(&job);
    t.keys(&["Enter"]);
    t.wait("the jobs filtered by id", |s| s.contains(&format!("Jobs · /{job} · 1 match")));
    t.keys(&["Enter"]);
    t.wait("the job's detail", |s| {
        s.contains(&format!("Job {job}"))
            && s.contains("certificate mc-beta")
            && s.contains("Last error")
    });
    t.keys(&["Escape"]);
    t.wait("the jobs again", |s| s.contains("ERROR (Enter)"));

    // help, then quit
    t.keys(&["?"]);
    t.wait("the key bindings", |s| s.contains("Keys") && s.contains("renew deploy archive revoke"));
    t.keys(&["Escape"]);
    t.wait("help closed", |s| !s.contains("Keys ·"));
    // Esc clears the filter, then asks before quitting; Esc stays, y quits
    t.keys(&["Escape"]);
    t.wait("the filter cleared", |s| !s.contains(&format!("/{job}")));
    t.keys(&["Escape"]);
    t.wait("the quit question", |s| s.contains("Quit the console?"));
    t.keys(&["Escape"]);
    t.wait("the question closed", |s| !s.contains("Quit the console?") && s.contains("5 Jobs"));
    t.keys(&["Escape"]);
    t.wait("the quit question again", |s| s.contains("Quit the console?"));
    t.keys(&["y"]);
    assert_restored(&t);
}

#[test]
fn sort_is_done_by_the_server_over_every_page() {
    if !have_tmux() {
        return;
    }
    let s = Server::start();
    // 100 more certificates whose ids come before mc-alpha: by id, page 1 (100 rows) holds only
    // them and alpha, beta and gamma are on page 2; their common names sort after all three.
    s.rt.block_on(async {
        for i in 0..100 {
            let input = certctl::api::CertificateInput {
                id: Some(format!("mc-a{i:03}")),
                common_name: format!("zz-{i:03}.example.net"),
                ..Default::default()
            };
            s.client.create_certificate(&input).await.unwrap();
        }
    });
    let t = console(&s, "sort");
    t.wait("the overview", |s| s.contains("1 Overview") && s.contains("refreshed"));
    t.keys(&["2"]);
    let screen =
        t.wait("page 1 by id", |s| s.contains("of 103") && s.contains("zz-000.example.net"));
    assert!(!screen.contains("alpha.example.com"), "{screen}");
    // s: common name ascending, page 1 of the whole list: the three from page 2 come first
    t.keys(&["s"]);
    let screen = t.wait("sorted by common name", |s| {
        s.contains("by common name ↑")
            && s.contains("COMMON NAME↑")
            && s.contains("alpha.example.com")
    });
    let at = |cn: &str| screen.find(cn).unwrap_or(usize::MAX);
    assert!(
        at("alpha.example.com") < at("beta.example.com")
            && at("beta.example.com") < at("gamma.example.org")
            && at("gamma.example.org") < at("zz-000"),
        "{screen}"
    );
    assert!(screen.contains("page 1/2"), "{screen}");
    // S: descending, page 1 again; the selected mc-a000 (kept since page 1 by id) is still
    // selected, now its last row, so the table shows the page's end; the three are on page 2
    t.keys(&["S"]);
    let screen = t.wait("reversed", |s| {
        s.contains("by common name ↓")
            && s.contains("COMMON NAME↓")
            && s.contains("zz-000.example.net")
            && !s.contains("alpha.example.com")
    });
    assert!(
        screen.find("zz-001") < screen.find("zz-000") && screen.contains("page 1/2"),
        "{screen}"
    );
    t.keys(&["n"]);
    let screen = t.wait("page 2 of the same order", |s| {
        s.contains("page 2/2") && s.contains("alpha.example.com")
    });
    assert!(screen.find("gamma.example.org") < screen.find("alpha.example.com"), "{screen}");
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
