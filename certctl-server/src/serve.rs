//! Running the control plane: open the store, bootstrap, seed the demo, listen (TLS or not),
//! and shut down gracefully on SIGINT/SIGTERM.

use std::sync::Arc;

use anyhow::Context;
use certctl::fsutil::write_new_file;
use certctl::service::{KeygenMode, Service, ServiceConfig};

use crate::config::{AuthMode, Keygen, Settings, Tls};
use crate::{AppState, SHUTDOWN_GRACE, app};

/// Opens the store named by the settings and builds the service (Local CA in the data dir).
pub async fn open_service(s: &Settings) -> anyhow::Result<Service> {
    std::fs::create_dir_all(&s.data_dir)
        .with_context(|| format!("creating {}", s.data_dir.display()))?;
    let store =
        certctl::store::connect(s.database_url.expose()).await.context("opening the database")?;
    let config = ServiceConfig {
        bootstrap_token: s.bootstrap_token.as_ref().map(|t| t.expose().to_owned()),
        keygen_mode: match s.keygen_mode {
            Keygen::Agent => KeygenMode::Agent,
            Keygen::Server => KeygenMode::Server,
        },
        agent_timeout: s.agent_timeout,
        secret_key: s.secret_key.as_ref().map(|k| k.expose().to_owned()),
        notify: s.notify.clone(),
        dns_hooks: s.dns_hooks.clone(),
        job_lease: s.job_lease,
        audit_checkpoint_every: s.audit_checkpoint_every,
        audit_checkpoint_file: Some(s.data_dir.join(certctl::audit::CHECKPOINT_FILE)),
        outbound: s.outbound.clone(),
    };
    if !s.outbound.allowed_ranges().is_empty() {
        let ranges: Vec<String> =
            s.outbound.allowed_ranges().iter().map(ToString::to_string).collect();
        tracing::info!(ranges = %ranges.join(","), "channels, ACME and rfc2136 may connect to these internal ranges (CERTCTL_ALLOW_PRIVATE_TARGETS)");
    }
    Ok(Service::open(store, &s.data_dir, config)?)
}

