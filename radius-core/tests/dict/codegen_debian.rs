//! The whole dictionary tree Debian's FreeRADIUS installs must generate and
//! type-check. Generates into a scratch crate and runs `cargo check` on it.
//! Skips (with a reason) when the tree is absent, unless
//! RADIUS_REQUIRE_DEBIAN_DICT=1, as in CI.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use radius_test_support::debian_dictionary;

#[test]
fn debian_tree_generates_and_type_checks() {
    let Some(root) = debian_dictionary() else {
        return;
    };
    let core = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch = core.join("../target/debian-tree-check");
    std::fs::create_dir_all(scratch.join("src")).unwrap();
    std::fs::write(
        scratch.join("Cargo.toml"),
        format!(
            "[package]\nname = \"debian-tree-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             [dependencies]\nradius-core = {{ path = {:?} }}\n[workspace]\n",
            core.display().to_string()
        ),
    )
    .unwrap();
    let path = radius_core::codegen::Builder::new()
        .dictionary(root)
        .crate_path("::radius_core")
        .out_dir(scratch.join("src"))
        .file_name("generated.rs")
        .emit_rerun_if_changed(false)
        .compile()
        .expect("Debian tree generates");
    let code = std::fs::read_to_string(&path).unwrap();
    assert!(
        code.contains("CiscoAvPair(CiscoAvPair_) = \"Cisco-AVPair\", Vendor(9, 1, 1, false, 1)")
    );
    assert!(
        code.matches("::attribute! {").count() > 6000,
        "most of the tree is generated"
    );
    // Aliases generate too (Juniper-Junosspace-Profile is 26.2636.11, and so
    // is Juniper-Junosspace-Profiles, defined later and printed by radclient).
    assert!(code.contains("JuniperJunosspaceProfile(JuniperJunosspaceProfile_) = \"Juniper-Junosspace-Profile\", Vendor(2636, 1, 1, false, 11)"));
    assert!(code.contains("JuniperJunosspaceProfiles(JuniperJunosspaceProfiles_) = \"Juniper-Junosspace-Profiles\", Vendor(2636, 1, 1, false, 11)"));
    assert!(code.contains("decoded attributes print as `Juniper-Junosspace-Profiles`"));
    // Several names for one value: the one radclient prints (Acct-Status-Type
    // 3 = Interim-Update, defined after Alive) is listed first, so the
    // generated name() returns it; the const assertion in lib.rs checks it.
    let ist = code
        .find("InterimUpdate = 3 => \"Interim-Update\"")
        .expect("Interim-Update");
    let alive = code.find("Alive = 3 => \"Alive\"").expect("Alive");
    assert!(ist < alive);
    // abinary is an AscendFilter in Rust, of the dictionary's type.
    assert!(code.contains(
        "AscendDataFilter(AscendDataFilter_) = \"Ascend-Data-Filter\", Vendor(529, 1, 1, false, 242), ::radius_core::ascend::AscendFilter\n"
    ));
    std::fs::write(
        scratch.join("src/lib.rs"),
        "#![deny(warnings)]\ninclude!(\"generated.rs\");\n\
         pub fn _uses() -> impl Sized { (prelude::CiscoAvPair::new(\"x\"), prelude::TunnelPassword::new(\"p\").with_tag(1)) }\n\
         pub fn _framed(v: prelude::ServiceTypeValue) -> bool { matches!(v, prelude::ServiceTypeValue::FramedUser) }\n\
         pub fn _aliases() -> impl Sized { (prelude::JuniperJunosspaceProfile::new(\"a\"), prelude::JuniperJunosspaceProfiles::new(\"b\")) }\n\
         const _: () = assert!(match prelude::AcctStatusTypeValue::Alive.name() { Some(s) => s.len() == \"Interim-Update\".len(), None => false });\n\
         const _: () = assert!(matches!(\
             <prelude::AscendDataFilter as ::radius_core::typed::Attribute>::INFO.data_type,\
             ::radius_core::dict::DataType::Abinary));\n\
         pub fn _filter() -> impl Sized { prelude::AscendDataFilter::new(\
             \"ip in forward tcp\".parse::<::radius_core::ascend::AscendFilter>().unwrap()) }\n",
    )
    .unwrap();
    let t = Instant::now();
    let out = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--offline", "--jobs", "2"])
        .current_dir(&scratch)
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "generated code for the Debian tree does not type-check:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "Debian tree: cargo check of generated code took {:?}",
        t.elapsed()
    );
}
