//! DNS-01 through the rfc2136 provider against a real BIND (TSIG-signed dynamic updates) and a
//! pebble that resolves through that BIND (both started by `scripts/test`): a certificate for a
//! name, one for a wildcard with its apex (two TXT values on one record name), a wrong TSIG
//! secret, the provider's add/remove semantics, and config validation through the API (the
//! secret stored sealed, never returned).

use std::time::Duration;

use certctl::issuer::acme::rfc2136::{RawRfc2136, Rfc2136, Rfc2136Config};
use certctl::pki;
use serde_json::{Value, json};

use crate::acme::{Pebble, agent, pebble, send_csr, wait_job};
use crate::support::Server;

/// BIND and the pebble behind it, from `scripts/test` (`CERTCTL_TEST_RFC2136_*`).
struct Bind {
    server: String,
    key_name: String,
    secret: String,
    zone: String,
    /// The pebble resolving through BIND (TLS certificate and CA as the main pebble's).
    pebble: Pebble,
}

/// The services, or `None` (test skipped) when the script did not start them; never skipped
/// under `CERTCTL_TEST_REQUIRE_SERVICES`.
fn bind() -> Option<Bind> {
    let Ok(server) = std::env::var("CERTCTL_TEST_RFC2136_SERVER") else {
        assert!(
            std::env::var_os("CERTCTL_TEST_REQUIRE_SERVICES").is_none(),
            "CERTCTL_TEST_RFC2136_SERVER is not set but CERTCTL_TEST_REQUIRE_SERVICES is"
        );
        eprintln!("skipped: no BIND (run scripts/test)");
        return None;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let main = pebble()?;
    let pebble = Pebble {
        url: var("CERTCTL_TEST_PEBBLE_RFC2136_URL"),
        mgmt: var("CERTCTL_TEST_PEBBLE_RFC2136_MGMT_URL"),
        ..main
    };
    Some(Bind {
        server,
        key_name: var("CERTCTL_TEST_RFC2136_KEY_NAME"),
        secret: var("CERTCTL_TEST_RFC2136_SECRET"),
        zone: var("CERTCTL_TEST_RFC2136_ZONE"),
        pebble,
    })
}

impl Bind {
    /// An `acme` issuer config for the BIND-backed pebble with the rfc2136 provider.
    fn issuer_config(&self, extra: Value) -> Value {
        let mut c = self.pebble.issuer_config(json!({
            "challenge": "dns-01", "dns_provider": "rfc2136", "dns_propagation_seconds": 0,
            "rfc2136_server": self.server, "rfc2136_tsig_key_name": self.key_name, "rfc2136_tsig_secret": self.secret,
        }));
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }

    /// The provider itself, talking to BIND (zone found through its SOA answers).
    fn provider(&self, secret: &str) -> Rfc2136 {
        let raw = RawRfc2136 {
            server: Some(self.server.clone()),
            key_name: Some(self.key_name.clone()),
            secret: Some(secret.to_owned()),
            ..Default::default()
        };
        let cfg = Rfc2136Config {
            policy: crate::support::loopback_allowed(),
            ..Rfc2136Config::parse(raw).unwrap()
        };
        Rfc2136::new(&cfg, secret).unwrap()
    }

    /// The TXT values BIND serves for `name`, sorted.
    async fn txt(&self, name: &str) -> Vec<String> {
        let mut v = self.provider(&self.secret).txt_values(name).await.unwrap();
        v.sort();
        v
    }
}

crate::both_backends! {
    rfc2136_issues_and_cleans_up => rfc2136_issues_and_cleans_up;
    rfc2136_wildcard_and_apex => rfc2136_wildcard_and_apex;
    rfc2136_wrong_secret_fails => rfc2136_wrong_secret_fails;
    rfc2136_config_validation => rfc2136_config_validation;
}

/// The provider against BIND: `add` appends (two values on one name coexist), `remove` deletes
/// exactly one value, the zone is found through the SOA, a wrong secret is BIND's NOTAUTH with
/// TSIG error BADSIG (not worth retrying), a name outside BIND's zones is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc2136_provider_against_bind() {
    let Some(b) = bind() else { return };
    let name = format!("_acme-challenge.provider.{}", b.zone);
    let u = b.provider(&b.secret);
    u.add(&name, "value-one").await.unwrap();
    u.add(&name, "value-two").await.unwrap();
    u.add(&name, "value-two").await.unwrap();
    assert_eq!(b.txt(&name).await, ["value-one", "value-two"]);
    assert!(u.serves(&name, &["value-one", "value-two"]).await.unwrap());
    u.remove(&name, "value-one").await.unwrap();
    assert_eq!(b.txt(&name).await, ["value-two"]);
    u.remove(&name, "value-two").await.unwrap();
    assert!(b.txt(&name).await.is_empty());
    assert!(!u.serves(&name, &["value-two"]).await.unwrap());

    // the propagation wait checks that the primary serves the values, and says so when it does not
    let dns = certctl::issuer::acme::DnsUpdater::Rfc2136(u.clone());
    u.add(&name, "visible").await.unwrap();
    dns.propagate(&[(name.clone(), "visible".into())], Duration::ZERO).await.unwrap();
    let start = std::time::Instant::now();
    match dns
        .propagate(
            &[(name.clone(), "visible".into()), (name.clone(), "never-added".into())],
            Duration::from_secs(1),
        )
        .await
        .unwrap_err()
    {
        certctl::Error::Connector { message, transient } => {
            assert!(transient && message.contains("does not serve"), "{message}")
        }
        e => panic!("{e}"),
    }
    assert!(start.elapsed() >= Duration::from_secs(1), "bounded by the wait, not shorter");
    u.remove(&name, "visible").await.unwrap();

    let wrong = b.provider("d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE=");
    match wrong.add(&name, "forged").await.unwrap_err() {
        certctl::Error::Connector { message, transient } => {
            assert!(!transient, "{message}");
            assert!(
                message.contains("NOTAUTH")
                    && message.contains("BADSIG")
                    && message.contains(&b.server)
                    && message.contains(&b.zone),
                "{message}"
            );
        }
        e => panic!("{e}"),
    }
    assert!(b.txt(&name).await.is_empty(), "the forged update changed nothing");

    let e = u.add("_acme-challenge.elsewhere.example.test", "v").await.unwrap_err().to_string();
    assert!(e.contains("REFUSED") || e.contains("no zone"), "{e}");
}