/// Serves until SIGINT/SIGTERM.
pub async fn run(s: Settings) -> anyhow::Result<()> {
    let svc = open_service(&s).await?;
    let boot = svc.bootstrap().await.context("bootstrapping")?;
    let key_file = s.data_dir.join("admin.key");
    if let Some(key) = &boot.admin_key {
        write_new_file(&key_file, format!("{key}\n").as_bytes(), 0o600)
            .or_else(|e| match e {
                certctl::Error::Conflict(_) => {
                    std::fs::remove_file(&key_file)?;
                    write_new_file(&key_file, format!("{key}\n").as_bytes(), 0o600)
                        .map_err(anyhow::Error::from)
                }
                e => Err(e.into()),
            })
            .with_context(|| format!("writing {}", key_file.display()))?;
        println!(
            "Created the first admin API key (shown once; also written to {}, mode 0600):\n\n    {key}\n",
            key_file.display()
        );
    }
    let sealed = svc
        .seal_stored_channel_secrets()
        .await
        .context("sealing the secrets of notification channels stored in the clear")?;
    if sealed > 0 {
        tracing::info!(
            channels = sealed,
            "sealed the secrets of notification channels stored in the clear"
        );
    }
    if !s.dns_hooks.is_empty() {
        tracing::info!(hooks = %s.dns_hooks.names().join(", "), "DNS-01 hooks configured (run as this server's user, with a cleared environment)");
    }
    let legacy = svc.issuers_with_legacy_dns_hook().await.context("listing issuers")?;
    if !legacy.is_empty() {
        let ids: Vec<&str> = legacy.iter().map(|i| i.as_str()).collect();
        tracing::warn!(
            issuers = %ids.join(", "),
            "these issuers still carry dns_hook_command, which is no longer run: their orders fail until an admin defines the hook in CERTCTL_ACME_DNS_HOOKS (or [acme.dns_hooks.NAME]) and sets \"dns_hook\": \"NAME\" in the issuer config"
        );
    }
    if s.keygen_mode == Keygen::Server {
        tracing::warn!(
            "CERTCTL_KEYGEN_MODE=server: private keys are generated on the control plane. Use this for demos only."
        );
    }
    if s.bootstrap_token.is_some() {
        tracing::warn!(
            "CERTCTL_AGENT_BOOTSTRAP_TOKEN is set: it never expires and registers any number of agents (each Pending until approved). \
             Use it for a quick start only; create expiring, limited tokens with `certctl bootstrap-tokens create` instead."
        );
    }
    if s.auth == AuthMode::None {
        tracing::warn!(
            "--auth none: every request acts as an anonymous admin. Loopback demo only."
        );
        eprintln!(
            "WARNING: authentication is disabled (--auth none); anyone who can reach {} is an admin.",
            s.listen
        );
    }
    if s.demo {
        let seeded = certctl::service::demo::seed(&svc).await.context("seeding demo data")?;
        if seeded > 0 {
            crate::demo_agent::seed(&svc, &s.data_dir).await?;
            println!(
                "Seeded demo data: teams, owners, policies, 4 agents (one of them runs in this process and deploys to {}) and 30 certificates, {seeded} of them issued by the Local CA.",
                certctl::service::demo::local_targets_dir(&s.data_dir).display()
            );
        }
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let loops = crate::scheduler::spawn(svc.clone(), s.intervals, s.agent_offline_after, stop_rx);
    let svc_for_shutdown = svc.clone();
    let state = AppState { svc, auth_disabled: s.auth == AuthMode::None, body_limit: s.body_limit };
    let router = app(state);
    let handle = axum_server::Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone(), stop_tx));
    let scheme = if s.tls == Tls::None { "http" } else { "https" };
    let base = format!("{scheme}://{}", s.listen);
    if s.demo {
        // the demo agent talks to this server on loopback, trusting the Local CA's TLS certificate
        let mut local = s.listen;
        if local.ip().is_unspecified() {
            local.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let ca = match s.tls {
            Tls::None => None,
            _ => std::fs::read(s.data_dir.join(certctl::issuer::local::CA_CERT_FILE)).ok(),
        };
        crate::demo_agent::spawn(format!("{scheme}://{local}"), &s.data_dir, ca)?;
    }
    match &s.tls {
        Tls::None => {
            let listener = listen(s.listen)?;
            print_ready(&base, &s, &key_file);
            axum_server::from_tcp(listener)?
                .handle(handle)
                .serve(router.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .await?;
        }
        tls => {
            let (config, fingerprint) = tls_config(tls, &s).await?;
            if let Some(fp) = fingerprint {
                println!("TLS certificate from the Local CA, SHA-256 fingerprint {fp}");
            }
            let listener = listen(s.listen)?;
            print_ready(&base, &s, &key_file);
            axum_server::tls_rustls::from_tcp_rustls(listener, config)?
                .handle(handle)
                .serve(router.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .await?;
        }
    }
    for l in loops {
        let _ = l.await;
    }
    // nothing submits any more: the service's writers store what they hold and end
    svc_for_shutdown.shutdown().await;
    if let Err(e) = svc_for_shutdown.audit_checkpoint(1, certctl::model::Timestamp::now()).await {
        tracing::error!(error = %e, "writing the audit checkpoint at shutdown failed");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Connections the kernel queues before the server accepts them (capped by
/// `net.core.somaxconn`). After a restart every agent reconnects within one heartbeat interval;
/// with the usual 128 the queue overflows, the kernel drops SYNs and each dropped client waits a
/// second before it retries (BENCHMARKS.md, agent section).
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listening socket on `addr` with [`LISTEN_BACKLOG`].
pub fn listen(addr: std::net::SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr).with_context(|| format!("listening on {addr}"))?;
    Ok(socket.listen(LISTEN_BACKLOG)?.into_std()?)
}

fn print_ready(base: &str, s: &Settings, key_file: &std::path::Path) {
    tracing::info!(listen = %s.listen, database = %certctl::store::redact_url(s.database_url.expose()), "certctl-server ready");
    if s.demo {
        println!(
            "certctl control plane at {base}\n\nTry:\n    export CERTCTL_SERVER_URL={base}\n    export CERTCTL_API_KEY=$(cat {})\n    curl -s -H \"Authorization: Bearer $CERTCTL_API_KEY\" $CERTCTL_SERVER_URL/api/v1/summary\n    curl -s -H \"Authorization: Bearer $CERTCTL_API_KEY\" \"$CERTCTL_SERVER_URL/api/v1/certificates?status=Expiring\"\n",
            key_file.display()
        );
    }
}

/// rustls config from files, or a fresh certificate from the Local CA.
async fn tls_config(
    tls: &Tls,
    s: &Settings,
) -> anyhow::Result<(axum_server::tls_rustls::RustlsConfig, Option<String>)> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    match tls {
        Tls::Files { cert, key } => {
            let c = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .with_context(|| {
                    format!("loading TLS certificate {} and key {}", cert.display(), key.display())
                })?;
            Ok((c, None))
        }
        _ => {
            let ca = certctl::issuer::LocalCa::load_or_create(&s.data_dir)?;
            let key = certctl::pki::PrivateKey::generate_p256()?;
            let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
            let ip = s.listen.ip();
            if !ip.is_unspecified() && !names.contains(&ip.to_string()) {
                names.push(ip.to_string());
            }
            let csr = certctl::pki::build_csr(&key, "localhost", &names)?;
            let issued = ca.sign(
                &csr,
                &certctl::issuer::SignRequest {
                    common_name: "localhost".into(),
                    sans: names,
                    validity_days: Some(90),
                    not_before: None,
                },
            )?;
            let c = axum_server::tls_rustls::RustlsConfig::from_pem(
                issued.pem_chain.into_bytes(),
                key.pem().into_bytes(),
            )
            .await?;
            Ok((c, Some(issued.leaf.fingerprint_sha256)))
        }
    }
}

async fn shutdown_on_signal(
    handle: axum_server::Handle<std::net::SocketAddr>,
    stop: tokio::sync::watch::Sender<bool>,
) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = stop.send(true);
    handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
}

/// `audit verify`: walks the keyed chain with the secret key (`CERTCTL_SECRET_KEY` or
/// `DATA_DIR/secret.key`, never created here) against the stored checkpoints, the data dir's
/// checkpoint file and `--expect`; prints the report as JSON (and the problem on stderr).
/// With `--checkpoint`, a valid chain gets a new signed checkpoint, printed as `SEQ:MAC`.
/// Exit code 1 when the chain is broken.
pub async fn audit_verify(s: Settings, args: crate::config::VerifyArgs) -> anyhow::Result<bool> {
    let mut expect = Vec::new();
    for e in &args.expect {
        expect.push(
            certctl::model::ExpectedCheckpoint::parse(e, format!("the checkpoint {e} (--expect)"))
                .map_err(|m| anyhow::anyhow!("--expect: {m}"))?,
        );
    }
    let keystore = match &s.secret_key {
        Some(k) => {
            certctl::service::KeyStore::from_hex(k.expose()).context("CERTCTL_SECRET_KEY")?
        }
        None => certctl::service::KeyStore::load_existing(&s.data_dir)
            .context("the audit chain is keyed with the server's secret key")?,
    };
    let key = keystore.audit_key();
    let store: Arc<dyn certctl::store::Store> =
        certctl::store::connect(s.database_url.expose()).await.context("opening the database")?;
    let file = s.data_dir.join(certctl::audit::CHECKPOINT_FILE);
    if let Some(e) = certctl::audit::read_checkpoint_file(&file)? {
        expect.push(e);
    }
    let report = certctl::audit::verify_chain(&*store, &key, &expect).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if let Some(p) = &report.problem {
        eprintln!("audit chain broken: {p}");
    }
    if report.valid && args.checkpoint {
        store.set_audit_key(key.clone());
        match certctl::audit::write_checkpoint(
            &*store,
            &key,
            Some(&file),
            certctl::model::Timestamp::now(),
        )
        .await?
        {
            Some(cp) => {
                tracing::info!(seq = cp.seq, head_hash = %cp.head_hash, checkpoint = %cp.token(), "audit checkpoint (keep it off this host; `certctl-server audit verify --expect SEQ:MAC` detects events removed before it)");
                eprintln!(
                    "checkpoint written; keep it off this host and pass it to a later `audit verify --expect`:"
                );
                println!("{}", cp.token());
            }
            None => eprintln!("the chain is empty: no checkpoint written"),
        }
    }
    Ok(report.valid)
}
