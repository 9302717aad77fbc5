//! RADIUS packets: header, validation, zero-copy attribute iteration and encoding.
//!
//! Decoding borrows the datagram and never allocates; [`Packet::decode`] checks
//! every length once (RFC 2865 §3) so iteration afterwards cannot fail.
//! Encoding writes into a caller-owned, reusable `Vec<u8>` via [`PacketWriter`].

use std::fmt;

use crate::attr::{Attributes, RawAttr};
use crate::crypto::{self, Secret};

/// Smallest legal RADIUS packet (header only).
pub const MIN_PACKET_LEN: usize = 20;
/// Largest legal RADIUS packet (RFC 2865 §3, RFC 7930 notwithstanding for UDP).
pub const MAX_PACKET_LEN: usize = 4096;
/// Largest value an attribute can carry (255 minus type and length octets).
pub const MAX_ATTR_VALUE_LEN: usize = 253;
/// Attribute number of Message-Authenticator (RFC 3579 §3.2).
pub const MESSAGE_AUTHENTICATOR: u8 = 80;
/// Attribute number of Proxy-State (RFC 2865 §5.33).
pub const PROXY_STATE: u8 = 33;
/// Attribute number of User-Password (RFC 2865 §5.2).
pub const USER_PASSWORD: u8 = 2;

/// Which RADIUS variant a packet is in (RFC 9765).
///
/// RADIUS/1.0 is the protocol of RFC 2865 and its updates, over UDP, TCP or
/// TLS. RADIUS/1.1 exists only inside TLS (or DTLS), when both peers
/// negotiated the ALPN name `radius/1.1`: the Identifier octet becomes
/// Reserved-1, the 16-octet Authenticator becomes a 4-octet Token (request
/// and reply matching) followed by 12 octets of Reserved-2, and nothing is
/// computed with the shared secret: no Request/Response Authenticator, no
/// Message-Authenticator, and User-Password, Tunnel-Password and the other
/// obfuscated attributes travel in clear (TLS protects them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RadiusVersion {
    /// RADIUS/1.0 (ALPN `radius/1.0`, or no ALPN).
    #[default]
    V1_0,
    /// RADIUS/1.1 (ALPN `radius/1.1`, RFC 9765).
    V1_1,
}

impl RadiusVersion {
    /// The ALPN protocol name (`radius/1.0`, `radius/1.1`).
    pub fn alpn(self) -> &'static [u8] {
        match self {
            RadiusVersion::V1_0 => b"radius/1.0",
            RadiusVersion::V1_1 => b"radius/1.1",
        }
    }

    /// The version an ALPN protocol name stands for; no ALPN (`None`) is
    /// RADIUS/1.0, an unknown name is `None`.
    pub fn from_alpn(alpn: Option<&[u8]>) -> Option<RadiusVersion> {
        match alpn {
            None | Some(b"radius/1.0") => Some(RadiusVersion::V1_0),
            Some(b"radius/1.1") => Some(RadiusVersion::V1_1),
            Some(_) => None,
        }
    }

    /// Whether this is RADIUS/1.1.
    pub fn is_v1_1(self) -> bool {
        self == RadiusVersion::V1_1
    }
}

impl fmt::Display for RadiusVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RadiusVersion::V1_0 => "RADIUS/1.0",
            RadiusVersion::V1_1 => "RADIUS/1.1",
        })
    }
}

/// A RADIUS packet code. Unknown codes are representable (`Code(200)`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(pub u8);

