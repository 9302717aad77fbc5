//! TLS material (certificate, key, CAs, CRLs) loaded from PEM, and the
//! rustls configurations built from it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, RootCertStore};

pub use radius_proto::radsec::{RadiusV11, ALPN_RADIUS_1_0, ALPN_RADIUS_1_1};

/// A TLS configuration problem, naming the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// A file could not be read.
    #[error("cannot read {what} file {path}: {source}")]
    Read {
        /// Which file ("certificate", "private key", "CA", "CRL").
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file holds no PEM section of the expected kind, or bad PEM.
    #[error("{what} {origin}: {detail}")]
    Pem {
        /// Which file.
        what: &'static str,
        /// Its path, or "(in memory)".
        origin: String,
        /// What is wrong.
        detail: String,
    },
    /// The private key does not belong to the certificate.
    #[error("private key {key} does not match certificate {cert}")]
    KeyMismatch {
        /// The certificate's origin.
        cert: String,
        /// The key's origin.
        key: String,
    },
    /// A CA certificate was refused as a trust anchor.
    #[error("CA {origin}: not usable as a trust anchor: {detail}")]
    BadCa {
        /// The CA file.
        origin: String,
        /// What rustls/webpki said.
        detail: String,
    },
    /// rustls refused the configuration (bad CRL, unsupported key ...).
    #[error("TLS configuration: {0}")]
    Rustls(String),
}

#[derive(Clone)]
pub(crate) struct Source {
    pub(crate) origin: String,
    pem: Vec<u8>,
}

pub(crate) fn read(what: &'static str, path: &Path) -> Result<Source, TlsConfigError> {
    let pem = std::fs::read(path).map_err(|source| TlsConfigError::Read {
        what,
        path: path.to_owned(),
        source,
    })?;
    Ok(Source {
        origin: path.display().to_string(),
        pem,
    })
}

fn mem(pem: &[u8]) -> Source {
    Source {
        origin: "(in memory)".into(),
        pem: pem.to_vec(),
    }
}

fn pem_err(what: &'static str, s: &Source, detail: impl fmt::Display) -> TlsConfigError {
    TlsConfigError::Pem {
        what,
        origin: s.origin.clone(),
        detail: detail.to_string(),
    }
}

pub(crate) fn certs(
    what: &'static str,
    s: &Source,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let v = CertificateDer::pem_slice_iter(&s.pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(what, s, format_args!("bad PEM: {e}")))?;
    if v.is_empty() {
        return Err(pem_err(what, s, "no CERTIFICATE section found"));
    }
    Ok(v)
}

/// A certificate chain and its private key, parsed and checked to belong
/// together: the key as DER (for configurations built from DER) and as
/// rustls's signing key.
pub(crate) fn key_pair(
    cert: &Source,
    key: &Source,
    provider: &CryptoProvider,
) -> Result<(PrivateKeyDer<'static>, CertifiedKey), TlsConfigError> {
    let chain = certs("certificate", cert)?;
    let key_der = PrivateKeyDer::from_pem_slice(&key.pem).map_err(|e| {
        pem_err(
            "private key",
            key,
            format_args!("no usable PRIVATE KEY section ({e})"),
        )
    })?;
    let signing = provider
        .key_provider
        .load_private_key(key_der.clone_key())
        .map_err(|e| pem_err("private key", key, format_args!("unsupported key: {e}")))?;
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(_) => {
            return Err(TlsConfigError::KeyMismatch {
                cert: cert.origin.clone(),
                key: key.origin.clone(),
            })
        }
    }
    Ok((key_der, certified))
}

