//! The text forms of IP addresses and prefixes as FreeRADIUS 3.2 reads
//! them (`fr_pton4`, `fr_pton6` and `ip_hton` in `src/lib/misc.c`), written
//! from their documented behaviour and checked against radclient:
//!
//! - `*` is the any address: `0.0.0.0` (`::` for IPv6), prefix length 32
//!   (128).
//! - An IPv4 address without `/` is read as `inet_aton` reads it (glibc's
//!   `getaddrinfo`, which FreeRADIUS calls): one to four dot-separated
//!   numbers, each decimal, octal (leading `0`) or hexadecimal (`0x`),
//!   the last one filling the remaining octets: `10.1` is `10.0.0.1`,
//!   `10.1.2` is `10.1.0.2`, `10` and `0xa` are `0.0.0.10`, `010.0.0.1` is
//!   `8.0.0.1`. Host names are not resolved.
//! - With `/len`, the address is one to four decimal octets filled from
//!   the left (`10/8` is `10.0.0.0/8`, `10.1/16` is `10.1.0.0/16`) and the
//!   bits past the length are cleared (`10.1.2.3/8` is `10.0.0.0/8`). An
//!   address type accepts only `/32` (`/128`).
//! - IPv6 addresses are strict (`inet_pton`); a prefix without `/len` is
//!   `/128`, and its host bits are cleared.
//!
//! Deliberate differences: FreeRADIUS takes `0x0a.1` as `0.0.0.10`
//! (`strtoul` stops at the dot), a number above 32 bits modulo 2^32 and
//! an empty `/` as `/0`; these are errors here. Host names are errors too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::value::{v4_mask, v6_mask};

/// Why an address did not parse.
pub(super) type Why = &'static str;

/// One `inet_aton` part: decimal, octal (leading 0) or hex (0x).
fn aton_part(p: &str) -> Option<u64> {
    let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
        (h, 16)
    } else if p.len() > 1 && p.starts_with('0') {
        (&p[1..], 8)
    } else {
        (p, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// glibc's exact `inet_aton`: `a`, `a.b`, `a.b.c` or `a.b.c.d`.
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u64> = s.split('.').map(aton_part).collect::<Option<_>>()?;
    let (last, head) = parts.split_last()?;
    if head.len() > 3 || head.iter().any(|&p| p > 255) {
        return None;
    }
    let last_bits = 8 * (4 - head.len() as u32);
    if *last >= 1u64 << last_bits {
        return None;
    }
    let mut v: u64 = 0;
    for (i, &p) in head.iter().enumerate() {
        v |= p << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from((v | last) as u32))
}

/// FreeRADIUS's `ip_prefix_from_str`: up to four decimal octets, filled
/// from the left.
fn prefix_address(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut o = [0u8; 4];
    for (slot, p) in o.iter_mut().zip(&parts) {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    Some(Ipv4Addr::from(o))
}

fn prefix_len(l: &str, max: u8) -> Result<u8, Why> {
    if l.is_empty() || !l.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the prefix length after / must be a decimal number");
    }
    match l.parse::<u8>() {
        Ok(n) if n <= max => Ok(n),
        _ if max == 32 => Err("the prefix length must be 0..=32"),
        _ => Err("the prefix length must be 0..=128"),
    }
}

/// An `ipv4prefix` value: address (host bits cleared) and length.
pub(super) fn parse_ipv4_prefix(s: &str) -> Result<(Ipv4Addr, u8), Why> {
    const BAD: Why = "expected a.b.c.d, a.b.c.d/len (10/8 and 10.1/16 also), * or a number";
    match s.split_once('/') {
        None if s == "*" => Ok((Ipv4Addr::UNSPECIFIED, 32)),
        // FreeRADIUS reads "0x..." with strtoul, which stops at a dot.
        None if s.starts_with("0x") && s.contains('.') => {
            Err("a 0x number is one hexadecimal number, without dots")
        }
        None => inet_aton(s).map(|a| (a, 32)).ok_or(BAD),
        Some((a, l)) => {
            let len = prefix_len(l, 32)?;
            let a = prefix_address(a).ok_or(BAD)?;
            Ok((Ipv4Addr::from(u32::from(a) & v4_mask(len)), len))
        }
    }
}

/// An `ipaddr` value: as a prefix, but only `/32` is allowed.
pub(super) fn parse_ipv4(s: &str) -> Result<Ipv4Addr, Why> {
    match parse_ipv4_prefix(s)? {
        (a, 32) => Ok(a),
        _ => Err("only /32 is allowed for an address (not a prefix) attribute"),
    }
}

/// An `ipv6prefix` value: address (host bits cleared) and length.
pub(super) fn parse_ipv6_prefix(s: &str) -> Result<(Ipv6Addr, u8), Why> {
    const BAD: Why = "expected an IPv6 address, address/len or *";
    match s.split_once('/') {
        None if s == "*" => Ok((Ipv6Addr::UNSPECIFIED, 128)),
        None => s.parse().map(|a| (a, 128)).map_err(|_| BAD),
        Some((a, l)) => {
            let len = prefix_len(l, 128)?;
            let a: Ipv6Addr = a.parse().map_err(|_| BAD)?;
            Ok((Ipv6Addr::from(u128::from(a) & v6_mask(len)), len))
        }
    }
}

/// An `ipv6addr` value: as a prefix, but only `/128` is allowed.
pub(super) fn parse_ipv6(s: &str) -> Result<Ipv6Addr, Why> {
    match parse_ipv6_prefix(s)? {
        (a, 128) => Ok(a),
        _ => Err("only /128 is allowed for an address (not a prefix) attribute"),
    }
}

/// A `combo-ip` value: a strict IPv6 address, else an IPv4 one as
/// `inet_aton` reads it (FreeRADIUS has no `*` or `/` here).
pub(super) fn parse_combo(s: &str) -> Result<IpAddr, Why> {
    if let Ok(a) = s.parse::<Ipv6Addr>() {
        return Ok(IpAddr::V6(a));
    }
    inet_aton(s)
        .map(IpAddr::V4)
        .ok_or("not an IPv6 address or an IPv4 address")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_aton_forms() {
        for (s, want) in [
            ("10.1", "10.0.0.1"),
            ("10.1.2", "10.1.0.2"),
            ("10", "0.0.0.10"),
            ("0xa", "0.0.0.10"),
            ("0x0a000001", "10.0.0.1"),
            ("167772161", "10.0.0.1"),
            ("010.0.0.1", "8.0.0.1"),
            ("1.2.65535", "1.2.255.255"),
            ("*", "0.0.0.0"),
            ("10.0.0.1/32", "10.0.0.1"),
        ] {
            assert_eq!(parse_ipv4(s).map(|a| a.to_string()), Ok(want.into()), "{s}");
        }
        for s in [
            "1.2.3.4.5",
            "1.2.3.256",
            "1.2.65536",
            "4294967296",
            "09",
            "0x",
            "",
            "1..2",
            "a.b",
            "10.0.0.1/24",
            "10/",
            "0x0a.1",
            "10/8x",
            "300/8",
        ] {
            assert!(parse_ipv4(s).is_err(), "{s}");
        }
    }
}