macro_rules! codes {
    ($($(#[$m:meta])* $name:ident = $n:literal, $text:literal;)*) => {
        impl Code {
            $($(#[$m])* pub const $name: Code = Code($n);)*

            /// The IANA name of the code (e.g. `"Access-Request"`), if assigned.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($n => Some($text),)*
                    _ => None,
                }
            }

            /// Look up a code by its IANA name (case-insensitive).
            pub fn from_name(name: &str) -> Option<Code> {
                $(if name.eq_ignore_ascii_case($text) { return Some(Code($n)); })*
                None
            }
        }
    };
}

codes! {
    /// Access-Request (RFC 2865).
    ACCESS_REQUEST = 1, "Access-Request";
    /// Access-Accept (RFC 2865).
    ACCESS_ACCEPT = 2, "Access-Accept";
    /// Access-Reject (RFC 2865).
    ACCESS_REJECT = 3, "Access-Reject";
    /// Accounting-Request (RFC 2866).
    ACCOUNTING_REQUEST = 4, "Accounting-Request";
    /// Accounting-Response (RFC 2866).
    ACCOUNTING_RESPONSE = 5, "Accounting-Response";
    /// Accounting-Status, now Interim Accounting (RFC 3575).
    ACCOUNTING_STATUS = 6, "Accounting-Status";
    /// Password-Request (RFC 3575).
    PASSWORD_REQUEST = 7, "Password-Request";
    /// Password-Ack (RFC 3575).
    PASSWORD_ACK = 8, "Password-Ack";
    /// Password-Reject (RFC 3575).
    PASSWORD_REJECT = 9, "Password-Reject";
    /// Accounting-Message (RFC 3575).
    ACCOUNTING_MESSAGE = 10, "Accounting-Message";
    /// Access-Challenge (RFC 2865).
    ACCESS_CHALLENGE = 11, "Access-Challenge";
    /// Status-Server (RFC 5997).
    STATUS_SERVER = 12, "Status-Server";
    /// Status-Client (RFC 2865, reserved).
    STATUS_CLIENT = 13, "Status-Client";
    /// Resource-Free-Request (RFC 3575).
    RESOURCE_FREE_REQUEST = 21, "Resource-Free-Request";
    /// Resource-Free-Response (RFC 3575).
    RESOURCE_FREE_RESPONSE = 22, "Resource-Free-Response";
    /// Resource-Query-Request (RFC 3575).
    RESOURCE_QUERY_REQUEST = 23, "Resource-Query-Request";
    /// Resource-Query-Response (RFC 3575).
    RESOURCE_QUERY_RESPONSE = 24, "Resource-Query-Response";
    /// Alternate-Resource-Reclaim-Request (RFC 3575).
    ALTERNATE_RESOURCE_RECLAIM_REQUEST = 25, "Alternate-Resource-Reclaim-Request";
    /// NAS-Reboot-Request (RFC 3575).
    NAS_REBOOT_REQUEST = 26, "NAS-Reboot-Request";
    /// NAS-Reboot-Response (RFC 3575).
    NAS_REBOOT_RESPONSE = 27, "NAS-Reboot-Response";
    /// Next-Passcode (RFC 3575).
    NEXT_PASSCODE = 29, "Next-Passcode";
    /// New-Pin (RFC 3575).
    NEW_PIN = 30, "New-Pin";
    /// Terminate-Session (RFC 3575).
    TERMINATE_SESSION = 31, "Terminate-Session";
    /// Password-Expired (RFC 3575).
    PASSWORD_EXPIRED = 32, "Password-Expired";
    /// Event-Request (RFC 3575).
    EVENT_REQUEST = 33, "Event-Request";
    /// Event-Response (RFC 3575).
    EVENT_RESPONSE = 34, "Event-Response";
    /// Disconnect-Request (RFC 5176).
    DISCONNECT_REQUEST = 40, "Disconnect-Request";
    /// Disconnect-ACK (RFC 5176).
    DISCONNECT_ACK = 41, "Disconnect-ACK";
    /// Disconnect-NAK (RFC 5176).
    DISCONNECT_NAK = 42, "Disconnect-NAK";
    /// CoA-Request (RFC 5176).
    COA_REQUEST = 43, "CoA-Request";
    /// CoA-ACK (RFC 5176).
    COA_ACK = 44, "CoA-ACK";
    /// CoA-NAK (RFC 5176).
    COA_NAK = 45, "CoA-NAK";
    /// IP-Address-Allocate (RFC 3575).
    IP_ADDRESS_ALLOCATE = 50, "IP-Address-Allocate";
    /// IP-Address-Release (RFC 3575).
    IP_ADDRESS_RELEASE = 51, "IP-Address-Release";
    /// Protocol-Error (RFC 7930).
    PROTOCOL_ERROR = 52, "Protocol-Error";
}

/// What kind of authenticator a code carries (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2.3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AuthenticatorKind {
    /// A random Request Authenticator (Access-Request, Status-Server).
    Random,
    /// MD5 over the packet with a zero authenticator plus the secret
    /// (Accounting-Request, CoA-Request, Disconnect-Request).
    RequestDigest,
    /// A Response Authenticator keyed on the request's authenticator.
    Response,
}

impl Code {
    /// Whether this code is a request (as opposed to a reply).
    pub fn is_request(self) -> bool {
        matches!(
            self.0,
            1 | 4 | 7 | 10 | 12 | 13 | 21 | 23 | 25 | 26 | 33 | 40 | 43 | 50 | 51
        )
    }

    /// How this code's authenticator is formed.
    pub fn authenticator_kind(self) -> AuthenticatorKind {
        match self {
            Code::ACCESS_REQUEST | Code::STATUS_SERVER | Code::STATUS_CLIENT => {
                AuthenticatorKind::Random
            }
            c if c.is_request() => AuthenticatorKind::RequestDigest,
            _ => AuthenticatorKind::Response,
        }
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}({})", self.0),
            None => write!(f, "Code({})", self.0),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Why a datagram is not a valid RADIUS packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer than 20 octets received.
    #[error("packet too short: {0} octets, need at least 20")]
    TooShort(usize),
    /// The Length field is outside 20..=4096.
    #[error("Length field {0} outside 20..=4096")]
    BadLength(u16),
    /// The Length field claims more octets than were received.
    #[error("Length field {declared} exceeds the {received} octets received")]
    Truncated {
        /// Value of the Length field.
        declared: u16,
        /// Octets actually received.
        received: usize,
    },
    /// An attribute's length octet is below 2.
    #[error("attribute at offset {offset} has length {len} (minimum 2)")]
    AttrTooShort {
        /// Offset of the attribute in the packet.
        offset: usize,
        /// Its length octet.
        len: u8,
    },
    /// An attribute runs past the end of the packet.
    #[error("attribute at offset {offset} (length {len}) runs past the packet end {end}")]
    AttrOverflow {
        /// Offset of the attribute in the packet.
        offset: usize,
        /// Its length octet.
        len: u8,
        /// The packet's Length.
        end: usize,
    },
    /// Message-Authenticator present with a length other than 18.
    #[error("Message-Authenticator at offset {0} has length other than 18")]
    BadMessageAuthenticatorLength(usize),
}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The packet would exceed 4096 octets.
    #[error("packet would be {0} octets, more than the 4096 RADIUS allows")]
    PacketTooLong(usize),
    /// A single attribute value exceeds 253 octets.
    #[error("attribute {typ} value is {len} octets, more than the 253 one attribute holds")]
    ValueTooLong {
        /// Attribute type.
        typ: u8,
        /// Value length.
        len: usize,
    },
    /// A value could not be encoded (e.g. a password over 128 octets).
    #[error("{0}")]
    Value(#[from] crate::value::ValueError),
}

/// A reply written by [`PacketWriter::finish_or_defer`] and not yet signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsignedReply {
    /// The authenticator of the request it answers.
    pub request_auth: [u8; 16],
    /// Offset of its Message-Authenticator value, if it has one.
    pub ma_offset: Option<usize>,
}

