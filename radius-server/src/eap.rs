//! 802.1X for `#[radius_handler]` servers: one [`Eap`] component answers
//! every EAP round (EAP-MD5, EAP-TLS, PEAP, TTLS) of an Access-Request
//! and asks the handler's [`EapBackend`] only for what it alone knows — a
//! user's credential, whether a client certificate may log in.
//!
//! ```no_run
//! use std::sync::Arc;
//! use radius_server::eap::{Credential, Eap, EapBackend, EapConfig, EapReply, Lookup, Method};
//! use radius_server::extract::Shared;
//! use radius_server::{radius_handler, AccessRequest, Reply};
//!
//! struct Users;
//! impl EapBackend for Users {
//!     async fn credential(&self, who: &Lookup<'_>) -> Credential {
//!         match who.identity {
//!             "bob" => Credential::Password("hello".into()),
//!             _ => Credential::Unknown,
//!         }
//!     }
//! }
//!
//! struct App { eap: Eap, users: Users }
//!
//! #[radius_handler]
//! async fn auth(req: AccessRequest, app: Shared<Arc<App>>) -> Reply {
//!     match app.eap.answer(&req, &app.users).await {
//!         Some(EapReply::Accept { accept, identity, .. }) => {
//!             // Reply attributes for the authenticated (inner) identity go here.
//!             let _ = identity;
//!             accept.into()
//!         }
//!         Some(other) => other.into(),
//!         None => radius_server::AccessReject::new().into(),
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tls = radius_server::eap::tls_from_pem_files("server.pem", "server.key", Some("ca.pem"))?;
//! let cfg = EapConfig {
//!     methods: vec![Method::Peap, Method::Ttls, Method::Tls],
//!     tls: Some(radius_server::eap::TlsConfigs::build(&tls)?),
//!     ..EapConfig::default()
//! };
//! let app = Arc::new(App { eap: Eap::new(cfg)?, users: Users });
//! # let _ = app; Ok(()) }
//! ```

use std::future::Future;
use std::path::Path;
use std::time::Instant;

use radius_dict::prelude::{EapMessage, MsMppeRecvKey, MsMppeSendKey, State, UserName};
use radius_proto::eap::{Answer, EapServer, Need, Resolution, Step};
use radius_proto::{AccessAccept, AccessChallenge, AccessReject, Reply, Request};
use rustls::pki_types::CertificateDer;

pub use radius_proto::eap::tls::{TlsConfigs, TlsSettings, TlsSetupError, TlsVersion};
pub use radius_proto::eap::{Credential, EapConfig, EapConfigError, InnerMethod, Keys, Method};
pub use radius_proto::mschap::NtHash;

use crate::radsec::TlsConfigError;

/// What the backend is asked to look up.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    /// The identity to authenticate: PEAP's and TTLS's inner identity, the
    /// EAP identity otherwise.
    pub identity: &'a str,
    /// The outer EAP identity (often `anonymous@realm`).
    pub outer: &'a str,
    /// The method that will check the credential.
    pub method: InnerMethod,
    /// The Access-Request (NAS, client, other attributes).
    pub request: &'a Request,
}

