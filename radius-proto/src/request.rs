//! Requests as handlers see them: [`Request`] (owned packet octets, the
//! client and how it arrived) and the typed wrappers [`AccessRequest`],
//! [`AccountingRequest`], [`CoaRequest`] and [`DisconnectRequest`].

use std::fmt;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;

use radius_core::crypto;
use radius_core::dict::Encrypt;
use radius_core::typed::{get_all_from_with, get_from_with, AttrCrypto, Attribute, CryptoCtx};
use radius_core::value::AttrValue;
use radius_core::{Code, Packet, RadiusVersion, ValueError};

use crate::dedup::Ticket;
use crate::host::Client;
use crate::port::PortKind;

/// A validated, authenticated request. Cheap to clone (two reference counts).
#[derive(Clone)]
pub struct Request {
    data: Arc<[u8]>,
    client: Client,
    src: SocketAddr,
    port: PortKind,
    has_ma: bool,
    protocol: Protocol,
    version: RadiusVersion,
    pub(crate) ticket: Option<Ticket>,
    /// MD5(secret + Request Authenticator), computed with the request's
    /// batch, so reading User-Password costs no MD5 block of its own.
    keystream: Option<[u8; 16]>,
    /// When the engine received it (for the latency histogram).
    pub(crate) received: Option<std::time::Instant>,
}

impl Request {
    pub(crate) fn new(
        data: &[u8],
        client: Client,
        src: SocketAddr,
        port: PortKind,
        has_ma: bool,
        ticket: Option<Ticket>,
    ) -> Self {
        Request {
            data: Arc::from(data),
            client,
            src,
            port,
            has_ma,
            protocol: Protocol::Udp,
            version: RadiusVersion::V1_0,
            ticket,
            keystream: None,
            received: None,
        }
    }

    pub(crate) fn set_keystream(&mut self, k: Option<[u8; 16]>) {
        self.keystream = k;
    }

    pub(crate) fn set_version(&mut self, version: RadiusVersion) {
        self.version = version;
    }

    /// RADIUS/1.0, or RADIUS/1.1 (RFC 9765: RadSec with ALPN `radius/1.1`).
    pub fn version(&self) -> RadiusVersion {
        self.version
    }

    /// The RADIUS/1.1 Token (`None` in RADIUS/1.0); the reply carries it.
    pub fn token(&self) -> Option<u32> {
        self.version
            .is_v1_1()
            .then(|| u32::from_be_bytes([self.data[4], self.data[5], self.data[6], self.data[7]]))
    }

