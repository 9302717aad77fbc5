//! EAP (RFC 3748) carried in RADIUS (RFC 3579): the server-side method
//! state machines, sans-IO. A method takes the EAP-Message and State of an
//! Access-Request (and `now`) and returns what to answer; the caller puts
//! the result in an Access-Challenge, Access-Accept or Access-Reject.
//!
//! Methods: [`EapMd5`] (RFC 3748 §5.4). The TLS-based methods (EAP-TLS,
//! PEAP, TTLS) and MS-CHAPv2 will live here too, with rustls driven in
//! memory.

mod md5;

pub use md5::{EapMd5, EapReply};

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
