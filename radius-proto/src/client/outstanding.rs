//! The requests outstanding on one transport — a UDP socket or a RadSec
//! connection — and the matching of replies to them.
//!
//! One table serves both clients, so the rules are written once: an
//! Identifier (RADIUS/1.0) or Token (RADIUS/1.1, RFC 9765 §4.1) is reserved
//! before the request is encoded; a reply is matched by it, must be a legal
//! answer to the request's code ([`is_reply_to`]), and in RADIUS/1.0 must
//! carry the right Response Authenticator and a valid Message-Authenticator
//! when present or required. A reply that fails is reported and leaves the
//! request waiting (a forged or corrupted reply does not cancel the real
//! one, nor the connection).

use std::collections::HashMap;

use radius_core::{Code, Packet, RadiusVersion, Secret};

use super::{is_reply_to, IdPool, ReplyError};

/// A reserved Identifier (and, in RADIUS/1.1, Token) to encode a request
/// under; give it back with [`Outstanding::sent`] or
/// [`Outstanding::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    id: u8,
    token: Option<u32>,
}

impl Slot {
    /// The Identifier (meaningless on the wire in RADIUS/1.1, where the
    /// Token names the request).
    pub fn id(&self) -> u8 {
        self.id
    }

    /// The RADIUS/1.1 Token, `None` in RADIUS/1.0.
    pub fn token(&self) -> Option<u32> {
        self.token
    }
}

struct Sent<W> {
    code: Code,
    authenticator: [u8; 16],
    require_ma: bool,
    waiter: W,
}

/// A reply matched to its request and verified.
#[derive(Debug)]
pub struct Matched<'a, W> {
    /// The reply.
    pub packet: Packet<'a>,
    /// Whether it carried a valid Message-Authenticator.
    pub has_message_authenticator: bool,
    /// What the caller stored with the request (e.g. the channel its
    /// sender waits on).
    pub waiter: W,
}

/// The requests outstanding on one transport, by Identifier or Token; `W`
/// is whatever the I/O layer keeps per request to deliver the reply.
pub struct Outstanding<W> {
    version: RadiusVersion,
    ids: IdPool,
    sent: Vec<Option<Sent<W>>>,
    /// RADIUS/1.1: the next Token, a counter from a random start.
    next_token: u32,
    /// RADIUS/1.1: Token → Identifier slot, for every reserved request.
    tokens: HashMap<u32, u8>,
}

impl<W> std::fmt::Debug for Outstanding<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outstanding")
            .field("version", &self.version)
            .field("in_use", &self.ids.in_use())
            .finish()
    }
}

impl<W> Outstanding<W> {
    /// An empty table for a transport speaking `version`. `token_seed`
    /// starts the RADIUS/1.1 Token counter (pass a random value).
    pub fn new(version: RadiusVersion, token_seed: u32) -> Self {
        Outstanding {
            version,
            ids: IdPool::new(),
            sent: (0..256).map(|_| None).collect(),
            next_token: token_seed,
            tokens: HashMap::new(),
        }
    }

    /// The version requests are encoded in.
    pub fn version(&self) -> RadiusVersion {
        self.version
    }

    /// Requests reserved or waiting.
    pub fn in_use(&self) -> usize {
        self.ids.in_use()
    }

    /// Reserve an Identifier (round-robin, so a freed one is reused as late
    /// as possible) and, in RADIUS/1.1, the next unused Token; `None` when
    /// all 256 are in use.
    pub fn reserve(&mut self) -> Option<Slot> {
        let id = self.ids.alloc()?;
        let token = self.version.is_v1_1().then(|| {
            // At most 256 outstanding: a Token still in use is skipped.
            let mut t = self.next_token;
            while self.tokens.contains_key(&t) {
                t = t.wrapping_add(1);
            }
            self.next_token = t.wrapping_add(1);
            self.tokens.insert(t, id);
            t
        });
        Some(Slot { id, token })
    }

