//! The typed encoder against the text codec, for every kind of generated
//! attribute (`tests/fixtures/dictionary.kinds`, compiled here with
//! `radius_dictionary!` and loaded at run time by the text codec): a
//! random value encoded by its generated type has the same octets as the
//! text codec's encoding of the value's text form, the generated type
//! decodes the text codec's octets back to the value, and the text the
//! codec prints for the typed octets encodes to them again.
//!
//! The one expected difference: an `ipv6prefix` is sent by the typed
//! encoder with only the octets its length needs (RFC 8044 §3.10) and by
//! the text codec with all 16 (as FreeRADIUS 3 sends it); both decode to
//! the same prefix, which is what is compared for that kind. An `array`
//! of more than one element has no text form of its own (the text codec
//! prints it raw), so only the printed-and-reparsed octets are compared.

use std::fmt::Debug;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use radius_core::ascend::{
    Action, AddrMatch, AscendFilter, Compare, Direction, FilterKind, GenericFilter, IpFilter,
    IpxEnd, IpxFilter, PortMatch,
};
use radius_core::dict::Dictionary;
use radius_core::text::Codec;
use radius_core::typed::{get_all_from, Attribute, CryptoCtx, ValueEnum};
use radius_core::value::{Date, Ifid, Ipv4Prefix, Ipv6Prefix};
use radius_core::Secret;

mod kinds {
    typed_radius::radius_dictionary!("tests/fixtures/dictionary.kinds");
}
use kinds::prelude::*;

