//! The sans-IO RADIUS protocol: every rule of serving and sending RADIUS,
//! with no async runtime and no sockets (the shape of `quinn-proto` under
//! `quinn`). Callers pass octets and `now` in and get actions out; the
//! tokio layer (`radius-server`) only moves bytes.
//!
//! - [`engine`]: server request processing — host lookup, BlastRADIUS
//!   policy, Request Authenticator and Message-Authenticator checks,
//!   duplicate detection ([`dedup`]), Status-Server, Proxy-State, reply
//!   signing, drop reasons ([`stats`]).
//! - [`host`]: the host table (clients by address and prefix, secrets,
//!   policies).
//! - [`request`], [`reply`]: what a handler receives and returns.
//! - [`client`]: the client side for UDP and RadSec alike — Identifier
//!   pools, RFC 5080 retransmission with backoff, request encoding, reply
//!   matching and verification.
//! - [`eap`]: EAP method state machines (EAP-MD5 today).
//! - [`mschap`]: MS-CHAP v1 and v2 crypto and MPPE keys (RFC 2433, 2759,
//!   3079), for plain RADIUS MS-CHAP and the EAP methods that carry it.
//! - [`proxy`]: proxying — realm routing on User-Name ([`proxy::realm`]).
//! - [`radsec`]: RadSec stream framing, RADIUS/1.1 ALPN negotiation and the
//!   TLS peer table.
//!
//! Every clock reading comes from the caller, so tests drive time with a
//! simulated clock (see the unit tests of [`dedup`], [`client`] and
//! [`stats`]; radius-server's `tests/engine.rs` exercises the engine through
//! its re-exports).
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod client;
pub mod dedup;
pub mod eap;
pub mod engine;
pub mod host;
mod learned;
pub mod live_hosts;
pub mod mschap;
pub mod port;
pub mod proxy;
pub mod radsec;
pub mod reply;
pub mod request;
pub mod stats;

pub use engine::{Completion, Engine, EngineConfig, Event};
pub use host::{Cidr, Client, ClientConfig, HostTable, Policy};
pub use port::{PortKind, Served};
pub use reply::{
    AccessAccept, AccessChallenge, AccessReject, AccountingResponse, CoaAck, CoaNak, DisconnectAck,
    DisconnectNak, HandlerError, IntoReply, Reply,
};
pub use request::{
    AccessRequest, AccountingRequest, CoaRequest, DisconnectRequest, Protocol, Request, Transport,
};
pub use stats::{DropReason, Stats, StatsSnapshot};