    /// Record that the request reserved as `slot` went out with `code` and
    /// `authenticator` (its Request Authenticator field as sent); a reply
    /// to an Access-Request must then carry Message-Authenticator when
    /// `require_ma`.
    pub fn sent(
        &mut self,
        slot: Slot,
        code: Code,
        authenticator: [u8; 16],
        require_ma: bool,
        waiter: W,
    ) {
        self.sent[slot.id as usize] = Some(Sent {
            code,
            authenticator,
            require_ma: require_ma && code == Code::ACCESS_REQUEST,
            waiter,
        });
    }

    /// What was stored with the request sent under Identifier `id`, while
    /// it waits (RADIUS/1.0: the Identifier names the request).
    pub fn waiter(&self, id: u8) -> Option<&W> {
        self.sent[id as usize].as_ref().map(|s| &s.waiter)
    }

    /// [`waiter`](Self::waiter), mutable.
    pub fn waiter_mut(&mut self, id: u8) -> Option<&mut W> {
        self.sent[id as usize].as_mut().map(|s| &mut s.waiter)
    }

    /// The waiters of the requests sent under `ids` (ascending; others
    /// are skipped), mutably and together.
    pub fn waiters_at_mut<'s>(&'s mut self, ids: &'s [u8]) -> impl Iterator<Item = &'s mut W> {
        let mut slots = self.sent.iter_mut();
        let mut next = 0usize;
        ids.iter().filter_map(move |&id| {
            let id = id as usize;
            if id < next {
                return None;
            }
            // O(1) on a slice iterator.
            let s = slots.nth(id - next)?;
            next = id + 1;
            s.as_mut().map(|s| &mut s.waiter)
        })
    }

    /// Give up a request (timeout, cancellation, encoding failure): frees
    /// its Identifier and Token and returns its waiter, if it was sent.
    pub fn release(&mut self, slot: Slot) -> Option<W> {
        let w = self.sent[slot.id as usize].take().map(|s| s.waiter);
        self.free(slot);
        w
    }

    fn free(&mut self, slot: Slot) {
        self.ids.free(slot.id);
        if let Some(t) = slot.token {
            if self.tokens.get(&t) == Some(&slot.id) {
                self.tokens.remove(&t);
            }
        }
    }