fn dict() -> &'static Dictionary {
    static D: OnceLock<Dictionary> = OnceLock::new();
    D.get_or_init(|| {
        let f = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dictionary.kinds");
        Dictionary::from_file(f).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn hex(b: &[u8]) -> String {
    radius_core::text::hex_spaced(b)
}

/// How the typed and the text octets must relate.
#[derive(PartialEq)]
enum Wire {
    /// Byte for byte.
    Same,
    /// Possibly different lengths, the same value (ipv6prefix).
    SameValue,
    /// No text line of its own: only print -> parse is compared (arrays).
    NoLine,
}

fn check<A>(attr: A, line: &str, wire: Wire) -> Result<(), TestCaseError>
where
    A: Attribute,
    A::Value: PartialEq + Debug,
{
    let secret = Secret::new("testing123");
    let auth = radius_core::text::TEST_AUTHENTICATOR;
    let ctx = CryptoCtx {
        secret: &secret,
        authenticator: &auth,
    };
    let mut typed = Vec::new();
    attr.encode(&mut typed, &ctx)
        .map_err(|e| TestCaseError::fail(format!("typed encode of {line}: {e}")))?;
    let codec = Codec::new(dict());
    // The text the codec prints for the typed octets encodes to them again
    // (or, for an ipv6prefix, to the text codec's 18-octet form of them).
    let printed = codec
        .decode_to_string(&typed)
        .map_err(|e| TestCaseError::fail(format!("{}: {e}", hex(&typed))))?;
    let reprinted = codec
        .encode_line(&printed)
        .map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
    if wire == Wire::NoLine {
        prop_assert_eq!(hex(&reprinted), hex(&typed), "{}", printed);
        return Ok(());
    }
    let text = codec
        .encode_line(line)
        .map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
    if wire == Wire::Same {
        prop_assert_eq!(hex(&typed), hex(&text), "{}", line);
    }
    prop_assert_eq!(
        hex(&reprinted),
        hex(&text),
        "{} (printed {})",
        line,
        printed
    );
    // The generated type reads the text codec's octets back.
    let back = get_all_from::<A>(&text, &ctx);
    prop_assert_eq!(back.len(), 1, "{}", line);
    let back = back
        .into_iter()
        .next()
        .unwrap()
        .map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
    prop_assert_eq!(back.value(), attr.value(), "{}", line);
    Ok(())
}

fn octets_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn addr_match() -> impl Strategy<Value = Option<AddrMatch>> {
    prop::option::of((1u32.., 1u8..=32).prop_map(|(a, len)| AddrMatch {
        addr: a.into(),
        len,
    }))
}

fn port_match() -> impl Strategy<Value = Option<PortMatch>> {
    let cmp = prop::sample::select(vec![
        Compare::Less,
        Compare::Equal,
        Compare::Greater,
        Compare::NotEqual,
    ]);
    prop::option::of((cmp, any::<u16>()).prop_map(|(compare, port)| PortMatch { compare, port }))
}

fn ipx_end() -> impl Strategy<Value = Option<IpxEnd>> {
    prop::option::of(
        (1u32.., any::<[u8; 6]>(), port_match()).prop_map(|(net, node, socket)| IpxEnd {
            net,
            node,
            socket,
        }),
    )
}

fn filter() -> impl Strategy<Value = AscendFilter> {
    let ip = (
        addr_match(),
        addr_match(),
        any::<u8>(),
        port_match(),
        port_match(),
        any::<bool>(),
    )
        .prop_map(|(src, dst, protocol, src_port, dst_port, established)| {
            FilterKind::Ip(IpFilter {
                src,
                dst,
                protocol,
                src_port,
                dst_port,
                established,
            })
        });
    let generic = (
        any::<u16>(),
        any::<[u8; 6]>(),
        any::<[u8; 6]>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(offset, mask, value, not_equal, more)| {
            FilterKind::Generic(GenericFilter {
                offset,
                mask,
                value,
                not_equal,
                more,
            })
        });
    let ipx = (ipx_end(), ipx_end()).prop_map(|(src, dst)| FilterKind::Ipx(IpxFilter { src, dst }));
    (any::<bool>(), any::<bool>(), prop_oneof![ip, generic, ipx]).prop_map(|(i, f, kind)| {
        AscendFilter {
            direction: if i { Direction::In } else { Direction::Out },
            action: if f { Action::Forward } else { Action::Drop },
            kind,
        }
    })
}

/// Printable text without quotes or backslashes, so the line needs no
/// escapes; escapes have their own tests in radius-core.
const TEXT: &str = "[a-zA-Z0-9 .:_@/=-]{1,60}";

proptest! {
    #[test]
    fn string(s in TEXT) {
        check(KString::new(s.clone()), &format!("K-String = \"{s}\""), Wire::Same)?;
    }

    #[test]
    fn octets(b in prop::collection::vec(any::<u8>(), 1..253)) {
        check(KOctets::new(b.clone()), &format!("K-Octets = 0x{}", octets_hex(&b)), Wire::Same)?;
    }

    #[test]
    fn integer(n: u32) {
        check(KInteger::new(n), &format!("K-Integer = {n}"), Wire::Same)?;
    }

    #[test]
    fn enumerated(n in prop_oneof![1u32..=2, any::<u32>()]) {
        let text = match n { 1 => "One".to_owned(), 2 => "Two".to_owned(), n => n.to_string() };
        check(KEnum::new(KEnumValue::from_number(n)), &format!("K-Enum = {text}"), Wire::Same)?;
    }

    #[test]
    fn ipaddr(a: [u8; 4]) {
        let a = Ipv4Addr::from(a);
        check(KIpaddr::new(a), &format!("K-Ipaddr = {a}"), Wire::Same)?;
    }

    #[test]
    fn ipv6addr(a: [u8; 16]) {
        let a = Ipv6Addr::from(a);
        check(KIpv6addr::new(a), &format!("K-Ipv6addr = {a}"), Wire::Same)?;
    }

    #[test]
    fn ipv6prefix(a: u128, len in 0u8..=128) {
        let addr = Ipv6Addr::from(a & u128::MAX.checked_shl(128 - len as u32).unwrap_or(0));
        check(KIpv6prefix::new(Ipv6Prefix { addr, len }), &format!("K-Ipv6prefix = {addr}/{len}"), Wire::SameValue)?;
    }

    #[test]
    fn ipv4prefix(a: u32, len in 0u8..=32) {
        let addr = Ipv4Addr::from(a & u32::MAX.checked_shl(32 - len as u32).unwrap_or(0));
        check(KIpv4prefix::new(Ipv4Prefix { addr, len }), &format!("K-Ipv4prefix = {addr}/{len}"), Wire::Same)?;
    }

    #[test]
    fn date(t: u32) {
        check(KDate::new(Date(t)), &format!("K-Date = {t}"), Wire::Same)?;
    }

    #[test]
    fn ifid(b: [u8; 8]) {
        let g = |i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
        let text = format!("{:x}:{:x}:{:x}:{:x}", g(0), g(1), g(2), g(3));
        check(KIfid::new(Ifid(b)), &format!("K-Ifid = {text}"), Wire::Same)?;
    }

    #[test]
    fn integer64(n: u64) {
        check(KInteger64::new(n), &format!("K-Integer64 = {n}"), Wire::Same)?;
    }

    #[test]
    fn short_and_byte(s: u16, b: u8) {
        check(KShort::new(s), &format!("K-Short = {s}"), Wire::Same)?;
        check(KByte::new(b), &format!("K-Byte = {b}"), Wire::Same)?;
    }

    #[test]
    fn signed(n: i32) {
        check(KSigned::new(n), &format!("K-Signed = {n}"), Wire::Same)?;
    }

    #[test]
    fn array(addrs in prop::collection::vec(any::<[u8; 4]>(), 1..5)) {
        let b = addrs.concat();
        if addrs.len() == 1 {
            let line = format!("K-Array = {}", Ipv4Addr::from(addrs[0]));
            check(KArray::new(b), &line, Wire::Same)?;
        } else {
            check(KArray::new(b), "", Wire::NoLine)?;
        }
    }

    #[test]
    fn abinary(f in filter()) {
        check(KFilter::new(f), &format!("K-Filter = \"{f}\""), Wire::Same)?;
    }

    #[test]
    fn tlv_members(n: u32, s in TEXT) {
        check(KTlvInt::new(n), &format!("K-Tlv-Int = {n}"), Wire::Same)?;
        check(KTlvStr::new(s.clone()), &format!("K-Tlv-Str = \"{s}\""), Wire::Same)?;
    }

    #[test]
    fn vsa(s in TEXT, n in prop_oneof![Just(1u32), any::<u32>()]) {
        check(KVsaString::new(s.clone()), &format!("K-Vsa-String = \"{s}\""), Wire::Same)?;
        let text = if n == 1 { "Red".to_owned() } else { n.to_string() };
        check(KVsaEnum::new(KVsaEnumValue::from_number(n)), &format!("K-Vsa-Enum = {text}"), Wire::Same)?;
    }

    #[test]
    fn extended(a: [u8; 4]) {
        let a = Ipv4Addr::from(a);
        check(KExtIpaddr::new(a), &format!("K-Ext-Ipaddr = {a}"), Wire::Same)?;
    }

    #[test]
    fn long_extended(b in prop::collection::vec(any::<u8>(), 1..700)) {
        check(KLongOctets::new(b.clone()), &format!("K-Long-Octets = 0x{}", octets_hex(&b)), Wire::Same)?;
    }
}
