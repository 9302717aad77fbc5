//! Regenerates typed attributes from dictionaries/dictionary.newco on every
//! change (rerun-if-changed is printed for each file read).
fn main() {
    if let Err(e) = radius_core::codegen::Builder::new()
        .dictionary("dictionaries/dictionary.newco")
        .compile()
    {
        // The Display form names file:line; `.expect` would print the Debug form.
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
