//! The EAP decoders and the EAP server: EAP packets, the EAP-TLS record
//! layer (L/M/S flags, reassembly), TTLS's Diameter AVPs, and whole
//! conversations through `EapServer` with every method on. Nothing may
//! panic; every answer must be a well-formed EAP packet whose Identifier
//! answers the response; reassembly stays within its bound.
//!
//! Input: byte 0 picks the target; for conversations, the rest is a
//! sequence of responses, each `len(1) type(1) data(len)`: the fuzzer
//! plays the peer, and the harness supplies the right State and
//! Identifier so that rounds get past the conversation checks.
#![no_main]

#[path = "../checks/eap.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