impl UnsignedReply {
    /// The signing job for its octets `packet` under `secret`.
    pub fn to_sign<'a>(
        &self,
        packet: &'a mut [u8],
        secret: &'a Secret,
    ) -> crypto::batch::ReplyToSign<'a> {
        crypto::batch::ReplyToSign {
            packet,
            request_auth: self.request_auth,
            ma_offset: self.ma_offset,
            secret,
        }
    }
}

/// A validated, borrowed RADIUS packet.
///
/// The slice is trimmed to the Length field; octets past it are ignored
/// (RFC 2865 §3: "Octets outside the range of the Length field MUST be
/// treated as padding and ignored on reception").
#[derive(Clone, Copy)]
pub struct Packet<'a> {
    buf: &'a [u8],
    /// Offset of the Message-Authenticator value, found during validation.
    ma_offset: Option<u16>,
}

impl<'a> Packet<'a> {
    /// Validate `data` and borrow it as a packet. Never panics, never allocates.
    pub fn decode(data: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_version(data, RadiusVersion::V1_0)
    }

    /// [`decode`](Self::decode) for a connection speaking `version`. In
    /// RADIUS/1.1 (RFC 9765) Message-Authenticator has no role: one of any
    /// length is ignored on receipt rather than failing the packet, and
    /// [`message_authenticator_offset`](Self::message_authenticator_offset)
    /// reports none.
    pub fn decode_version(data: &'a [u8], version: RadiusVersion) -> Result<Self, DecodeError> {
        let check_ma = !version.is_v1_1();
        if data.len() < MIN_PACKET_LEN {
            return Err(DecodeError::TooShort(data.len()));
        }
        let declared = u16::from_be_bytes([data[2], data[3]]);
        let len = declared as usize;
        if !(MIN_PACKET_LEN..=MAX_PACKET_LEN).contains(&len) {
            return Err(DecodeError::BadLength(declared));
        }
        if len > data.len() {
            return Err(DecodeError::Truncated {
                declared,
                received: data.len(),
            });
        }
        let buf = &data[..len];
        let mut ma_offset = None;
        let mut i = MIN_PACKET_LEN;
        while i < len {
            if i + 2 > len {
                // A lone type octet with no length.
                return Err(DecodeError::AttrOverflow {
                    offset: i,
                    len: 0,
                    end: len,
                });
            }
            let alen = buf[i + 1];
            if alen < 2 {
                return Err(DecodeError::AttrTooShort {
                    offset: i,
                    len: alen,
                });
            }
            if i + alen as usize > len {
                return Err(DecodeError::AttrOverflow {
                    offset: i,
                    len: alen,
                    end: len,
                });
            }
            if check_ma && buf[i] == MESSAGE_AUTHENTICATOR {
                if alen != 18 {
                    return Err(DecodeError::BadMessageAuthenticatorLength(i));
                }
                // The first one counts; a second is caught by the MA check.
                if ma_offset.is_none() {
                    ma_offset = Some((i + 2) as u16);
                }
            }
            i += alen as usize;
        }
        Ok(Packet { buf, ma_offset })
    }

