//! The EAP authenticator: conversations keyed by the RADIUS State
//! attribute, bounded in number and in time, each running one method.
//!
//! A conversation is taken out of the table for each round and put back
//! under a fresh State, so a State works once: a replayed or foreign State
//! finds nothing and is refused, and no lock is held while TLS runs. An
//! identical retransmission of a round never reaches here: the engine's
//! duplicate cache answers it with the cached reply.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rustls_pki_types::CertificateDer;

use super::keys::Keys;
use super::md5::{self, Md5};
use super::packet::{self, Packet};
use super::tls::{TlsConfigs, TlsOut, TlsRun};
use super::{Credential, InnerMethod, Method, IDENTITY, NAK, RESPONSE};

/// Settings of an [`EapServer`].
#[derive(Debug, Clone)]
pub struct EapConfig {
    /// Methods offered, first choice first; a peer may Nak to any other.
    pub methods: Vec<Method>,
    /// TLS for EAP-TLS, PEAP and TTLS (required when `methods` has them).
    pub tls: Option<TlsConfigs>,
    /// Most TLS octets per EAP-Request (default 1000, so that a RADIUS
    /// packet with EAP-Message and the other attributes fits a 1500-octet
    /// MTU).
    pub fragment_size: usize,
    /// Most octets of one reassembled peer TLS message (default 64 KiB).
    pub max_message: usize,
    /// Most conversations in progress (default 4096).
    pub max_sessions: usize,
    /// How long a conversation waits for the peer's next round (default
    /// 30 s).
    pub timeout: Duration,
    /// How long a completed PEAP/TTLS session may be resumed without
    /// phase 2 (default 24 h, FreeRADIUS's cache lifetime).
    pub resumption_lifetime: Duration,
    /// Most remembered completed sessions (default 4096).
    pub max_resumptions: usize,
}

impl Default for EapConfig {
    fn default() -> Self {
        EapConfig {
            methods: vec![Method::Md5],
            tls: None,
            fragment_size: 1000,
            max_message: 64 * 1024,
            max_sessions: 4096,
            timeout: Duration::from_secs(30),
            resumption_lifetime: Duration::from_secs(24 * 3600),
            max_resumptions: 4096,
        }
    }
}

/// Why an [`EapConfig`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EapConfigError {
    /// No method to offer.
    #[error("no EAP method configured")]
    NoMethods,
    /// A TLS-based method without TLS settings.
    #[error("EAP method {0} needs a certificate and key")]
    NeedsTls(&'static str),
    /// EAP-TLS without a CA for client certificates.
    #[error("EAP-TLS needs a CA that client certificates chain to")]
    NeedsCa,
}

/// A finished round.
#[derive(Debug)]
pub enum Answer {
    /// Access-Challenge with this EAP-Message and State.
    Challenge {
        /// The EAP-Request.
        eap: Vec<u8>,
        /// State for the peer to echo.
        state: [u8; 16],
    },
    /// Access-Accept with this EAP-Message (EAP-Success).
    Accept {
        /// EAP-Success.
        eap: Vec<u8>,
        /// Who was authenticated: the inner identity of PEAP and TTLS,
        /// else the EAP identity.
        identity: String,
        /// The outer EAP identity (often anonymous).
        outer: String,
        /// The method that succeeded.
        method: Method,
        /// MSK/EMSK for MS-MPPE-Recv-Key / MS-MPPE-Send-Key (TLS methods).
        keys: Option<Keys>,
    },
    /// Access-Reject with this EAP-Message (EAP-Failure).
    Reject {
        /// EAP-Failure.
        eap: Vec<u8>,
        /// Why, for the log (never sent to the peer).
        reason: String,
    },
}

