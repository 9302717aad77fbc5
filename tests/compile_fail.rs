//! Wrong value types are compile errors with readable messages (trybuild;
//! regenerate the .stderr files with TRYBUILD=overwrite after reading them).
#[test]
fn wrong_types_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