/// The handler's side of EAP: credentials and certificate authorization.
pub trait EapBackend: Send + Sync {
    /// The credential of `who.identity`: a cleartext password, an NT hash,
    /// or [`Credential::Unknown`] (the exchange then fails as a wrong
    /// password would).
    fn credential(&self, who: &Lookup<'_>) -> impl Future<Output = Credential> + Send;

    /// EAP-TLS: whether this client certificate chain (end entity first,
    /// already verified against the CA) may log in. Default: yes.
    fn authorize(
        &self,
        chain: &[CertificateDer<'static>],
        outer: &str,
        request: &Request,
    ) -> impl Future<Output = bool> + Send {
        let _ = (chain, outer, request);
        async { true }
    }
}

/// One EAP round's reply, ready to send or to adjust.
#[derive(Debug)]
pub enum EapReply {
    /// Access-Challenge with EAP-Message and State.
    Challenge(AccessChallenge),
    /// Access-Accept with, for the TLS methods, the MSK as
    /// MS-MPPE-Recv-Key and MS-MPPE-Send-Key, then EAP-Success and
    /// User-Name with the outer EAP identity (as FreeRADIUS sends them).
    /// Add the user's reply attributes (VLAN, Session-Timeout) to `accept`.
    Accept {
        /// The reply.
        accept: AccessAccept,
        /// Who was authenticated (inner identity for PEAP and TTLS).
        identity: String,
        /// The outer EAP identity.
        outer: String,
        /// The method.
        method: Method,
    },
    /// Access-Reject with EAP-Failure.
    Reject {
        /// The reply.
        reject: AccessReject,
        /// Why (for the log; never sent).
        reason: String,
    },
}

impl From<EapReply> for Reply {
    fn from(r: EapReply) -> Reply {
        match r {
            EapReply::Challenge(c) => c.into(),
            EapReply::Accept { accept, .. } => accept.into(),
            EapReply::Reject { reject, .. } => reject.into(),
        }
    }
}

/// The EAP component (see the module docs).
#[derive(Debug)]
pub struct Eap {
    server: EapServer,
}

impl Eap {
    /// A component offering `cfg.methods`.
    pub fn new(cfg: EapConfig) -> Result<Eap, EapConfigError> {
        Ok(Eap {
            server: EapServer::new(cfg)?,
        })
    }

    /// The sans-IO authenticator underneath.
    pub fn server(&self) -> &EapServer {
        &self.server
    }

    /// Answer `req`'s EAP round; `None` when it carries no EAP-Message.
    pub async fn answer<B: EapBackend>(&self, req: &Request, backend: &B) -> Option<EapReply> {
        let eap = req.get::<EapMessage>()?.ok()?;
        let state = req.get::<State>().and_then(Result::ok);
        let state = state.as_ref().map(|s| s.value().as_slice());
        let mut step = self.server.step(eap.value(), state, Instant::now());
        loop {
            match step {
                Step::Done(answer) => return Some(reply(answer)),
                Step::Pending(p) => {
                    let r = match p.need() {
                        Need::Credential {
                            identity,
                            outer,
                            method,
                        } => {
                            let who = Lookup {
                                identity,
                                outer,
                                method: *method,
                                request: req,
                            };
                            Resolution::Credential(backend.credential(&who).await)
                        }
                        Need::Certificate { chain, outer } => {
                            Resolution::Certificate(backend.authorize(chain, outer, req).await)
                        }
                    };
                    step = self.server.resume(p, r, Instant::now());
                }
            }
        }
    }
}

fn reply(a: Answer) -> EapReply {
    match a {
        Answer::Challenge { eap, state } => EapReply::Challenge(
            AccessChallenge::new()
                .with(EapMessage::new(eap))
                .with(State::new(state.to_vec())),
        ),
        Answer::Accept {
            eap,
            identity,
            outer,
            method,
            keys,
        } => {
            // FreeRADIUS's order: the keys, EAP-Success, then User-Name with
            // the EAP identity (what NASes use for accounting).
            let mut accept = AccessAccept::new();
            if let Some(k) = keys {
                // RFC 5216 §2.3 / RFC 2548: the NAS receives with the first
                // half of the MSK, sends with the second.
                accept = accept
                    .with(MsMppeRecvKey::new(k.mppe_recv().to_vec()))
                    .with(MsMppeSendKey::new(k.mppe_send().to_vec()));
            }
            accept = accept.with(EapMessage::new(eap));
            if !outer.is_empty() {
                accept = accept.with(UserName::new(outer.clone()));
            }
            EapReply::Accept {
                accept,
                identity,
                outer,
                method,
            }
        }
        Answer::Reject { eap, reason } => EapReply::Reject {
            reject: AccessReject::new().with(EapMessage::new(eap)),
            reason,
        },
    }
}

/// EAP TLS settings from PEM files: the server's certificate chain and key
/// and, for EAP-TLS, the CA(s) client certificates must chain to. Checks
/// what RadSec's [`TlsConfig`](crate::radsec::TlsConfig) checks: the files
/// parse, the key belongs to the certificate, the CA is a usable anchor.
pub fn tls_from_pem_files(
    cert: impl AsRef<Path>,
    key: impl AsRef<Path>,
    ca: Option<impl AsRef<Path>>,
) -> Result<TlsSettings, TlsConfigError> {
    use crate::radsec::tls::{certs, key_pair, read};
    let cert = read("certificate", cert.as_ref())?;
    let key = read("private key", key.as_ref())?;
    let (key_der, certified) = key_pair(&cert, &key, &rustls::crypto::ring::default_provider())?;
    let mut s = TlsSettings::new(certified.cert.clone(), key_der);
    if let Some(ca) = ca {
        let ca = read("CA", ca.as_ref())?;
        s.client_ca = certs("CA", &ca)?;
        let mut roots = rustls::RootCertStore::empty();
        for c in &s.client_ca {
            roots.add(c.clone()).map_err(|e| TlsConfigError::BadCa {
                origin: ca.origin.clone(),
                detail: e.to_string(),
            })?;
        }
    }
    Ok(s)
}
