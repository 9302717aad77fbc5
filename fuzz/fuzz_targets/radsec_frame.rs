//! RadSec stream framing: any byte stream in any chunking frames exactly
//! as a reference framer does; bad Length fields are errors, never waits.
#![no_main]

#[path = "../checks/radsec_frame.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
