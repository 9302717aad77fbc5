//! Typed RADIUS servers on tokio: UDP listeners for authentication,
//! accounting and CoA/Disconnect, a host table with BlastRADIUS policies, a
//! duplicate cache, counters, and handlers written as plain functions whose
//! parameters are extractors.
//!
//! ```no_run
//! use radius_server::{radius_handler, AccessAccept, AccessReject, AccessRequest, Reply, Shared};
//! use radius_dict::prelude::{UserName, UserPassword};
//!
//! #[derive(Clone)]
//! struct Users;
//!
//! #[radius_handler]
//! async fn auth(_req: AccessRequest, name: UserName, pass: UserPassword, _users: Shared<Users>) -> Reply {
//!     if name.value() == "bob" && pass.value() == "hello" { AccessAccept::new().into() } else { AccessReject::new().into() }
//! }
//! ```
//!
//! Layers: the protocol rules are in the sans-IO `radius-proto` crate
//! (datagram in, event out), re-exported here as [`engine`], [`host`],
//! [`dedup`], [`request`], [`reply`] and [`stats`]; [`server`], [`radsec`]
//! and [`client`] drive them with tokio sockets; [`extract`], [`request`],
//! [`reply`] and [`handler`] are the typed handler API.
//!
//! `#[radius_handler]` generates paths to this crate: `::radius_server` by
//! default, `::typed_radius::server` when the calling package depends on the
//! `typed-radius` facade instead, or whatever `#[radius_handler(crate = "path")]` names.
#![warn(missing_docs)]
#![deny(unsafe_code)]

// Lets `#[radius_handler]` expansions (which name `::radius_server`) work inside this crate.
extern crate self as radius_server;

mod batch;
pub mod client;
mod dispatch;
pub mod eap;
pub mod extract;
mod fair;
mod forward;
pub mod handler;
mod listener;
pub mod proxy;
pub mod radsec;
mod send_queue;
pub mod server;

// The protocol rules live in the sans-IO crate; their modules are re-exported
// here under the paths handler authors already use.
pub use radius_proto::{dedup, engine, host, port, reply, request, stats};

pub use client::{
    ClientError, ClientRequest, ClientStats, RequestBuilder, RequireMessageAuthenticator, Response,
    RetryPolicy, UdpClient, UdpClientBuilder,
};
pub use extract::{FromRequest, Shared};
pub use handler::{run_blocking, Handler, HandlerFuture};
pub use host::{Cidr, Client, ClientConfig, HostTable, Policy};
pub use radius_core::RadiusVersion;
pub use radius_derive::radius_handler;
pub use radius_proto::{Completion, Engine, EngineConfig, Event, PortKind, Served};
pub use radsec::{
    RadSecClient, RadSecClientConfig, RadSecServer, RadiusV11, TlsClient, TlsClientTable, TlsConfig,
};
pub use reply::{
    AccessAccept, AccessChallenge, AccessReject, AccountingResponse, CoaAck, CoaNak, DisconnectAck,
    DisconnectNak, HandlerError, IntoReply, Reply,
};
pub use request::{
    AccessRequest, AccountingRequest, CoaRequest, DisconnectRequest, Protocol, Request, Transport,
};
pub use server::{Builder, Server, ServerConfig, ServerHandle};
pub use stats::{DropReason, Stats, StatsSnapshot};

/// Items the `#[radius_handler]` expansion uses. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::extract::FromRequest;
    pub use crate::handler::run_blocking;
    pub use crate::reply::{IntoReply, Reply};
    pub use crate::request::Request;

    /// Compile-time check that `T` is an extractor (spanned at the parameter).
    pub fn assert_extractor<T: FromRequest<S>, S>() {}
    /// Compile-time check that `T` is a reply (spanned at the return type).
    pub fn assert_reply<T: IntoReply>() {}
}
