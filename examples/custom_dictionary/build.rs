//! Regenerates typed attributes from dictionaries/dictionary.acme on every
//! change (rerun-if-changed is printed for each file read).
fn main() {
    if let Err(e) = radius_core::codegen::Builder::new()
        .dictionary("dictionaries/dictionary.acme")
        .compile()
    {
        // The error names file:line.
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
