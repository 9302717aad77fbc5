//! Dictionary parsing from text must give a result or an error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = radius_core::dict::Dictionary::parse_str("fuzz.dict", text);
    }
});
