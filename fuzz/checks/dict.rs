//! Dictionary parsing from text must give a result or an error, never panic.
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/dict.rs`) and the test that
//! replays `fuzz/corpus/dict/` in `cargo test`.

/// The check the `dict` target runs on each input (and the corpus test
/// on each committed input): panics on a failure.
pub fn run(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = radius_core::dict::Dictionary::parse_str("fuzz.dict", text);
    }
}