/// One name through the BIND-backed pebble: issued, chain verified, and the TXT value removed
/// afterwards while a value that was already there stays.
async fn rfc2136_issues_and_cleans_up(s: Server) {
    let Some(b) = bind() else { return };
    let backend = s.svc.store_for_tests().backend();
    let host = format!("one-{backend}.{}", b.zone);
    let record = format!("_acme-challenge.{host}");
    let u = b.provider(&b.secret);
    u.add(&record, "foreign-value").await.unwrap();
    s.post("/api/v1/issuers", json!({"id": "iss-rfc", "name": "bind", "type": "acme", "config": b.issuer_config(json!({"rfc2136_zone": b.zone, "dns_propagation_seconds": 1}))}))
        .await
        .ok(201);
    let a = agent(&s, "rfc-1", json!({"fullchain_path": "/tmp/certctl-acme-rfc2136.pem"})).await;
    s.post("/api/v1/certificates", json!({"id": "mc-rfc", "common_name": host, "issuer_id": "iss-rfc", "target_ids": [a.target]})).await.ok(201);
    let (job, key) = send_csr(&s, &a, "mc-rfc").await;
    let done = wait_job(&s, &job, Duration::from_secs(90)).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let chain =
        s.get("/api/v1/certificates/mc-rfc/export").await.ok(200).as_str().unwrap().to_owned();
    b.pebble.verify_chain(&chain).await;
    let leaf = pki::parse_chain(&chain).unwrap().remove(0);
    assert_eq!(leaf.dns_names, [host]);
    let spki = key.public_key_der();
    assert!(leaf.der.windows(spki.len()).any(|w| w == spki.as_slice()));
    assert_eq!(
        b.txt(&record).await,
        ["foreign-value"],
        "the order's value is removed, the other one stays"
    );
    u.remove(&record, "foreign-value").await.unwrap();
}

