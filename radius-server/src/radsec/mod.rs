//! RadSec: RADIUS over TLS over TCP (RFC 6614, with RFC 6613 framing), server
//! and client on tokio-rustls.
//!
//! - [`TlsConfig`]: certificate, key, CA(s) and optional CRLs from PEM, with
//!   errors that name the file and the problem (unreadable, no PEM section,
//!   key does not match certificate ...).
//! - [`RadSecServer`]: TLS 1.2/1.3 (rustls's cipher suites), client
//!   certificate required and verified; clients identified by certificate
//!   name and/or address ([`TlsClientTable`]), secret `"radsec"` by default;
//!   the same handlers and [`Engine`](crate::Engine) rules as UDP (handlers
//!   see [`Protocol::Tls`](crate::Protocol::Tls) through the
//!   [`Transport`](crate::Transport) extractor). Packets are framed by their
//!   Length field, many are in flight per connection and replies go out as
//!   they complete; duplicates are detected per connection (RFC 6613
//!   §2.6.1). A Length outside 20..=4096 closes that connection only.
//! - [`RadSecClient`]: one reused connection, reconnect with backoff,
//!   Status-Server watchdog, replies matched by Identifier and verified.
//!
//! ALPN and RADIUS/1.1 (RFC 9765): by default ([`RadiusV11::Off`]) both
//! sides offer `radius/1.0`; a peer offering no ALPN is served as
//! RADIUS/1.0, a peer offering only `radius/1.1` is refused during the
//! handshake (no_application_protocol). With [`RadiusV11::Allowed`] (per
//! listener: [`RadSecBuilder::radius_v11`]; per client:
//! [`RadSecClientConfig::radius_v11`]) `radius/1.1` is offered too and
//! chosen when both sides offer it; [`RadiusV11::Required`] offers only
//! `radius/1.1`. A RadSec client entry ([`TlsClient::radius_v11`]) can
//! narrow the listener's setting: a connection in a version the entry does
//! not accept is closed after the handshake with a log line. On a
//! RADIUS/1.1 connection packets carry a Token instead of Identifier and
//! authenticators, nothing uses the shared secret and obfuscated attributes
//! travel in clear (see [`Engine`](crate::Engine) and
//! [`RadiusVersion`](radius_core::RadiusVersion)).

mod client;
mod client_conn;
mod connection;
mod gate;
mod outbox;
mod server;
pub(crate) mod tls;

pub use client::{ClientError, RadSecClient, RadSecClientConfig, Response};
pub use radius_proto::radsec::{
    AdmissionConfig, AdmissionStats, FrameBuf, FrameError, PeerIdentity, TlsClient, TlsClientTable,
    RADSEC_SECRET,
};
pub use server::{
    RadSecBuilder, RadSecConfig, RadSecError, RadSecHandle, RadSecServer, RADSEC_PORT,
};
pub use tls::{
    describe_rustls_error, describe_tls_error, RadiusV11, TlsConfig, TlsConfigError,
    ALPN_RADIUS_1_0, ALPN_RADIUS_1_1,
};
