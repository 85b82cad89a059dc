//! Email notifications through the real SMTP receiver (aiosmtpd on loopback, started by
//! scripts/test): a threshold alert and a renewal failure arrive with the right subject,
//! recipients (channel list plus the certificate owner) and body; STARTTLS and implicit TLS
//! against receivers with a test certificate; the hints when the TLS mode is wrong.

use std::sync::Arc;
use std::time::Duration;

use certctl::model::*;
use certctl::service::NotifySettings;
use certctl::store::Store;
use serde_json::json;

use crate::notify_support::{Smtp, import_cert, server_with_notify, token};
use crate::support::Server;

async fn mail_server(store: Arc<dyn Store>, dir: tempfile::TempDir, url: String) -> Server {
    server_with_notify(
        store,
        dir,
        url,
        NotifySettings { send_timeout: Duration::from_secs(10), ..Default::default() },
    )
    .await
}

crate::both_backends_with! {
    threshold_and_renewal_failure_mails => threshold_and_renewal_failure_mails, mail_server;
    tls_modes_and_hints => tls_modes_and_hints, mail_server;
}

async fn threshold_and_renewal_failure_mails(s: Server) {
    let Some(smtp) = Smtp::from_env() else { return };
    let tok = token();
    let (ops, owner) = (format!("ops-{tok}@example.test"), format!("owner-{tok}@example.test"));
    let cn = format!("mail-{tok}.example.test");
    s.post("/api/v1/notification-channels", json!({"id": "nc-mail", "name": "mail", "type": "email",
        "config": {"host": smtp.plain.0, "port": smtp.plain.1, "tls": "none", "from": "certctl@example.test", "to": [ops]}})).await.ok(201);
    s.post(
        "/api/v1/renewal-policies",
        json!({"id": "rp-mail", "name": "mail", "notification_channel_ids": ["nc-mail"]}),
    )
    .await
    .ok(201);
    s.post("/api/v1/owners", json!({"id": "o-mail", "name": "Owner", "email": owner}))
        .await
        .ok(201);
    let cert = import_cert(&s, "mc-mail", &cn, 10, "rp-mail", Some("o-mail")).await;

    // threshold alert: one mail to the channel's list and the owner
    let now = Timestamp::now();
    s.svc.check_renewals(now).await.unwrap();
    let r = s.svc.deliver_notifications_report(now).await.unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let mails = smtp.mails_to(&owner, 1).await;
    assert_eq!(mails.len(), 1, "one mail per event and channel");
    let m = &mails[0];
    assert_eq!(m.header("Subject"), format!("[certctl] Certificate expires in 9 days: {cn}"));
    let rcpt = m.header("X-RcptTo").to_ascii_lowercase();
    assert!(rcpt.contains(&ops) && rcpt.contains(&owner), "{rcpt}");
    assert!(m.header("To").contains(&ops) && m.header("To").contains(&owner), "{m:?}");
    assert!(m.header("From").contains("certctl@example.test"));
    let body = m.text();
    assert!(body.contains(&format!("{cn} (mc-mail) expires in 9 days")), "{body}");
    assert!(
        body.contains("Days left:   9") && body.contains(&format!("Common name: {cn}")),
        "{body}"
    );
    assert!(body.contains("https://certctl.example.test/api/v1/certificates/mc-mail"), "{body}");

    // renewal failure: a renewal whose agent never sends its CSR fails at the timeout
    s.post("/api/v1/agents", json!({"id": "ag-mail", "name": "mail agent"})).await.ok(201);
    s.post(
        "/api/v1/targets",
        json!({"id": "t-mail", "name": "t", "type": "file", "agent_id": "ag-mail"}),
    )
    .await
    .ok(201);
    let key = certctl::pki::PrivateKey::generate_p256().unwrap();
    let csr = certctl::pki::build_csr(&key, &cn, &cert.sans).unwrap();
    let issued = s
        .svc
        .local_ca()
        .sign(
            &csr,
            &certctl::issuer::SignRequest {
                common_name: cn.clone(),
                sans: cert.sans.clone(),
                validity_days: Some(10),
                not_before: None,
            },
        )
        .unwrap();
    let version =
        certctl::pki::version_from_chain(&cert.id, &issued.pem_chain, Some(&csr)).unwrap();
    s.svc
        .store_for_tests()
        .add_version(
            &version,
            &AuditDraft::new(
                "test",
                ActorType::System,
                "certificate_issued",
                "certificate",
                "mc-mail",
            ),
        )
        .await
        .unwrap();
    s.put("/api/v1/certificates/mc-mail", json!({"target_ids": ["t-mail"]})).await.ok(200);
    let job = s.action("/api/v1/certificates/mc-mail/renew").await.ok(202);
    assert_eq!(job["type"], "Renewal", "{job}");
    let later = Timestamp::now().plus(time::Duration::hours(25));
    s.svc.process_jobs(later).await.unwrap();
    assert_eq!(
        s.get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())).await.ok(200)["status"],
        "Failed"
    );
    let r = s.svc.deliver_notifications_report(later).await.unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let mails = smtp.mails_to(&owner, 2).await;
    let m = mails
        .iter()
        .find(|m| m.header("Subject").contains("Renewal failed"))
        .unwrap_or_else(|| panic!("no renewal mail: {mails:?}"));
    assert_eq!(m.header("Subject"), format!("[certctl] Renewal failed: {cn}"));
    assert!(m.header("X-RcptTo").to_ascii_lowercase().contains(&ops));
    let body = m.text();
    assert!(
        body.contains(&format!("renewal of {cn} (mc-mail) failed after"))
            && body.contains("agent ag-mail sent no a CSR"),
        "{body}"
    );
    assert!(body.contains("Event:       renewal_failed"), "{body}");
    let n = s.get("/api/v1/notifications?certificate_id=mc-mail&per_page=10").await.ok(200);
    let kinds: Vec<&str> =
        n["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"renewal_failed") && kinds.contains(&"expiry_threshold"), "{kinds:?}");
}

