//! Sans-IO RADIUS core for typed-radius: packet codec, attribute layouts,
//! value types, cryptography, the FreeRADIUS dictionary parser/model and the
//! macros that define generated attribute types.
//!
//! No I/O and no async runtime: every protocol rule takes bytes and returns
//! bytes or events, so it is testable on its own (as quinn-proto under quinn).
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod attr;
pub mod codegen;
pub mod crypto;
pub mod md5x;

pub mod packet;
pub mod text;
pub mod typed;
pub mod value;

pub use attr::{AttrKey, VendorFormat};
pub use crypto::Secret;
pub use packet::{Code, DecodeError, EncodeError, Packet, PacketWriter, RadiusVersion};
pub use typed::{AttrCrypto, Attribute, CryptoCtx, Encrypt, PacketExt};
pub use value::{AttrValue, ValueError};
pub mod dict;
