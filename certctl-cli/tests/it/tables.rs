//! Table output snapshots (insta), with NO_COLOR and 120 columns; generated ids and times are
//! chosen or redacted so the snapshots are stable.

use certctl::model::{ActorType, AuditDraft, CertificateStatus, Timestamp};

use crate::support::Server;

/// Replaces dates and times (`2026-01-02`, `12:00:00`) with placeholders.
fn redact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &s[i..];
        let is_date = rest.len() >= 10
            && rest.as_bytes()[..10]
                .iter()
                .enumerate()
                .all(|(k, c)| if k == 4 || k == 7 { *c == b'-' } else { c.is_ascii_digit() });
        if is_date {
            out.push_str("YYYY-MM-DD");
            i += 10;
            continue;
        }
        let ch = rest.chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[test]
fn certificate_tables() {
    let s = Server::start();
    let now = Timestamp::now();
    let mk = |id: &str, cn: &str, status, days: Option<i64>| {
        let mut c = certctl::testing::sample_certificates(1, now).remove(0);
        c.id = id.into();
        c.common_name = cn.into();
        c.name = cn.into();
        c.status = status;
        c.environment = Some("production".into());
        c.owner_id = None;
        c.team_id = None;
        c.expires_at = days.map(|d| now.plus(time::Duration::days(d) + time::Duration::hours(1)));
        c
    };
    let certs = [
        mk("mc-api", "api.example.com", CertificateStatus::Active, Some(90)),
        mk("mc-soon", "soon.example.com", CertificateStatus::Expiring, Some(5)),
        mk("mc-month", "month.example.com", CertificateStatus::Expiring, Some(20)),
        mk("mc-new", "new.example.com", CertificateStatus::Pending, None),
    ];
    let audit =
        AuditDraft::new("test", ActorType::System, "certificate_imported", "certificate", "-");
    s.block_on(s.svc.store_for_tests().import_certificates(&certs, &audit)).unwrap();

    insta::assert_snapshot!("certs_list", redact(&s.table(&["certs", "list"])));
    insta::assert_snapshot!(
        "certs_list_narrow",
        redact(
            &s.cmd()
                .env("COLUMNS", "60")
                .args(["certs", "list", "--status", "Pending"])
                .output()
                .map(|o| String::from_utf8(o.stdout).unwrap())
                .unwrap()
        )
    );
    let got = s.table(&["certs", "get", "mc-api"]);
    let got: String = got
        .lines()
        .filter(|l| {
            !["created_at", "updated_at", "expires_at"]
                .iter()
                .any(|f| l.trim_start().starts_with(f))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("certs_get", redact(&got));
}

#[test]
fn colour_only_when_asked() {
    let s = Server::start();
    let now = Timestamp::now();
    let mut c = certctl::testing::sample_certificates(1, now).remove(0);
    c.id = "mc-soon".into();
    c.expires_at = Some(now.plus(time::Duration::days(3)));
    c.status = CertificateStatus::Expiring;
    let audit =
        AuditDraft::new("test", ActorType::System, "certificate_imported", "certificate", "-");
    s.block_on(s.svc.store_for_tests().import_certificates(&[c], &audit)).unwrap();
    // not a terminal (a pipe): never escape codes, even without NO_COLOR
    let out = s.cmd().env_remove("NO_COLOR").args(["certs", "list"]).output().unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\u{1b}'));
}

#[test]
fn other_tables() {
    let s = Server::start();
    s.table(&[
        "teams",
        "create",
        "--id",
        "team-web",
        "--name",
        "Web",
        "--description",
        "The web team",
    ]);
    s.table(&[
        "owners",
        "create",
        "--id",
        "o-alice",
        "--name",
        "Alice",
        "--email",
        "alice@example.com",
        "--team",
        "team-web",
    ]);
    s.table(&[
        "groups",
        "create",
        "--id",
        "grp-linux",
        "--name",
        "Linux",
        "--os",
        "linux",
        "--arch",
        "x86_64",
        "--cidr",
        "10.0.0.0/8",
    ]);
    insta::assert_snapshot!("teams_list", s.table(&["teams", "list"]));
    insta::assert_snapshot!("owners_list", s.table(&["owners", "list"]));
    insta::assert_snapshot!("groups_list", s.table(&["groups", "list"]));
    insta::assert_snapshot!("issuers_list", s.table(&["issuers", "list"]));
    insta::assert_snapshot!("renewal_policies_list", s.table(&["renewal-policies", "list"]));
    insta::assert_snapshot!("status", s.table(&["status"]));
}

/// At 80 columns a list fits: one line per row, ids whole (never cut into look-alikes), long
/// text cut with `…`; `--wide` adds the columns left out; terminal escapes stored in a field
/// are printed as visible symbols, never sent to the terminal.
#[test]
fn eighty_columns_wide_and_escapes() {
    let s = Server::start();
    let now = Timestamp::now();
    let mut certs = certctl::testing::sample_certificates(3, now);
    let ids = ["mc-vpn-prod", "mc-vpn-prod-eu-west-1-failover", "mc-mail-prod"];
    for (c, id) in certs.iter_mut().zip(ids) {
        c.id = id.into();
        c.common_name = format!("{id}.a-rather-long-subdomain.internal.example.com");
        c.status = CertificateStatus::Expiring;
        c.expires_at = Some(now.plus(time::Duration::days(9) + time::Duration::hours(1)));
        c.owner_id = Some("o-alice".into());
        c.team_id = None;
    }
    s.table(&[
        "owners",
        "create",
        "--id",
        "o-alice",
        "--name",
        "Alice",
        "--email",
        "a@example.com",
    ]);
    certs[2].environment = Some("prod\u{1b}]0;pwned\u{7}\nX".into());
    let audit =
        AuditDraft::new("test", ActorType::System, "certificate_imported", "certificate", "-");
    s.block_on(s.svc.store_for_tests().import_certificates(&certs, &audit)).unwrap();
    let run = |cols: &str, extra: &[&str]| {
        let out = s
            .cmd()
            .env("COLUMNS", cols)
            .args(["certs", "list", "--expiring-within", "30d"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let narrow = run("80", &[]);
    let lines: Vec<&str> = narrow.lines().collect();
    assert_eq!(lines.len(), 4, "a header and one line per certificate:\n{narrow}");
    for l in &lines {
        assert!(l.chars().count() <= 80, "wider than 80: {l:?}");
    }
    for id in ids {
        assert!(
            lines.iter().any(|l| l.split_whitespace().next() == Some(id)),
            "{id} cut:\n{narrow}"
        );
    }
    assert!(narrow.contains('…'), "the long names are cut, marked:\n{narrow}");
    assert!(!narrow.contains("OWNER") && !narrow.contains('\u{1b}') && !narrow.contains('\u{7}'));

    let wide = run("200", &["--wide"]);
    assert!(wide.contains("OWNER") && wide.contains("o-alice"), "{wide}");
    assert!(wide.contains(".a-rather-long-subdomain.internal.example.com"), "{wide}");
    assert!(wide.contains("prod␛]0;pwned␇␊X") && !wide.contains('\u{1b}'), "{wide}");
    // --sort: the server orders the whole list; a leading - reverses
    let sorted = run("200", &["--sort", "-common_name"]);
    let order: Vec<&str> =
        sorted.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(order, ["mc-vpn-prod", "mc-vpn-prod-eu-west-1-failover", "mc-mail-prod"]);
    assert_eq!(
        s.run(&["certs", "list", "--sort", "colour"]).0,
        2,
        "an unknown key is a usage error"
    );
}
