//! Property tests (proptest): round trips of packets, attribute layouts
//! and values (roundtrip), of the text form (text) and of Ascend filters
//! (ascend). Their own binary so
//! that a long sweep runs just them (README, "Fuzzing"). The failures found
//! are kept in `../proptest-regressions/MODULE.txt`: for a binary with a
//! main.rs, proptest puts them beside the directory that holds it.

mod ascend;
mod roundtrip;
mod text;
