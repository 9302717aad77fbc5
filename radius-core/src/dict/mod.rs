//! FreeRADIUS v3 dictionaries: parser and resolved model.
//!
//! [`Dictionary::from_file`] reads a dictionary tree from its root file,
//! following every `$INCLUDE`; [`Dictionary::parse_str`] reads text under a
//! virtual file name (tests, proc macros); [`Loader`] combines several roots
//! and in-memory include files. Reading files is the only I/O.
//!
//! # Grammar
//!
//! One definition per line; `#` starts a comment anywhere; fields are
//! separated by spaces/tabs; keywords are case-insensitive:
//!
//! ```text
//! ATTRIBUTE    name number|OID type [flag,flag,...|VendorName]
//! VALUE        attribute name number
//! VENDOR       name number [format=t,l[,c]]
//! BEGIN-VENDOR name [format=Extended-Vendor-Specific-N | parent=NAME]
//! END-VENDOR   name
//! BEGIN-TLV    name
//! END-TLV      name
//! $INCLUDE     path        (relative to the including file's directory)
//! $INCLUDE-    path        (same, but a missing file is skipped; also $-INCLUDE)
//! ```
//!
//! Numbers are decimal or `0x` hexadecimal. Types are those of [`DataType`]
//! (case-insensitive, with the v3 aliases) plus `octets[N]`. Flags:
//! `has_tag`, `encrypt=1|2|3`, `array`, `concat`, `virtual`, `secret`,
//! `abinary`; anything else is an error, except a lone known vendor name
//! outside blocks (the old `ATTRIBUTE name number type Vendor` syntax).
//!
//! Attribute numbers are resolved relative to the current block: in the
//! standard space, `26.V.N` is attribute `N` of vendor `V`, `241.N` an
//! extended attribute, `241.26.V.N` an Extended-Vendor-Specific one and
//! `T.N` child `N` of the TLV `T`; inside `BEGIN-VENDOR V`, `N` is a VSA and
//! `T.N` a child of the vendor TLV `T`; inside `BEGIN-VENDOR V
//! format=Extended-Vendor-Specific-5`, `N` lives under `245.26.V`; inside
//! `BEGIN-TLV T`, `N` is a child of `T`.
//!
//! # Semantics (following FreeRADIUS v3 `src/lib/dict.c`)
//!
//! - **Attribute names** are unique case-insensitively. Redefining a name
//!   identically is a no-op; with a different number, type or flags it is a
//!   [`DictError::DuplicateAttribute`] naming both locations. (FreeRADIUS
//!   rejects a different number and lets a different type overwrite; this
//!   parser rejects both.)
//! - **Aliases**: several names for one number are allowed (Debian's tree
//!   has e.g. `Ascend-Send-Secret` and `X-Ascend-Send-Secret`, both 214).
//!   All names resolve by name; the **last** one defined is the one
//!   [`Dictionary::attr_by_number`] returns, i.e. the one used for printing
//!   ([`Dictionary::canonical`]). Aliases share their `VALUE`s, because
//!   FreeRADIUS keys values by number, not by name. When an alias appears in
//!   text, FreeRADIUS sometimes reads it as the printed name, with that
//!   name's type: [`Dictionary::text_target`] says when (checked against
//!   radclient over Debian's whole tree).
//! - **Vendors**: same rules (same name with another number or format is an
//!   error; several names for one number: the last wins for printing).
//!   `VENDOR` without `format=` gets FreeRADIUS's built-in format for USR
//!   (429: `4,0`), Lucent (4846: `2,1`) and Starent (8164: `2,2`), else `1,1`.
//! - **VALUE** may come before its `ATTRIBUTE` (FreeRADIUS keeps a fixup
//!   list); it is an error only if no file defines the attribute. The same
//!   name twice for one attribute is ignored if the number is the same and
//!   an error otherwise. Several names for one number are allowed; the last
//!   one defined is printed ([`Dictionary::value_name`]), except that, as in
//!   FreeRADIUS, a forward-referenced VALUE never takes the printed name away
//!   from one defined after its attribute.
//! - **Blocks** (`BEGIN-VENDOR`, `BEGIN-TLV`) are scoped to one file, as in
//!   FreeRADIUS v3 (each file starts at the top level, even when included
//!   from inside a block). Ends must match the innermost open block, and a
//!   block still open at the end of its file is an error (FreeRADIUS v3
//!   silently forgets it).
//! - **$INCLUDE** loops are errors. A file included a second time after it
//!   was completely read is skipped, as FreeRADIUS v3 does (it remembers the
//!   files it read).
//! - `VALUE`s are accepted for `byte`, `short`, `integer`, `integer64`,
//!   `signed`, `date`, `bool` and `octets` attributes, with numbers that fit
//!   the type (see [`DataType::max_value`]).

mod error;
mod insert;
mod load;
mod model;
pub mod naming;
mod parse;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use error::{DictError, Result};
pub use load::Loader;
pub use model::{AttrId, Attribute, DataType, Encrypt, Flags, Location, Value, Vendor};

