//! The TLS-based methods — EAP-TLS (RFC 5216, RFC 9190), PEAPv0 and
//! EAP-TTLS (RFC 5281; both over TLS 1.3 per RFC 9427) — share one
//! driver: [`Frames`] carries TLS records in EAP packets, [`TlsConn`]
//! runs rustls in memory, and once the handshake is done EAP-TLS ends
//! (after the TLS 1.3 commitment message) while PEAP and TTLS hand the
//! tunnel's data to their phase-2 machine.

mod config;
mod conn;
mod frame;
mod hello;

use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::CertificateDer;

pub use config::{TlsConfigs, TlsSettings, TlsSetupError, TlsVersion};
pub use conn::{TlsConn, TlsError};
pub use frame::{FrameError, Frames, Inbound, FLAG_LENGTH, FLAG_MORE, FLAG_START, VERSION_MASK};

use super::keys::Keys;
use super::peap::Peap;
use super::ttls::Ttls;
use super::tunnel::{InnerOut, Phase2};
use super::{Credential, InnerMethod, Method};

/// The driver's answer to one peer response.
#[derive(Debug)]
pub(crate) enum TlsOut {
    /// Send an EAP-Request of the method's type with this Type-Data.
    Send(Vec<u8>),
    /// The inner method needs `identity`'s credential.
    Lookup {
        /// Inner identity.
        identity: String,
        /// Inner method.
        method: InnerMethod,
    },
    /// EAP-TLS: the handshake verified a client certificate; authorize it
    /// ([`TlsRun::peer_chain`]) and call [`TlsRun::authorized`].
    Authorize,
    /// Done: EAP-Success with these keys.
    Success {
        /// Inner identity (PEAP, TTLS) or empty (EAP-TLS).
        identity: String,
        /// MSK and EMSK.
        keys: Keys,
        /// The key of this TLS session (PEAP, TTLS): remember that it
        /// completed phase 2 as `identity`, for resumption.
        token: Option<Vec<u8>>,
    },
    /// Done: EAP-Failure.
    Failure(String),
}

/// One TLS-based method conversation.
pub(crate) struct TlsRun {
    method: Method,
    conn: TlsConn,
    frames: Frames,
    established: bool,
    authorized: bool,
    committed: bool,
    inner: Option<Box<dyn Phase2 + Send>>,
    /// Random token stored with the TLS session (rustls resumption data,
    /// TLS 1.3), so that a resumed session can be tied to the phase 2 it
    /// completed.
    token: [u8; 16],
    /// TLS 1.2: the session ID the client offered and the one the server
    /// assigned (the same key, as [`hello`] explains).
    offered: Option<Vec<u8>>,
    assigned: Option<Vec<u8>>,
    first: bool,
}

/// Looks up the identity that completed phase 2 in the TLS session with
/// this key.
pub(crate) type Recall<'a> = &'a dyn Fn(&[u8]) -> Option<String>;

impl std::fmt::Debug for TlsRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsRun")
            .field("method", &self.method)
            .field("established", &self.established)
            .finish_non_exhaustive()
    }
}

/// Version bits the server offers in its Start: PEAPv0 and TTLSv0.
const VERSION: u8 = 0;

impl TlsRun {
    /// A new conversation of `method` and its Start request's Type-Data.
    pub(crate) fn start(
        method: Method,
        config: Arc<ServerConfig>,
        fragment: usize,
        max_in: usize,
    ) -> Result<(TlsRun, Vec<u8>), TlsError> {
        let token = radius_core::crypto::random_authenticator();
        let mut conn = TlsConn::new(config)?;
        if method != Method::Tls {
            conn.set_resumption_data(&token);
        }
        let run = TlsRun {
            token,
            offered: None,
            assigned: None,
            first: true,
            method,
            conn,
            frames: Frames::new(fragment, max_in),
            established: false,
            authorized: method != Method::Tls,
            committed: false,
            inner: None,
        };
        Ok((run, vec![FLAG_START | VERSION]))
    }

    /// The peer's Type-Data.
    pub(crate) fn receive(&mut self, data: &[u8], recall: Recall<'_>) -> TlsOut {
        match self.frames.receive(data) {
            Err(e) => TlsOut::Failure(e.to_string()),
            Ok(Inbound::More) => TlsOut::Send(Frames::ack(VERSION)),
            Ok(Inbound::Ack) if self.frames.sending() => {
                TlsOut::Send(self.frames.next_fragment(VERSION))
            }
            Ok(Inbound::Ack) => self.advance(None, recall),
            Ok(Inbound::Message(m)) => self.advance(Some(&m), recall),
        }
    }

    /// The peer's certificate chain as verified (EAP-TLS), end entity first.
    pub(crate) fn peer_chain(&self) -> Vec<CertificateDer<'static>> {
        self.conn
            .peer_certificates()
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    /// The negotiated TLS version, for logs.
    pub(crate) fn version(&self) -> Option<rustls::ProtocolVersion> {
        self.conn.version()
    }

