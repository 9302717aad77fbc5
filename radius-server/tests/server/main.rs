//! The engine and the UDP server: engine-level checks, malformed input,
//! end to end over UDP, and Debian's radclient as a peer. One binary for
//! all of them: each test binary links on its own, and CI has two cores.

mod common;
mod e2e;
mod engine;
mod malformed;
mod peers;
