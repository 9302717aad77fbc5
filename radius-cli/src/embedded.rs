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
    embedded_loader()?
        .load()
        .context("loading the embedded dictionaries")
}

/// A loader holding the embedded root and its files.
fn embedded_loader() -> anyhow::Result<Loader> {
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
    Ok(loader.add_str(format!("{EMBEDDED_DIR}/dictionary"), root))
}

/// `--dict PATH` for the commands that send and print attributes: a tree
/// that defines User-Name (attribute 1) is complete and replaces the
/// embedded dictionaries; anything else (one vendor's file, a few private
/// attributes) is loaded on top of them, as radclient loads
/// `raddb/dictionary` over its main dictionaries. Without a path, the
/// embedded dictionaries.
pub fn load_layered(path: Option<&Path>) -> anyhow::Result<Dictionary> {
    let Some(p) = path else {
        return load_embedded();
    };
    let own = Dictionary::from_file(p)?;
    if own.attr_by_number(None, None, 1).is_some() {
        return Ok(own);
    }
    embedded_loader()?.add_file(p).load().with_context(|| {
        format!(
            "loading {} over the built-in dictionaries (it defines no User-Name, \
             so it is not a complete tree)",
            p.display()
        )
    })
}

/// `--dict PATH` if given, else the embedded dictionaries.
pub fn load(path: Option<&Path>) -> anyhow::Result<Dictionary> {
    match path {
        Some(p) => Dictionary::from_file(p).map_err(anyhow::Error::from),
        None => load_embedded(),
    }
}
