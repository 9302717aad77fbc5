//! See `fuzz/checks/text.rs`.
#![no_main]

#[path = "../checks/text.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