/// Certificate chain, private key, trusted CAs and optional CRLs for one
/// side of a RadSec connection (server or client), from PEM files or bytes.
///
/// ```no_run
/// # use radius_server::radsec::TlsConfig;
/// let tls = TlsConfig::from_pem_files("server.pem", "server.key", "ca.pem")?
///     .with_crl_file("ca.crl")?;
/// # Ok::<(), radius_server::radsec::TlsConfigError>(())
/// ```
///
/// Loading checks everything a person can get wrong: unreadable files,
/// files without the expected PEM section, a key that does not match the
/// certificate, a CA that is not a valid trust anchor, a bad CRL.
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) key: Arc<CertifiedKey>,
    pub(crate) roots: Arc<RootCertStore>,
    pub(crate) crls: Vec<CertificateRevocationListDer<'static>>,
    pub(crate) provider: Arc<CryptoProvider>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("chain", &self.key.cert.len())
            .field("cas", &self.roots.len())
            .field("crls", &self.crls.len())
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Load the certificate chain (leaf first), its private key and the CA
    /// certificate(s) that peers' certificates must chain to.
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
        ca: impl AsRef<Path>,
    ) -> Result<Self, TlsConfigError> {
        Self::build(
            read("certificate", cert.as_ref())?,
            read("private key", key.as_ref())?,
            read("CA", ca.as_ref())?,
        )
    }

    /// The same from PEM text in memory.
    pub fn from_pem(cert: &[u8], key: &[u8], ca: &[u8]) -> Result<Self, TlsConfigError> {
        Self::build(mem(cert), mem(key), mem(ca))
    }

    fn build(cert: Source, key: Source, ca: Source) -> Result<Self, TlsConfigError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (_, certified) = key_pair(&cert, &key, &provider)?;
        let mut cfg = TlsConfig {
            key: Arc::new(certified),
            roots: Arc::new(RootCertStore::empty()),
            crls: Vec::new(),
            provider,
        };
        cfg.add_ca(&ca)?;
        Ok(cfg)
    }

    fn add_ca(&mut self, ca: &Source) -> Result<(), TlsConfigError> {
        let roots = Arc::make_mut(&mut self.roots);
        for c in certs("CA", ca)? {
            roots.add(c).map_err(|e| TlsConfigError::BadCa {
                origin: ca.origin.clone(),
                detail: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// Trust the CA certificate(s) of another PEM file too.
    pub fn add_ca_file(mut self, ca: impl AsRef<Path>) -> Result<Self, TlsConfigError> {
        let s = read("CA", ca.as_ref())?;
        self.add_ca(&s)?;
        Ok(self)
    }

    /// Trust the CA certificate(s) of PEM text too.
    pub fn add_ca_pem(mut self, ca: &[u8]) -> Result<Self, TlsConfigError> {
        self.add_ca(&mem(ca))?;
        Ok(self)
    }

    fn add_crl(&mut self, s: &Source) -> Result<(), TlsConfigError> {
        let v = CertificateRevocationListDer::pem_slice_iter(&s.pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_err("CRL", s, format_args!("bad PEM: {e}")))?;
        if v.is_empty() {
            return Err(pem_err("CRL", s, "no X509 CRL section found"));
        }
        // Parse now (building a verifier parses its CRLs) so that a bad CRL
        // fails here, with its file name.
        WebPkiClientVerifier::builder_with_provider(self.roots.clone(), self.provider.clone())
            .with_crls(v.clone())
            .build()
            .map_err(|e| pem_err("CRL", s, e))?;
        self.crls.extend(v);
        Ok(())
    }

    /// Check peer certificates against a CRL file (PEM). Only the peer's
    /// own (end-entity) certificate is checked; a peer whose issuer has no
    /// CRL configured is accepted.
    pub fn with_crl_file(mut self, crl: impl AsRef<Path>) -> Result<Self, TlsConfigError> {
        let s = read("CRL", crl.as_ref())?;
        self.add_crl(&s)?;
        Ok(self)
    }

    /// The same from PEM text.
    pub fn with_crl_pem(mut self, crl: &[u8]) -> Result<Self, TlsConfigError> {
        self.add_crl(&mem(crl))?;
        Ok(self)
    }

    /// The rustls server configuration: TLS 1.2 and 1.3 with rustls's
    /// (ring) cipher suites, client certificate required and verified
    /// against the CAs (and CRLs), ALPN `radius/1.0` offered.
    pub fn server_config(&self) -> Result<rustls::ServerConfig, TlsConfigError> {
        self.server_config_v11(RadiusV11::Off)
    }

    /// [`server_config`](Self::server_config) offering the ALPN names of
    /// `v11` (`radius/1.1` preferred when allowed).
    pub fn server_config_v11(
        &self,
        v11: RadiusV11,
    ) -> Result<rustls::ServerConfig, TlsConfigError> {
        let mut vb =
            WebPkiClientVerifier::builder_with_provider(self.roots.clone(), self.provider.clone());
        if !self.crls.is_empty() {
            vb = vb
                .with_crls(self.crls.clone())
                .only_check_end_entity_revocation()
                .allow_unknown_revocation_status();
        }
        let verifier = vb
            .build()
            .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
        let mut cfg = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsConfigError::Rustls(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(
                (*self.key).clone(),
            )));
        cfg.alpn_protocols = v11.alpn_protocols();
        Ok(cfg)
    }

    /// The rustls client configuration: TLS 1.2 and 1.3, the server's
    /// certificate verified against the CAs (and its name), our certificate
    /// presented, ALPN `radius/1.0` offered, no session resumption.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, TlsConfigError> {
        self.client_config_v11(RadiusV11::Off)
    }

    /// [`client_config`](Self::client_config) offering the ALPN names of `v11`.
    pub fn client_config_v11(
        &self,
        v11: RadiusV11,
    ) -> Result<rustls::ClientConfig, TlsConfigError> {
        let builder = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
        let builder = if self.crls.is_empty() {
            builder.with_root_certificates(self.roots.clone())
        } else {
            let v = rustls::client::WebPkiServerVerifier::builder_with_provider(
                self.roots.clone(),
                self.provider.clone(),
            )
            .with_crls(self.crls.clone())
            .only_check_end_entity_revocation()
            .allow_unknown_revocation_status()
            .build()
            .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
            builder.with_webpki_verifier(v)
        };
        let mut cfg = builder.with_client_cert_resolver(Arc::new(ClientCert(self.key.clone())));
        // No session resumption: every connection shows (and gets verified)
        // its certificate, and radsecproxy (OpenSSL without a session id
        // context) fails resumed handshakes.
        cfg.resumption = rustls::client::Resumption::disabled();
        cfg.alpn_protocols = v11.alpn_protocols();
        Ok(cfg)
    }
}

/// Presents our certificate to every server that asks.
#[derive(Debug)]
struct ClientCert(Arc<CertifiedKey>);

impl rustls::client::ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A person-readable account of a TLS failure: which certificate check
/// failed (unknown CA, expired, not yet valid, wrong key usage, revoked,
/// no client certificate ...) or what else went wrong.
pub fn describe_tls_error(e: &io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(r) => describe_rustls_error(r),
        None => e.to_string(),
    }
}

