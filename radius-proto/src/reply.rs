//! Typed replies: [`AccessAccept`], [`AccessReject`], [`AccessChallenge`],
//! [`AccountingResponse`], [`CoaAck`], [`CoaNak`], [`DisconnectAck`],
//! [`DisconnectNak`], the [`Reply`] they convert into, [`HandlerError`] and
//! the [`IntoReply`] trait a handler's return type implements.
//!
//! Attributes are added as typed values (`.with(ReplyMessage::new("hi"))`).
//! Attributes obfuscated with the shared secret (Tunnel-Password ...) are
//! encoded when the reply is sent, when the request authenticator and secret
//! are known; the others are encoded immediately, so a reply is a byte buffer
//! plus, rarely, a few deferred attributes.

use std::fmt;
use std::sync::OnceLock;

use radius_core::packet::EncodeError;
use radius_core::typed::{AttrCrypto, Attribute, CryptoCtx, Encrypt};
use radius_core::{Code, Secret};
use radius_dict::prelude::{ErrorCause, ErrorCauseValue};

trait Deferred: Send + Sync {
    fn encode(&self, out: &mut Vec<u8>, crypto: &AttrCrypto<'_>) -> Result<(), EncodeError>;
}

struct DeferredAttr<A>(A);

impl<A: Attribute + Send + Sync> Deferred for DeferredAttr<A> {
    fn encode(&self, out: &mut Vec<u8>, crypto: &AttrCrypto<'_>) -> Result<(), EncodeError> {
        self.0.encode_with(out, crypto)
    }
}

fn no_secret() -> &'static Secret {
    static S: OnceLock<Secret> = OnceLock::new();
    S.get_or_init(|| Secret::new(b""))
}

/// The attributes of a reply being built.
#[derive(Default)]
pub struct ReplyAttrs {
    bytes: Vec<u8>,
    /// (position in `bytes`, attribute) for obfuscated attributes.
    deferred: Vec<(usize, Box<dyn Deferred>)>,
    error: Option<EncodeError>,
}

impl ReplyAttrs {
    /// Add a typed attribute.
    pub fn push<A: Attribute + Send + Sync + 'static>(&mut self, attr: A) {
        if A::INFO.encrypt == Encrypt::None {
            // Plain attributes do not depend on the secret or authenticator.
            let ctx = CryptoCtx {
                secret: no_secret(),
                authenticator: &[0; 16],
            };
            let start = self.bytes.len();
            if let Err(e) = attr.encode(&mut self.bytes, &ctx) {
                self.bytes.truncate(start);
                self.error.get_or_insert(e);
            }
        } else {
            self.deferred
                .push((self.bytes.len(), Box::new(DeferredAttr(attr))));
        }
    }

    /// Add an already-encoded attribute (type, length, value).
    pub fn push_raw(&mut self, typ: u8, value: &[u8]) {
        if value.len() > radius_core::packet::MAX_ATTR_VALUE_LEN {
            self.error.get_or_insert(EncodeError::ValueTooLong {
                typ,
                len: value.len(),
            });
            return;
        }
        self.bytes.push(typ);
        self.bytes.push(2 + value.len() as u8);
        self.bytes.extend_from_slice(value);
    }

    /// Whether no attribute was added (a failed addition counts as added:
    /// its error surfaces when the reply is written).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty() && self.deferred.is_empty() && self.error.is_none()
    }

    /// Write every attribute, in the order added, with the reply's crypto context.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn write(&self, out: &mut Vec<u8>, ctx: &CryptoCtx<'_>) -> Result<(), EncodeError> {
        self.write_with(out, &AttrCrypto::Obfuscated(*ctx))
    }

    /// Write every attribute, in the order added: obfuscated attributes
    /// with the reply's crypto context (RADIUS/1.0) or in clear (RADIUS/1.1).
    pub(crate) fn write_with(
        &self,
        out: &mut Vec<u8>,
        crypto: &AttrCrypto<'_>,
    ) -> Result<(), EncodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut at = 0;
        for (pos, d) in &self.deferred {
            out.extend_from_slice(&self.bytes[at..*pos]);
            d.encode(out, crypto)?;
            at = *pos;
        }
        out.extend_from_slice(&self.bytes[at..]);
        Ok(())
    }
}