    /// The packet code.
    #[inline]
    pub fn code(&self) -> Code {
        Code(self.buf[0])
    }

    /// The Identifier octet.
    #[inline]
    pub fn identifier(&self) -> u8 {
        self.buf[1]
    }

    /// The 16-octet Authenticator field.
    #[inline]
    pub fn authenticator(&self) -> &'a [u8; 16] {
        self.buf[4..20].try_into().expect("validated length")
    }

    /// The RADIUS/1.1 Token (RFC 9765 §4): the first four octets of what
    /// RADIUS/1.0 calls the Authenticator. Meaningless in RADIUS/1.0.
    #[inline]
    pub fn token(&self) -> u32 {
        u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]])
    }

    /// The packet's octets, exactly Length long.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Length in octets.
    #[allow(clippy::len_without_is_empty)]
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// The attribute area (everything after the header).
    #[inline]
    pub fn attribute_bytes(&self) -> &'a [u8] {
        &self.buf[MIN_PACKET_LEN..]
    }

    /// Iterate over top-level attributes, in order, without allocating.
    #[inline]
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes::new(self.attribute_bytes())
    }

    /// The value of the first attribute of type `typ`.
    pub fn find(&self, typ: u8) -> Option<&'a [u8]> {
        self.attributes().find(|a| a.typ == typ).map(|a| a.value)
    }

    /// Values of every attribute of type `typ`, in order.
    pub fn find_all(&self, typ: u8) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.attributes()
            .filter(move |a| a.typ == typ)
            .map(|a| a.value)
    }

    /// Whether a Message-Authenticator attribute is present.
    #[inline]
    pub fn has_message_authenticator(&self) -> bool {
        self.ma_offset.is_some()
    }

    /// Offset of the (first) Message-Authenticator value, if present.
    #[inline]
    pub fn message_authenticator_offset(&self) -> Option<usize> {
        self.ma_offset.map(usize::from)
    }

    /// Verify the Message-Authenticator (RFC 3579 §3.2) if present.
    ///
    /// `auth` is what the HMAC is keyed on in the Authenticator field: this
    /// packet's own authenticator for Access-Request/Status-Server, sixteen
    /// zero octets for Accounting/CoA/Disconnect requests, and the request's
    /// authenticator for replies. Returns `Ok(false)` when the attribute is
    /// absent and `Err` when it is present but wrong.
    pub fn verify_message_authenticator(
        &self,
        secret: &Secret,
        auth: &[u8; 16],
    ) -> Result<bool, AuthError> {
        let Some(off) = self.message_authenticator_offset() else {
            return Ok(false);
        };
        let want = crypto::message_authenticator(secret, self.buf, auth, off);
        if crypto::ct_eq(&want, &self.buf[off..off + 16]) {
            Ok(true)
        } else {
            Err(AuthError::MessageAuthenticator)
        }
    }

    /// The authenticator the Message-Authenticator of a *request* is keyed on.
    pub fn request_ma_key(&self) -> [u8; 16] {
        match self.code().authenticator_kind() {
            AuthenticatorKind::Random => *self.authenticator(),
            _ => [0; 16],
        }
    }

    /// Verify a request: the Request Authenticator for
    /// Accounting/CoA/Disconnect requests (RFC 2866 §3, RFC 5176 §2.3) and the
    /// Message-Authenticator when present. Returns whether a valid
    /// Message-Authenticator was present.
    pub fn verify_request(&self, secret: &Secret) -> Result<bool, AuthError> {
        if self.code().authenticator_kind() == AuthenticatorKind::RequestDigest {
            let want = crypto::request_digest(secret, self.buf);
            if !crypto::ct_eq(&want, self.authenticator()) {
                return Err(AuthError::RequestAuthenticator);
            }
        }
        self.verify_message_authenticator(secret, &self.request_ma_key())
    }

    /// [`verify_request`](Self::verify_request) against authenticators
    /// computed beforehand for a whole batch of requests
    /// ([`crypto::batch::expected_for_requests`], from
    /// [`to_check`](Self::to_check)).
    pub fn verify_request_expected(
        &self,
        expected: &crypto::batch::Expected,
    ) -> Result<bool, AuthError> {
        if self.code().authenticator_kind() == AuthenticatorKind::RequestDigest
            && !expected
                .digest
                .is_some_and(|d| crypto::ct_eq(&d, self.authenticator()))
        {
            return Err(AuthError::RequestAuthenticator);
        }
        let Some(off) = self.message_authenticator_offset() else {
            return Ok(false);
        };
        if expected
            .ma
            .is_some_and(|m| crypto::ct_eq(&m, &self.buf[off..off + 16]))
        {
            Ok(true)
        } else {
            Err(AuthError::MessageAuthenticator)
        }
    }

    /// What [`crypto::batch::expected_for_requests`] needs to check this
    /// request with `secret`.
    pub fn to_check<'s>(&self, secret: &'s Secret) -> crypto::batch::RequestToCheck<'s>
    where
        'a: 's,
    {
        crypto::batch::RequestToCheck {
            packet: self.buf,
            secret,
            ma_offset: self.message_authenticator_offset(),
            ma_key: self.request_ma_key(),
            digest: self.code().authenticator_kind() == AuthenticatorKind::RequestDigest,
            user_password: self.code() == Code::ACCESS_REQUEST
                && self.attributes().any(|a| a.typ == USER_PASSWORD),
        }
    }

    /// Verify a reply against the request it answers: Response Authenticator
    /// (RFC 2865 §3) and Message-Authenticator when present. Returns whether a
    /// valid Message-Authenticator was present.
    pub fn verify_reply(
        &self,
        secret: &Secret,
        request_auth: &[u8; 16],
    ) -> Result<bool, AuthError> {
        let want = crypto::response_authenticator(secret, self.buf, request_auth);
        self.verify_reply_expected(secret, request_auth, &want)
    }

    /// [`verify_reply`](Self::verify_reply) with the Response Authenticator
    /// it must carry already computed (in a batch:
    /// [`crypto::batch::expected_for_replies`]).
    pub fn verify_reply_expected(
        &self,
        secret: &Secret,
        request_auth: &[u8; 16],
        expected: &[u8; 16],
    ) -> Result<bool, AuthError> {
        if !crypto::ct_eq(expected, self.authenticator()) {
            return Err(AuthError::ResponseAuthenticator);
        }
        self.verify_message_authenticator(secret, request_auth)
    }
}