    /// Match `data` to its request and verify it. On success the waiter is
    /// returned with the reply and later copies are unmatched; the slot
    /// stays reserved until its owner calls [`release`](Self::release), so
    /// an Identifier is never reused while its sender still holds it. On
    /// failure the request stays outstanding.
    pub fn on_reply<'a>(
        &mut self,
        data: &'a [u8],
        secret: &Secret,
    ) -> Result<Matched<'a, W>, ReplyError> {
        self.on_reply_expected(data, secret, None)
    }

    /// The authenticator of the request a RADIUS/1.0 reply `data` would
    /// answer (by its Identifier), if one is outstanding: what a batch of
    /// replies needs to compute their Response Authenticators together
    /// ([`radius_core::crypto::batch::expected_for_replies`]).
    pub fn request_authenticator(&self, data: &[u8]) -> Option<[u8; 16]> {
        if self.version.is_v1_1() || data.len() < 20 {
            return None;
        }
        self.sent[data[1] as usize]
            .as_ref()
            .map(|s| s.authenticator)
    }

    /// [`on_reply`](Self::on_reply) with the Response Authenticator the
    /// reply must carry already computed: `(request authenticator it was
    /// computed for, expected value)`. It is used only if that is still the
    /// outstanding request's authenticator (else computed here), so a slot
    /// reused in between cannot make a genuine reply fail.
    pub fn on_reply_expected<'a>(
        &mut self,
        data: &'a [u8],
        secret: &Secret,
        expected: Option<([u8; 16], [u8; 16])>,
    ) -> Result<Matched<'a, W>, ReplyError> {
        let p = Packet::decode_version(data, self.version)?;
        let slot = if self.version.is_v1_1() {
            let token = p.token();
            match self.tokens.get(&token) {
                Some(&id) => Slot {
                    id,
                    token: Some(token),
                },
                None => return Err(ReplyError::Unmatched),
            }
        } else {
            Slot {
                id: p.identifier(),
                token: None,
            }
        };
        let Some(s) = &self.sent[slot.id as usize] else {
            return Err(ReplyError::Unmatched);
        };
        if !is_reply_to(s.code, p.code()) {
            return Err(ReplyError::UnexpectedCode {
                request: s.code,
                reply: p.code(),
            });
        }
        // RADIUS/1.1: no Response Authenticator, and a Message-Authenticator
        // is neither required nor checked (RFC 9765 §4.2): TLS authenticated
        // the server.
        let has_ma = if self.version.is_v1_1() {
            false
        } else {
            let has_ma = match expected {
                Some((auth, e)) if auth == s.authenticator => {
                    p.verify_reply_expected(secret, &s.authenticator, &e)?
                }
                _ => p.verify_reply(secret, &s.authenticator)?,
            };
            if s.require_ma && !has_ma {
                return Err(ReplyError::MissingMessageAuthenticator);
            }
            has_ma
        };
        let s = self.sent[slot.id as usize].take().expect("checked above");
        Ok(Matched {
            packet: p,
            has_message_authenticator: has_ma,
            waiter: s.waiter,
        })
    }

    /// Forget every request (the transport is gone): their waiters.
    pub fn drain(&mut self) -> Vec<W> {
        let mut out = Vec::new();
        for id in 0..=255u8 {
            if let Some(s) = self.sent[id as usize].take() {
                out.push(s.waiter);
            }
        }
        self.ids = IdPool::new();
        self.tokens.clear();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_core::packet::PacketWriter;

    const SECRET: &str = "testing123";

    fn request(out: &mut Outstanding<&'static str>, code: Code, waiter: &'static str) -> Slot {
        let slot = out.reserve().unwrap();
        let auth = [slot.id(); 16];
        out.sent(slot, code, auth, false, waiter);
        slot
    }

    fn reply(code: Code, slot: Slot, ma: bool) -> Vec<u8> {
        let mut buf = Vec::new();
        let auth = [slot.id(); 16];
        let mut w = PacketWriter::reply(&mut buf, code, slot.id(), &auth);
        if ma {
            w.message_authenticator().unwrap();
        }
        w.finish(&Secret::new(SECRET)).unwrap();
        buf
    }

    #[test]
    fn a_reply_of_the_wrong_kind_is_refused_and_the_request_stays() {
        let s = Secret::new(SECRET);
        let mut t = Outstanding::new(RadiusVersion::V1_0, 0);
        let slot = request(&mut t, Code::ACCESS_REQUEST, "a");
        // A correctly signed CoA-ACK is no answer to an Access-Request.
        let coa = reply(Code::COA_ACK, slot, true);
        assert!(matches!(
            t.on_reply(&coa, &s),
            Err(ReplyError::UnexpectedCode { .. })
        ));
        assert_eq!(t.in_use(), 1);
        let ok = reply(Code::ACCESS_ACCEPT, slot, true);
        let m = t.on_reply(&ok, &s).unwrap();
        assert_eq!((m.waiter, m.has_message_authenticator), ("a", true));
        // Answered once: a duplicate reply is unmatched.
        assert_eq!(t.on_reply(&ok, &s).unwrap_err(), ReplyError::Unmatched);
        // The Identifier stays taken until its owner releases it.
        assert_eq!(t.in_use(), 1);
        assert_eq!(t.release(slot), None);
        assert_eq!(t.in_use(), 0);
    }

    #[test]
    fn bad_authenticator_and_missing_ma_are_refused() {
        let s = Secret::new(SECRET);
        let mut t = Outstanding::new(RadiusVersion::V1_0, 0);
        let slot = t.reserve().unwrap();
        t.sent(slot, Code::ACCESS_REQUEST, [slot.id(); 16], true, "x");
        let mut forged = reply(Code::ACCESS_ACCEPT, slot, true);
        forged[5] ^= 1;
        assert!(matches!(t.on_reply(&forged, &s), Err(ReplyError::Auth(_))));
        let plain = reply(Code::ACCESS_ACCEPT, slot, false);
        assert_eq!(
            t.on_reply(&plain, &s).unwrap_err(),
            ReplyError::MissingMessageAuthenticator
        );
        assert!(t
            .on_reply(&reply(Code::ACCESS_REJECT, slot, true), &s)
            .is_ok());
    }

    #[test]
    fn a_precomputed_response_authenticator_is_used_only_for_its_request() {
        use radius_core::crypto::response_authenticator;
        let s = Secret::new(SECRET);
        let mut t = Outstanding::new(RadiusVersion::V1_0, 0);
        let slot = request(&mut t, Code::ACCESS_REQUEST, "a");
        let ok = reply(Code::ACCESS_ACCEPT, slot, false);
        let auth = t.request_authenticator(&ok).expect("outstanding");
        assert_eq!(auth, [slot.id(); 16]);
        // A wrong expected value for this very request: refused (it is used).
        let wrong = Some((auth, [0u8; 16]));
        assert!(matches!(
            t.on_reply_expected(&ok, &s, wrong),
            Err(ReplyError::Auth(_))
        ));
        // Computed for another request (the slot was reused meanwhile):
        // ignored, the reply is checked afresh and accepted.
        let stale = Some(([0xab; 16], [0u8; 16]));
        let want = response_authenticator(&s, &ok, &auth);
        assert_eq!(&ok[4..20], &want);
        let m = t.on_reply_expected(&ok, &s, stale).unwrap();
        assert_eq!(m.waiter, "a");
        // Nothing outstanding for an unknown Identifier.
        let other = reply(Code::ACCESS_ACCEPT, t.reserve().unwrap(), false);
        assert_eq!(t.request_authenticator(&other), None);
    }

    #[test]
    fn release_frees_and_drain_empties() {
        let mut t = Outstanding::new(RadiusVersion::V1_0, 0);
        let a = request(&mut t, Code::ACCOUNTING_REQUEST, "a");
        let _b = request(&mut t, Code::ACCOUNTING_REQUEST, "b");
        assert_eq!(t.release(a), Some("a"));
        assert_eq!(t.in_use(), 1);
        assert_eq!(t.drain(), vec!["b"]);
        assert_eq!(t.in_use(), 0);
        // 256 at most.
        for _ in 0..256 {
            t.reserve().unwrap();
        }
        assert!(t.reserve().is_none());
    }

    #[test]
    fn radius_1_1_matches_by_token_without_authenticators() {
        let s = Secret::new(SECRET);
        let mut t = Outstanding::new(RadiusVersion::V1_1, u32::MAX);
        let a = t.reserve().unwrap();
        let b = t.reserve().unwrap();
        // The counter wraps.
        assert_eq!((a.token(), b.token()), (Some(u32::MAX), Some(0)));
        t.sent(a, Code::ACCESS_REQUEST, [0; 16], true, "a");
        t.sent(b, Code::ACCOUNTING_REQUEST, [0; 16], false, "b");
        let mut buf = Vec::new();
        PacketWriter::v1_1(&mut buf, Code::ACCOUNTING_RESPONSE, 0)
            .finish(&s)
            .unwrap();
        let m = t.on_reply(&buf, &s).unwrap();
        assert_eq!(m.waiter, "b");
        // Token u32::MAX is an Access-Request: Accounting-Response refused.
        buf.clear();
        PacketWriter::v1_1(&mut buf, Code::ACCOUNTING_RESPONSE, u32::MAX)
            .finish(&s)
            .unwrap();
        assert!(matches!(
            t.on_reply(&buf, &s),
            Err(ReplyError::UnexpectedCode { .. })
        ));
        buf.clear();
        PacketWriter::v1_1(&mut buf, Code::ACCESS_ACCEPT, 7)
            .finish(&s)
            .unwrap();
        assert_eq!(t.on_reply(&buf, &s).unwrap_err(), ReplyError::Unmatched);
    }
}
