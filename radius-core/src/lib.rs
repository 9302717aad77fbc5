//! Sans-IO RADIUS core for typed-radius: packet codec, attribute layouts,
//! value types, cryptography, the FreeRADIUS dictionary parser/model and the
//! macros that define generated attribute types.
//!
//! No I/O (beyond reading dictionary files) and no async runtime: bytes in,
//! bytes or typed values out. The protocol rules built on it (duplicate
//! detection, BlastRADIUS policy, retransmission ...) are in `radius-proto`.
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod ascend;
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
