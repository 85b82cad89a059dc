//! Happy path of every resource: `-o json` output parsed and compared with what the typed client
//! gets from the same server.

use certctl::model::{AgentFilter, PageRequest};
use serde_json::json;

use crate::support::{Server, json};

#[test]
fn teams_owners_renewal_policies() {
    let s = Server::start();
    let team = s.json(&[
        "teams",
        "create",
        "--id",
        "team-web",
        "--name",
        "Web",
        "--description",
        "web folk",
    ]);
    assert_eq!(team, json(&s.block_on(s.client.get_team("team-web")).unwrap()));
    assert_eq!(team["name"], "Web");
    let updated = s.json(&["teams", "update", "team-web", "--description", "the web team"]);
    assert_eq!(updated["description"], "the web team");
    assert_eq!(s.json(&["teams", "get", "team-web"]), updated);
    let list = s.json(&["teams", "list"]);
    assert_eq!(list, json(&s.block_on(s.client.list_teams(PageRequest::default())).unwrap().data));

    let owner = s.json(&[
        "owners",
        "create",
        "--id",
        "o-alice",
        "--name",
        "Alice",
        "--email",
        "alice@example.com",
        "--team-id",
        "team-web",
    ]);
    assert_eq!(owner["team_id"], "team-web");
    assert_eq!(s.json(&["owners", "list", "--team", "team-web"]), json!([owner]));
    assert_eq!(s.json(&["owners", "update", "o-alice", "--name", "Alice B"])["name"], "Alice B");
    assert_eq!(
        s.json(&["owners", "get", "o-alice"]),
        json(&s.block_on(s.client.get_owner("o-alice")).unwrap())
    );

    let rp = s.json(&[
        "renewal-policies",
        "create",
        "--id",
        "rp-fast",
        "--name",
        "Fast",
        "--renewal-window-days",
        "10",
        "--alert-threshold",
        "10",
        "--alert-threshold",
        "1",
    ]);
    assert_eq!(rp["alert_thresholds_days"], json!([10, 1]));
    assert_eq!(
        s.json(&["renewal-policies", "update", "rp-fast", "--auto-renew", "false"])["auto_renew"],
        false
    );
    assert_eq!(
        s.json(&["renewal-policies", "get", "rp-fast"]),
        json(&s.block_on(s.client.get_renewal_policy("rp-fast")).unwrap())
    );
    assert_eq!(
        s.json(&["renewal-policies", "list"]).as_array().unwrap().len(),
        2,
        "rp-default and rp-fast"
    );

    // delete prints nothing under -o json (the API answers 204) and a line otherwise
    assert_eq!(
        s.run(&["-o", "json", "owners", "delete", "o-alice"]),
        (0, String::new(), String::new())
    );
    assert_eq!(s.table(&["teams", "delete", "team-web"]), "deleted team-web\n");
    assert_eq!(s.run(&["renewal-policies", "delete", "rp-fast"]).0, 0);
    assert!(s.block_on(s.client.get_team("team-web")).unwrap_err().is_not_found());
}

