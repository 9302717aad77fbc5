//! The engine's reply path: a handler's [`Reply`] becomes signed octets
//! (or the RFC's negative reply when it cannot be sent as given), is cached
//! for retransmissions and counted.

use std::time::Instant;

use radius_core::attr::{Attributes, RawAttr};
use radius_core::packet::UnsignedReply;
use radius_core::typed::{std_type, AttrCrypto, CryptoCtx};
use radius_core::{Code, EncodeError, Packet, PacketWriter};
use radius_dict::prelude::{ErrorCause, ErrorCauseValue, MessageAuthenticator};

use super::{Engine, PROXY_STATE};
use crate::client::is_reply_to;
use crate::reply::{AccessReject, CoaNak, DisconnectNak, Reply};
use crate::request::Request;
use crate::stats::DropReason;

const MESSAGE_AUTHENTICATOR: u8 = std_type::<MessageAuthenticator>();

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

impl Engine {
    /// Turn the handler's `reply` to `req` into octets in `out` (cleared
    /// first), cache them for retransmissions and count the outcome. A
    /// failed or mismatched reply falls back to the negative reply for the
    /// request's code.
    pub fn complete(
        &self,
        req: &Request,
        reply: Reply,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Completion {
        // Not deferred: the reply is signed and already finished.
        self.complete_deferred(req, reply, now, out, false).0
    }

    /// [`complete`](Self::complete), but with `defer` a RADIUS/1.0 reply is
    /// left unsigned and described by the returned [`UnsignedReply`]: sign
    /// it with its batch ([`radius_core::crypto::batch::sign_replies`]),
    /// then record it with [`finish_sent`](Self::finish_sent). Without an
    /// `UnsignedReply` the request is already finished.
    pub fn complete_deferred(
        &self,
        req: &Request,
        reply: Reply,
        now: Instant,
        out: &mut Vec<u8>,
        defer: bool,
    ) -> (Completion, Option<UnsignedReply>) {
        let (c, unsigned) = self.encode(req, reply, now, out, defer);
        match c {
            Completion::Send(code) if unsigned.is_none() => {
                self.finish_sent([(req, code, &out[..])], now)
            }
            Completion::Send(_) => {}
            Completion::NoReply(r) => {
                self.forget(req);
                self.stats.count_drop(r);
            }
        }
        (c, unsigned)
    }

    /// Record sent replies in the duplicate cache (under one lock) and
    /// count them.
    pub fn finish_sent<'r>(
        &self,
        sent: impl IntoIterator<Item = (&'r Request, Code, &'r [u8])>,
        now: Instant,
    ) {
        let mut cache = self.cache();
        for (req, code, bytes) in sent {
            self.stats.replied(code);
            req.client().count_reply(code);
            if let Some(at) = req.received {
                self.stats.latency(now.saturating_duration_since(at));
            }
            if let Some(t) = req.ticket {
                cache.complete(t, bytes, now);
            }
        }
    }

    /// Drop a dispatched request without an answer (overload, timeout,
    /// panic): count it and forget it in the cache, so a retransmission is
    /// handled afresh.
    pub fn abandon(&self, req: &Request, r: DropReason, now: Instant) {
        self.forget(req);
        self.drop_with(
            r,
            req.source(),
            Some(req.client()),
            now,
            &format_args!("{} id {}", req.code(), req.identifier()),
        );
    }

    fn forget(&self, req: &Request) {
        if let Some(t) = req.ticket {
            self.cache().abandon(t);
        }
    }

    fn encode(
        &self,
        req: &Request,
        reply: Reply,
        now: Instant,
        out: &mut Vec<u8>,
        defer: bool,
    ) -> (Completion, Option<UnsignedReply>) {
        let code = req.code();
        let reply = match reply {
            Reply::Error(e) => {
                if let Some(suppressed) = self.limiter.allow(DropReason::NoReply, now) {
                    tracing::warn!(client = req.client().name(), src = %req.source(), %code,
                        id = req.identifier(), suppressed, "handler error, sending negative reply: {e}");
                }
                negative_reply(code, e.error_cause())
            }
            Reply::NoReply => None,
            r if !r.code().is_some_and(|c| is_reply_to(code, c)) => {
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
}

/// The RFC's negative reply for a request code.
fn negative_reply(code: Code, cause: Option<ErrorCauseValue>) -> Option<Reply> {
    match code {
        Code::ACCESS_REQUEST => Some(AccessReject::new().into()),
        Code::COA_REQUEST => {
            let mut r = CoaNak::new();
            if let Some(c) = cause {
                r.add(ErrorCause::new(c));
            }
            Some(r.into())
        }
        Code::DISCONNECT_REQUEST => {
            let mut r = DisconnectNak::new();
            if let Some(c) = cause {
                r.add(ErrorCause::new(c));
            }
            Some(r.into())
        }
        // RFC 2866: no Accounting-Response unless the record is stored.
        _ => None,
    }
}

/// Copy the request's Proxy-State attributes, in order (RFC 2865 §5.33).
pub(super) fn copy_proxy_state(
    w: &mut PacketWriter<'_>,
    packet: &Packet<'_>,
) -> Result<(), EncodeError> {
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
) -> Result<(Code, Option<UnsignedReply>), EncodeError> {
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
            let foreign = |a: &RawAttr<'_>| a.typ == MESSAGE_AUTHENTICATOR || a.typ == PROXY_STATE;
            if Attributes::new(&buf[start..]).any(|a| foreign(&a)) {
                let theirs = buf.split_off(start);
                for a in Attributes::new(&theirs).filter(|a| !foreign(a)) {
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
