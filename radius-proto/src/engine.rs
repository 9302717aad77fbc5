//! The sans-IO server engine: datagram in, event out; reply in, octets out.
//!
//! [`Engine::handle`] takes a datagram, its source and the kind of listener
//! it arrived on and returns an [`Event`]: drop it (with a [`DropReason`],
//! counted and logged at a limited rate), send the octets it wrote (a cached
//! reply to a retransmission, or its own answer to Status-Server), or
//! dispatch a [`Request`] to a handler. [`Engine::complete`] turns the
//! handler's [`Reply`] into octets and caches them for duplicates.
//!
//! Checks, in order: known client; well-formed packet (RFC 2865 §3); a code
//! this listener serves; Request Authenticator (Accounting/CoA/Disconnect)
//! and Message-Authenticator when present (RFC 3579); the BlastRADIUS rules
//! of FreeRADIUS 3.2.5 for Access-Request (client policies
//! `require_message_authenticator` and `limit_proxy_state`; EAP-Message
//! always needs Message-Authenticator); Status-Server must carry
//! Message-Authenticator (RFC 5997 §3); a handler exists; duplicate cache
//! (RFC 5080 §2.2.2).
//!
//! Replies: Message-Authenticator is the first attribute of every reply to
//! an Access-Request or Status-Server (and of other replies when the request
//! had one); Proxy-State attributes are copied in order at the end; the
//! Response Authenticator is computed last.
//!
//! RADIUS/1.1 (RFC 9765, RadSec connections that negotiated ALPN
//! `radius/1.1`, see [`Engine::handle_from_version`]): nothing is checked or
//! computed with the shared secret. No Request Authenticator or
//! Message-Authenticator check (a received Message-Authenticator is
//! ignored), so neither the BlastRADIUS rules nor RFC 5997's
//! Message-Authenticator requirement for Status-Server apply; duplicates are
//! detected by Token; replies carry the request's Token, never a
//! Message-Authenticator, and obfuscated attributes (Tunnel-Password ...)
//! go in clear.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::crypto::batch::{self, Expected};
use radius_core::md5x::Md5Batch;
use radius_core::packet::{DecodeError, UnsignedReply, MESSAGE_AUTHENTICATOR, PROXY_STATE};
use radius_core::typed::{AttrCrypto, CryptoCtx};
use radius_core::{Code, Packet, PacketWriter, RadiusVersion};

use crate::dedup::{DedupCache, DedupKey, Lookup, Ticket};
use crate::host::{Client, HostTable};
use crate::port::{PortKind, Served};
use crate::reply::Reply;
use crate::request::Request;
use crate::stats::{DropReason, LogLimiter, Stats};

/// EAP-Message (RFC 3579).
const EAP_MESSAGE: u8 = 79;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Duplicate cache entries (RFC 5080), default 65536.
    pub dedup_capacity: usize,
    /// How long a reply stays cached, default 30 s.
    pub dedup_ttl: Duration,
    /// Which request codes have handlers.
    pub served: Served,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            dedup_capacity: 65536,
            dedup_ttl: Duration::from_secs(30),
            served: Served::ALL,
        }
    }
}

/// What to do with a datagram.
#[derive(Debug)]
pub enum Event {
    /// Drop it (already counted and, rate-limited, logged).
    Drop(DropReason),
    /// Send the octets written to `out` back to the source: a cached reply
    /// to a retransmission (`cached`) or the answer to Status-Server.
    Send {
        /// Whether the octets came from the duplicate cache.
        cached: bool,
    },
    /// Hand this request to the handler for its code, then call
    /// [`Engine::complete`] with the reply.
    Dispatch(Request),
}

/// What became of a completed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Send the octets written to `out`; this is their code.
    Send(Code),
    /// Send nothing (counted as a drop with the given reason).
    NoReply(DropReason),
}

impl Completion {
    /// Whether there is a reply to send.
    pub fn is_send(&self) -> bool {
        matches!(self, Completion::Send(_))
    }
}

/// The sans-IO engine; see the [module docs](self). Shareable across
/// threads; the duplicate cache sits behind a short-held lock.
pub struct Engine {
    hosts: Arc<HostTable>,
    stats: Arc<Stats>,
    limiter: Arc<LogLimiter>,
    cache: Mutex<DedupCache>,
    served: Served,
}

