//! Reading dictionary files: [`Loader`]'s roots and virtual files, the
//! `$INCLUDE` stack (loops, files already read, paths relative to the
//! including file) and the `file:line` of every definition. The grammar
//! of a line is in [`parse`](super::parse).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::error::{DictError, Result};
use super::model::Location;
use super::parse::{split_fields, Block, PendingValue};
use super::Dictionary;

/// Loads one or more dictionary roots into a single [`Dictionary`].
///
/// ```
/// use radius_core::dict::Loader;
///
/// let dict = Loader::new()
///     .virtual_file("dicts/dictionary.acme", "VENDOR Acme 9999\n")
///     .add_str("dicts/dictionary", "$INCLUDE dictionary.acme\n")
///     .load()
///     .unwrap();
/// assert_eq!(dict.vendor_by_name("acme").unwrap().id, 9999);
/// ```
#[derive(Debug, Default)]
pub struct Loader {
    roots: Vec<Root>,
    virtual_files: HashMap<PathBuf, String>,
}

#[derive(Debug)]
enum Root {
    File(PathBuf),
    Str(PathBuf, String),
}

impl Loader {
    /// A loader with nothing to load yet.
    pub fn new() -> Self {
        Loader::default()
    }

    /// Adds a root file read from disk. Roots are loaded in the order they
    /// are added, into the same dictionary (later roots can refer to
    /// vendors and attributes of earlier ones). A directory stands for the
    /// `dictionary` file in it, as with FreeRADIUS's `-d` and `-D`.
    pub fn add_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots.push(Root::File(path.into()));
        self
    }

    /// Adds a root given as text, under a virtual file name used in
    /// locations and error messages and as the base for its relative
    /// `$INCLUDE`s.
    pub fn add_str(mut self, name: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.roots.push(Root::Str(name.into(), text.into()));
        self
    }

    /// Makes `text` available to `$INCLUDE` under `path` without touching
    /// the disk (the path is compared after lexical normalisation: `.` and
    /// `dir/..` are removed). Virtual files are not listed in
    /// [`Dictionary::files`].
    pub fn virtual_file(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.virtual_files
            .insert(normalize(&path.into()), text.into());
        self
    }

    /// Reads every root (and everything they include) and resolves it.
    pub fn load(self) -> Result<Dictionary> {
        let mut p = Parser {
            dict: Dictionary::default(),
            virtual_files: &self.virtual_files,
            stack: Vec::new(),
            loaded: HashSet::new(),
            pending: Vec::new(),
            seq: 0,
        };
        for root in &self.roots {
            match root {
                Root::File(path) => p.load_file(&root_file(path), None, false)?,
                Root::Str(name, text) => {
                    let id = normalize(name);
                    p.stack.push((id.clone(), name.clone()));
                    let result = p.parse_text(name, text);
                    p.stack.pop();
                    result?;
                    p.loaded.insert(id);
                }
            }
        }
        p.finish()
    }
}

/// The state of one load: the dictionary being built and where reading is.
pub(super) struct Parser<'a> {
    pub(super) dict: Dictionary,
    virtual_files: &'a HashMap<PathBuf, String>,
    /// Files being read: (identity, path as opened).
    stack: Vec<(PathBuf, PathBuf)>,
    /// Identities of files completely read.
    loaded: HashSet<PathBuf>,
    pub(super) pending: Vec<PendingValue>,
    /// Definition sequence number, to keep `values_of` in file order.
    pub(super) seq: u64,
}

/// The file a root path names: `dir/dictionary` for a directory.
pub(super) fn root_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("dictionary")
    } else {
        path.to_owned()
    }
}

/// Lexical normalisation: drops `.` components and folds `dir/..`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl Parser<'_> {
    fn load_file(&mut self, path: &Path, at: Option<&Location>, optional: bool) -> Result<()> {
        let normalized = normalize(path);
        let (identity, text, virtual_) = match self.virtual_files.get(&normalized) {
            Some(text) => (normalized.clone(), text.clone(), true),
            None => {
                let identity = fs::canonicalize(path).unwrap_or_else(|_| normalized.clone());
                if let Some(r) = self.check_loop(&identity, path, at) {
                    return r;
                }
                match fs::read(path) {
                    Ok(bytes) => (
                        identity,
                        String::from_utf8_lossy(&bytes).into_owned(),
                        false,
                    ),
                    Err(e) if optional && e.kind() == io::ErrorKind::NotFound => return Ok(()),
                    Err(source) => {
                        return Err(DictError::Io {
                            at: at.cloned(),
                            path: path.to_owned(),
                            source,
                        })
                    }
                }
            }
        };
        if let Some(r) = self.check_loop(&identity, path, at) {
            return r;
        }
        if !virtual_ {
            self.dict.files.push(path.to_owned());
        }
        self.stack.push((identity.clone(), path.to_owned()));
        let result = self.parse_text(path, &text);
        self.stack.pop();
        result?;
        self.loaded.insert(identity);
        Ok(())
    }

    /// `Some(Err)` for an include loop, `Some(Ok)` for a file already read
    /// completely (skipped, as FreeRADIUS v3 does), `None` to go on.
    fn check_loop(
        &self,
        identity: &Path,
        path: &Path,
        at: Option<&Location>,
    ) -> Option<Result<()>> {
        if self.stack.iter().any(|(id, _)| id == identity) {
            let chain = self
                .stack
                .iter()
                .map(|(_, p)| p.display().to_string())
                .chain(std::iter::once(path.display().to_string()))
                .collect::<Vec<_>>()
                .join(" -> ");
            let at = at.cloned().unwrap_or_else(|| Location::new(path, 0));
            return Some(Err(DictError::IncludeLoop {
                at,
                path: path.to_owned(),
                chain,
            }));
        }
        if self.loaded.contains(identity) {
            return Some(Ok(()));
        }
        None
    }

    fn parse_text(&mut self, path: &Path, text: &str) -> Result<()> {
        let file: Arc<Path> = Arc::from(path);
        let mut blocks: Vec<Block> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let fields = split_fields(line);
            let Some((&keyword, args)) = fields.split_first() else {
                continue;
            };
            let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let at = Location {
                file: file.clone(),
                line: line_no,
            };
            self.parse_line(keyword, args, at, &mut blocks)?;
        }
        // Blocks are scoped to one file (FreeRADIUS v3).
        match blocks.pop() {
            Some(block) => Err(block.unterminated()),
            None => Ok(()),
        }
    }

    /// `$INCLUDE target` (`optional`: `$INCLUDE-`) read at `at`: relative
    /// paths are relative to the including file's directory.
    pub(super) fn include(&mut self, target: &str, at: &Location, optional: bool) -> Result<()> {
        let target = Path::new(target);
        let path = if target.is_absolute() {
            target.to_owned()
        } else {
            at.file
                .parent()
                .map_or_else(|| target.to_owned(), |dir| dir.join(target))
        };
        self.load_file(&path, Some(at), optional)
    }
}