/// The key of an attribute in its number space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    parent: Option<AttrId>,
    vendor: Option<u32>,
    number: u32,
}

/// The `VALUE`s of one attribute number.
#[derive(Debug, Default, Clone)]
struct ValueSet {
    list: Vec<Value>,
    /// Definition sequence numbers, parallel to `list`.
    seqs: Vec<u64>,
    /// Lower-cased name -> index into `list`.
    by_name: HashMap<String, usize>,
    /// Number -> index of the printed name.
    by_number: HashMap<u64, usize>,
}

/// A resolved dictionary: vendors, the attribute tree and values.
///
/// Lookups by name are case-insensitive. Iteration orders are definition
/// orders.
#[derive(Debug, Default, Clone)]
pub struct Dictionary {
    vendors: Vec<Vendor>,
    vendor_by_name: HashMap<String, usize>,
    vendor_by_id: HashMap<u32, usize>,
    attrs: Vec<Attribute>,
    children: Vec<Vec<AttrId>>,
    top_level: Vec<AttrId>,
    vendor_attrs: HashMap<u32, Vec<AttrId>>,
    attr_by_name: HashMap<String, AttrId>,
    attr_by_key: HashMap<Key, AttrId>,
    /// Per attribute: a later definition of its number had the same type.
    superseded: Vec<bool>,
    values: HashMap<Key, ValueSet>,
    num_values: usize,
    files: Vec<PathBuf>,
}

const NO_VALUES: &[Value] = &[];

