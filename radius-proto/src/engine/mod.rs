//! The sans-IO server engine: an incoming packet in, an [`Event`] out; a
//! handler's [`Reply`](crate::reply::Reply) in, octets out.
//!
//! [`Engine::handle`] takes an [`Incoming`] packet (its octets, source,
//! listener and, for RadSec, the client the connection identified) and
//! `now`, and returns an [`Event`]: drop it (with a [`DropReason`], counted
//! and logged at a limited rate; a BlastRADIUS drop at warn once per NAS
//! and rule, see `blastradius.rs`), send the octets it wrote (a cached reply
//! to a retransmission, or its own answer to Status-Server), or dispatch a
//! [`Request`] to a handler. [`Engine::complete`] turns the handler's
//! [`Reply`](crate::reply::Reply) into octets and caches them for
//! duplicates (the reply path is in `reply.rs`).
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
//! `radius/1.1`, see [`Incoming::from_client`]): nothing is checked or
//! computed with the shared secret. No Request Authenticator or
//! Message-Authenticator check (a received Message-Authenticator is
//! ignored), so neither the BlastRADIUS rules nor RFC 5997's
//! Message-Authenticator requirement for Status-Server apply; duplicates are
//! detected by Token; replies carry the request's Token, never a
//! Message-Authenticator, and obfuscated attributes (Tunnel-Password ...)
//! go in clear.
//!
//! The engine never reads a clock: every entry point takes `now`.

mod blastradius;
mod reply;
mod statistics;

pub use reply::Completion;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::crypto::batch::{self, Expected};
use radius_core::md5x::Md5Batch;
use radius_core::packet::{AuthError, DecodeError};
use radius_core::typed::std_type;
use radius_core::{Code, Packet, PacketWriter, RadiusVersion};
use radius_dict::prelude::{EapMessage, ProxyState};

use crate::dedup::{DedupCache, DedupKey, Lookup, Ticket};
use crate::host::{Client, HostTable};
use crate::live_hosts::LiveHosts;
use crate::port::{PortKind, Served};
use crate::request::Request;
use crate::stats::{DropReason, LogLimiter, Stats};

const EAP_MESSAGE: u8 = std_type::<EapMessage>();
const PROXY_STATE: u8 = std_type::<ProxyState>();

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

/// One packet as it arrived: what [`Engine::handle`] takes.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    data: &'a [u8],
    src: SocketAddr,
    port: PortKind,
    origin: Origin<'a>,
    expected: Option<&'a Expected>,
}

/// Who sent it: looked up in the host table by address (UDP), or already
/// identified by the transport (a RadSec connection's certificate).
#[derive(Debug, Clone, Copy)]
enum Origin<'a> {
    HostTable,
    Client(&'a Client, RadiusVersion),
}

impl<'a> Incoming<'a> {
    /// A datagram from `src` on a `port` listener; the client is looked up
    /// in the host table by address.
    pub fn datagram(data: &'a [u8], src: SocketAddr, port: PortKind) -> Self {
        Incoming {
            data,
            src,
            port,
            origin: Origin::HostTable,
            expected: None,
        }
    }

    /// A packet from a client the transport identified (RadSec: by the
    /// connection's certificate and address) on a connection speaking
    /// `version` (RADIUS/1.1 rules in the [module docs](self)).
    pub fn from_client(
        data: &'a [u8],
        client: &'a Client,
        src: SocketAddr,
        port: PortKind,
        version: RadiusVersion,
    ) -> Self {
        Incoming {
            data,
            src,
            port,
            origin: Origin::Client(client, version),
            expected: None,
        }
    }

    /// The authenticators this packet must carry, computed with its batch
    /// by [`Engine::precompute`] (`None`: computed by `handle`). The outcome
    /// is the same; the MD5 work of a whole batch runs in SIMD lanes.
    pub fn with_expected(mut self, expected: Option<&'a Expected>) -> Self {
        self.expected = expected;
        self
    }
}

/// What to do with an incoming packet.
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

/// The sans-IO engine; see the [module docs](self). Shareable across
/// threads; the duplicate cache sits behind a short-held lock.
pub struct Engine {
    hosts: LiveHosts,
    stats: Arc<Stats>,
    limiter: Arc<LogLimiter>,
    cache: Mutex<DedupCache>,
    served: Served,
}