#[test]
fn issuers_and_targets() {
    let s = Server::start();
    let issuers = s.json(&["issuers", "list"]);
    assert!(issuers.as_array().unwrap().iter().any(|i| i["id"] == "iss-local"), "{issuers}");
    assert_eq!(
        s.json(&["issuers", "get", "iss-local"]),
        json(&s.block_on(s.client.get_issuer("iss-local")).unwrap())
    );
    assert_eq!(s.json(&["issuers", "test", "iss-local"])["ok"], true);
    let pem = s.table(&["issuers", "ca", "iss-local"]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(pem, s.block_on(s.client.issuer_ca_pem("iss-local")).unwrap());
    let created = s.json(&[
        "issuers",
        "create",
        "--id",
        "iss-second",
        "--name",
        "Second",
        "--type",
        "local",
        "--config",
        "{}",
    ]);
    assert_eq!(created, json(&s.block_on(s.client.get_issuer("iss-second")).unwrap()));
    assert_eq!(
        s.json(&["issuers", "update", "iss-second", "--enabled", "false"])["enabled"],
        false
    );
    assert_eq!(s.run(&["issuers", "delete", "iss-second"]).0, 0);

    s.json(&["agents", "register", "--id", "ag-web", "--name", "web"]);
    let t = s.json(&[
        "targets",
        "create",
        "--id",
        "t-web",
        "--name",
        "web files",
        "--type",
        "file",
        "--agent",
        "ag-web",
        "--config",
        r#"{"cert_path":"/tmp/c.pem"}"#,
    ]);
    assert_eq!(t, json(&s.block_on(s.client.get_target("t-web")).unwrap()));
    assert_eq!(t["config"]["cert_path"], "/tmp/c.pem");
    assert_eq!(s.json(&["targets", "list", "--agent", "ag-web"]), json!([t]));
    assert_eq!(s.json(&["targets", "update", "t-web", "--name", "web"])["name"], "web");
    assert_eq!(s.json(&["targets", "get", "t-web"])["name"], "web");
    assert_eq!(s.run(&["targets", "delete", "t-web"]).0, 0);
}

#[test]
fn bootstrap_tokens_and_approval() {
    let s = Server::start();
    let t = s.json(&[
        "bootstrap-tokens",
        "create",
        "--id",
        "bt-rack",
        "--name",
        "rack 7",
        "--expires-in",
        "2h",
        "--max-uses",
        "1",
        "--label",
        "site=fra",
    ]);
    let secret = t["token"].as_str().unwrap().to_owned();
    assert_eq!(
        (t["max_uses"].clone(), t["auto_approve"].clone(), t["labels"].clone()),
        (json!(1), json!(false), json!({"site": "fra"}))
    );
    let listed = s.json(&["bootstrap-tokens", "list"]);
    assert_eq!(
        listed,
        json(&s.block_on(s.client.list_bootstrap_tokens(PageRequest::default())).unwrap().data)
    );
    assert!(!listed.to_string().contains(&secret));
    let table = s.table(&["bootstrap-tokens", "list"]);
    assert!(
        table.contains("bt-rack") && table.contains("0/1") && table.contains("manual"),
        "{table}"
    );
    // an agent registers itself with it and waits
    let (code, stdout, err) = s.run(&[
        "--api-key",
        &secret,
        "-o",
        "json",
        "agents",
        "register",
        "--id",
        "ag-self",
        "--name",
        "self",
        "--label",
        "role=web",
    ]);
    assert_eq!(code, 0, "{err}");
    let reg: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (reg["status"].clone(), reg["labels"].clone(), reg["reported_labels"].clone()),
        (json!("Pending"), json!({"site": "fra"}), json!({"role": "web"}))
    );
    let (code, _, err) = s.run(&["--api-key", &secret, "agents", "register", "--name", "again"]);
    assert_eq!(code, 4, "used up: {err}");
    assert_eq!(s.json(&["agents", "list", "--status", "Pending"]).as_array().unwrap().len(), 1);
    assert_eq!(s.json(&["agents", "approve", "ag-self"])["status"], "Offline");
    assert_eq!(s.json(&["bootstrap-tokens", "get", "bt-rack"])["uses"], 1);
    assert!(s.json(&["bootstrap-tokens", "revoke", "bt-rack"])["revoked_at"].is_string());
    let (code, _, err) =
        s.run(&["bootstrap-tokens", "create", "--name", "x", "--expires-in", "5s"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("expires_in"), "{err}");
}

#[test]
fn agents_groups_policies_api_keys() {
    let s = Server::start();
    let reg =
        s.json(&["agents", "register", "--id", "ag-edge", "--name", "edge", "--label", "site=par"]);
    assert!(reg["api_key"].as_str().unwrap().len() > 10, "the key is shown once: {reg}");
    let agent = s.json(&["agents", "get", "ag-edge"]);
    assert_eq!(agent, json(&s.block_on(s.client.get_agent("ag-edge")).unwrap()));
    assert_eq!(agent["labels"], json!({"site": "par"}));
    let all =
        s.block_on(s.client.list_agents(&AgentFilter::default(), PageRequest::default())).unwrap();
    assert_eq!(s.json(&["agents", "list"]), json(&all.data));
    // operator labels change through the API only
    let upd =
        s.json(&["agents", "update", "ag-edge", "--label", "site=fra", "--label", "tier=web"]);
    assert_eq!(
        (upd["labels"].clone(), upd["name"].clone()),
        (json!({"site": "fra", "tier": "web"}), json!("edge"))
    );
    assert_eq!(s.json(&["agents", "update", "ag-edge", "--clear-labels"])["labels"], json!({}));
    let (code, _, err) = s.run(&["agents", "approve", "ag-edge"]);
    assert_eq!(code, 5, "only a Pending agent can be approved: {err}");
    assert!(err.contains("not Pending"), "{err}");
    assert_eq!(s.json(&["agents", "retire", "ag-edge"])["status"], "Retired");
    assert_eq!(s.json(&["agents", "list", "--status", "Retired"]).as_array().unwrap().len(), 1);

    let g = s.json(&[
        "groups",
        "create",
        "--id",
        "grp-seen",
        "--name",
        "seen",
        "--observed-cidr",
        "10.0.0.0/8",
        "--reported-label",
        "role=web",
    ]);
    assert_eq!(
        (g["criteria"]["observed_cidr"].clone(), g["criteria"]["reported_labels"].clone()),
        (json!(["10.0.0.0/8"]), json!({"role": "web"}))
    );
    assert_eq!(s.run(&["groups", "delete", "grp-seen"]).0, 0);
    let g = s.json(&[
        "groups",
        "create",
        "--id",
        "grp-linux",
        "--name",
        "Linux",
        "--os",
        "linux",
        "--label",
        "site=par",
    ]);
    assert_eq!(g["criteria"]["os"], json!(["linux"]));
    assert_eq!(g["criteria"]["labels"], json!({"site": "par"}));
    assert_eq!(
        s.json(&["agent-groups", "get", "grp-linux"]),
        json(&s.block_on(s.client.get_agent_group("grp-linux")).unwrap())
    );
    assert_eq!(
        s.json(&["groups", "update", "grp-linux", "--description", "all linux"])["description"],
        "all linux"
    );
    assert_eq!(s.json(&["groups", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(s.run(&["groups", "delete", "grp-linux"]).0, 0);

    let p = s.json(&[
        "policies",
        "create",
        "--id",
        "pol-env",
        "--name",
        "Known environments",
        "--type",
        "AllowedEnvironments",
        "--config",
        r#"{"environments":["production","staging"]}"#,
        "--mode",
        "warn",
        "--severity",
        "Warning",
    ]);
    assert_eq!(p, json(&s.block_on(s.client.get_policy("pol-env")).unwrap()));
    assert_eq!(s.json(&["policies", "update", "pol-env", "--enabled", "true"])["mode"], "warn");
    s.json(&[
        "certs",
        "create",
        "--id",
        "mc-dev",
        "--cn",
        "dev.example.com",
        "--environment",
        "dev",
    ]);
    let violations = s.json(&["policies", "violations", "pol-env", "--open"]);
    let want =
        s.block_on(s.client.policy_violations("pol-env", true, PageRequest::default())).unwrap();
    assert_eq!(violations, json(&want.data));
    let mine = s.json(&["certs", "violations", "mc-dev", "--open"]);
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(
        mine,
        json(
            &s.block_on(s.client.certificate_violations("mc-dev", true, PageRequest::default()))
                .unwrap()
                .data
        )
    );
    assert_eq!(mine[0]["policy_id"], "pol-env");
    assert_eq!(s.json(&["policies", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(s.json(&["policies", "get", "pol-env"])["name"], "Known environments");
    assert_eq!(s.run(&["policies", "delete", "pol-env"]).0, 0);

    let key = s.json(&["api-keys", "create", "--name", "ci", "--role", "operator"]);
    let id = key["id"].as_str().unwrap().to_owned();
    assert!(key["key"].as_str().is_some());
    let got = s.json(&["api-keys", "get", &id]);
    assert_eq!(got, json(&s.block_on(s.client.get_api_key(&id)).unwrap()));
    assert!(got.get("key").is_none(), "the secret is never shown again");
    assert!(s.json(&["api-keys", "list"]).as_array().unwrap().len() >= 3);
    assert_eq!(s.table(&["api-keys", "revoke", &id]), format!("revoked {id}\n"));
    assert!(s.json(&["api-keys", "get", &id])["revoked_at"].is_string());
}

#[test]
fn audit_notifications_status() {
    use certctl::model::{ActorType, AuditDraft, CertificateStatus, Timestamp};

    let s = Server::start();
    let now = Timestamp::now();
    let mut c = certctl::testing::sample_certificates(1, now).remove(0);
    c.id = "mc-soon".into();
    c.status = CertificateStatus::Active;
    c.expires_at = Some(now.plus(time::Duration::days(5)));
    let audit =
        AuditDraft::new("test", ActorType::System, "certificate_imported", "certificate", "-");
    s.block_on(s.svc.store_for_tests().import_certificates(&[c], &audit)).unwrap();
    s.block_on(s.svc.check_renewals(now)).unwrap();

    let notes = s.json(&["notifications", "list", "--certificate", "mc-soon"]);
    assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
    let id = notes[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.json(&["notifications", "get", &id]),
        json(&s.block_on(s.client.get_notification(&id)).unwrap())
    );
    assert!(s.json(&["notifications", "read", &id])["read_at"].is_string());
    assert_eq!(s.json(&["notifications", "list", "--unread"]), json!([]));

    let events = s.json(&["audit", "list", "--per-page", "5"]);
    assert_eq!(events.as_array().unwrap().len(), 5);
    let first = events[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.json(&["audit", "get", &first]),
        json(&s.block_on(s.client.get_audit_event(&first)).unwrap())
    );
    assert_eq!(
        s.json(&["audit", "list", "--action", "notification_read"]).as_array().unwrap().len(),
        1
    );
    assert_eq!(s.json(&["audit", "verify"])["valid"], true);

    let status = s.json(&["status"]);
    let mut summary = json(&s.block_on(s.client.summary()).unwrap());
    summary["generated_at"] = status["generated_at"].clone();
    assert_eq!(status, summary);
    assert_eq!(status["expiring_within_7_days"], 1);
    assert!(s.table(&["status"]).contains("Expiring within 7 days"));
}

#[test]
fn group_members_and_policy_evaluate() {
    let s = Server::start();
    let reg = s.json(&["agents", "register", "--id", "ag-lin", "--name", "lin"]);
    let agent = certctl::client::Client::builder(&s.url)
        .api_key(reg["api_key"].as_str().unwrap())
        .build()
        .unwrap();
    let meta = certctl::model::AgentMetadata {
        hostname: "lin-1".into(),
        os: "linux".into(),
        ip_addresses: vec!["10.1.2.3".into()],
        ..Default::default()
    };
    s.block_on(agent.heartbeat("ag-lin", &meta)).unwrap();
    s.json(&["agents", "register", "--id", "ag-other", "--name", "other"]);
    s.json(&["groups", "create", "--id", "grp-net", "--name", "net", "--cidr", "10.1.0.0/16"]);
    let members = s.json(&["groups", "members", "grp-net"]);
    assert_eq!(
        members.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect::<Vec<_>>(),
        ["ag-lin"]
    );
    assert_eq!(s.json(&["agents", "list", "--group", "grp-net"]).as_array().unwrap().len(), 1);
    assert_eq!(s.json(&["agents", "get", "ag-lin"])["groups"], json!(["grp-net"]));

    s.json(&[
        "policies",
        "create",
        "--id",
        "pol-dom",
        "--name",
        "Our domains",
        "--type",
        "AllowedDomains",
        "--config",
        r#"{"domains":["*.example.com"]}"#,
        "--mode",
        "enforce",
    ]);
    let ok = s.json(&["policies", "evaluate", "--cn", "api.example.com"]);
    assert_eq!(ok["allowed"], true);
    let (code, out, err) = s.run(&["policies", "evaluate", "--cn", "api.example.org"]);
    assert_eq!(code, 5, "{out}{err}");
    assert!(
        out.contains("FAIL") && out.contains("Our domains") && out.contains("rejected"),
        "{out}"
    );
    assert!(err.contains("api.example.org"), "{err}");
    // create says the same
    let (code, _, err) = s.run(&["certs", "create", "--cn", "api.example.org"]);
    assert_eq!(code, 5);
    assert!(err.contains("Our domains"), "{err}");
}

#[test]
fn fleet_certificates() {
    let s = Server::start();
    for (id, ip) in [("ag-e1", "10.5.0.1"), ("ag-e2", "10.5.0.2")] {
        let reg =
            s.json(&["agents", "register", "--id", id, "--name", id.trim_start_matches("ag-")]);
        let agent = certctl::client::Client::builder(&s.url)
            .api_key(reg["api_key"].as_str().unwrap())
            .build()
            .unwrap();
        let meta = certctl::model::AgentMetadata {
            hostname: format!("{id}.example.com"),
            os: "linux".into(),
            ip_addresses: vec![ip.into()],
            ..Default::default()
        };
        s.block_on(agent.heartbeat(id, &meta)).unwrap();
    }
    s.json(&["groups", "create", "--id", "grp-edge", "--name", "edge", "--cidr", "10.5.0.0/16"]);
    // the target template as inline JSON
    let inline = r#"{"type": "file", "config": {"cert_path": "/srv/{agent_name}/cert.pem"}}"#;
    let t = s.json(&[
        "certs",
        "create",
        "--id",
        "mc-edge",
        "--cn",
        "{agent_name}.edge.example.com",
        "--san",
        "{hostname}",
        "--group",
        "grp-edge",
        "--target-template",
        inline,
    ]);
    assert_eq!(t, json(&s.block_on(s.client.get_certificate("mc-edge")).unwrap()));
    let mut cns: Vec<&str> = t["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["common_name"].as_str().unwrap())
        .collect();
    cns.sort();
    assert_eq!(cns, ["e1.edge.example.com", "e2.edge.example.com"]);
    let children = s.json(&["certs", "list", "--parent", "mc-edge"]);
    assert_eq!(children.as_array().unwrap().len(), 2);
    assert!(children.as_array().unwrap().iter().all(|c| c["parent_id"] == "mc-edge"));
    assert_eq!(s.json(&["certs", "list", "--group", "grp-edge"]).as_array().unwrap().len(), 1);
    // ... or as a file
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("template.json");
    std::fs::write(&file, r#"{"type": "file", "name": "{agent_name} pem", "config": {"fullchain_path": "/srv/{agent_id}.pem"}}"#).unwrap();
    let t = s.json(&[
        "certs",
        "create",
        "--id",
        "mc-edge2",
        "--cn",
        "{agent_id}.ids.example.com",
        "--group",
        "grp-edge",
        "--target-template",
        file.to_str().unwrap(),
    ]);
    assert_eq!(t["target_template"]["name"], "{agent_name} pem");
    assert_eq!(t["children"].as_array().unwrap().len(), 2);
    // a bad template is rejected (exit 5) naming the field
    let (code, _, err) = s.run(&[
        "certs",
        "create",
        "--cn",
        "{nope}.example.com",
        "--group",
        "grp-edge",
        "--target-template",
        inline,
    ]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("common_name"), "{err}");
    let (code, _, err) = s.run(&[
        "certs",
        "create",
        "--cn",
        "x.example.com",
        "--group",
        "grp-edge",
        "--target-template",
        "/nonexistent/t.json",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--target-template"), "{err}");
    // renewing the template is refused: its children are issued
    let (code, _, err) = s.run(&["certs", "renew", "mc-edge"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("fleet certificate"), "{err}");
}
