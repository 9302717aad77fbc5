//! The dictionary compiler's back end: a resolved [`Dictionary`] becomes
//! Rust source made of [`attribute!`](crate::attribute) (tagged attributes
//! with its `tagged` flag) and [`values!`](crate::values) invocations — one
//! line per attribute, one per enumeration — so all trait
//! impls live in `radius-core` and the generated code stays readable.
//!
//! Use [`Builder`] from a `build.rs` (prost-build style):
//!
//! ```no_run
//! // build.rs
//! if let Err(e) = radius_core::codegen::Builder::new()
//!     .dictionary("dictionaries/dictionary.newco")
//!     .compile()
//! {
//!     eprintln!("error: {e}"); // names file:line
//!     std::process::exit(1);
//! }
//! // then in src/lib.rs:
//! // pub mod dict { include!(concat!(env!("OUT_DIR"), "/radius_dictionary.rs")); }
//! // and use dict::newco::NewcoUserRole, or dict::prelude::*.
//! ```
//!
//! # Layout of the generated code
//!
//! * Standard attributes are grouped in one module per dictionary file
//!   (`dictionary.rfc2865` → `rfc2865`), vendor attributes in one module
//!   per vendor (`Cisco` → `cisco`).
//! * Every module is re-exported flat by `prelude`; type names are unique
//!   across the whole dictionary ([`crate::dict::naming`] rules), so the
//!   prelude never has ambiguous names.
//! * An integer attribute with `VALUE`s gets a value type `<Attr>Value`: a
//!   newtype over the number with one associated constant per `VALUE`
//!   (`ServiceTypeValue::FramedUser`); unnamed numbers are values too
//!   (`ServiceTypeValue::new(99)`).
//! * An `abinary` attribute (Ascend-Data-Filter) carries an
//!   [`AscendFilter`](crate::ascend::AscendFilter).
//! * An attribute whose dictionary type is not the one its Rust value
//!   type carries (`bool` as `u8`, `tlv` and arrays as octets)
//!   says so with `data_type = ...`, so [`AttrInfo::data_type`](crate::typed::AttrInfo)
//!   is always the dictionary's.
//! * TLV members are attributes whose key points at their parent.
//! * Several names for one number (FreeRADIUS's duplicates, e.g. Debian's
//!   `Juniper-Junosspace-Profile` and `-Profiles`) each get their own type,
//!   with their own data type; the documentation of all but the last says
//!   which name decoded attributes print as (the last defined, as
//!   FreeRADIUS prints it). Several `VALUE` names for one number are
//!   constants with the same number; `name()` returns the printed one
//!   ([`Dictionary::value_name`]).
//! * Not generated, with a comment saying so: `virtual` attributes (never
//!   on the wire) and the container attributes themselves (`vsa`,
//!   `extended`, `long-extended`, `evs`).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::dict::naming::{resolve_collisions, rust_type_name, rust_variant_name};
use crate::dict::{AttrId, DataType, DictError, Dictionary, Encrypt};

/// Generates typed attribute modules from dictionary files (for `build.rs`).
#[derive(Debug, Clone)]
pub struct Builder {
    dictionaries: Vec<PathBuf>,
    crate_path: String,
    out_dir: Option<PathBuf>,
    file_name: String,
    vendor_filter: Option<Box<VendorFilter>>,
    emit_rerun: bool,
}

/// Which vendors to generate.
#[derive(Debug, Clone)]
struct VendorFilter {
    allowed: HashSet<String>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// A builder with default settings: crate path `::typed_radius::radius_core`,
    /// output `$OUT_DIR/radius_dictionary.rs`, every vendor.
    pub fn new() -> Self {
        Builder {
            dictionaries: Vec::new(),
            crate_path: "::typed_radius::radius_core".to_owned(),
            out_dir: None,
            file_name: "radius_dictionary.rs".to_owned(),
            vendor_filter: None,
            emit_rerun: true,
        }
    }

    /// Add a root dictionary file (its `$INCLUDE`s are followed).
    pub fn dictionary(mut self, path: impl Into<PathBuf>) -> Self {
        self.dictionaries.push(path.into());
        self
    }

