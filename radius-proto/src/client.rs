//! The sans-IO half of the client: retransmission timing (RFC 5080 §2.2.1),
//! identifier allocation, request encoding and reply verification.
//!
//! Nothing here touches a socket or a clock: callers pass `Instant`s in and
//! get deadlines and decisions out, so every rule is testable with bytes
//! and instants. radius-server's `UdpClient` drives it with tokio; the
//! `radius bench` load generator uses the same pieces in its own loop.

use std::time::{Duration, Instant};

use radius_core::packet::{AuthError, DecodeError, MESSAGE_AUTHENTICATOR};
use radius_core::typed::{Attribute, CryptoCtx};
use radius_core::{Code, EncodeError, Packet, PacketWriter, Secret};

/// When to retransmit and when to give up (RFC 5080 §2.2.1).
///
/// The first retransmission comes after `initial` (±10% jitter); each later
/// interval doubles (±10%) up to `max_interval` (then stays there, ±10%).
/// The request fails after `max_attempts` transmissions have each had their
/// interval to be answered, or after `total` has elapsed, whichever is first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// IRT: time to wait for a reply to the first transmission.
    pub initial: Duration,
    /// MRT: the largest interval between transmissions.
    pub max_interval: Duration,
    /// Transmissions in all, the first one included (MRC + 1). At least 1.
    pub max_attempts: u32,
    /// MRD: the total time before the request fails.
    pub total: Duration,
}

impl RetryPolicy {
    /// RFC 5080's recommended values: IRT 2 s, MRC 5, MRT 16 s, MRD 30 s.
    pub const RFC5080: RetryPolicy = RetryPolicy {
        initial: Duration::from_secs(2),
        max_interval: Duration::from_secs(16),
        max_attempts: 6,
        total: Duration::from_secs(30),
    };

    /// radclient-style: `attempts` transmissions `interval` apart (±10%),
    /// no doubling; fails `attempts * interval` after the first.
    pub fn fixed(interval: Duration, attempts: u32) -> Self {
        let attempts = attempts.max(1);
        RetryPolicy {
            initial: interval,
            max_interval: interval,
            max_attempts: attempts,
            // Room for the +10% jitter of every interval.
            total: interval.mul_f64(attempts as f64 * 1.1),
        }
    }

    /// Send once, wait `timeout`.
    pub fn once(timeout: Duration) -> Self {
        RetryPolicy {
            initial: timeout,
            max_interval: timeout,
            max_attempts: 1,
            total: timeout,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::RFC5080
    }
}

/// A small, fast, non-cryptographic generator (xorshift64*), for timer
/// jitter and load generation only — never for authenticators a peer must
/// not predict.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded from the operating system's generator.
    pub fn from_os() -> Self {
        let a = radius_core::crypto::random_authenticator();
        Self::seeded(u64::from_le_bytes(a[..8].try_into().expect("8 octets")))
    }

    /// Seeded deterministically (tests).
    pub fn seeded(seed: u64) -> Self {
        Jitter(seed | 1)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [-0.1, 0.1): RFC 5080's RAND.
    #[inline]
    pub fn rand(&mut self) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (u - 0.5) * 0.2
    }
}

/// What to do when a request's deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send the same datagram again (same Identifier, same authenticator);
    /// the next deadline is given.
    Retransmit(Instant),
    /// Give up: no reply within the policy.
    GiveUp,
}

/// The retransmission timer of one request (RFC 5080 §2.2.1).
///
/// ```
/// use std::time::{Duration, Instant};
/// use radius_proto::client::{Backoff, Jitter, RetryPolicy, Step};
/// let t0 = Instant::now();
/// let mut j = Jitter::seeded(7);
/// let mut b = Backoff::new(RetryPolicy::fixed(Duration::from_secs(1), 2), t0, &mut j);
/// let d1 = b.deadline();
/// assert!(matches!(b.on_timeout(d1, &mut j), Step::Retransmit(_)));
/// assert_eq!(b.on_timeout(b.deadline(), &mut j), Step::GiveUp);
/// assert_eq!(b.attempts(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    end: Instant,
    rt: Duration,
    next: Instant,
    attempts: u32,
}

