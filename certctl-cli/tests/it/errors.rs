//! Exit codes and error output: 404 → 3, 401/403 → 4, 400/409/422 → 5 (every reason printed),
//! unreachable → 6, usage → 2; errors on stderr, as `{"error":{...}}` under `-o json`.
//! (Policy rejections list each reason on its own line; the server does not enforce policies on
//! create yet, so that split is covered by the unit test in `src/error.rs`.)

use serde_json::Value;

use crate::support::Server;

#[test]
fn exit_codes() {
    let s = Server::start();
    let (code, out, err) = s.run(&["certs", "get", "mc-missing"]);
    assert_eq!((code, out.as_str()), (3, ""));
    assert!(err.starts_with("error: ") && err.contains("mc-missing"), "{err}");

    let (code, out, err) = s.run(&["-o", "json", "teams", "get", "team-missing"]);
    assert_eq!((code, out.as_str()), (3, ""));
    let e: Value = serde_json::from_str(&err).unwrap();
    assert_eq!(e["error"]["code"], "not_found");

    let (code, _, err) = s.run(&["teams", "list", "--api-key", "certctl_wrong"]);
    assert_eq!(code, 4, "{err}");
    let (code, _, err) = s.run(&["teams", "create", "--name", "x", "--api-key", &s.viewer]);
    assert_eq!(code, 4, "viewer may not write: {err}");

    // validation: the server decides, clap only requires what the API requires
    let (code, _, err) = s.run(&["certs", "create", "--cn", "bad..name"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("common_name"), "{err}");
    let (code, _, err) = s.run(&["-o", "json", "certs", "list", "--status", "Bogus"]);
    assert_eq!(code, 5, "{err}");
    let e: Value = serde_json::from_str(&err).unwrap();
    assert!(e["error"]["message"].as_str().unwrap().contains("status"), "{e}");
    s.run(&["teams", "create", "--id", "team-a", "--name", "A"]);
    assert_eq!(s.run(&["teams", "create", "--id", "team-a", "--name", "A"]).0, 5, "conflict");
    let (code, _, err) = s.run(&["api-keys", "create", "--name", "x", "--role", "root"]);
    assert_eq!(code, 5, "{err}");

    // usage errors
    assert_eq!(s.run(&["certs", "create"]).0, 2, "--cn is required");
    assert_eq!(s.run(&["certs", "frobnicate"]).0, 2);
    assert_eq!(s.run(&["certs", "list", "--expiring-within", "soon"]).0, 2);

    // unreachable: nothing listens there
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, _, err) = s.run(&["status", "--server", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(code, 6, "{err}");
    let (code, _, err) =
        s.run(&["-o", "json", "status", "--server", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(code, 6);
    assert_eq!(serde_json::from_str::<Value>(&err).unwrap()["error"]["code"], "unreachable");
}