    /// The path generated code uses to reach `radius-core` (default
    /// `::typed_radius::radius_core`; use `::radius_core` when depending on
    /// radius-core directly).
    pub fn crate_path(mut self, path: impl Into<String>) -> Self {
        self.crate_path = path.into();
        self
    }

    /// Write into this directory instead of `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Name of the generated file (default `radius_dictionary.rs`).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// Generate only these vendors (module names, e.g. `"cisco"`); standard
    /// attributes are always generated.
    pub fn only_vendors<I: IntoIterator<Item = S>, S: Into<String>>(mut self, vendors: I) -> Self {
        self.vendor_filter = Some(Box::new(VendorFilter {
            allowed: vendors.into_iter().map(Into::into).collect(),
        }));
        self
    }

    /// Whether to print `cargo:rerun-if-changed` for every file read (default on).
    pub fn emit_rerun_if_changed(mut self, on: bool) -> Self {
        self.emit_rerun = on;
        self
    }

    /// Load the dictionaries, generate, and write the file. Returns its path.
    pub fn compile(self) -> Result<PathBuf, CodegenError> {
        let dict = self.load()?;
        if self.emit_rerun {
            for f in dict.files() {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
        let code = self.generate(&dict);
        let dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or(CodegenError::NoOutDir)?),
        };
        let path = dir.join(&self.file_name);
        std::fs::write(&path, code).map_err(|e| CodegenError::Write(path.clone(), e))?;
        Ok(path)
    }

    /// Load the configured dictionaries into one model.
    pub fn load(&self) -> Result<Dictionary, CodegenError> {
        let mut loader = crate::dict::Loader::new();
        for d in &self.dictionaries {
            loader = loader.add_file(d);
        }
        Ok(loader.load()?)
    }

    /// Generate Rust source for a dictionary.
    pub fn generate(&self, dict: &Dictionary) -> String {
        Generator::new(dict, &self.crate_path, self.vendor_filter.as_deref()).run()
    }
}

/// Code generation failed.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// The dictionary did not load (carries file:line).
    #[error(transparent)]
    Dict(#[from] DictError),
    /// `OUT_DIR` unset and no output directory given.
    #[error("OUT_DIR is not set: call Builder::out_dir or run from build.rs")]
    NoOutDir,
    /// Writing the output failed.
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

/// One attribute to emit.
struct Item {
    id: AttrId,
    module: String,
    ty_name: String,
    enum_name: Option<String>,
}

struct Generator<'d> {
    dict: &'d Dictionary,
    krate: &'d str,
    filter: Option<&'d VendorFilter>,
}

/// The module name for a dictionary file: `dictionary.rfc2865` → `rfc2865`.
/// An `octets` attribute with FreeRADIUS 4's `abinary` flag: octets in
/// Rust (only the `abinary` type is an [`AscendFilter`](crate::ascend::AscendFilter)).
fn octets_abinary(a: &crate::dict::Attribute) -> bool {
    a.flags.abinary && a.data_type != DataType::Abinary
}

fn module_for_file(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_prefix("dictionary.").unwrap_or(&name);
    let stem = if stem.is_empty() || stem == "dictionary" {
        "base"
    } else {
        stem
    };
    snake(stem)
}

/// snake_case identifier, safe as a module name.
pub fn snake(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    let out = if out.is_empty() {
        "unnamed".to_owned()
    } else {
        out
    };
    let out = if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{out}")
    } else {
        out
    };
    match out.as_str() {
        "self" | "super" | "crate" | "mod" | "type" | "fn" | "use" | "impl" | "trait"
        | "struct" | "enum" | "match" | "loop" | "move" | "ref" | "static" | "const" | "where"
        | "as" | "in" | "core" | "std" | "prelude" => format!("{out}_"),
        _ => out,
    }
}

impl<'d> Generator<'d> {
    fn new(dict: &'d Dictionary, krate: &'d str, filter: Option<&'d VendorFilter>) -> Self {
        Generator {
            dict,
            krate,
            filter,
        }
    }

    /// The vendor an attribute belongs to, for module grouping.
    fn vendor_module(&self, vendor: u32) -> String {
        match self.dict.vendor_by_id(vendor) {
            Some(v) => snake(&v.name),
            None => format!("vendor_{vendor}"),
        }
    }