/// What the caller must supply before the conversation can go on.
#[derive(Debug)]
pub enum Need {
    /// The credential of `identity`.
    Credential {
        /// The (inner) identity to look up.
        identity: String,
        /// The outer EAP identity.
        outer: String,
        /// The method that will check it.
        method: InnerMethod,
    },
    /// EAP-TLS: whether this verified client certificate chain (end
    /// entity first) may log in.
    Certificate {
        /// The chain the peer presented, verified against the CA.
        chain: Vec<CertificateDer<'static>>,
        /// The outer EAP identity.
        outer: String,
    },
}

/// The caller's answer to a [`Need`].
#[derive(Debug)]
pub enum Resolution {
    /// For [`Need::Credential`].
    Credential(Credential),
    /// For [`Need::Certificate`]: allow or deny.
    Certificate(bool),
}

/// A conversation waiting for the caller (see [`EapServer::resume`]).
#[derive(Debug)]
pub struct Pending {
    session: Session,
    need: Need,
}

impl Pending {
    /// What is needed.
    pub fn need(&self) -> &Need {
        &self.need
    }
}

/// One round's outcome.
#[derive(Debug)]
pub enum Step {
    /// Answer the Access-Request.
    Done(Answer),
    /// Look something up, then [`EapServer::resume`].
    Pending(Pending),
}

#[derive(Debug)]
enum Run {
    Md5(Md5),
    Tls(Box<TlsRun>),
}

#[derive(Debug)]
struct Session {
    /// Identifier of the last request sent.
    id: u8,
    outer: String,
    method: Method,
    run: Run,
    /// A Start (or MD5 challenge) was sent and nothing else yet: a Nak
    /// may switch methods.
    fresh: bool,
    /// Methods already tried in this conversation.
    tried: Vec<Method>,
    at: Instant,
}

/// The EAP authenticator (see the module docs).
#[derive(Debug)]
pub struct EapServer {
    cfg: EapConfig,
    sessions: Mutex<HashMap<[u8; 16], Session>>,
    /// Tunnel sessions that completed phase 2: their TLS session token ->
    /// (inner identity, when).
    completed: Mutex<HashMap<Vec<u8>, (String, Instant)>>,
}

