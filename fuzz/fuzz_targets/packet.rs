//! Packet decoding: validation, attribute iteration, authenticator checks
//! and every wire layout lookup must never panic on any input; batched
//! authenticator checks must agree with one-by-one ones.
#![no_main]

#[path = "../checks/packet.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