impl Engine {
    /// A new engine over a host table, with its own counters.
    pub fn new(hosts: HostTable, config: EngineConfig) -> Self {
        Self::with_shared(
            Arc::new(hosts),
            config,
            Arc::new(Stats::new()),
            Arc::new(LogLimiter::default()),
        )
    }

    /// A new engine sharing a host table, counters and log limiter with
    /// others (one engine per worker socket, each with its own cache).
    pub fn with_shared(
        hosts: Arc<HostTable>,
        config: EngineConfig,
        stats: Arc<Stats>,
        limiter: Arc<LogLimiter>,
    ) -> Self {
        Engine {
            hosts,
            stats,
            limiter,
            cache: Mutex::new(DedupCache::new(config.dedup_capacity, config.dedup_ttl)),
            served: config.served,
        }
    }

    /// The counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// The host table.
    pub fn hosts(&self) -> &HostTable {
        &self.hosts
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, DedupCache> {
        // A panic while holding the lock cannot leave the cache inconsistent
        // in a way that matters more than losing the server.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn drop_with(
        &self,
        r: DropReason,
        src: SocketAddr,
        client: Option<&Client>,
        detail: &dyn fmt::Display,
    ) -> Event {
        self.stats.count_drop(r);
        if let Some(suppressed) = self.limiter.allow(r) {
            let name = client.map_or("unknown", |c| c.name());
            tracing::warn!(
                client = name,
                %src,
                reason = r.as_str(),
                suppressed,
                "dropped packet: {detail}"
            );
        }
        Event::Drop(r)
    }

    /// Process one datagram. `out` is cleared and receives the octets to send
    /// for [`Event::Send`].
    pub fn handle(
        &self,
        data: &[u8],
        src: SocketAddr,
        port: PortKind,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Event {
        self.handle_checked(data, src, port, now, out, None)
    }

    /// [`handle`](Self::handle) for a datagram whose authenticators were
    /// computed with its batch by [`precompute`](Self::precompute) (`None`:
    /// computed here, as `handle` does). The outcome is the same; the MD5
    /// work of a whole batch runs in SIMD lanes.
    pub fn handle_checked(
        &self,
        data: &[u8],
        src: SocketAddr,
        port: PortKind,
        now: Instant,
        out: &mut Vec<u8>,
        expected: Option<&Expected>,
    ) -> Event {
        self.stats.received();
        out.clear();
        let Some(client) = self.hosts.lookup(src.ip()) else {
            return self.drop_with(
                DropReason::UnknownClient,
                src,
                None,
                &format_args!("{src} is not in the host table"),
            );
        };
        self.handle_inner(
            data,
            client,
            src,
            port,
            RadiusVersion::V1_0,
            now,
            out,
            expected,
        )
    }

    /// Compute the authenticators (Message-Authenticator, Request
    /// Authenticator digest) that each of `datagrams` must carry, all in one
    /// batch; `out[i]` is for [`handle_checked`](Self::handle_checked) with
    /// datagram `i` (`None` for an unknown client or a malformed packet:
    /// `handle_checked` drops those anyway).
    pub fn precompute(
        &self,
        datagrams: &[(&[u8], SocketAddr)],
        scratch: &mut Md5Batch,
        out: &mut Vec<Option<Expected>>,
    ) {
        let mut index = Vec::with_capacity(datagrams.len());
        let mut items = Vec::with_capacity(datagrams.len());
        for (data, src) in datagrams {
            let check = self
                .hosts
                .lookup(src.ip())
                .and_then(|c| Packet::decode(data).ok().map(|p| p.to_check(c.secret())));
            index.push(check.is_some());
            items.extend(check);
        }
        let mut computed = Vec::with_capacity(items.len());
        batch::expected_for_requests(&items, scratch, &mut computed);
        let mut computed = computed.into_iter();
        out.clear();
        out.extend(
            index
                .into_iter()
                .map(|ok| if ok { computed.next() } else { None }),
        );
    }

    /// Process one packet from a client identified by the caller rather than
    /// by the host table (RadSec: by the connection's certificate and
    /// address). Every other rule is the same as [`handle`](Self::handle).
    pub fn handle_from(
        &self,
        data: &[u8],
        client: &Client,
        src: SocketAddr,
        port: PortKind,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Event {
        self.handle_from_version(data, client, src, port, RadiusVersion::V1_0, now, out)
    }

    /// [`handle_from`](Self::handle_from) for a connection that negotiated
    /// `version` (RadSec with ALPN; RADIUS/1.1 rules in the
    /// [module docs](self)). The dispatched [`Request`] carries the version,
    /// and [`complete`](Self::complete) answers in it.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_from_version(
        &self,
        data: &[u8],
        client: &Client,
        src: SocketAddr,
        port: PortKind,
        version: RadiusVersion,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Event {
        self.stats.received();
        out.clear();
        self.handle_inner(data, client, src, port, version, now, out, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_inner(
        &self,
        data: &[u8],
        client: &Client,
        src: SocketAddr,
        port: PortKind,
        version: RadiusVersion,
        now: Instant,
        out: &mut Vec<u8>,
        expected: Option<&Expected>,
    ) -> Event {
        let packet = match Packet::decode_version(data, version) {
            Ok(p) => p,
            Err(e) => {
                let r = match e {
                    DecodeError::TooShort(_) => DropReason::TooShort,
                    DecodeError::BadLength(_) | DecodeError::Truncated { .. } => {
                        DropReason::BadLength
                    }
                    DecodeError::AttrTooShort { .. } | DecodeError::AttrOverflow { .. } => {
                        DropReason::BadAttributeLength
                    }
                    DecodeError::BadMessageAuthenticatorLength(_) => {
                        DropReason::BadMessageAuthenticator
                    }
                };
                return self.drop_with(r, src, Some(client), &e);
            }
        };
        let code = packet.code();
        if !port.serves(code) {
            return self.drop_with(
                DropReason::WrongCode,
                src,
                Some(client),
                &format_args!("{code} not served on the {port} port"),
            );
        }
        if version.is_v1_1() {
            return self.handle_v1_1(&packet, client, src, port, now, out);
        }
        let verified = match expected {
            Some(e) => packet.verify_request_expected(e),
            None => packet.verify_request(client.secret()),
        };
        let has_ma = match verified {
            Ok(m) => m,
            Err(e) => {
                let r = match e {
                    radius_core::packet::AuthError::RequestAuthenticator => {
                        DropReason::BadRequestAuthenticator
                    }
                    _ => DropReason::BadMessageAuthenticator,
                };
                return self.drop_with(
                    r,
                    src,
                    Some(client),
                    &format_args!("{code} id {}: {e}", packet.identifier()),
                );
            }
        };

        if code == Code::STATUS_SERVER {
            return self.status_server(&packet, has_ma, src, port, client, out);
        }

        if code == Code::ACCESS_REQUEST {
            if has_ma {
                client.saw_message_authenticator();
                // Settle limit_proxy_state = auto on this (first) packet too.
                client.limits_proxy_state(false);
            } else {
                if client.requires_message_authenticator() {
                    return self.drop_with(
                        DropReason::MissingMessageAuthenticator,
                        src,
                        Some(client),
                        &"Access-Request without Message-Authenticator (require_message_authenticator)",
                    );
                }
                let mut has_eap = false;
                let mut has_ps = false;
                for a in packet.attributes() {
                    has_eap |= a.typ == EAP_MESSAGE;
                    has_ps |= a.typ == PROXY_STATE;
                }
                if has_eap {
                    return self.drop_with(
                        DropReason::MissingMessageAuthenticator,
                        src,
                        Some(client),
                        &"Access-Request with EAP-Message but no Message-Authenticator (RFC 3579)",
                    );
                }
                if client.limits_proxy_state(has_ps) && has_ps {
                    return self.drop_with(
                        DropReason::ProxyStateWithoutMessageAuthenticator,
                        src,
                        Some(client),
                        &"Access-Request with Proxy-State but no Message-Authenticator (limit_proxy_state)",
                    );
                }
            }
        }

        let key = DedupKey {
            src,
            port,
            id: packet.identifier(),
            authenticator: *packet.authenticator(),
        };
        match self.dispatch(&packet, client, src, port, key, has_ma, out, now) {
            Ok(mut req) => {
                req.set_keystream(expected.and_then(|e| e.keystream));
                Event::Dispatch(req)
            }
            Err(ev) => ev,
        }
    }

    /// What both versions end with: a handler must exist for the code; the
    /// duplicate cache then answers a retransmission, or gives the first
    /// copy a ticket and it becomes a [`Request`].
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        packet: &Packet<'_>,
        client: &Client,
        src: SocketAddr,
        port: PortKind,
        key: DedupKey,
        has_ma: bool,
        out: &mut Vec<u8>,
        now: Instant,
    ) -> Result<Request, Event> {
        let code = packet.code();
        if !self.served.serves(code) {
            return Err(self.drop_with(
                DropReason::NoHandler,
                src,
                Some(client),
                &format_args!("no handler for {code}"),
            ));
        }
        let ticket = self.dedup(key, code, client, src, out, now)?;
        self.stats.dispatched();
        Ok(Request::new(
            packet.as_bytes(),
            client.clone(),
            src,
            port,
            has_ma,
            Some(ticket),
        ))
    }

    /// RADIUS/1.1 (RFC 9765): no authenticator or Message-Authenticator
    /// checks (TLS authenticates the peer and protects the packet), a
    /// received Message-Authenticator is ignored; duplicates by Token.
    fn handle_v1_1(
        &self,
        packet: &Packet<'_>,
        client: &Client,
        src: SocketAddr,
        port: PortKind,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Event {
        let code = packet.code();
        let token = packet.token();
        if code == Code::STATUS_SERVER {
            let reply = match port {
                PortKind::Auth => Code::ACCESS_ACCEPT,
                _ => Code::ACCOUNTING_RESPONSE,
            };
            let mut w = PacketWriter::v1_1(out, reply, token);
            let r = copy_proxy_state(&mut w, packet)
                .and_then(|_| w.finish(client.secret()).map(|_| ()));
            if let Err(e) = r {
                out.clear();
                return self.drop_with(DropReason::EncodeError, src, Some(client), &e);
            }
            self.stats.status_server();
            return Event::Send { cached: false };
        }
        // Reserved-1 and Reserved-2 are ignored on receipt: the Token alone
        // names the request.
        let mut authenticator = [0; 16];
        authenticator[..4].copy_from_slice(&token.to_be_bytes());
        let key = DedupKey {
            src,
            port,
            id: 0,
            authenticator,
        };
        match self.dispatch(packet, client, src, port, key, false, out, now) {
            Ok(mut req) => {
                req.set_version(RadiusVersion::V1_1);
                Event::Dispatch(req)
            }
            Err(ev) => ev,
        }
    }

    /// Look `key` up in the duplicate cache: a new ticket, or the event for
    /// a retransmission (cached reply, or dropped while in progress).
    fn dedup(
        &self,
        key: DedupKey,
        code: Code,
        client: &Client,
        src: SocketAddr,
        out: &mut Vec<u8>,
        now: Instant,
    ) -> Result<Ticket, Event> {
        let mut cache = self.cache();
        match cache.check(key, now) {
            Lookup::New(t) => Ok(t),
            Lookup::InProgress => {
                drop(cache);
                Err(self.drop_with(
                    DropReason::DuplicateInProgress,
                    src,
                    Some(client),
                    &format_args!("retransmission of {code} id {} still in progress", key.id),
                ))
            }
            Lookup::Cached(bytes) => {
                out.extend_from_slice(bytes);
                drop(cache);
                self.stats.duplicate();
                tracing::debug!(client = client.name(), %src, id = key.id, "retransmission answered from cache");
                Err(Event::Send { cached: true })
            }
        }
    }

    fn status_server(
        &self,
        packet: &Packet<'_>,
        has_ma: bool,
        src: SocketAddr,
        port: PortKind,
        client: &Client,
        out: &mut Vec<u8>,
    ) -> Event {
        if !has_ma {
            return self.drop_with(
                DropReason::MissingMessageAuthenticator,
                src,
                Some(client),
                &"Status-Server without Message-Authenticator (RFC 5997 §3)",
            );
        }
        let code = match port {
            PortKind::Auth => Code::ACCESS_ACCEPT,
            _ => Code::ACCOUNTING_RESPONSE,
        };
        let mut w = PacketWriter::reply(out, code, packet.identifier(), packet.authenticator());
        let r = w
            .message_authenticator()
            .and_then(|_| copy_proxy_state(&mut w, packet))
            .and_then(|_| w.finish(client.secret()).map(|_| ()));
        if let Err(e) = r {
            out.clear();
            return self.drop_with(DropReason::EncodeError, src, Some(client), &e);
        }
        self.stats.status_server();
        Event::Send { cached: false }
    }

    /// Encode `reply` to `req` into `out` (cleared first) without touching
    /// the cache. Failed or mismatched replies fall back to the negative
    /// reply for the request's code.
    pub fn encode_reply(&self, req: &Request, reply: Reply, out: &mut Vec<u8>) -> Completion {
        self.encode_reply_inner(req, reply, out, false).0
    }

    /// [`encode_reply`](Self::encode_reply), but a RADIUS/1.0 reply is left
    /// unsigned and described by the returned [`UnsignedReply`]: sign it
    /// with its batch ([`radius_core::crypto::batch::sign_replies`]), then
    /// [`finish`](Self::finish) it.
    pub fn encode_reply_deferred(
        &self,
        req: &Request,
        reply: Reply,
        out: &mut Vec<u8>,
    ) -> (Completion, Option<UnsignedReply>) {
        self.encode_reply_inner(req, reply, out, true)
    }

    fn encode_reply_inner(
        &self,
        req: &Request,
        reply: Reply,
        out: &mut Vec<u8>,
        defer: bool,
    ) -> (Completion, Option<UnsignedReply>) {
        let code = req.code();
        let reply = match reply {
            Reply::Error(e) => {
                let r = DropReason::NoReply;
                if let Some(suppressed) = self.limiter.allow(r) {
                    tracing::warn!(client = req.client().name(), src = %req.source(), %code,
                        id = req.identifier(), suppressed, "handler error, sending negative reply: {e}");
                }
                negative_reply(code, e.error_cause())
            }
            Reply::NoReply => None,
            r if !reply_matches(code, r.code()) => {
                tracing::error!(client = req.client().name(), %code, id = req.identifier(),
                    "handler answered {code} with {:?}; sending the negative reply instead", r.code());
                negative_reply(code, None)
            }
            r => Some(r),
        };
        let Some(reply) = reply else {
            out.clear();
            return (Completion::NoReply(DropReason::NoReply), None);
        };
        match write_reply(req, &reply, out, defer) {
            Ok((c, u)) => (Completion::Send(c), u),
            Err(e) => {
                tracing::error!(client = req.client().name(), %code, id = req.identifier(),
                    "cannot encode reply ({e}); sending the negative reply instead");
                match negative_reply(code, None) {
                    Some(neg) => match write_reply(req, &neg, out, defer) {
                        Ok((c, u)) => (Completion::Send(c), u),
                        Err(_) => (Completion::NoReply(DropReason::EncodeError), None),
                    },
                    None => (Completion::NoReply(DropReason::EncodeError), None),
                }
            }
        }
    }

    /// Record the outcome of `req` in the duplicate cache (`Some(octets)`
    /// sent, or `None`: nothing sent, so a retransmission is handled afresh)
    /// and count it.
    pub fn finish(&self, req: &Request, sent: Option<(Code, &[u8])>, now: Instant) {
        match sent {
            Some((code, bytes)) => self.finish_sent([(req, code, bytes)], now),
            None => {
                if let Some(t) = req.ticket {
                    self.cache().abandon(t);
                }
            }
        }
    }

    /// [`finish`](Self::finish) for several sent replies under one lock.
    pub fn finish_sent<'r>(
        &self,
        sent: impl IntoIterator<Item = (&'r Request, Code, &'r [u8])>,
        now: Instant,
    ) {
        let mut cache = self.cache();
        for (req, code, bytes) in sent {
            self.stats.replied(code);
            if let Some(t) = req.ticket {
                cache.complete(t, bytes, now);
            }
        }
    }

    /// Drop a dispatched request without an answer (overload, timeout):
    /// count it and forget it in the cache.
    pub fn abandon(&self, req: &Request, r: DropReason) {
        if let Some(t) = req.ticket {
            self.cache().abandon(t);
        }
        self.drop_with(
            r,
            req.source(),
            Some(req.client()),
            &format_args!("{} id {}", req.code(), req.identifier()),
        );
    }

    /// [`encode_reply`](Self::encode_reply) then [`finish`](Self::finish).
    pub fn complete(
        &self,
        req: &Request,
        reply: Reply,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Completion {
        let c = self.encode_reply(req, reply, out);
        match c {
            Completion::Send(code) => self.finish(req, Some((code, out)), now),
            Completion::NoReply(r) => {
                self.finish(req, None, now);
                self.stats.count_drop(r);
            }
        }
        c
    }

    /// The ticket of a dispatched request (for tests).
    pub fn ticket_of(req: &Request) -> Option<Ticket> {
        req.ticket
    }
}

fn reply_matches(req: Code, reply: Option<Code>) -> bool {
    matches!(
        (req, reply),
        (
            Code::ACCESS_REQUEST,
            Some(Code::ACCESS_ACCEPT | Code::ACCESS_REJECT | Code::ACCESS_CHALLENGE)
        ) | (Code::ACCOUNTING_REQUEST, Some(Code::ACCOUNTING_RESPONSE))
            | (Code::COA_REQUEST, Some(Code::COA_ACK | Code::COA_NAK))
            | (
                Code::DISCONNECT_REQUEST,
                Some(Code::DISCONNECT_ACK | Code::DISCONNECT_NAK)
            )
    )
}

/// The RFC's negative reply for a request code.
fn negative_reply(code: Code, cause: Option<u32>) -> Option<Reply> {
    use crate::reply::{rfc, AccessReject, CoaNak, DisconnectNak};
    match code {
        Code::ACCESS_REQUEST => Some(AccessReject::new().into()),
        Code::COA_REQUEST => {
            let mut r = CoaNak::new();
            if let Some(c) = cause {
                r.add(rfc::ErrorCause::new(c));
            }
            Some(r.into())
        }
        Code::DISCONNECT_REQUEST => {
            let mut r = DisconnectNak::new();
            if let Some(c) = cause {
                r.add(rfc::ErrorCause::new(c));
            }
            Some(r.into())
        }
        // RFC 2866: no Accounting-Response unless the record is stored.
        _ => None,
    }
}

fn copy_proxy_state(
    w: &mut PacketWriter<'_>,
    packet: &Packet<'_>,
) -> Result<(), radius_core::EncodeError> {
    for a in packet.attributes() {
        if a.typ == PROXY_STATE {
            w.attr(PROXY_STATE, a.value)?;
        }
    }
    Ok(())
}

/// Write `reply` to `out`: signed, or (with `defer`) unsigned and described.
fn write_reply(
    req: &Request,
    reply: &Reply,
    out: &mut Vec<u8>,
    defer: bool,
) -> Result<(Code, Option<UnsignedReply>), radius_core::EncodeError> {
    let code = reply.code().expect("only sendable replies are written");
    let attrs = reply.attrs().expect("only sendable replies are written");
    let packet = req.packet();
    let secret = req.client().secret();
    let (mut w, crypto) = match req.token() {
        // RADIUS/1.1: same Token, no Message-Authenticator, nothing obfuscated.
        Some(token) => (PacketWriter::v1_1(out, code, token), AttrCrypto::Clear),
        None => {
            let mut w = PacketWriter::reply(out, code, req.identifier(), req.authenticator());
            if req.code() == Code::ACCESS_REQUEST || req.has_message_authenticator() {
                w.message_authenticator()?;
            }
            let ctx = CryptoCtx {
                secret,
                authenticator: req.authenticator(),
            };
            (w, AttrCrypto::Obfuscated(ctx))
        }
    };
    // Encode the handler's attributes straight into the packet.
    if !attrs.is_empty() {
        w.append_with(|buf| {
            let start = buf.len();
            attrs.write_with(buf, &crypto)?;
            // Never let a handler add its own Message-Authenticator or
            // Proxy-State: drop them (rare, so only then copy).
            let foreign = |a: &radius_core::attr::RawAttr<'_>| {
                a.typ == MESSAGE_AUTHENTICATOR || a.typ == PROXY_STATE
            };
            if radius_core::attr::Attributes::new(&buf[start..]).any(|a| foreign(&a)) {
                let theirs = buf.split_off(start);
                for a in radius_core::attr::Attributes::new(&theirs).filter(|a| !foreign(a)) {
                    buf.push(a.typ);
                    buf.push(2 + a.value.len() as u8);
                    buf.extend_from_slice(a.value);
                }
            }
            Ok(())
        })?;
    }
    copy_proxy_state(&mut w, &packet)?;
    if defer {
        return Ok((code, w.finish_or_defer(secret)?));
    }
    w.finish(secret)?;
    Ok((code, None))
}
