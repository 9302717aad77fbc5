//! The sans-IO client protocol, shared by the UDP and RadSec clients:
//! retransmission timing with RFC 5080 backoff ([`Backoff`]), reconnect
//! backoff for stream transports ([`Reconnect`]), Identifier (and
//! RADIUS/1.1 Token) allocation and reply matching ([`Outstanding`]),
//! request encoding ([`ClientRequest`]) and reply verification
//! ([`verify_reply`], [`is_reply_to`]).
//!
//! Nothing here touches a socket or a clock: callers pass `Instant`s in and
//! get deadlines and decisions out, so every rule is testable with bytes
//! and instants. `radius-server`'s `UdpClient` and `RadSecClient` drive it
//! with tokio; the `radius bench` load generator uses the same pieces in its
//! own loop.

mod ids;
mod outstanding;
mod reconnect;
mod request;
mod retry;
mod verify;

pub use ids::IdPool;
pub use outstanding::{Matched, Outstanding, Slot};
pub use reconnect::Reconnect;
pub use request::ClientRequest;
pub use retry::{Backoff, Jitter, RetryPolicy, Step};
pub use verify::{is_reply_to, needs_message_authenticator, verify_reply, ReplyError};