    /// The authorization decision asked for by [`TlsOut::Authorize`].
    pub(crate) fn authorized(&mut self, ok: bool) -> TlsOut {
        if !ok {
            return TlsOut::Failure("client certificate not authorized".into());
        }
        self.authorized = true;
        self.after_handshake()
    }

    /// The credential asked for by [`TlsOut::Lookup`].
    pub(crate) fn resolve(&mut self, cred: &Credential) -> TlsOut {
        match self.inner.as_mut() {
            Some(inner) => {
                let out = inner.resolve(cred);
                self.inner_out(out)
            }
            None => TlsOut::Failure("credential without an inner method".into()),
        }
    }

    /// Feed a whole TLS message (or nothing, for an ACK) and decide.
    fn advance(&mut self, input: Option<&[u8]>, recall: Recall<'_>) -> TlsOut {
        if let Some(m) = input {
            if std::mem::take(&mut self.first) {
                self.offered = hello::session_id(m, hello::CLIENT_HELLO);
            }
            if let Err(e) = self.conn.feed(m) {
                return TlsOut::Failure(e.to_string());
            }
        }
        if self.conn.handshaking() {
            return self.flush().unwrap_or_else(|| {
                TlsOut::Failure("TLS handshake stalled: peer sent nothing to answer".into())
            });
        }
        if !self.established {
            self.established = true;
            // A resumed tunnel: who completed phase 2 in the original session
            // (none if it never did, or too long ago).
            let recalled = if self.conn.resumed() {
                self.session_key().and_then(|k| recall(&k))
            } else {
                None
            };
            self.inner = match self.method {
                Method::Peap => Some(Box::new(Peap::new())),
                Method::Ttls => {
                    let mut implicit = [0u8; 17];
                    if let Err(e) = self.conn.export(b"ttls challenge", &mut implicit) {
                        return TlsOut::Failure(e.to_string());
                    }
                    Some(Box::new(Ttls::new(implicit, self.conn.resumed(), recalled)))
                }
                _ => None,
            };
            if !self.authorized {
                return TlsOut::Authorize;
            }
        }
        self.after_handshake()
    }

    /// This TLS session's key for the completed-phase-2 table: TLS 1.3,
    /// the token in its resumption data; TLS 1.2, its session ID.
    fn session_key(&self) -> Option<Vec<u8>> {
        if self.conn.tls13() {
            if self.conn.resumed() {
                return self.conn.resumption_data().map(<[u8]>::to_vec);
            }
            return Some(self.token.to_vec());
        }
        if self.conn.resumed() {
            self.offered.clone()
        } else {
            self.assigned.clone()
        }
    }

    /// Queue what rustls has to send and return its first fragment.
    fn flush(&mut self) -> Option<TlsOut> {
        let out = self.conn.drain();
        if self.assigned.is_none() && self.conn.handshaking() {
            self.assigned = hello::session_id(&out, hello::SERVER_HELLO);
        }
        if out.is_empty() && !self.frames.sending() {
            return None;
        }
        self.frames.queue(out);
        Some(TlsOut::Send(self.frames.next_fragment(VERSION)))
    }

    fn after_handshake(&mut self) -> TlsOut {
        if self.method == Method::Tls {
            // RFC 9190 §2.5: after the handshake (and any tickets) a TLS 1.3
            // server sends one octet of application data, 0x00, to commit
            // to sending no more handshake messages.
            if self.conn.tls13() && !self.committed {
                self.committed = true;
                self.conn.write_plain(&[0]);
            }
            if let Some(send) = self.flush() {
                return send;
            }
            return self.success(String::new());
        }
        let plain = self.conn.read_plain();
        if plain.is_empty() {
            // Send what TLS still has (Finished, tickets) before phase 2.
            if let Some(send) = self.flush() {
                return send;
            }
        }
        let out = match self.inner.as_mut() {
            Some(inner) if !plain.is_empty() => inner.receive(&plain),
            Some(inner) => inner.on_ack(),
            None => return TlsOut::Failure("tunnel without a phase 2".into()),
        };
        self.inner_out(out)
    }

    fn inner_out(&mut self, out: InnerOut) -> TlsOut {
        match out {
            InnerOut::Send(plain) => {
                self.conn.write_plain(&plain);
                self.flush()
                    .unwrap_or_else(|| TlsOut::Failure("TLS refused the tunnel data".into()))
            }
            InnerOut::Lookup { identity, method } => TlsOut::Lookup { identity, method },
            InnerOut::Success(identity) => self.success(identity),
            InnerOut::Failure(why) => TlsOut::Failure(why.into()),
        }
    }

    fn success(&mut self, identity: String) -> TlsOut {
        let token = if self.method == Method::Tls {
            None
        } else {
            self.session_key()
        };
        match self.conn.keys(self.method.typ()) {
            Ok(keys) => TlsOut::Success {
                identity,
                keys,
                token,
            },
            Err(e) => TlsOut::Failure(e.to_string()),
        }
    }

    /// Octets buffered by the record layer, for memory accounting.
    pub(crate) fn held(&self) -> usize {
        self.frames.held()
    }
}