impl Backoff {
    /// Start the timer at the first transmission (made at `now`).
    pub fn new(policy: RetryPolicy, now: Instant, rng: &mut Jitter) -> Self {
        let rt = policy.initial.mul_f64(1.0 + rng.rand());
        let end = now + policy.total;
        Backoff {
            policy,
            end,
            rt,
            next: (now + rt).min(end),
            attempts: 1,
        }
    }

    /// When to act next (retransmit or give up).
    pub fn deadline(&self) -> Instant {
        self.next
    }

    /// Transmissions so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The deadline passed (call at or after [`deadline`](Self::deadline)).
    pub fn on_timeout(&mut self, now: Instant, rng: &mut Jitter) -> Step {
        if now < self.next {
            return Step::Retransmit(self.next);
        }
        if self.attempts >= self.policy.max_attempts.max(1) || now >= self.end {
            return Step::GiveUp;
        }
        let r = rng.rand();
        let mut rt = self.rt.mul_f64(2.0 + r);
        if rt > self.policy.max_interval {
            rt = self.policy.max_interval.mul_f64(1.0 + r);
        }
        self.rt = rt;
        self.attempts += 1;
        self.next = (now + rt).min(self.end);
        Step::Retransmit(self.next)
    }
}

/// The 256 Identifiers of one socket. Allocation goes round-robin, so a
/// freed Identifier is reused as late as possible (a late reply to its old
/// request then meets a different authenticator and is discarded).
#[derive(Debug, Clone)]
pub struct IdPool {
    used: [u64; 4],
    next: u8,
    count: u16,
}

impl Default for IdPool {
    fn default() -> Self {
        Self::new()
    }
}

impl IdPool {
    /// All 256 free.
    pub fn new() -> Self {
        IdPool {
            used: [0; 4],
            next: 0,
            count: 0,
        }
    }

    /// Take a free Identifier, or `None` when all 256 are in use.
    pub fn alloc(&mut self) -> Option<u8> {
        if self.count >= 256 {
            return None;
        }
        for k in 0..=255u8 {
            let id = self.next.wrapping_add(k);
            let (w, b) = ((id >> 6) as usize, id & 63);
            if self.used[w] & (1 << b) == 0 {
                self.used[w] |= 1 << b;
                self.count += 1;
                self.next = id.wrapping_add(1);
                return Some(id);
            }
        }
        None
    }

    /// Return an Identifier. Freeing a free one is a no-op.
    pub fn free(&mut self, id: u8) {
        let (w, b) = ((id >> 6) as usize, id & 63);
        if self.used[w] & (1 << b) != 0 {
            self.used[w] &= !(1 << b);
            self.count -= 1;
        }
    }

    /// Whether `id` is allocated.
    pub fn is_used(&self, id: u8) -> bool {
        self.used[(id >> 6) as usize] & (1 << (id & 63)) != 0
    }

    /// Identifiers in use.
    pub fn in_use(&self) -> usize {
        self.count as usize
    }
}

/// Whether a request code must carry Message-Authenticator: Access-Request
/// and Status-Server always get one (RFC 3579, RFC 5997, BlastRADIUS).
pub fn needs_message_authenticator(code: Code) -> bool {
    matches!(code, Code::ACCESS_REQUEST | Code::STATUS_SERVER)
}

/// Whether `reply` is a legal answer to a request with code `request`.
pub fn is_reply_to(request: Code, reply: Code) -> bool {
    match request {
        Code::ACCESS_REQUEST => matches!(
            reply,
            Code::ACCESS_ACCEPT | Code::ACCESS_REJECT | Code::ACCESS_CHALLENGE
        ),
        Code::ACCOUNTING_REQUEST => reply == Code::ACCOUNTING_RESPONSE,
        Code::STATUS_SERVER => matches!(reply, Code::ACCESS_ACCEPT | Code::ACCOUNTING_RESPONSE),
        Code::COA_REQUEST => matches!(reply, Code::COA_ACK | Code::COA_NAK),
        Code::DISCONNECT_REQUEST => matches!(reply, Code::DISCONNECT_ACK | Code::DISCONNECT_NAK),
        // Other (RFC 3575) requests: any non-request code, Protocol-Error included.
        _ => !reply.is_request(),
    }
}

