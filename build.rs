//! Compiles the project's dictionaries/ into the facade's typed attribute
//! modules. Vendors outside the RFC set are behind `vendor-*` features so a
//! default build stays fast; set TYPED_RADIUS_DICTIONARY to compile another
//! root dictionary instead (CI uses this to type-check Debian's whole tree).
use radius_core::codegen::Builder;

/// (cargo feature, generated module name) for optional vendors.
const VENDORS: &[(&str, &str)] = &[
    ("VENDOR_ARUBA", "aruba"),
    ("VENDOR_CISCO", "cisco"),
    ("VENDOR_JUNIPER", "juniper"),
    ("VENDOR_MICROSOFT", "microsoft"),
    ("VENDOR_MIKROTIK", "mikrotik"),
    ("VENDOR_USR", "usr"),
    ("VENDOR_WIMAX", "wimax"),
    ("VENDOR_WISPR", "wispr"),
];

fn main() {
    println!("cargo:rerun-if-env-changed=TYPED_RADIUS_DICTIONARY");
    let custom = std::env::var("TYPED_RADIUS_DICTIONARY").ok();
    let root = custom
        .clone()
        .unwrap_or_else(|| "dictionaries/dictionary".to_owned());
    let mut b = Builder::new().dictionary(&root).crate_path("::radius_core");
    if custom.is_none() {
        // Vendors defined by RFCs (ADSL-Forum, RFC 4679) are always on.
        let mut on = vec!["adsl_forum".to_owned()];
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
}
