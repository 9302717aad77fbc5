//! The rules of RADIUS over TLS (RFC 6614 with RFC 6613 framing) and of
//! RADIUS/1.1 (RFC 9765) that do not depend on a TLS library: stream
//! framing by the Length field, ALPN version negotiation, and the table that
//! identifies a TLS peer (certificate names, address) as a client, and the
//! budget of connections whose handshake is in progress ([`admission`]).

pub mod admission;
mod frame;
mod ident;
mod version;

pub use admission::{Admission, AdmissionConfig, AdmissionStats, Decision, Refusal, Ticket};
pub use frame::{FrameBuf, FrameError};
pub use ident::{PeerIdentity, TlsClient, TlsClientTable, RADSEC_SECRET};
pub use version::{RadiusV11, ALPN_RADIUS_1_0, ALPN_RADIUS_1_1};