impl EapServer {
    /// A server under `cfg`, validated.
    pub fn new(cfg: EapConfig) -> Result<EapServer, EapConfigError> {
        if cfg.methods.is_empty() {
            return Err(EapConfigError::NoMethods);
        }
        for m in &cfg.methods {
            match (m, &cfg.tls) {
                (Method::Md5, _) => {}
                (m, None) => return Err(EapConfigError::NeedsTls(m.name())),
                (Method::Tls, Some(t)) if t.mutual.is_none() => {
                    return Err(EapConfigError::NeedsCa)
                }
                _ => {}
            }
        }
        Ok(EapServer {
            cfg,
            sessions: Mutex::new(HashMap::new()),
            completed: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EapConfig {
        &self.cfg
    }

    /// Conversations in progress (waiting for the peer).
    pub fn in_progress(&self) -> usize {
        self.table().len()
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 16], Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answer one Access-Request: its (joined) EAP-Message and its State.
    pub fn step(&self, eap: &[u8], state: Option<&[u8]>, now: Instant) -> Step {
        let p = match Packet::parse(eap) {
            Ok(p) if p.code == RESPONSE => p,
            Ok(p) => return reject(p.id, "EAP packet is not a Response"),
            Err(e) => return reject(0, &e.to_string()),
        };
        let typ = p.typ.unwrap_or(0);
        let Some(state) = state else {
            if typ != IDENTITY {
                return reject(p.id, "EAP conversation must start with an Identity");
            }
            let outer = String::from_utf8_lossy(p.data).into_owned();
            return self.start(self.cfg.methods[0], outer, p.id, Vec::new(), now);
        };
        let Some(mut s) = self.take(state, now) else {
            return reject(p.id, "unknown, used or expired State");
        };
        if p.id != s.id {
            return reject(p.id, "EAP Identifier does not answer the last request");
        }
        if typ == NAK && s.fresh {
            // RFC 3748 §5.3.1: the peer lists the types it wants.
            s.tried.push(s.method);
            let next = p.data.iter().find_map(|&t| {
                Method::from_typ(t).filter(|m| self.cfg.methods.contains(m) && !s.tried.contains(m))
            });
            return match next {
                Some(m) => self.start(m, s.outer, p.id, s.tried, now),
                None => reject(p.id, "peer refused every offered EAP method"),
            };
        }
        if typ != s.method.typ() {
            return reject(p.id, "EAP type differs from the method in progress");
        }
        s.fresh = false;
        let out = match &mut s.run {
            Run::Md5(m) => match m.receive(p.data) {
                Ok(()) => {
                    return Step::Pending(Pending {
                        need: Need::Credential {
                            identity: s.outer.clone(),
                            outer: s.outer.clone(),
                            method: InnerMethod::Md5,
                        },
                        session: s,
                    })
                }
                Err(e) => return reject(p.id, e),
            },
            Run::Tls(t) => t.receive(p.data, &|token| self.recall(token, now)),
        };
        self.tls_out(s, out, now)
    }

    /// Continue a conversation with what it asked for.
    pub fn resume(&self, pending: Pending, r: Resolution, now: Instant) -> Step {
        let Pending { mut session, need } = pending;
        let id = session.id;
        let out = match (&mut session.run, need, r) {
            (Run::Md5(m), _, Resolution::Credential(c)) => {
                let ok = m.check(id, &c);
                return if ok {
                    Step::Done(Answer::Accept {
                        eap: packet::success(id),
                        identity: session.outer.clone(),
                        outer: session.outer,
                        method: Method::Md5,
                        keys: None,
                    })
                } else {
                    reject(id, "wrong password")
                };
            }
            (Run::Tls(t), Need::Credential { .. }, Resolution::Credential(c)) => t.resolve(&c),
            (Run::Tls(t), Need::Certificate { .. }, Resolution::Certificate(ok)) => {
                t.authorized(ok)
            }
            _ => return reject(id, "resolution does not answer what was needed"),
        };
        self.tls_out(session, out, now)
    }

    fn tls_out(&self, mut s: Session, out: TlsOut, now: Instant) -> Step {
        match out {
            TlsOut::Send(d) => {
                let answering = s.id;
                s.id = s.id.wrapping_add(1);
                let eap = packet::request(s.id, s.method.typ(), &d);
                self.challenge(s, eap, answering, now)
            }
            TlsOut::Lookup { identity, method } => Step::Pending(Pending {
                need: Need::Credential {
                    identity,
                    outer: s.outer.clone(),
                    method,
                },
                session: s,
            }),
            TlsOut::Authorize => {
                let chain = match &s.run {
                    Run::Tls(t) => t.peer_chain(),
                    Run::Md5(_) => Vec::new(),
                };
                Step::Pending(Pending {
                    need: Need::Certificate {
                        chain,
                        outer: s.outer.clone(),
                    },
                    session: s,
                })
            }
            TlsOut::Success {
                identity,
                keys,
                token,
            } => {
                if let Some(t) = token {
                    self.remember(t, &identity, now);
                }
                if let Run::Tls(t) = &s.run {
                    tracing::debug!(method = s.method.name(), version = ?t.version(), "EAP success");
                }
                let identity = if identity.is_empty() {
                    s.outer.clone()
                } else {
                    identity
                };
                Step::Done(Answer::Accept {
                    eap: packet::success(s.id),
                    identity,
                    outer: s.outer,
                    method: s.method,
                    keys: Some(keys),
                })
            }
            TlsOut::Failure(reason) => Step::Done(Answer::Reject {
                eap: packet::failure(s.id),
                reason,
            }),
        }
    }

    /// Start `method` in answer to the response with Identifier `id`.
    fn start(
        &self,
        method: Method,
        outer: String,
        id: u8,
        tried: Vec<Method>,
        now: Instant,
    ) -> Step {
        let (run, data) = match method {
            Method::Md5 => {
                let (m, d) = Md5::start();
                (Run::Md5(m), d)
            }
            m => {
                let Some(tls) = &self.cfg.tls else {
                    return reject(id, "no TLS configuration");
                };
                let cfg = match (m, &tls.mutual) {
                    (Method::Tls, Some(c)) => c.clone(),
                    (Method::Tls, None) => return reject(id, "EAP-TLS is not configured"),
                    _ => tls.tunnel.clone(),
                };
                match TlsRun::start(m, cfg, self.cfg.fragment_size, self.cfg.max_message) {
                    Ok((t, d)) => (Run::Tls(Box::new(t)), d),
                    Err(e) => return reject(id, &e.to_string()),
                }
            }
        };
        debug_assert!(method != Method::Md5 || md5::TYPE == method.typ());
        let next = id.wrapping_add(1);
        let s = Session {
            id: next,
            outer,
            method,
            run,
            fresh: true,
            tried,
            at: now,
        };
        let eap = packet::request(next, method.typ(), &data);
        self.challenge(s, eap, id, now)
    }

    /// Store `s` under a fresh State and answer the response with
    /// Identifier `answering` with `eap`.
    fn challenge(&self, mut s: Session, eap: Vec<u8>, answering: u8, now: Instant) -> Step {
        let state = radius_core::crypto::random_authenticator();
        s.at = now;
        {
            let mut t = self.table();
            if t.len() >= self.cfg.max_sessions {
                let ttl = self.cfg.timeout;
                t.retain(|_, s| now.saturating_duration_since(s.at) < ttl);
                if t.len() >= self.cfg.max_sessions {
                    return reject(answering, "too many EAP conversations in progress");
                }
            }
            t.insert(state, s);
        }
        Step::Done(Answer::Challenge { eap, state })
    }

    /// Who completed phase 2 in the TLS session with this token, if that
    /// was within the resumption lifetime.
    fn recall(&self, token: &[u8], now: Instant) -> Option<String> {
        let c = self.completed.lock().unwrap_or_else(|p| p.into_inner());
        let (identity, at) = c.get(token)?;
        (now.saturating_duration_since(*at) < self.cfg.resumption_lifetime)
            .then(|| identity.clone())
    }

    fn remember(&self, token: Vec<u8>, identity: &str, now: Instant) {
        let mut c = self.completed.lock().unwrap_or_else(|p| p.into_inner());
        if c.len() >= self.cfg.max_resumptions {
            let life = self.cfg.resumption_lifetime;
            c.retain(|_, (_, at)| now.saturating_duration_since(*at) < life);
            if c.len() >= self.cfg.max_resumptions {
                // Full of live entries: forget the oldest.
                if let Some(k) = c
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(k, _)| k.clone())
                {
                    c.remove(&k);
                }
            }
        }
        c.insert(token, (identity.to_owned(), now));
    }

    /// Remove and return the live conversation under `state`.
    fn take(&self, state: &[u8], now: Instant) -> Option<Session> {
        let key: [u8; 16] = state.try_into().ok()?;
        let s = self.table().remove(&key)?;
        (now.saturating_duration_since(s.at) < self.cfg.timeout).then_some(s)
    }

    /// Drop conversations idle past the timeout; returns how many.
    pub fn expire(&self, now: Instant) -> usize {
        let ttl = self.cfg.timeout;
        let mut t = self.table();
        let before = t.len();
        t.retain(|_, s| now.saturating_duration_since(s.at) < ttl);
        before - t.len()
    }

    /// Octets the conversations in progress buffer in their record layers
    /// (TLS state itself not included), for memory reports.
    pub fn buffered(&self) -> usize {
        self.table()
            .values()
            .map(|s| match &s.run {
                Run::Tls(t) => t.held(),
                Run::Md5(_) => 0,
            })
            .sum()
    }
}

fn reject(id: u8, reason: &str) -> Step {
    Step::Done(Answer::Reject {
        eap: packet::failure(id),
        reason: reason.to_owned(),
    })
}
