//! The attribute text form (`radius_core::text`) over the project's
//! dictionaries plus Ascend's two filter attributes. Nothing may panic, and
//! round trips hold where the form is lossless:
//!
//! - octets: whatever decodes prints, and the print parses and encodes
//!   (or fails with an error);
//! - text: a line that parses and encodes decodes to pairs whose printed
//!   text parses and encodes to the same octets (except a string ending
//!   in NUL, whose last octet the printer drops, as radclient does, and
//!   whose NULs are padding in a User-Password, and a
//!   NAS-Filter-Rule containing NUL, which separates rules on the wire);
//! - Ascend filters: text that parses prints text that parses to the same
//!   filter, and 32 octets that decode encode back to themselves.
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/text.rs`) and the test that
//! replays `fuzz/corpus/text/` in `cargo test`.

use std::sync::OnceLock;

use radius_core::ascend::AscendFilter;
use radius_core::dict::{Dictionary, Loader};
use radius_core::text::{Codec, Value};

const ASCEND: &str = "VENDOR Ascend 529\nBEGIN-VENDOR Ascend\n\
    ATTRIBUTE Ascend-Data-Filter 242 abinary\nATTRIBUTE Ascend-Call-Filter 243 abinary\n\
    END-VENDOR Ascend\n";

fn dict() -> &'static Dictionary {
    static D: OnceLock<Dictionary> = OnceLock::new();
    D.get_or_init(|| {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../radius-dict/dictionaries/dictionary"
        );
        Loader::new()
            .add_file(root)
            .add_str("ascend", ASCEND)
            .load()
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn filters(data: &[u8]) {
    if let Some(f) = AscendFilter::from_bytes(data) {
        assert_eq!(f.to_bytes()[..], data[..], "{f}");
        assert_eq!(f.to_string().parse::<AscendFilter>().ok(), Some(f), "{f}");
    }
    if let Ok(f) = std::str::from_utf8(data)
        .unwrap_or("")
        .parse::<AscendFilter>()
    {
        assert_eq!(AscendFilter::from_bytes(&f.to_bytes()), Some(f), "{f}");
        assert_eq!(f.to_string().parse::<AscendFilter>().ok(), Some(f), "{f}");
    }
}

/// The check the `text` target runs on each input (and the corpus test
/// on each committed input): panics on a failure.
pub fn run(data: &[u8]) {
    filters(data);
    let codec = Codec::new(dict()).with_salt([0x80, 1]);
    if let Ok(pairs) = codec.decode(data) {
        let printed = codec.format(&pairs);
        if let Ok(again) = codec.parse(&printed) {
            let _ = codec.encode(&again);
        }
    }
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pairs) = codec.parse(line) else {
        return;
    };
    let _ = codec.format(&pairs);
    let Ok(wire) = codec.encode(&pairs) else {
        return;
    };
    let back = codec
        .decode(&wire)
        .unwrap_or_else(|e| panic!("{line:?}: our own octets do not decode: {e}"));
    // A trailing NUL is not printed (NASes send C strings), and a
    // User-Password's trailing NULs are its padding (RFC 2865 §5.2).
    let nul_ended =
        |p: &radius_core::text::Pair| matches!(&p.value, Value::String(b) if b.last() == Some(&0));
    if back.iter().any(nul_ended) || pairs.iter().any(nul_ended) {
        return;
    }
    // NUL separates NAS-Filter-Rule rules on the wire (RFC 4849): a rule
    // written with NULs comes back as several rules, without empty ones.
    let rule_with_nul = |p: &radius_core::text::Pair| {
        codec.format_pair(p).starts_with("NAS-Filter-Rule ")
            && matches!(&p.value, Value::String(b) if b.contains(&0))
    };
    if pairs.iter().any(rule_with_nul) {
        return;
    }
    let printed = codec.format(&back);
    let again = codec
        .parse(&printed)
        .unwrap_or_else(|e| panic!("{line:?} printed as {printed:?}, which does not parse: {e}"));
    let rewire = codec
        .encode(&again)
        .unwrap_or_else(|e| panic!("{line:?} printed as {printed:?}, which does not encode: {e}"));
    assert_eq!(rewire, wire, "{line:?} printed as {printed:?}");
}
