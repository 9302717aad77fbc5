//! Dictionary parsing from text must give a result or an error, never panic.
#![no_main]

#[path = "../checks/dict.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
