//! Compile-fail tests for #[radius_handler]: misuse must be an error that
//! points at the offending parameter or return type.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