async fn tls_modes_and_hints(s: Server) {
    let Some(smtp) = Smtp::from_env() else { return };
    let tok = token();
    let to = format!("tls-{tok}@example.test");
    let mk = |id: &str, hp: &(String, u16), tls: &str, ca: bool| {
        let mut cfg = json!({"host": hp.0, "port": hp.1, "tls": tls, "from": "certctl@example.test", "to": [to]});
        if ca {
            cfg["tls_ca_pem"] = json!(smtp.ca_pem);
        }
        json!({"id": id, "name": id, "type": "email", "config": cfg})
    };
    let test = |id: &'static str| {
        let s = &s;
        async move { s.action(&format!("/api/v1/notification-channels/{id}/test")).await.ok(200) }
    };
    // STARTTLS against a receiver that requires it, trusting the test CA: the mail arrives
    s.post("/api/v1/notification-channels", mk("nc-starttls", &smtp.starttls, "starttls", true))
        .await
        .ok(201);
    let t = test("nc-starttls").await;
    assert_eq!(t["ok"], true, "{t}");
    // implicit TLS (SMTPS)
    s.post("/api/v1/notification-channels", mk("nc-smtps", &smtp.smtps, "tls", true)).await.ok(201);
    let t = test("nc-smtps").await;
    assert_eq!(t["ok"], true, "{t}");
    let mails = smtp.mails_to(&to, 2).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails.iter().all(|m| m.header("Subject") == "[certctl] Test notification"),
        "{mails:?}"
    );

    // wrong modes get a hint that says what to change
    s.post("/api/v1/notification-channels", mk("nc-plain-to-tls", &smtp.starttls, "none", false))
        .await
        .ok(201);
    let t = test("nc-plain-to-tls").await;
    assert_eq!(t["ok"], false);
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("hint: the server requires encryption: set tls to \"starttls\""),
        "{t}"
    );
    s.post("/api/v1/notification-channels", mk("nc-tls-to-starttls", &smtp.starttls, "tls", true))
        .await
        .ok(201);
    let t = test("nc-tls-to-starttls").await;
    assert_eq!(t["ok"], false);
    assert!(t["message"].as_str().unwrap().contains("set tls to \"starttls\""), "{t}");
    s.post(
        "/api/v1/notification-channels",
        mk("nc-starttls-to-plain", &smtp.plain, "starttls", true),
    )
    .await
    .ok(201);
    let t = test("nc-starttls-to-plain").await;
    assert_eq!(t["ok"], false);
    assert!(t["message"].as_str().unwrap().contains("does not offer STARTTLS"), "{t}");
    // an untrusted certificate is refused
    s.post("/api/v1/notification-channels", mk("nc-untrusted", &smtp.starttls, "starttls", false))
        .await
        .ok(201);
    let t = test("nc-untrusted").await;
    assert_eq!(t["ok"], false);
    assert!(t["message"].as_str().unwrap().to_ascii_lowercase().contains("certificate"), "{t}");
    assert_eq!(smtp.mails_to(&to, 3).await.len(), 2, "no mail through a wrong mode");
}
