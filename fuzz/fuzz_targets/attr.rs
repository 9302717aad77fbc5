//! Attribute value decoding: every data type, tags and de-obfuscation,
//! and vendor sub-attribute parsing in every format.
#![no_main]

#[path = "../checks/attr.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