impl Dictionary {
    /// Loads the dictionary tree rooted at `path` (e.g.
    /// `/usr/share/freeradius/dictionary`), following every `$INCLUDE`. A
    /// directory stands for the `dictionary` file in it
    /// (`/usr/share/freeradius`), as with FreeRADIUS's `-d` and `-D`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Dictionary> {
        Loader::new().add_file(path.as_ref()).load()
    }

    /// Parses dictionary text under the virtual file name `name`, used in
    /// [`Location`]s and error messages. Relative `$INCLUDE`s are read from
    /// disk relative to `name`'s directory.
    pub fn parse_str(name: impl Into<PathBuf>, text: &str) -> Result<Dictionary> {
        Loader::new().add_str(name, text).load()
    }

    /// All vendors, in definition order (aliases included).
    pub fn vendors(&self) -> &[Vendor] {
        &self.vendors
    }

    /// All attributes, in definition order (aliases included); the position
    /// of an attribute is its [`AttrId::index`].
    pub fn attributes(&self) -> &[Attribute] {
        &self.attrs
    }

    /// Iterates over `(id, attribute)` pairs in definition order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (AttrId, &Attribute)> + '_ {
        self.attrs
            .iter()
            .enumerate()
            .map(|(i, a)| (AttrId(i as u32), a))
    }

    /// The attribute with this id.
    ///
    /// # Panics
    /// If `id` does not come from this dictionary.
    pub fn attr(&self, id: AttrId) -> &Attribute {
        &self.attrs[id.index()]
    }

    /// Looks an attribute up by name, case-insensitively (aliases included).
    pub fn attr_by_name(&self, name: &str) -> Option<AttrId> {
        self.attr_by_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// Looks an attribute up by its number in a space: `parent` is the
    /// enclosing TLV/extended/evs attribute (`None` for standard attributes
    /// and top-level VSAs), `vendor` the vendor PEN for VSAs and EVS
    /// attributes. With aliases, returns the last one defined.
    ///
    /// ```
    /// # use radius_core::dict::Dictionary;
    /// let d = Dictionary::parse_str("d", "VENDOR Cisco 9\nATTRIBUTE Cisco-AVPair 26.9.1 string\n").unwrap();
    /// let id = d.attr_by_number(None, Some(9), 1).unwrap();
    /// assert_eq!(d.attr(id).name, "Cisco-AVPair");
    /// ```
    pub fn attr_by_number(
        &self,
        parent: Option<AttrId>,
        vendor: Option<u32>,
        number: u32,
    ) -> Option<AttrId> {
        self.attr_by_key
            .get(&Key {
                parent,
                vendor,
                number,
            })
            .copied()
    }

    /// The name-of-record for `id`'s number: `id` itself unless a later
    /// alias took the number (see the module docs on aliases).
    pub fn canonical(&self, id: AttrId) -> AttrId {
        let a = self.attr(id);
        self.attr_by_number(a.parent, a.vendor, a.number)
            .unwrap_or(id)
    }

    /// The attribute FreeRADIUS uses when `id`'s name appears in text
    /// (radclient input, users files): the [canonical](Self::canonical) one
    /// if, when the number was next defined, that definition had the same
    /// data type as `id` (FreeRADIUS then marks `id` as a duplicate and
    /// re-resolves it by number); otherwise `id` itself, with its own type.
    ///
    /// In Debian's tree, `Multi-Link-Flag` (126, integer) is followed by
    /// `X-Ascend-Temporary-Rtes` (126, integer), so radclient sends
    /// `Multi-Link-Flag = True` as `Operator-Name = "True"` (126, string,
    /// defined last), while `X-Ascend-Temporary-Rtes = 1` keeps its integer
    /// type. `tests/dict/debian.rs` checks this against radclient.
    pub fn text_target(&self, id: AttrId) -> AttrId {
        if self.superseded[id.index()] {
            self.canonical(id)
        } else {
            id
        }
    }

    /// `true` if another name is printed for this attribute's number.
    pub fn is_alias(&self, id: AttrId) -> bool {
        self.canonical(id) != id
    }

    /// Looks a vendor up by name, case-insensitively.
    pub fn vendor_by_name(&self, name: &str) -> Option<&Vendor> {
        self.vendor_by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.vendors[i])
    }

    /// Looks a vendor up by PEN (the last name defined for it).
    pub fn vendor_by_id(&self, id: u32) -> Option<&Vendor> {
        self.vendor_by_id.get(&id).map(|&i| &self.vendors[i])
    }

    /// The `VALUE`s of an attribute's number, in definition order (shared
    /// with its aliases). Empty if it has none.
    pub fn values_of(&self, id: AttrId) -> &[Value] {
        self.value_set(id).map_or(NO_VALUES, |s| &s.list)
    }

    /// The `VALUE` of an attribute with this name (case-insensitive).
    pub fn value_by_name(&self, id: AttrId, name: &str) -> Option<&Value> {
        let set = self.value_set(id)?;
        set.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &set.list[i])
    }

    /// The name printed for `value` of an attribute, if it has one.
    pub fn value_name(&self, id: AttrId, value: u64) -> Option<&str> {
        let set = self.value_set(id)?;
        set.by_number
            .get(&value)
            .map(|&i| set.list[i].name.as_str())
    }

    fn value_set(&self, id: AttrId) -> Option<&ValueSet> {
        let a = self.attr(id);
        self.values.get(&Key {
            parent: a.parent,
            vendor: a.vendor,
            number: a.number,
        })
    }

    /// Attributes whose `parent` is `id`: members of a TLV, the attributes
    /// of an extended attribute's space (including its `evs`), or the
    /// vendor attributes below an `evs` attribute. Top-level VSAs have no
    /// parent: see [`Dictionary::vendor_attributes`].
    pub fn children(&self, id: AttrId) -> &[AttrId] {
        &self.children[id.index()]
    }

    /// Top-level attributes of a vendor (parent `None`), in definition order.
    pub fn vendor_attributes(&self, vendor: u32) -> &[AttrId] {
        self.vendor_attrs.get(&vendor).map_or(&[], Vec::as_slice)
    }

    /// Standard attributes (no parent, no vendor), in definition order.
    pub fn top_level(&self) -> &[AttrId] {
        &self.top_level
    }

    /// The attribute's number as a FreeRADIUS OID: `1`, `26.9.1`, `241.1`,
    /// `241.26.9.1`, `26.24757.1.2`.
    pub fn oid(&self, id: AttrId) -> String {
        let a = self.attr(id);
        self.oid_of(a.parent, a.vendor, a.number)
    }

    fn oid_of(&self, parent: Option<AttrId>, vendor: Option<u32>, number: u32) -> String {
        match (parent, vendor) {
            (None, None) => number.to_string(),
            (None, Some(v)) => format!("26.{v}.{number}"),
            (Some(p), v) => {
                let pa = self.attr(p);
                match (pa.data_type, v) {
                    (DataType::Evs, Some(v)) => format!("{}.{v}.{number}", self.oid(p)),
                    _ => format!("{}.{number}", self.oid(p)),
                }
            }
        }
    }

    /// Every file read from disk, in the order first read (for cargo's
    /// `rerun-if-changed`). Virtual files and missing optional includes are
    /// not listed.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Number of vendor names.
    pub fn num_vendors(&self) -> usize {
        self.vendors.len()
    }

    /// Number of attribute names (aliases included, identical repetitions
    /// counted once).
    pub fn num_attributes(&self) -> usize {
        self.attrs.len()
    }

    /// Number of distinct `VALUE` names over all attribute numbers
    /// (identical repetitions counted once).
    pub fn num_values(&self) -> usize {
        self.num_values
    }

    /// Puts every value list in definition order (forward references were
    /// appended when resolved).
    fn finish(&mut self) {
        for set in self.values.values_mut() {
            if set.seqs.windows(2).all(|w| w[0] < w[1]) {
                continue;
            }
            let mut order: Vec<usize> = (0..set.list.len()).collect();
            order.sort_by_key(|&i| set.seqs[i]);
            let remap: HashMap<usize, usize> = order
                .iter()
                .enumerate()
                .map(|(new, &old)| (old, new))
                .collect();
            let mut slots: Vec<Option<Value>> = set.list.drain(..).map(Some).collect();
            set.list = order
                .iter()
                .map(|&i| slots[i].take().expect("each index once"))
                .collect();
            set.seqs = order.iter().map(|&i| set.seqs[i]).collect();
            for i in set.by_name.values_mut() {
                *i = remap[i];
            }
            for i in set.by_number.values_mut() {
                *i = remap[i];
            }
        }
    }
}