    fn wanted(&self, id: AttrId) -> bool {
        let a = self.dict.attr(id);
        if a.flags.virtual_ || a.data_type.is_container() && a.data_type != DataType::Tlv {
            return false;
        }
        // Aliases (another name for a number, FreeRADIUS's duplicates) are
        // generated too: nothing defined in the dictionary disappears.
        // Every ancestor must be generated too (TLV members need their parent).
        let mut p = a.parent;
        while let Some(pid) = p {
            let pa = self.dict.attr(pid);
            if pa.flags.virtual_ {
                return false;
            }
            p = pa.parent;
        }
        if let (Some(v), Some(f)) = (a.vendor, self.filter) {
            return f.allowed.contains(&self.vendor_module(v));
        }
        true
    }

    fn run(&self) -> String {
        let d = self.dict;
        let ids: Vec<AttrId> = d
            .iter()
            .map(|(id, _)| id)
            .filter(|&id| self.wanted(id))
            .collect();
        // Global, collision-free type names: attributes and their enums.
        let mut names: Vec<String> = Vec::new();
        for &id in &ids {
            names.push(d.attr(id).name.clone());
        }
        let enum_of: Vec<bool> = ids.iter().map(|&id| self.has_enum(id)).collect();
        for (i, &id) in ids.iter().enumerate() {
            if enum_of[i] {
                names.push(format!("{}-Value", d.attr(id).name));
            }
        }
        let idents = resolve_collisions(&names, rust_type_name);
        let mut enum_idents = idents[ids.len()..].iter();
        let mut items = Vec::with_capacity(ids.len());
        for (i, &id) in ids.iter().enumerate() {
            let a = d.attr(id);
            let module = match a.vendor {
                Some(v) => self.vendor_module(v),
                None => module_for_file(&a.location.file),
            };
            items.push(Item {
                id,
                module,
                ty_name: idents[i].clone(),
                enum_name: if enum_of[i] {
                    enum_idents.next().cloned()
                } else {
                    None
                },
            });
        }
        let by_id: BTreeMap<u32, usize> = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.index() as u32, i))
            .collect();
        let mut modules: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, it) in items.iter().enumerate() {
            modules.entry(it.module.clone()).or_default().push(i);
        }

        let mut out = String::new();
        let _ = writeln!(
            out,
            "// @generated by radius-core codegen: {} attributes, {} vendors. Do not edit.",
            items.len(),
            d.num_vendors()
        );
        for (m, list) in &modules {
            let _ = writeln!(out, "\n/// Attributes from `{m}`.\npub mod {m} {{");
            let _ = writeln!(out, "    #![allow(clippy::all)]");
            for &i in list {
                self.emit(&mut out, &items[i], &items, &by_id);
            }
            out.push_str("}\n");
        }
        out.push_str("\n/// Every generated attribute and enumeration, flat.\n#[allow(unused_imports)]\npub mod prelude {\n");
        for m in modules.keys() {
            let _ = writeln!(out, "    pub use super::{m}::*;");
        }
        out.push_str("}\n");
        out
    }

    fn has_enum(&self, id: AttrId) -> bool {
        let a = self.dict.attr(id);
        matches!(
            a.data_type,
            DataType::Integer | DataType::Byte | DataType::Short | DataType::Integer64
        ) && !a.flags.array
            && !self.dict.values_of(id).is_empty()
            && a.flags.encrypt == Encrypt::None
    }

    fn int_type(dt: DataType) -> &'static str {
        match dt {
            DataType::Byte => "u8",
            DataType::Short => "u16",
            DataType::Integer64 => "u64",
            _ => "u32",
        }
    }

    fn value_type(&self, it: &Item) -> String {
        let a = self.dict.attr(it.id);
        let k = self.krate;
        if a.flags.array || a.flags.length.is_some() || octets_abinary(a) {
            return "::std::vec::Vec<u8>".into();
        }
        if let Some(e) = &it.enum_name {
            return e.clone();
        }
        match a.data_type {
            DataType::String => "::std::string::String".into(),
            DataType::Abinary => format!("{k}::ascend::AscendFilter"),
            DataType::Octets | DataType::Tlv => "::std::vec::Vec<u8>".into(),
            DataType::Ipaddr => "::std::net::Ipv4Addr".into(),
            DataType::Ipv6Addr => "::std::net::Ipv6Addr".into(),
            DataType::ComboIp => "::std::net::IpAddr".into(),
            DataType::Ipv4Prefix => format!("{k}::value::Ipv4Prefix"),
            DataType::Ipv6Prefix => format!("{k}::value::Ipv6Prefix"),
            DataType::Integer => "u32".into(),
            DataType::Integer64 => "u64".into(),
            DataType::Byte | DataType::Bool => "u8".into(),
            DataType::Short => "u16".into(),
            DataType::Signed => "i32".into(),
            DataType::Date => format!("{k}::value::Date"),
            DataType::Ifid => format!("{k}::value::Ifid"),
            DataType::Ether => format!("{k}::value::MacAddr"),
            DataType::Vsa | DataType::Extended | DataType::LongExtended | DataType::Evs => {
                "::std::vec::Vec<u8>".into()
            }
        }
    }

    /// The data type the Rust value type of [`value_type`](Self::value_type)
    /// carries (its `AttrValue::DATA_TYPE`).
    fn value_data_type(&self, it: &Item) -> DataType {
        let a = self.dict.attr(it.id);
        if a.flags.array || a.flags.length.is_some() || octets_abinary(a) {
            return DataType::Octets;
        }
        match a.data_type {
            DataType::Bool => DataType::Byte,
            DataType::Tlv
            | DataType::Vsa
            | DataType::Extended
            | DataType::LongExtended
            | DataType::Evs => DataType::Octets,
            t => t,
        }
    }

    /// The `Std(..)`/`Vendor(..)`/... key tokens, or None if unrepresentable.
    fn key(&self, it: &Item, items: &[Item], by_id: &BTreeMap<u32, usize>) -> Option<String> {
        let d = self.dict;
        let a = d.attr(it.id);
        match a.parent {
            None => match a.vendor {
                None => (a.number <= 255).then(|| format!("Std({})", a.number)),
                Some(v) => {
                    let vd = d.vendor_by_id(v)?;
                    Some(format!(
                        "Vendor({v}, {}, {}, {}, {})",
                        vd.type_width, vd.length_width, vd.continuation, a.number
                    ))
                }
            },
            Some(p) => {
                let pa = d.attr(p);
                match pa.data_type {
                    DataType::Extended | DataType::LongExtended
                        if pa.parent.is_none() && pa.vendor.is_none() =>
                    {
                        (a.number <= 255).then(|| format!("Extended({}, {})", pa.number, a.number))
                    }
                    DataType::Evs => {
                        let base = pa.parent.map(|g| d.attr(g).number)?;
                        let v = a.vendor?;
                        (a.number <= 255)
                            .then(|| format!("ExtendedVendor({base}, {v}, {})", a.number))
                    }
                    DataType::Tlv => {
                        let pi = *by_id.get(&(p.index() as u32))?;
                        let pit = &items[pi];
                        let path = if pit.module == it.module {
                            pit.ty_name.clone()
                        } else {
                            format!("super::{}::{}", pit.module, pit.ty_name)
                        };
                        (a.number <= 255).then(|| format!("Tlv({path}, {})", a.number))
                    }
                    _ => None,
                }
            }
        }
    }

    fn emit(&self, out: &mut String, it: &Item, items: &[Item], by_id: &BTreeMap<u32, usize>) {
        let d = self.dict;
        let a = d.attr(it.id);
        let k = self.krate;
        let loc = format!(
            "{}:{}",
            a.location
                .file
                .file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default(),
            a.location.line
        );
        let Some(key) = self.key(it, items, by_id) else {
            let _ = writeln!(
                out,
                "    // {} ({}) at {loc}: number not representable on the wire; skipped.",
                a.name,
                d.oid(it.id)
            );
            return;
        };
        if let Some(e) = &it.enum_name {
            let int = Self::int_type(a.data_type);
            // The printed name of each number first: the generated `name()`
            // takes the first match, and FreeRADIUS prints the name defined
            // last (`Dictionary::value_name`); the other names follow as
            // constants with the same number.
            let mut vals: Vec<&crate::dict::Value> = d.values_of(it.id).iter().collect();
            vals.sort_by_key(|v| d.value_name(it.id, v.value) != Some(v.name.as_str()));
            let names: Vec<&str> = vals.iter().map(|v| v.name.as_str()).collect();
            let vidents = resolve_collisions(&names, rust_variant_name);
            let max = match int {
                "u8" => u8::MAX as u64,
                "u16" => u16::MAX as u64,
                "u32" => u32::MAX as u64,
                _ => u64::MAX,
            };
            let _ = writeln!(
                out,
                "    {k}::values! {{\n        /// Values of `{}`.\n        {e}: {int} {{",
                a.name
            );
            for (v, vi) in vals.iter().zip(vidents.iter()) {
                if v.value > max {
                    continue; // out of range for the type
                }
                let _ = writeln!(out, "            {vi} = {} => {:?},", v.value, v.name);
            }
            out.push_str("        }\n    }\n");
        }
        let ty = self.value_type(it);
        let mut flags = String::new();
        match a.flags.encrypt {
            Encrypt::None => {}
            e => {
                let _ = write!(flags, ", encrypt = {e:?}");
            }
        }
        if a.flags.concat {
            flags.push_str(", concat");
        }
        if a.data_type != self.value_data_type(it) {
            let _ = write!(flags, ", data_type = {:?}", a.data_type);
        }
        let tagged = a.flags.has_tag
            && matches!(
                a.data_type,
                DataType::String | DataType::Integer | DataType::Octets
            );
        if tagged {
            flags.insert_str(0, ", tagged");
        }
        let alias = if d.is_alias(it.id) {
            format!(
                " Another name for this number: decoded attributes print as `{}`.",
                d.attr(d.canonical(it.id)).name
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "    {k}::attribute! {{\n        /// `{}` ({}, {}{}), {loc}.{alias}\n        {}({}_) = {:?}, {key}, {ty}{flags}\n    }}",
            a.name,
            d.oid(it.id),
            a.data_type.name(),
            if tagged { ", tagged" } else { "" },
            it.ty_name,
            it.ty_name,
            a.name,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second name for a number generates as well, with its own type;
    /// which name prints is the dictionary's (the last defined, as
    /// radclient prints it), and so is which VALUE name prints.
    #[test]
    fn aliases_and_second_value_names_generate() {
        let d = Dictionary::parse_str(
            "dictionary.t",
            "ATTRIBUTE Int-First 201 integer\nATTRIBUTE Str-Second 201 string\n\
             ATTRIBUTE Svc 202 integer\nVALUE Svc One 1\nVALUE Svc Uno 1\n",
        )
        .unwrap();
        let code = Builder::new().generate(&d);
        assert!(
            code.contains("IntFirst(IntFirst_) = \"Int-First\", Std(201), u32"),
            "{code}"
        );
        assert!(
            code.contains(
                "StrSecond(StrSecond_) = \"Str-Second\", Std(201), ::std::string::String"
            ),
            "{code}"
        );
        assert!(
            code.contains("decoded attributes print as `Str-Second`"),
            "{code}"
        );
        let uno = code.find("Uno = 1 => \"Uno\"").unwrap();
        let one = code.find("One = 1 => \"One\"").unwrap();
        assert!(uno < one, "{code}");
    }

    /// What a build.rs prints with `eprintln!("error: {e}")` (the guide's
    /// advice) names the file and line.
    #[test]
    fn errors_display_file_and_line() {
        let dir = std::env::temp_dir().join(format!("radius-codegen-err-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("dictionary.bad");
        std::fs::write(
            &f,
            "VENDOR NewCo 32473\nATTRIBUTE NewCo-Broken 1 nosuchtype\n",
        )
        .unwrap();
        let e = Builder::new()
            .dictionary(&f)
            .out_dir(&dir)
            .emit_rerun_if_changed(false)
            .compile()
            .unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("{}:2: ", f.display())),
            "{shown}"
        );
        assert!(shown.contains("nosuchtype"), "{shown}");
    }
}
