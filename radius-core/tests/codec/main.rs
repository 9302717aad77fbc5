//! The codec: RFC worked examples, batched crypto, the text form, and the
//! text form against Debian's radclient. One test binary: each one links
//! on its own, and CI has two cores.

mod crypto_batch;
mod fuzz_corpus;
mod rfc_vectors;
mod text_ascend;
mod text_freeradius;
mod text_parse;