impl fmt::Debug for ReplyAttrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyAttrs")
            .field("encoded_len", &self.bytes.len())
            .field("deferred", &self.deferred.len())
            .field("error", &self.error)
            .finish()
    }
}

macro_rules! reply_types {
    ($($(#[$m:meta])* $name:ident = $code:ident;)*) => {$(
        $(#[$m])*
        #[derive(Debug, Default)]
        pub struct $name {
            attrs: ReplyAttrs,
        }

        impl $name {
            /// The packet code.
            pub const CODE: Code = Code::$code;

            /// An empty reply.
            pub fn new() -> Self {
                Self::default()
            }

            /// Add a typed attribute (builder style).
            pub fn with<A: Attribute + Send + Sync + 'static>(mut self, attr: A) -> Self {
                self.attrs.push(attr);
                self
            }

            /// Add a typed attribute.
            pub fn add<A: Attribute + Send + Sync + 'static>(&mut self, attr: A) -> &mut Self {
                self.attrs.push(attr);
                self
            }

            /// Add a raw attribute (type and value octets): the escape hatch
            /// for attributes no dictionary names.
            pub fn with_raw(mut self, typ: u8, value: &[u8]) -> Self {
                self.attrs.push_raw(typ, value);
                self
            }

            /// The attributes added so far.
            pub fn attrs(&self) -> &ReplyAttrs {
                &self.attrs
            }
        }

        impl From<$name> for Reply {
            fn from(r: $name) -> Reply {
                Reply::$name(r)
            }
        }

        impl IntoReply for $name {
            fn into_reply(self) -> Reply {
                Reply::$name(self)
            }
        }
    )*

        /// Any reply a handler can give.
        #[derive(Debug)]
        pub enum Reply {
            $($(#[$m])* $name($name),)*
            /// Send nothing. For accounting, the RFC 2866 way to say "not
            /// recorded": the client retransmits later.
            NoReply,
            /// The handler failed: the request gets the negative reply for
            /// its code (Access-Reject, no reply to accounting, CoA-NAK,
            /// Disconnect-NAK with the error's Error-Cause).
            Error(HandlerError),
        }

        impl Reply {
            /// The code this reply is sent with (`None` for `NoReply` and `Error`).
            pub fn code(&self) -> Option<Code> {
                match self {
                    $(Reply::$name(_) => Some(Code::$code),)*
                    Reply::NoReply | Reply::Error(_) => None,
                }
            }

            /// The attributes (`None` for `NoReply` and `Error`).
            pub fn attrs(&self) -> Option<&ReplyAttrs> {
                match self {
                    $(Reply::$name(r) => Some(&r.attrs),)*
                    Reply::NoReply | Reply::Error(_) => None,
                }
            }
        }
    };
}

reply_types! {
    /// Access-Accept (RFC 2865).
    AccessAccept = ACCESS_ACCEPT;
    /// Access-Reject (RFC 2865).
    AccessReject = ACCESS_REJECT;
    /// Access-Challenge (RFC 2865).
    AccessChallenge = ACCESS_CHALLENGE;
    /// Accounting-Response (RFC 2866): the record is stored.
    AccountingResponse = ACCOUNTING_RESPONSE;
    /// CoA-ACK (RFC 5176).
    CoaAck = COA_ACK;
    /// CoA-NAK (RFC 5176).
    CoaNak = COA_NAK;
    /// Disconnect-ACK (RFC 5176).
    DisconnectAck = DISCONNECT_ACK;
    /// Disconnect-NAK (RFC 5176).
    DisconnectNak = DISCONNECT_NAK;
}

impl CoaNak {
    /// Add Error-Cause (RFC 5176 §3.6), e.g.
    /// `ErrorCauseValue::SessionContextNotFound`.
    pub fn error_cause(self, cause: ErrorCauseValue) -> Self {
        self.with(ErrorCause::new(cause))
    }
}

impl DisconnectNak {
    /// Add Error-Cause (RFC 5176 §3.6).
    pub fn error_cause(self, cause: ErrorCauseValue) -> Self {
        self.with(ErrorCause::new(cause))
    }
}

/// A handler failure. It becomes the negative reply for the request's code
/// (see [`Reply::Error`]) and a log line with its message.
///
/// Any `std::error::Error` converts into it, so `?` works in handlers that
/// return `Result<_, HandlerError>`.
pub struct HandlerError {
    message: String,
    error_cause: Option<ErrorCauseValue>,
}

impl HandlerError {
    /// An error with a message for the log.
    pub fn new(message: impl fmt::Display) -> Self {
        HandlerError {
            message: message.to_string(),
            error_cause: None,
        }
    }

    /// A required attribute is missing (Error-Cause 402).
    pub fn missing_attribute(name: &str) -> Self {
        HandlerError::new(format_args!("required attribute {name} is missing"))
            .with_error_cause(ErrorCauseValue::MissingAttribute)
    }

    /// An attribute is malformed (Error-Cause 407).
    pub fn invalid_attribute(name: &str, why: impl fmt::Display) -> Self {
        HandlerError::new(format_args!("attribute {name} is malformed: {why}"))
            .with_error_cause(ErrorCauseValue::InvalidAttributeValue)
    }

    /// Set the Error-Cause sent in a CoA-NAK or Disconnect-NAK.
    pub fn with_error_cause(mut self, cause: ErrorCauseValue) -> Self {
        self.error_cause = Some(cause);
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The Error-Cause, if set.
    pub fn error_cause(&self) -> Option<ErrorCauseValue> {
        self.error_cause
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerError")
            .field("message", &self.message)
            .field("error_cause", &self.error_cause)
            .finish()
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(e: E) -> Self {
        HandlerError::new(e)
    }
}

/// What a handler may return: [`Reply`], any typed reply, [`HandlerError`],
/// or `Result<T, E>` with `T: IntoReply` and `E: Into<HandlerError>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a RADIUS reply",
    label = "a #[radius_handler] must return a reply",
    note = "return Reply, AccessAccept, AccessReject, AccessChallenge, AccountingResponse, CoaAck, CoaNak, DisconnectAck, DisconnectNak, or Result<one of those, HandlerError>"
)]
pub trait IntoReply {
    /// Convert.
    fn into_reply(self) -> Reply;
}

impl IntoReply for Reply {
    fn into_reply(self) -> Reply {
        self
    }
}

impl IntoReply for HandlerError {
    fn into_reply(self) -> Reply {
        Reply::Error(self)
    }
}

impl<T: IntoReply, E: Into<HandlerError>> IntoReply for Result<T, E> {
    fn into_reply(self) -> Reply {
        match self {
            Ok(r) => r.into_reply(),
            Err(e) => Reply::Error(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use radius_dict::prelude::{ReplyMessage, TunnelPassword};

    #[test]
    fn attrs_keep_order_with_deferred() {
        let r = AccessAccept::new()
            .with(ReplyMessage::new("a"))
            .with(TunnelPassword::new("pw").with_tag(1))
            .with(ReplyMessage::new("b"));
        let secret = Secret::new("s");
        let ctx = CryptoCtx {
            secret: &secret,
            authenticator: &[1; 16],
        };
        let mut out = Vec::new();
        r.attrs().write(&mut out, &ctx).unwrap();
        assert_eq!(&out[..3], &[18, 3, b'a']);
        assert_eq!(out[3], 69);
        assert_eq!(&out[out.len() - 3..], &[18, 3, b'b']);
    }

    #[test]
    fn deferred_attrs_in_clear_for_radius_1_1() {
        let r = AccessAccept::new()
            .with(ReplyMessage::new("a"))
            .with(TunnelPassword::new("pw").with_tag(1));
        let mut out = Vec::new();
        r.attrs().write_with(&mut out, &AttrCrypto::Clear).unwrap();
        assert_eq!(out, [18, 3, b'a', 69, 5, 1, b'p', b'w']);
    }

    #[test]
    fn too_long_value_is_an_error_not_a_panic() {
        let r = AccessAccept::new().with(ReplyMessage::new("x".repeat(300)));
        let secret = Secret::new("s");
        let ctx = CryptoCtx {
            secret: &secret,
            authenticator: &[1; 16],
        };
        assert!(r.attrs().write(&mut Vec::new(), &ctx).is_err());
    }

    #[test]
    fn result_into_reply() {
        let ok: Result<AccessAccept, HandlerError> = Ok(AccessAccept::new());
        assert_eq!(ok.into_reply().code(), Some(Code::ACCESS_ACCEPT));
        let err: Result<AccessAccept, std::io::Error> = Err(std::io::Error::other("db down"));
        match err.into_reply() {
            Reply::Error(e) => assert_eq!(e.message(), "db down"),
            r => panic!("{r:?}"),
        }
    }
}
