//! Asking a TLS server which certificate it serves: a handshake (rustls on aws-lc-rs) that
//! accepts any certificate, since all it reads is the leaf's fingerprint.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::pki::fingerprint_sha256;

/// Limit for one connection + handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to `address` (`host:port`), sends `server_name` as SNI (else the address's host),
/// and returns the SHA-256 fingerprint of the leaf the server presents.
pub async fn served_fingerprint(
    address: &str,
    server_name: Option<&str>,
) -> Result<String, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ReadOnly(provider)))
        .with_no_client_auth();
    let host = server_name.map(str::to_owned).unwrap_or_else(|| {
        let h = address.rsplit_once(':').map_or(address, |(h, _)| h);
        h.trim_start_matches('[').trim_end_matches(']').to_owned()
    });
    let name = ServerName::try_from(host.clone())
        .map_err(|e| format!("{host:?} is not a server name: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(|e| format!("cannot connect to {address}: {e}"))?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake with {address} failed: {e}"))?;
        let leaf = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .ok_or_else(|| format!("{address} presented no certificate"))?;
        Ok(fingerprint_sha256(leaf.as_ref()))
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await.map_err(|_| {
        format!("no TLS handshake with {address} within {} s", HANDSHAKE_TIMEOUT.as_secs())
    })?
}

/// Accepts any server certificate (signatures over the handshake are still checked): the caller
/// only compares the leaf's fingerprint with the one it deployed.
#[derive(Debug)]
struct ReadOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for ReadOnly {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
