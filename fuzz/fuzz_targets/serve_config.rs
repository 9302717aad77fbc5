//! See `fuzz/checks/serve_config.rs`.
#![no_main]

#[path = "../checks/serve_config.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
