//! The project's dictionaries, compiled into the binary (by the `radius-dict` crate),
//! and the `--dict PATH` alternative.

use std::path::Path;

use anyhow::Context as _;
use radius_core::dict::{Dictionary, Loader};

/// Every file of the project's dictionaries: (file name, contents).
pub use radius_dict::FILES;

/// The directory name the embedded files appear under in locations and
/// error messages.
pub const EMBEDDED_DIR: &str = "<embedded>";

/// Load the embedded dictionaries from their root file, resolving its
/// `$INCLUDE`s among the embedded files (never from disk).
pub fn load_embedded() -> anyhow::Result<Dictionary> {
    let mut loader = Loader::new();
    let mut root = None;
    for (name, text) in FILES {
        if *name == "dictionary" {
            root = Some(*text);
        } else {
            loader = loader.virtual_file(format!("{EMBEDDED_DIR}/{name}"), *text);
        }
    }
    let root = root.context("no root file \"dictionary\" among the embedded dictionaries")?;
    loader
        .add_str(format!("{EMBEDDED_DIR}/dictionary"), root)
        .load()
        .context("loading the embedded dictionaries")
}

/// `--dict PATH` if given, else the embedded dictionaries.
pub fn load(path: Option<&Path>) -> anyhow::Result<Dictionary> {
    match path {
        Some(p) => Dictionary::from_file(p).map_err(anyhow::Error::from),
        None => load_embedded(),
    }
}
