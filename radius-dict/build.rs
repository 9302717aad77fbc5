//! Compiles `dictionaries/` into typed attribute modules, and embeds the
//! files themselves (for run-time loading by the `radius` command).
//!
//! Vendors outside the always-on set are behind `vendor-*` features so a
//! default build stays fast; set TYPED_RADIUS_DICTIONARY to compile another
//! root dictionary instead (e.g. Debian's whole tree, to type-check it).
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use radius_core::codegen::Builder;

/// (cargo feature, generated module name) for optional vendors.
const VENDORS: &[(&str, &str)] = &[
    ("VENDOR_ARUBA", "aruba"),
    ("VENDOR_CISCO", "cisco"),
    ("VENDOR_JUNIPER", "juniper"),
    ("VENDOR_MIKROTIK", "mikrotik"),
    ("VENDOR_USR", "usr"),
    ("VENDOR_WIMAX", "wimax"),
    ("VENDOR_WISPR", "wispr"),
];

/// Vendors compiled in every build: ADSL-Forum is defined by an RFC (4679),
/// Microsoft's MS-CHAP and MPPE attributes by RFC 2548.
const ALWAYS: &[&str] = &["adsl_forum", "microsoft"];

fn main() {
    println!("cargo:rerun-if-env-changed=TYPED_RADIUS_DICTIONARY");
    let custom = std::env::var("TYPED_RADIUS_DICTIONARY").ok();
    let root = custom
        .clone()
        .unwrap_or_else(|| "dictionaries/dictionary".to_owned());
    let mut b = Builder::new().dictionary(&root).crate_path("::radius_core");
    if custom.is_none() {
        let mut on: Vec<String> = ALWAYS.iter().map(|s| (*s).to_owned()).collect();
        for (feat, module) in VENDORS {
            if std::env::var_os(format!("CARGO_FEATURE_{feat}")).is_some() {
                on.push((*module).to_owned());
            }
        }
        b = b.only_vendors(on);
    }
    if let Err(e) = b.compile() {
        // file:line comes with the error; make it stand out in cargo's output.
        eprintln!("error: dictionary compilation failed: {e}");
        std::process::exit(1);
    }
    embed(Path::new("dictionaries"));
}

/// Writes `embedded_dicts.rs`: every file of `dir` as (name, contents).
fn embed(dir: &Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().expect("a file").to_string_lossy();
        let abs = f.canonicalize().expect("exists");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("write to String");
    }
    out.push_str("]\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded_dicts.rs");
    std::fs::write(dest, out).expect("write OUT_DIR file");
}
