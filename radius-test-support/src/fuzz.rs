//! Replaying the committed fuzz corpora (`fuzz/corpus/TARGET/`) in
//! `cargo test`, through the same check function the fuzz target calls
//! (`fuzz/checks/TARGET.rs`, included by `#[path]`), so that a regression
//! fails CI without cargo-fuzz.

use std::path::{Path, PathBuf};

/// The fuzz targets whose corpora a test replays. A directory of
/// `fuzz/corpus/` not listed here fails [`corpus_dirs_are_replayed`].
pub const TARGETS: &[&str] = &[
    "attr",
    "dict",
    "eap",
    "engine",
    "packet",
    "radsec_frame",
    "serve_config",
    "text",
];

/// `fuzz/` of this repository.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Run `check` on every file of `fuzz/corpus/TARGET/`; a panic names the
/// file. Returns how many inputs ran (at least one: an empty or missing
/// corpus is a failure too).
pub fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no inputs", dir.display());
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{target} corpus input {} fails: {msg}", f.display());
        }
    }
    eprintln!("{target}: {} corpus inputs replayed", files.len());
    files.len()
}

/// Every directory of `fuzz/corpus/` is one of [`TARGETS`].
pub fn corpus_dirs_are_replayed() {
    let dir = fuzz_dir().join("corpus");
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let name = e.expect("directory entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            TARGETS.contains(&name.as_ref()),
            "fuzz/corpus/{name} is not replayed by any test (radius_test_support::fuzz::TARGETS)"
        );
    }
}