impl fmt::Debug for Packet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("code", &self.code())
            .field("id", &self.identifier())
            .field("len", &self.len())
            .field(
                "attributes",
                &self.attributes().collect::<Vec<RawAttr<'_>>>(),
            )
            .finish()
    }
}

/// An authenticator check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Request Authenticator of an Accounting/CoA/Disconnect request is wrong (wrong secret?).
    #[error("bad Request Authenticator (wrong shared secret?)")]
    RequestAuthenticator,
    /// Response Authenticator of a reply is wrong.
    #[error("bad Response Authenticator (wrong shared secret or not our request)")]
    ResponseAuthenticator,
    /// Message-Authenticator HMAC does not match.
    #[error("bad Message-Authenticator (wrong shared secret or tampered packet)")]
    MessageAuthenticator,
}

/// Writes one packet into a reusable buffer.
///
/// ```
/// use radius_core::packet::{Code, PacketWriter, Packet};
/// use radius_core::crypto::Secret;
/// let secret = Secret::new(b"testing123");
/// let mut buf = Vec::new();
/// let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, 7);
/// w.message_authenticator().unwrap();
/// w.attr(1, b"bob").unwrap();
/// w.finish(&secret).unwrap();
/// let p = Packet::decode(&buf).unwrap();
/// assert_eq!(p.verify_request(&secret), Ok(true));
/// ```
pub struct PacketWriter<'b> {
    buf: &'b mut Vec<u8>,
    ma_offset: Option<usize>,
    /// For replies: the authenticator of the request being answered.
    request_auth: Option<[u8; 16]>,
    /// RADIUS/1.1: Token header, nothing computed with the secret.
    v11: bool,
}