/// The facts about one packet that every check and log line needs.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    client: &'a Client,
    src: SocketAddr,
    port: PortKind,
    now: Instant,
}

impl Engine {
    /// A new engine over a host table, with its own counters.
    pub fn new(hosts: HostTable, config: EngineConfig) -> Self {
        Self::with_shared(
            LiveHosts::new(hosts),
            config,
            Arc::new(Stats::new()),
            Arc::new(LogLimiter::default()),
        )
    }

    /// A new engine sharing a host table, counters and log limiter with
    /// others (one engine per worker socket, each with its own cache).
    pub fn with_shared(
        hosts: LiveHosts,
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

    /// The host table now.
    pub fn hosts(&self) -> Arc<HostTable> {
        self.hosts.load_full()
    }

    /// The replaceable host table (see [`LiveHosts::replace`]).
    pub fn live_hosts(&self) -> &LiveHosts {
        &self.hosts
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, DedupCache> {
        // A panic while holding the lock cannot leave the cache inconsistent
        // in a way that matters more than losing the server.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count a drop and log it at a limited rate.
    fn drop_with(
        &self,
        r: DropReason,
        src: SocketAddr,
        client: Option<&Client>,
        now: Instant,
        detail: &dyn fmt::Display,
    ) -> Event {
        self.stats.count_drop(r);
        if let Some(suppressed) = self.limiter.allow(r, now) {
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

    fn drop_at(&self, r: DropReason, cx: Ctx<'_>, detail: &dyn fmt::Display) -> Event {
        self.drop_with(r, cx.src, Some(cx.client), cx.now, detail)
    }

    /// Process one incoming packet at `now`. `out` is cleared and receives
    /// the octets to send for [`Event::Send`].
    pub fn handle(&self, incoming: Incoming<'_>, now: Instant, out: &mut Vec<u8>) -> Event {
        self.stats.received();
        out.clear();
        let Incoming {
            data,
            src,
            port,
            origin,
            expected,
        } = incoming;
        let hosts = self.hosts.load();
        // A RadSec connection's client: TLS authenticated the peer and
        // protects every packet, so the UDP BlastRADIUS rules do not apply
        // (as on FreeRADIUS's TLS listeners).
        let over_tls = matches!(origin, Origin::Client(..));
        let (client, version) = match origin {
            Origin::Client(c, v) => (c, v),
            Origin::HostTable => match hosts.lookup(src.ip()) {
                Some(c) => (c, RadiusVersion::V1_0),
                None => {
                    return self.drop_with(
                        DropReason::UnknownClient,
                        src,
                        None,
                        now,
                        &format_args!("{src} is not in the host table"),
                    )
                }
            },
        };
        let cx = Ctx {
            client,
            src,
            port,
            now,
        };
        let packet = match Packet::decode_version(data, version) {
            Ok(p) => p,
            Err(e) => return self.drop_at(decode_drop_reason(&e), cx, &e),
        };
        let code = packet.code();
        if !port.serves(code) {
            return self.drop_at(
                DropReason::WrongCode,
                cx,
                &format_args!("{code} not served on the {port} port"),
            );
        }
        if version.is_v1_1() {
            return self.handle_v1_1(&packet, cx, out);
        }
        // A retransmission is answered (or dropped) before any MD5: an
        // exact copy carries the authenticators already checked once, and
        // a flood of copies must stay cheap. With `expected` given, the MD5
        // is done (`precompute` found no copy in the cache), so checking it
        // is cheaper than a second lookup; the cache lookup in `dispatch`
        // still catches a copy that arrived in the same batch.
        let key = DedupKey {
            src,
            port,
            id: packet.identifier(),
            authenticator: *packet.authenticator(),
        };
        if expected.is_none() {
            if let Some(ev) = self.early_duplicate(&key, code, cx, out) {
                return ev;
            }
        }
        let verified = match expected {
            Some(e) => packet.verify_request_expected(e),
            None => packet.verify_request(client.secret()),
        };
        let has_ma = match verified {
            Ok(m) => m,
            Err(e) => {
                let r = match e {
                    AuthError::RequestAuthenticator => DropReason::BadRequestAuthenticator,
                    _ => DropReason::BadMessageAuthenticator,
                };
                return self.drop_at(
                    r,
                    cx,
                    &format_args!("{code} id {}: {e}", packet.identifier()),
                );
            }
        };
        if code == Code::STATUS_SERVER {
            return self.status_server(&packet, has_ma, cx, out);
        }
        if code == Code::ACCESS_REQUEST && !over_tls {
            if let Some(ev) = self.blastradius(&packet, has_ma, cx) {
                return ev;
            }
        }
        match self.dispatch(&packet, cx, key, has_ma, out) {
            Ok(mut req) => {
                req.set_keystream(expected.and_then(|e| e.keystream));
                Event::Dispatch(req)
            }
            Err(ev) => ev,
        }
    }

    /// Compute the authenticators (Message-Authenticator, Request
    /// Authenticator digest) that each of `datagrams` must carry, all in one
    /// batch; `out[i]` is for datagram `i`, to pass on with
    /// [`Incoming::with_expected`] (`None` for an unknown client or a
    /// malformed packet: `handle` drops those anyway; `None` too for a
    /// retransmission of a request already known on `port` at `now`, which
    /// `handle` answers from the duplicate cache without them).
    pub fn precompute(
        &self,
        datagrams: &[(&[u8], SocketAddr)],
        port: PortKind,
        now: Instant,
        scratch: &mut Md5Batch,
        out: &mut Vec<Option<Expected>>,
    ) {
        let mut index = Vec::with_capacity(datagrams.len());
        let mut items = Vec::with_capacity(datagrams.len());
        let hosts = self.hosts.load();
        let mut cache = self.cache();
        for &(data, src) in datagrams {
            let check = hosts.lookup(src.ip()).and_then(|c| {
                let p = Packet::decode(data).ok()?;
                let key = DedupKey {
                    src,
                    port,
                    id: p.identifier(),
                    authenticator: *p.authenticator(),
                };
                if cache.peek(&key, now).is_some() {
                    return None;
                }
                Some(p.to_check(c.secret()))
            });
            index.push(check.is_some());
            items.extend(check);
        }
        drop(cache);
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

    /// What both versions end with: a handler must exist for the code; the
    /// duplicate cache then answers a retransmission, or gives the first
    /// copy a ticket and it becomes a [`Request`].
    fn dispatch(
        &self,
        packet: &Packet<'_>,
        cx: Ctx<'_>,
        key: DedupKey,
        has_ma: bool,
        out: &mut Vec<u8>,
    ) -> Result<Request, Event> {
        let code = packet.code();
        if !self.served.serves(code) {
            return Err(self.drop_at(
                DropReason::NoHandler,
                cx,
                &format_args!("no handler for {code}"),
            ));
        }
        let ticket = self.dedup(key, code, cx, out)?;
        self.stats.dispatched_code(code);
        cx.client.count_request();
        let mut req = Request::new(
            packet.as_bytes(),
            cx.client.clone(),
            cx.src,
            cx.port,
            has_ma,
            Some(ticket),
        );
        req.received = Some(cx.now);
        Ok(req)
    }

    /// RADIUS/1.1 (RFC 9765): no authenticator or Message-Authenticator
    /// checks (TLS authenticates the peer and protects the packet), a
    /// received Message-Authenticator is ignored; duplicates by Token.
    fn handle_v1_1(&self, packet: &Packet<'_>, cx: Ctx<'_>, out: &mut Vec<u8>) -> Event {
        let token = packet.token();
        if packet.code() == Code::STATUS_SERVER {
            let w = PacketWriter::v1_1(out, status_reply_code(cx.port), token);
            let r = write_status(w, packet, cx.client, &self.stats);
            return self.status_written(r, cx, out);
        }
        // Reserved-1 and Reserved-2 are ignored on receipt: the Token alone
        // names the request.
        let mut authenticator = [0; 16];
        authenticator[..4].copy_from_slice(&token.to_be_bytes());
        let key = DedupKey {
            src: cx.src,
            port: cx.port,
            id: 0,
            authenticator,
        };
        match self.dispatch(packet, cx, key, false, out) {
            Ok(mut req) => {
                req.set_version(RadiusVersion::V1_1);
                Event::Dispatch(req)
            }
            Err(ev) => ev,
        }
    }

    /// A retransmission of a request in progress or answered: its event
    /// (dropped, or the cached reply in `out`); `None` for a new request.
    fn early_duplicate(
        &self,
        key: &DedupKey,
        code: Code,
        cx: Ctx<'_>,
        out: &mut Vec<u8>,
    ) -> Option<Event> {
        let mut cache = self.cache();
        match cache.peek(key, cx.now)? {
            Lookup::Cached(bytes) => {
                out.extend_from_slice(bytes);
                drop(cache);
                self.stats.duplicate();
                tracing::debug!(client = cx.client.name(), src = %cx.src, id = key.id,
                    "retransmission answered from cache");
                Some(Event::Send { cached: true })
            }
            _ => {
                drop(cache);
                Some(self.drop_at(
                    DropReason::DuplicateInProgress,
                    cx,
                    &format_args!("retransmission of {code} id {} still in progress", key.id),
                ))
            }
        }
    }

    /// Look `key` up in the duplicate cache: a new ticket, or the event for
    /// a retransmission (cached reply, or dropped while in progress).
    fn dedup(
        &self,
        key: DedupKey,
        code: Code,
        cx: Ctx<'_>,
        out: &mut Vec<u8>,
    ) -> Result<Ticket, Event> {
        let mut cache = self.cache();
        match cache.check(key, cx.now) {
            Lookup::New(t) => Ok(t),
            Lookup::InProgress => {
                drop(cache);
                Err(self.drop_at(
                    DropReason::DuplicateInProgress,
                    cx,
                    &format_args!("retransmission of {code} id {} still in progress", key.id),
                ))
            }
            Lookup::Cached(bytes) => {
                out.extend_from_slice(bytes);
                drop(cache);
                self.stats.duplicate();
                tracing::debug!(client = cx.client.name(), src = %cx.src, id = key.id,
                    "retransmission answered from cache");
                Err(Event::Send { cached: true })
            }
        }
    }

    /// Status-Server (RFC 5997): answered by the engine itself, never
    /// cached, and only with a Message-Authenticator (§3).
    fn status_server(
        &self,
        packet: &Packet<'_>,
        has_ma: bool,
        cx: Ctx<'_>,
        out: &mut Vec<u8>,
    ) -> Event {
        if !has_ma {
            return self.drop_at(
                DropReason::MissingMessageAuthenticator,
                cx,
                &"Status-Server without Message-Authenticator (RFC 5997 §3)",
            );
        }
        let code = status_reply_code(cx.port);
        let mut w = PacketWriter::reply(out, code, packet.identifier(), packet.authenticator());
        let r = w
            .message_authenticator()
            .and_then(|_| write_status(w, packet, cx.client, &self.stats));
        self.status_written(r, cx, out)
    }

    /// Count a written Status-Server answer, or drop it if it failed.
    fn status_written(
        &self,
        r: Result<(), radius_core::EncodeError>,
        cx: Ctx<'_>,
        out: &mut Vec<u8>,
    ) -> Event {
        if let Err(e) = r {
            out.clear();
            return self.drop_at(DropReason::EncodeError, cx, &e);
        }
        self.stats.status_server();
        Event::Send { cached: false }
    }

    /// The ticket of a dispatched request (for tests).
    pub fn ticket_of(req: &Request) -> Option<Ticket> {
        req.ticket
    }
}

/// Finish a Status-Server answer: the request's Proxy-States, then signed.
fn write_status(
    mut w: PacketWriter<'_>,
    packet: &Packet<'_>,
    client: &Client,
    stats: &Stats,
) -> Result<(), radius_core::EncodeError> {
    let wanted = statistics::requested(packet);
    if wanted != 0 {
        statistics::write(&mut w, wanted, &stats.snapshot())?;
    }
    reply::copy_proxy_state(&mut w, packet)?;
    w.finish(client.secret()).map(|_| ())
}

/// Status-Server is answered with Access-Accept on an authentication
/// listener and Accounting-Response elsewhere (RFC 5997 §3).
fn status_reply_code(port: PortKind) -> Code {
    match port {
        PortKind::Auth => Code::ACCESS_ACCEPT,
        _ => Code::ACCOUNTING_RESPONSE,
    }
}

fn decode_drop_reason(e: &DecodeError) -> DropReason {
    match e {
        DecodeError::TooShort(_) => DropReason::TooShort,
        DecodeError::BadLength(_) | DecodeError::Truncated { .. } => DropReason::BadLength,
        DecodeError::AttrTooShort { .. } | DecodeError::AttrOverflow { .. } => {
            DropReason::BadAttributeLength
        }
        DecodeError::BadMessageAuthenticatorLength(_) => DropReason::BadMessageAuthenticator,
    }
}
