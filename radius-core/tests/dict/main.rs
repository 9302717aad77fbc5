//! The dictionary parser and model: every construct (parse), every error
//! (errors), naming rules, Debian's whole tree (debian, codegen_debian).
//! One test binary: each one links on its own, and CI has two cores.

mod codegen_debian;
mod debian;
mod errors;
mod naming;
mod parse;