/// A wildcard and its apex in one certificate: two TXT values on one record name, both
/// served while the CA validates, both removed afterwards. The zone is found through the SOA.
async fn rfc2136_wildcard_and_apex(s: Server) {
    let Some(b) = bind() else { return };
    let backend = s.svc.store_for_tests().backend();
    let apex = format!("x-{backend}.{}", b.zone);
    s.post("/api/v1/issuers", json!({"id": "iss-rfcw", "name": "bind wild", "type": "acme", "config": b.issuer_config(json!({}))})).await.ok(201);
    let a = agent(&s, "rfc-w", json!({"fullchain_path": "/tmp/certctl-acme-rfc2136-w.pem"})).await;
    s.post("/api/v1/certificates", json!({"id": "mc-rfcw", "common_name": format!("*.{apex}"), "sans": [apex], "issuer_id": "iss-rfcw", "target_ids": [a.target]})).await.ok(201);
    let (job, _) = send_csr(&s, &a, "mc-rfcw").await;
    let done = wait_job(&s, &job, Duration::from_secs(90)).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let chain =
        s.get("/api/v1/certificates/mc-rfcw/export").await.ok(200).as_str().unwrap().to_owned();
    b.pebble.verify_chain(&chain).await;
    let names: std::collections::BTreeSet<String> =
        pki::parse_chain(&chain).unwrap()[0].dns_names.iter().cloned().collect();
    assert_eq!(names, [format!("*.{apex}"), apex.clone()].into());
    assert!(b.txt(&format!("_acme-challenge.{apex}")).await.is_empty(), "both values removed");
}

/// A wrong TSIG secret: BIND answers NOTAUTH (BADSIG); the job fails at once, saying so.
async fn rfc2136_wrong_secret_fails(s: Server) {
    let Some(b) = bind() else { return };
    let backend = s.svc.store_for_tests().backend();
    let host = format!("bad-{backend}.{}", b.zone);
    let cfg = b.issuer_config(
        json!({"rfc2136_tsig_secret": "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE="}),
    );
    s.post(
        "/api/v1/issuers",
        json!({"id": "iss-rfcbad", "name": "bind bad key", "type": "acme", "config": cfg}),
    )
    .await
    .ok(201);
    let a =
        agent(&s, "rfc-bad", json!({"fullchain_path": "/tmp/certctl-acme-rfc2136-bad.pem"})).await;
    s.post("/api/v1/certificates", json!({"id": "mc-rfcbad", "common_name": host, "issuer_id": "iss-rfcbad", "target_ids": [a.target]})).await.ok(201);
    let (job, _) = send_csr(&s, &a, "mc-rfcbad").await;
    let done = wait_job(&s, &job, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "Failed", "{done}");
    assert_eq!(done["attempts"], 1, "not retried: {done}");
    let err = done["last_error"].as_str().unwrap();
    assert!(
        err.contains("NOTAUTH")
            && err.contains("BADSIG")
            && err.contains("rfc2136_tsig_secret")
            && err.contains(&b.server),
        "{err}"
    );
    assert!(b.txt(&format!("_acme-challenge.{host}")).await.is_empty());
}