    /// Mark the transport it arrived over (the RadSec server sets [`Protocol::Tls`]).
    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = protocol;
    }

    /// The transport protocol it arrived over.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The packet code.
    pub fn code(&self) -> Code {
        Code(self.data[0])
    }

    /// The Identifier (in RADIUS/1.1 the Reserved-1 octet; see
    /// [`token`](Self::token)).
    pub fn identifier(&self) -> u8 {
        self.data[1]
    }

    /// The Request Authenticator.
    pub fn authenticator(&self) -> &[u8; 16] {
        self.data[4..20].try_into().expect("validated packet")
    }

    /// The packet octets (exactly Length long): the raw escape hatch.
    pub fn raw(&self) -> &[u8] {
        &self.data
    }

    /// The packet, for raw attribute iteration (`packet().attributes()`).
    pub fn packet(&self) -> Packet<'_> {
        Packet::decode_version(&self.data, self.version).expect("validated when received")
    }

    /// The host-table entry of the sender.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The sender's address and port.
    pub fn source(&self) -> SocketAddr {
        self.src
    }

    /// Which listener received it.
    pub fn port_kind(&self) -> PortKind {
        self.port
    }

    /// Whether it carried a (verified) Message-Authenticator. Always false
    /// in RADIUS/1.1, where a received Message-Authenticator is ignored.
    pub fn has_message_authenticator(&self) -> bool {
        self.has_ma
    }

    /// Secret and authenticator, for decoding obfuscated attributes in
    /// RADIUS/1.0 (see [`attr_crypto`](Self::attr_crypto), which also
    /// covers RADIUS/1.1).
    pub fn crypto(&self) -> CryptoCtx<'_> {
        CryptoCtx {
            secret: self.client.secret(),
            authenticator: self.authenticator(),
        }
    }

    /// How obfuscated attributes of this request are read: with the secret
    /// and Request Authenticator (RADIUS/1.0), or in clear (RADIUS/1.1).
    pub fn attr_crypto(&self) -> AttrCrypto<'_> {
        match self.version {
            RadiusVersion::V1_0 => AttrCrypto::Obfuscated(self.crypto()),
            RadiusVersion::V1_1 => AttrCrypto::Clear,
        }
    }

    /// The first attribute `T`: `None` if absent, `Some(Err)` if malformed.
    /// User-Password and other obfuscated attributes come back in clear
    /// (RADIUS/1.1 sends them in clear).
    pub fn get<T: Attribute>(&self) -> Option<Result<T, ValueError>> {
        if let (Some(first), Encrypt::UserPassword, false, false, RadiusVersion::V1_0) = (
            &self.keystream,
            T::INFO.encrypt,
            T::INFO.has_tag,
            T::INFO.concat,
            self.version,
        ) {
            let raw = T::INFO.key.find_all(&self.data[20..]).next()?;
            let mut plain = Vec::with_capacity(raw.len());
            return Some(
                crypto::decrypt_user_password_keyed(&raw, self.client.secret(), first, &mut plain)
                    .and_then(|()| T::Value::decode_owned(plain))
                    .map(|v| T::from_parts(v, 0)),
            );
        }
        get_from_with::<T>(&self.data[20..], &self.attr_crypto())
    }

    /// `cipher`, a User-Password value of this request, in clear: with
    /// the keystream the engine's batch computed when it did (no MD5 block
    /// of its own), as sent under RADIUS/1.1.
    pub(crate) fn decrypt_user_password(
        &self,
        cipher: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ValueError> {
        match (self.version, &self.keystream) {
            (RadiusVersion::V1_1, _) => {
                out.clear();
                out.extend_from_slice(cipher);
                Ok(())
            }
            (RadiusVersion::V1_0, Some(first)) => {
                crypto::decrypt_user_password_keyed(cipher, self.client.secret(), first, out)
            }
            (RadiusVersion::V1_0, None) => crypto::decrypt_user_password(
                cipher,
                self.client.secret(),
                self.authenticator(),
                out,
            ),
        }
    }

    /// Every attribute `T`, in order.
    pub fn get_all<T: Attribute>(&self) -> Vec<Result<T, ValueError>> {
        get_all_from_with::<T>(&self.data[20..], &self.attr_crypto())
    }

    /// Raw values of every top-level attribute of type `typ`.
    pub fn raw_attrs(&self, typ: u8) -> impl Iterator<Item = &[u8]> + '_ {
        radius_core::attr::Attributes::new(&self.data[20..])
            .filter(move |a| a.typ == typ)
            .map(|a| a.value)
    }

    /// Check CHAP-Password (RFC 2865 §5.3) against a cleartext password,
    /// with CHAP-Challenge when present or else the Request Authenticator.
    /// `None` when the request has no CHAP-Password. RADIUS/1.1 has no
    /// Request Authenticator, so there CHAP-Challenge is required (without
    /// it the answer is `Some(false)`).
    pub fn verify_chap(&self, password: &[u8]) -> Option<bool> {
        const CHAP_PASSWORD: u8 = 3;
        const CHAP_CHALLENGE: u8 = 60;
        let chap = self.raw_attrs(CHAP_PASSWORD).next()?;
        let challenge = match self.raw_attrs(CHAP_CHALLENGE).next() {
            Some(c) => c,
            None if self.version.is_v1_1() => return Some(false),
            None => self.authenticator(),
        };
        Some(radius_core::crypto::verify_chap_password(
            chap, password, challenge,
        ))
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("code", &self.code())
            .field("id", &self.identifier())
            .field("version", &self.version)
            .field("client", &self.client.name())
            .field("src", &self.src)
            .field("len", &self.data.len())
            .finish()
    }
}

macro_rules! typed_requests {
    ($($(#[$m:meta])* $name:ident = $code:ident;)*) => {$(
        $(#[$m])*
        #[derive(Clone, Debug)]
        pub struct $name(Request);

        impl $name {
            /// The code this type stands for.
            pub const CODE: Code = Code::$code;

            /// Wrap a request of the right code.
            pub fn try_from_request(req: Request) -> Result<Self, Request> {
                if req.code() == Code::$code { Ok($name(req)) } else { Err(req) }
            }

            /// The untyped request.
            pub fn into_inner(self) -> Request {
                self.0
            }
        }

        impl Deref for $name {
            type Target = Request;
            fn deref(&self) -> &Request {
                &self.0
            }
        }
    )*};
}

typed_requests! {
    /// An Access-Request (RFC 2865), from the auth listener.
    AccessRequest = ACCESS_REQUEST;
    /// An Accounting-Request (RFC 2866), from the accounting listener.
    AccountingRequest = ACCOUNTING_REQUEST;
    /// A CoA-Request (RFC 5176), from the CoA listener.
    CoaRequest = COA_REQUEST;
    /// A Disconnect-Request (RFC 5176), from the CoA listener.
    DisconnectRequest = DISCONNECT_REQUEST;
}

/// How a request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// The sender's address and port.
    pub peer: SocketAddr,
    /// Which listener received it.
    pub port: PortKind,
    /// The transport protocol.
    pub protocol: Protocol,
}

/// Transport protocol of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// RADIUS over UDP (RFC 2865).
    Udp,
    /// RADIUS over TLS over TCP (RadSec, RFC 6614).
    Tls,
}
