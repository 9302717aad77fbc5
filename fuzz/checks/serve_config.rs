//! The configuration loader of `radius serve`
//! (`radius_cli::serve::config::Config::parse`): any text gives a
//! configuration or an error, never a panic, and an error names a line of
//! the text (1-based; 0 only when there is no text at all to point into).
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/serve_config.rs`) and the
//! test that replays `fuzz/corpus/serve_config/` in `cargo test`.

/// The check the `serve_config` target runs on each input (and the corpus
/// test on each committed input): panics on a failure.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = radius_cli::serve::config::Config::parse("fuzz.toml", text) {
        assert!(
            e.line <= text.lines().count() + 1,
            "{e} points past the {} lines of {text:?}",
            text.lines().count()
        );
        assert!(
            !e.message.is_empty(),
            "an empty message ({e:?}) for {text:?}"
        );
    }
}
