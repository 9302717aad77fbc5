//! A request as the client builds it, before it has an Identifier.

use radius_core::packet::MESSAGE_AUTHENTICATOR;
use radius_core::typed::{Attribute, CryptoCtx};
use radius_core::{Code, EncodeError, PacketWriter, Secret};

use super::needs_message_authenticator;

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

    /// Make room for `additional` more octets of attributes.
    pub fn reserve(&mut self, additional: usize) {
        self.attrs.reserve(additional);
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

    /// [`encode`](Self::encode), except that an Access-Request or
    /// Status-Server is left with its Message-Authenticator zero, to be
    /// signed with others in one batch
    /// ([`radius_core::crypto::batch::sign_requests`]); also returns that
    /// value's offset (`None`: the packet is finished).
    pub fn encode_deferred(
        &self,
        id: u8,
        secret: &Secret,
        buf: &mut Vec<u8>,
    ) -> Result<([u8; 16], Option<usize>), EncodeError> {
        let mut w = PacketWriter::request_with_authenticator(buf, self.code, id, self.auth);
        if self.message_authenticator {
            w.message_authenticator()?;
        }
        w.raw(&self.attrs)?;
        let off = w.finish_request_or_defer(secret)?;
        Ok((buf[4..20].try_into().expect("header"), off))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{verify_reply, ReplyError};
    use radius_core::packet::AuthError;
    use radius_core::Packet;
    use radius_dict::prelude::{UserName, UserPassword};

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