impl<'b> PacketWriter<'b> {
    /// Start a request. Access-Request and Status-Server get a fresh random
    /// Request Authenticator from the OS CSPRNG; other requests get theirs at
    /// [`finish`](Self::finish).
    pub fn request(buf: &'b mut Vec<u8>, code: Code, identifier: u8) -> Self {
        let auth = match code.authenticator_kind() {
            AuthenticatorKind::Random => crypto::random_authenticator(),
            _ => [0; 16],
        };
        Self::request_with_authenticator(buf, code, identifier, auth)
    }

    /// Start a request with a given authenticator (for tests and
    /// retransmissions; for Access-Request it must be unpredictable).
    pub fn request_with_authenticator(
        buf: &'b mut Vec<u8>,
        code: Code,
        identifier: u8,
        auth: [u8; 16],
    ) -> Self {
        buf.clear();
        buf.extend_from_slice(&[code.0, identifier, 0, 20]);
        buf.extend_from_slice(&auth);
        PacketWriter {
            buf,
            ma_offset: None,
            request_auth: None,
            v11: false,
        }
    }

    /// Start a RADIUS/1.1 packet (RFC 9765 §4): Code, Reserved-1 (zero),
    /// Length, the 4-octet `token`, 12 octets of Reserved-2 (zero). Requests
    /// and replies alike: a reply carries the Token of its request. No
    /// Message-Authenticator is ever written ([`message_authenticator`]
    /// is a no-op), typed attributes are added in clear
    /// ([`add`](Self::add)), and [`finish`](Self::finish) only sets Length.
    ///
    /// [`message_authenticator`]: Self::message_authenticator
    pub fn v1_1(buf: &'b mut Vec<u8>, code: Code, token: u32) -> Self {
        buf.clear();
        buf.extend_from_slice(&[code.0, 0, 0, 20]);
        buf.extend_from_slice(&token.to_be_bytes());
        buf.extend_from_slice(&[0; 12]);
        PacketWriter {
            buf,
            ma_offset: None,
            request_auth: None,
            v11: true,
        }
    }

    /// Which RADIUS variant this writer produces.
    pub fn version(&self) -> RadiusVersion {
        if self.v11 {
            RadiusVersion::V1_1
        } else {
            RadiusVersion::V1_0
        }
    }

