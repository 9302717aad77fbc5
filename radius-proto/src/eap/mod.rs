//! EAP (RFC 3748) carried in RADIUS (RFC 3579): the server-side method
//! state machines, sans-IO. [`EapServer::step`] takes the EAP-Message and
//! State of an Access-Request (and `now`) and returns what to answer —
//! an Access-Challenge, Access-Accept (with the MSK for MS-MPPE keys) or
//! Access-Reject — or asks the caller for a credential and continues in
//! [`EapServer::resume`] once it has it, so that the lookup can be async.
//!
//! Methods: EAP-MD5 (RFC 3748 §5.4), EAP-TLS (RFC 5216, TLS 1.3 per RFC
//! 9190), PEAPv0 with inner EAP-MSCHAPv2 or EAP-GTC, and EAP-TTLS (RFC
//! 5281) with inner PAP, MSCHAPv2 or EAP-MSCHAPv2/GTC; TLS runs in memory
//! through rustls ([`tls`]).

pub mod avp;
mod keys;
mod md5;
mod mschapv2;
pub mod packet;
mod peap;
mod server;
pub mod tls;
mod ttls;
mod tunnel;

pub use keys::Keys;
pub use server::{Answer, EapConfig, EapConfigError, EapServer, Need, Pending, Resolution, Step};

use crate::mschap::NtHash;

/// EAP code Request (RFC 3748 §4).
pub const REQUEST: u8 = 1;
/// EAP code Response.
pub const RESPONSE: u8 = 2;
/// EAP code Success.
pub const SUCCESS: u8 = 3;
/// EAP code Failure.
pub const FAILURE: u8 = 4;
/// EAP type Identity (RFC 3748 §5.1).
pub const IDENTITY: u8 = 1;
/// EAP type Nak (RFC 3748 §5.3.1).
pub const NAK: u8 = 3;
/// EAP type MD5-Challenge (RFC 3748 §5.4).
pub const MD5_CHALLENGE: u8 = 4;
/// EAP type Generic Token Card (RFC 3748 §5.6).
pub const GTC: u8 = 6;
/// EAP type EAP-TLS (RFC 5216).
pub const TLS: u8 = 13;
/// EAP type EAP-TTLS (RFC 5281).
pub const TTLS: u8 = 21;
/// EAP type PEAP.
pub const PEAP: u8 = 25;
/// EAP type EAP-MSCHAPv2.
pub const MSCHAPV2: u8 = 26;

/// An outer EAP method the server can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// EAP-MD5: no keys, no server authentication; wired labs only.
    Md5,
    /// EAP-TLS: client certificates.
    Tls,
    /// PEAPv0 with inner EAP-MSCHAPv2 (or EAP-GTC).
    Peap,
    /// EAP-TTLS with inner PAP, MSCHAPv2, EAP-MSCHAPv2 or EAP-GTC.
    Ttls,
}

impl Method {
    /// The EAP type number.
    pub fn typ(self) -> u8 {
        match self {
            Method::Md5 => MD5_CHALLENGE,
            Method::Tls => TLS,
            Method::Peap => PEAP,
            Method::Ttls => TTLS,
        }
    }

    /// The method of EAP type `t`.
    pub fn from_typ(t: u8) -> Option<Method> {
        [Method::Md5, Method::Tls, Method::Peap, Method::Ttls]
            .into_iter()
            .find(|m| m.typ() == t)
    }

    /// The method's name as configured ("md5", "tls", "peap", "ttls").
    pub fn name(self) -> &'static str {
        match self {
            Method::Md5 => "md5",
            Method::Tls => "tls",
            Method::Peap => "peap",
            Method::Ttls => "ttls",
        }
    }

    /// The method named `s` (case-insensitive; "eap-tls" works too).
    pub fn from_name(s: &str) -> Option<Method> {
        let s = s.to_ascii_lowercase();
        let s = s.strip_prefix("eap-").unwrap_or(&s);
        [Method::Md5, Method::Tls, Method::Peap, Method::Ttls]
            .into_iter()
            .find(|m| m.name() == s)
    }

    /// Whether the method runs over TLS.
    pub fn uses_tls(self) -> bool {
        self != Method::Md5
    }
}

/// The method that needs a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InnerMethod {
    /// EAP-MD5 (outer): needs the cleartext password.
    Md5,
    /// TTLS PAP: cleartext password or NT hash.
    Pap,
    /// TTLS MSCHAPv2 (Diameter AVPs): cleartext password or NT hash.
    MsChapV2,
    /// EAP-MSCHAPv2 inside PEAP or TTLS: cleartext password or NT hash.
    EapMsChapV2,
    /// EAP-GTC inside PEAP or TTLS: cleartext password or NT hash.
    Gtc,
}

/// A user's credential, as the caller's lookup returns it.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// The cleartext password: every method works.
    Password(String),
    /// The NT hash (MD4 of the UTF-16LE password): MS-CHAP, PAP and GTC.
    NtHash(NtHash),
    /// No such user (or no usable credential). The exchange goes on and
    /// fails exactly where a wrong password would, so a peer cannot tell
    /// which user names exist.
    Unknown,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::Password(_) => "Password(..)",
            Credential::NtHash(_) => "NtHash(..)",
            Credential::Unknown => "Unknown",
        })
    }
}

impl Credential {
    /// Whether `given` is this user's password (constant time).
    pub fn check_password(&self, given: &[u8]) -> bool {
        match self {
            Credential::Password(p) => radius_core::crypto::ct_eq(p.as_bytes(), given),
            Credential::NtHash(h) => match std::str::from_utf8(given) {
                Ok(g) => radius_core::crypto::ct_eq(&NtHash::from_password(g).0, &h.0),
                Err(_) => false,
            },
            Credential::Unknown => false,
        }
    }

    /// The NT hash, when the credential gives one.
    pub fn nt_hash(&self) -> Option<NtHash> {
        match self {
            Credential::Password(p) => Some(NtHash::from_password(p)),
            Credential::NtHash(h) => Some(NtHash(h.0)),
            Credential::Unknown => None,
        }
    }
}
