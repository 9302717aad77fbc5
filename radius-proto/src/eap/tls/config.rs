//! TLS settings of the TLS-based EAP methods, compiled into rustls server
//! configurations: one that requires a client certificate (EAP-TLS) and one
//! that asks for none (PEAP, TTLS: the peer authenticates inside the
//! tunnel). Certificates come in already parsed (DER); reading files is the
//! caller's business.

use std::sync::Arc;

use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS protocol version an EAP method may negotiate (never below 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446; EAP-TLS per RFC 9190, PEAP and TTLS per RFC 9427).
    Tls13,
}

/// Why the TLS settings were refused.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The certificate or key is unusable (rustls's reason).
    #[error("certificate or key: {0}")]
    Cert(rustls::Error),
    /// A CA certificate could not be added as a trust anchor.
    #[error("CA certificate: {0}")]
    Ca(rustls::Error),
    /// The client-certificate verifier could not be built.
    #[error("client certificate verifier: {0}")]
    Verifier(String),
    /// min_version above max_version.
    #[error("TLS minimum version {0:?} is above the maximum {1:?}")]
    Versions(TlsVersion, TlsVersion),
}

/// TLS material and policy for EAP-TLS, PEAP and TTLS.
pub struct TlsSettings {
    /// Server certificate chain, end entity first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The server certificate's private key.
    pub key: PrivateKeyDer<'static>,
    /// CAs that client certificates (EAP-TLS) must chain to; empty: no
    /// EAP-TLS.
    pub client_ca: Vec<CertificateDer<'static>>,
    /// Lowest version offered (default TLS 1.2).
    pub min_version: TlsVersion,
    /// Highest version offered (default TLS 1.3).
    pub max_version: TlsVersion,
    /// Sessions kept for resumption (0: no resumption). Default 4096.
    pub resumption_cache: usize,
}

impl TlsSettings {
    /// Both versions, a 4096-session resumption cache, no EAP-TLS until
    /// `client_ca` is set.
    pub fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> TlsSettings {
        TlsSettings {
            chain,
            key,
            client_ca: Vec::new(),
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            resumption_cache: 4096,
        }
    }
}

/// The compiled rustls configurations.
#[derive(Clone)]
pub struct TlsConfigs {
    /// Requires a client certificate chaining to the client CAs (EAP-TLS);
    /// `None` without client CAs.
    pub mutual: Option<Arc<ServerConfig>>,
    /// No client certificate (PEAP, TTLS).
    pub tunnel: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfigs")
            .field("eap_tls", &self.mutual.is_some())
            .finish()
    }
}

impl TlsConfigs {
    /// Compile `s`; errors say which part is unusable.
    pub fn build(s: &TlsSettings) -> Result<TlsConfigs, TlsSetupError> {
        if s.min_version > s.max_version {
            return Err(TlsSetupError::Versions(s.min_version, s.max_version));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: Vec<&'static rustls::SupportedProtocolVersion> = [
            (TlsVersion::Tls12, &rustls::version::TLS12),
            (TlsVersion::Tls13, &rustls::version::TLS13),
        ]
        .into_iter()
        .filter(|(v, _)| (s.min_version..=s.max_version).contains(v))
        .map(|(_, p)| p)
        .collect();
        let finish = |mut c: ServerConfig| {
            if s.resumption_cache > 0 {
                c.session_storage = ServerSessionMemoryCache::new(s.resumption_cache);
                // One ticket per handshake (RFC 9190 §2.1.2 expects few).
                c.send_tls13_tickets = 1;
            } else {
                c.session_storage = Arc::new(NoServerSessionStorage {});
                c.send_tls13_tickets = 0;
            }
            Arc::new(c)
        };
        let builder = || {
            ServerConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(&versions)
                .map_err(TlsSetupError::Cert)
        };
        let tunnel = builder()?
            .with_no_client_auth()
            .with_single_cert(s.chain.clone(), s.key.clone_key())
            .map_err(TlsSetupError::Cert)?;
        let mutual = if s.client_ca.is_empty() {
            None
        } else {
            let mut roots = RootCertStore::empty();
            for ca in &s.client_ca {
                roots.add(ca.clone()).map_err(TlsSetupError::Ca)?;
            }
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| TlsSetupError::Verifier(e.to_string()))?;
            let c = builder()?
                .with_client_cert_verifier(verifier)
                .with_single_cert(s.chain.clone(), s.key.clone_key())
                .map_err(TlsSetupError::Cert)?;
            Some(finish(c))
        };
        Ok(TlsConfigs {
            mutual,
            tunnel: finish(tunnel),
        })
    }
}