    /// Start a reply with `code` to `request` (same Identifier).
    pub fn reply(
        buf: &'b mut Vec<u8>,
        code: Code,
        identifier: u8,
        request_auth: &[u8; 16],
    ) -> Self {
        buf.clear();
        buf.extend_from_slice(&[code.0, identifier, 0, 20]);
        // Placeholder: the Response Authenticator is computed at finish.
        buf.extend_from_slice(request_auth);
        PacketWriter {
            buf,
            ma_offset: None,
            request_auth: Some(*request_auth),
            v11: false,
        }
    }

    /// The authenticator field as it stands (the Request Authenticator of
    /// an Access-Request, needed to obfuscate User-Password).
    pub fn authenticator(&self) -> [u8; 16] {
        self.buf[4..20].try_into().expect("header written")
    }

    /// The authenticator that obfuscated attributes (User-Password,
    /// Tunnel-Password ...) are keyed on: this request's own authenticator,
    /// or for replies the request's.
    pub fn crypto_authenticator(&self) -> [u8; 16] {
        self.request_auth.unwrap_or_else(|| self.authenticator())
    }

    /// Octets written so far.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    fn check_room(&self, extra: usize) -> Result<(), EncodeError> {
        let total = self.buf.len() + extra;
        if total > MAX_PACKET_LEN {
            return Err(EncodeError::PacketTooLong(total));
        }
        Ok(())
    }

    /// Append one attribute (value at most 253 octets).
    pub fn attr(&mut self, typ: u8, value: &[u8]) -> Result<(), EncodeError> {
        if value.len() > MAX_ATTR_VALUE_LEN {
            return Err(EncodeError::ValueTooLong {
                typ,
                len: value.len(),
            });
        }
        self.check_room(2 + value.len())?;
        self.buf.push(typ);
        self.buf.push(2 + value.len() as u8);
        self.buf.extend_from_slice(value);
        Ok(())
    }

    /// Append already-encoded attribute octets (type, length, value ...),
    /// e.g. a VSA or extended attribute built by [`crate::attr`].
    pub fn raw(&mut self, encoded: &[u8]) -> Result<(), EncodeError> {
        self.append_with(|buf| {
            buf.extend_from_slice(encoded);
            Ok(())
        })
    }

    /// Append complete attributes that `f` writes straight into the packet
    /// buffer (no temporary). On error, or past 4096 octets, whatever `f`
    /// wrote is removed again. A Message-Authenticator among them is noted
    /// so [`finish`](Self::finish) fills it in.
    pub fn append_with(
        &mut self,
        f: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let start = self.buf.len();
        let mut r = f(self.buf);
        if r.is_ok() && self.buf.len() > MAX_PACKET_LEN {
            r = Err(EncodeError::PacketTooLong(self.buf.len()));
        }
        if let Err(e) = r {
            self.buf.truncate(start);
            return Err(e);
        }
        if self.ma_offset.is_none() {
            let mut off = start;
            for at in Attributes::new(&self.buf[start..]) {
                if at.typ == MESSAGE_AUTHENTICATOR && at.value.len() == 16 {
                    self.ma_offset = Some(off + 2);
                    break;
                }
                off += 2 + at.value.len();
            }
        }
        Ok(())
    }

    /// Append an attribute whose value is written by `f` directly into the
    /// buffer (no temporary). The value must not exceed 253 octets.
    pub fn attr_with(
        &mut self,
        typ: u8,
        f: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        let start = self.buf.len();
        self.buf.push(typ);
        self.buf.push(0);
        let r = f(self.buf);
        let len = self.buf.len() - start - 2;
        let r = r.and(if len > MAX_ATTR_VALUE_LEN {
            Err(EncodeError::ValueTooLong { typ, len })
        } else if self.buf.len() > MAX_PACKET_LEN {
            Err(EncodeError::PacketTooLong(self.buf.len()))
        } else {
            Ok(())
        });
        match r {
            Ok(()) => {
                self.buf[start + 1] = (len + 2) as u8;
                Ok(())
            }
            Err(e) => {
                self.buf.truncate(start);
                Err(e)
            }
        }
    }

    /// Append a Message-Authenticator placeholder; its HMAC is filled in by
    /// [`finish`](Self::finish). Adding it twice is a no-op.
    pub fn message_authenticator(&mut self) -> Result<(), EncodeError> {
        // RADIUS/1.1: Message-Authenticator must not be sent (RFC 9765 §4.2).
        if self.ma_offset.is_some() || self.v11 {
            return Ok(());
        }
        self.check_room(18)?;
        self.buf.extend_from_slice(&[MESSAGE_AUTHENTICATOR, 18]);
        self.ma_offset = Some(self.buf.len());
        self.buf.extend_from_slice(&[0; 16]);
        Ok(())
    }

    /// Like [`finish`](Self::finish), except that a RADIUS/1.0 reply is left
    /// unsigned (Length set, Message-Authenticator zero) and described by the
    /// returned [`UnsignedReply`], to be signed with others in one batch
    /// ([`crypto::batch::sign_replies`]). Other packets are finished.
    pub fn finish_or_defer(self, secret: &Secret) -> Result<Option<UnsignedReply>, EncodeError> {
        match self.request_auth {
            Some(request_auth) if !self.v11 => {
                let len = self.buf.len();
                if len > MAX_PACKET_LEN {
                    return Err(EncodeError::PacketTooLong(len));
                }
                self.buf[2..4].copy_from_slice(&(len as u16).to_be_bytes());
                Ok(Some(UnsignedReply {
                    request_auth,
                    ma_offset: self.ma_offset,
                }))
            }
            _ => self.finish(secret).map(|_| None),
        }
    }

    /// Like [`finish`](Self::finish), except that a RADIUS/1.0
    /// Access-Request or Status-Server with a Message-Authenticator is left
    /// with that value zero (Length set), to be signed with others in one
    /// batch ([`crypto::batch::sign_requests`]): returns its offset. Other
    /// packets are finished (`None`).
    pub fn finish_request_or_defer(self, secret: &Secret) -> Result<Option<usize>, EncodeError> {
        let code = Code(self.buf[0]);
        match self.ma_offset {
            Some(off)
                if self.request_auth.is_none()
                    && !self.v11
                    && code.authenticator_kind() == AuthenticatorKind::Random =>
            {
                let len = self.buf.len();
                if len > MAX_PACKET_LEN {
                    return Err(EncodeError::PacketTooLong(len));
                }
                self.buf[2..4].copy_from_slice(&(len as u16).to_be_bytes());
                Ok(Some(off))
            }
            _ => self.finish(secret).map(|_| None),
        }
    }

    /// Fill in Length, Message-Authenticator and the authenticator field.
    /// Returns the finished packet's octets.
    pub fn finish(self, secret: &Secret) -> Result<&'b [u8], EncodeError> {
        let len = self.buf.len();
        if len > MAX_PACKET_LEN {
            return Err(EncodeError::PacketTooLong(len));
        }
        self.buf[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        if self.v11 {
            // No authenticators, no Message-Authenticator: TLS protects it.
            return Ok(&self.buf[..]);
        }
        let code = Code(self.buf[0]);
        match self.request_auth {
            Some(req_auth) => {
                // Reply: MA keyed on the request authenticator (already in
                // the field), then the Response Authenticator over it all.
                if let Some(off) = self.ma_offset {
                    let mac = crypto::message_authenticator(secret, self.buf, &req_auth, off);
                    self.buf[off..off + 16].copy_from_slice(&mac);
                }
                let ra = crypto::response_authenticator(secret, self.buf, &req_auth);
                self.buf[4..20].copy_from_slice(&ra);
            }
            None => match code.authenticator_kind() {
                AuthenticatorKind::Random | AuthenticatorKind::Response => {
                    if let Some(off) = self.ma_offset {
                        let auth = self.authenticator();
                        let mac = crypto::message_authenticator(secret, self.buf, &auth, off);
                        self.buf[off..off + 16].copy_from_slice(&mac);
                    }
                }
                AuthenticatorKind::RequestDigest => {
                    // RFC 5176 §3.3 / RFC 3579: MA over the packet with a zero
                    // authenticator, then the Request Authenticator over it.
                    self.buf[4..20].fill(0);
                    if let Some(off) = self.ma_offset {
                        let mac = crypto::message_authenticator(secret, self.buf, &[0; 16], off);
                        self.buf[off..off + 16].copy_from_slice(&mac);
                    }
                    let ra = crypto::request_digest(secret, self.buf);
                    self.buf[4..20].copy_from_slice(&ra);
                }
            },
        }
        Ok(&self.buf[..])
    }
}
