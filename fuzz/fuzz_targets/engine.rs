//! The server engine, datagram in → action out, with a host table and
//! policies chosen by the input: it must never panic, and its answers must
//! keep the protocol's promises whatever arrives — every reply it sends is
//! a well-formed, correctly signed answer of a legal kind, a retransmission
//! of an answered request gets the same octets from the cache, and every
//! datagram is counted exactly once.
//!
//! Input: byte 0 picks the listener, the client policies and whether the
//! rest is taken raw or re-signed into a valid request (so the fuzzer gets
//! past the authenticator checks); byte 1 picks the handler's reply; the
//! rest is the datagram (raw) or code, Identifier and attributes (signed).
#![no_main]

#[path = "../checks/engine.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
