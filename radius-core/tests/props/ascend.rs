//! Ascend filters: octets near the canonical form (mostly small numbers)
//! that decode encode back to themselves and print text that parses to the
//! same filter; sentences over the filter language's own words never
//! panic the parser, and what parses prints text that parses to it again.

use proptest::prelude::*;
use radius_core::ascend::AscendFilter;

/// Mostly the octets of some filter: small numbers, the reserved octet
/// and (nine times in ten) the fill after the type's fields zero.
fn near_canonical() -> impl Strategy<Value = Vec<u8>> {
    let octet = prop_oneof![4 => 0u8..=2, 1 => 0u8..=40, 1 => any::<u8>()];
    (prop::collection::vec(octet, 32), 0u8..10).prop_map(|(mut b, dice)| {
        if dice > 0 {
            b[3] = 0;
            let used = match b[0] {
                0 => 23,
                1 => 22,
                _ => 30,
            };
            b[used..].fill(0);
        }
        b
    })
}

const WORDS: &[&str] = &[
    "ip",
    "generic",
    "ipx",
    "in",
    "out",
    "forward",
    "drop",
    "srcip",
    "dstip",
    "tcp",
    "udp",
    "icmp",
    "ospf",
    "0",
    "47",
    "256",
    "srcport",
    "dstport",
    "<",
    "=",
    ">",
    "!=",
    "==",
    "www",
    "est",
    "more",
    "10.0.0.1",
    "10.1/16",
    "0.0.0.0/0",
    "1.2.3.4/33",
    "ffffffffffff",
    "000102030405",
    "12",
    "srcipxnet",
    "srcipxnode",
    "srcipxsock",
    "dstipxnet",
    "dstipxnode",
    "dstipxsock",
    "0x1234",
    "0451",
    "",
    "IP",
    "In",
    "FORWARD",
];

proptest! {
    #[test]
    fn canonical_octets_roundtrip(b in near_canonical()) {
        if let Some(f) = AscendFilter::from_bytes(&b) {
            prop_assert_eq!(&f.to_bytes()[..], &b[..]);
            let text = f.to_string();
            prop_assert_eq!(text.parse::<AscendFilter>(), Ok(f), "{}", text);
        }
    }

    #[test]
    fn sentences_parse_or_fail_cleanly(words in prop::collection::vec(prop::sample::select(WORDS), 0..14)) {
        let s = words.join(" ");
        if let Ok(f) = s.parse::<AscendFilter>() {
            prop_assert_eq!(AscendFilter::from_bytes(&f.to_bytes()), Some(f));
            let text = f.to_string();
            prop_assert_eq!(text.parse::<AscendFilter>(), Ok(f), "{} -> {}", s, text);
        }
    }
}