/// Bad rfc2136 configs are refused naming the field, nothing stored; the TSIG secret is stored
/// sealed and is in no API answer (create, get, list, update).
async fn rfc2136_config_validation(s: Server) {
    // no CA is contacted: any https directory will do
    let secret = "c2VjcmV0LXRzaWcta2V5LXRoYXQtbXVzdC1zdGF5LWhpZGRlbg==";
    let base = json!({"directory_url": "https://127.0.0.1:1/dir", "terms_accepted": true, "challenge": "dns-01", "dns_provider": "rfc2136",
        "rfc2136_server": "127.0.0.1:53", "rfc2136_tsig_key_name": "certctl", "rfc2136_tsig_secret": secret});
    let cases = [
        ("rfc2136_server", Value::Null, "config.rfc2136_server"),
        ("rfc2136_tsig_key_name", Value::Null, "config.rfc2136_tsig_key_name"),
        ("rfc2136_tsig_secret", Value::Null, "config.rfc2136_tsig_secret"),
        ("rfc2136_tsig_secret", json!("*** not base64 ***"), "config.rfc2136_tsig_secret"),
        ("rfc2136_tsig_algorithm", json!("hmac-md5"), "config.rfc2136_tsig_algorithm"),
        ("rfc2136_server", json!("ns1.example.test:notaport"), "config.rfc2136_server"),
        ("rfc2136_ttl", json!(100000), "config.rfc2136_ttl"),
        ("dns_provider", json!("route53"), "config.dns_provider"),
    ];
    for (i, (k, v, field)) in cases.into_iter().enumerate() {
        let mut cfg = base.clone();
        if v.is_null() {
            cfg.as_object_mut().unwrap().remove(k);
        } else {
            cfg[k] = v.clone();
        }
        let msg = s
            .post(
                "/api/v1/issuers",
                json!({"id": format!("iss-bad{i}"), "name": "bad", "type": "acme", "config": cfg}),
            )
            .await
            .err(422, "validation_failed");
        assert!(msg.contains(field), "{k}={v}: {msg}");
        assert!(!msg.contains(secret));
        s.get(&format!("/api/v1/issuers/iss-bad{i}")).await.err(404, "not_found");
    }
    let created = s
        .post(
            "/api/v1/issuers",
            json!({"id": "iss-rfcok", "name": "ok", "type": "acme", "config": base}),
        )
        .await
        .ok(201);
    let sealed =
        created["config"]["rfc2136_tsig_secret_sealed"].as_str().unwrap_or_default().to_owned();
    assert!(
        sealed.starts_with("v1:") && created["config"].get("rfc2136_tsig_secret").is_none(),
        "{created}"
    );
    for body in [
        created,
        s.get("/api/v1/issuers/iss-rfcok").await.ok(200),
        s.get("/api/v1/issuers").await.ok(200),
    ] {
        assert!(!body.to_string().contains(secret), "{body}");
    }
    // sending the stored config back keeps the sealed secret; a new secret is sealed again
    let mut cfg = s.get("/api/v1/issuers/iss-rfcok").await.ok(200)["config"].clone();
    cfg["rfc2136_ttl"] = json!(120);
    let updated = s.put("/api/v1/issuers/iss-rfcok", json!({"config": cfg})).await.ok(200);
    assert_eq!(
        (
            updated["config"]["rfc2136_tsig_secret_sealed"].as_str(),
            &updated["config"]["rfc2136_ttl"]
        ),
        (Some(sealed.as_str()), &json!(120))
    );
    let mut cfg = updated["config"].clone();
    cfg.as_object_mut().unwrap().remove("rfc2136_tsig_secret_sealed");
    cfg["rfc2136_tsig_secret"] = json!("bmV3LXNlY3JldA==");
    let updated = s.put("/api/v1/issuers/iss-rfcok", json!({"config": cfg})).await.ok(200);
    assert!(
        !updated.to_string().contains("bmV3LXNlY3JldA==")
            && updated["config"]["rfc2136_tsig_secret_sealed"]
                .as_str()
                .is_some_and(|s| s != sealed),
        "{updated}"
    );
}