/// Why a datagram was not accepted as the reply to a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// Not a well-formed RADIUS packet.
    #[error("malformed reply: {0}")]
    Decode(#[from] DecodeError),
    /// The Identifier is not the request's.
    #[error("reply Identifier {got} does not match request Identifier {want}")]
    Identifier {
        /// The request's Identifier.
        want: u8,
        /// The reply's.
        got: u8,
    },
    /// The code cannot answer this request (e.g. CoA-ACK to Access-Request).
    #[error("{reply} is not a reply to {request}")]
    UnexpectedCode {
        /// The request's code.
        request: Code,
        /// The reply's.
        reply: Code,
    },
    /// Response Authenticator or Message-Authenticator wrong.
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// Message-Authenticator required but absent.
    #[error("reply has no Message-Authenticator, which is required")]
    MissingMessageAuthenticator,
}

/// Verify a datagram as the reply to a request: Identifier, code, Response
/// Authenticator and (when present, or when `require_ma`)
/// Message-Authenticator. `request_auth` is the request's authenticator
/// field as sent. Returns the packet and whether it carried a valid
/// Message-Authenticator.
pub fn verify_reply<'a>(
    data: &'a [u8],
    request_code: Code,
    request_id: u8,
    request_auth: &[u8; 16],
    secret: &Secret,
    require_ma: bool,
) -> Result<(Packet<'a>, bool), ReplyError> {
    let p = Packet::decode(data)?;
    if p.identifier() != request_id {
        return Err(ReplyError::Identifier {
            want: request_id,
            got: p.identifier(),
        });
    }
    if !is_reply_to(request_code, p.code()) {
        return Err(ReplyError::UnexpectedCode {
            request: request_code,
            reply: p.code(),
        });
    }
    let has_ma = p.verify_reply(secret, request_auth)?;
    if require_ma && !has_ma {
        return Err(ReplyError::MissingMessageAuthenticator);
    }
    Ok((p, has_ma))
}

/// A request before it has an Identifier: its code, its authenticator (the
/// random Request Authenticator of an Access-Request or Status-Server; zero
/// for the others, whose authenticator is a digest computed at encoding) and
/// its encoded attributes.
///
/// Obfuscated attributes (User-Password, Tunnel-Password ...) are encoded
/// when added, keyed on [`authenticator`](Self::authenticator), so the
/// secret is needed then. The Identifier does not enter any of that, so one
/// `ClientRequest` can be encoded under any Identifier, and retransmissions
/// are the very same octets.
#[derive(Clone)]
pub struct ClientRequest {
    code: Code,
    auth: [u8; 16],
    attrs: Vec<u8>,
    message_authenticator: bool,
}

impl std::fmt::Debug for ClientRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRequest")
            .field("code", &self.code)
            .field("attrs_len", &self.attrs.len())
            .field("message_authenticator", &self.message_authenticator)
            .finish()
    }
}

impl ClientRequest {
    /// A request with no attributes. Access-Request and Status-Server get a
    /// fresh random authenticator from the OS CSPRNG and always carry
    /// Message-Authenticator (as the first attribute).
    pub fn new(code: Code) -> Self {
        let auth = match code.authenticator_kind() {
            radius_core::packet::AuthenticatorKind::Random => {
                radius_core::crypto::random_authenticator()
            }
            _ => [0; 16],
        };
        Self::with_authenticator(code, auth)
    }