/// [`describe_tls_error`] for a rustls error.
pub fn describe_rustls_error(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, Error as E};
    match e {
        E::NoCertificatesPresented => "no client certificate presented".into(),
        E::InvalidCertificate(c) => format!("certificate rejected: {}", describe_cert_error(c)),
        E::AlertReceived(a) => {
            let what = match a {
                A::UnknownCA => "peer does not trust our certificate's CA (unknown CA)",
                A::CertificateExpired => "peer says our certificate expired",
                A::CertificateRevoked => "peer says our certificate is revoked",
                A::UnsupportedCertificate => {
                    "peer refused our certificate's key usage (unsupported certificate)"
                }
                A::BadCertificate => "peer refused our certificate (bad certificate)",
                A::CertificateRequired => "peer requires a client certificate",
                A::NoApplicationProtocol => "no common ALPN protocol (radius/1.0, radius/1.1)",
                A::ProtocolVersion => "no common TLS version (TLS 1.2 or 1.3 required)",
                A::HandshakeFailure => "handshake failure (no common cipher suite?)",
                _ => "",
            };
            if what.is_empty() {
                format!("peer sent TLS alert {a:?}")
            } else {
                format!("{what} (TLS alert {a:?})")
            }
        }
        E::NoApplicationProtocol => "no common ALPN protocol (radius/1.0, radius/1.1)".into(),
        E::PeerIncompatible(p) => format!("peer incompatible: {p:?}"),
        other => other.to_string(),
    }
}

fn describe_cert_error(c: &CertificateError) -> String {
    use CertificateError as C;
    match c {
        C::UnknownIssuer => "unknown CA: not signed by a configured CA".into(),
        C::Expired => "expired".into(),
        C::ExpiredContext { time, not_after } => format!(
            "expired ({}s after its notAfter)",
            time.as_secs().saturating_sub(not_after.as_secs())
        ),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "not valid yet (notBefore in the future)".into()
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "wrong key usage: the extended key usage does not allow this role \
             (clientAuth for a client, serverAuth for a server)"
                .into()
        }
        C::Revoked => "revoked (listed in the CRL)".into(),
        C::BadSignature => "bad signature".into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "not valid for the server name we connected to".into()
        }
        C::UnknownRevocationStatus => "revocation status unknown (no CRL for its issuer)".into(),
        C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
            "the CRL has expired".into()
        }
        other => format!("{other:?}"),
    }
}
