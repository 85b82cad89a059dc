//! `--all` walks every page (streamed JSON equals the client's `list_all`), paging flags, and a
//! table footer when more rows exist.

use certctl::api::TeamInput;
use certctl::client::list_all;
use certctl::model::{ActorType, AuditDraft, CertificateFilter, Timestamp};
use serde_json::Value;

use crate::support::{Server, json};

#[test]
fn all_walks_every_page() {
    let s = Server::start();
    // 1,234 certificates: three pages of 500 for --all
    let now = Timestamp::now();
    let certs = certctl::testing::sample_certificates(1234, now);
    let audit =
        AuditDraft::new("test", ActorType::System, "certificate_imported", "certificate", "-");
    s.block_on(s.svc.store_for_tests().import_certificates(&certs, &audit)).unwrap();

    let all = s.json(&["certs", "list", "--all", "--include-archived"]);
    let filter = CertificateFilter::default();
    let want = s.block_on(list_all(500, |p| s.client.list_certificates(&filter, p))).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1234);
    assert_eq!(all, json(&want));

    // one compact object per line between the brackets
    let out = s
        .cmd()
        .args(["-o", "json", "certs", "list", "--all", "--include-archived"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1234 + 2);
    assert!(text.starts_with("[\n{") && text.ends_with("}\n]\n"));

    // a filtered --all, and the table of every row
    let active = s.json(&["certs", "list", "--all", "--status", "Active"]);
    assert!(active.as_array().unwrap().iter().all(|c| c["status"] == "Active"));
    let table = s.table(&["certs", "list", "--all", "--status", "Active"]);
    assert_eq!(
        table.lines().count(),
        active.as_array().unwrap().len() + 1,
        "header + one line per row"
    );

    // paging flags, and a footer telling how to get more
    let p2 = s.json(&["certs", "list", "--include-archived", "--page", "2", "--per-page", "10"]);
    assert_eq!(p2, Value::Array(all.as_array().unwrap()[10..20].to_vec()));
    let t = s.table(&["certs", "list", "--include-archived", "--per-page", "3"]);
    assert!(t.ends_with("(3 of 1234; --page 2 or --all for more)\n"), "{t}");
}

#[test]
fn all_of_small_and_empty_lists() {
    let s = Server::start();
    assert_eq!(s.table(&["-o", "json", "teams", "list", "--all"]), "[]\n");
    for i in 0..3 {
        s.block_on(s.client.create_team(&TeamInput {
            id: Some(format!("team-{i}")),
            name: Some(format!("T{i}")),
            ..Default::default()
        }))
        .unwrap();
    }
    let all = s.json(&["teams", "list", "--all"]);
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(s.json(&["teams", "list", "--per-page", "2"]).as_array().unwrap().len(), 2);
}