    /// A request with a chosen authenticator (tests, or a CHAP challenge
    /// computed beforehand). For Access-Request it must be unpredictable.
    pub fn with_authenticator(code: Code, auth: [u8; 16]) -> Self {
        ClientRequest {
            code,
            auth,
            attrs: Vec::new(),
            message_authenticator: needs_message_authenticator(code),
        }
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The authenticator attributes are obfuscated with (and, for
    /// Access-Request/Status-Server, the one sent).
    pub fn authenticator(&self) -> &[u8; 16] {
        &self.auth
    }

    /// The encoded attributes so far (Message-Authenticator excluded).
    pub fn attribute_bytes(&self) -> &[u8] {
        &self.attrs
    }

    /// Whether Message-Authenticator will be added.
    pub fn has_message_authenticator(&self) -> bool {
        self.message_authenticator
    }

    /// Add Message-Authenticator to a code that does not need it
    /// (Accounting, CoA, Disconnect). Access-Request and Status-Server
    /// always have it.
    pub fn set_message_authenticator(&mut self, on: bool) {
        self.message_authenticator = on || needs_message_authenticator(self.code);
    }

    /// Append a typed attribute, obfuscated with `secret` as its type says.
    pub fn add<A: Attribute>(&mut self, attr: &A, secret: &Secret) -> Result<(), EncodeError> {
        let ctx = CryptoCtx {
            secret,
            authenticator: &self.auth,
        };
        let start = self.attrs.len();
        attr.encode(&mut self.attrs, &ctx).inspect_err(|_| {
            self.attrs.truncate(start);
        })
    }

    /// Append one plain attribute (type, value of at most 253 octets).
    pub fn attr(&mut self, typ: u8, value: &[u8]) -> Result<(), EncodeError> {
        if value.len() > radius_core::packet::MAX_ATTR_VALUE_LEN {
            return Err(EncodeError::ValueTooLong {
                typ,
                len: value.len(),
            });
        }
        if typ == MESSAGE_AUTHENTICATOR {
            self.message_authenticator = true;
            return Ok(());
        }
        self.attrs.push(typ);
        self.attrs.push(2 + value.len() as u8);
        self.attrs.extend_from_slice(value);
        Ok(())
    }

    /// Append already-encoded attributes (type, length, value ...), e.g.
    /// the output of the text-form encoder. A Message-Authenticator among
    /// them is taken as a request for one: it is removed here and a correct
    /// one is put first at encoding.
    pub fn raw(&mut self, encoded: &[u8]) -> Result<(), EncodeError> {
        let mut i = 0;
        while i < encoded.len() {
            let len = encoded.get(i + 1).copied().unwrap_or(0) as usize;
            if len < 2 || i + len > encoded.len() {
                return Err(EncodeError::Value(radius_core::ValueError::Length {
                    ty: "attribute",
                    want: "a well-formed type-length-value",
                    got: encoded.len() - i,
                }));
            }
            i += len;
        }
        let mut i = 0;
        while i < encoded.len() {
            let len = encoded[i + 1] as usize;
            if encoded[i] == MESSAGE_AUTHENTICATOR {
                self.message_authenticator = true;
            } else {
                self.attrs.extend_from_slice(&encoded[i..i + len]);
            }
            i += len;
        }
        Ok(())
    }

    /// Encode the attributes with a custom encoder that is handed the
    /// crypto context (the secret and this request's authenticator): the
    /// hook for runtime-dictionary (text form) encoders.
    pub fn encode_with<E>(
        &mut self,
        secret: &Secret,
        f: impl FnOnce(&mut Vec<u8>, &CryptoCtx<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut tmp = Vec::new();
        let ctx = CryptoCtx {
            secret,
            authenticator: &self.auth,
        };
        f(&mut tmp, &ctx)?;
        // Attributes from an encoder are well-formed; route them through
        // `raw` for the Message-Authenticator rule.
        let _ = self.raw(&tmp);
        Ok(())
    }

    /// Append attributes written in FreeRADIUS's text form
    /// (`User-Name = "bob", User-Password = "hello"`), resolved in a run-time
    /// dictionary and obfuscated with `secret`. A `Message-Authenticator`
    /// among them asks for one (see [`raw`](Self::raw)).
    pub fn add_text(
        &mut self,
        dict: &radius_core::dict::Dictionary,
        text: &str,
        secret: &Secret,
    ) -> Result<(), radius_core::text::TextError> {
        let codec = radius_core::text::Codec::new(dict)
            .with_secret_key(secret)
            .with_authenticator(self.auth);
        let pairs = codec.parse(text)?;
        let bytes = codec.encode(&pairs)?;
        // The codec's output is well-formed.
        let _ = self.raw(&bytes);
        Ok(())
    }

    /// Write the packet with Identifier `id` into `buf` (cleared first):
    /// header, Message-Authenticator first when wanted, the attributes; then
    /// Length, the HMAC and (Accounting/CoA/Disconnect) the Request
    /// Authenticator. Returns the authenticator as sent, which the reply's
    /// Response Authenticator is keyed on.
    pub fn encode(
        &self,
        id: u8,
        secret: &Secret,
        buf: &mut Vec<u8>,
    ) -> Result<[u8; 16], EncodeError> {
        let mut w = PacketWriter::request_with_authenticator(buf, self.code, id, self.auth);
        if self.message_authenticator {
            w.message_authenticator()?;
        }
        w.raw(&self.attrs)?;
        let out = w.finish(secret)?;
        Ok(out[4..20].try_into().expect("header"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    radius_core::attribute! { UserName(UserName_) = "User-Name", Std(1), String }
    radius_core::attribute! { UserPassword(UserPassword_) = "User-Password", Std(2), String, encrypt = UserPassword }

    #[test]
    fn backoff_follows_rfc5080() {
        let t0 = Instant::now();
        let mut j = Jitter::seeded(42);
        let p = RetryPolicy::RFC5080;
        let mut b = Backoff::new(p, t0, &mut j);
        let first = b.deadline() - t0;
        assert!(first >= Duration::from_millis(1800) && first <= Duration::from_millis(2200));
        let mut prev = first;
        let mut now = b.deadline();
        let mut sends = 1;
        while let Step::Retransmit(next) = b.on_timeout(now, &mut j) {
            sends += 1;
            let rt = next - now;
            // Doubling (±10%) or capped near MRT (±10%), or cut by MRD.
            assert!(
                rt <= Duration::from_millis(17_600),
                "interval {rt:?} above MRT+10%"
            );
            if next < t0 + p.total && prev < Duration::from_secs(7) {
                assert!(rt >= prev.mul_f64(1.9), "{rt:?} after {prev:?}");
            }
            prev = rt;
            now = next;
        }
        assert!(sends <= 6);
        assert!(now - t0 <= p.total, "gave up at {:?}", now - t0);
        assert_eq!(b.attempts(), sends);
    }

    #[test]
    fn backoff_fixed_and_early_timeout() {
        let t0 = Instant::now();
        let mut j = Jitter::seeded(1);
        let mut b = Backoff::new(RetryPolicy::fixed(Duration::from_secs(3), 3), t0, &mut j);
        // A spurious early wake-up changes nothing.
        assert_eq!(b.on_timeout(t0, &mut j), Step::Retransmit(b.deadline()));
        assert_eq!(b.attempts(), 1);
        let mut n = 1;
        while let Step::Retransmit(_) = b.on_timeout(b.deadline(), &mut j) {
            n += 1;
            let rt = b.deadline() - t0;
            assert!(rt <= Duration::from_millis(3300 * n));
        }
        assert_eq!(n, 3);
        let mut once = Backoff::new(RetryPolicy::once(Duration::from_millis(10)), t0, &mut j);
        assert_eq!(once.on_timeout(once.deadline(), &mut j), Step::GiveUp);
    }

    #[test]
    fn jitter_in_range() {
        let mut j = Jitter::seeded(3);
        let (mut lo, mut hi) = (1.0f64, -1.0f64);
        for _ in 0..10_000 {
            let r = j.rand();
            assert!((-0.1..0.1).contains(&r));
            lo = lo.min(r);
            hi = hi.max(r);
        }
        assert!(lo < -0.09 && hi > 0.09);
    }

    #[test]
    fn id_pool_round_robin_and_full() {
        let mut p = IdPool::new();
        for want in 0..=255u8 {
            assert_eq!(p.alloc(), Some(want));
        }
        assert_eq!(p.alloc(), None);
        assert_eq!(p.in_use(), 256);
        p.free(7);
        p.free(7);
        assert_eq!(p.in_use(), 255);
        assert_eq!(p.alloc(), Some(7));
        p.free(3);
        p.free(200);
        // Round-robin: continues after the last one handed out.
        assert_eq!(p.alloc(), Some(200));
        assert_eq!(p.alloc(), Some(3));
        assert!(p.is_used(3));
    }

    #[test]
    fn request_encoding_and_reply_verification() {
        let s = Secret::new("testing123");
        let mut r = ClientRequest::new(Code::ACCESS_REQUEST);
        r.add(&UserName::new("bob"), &s).unwrap();
        r.add(&UserPassword::new("hello"), &s).unwrap();
        let mut buf = Vec::new();
        let auth = r.encode(9, &s, &mut buf).unwrap();
        let p = Packet::decode(&buf).unwrap();
        assert_eq!(p.identifier(), 9);
        assert_eq!(p.attributes().next().unwrap().typ, MESSAGE_AUTHENTICATOR);
        assert_eq!(p.verify_request(&s), Ok(true));
        // Retransmission under the same id: identical octets.
        let mut again = Vec::new();
        r.encode(9, &s, &mut again).unwrap();
        assert_eq!(buf, again);

        // A reply from the "server".
        let mut rep = Vec::new();
        let mut w = PacketWriter::reply(&mut rep, Code::ACCESS_ACCEPT, 9, &auth);
        w.message_authenticator().unwrap();
        w.finish(&s).unwrap();
        let (p, ma) = verify_reply(&rep, Code::ACCESS_REQUEST, 9, &auth, &s, true).unwrap();
        assert_eq!((p.code(), ma), (Code::ACCESS_ACCEPT, true));
        assert!(matches!(
            verify_reply(&rep, Code::ACCESS_REQUEST, 8, &auth, &s, false),
            Err(ReplyError::Identifier { .. })
        ));
        assert!(matches!(
            verify_reply(
                &rep,
                Code::ACCESS_REQUEST,
                9,
                &auth,
                &Secret::new("x"),
                false
            ),
            Err(ReplyError::Auth(AuthError::ResponseAuthenticator))
        ));
        assert!(matches!(
            verify_reply(&rep, Code::COA_REQUEST, 9, &auth, &s, false),
            Err(ReplyError::UnexpectedCode { .. })
        ));
        // Tampered MA with a recomputed Response Authenticator: MA catches it.
        let mut bad = rep.clone();
        bad[22] ^= 1;
        let ra = radius_core::crypto::response_authenticator(&s, &bad, &auth);
        bad[4..20].copy_from_slice(&ra);
        assert_eq!(
            verify_reply(&bad, Code::ACCESS_REQUEST, 9, &auth, &s, false).unwrap_err(),
            ReplyError::Auth(AuthError::MessageAuthenticator)
        );
        // No MA at all: fine unless required.
        let mut plain = Vec::new();
        PacketWriter::reply(&mut plain, Code::ACCESS_REJECT, 9, &auth)
            .finish(&s)
            .unwrap();
        assert!(verify_reply(&plain, Code::ACCESS_REQUEST, 9, &auth, &s, false).is_ok());
        assert_eq!(
            verify_reply(&plain, Code::ACCESS_REQUEST, 9, &auth, &s, true).unwrap_err(),
            ReplyError::MissingMessageAuthenticator
        );
    }

    #[test]
    fn accounting_request_digest_and_raw_ma() {
        let s = Secret::new("testing123");
        let mut r = ClientRequest::new(Code::ACCOUNTING_REQUEST);
        assert!(!r.has_message_authenticator());
        // radclient style: naming Message-Authenticator asks for one.
        r.raw(&[40, 6, 0, 0, 0, 1, 80, 3, 0, 1, 5, b'b', b'o', b'b'])
            .unwrap();
        assert!(r.has_message_authenticator());
        let mut buf = Vec::new();
        let auth = r.encode(1, &s, &mut buf).unwrap();
        let p = Packet::decode(&buf).unwrap();
        assert_eq!(&auth, p.authenticator());
        assert_eq!(p.verify_request(&s), Ok(true));
        let types: Vec<u8> = p.attributes().map(|a| a.typ).collect();
        assert_eq!(types, [80, 40, 1]);
        assert!(r.raw(&[1, 9, 0]).is_err());
    }
}
