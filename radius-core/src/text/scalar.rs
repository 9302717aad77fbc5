//! The text forms of single values that are not attribute-specific:
//! dates, numbers, IP prefixes, IPv6 addresses and hex.

use std::fmt::Write as _;
use std::net::Ipv6Addr;

/// glibc `inet_ntop` for IPv6 (Rust's formatting, plus the IPv4-compatible
/// `::a.b.c.d` form glibc still prints).
pub(super) fn ipv6_ntop(a: &Ipv6Addr) -> String {
    let s = a.segments();
    if s[..6] == [0; 6] && s[6] != 0 {
        let o = a.octets();
        return format!("::{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
    }
    a.to_string()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `%b %e %Y %H:%M:%S UTC`.
pub(super) fn format_date(t: u32) -> String {
    let days = (t / 86400) as i64;
    let secs = t % 86400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {:>2} {} {:02}:{:02}:{:02} UTC",
        MONTHS[(m - 1) as usize],
        d,
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds; `Mon D YYYY [HH:MM[:SS]] [UTC|GMT|Z]`; `YYYY-MM-DD[THH:MM[:SS]][Z]`.
pub(super) fn parse_date(s: &str) -> Option<u32> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let hms = |t: &str| -> Option<u32> {
        let mut it = t.split(':');
        let h: u32 = it.next()?.parse().ok()?;
        let m: u32 = it.next()?.parse().ok()?;
        let sec: u32 = match it.next() {
            Some(x) => x.parse().ok()?,
            None => 0,
        };
        if it.next().is_some() || h > 23 || m > 59 || sec > 60 {
            return None;
        }
        Some(h * 3600 + m * 60 + sec)
    };
    let total = |y: i64, mo: u32, d: u32, secs: u32| -> Option<u32> {
        // Years far outside a 32-bit date would overflow the day count.
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || !(0..=9999).contains(&y) {
            return None;
        }
        let t = days_from_civil(y, mo, d) * 86400 + secs as i64;
        u32::try_from(t).ok()
    };
    let words: Vec<&str> = s.split_whitespace().collect();
    if let Some(mo) = words.first().and_then(|w| {
        MONTHS
            .iter()
            .position(|m| w.get(..3).is_some_and(|p| m.eq_ignore_ascii_case(p)))
    }) {
        if words.len() < 3 {
            return None;
        }
        let d: u32 = words[1].trim_end_matches(',').parse().ok()?;
        let y: i64 = words[2].parse().ok()?;
        let mut secs = 0;
        for w in &words[3..] {
            if w.contains(':') {
                secs = hms(w)?;
            } else if !["UTC", "GMT", "Z"]
                .iter()
                .any(|z| z.eq_ignore_ascii_case(w))
            {
                return None;
            }
        }
        return total(y, mo as u32 + 1, d, secs);
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut it = date.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let mo: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    let secs = match time {
        Some(t) => hms(t)?,
        None => 0,
    };
    total(y, mo, d, secs)
}

/// `fr_strtoul`: decimal or `0x` hexadecimal, the whole string.
pub(super) fn parse_uint(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(h, 16).ok()
        }
        Some(_) => None,
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// Decode a hex string (spaces allowed between pairs); the error says why.
pub fn hex_decode(h: &str) -> std::result::Result<Vec<u8>, String> {
    let digits: Vec<u8> = h.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).map_err(|_| "not hex".to_owned())?;
            u8::from_str_radix(s, 16).map_err(|_| format!("\"{s}\" is not a hex octet"))
        })
        .collect()
}

/// Lowercase hex octets separated by single spaces.
pub fn hex_spaced(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_date(0), "Jan  1 1970 00:00:00 UTC");
        assert_eq!(format_date(1_577_836_800), "Jan  1 2020 00:00:00 UTC");
        assert_eq!(parse_date("Jan  1 2020 00:00:00 UTC"), Some(1_577_836_800));
        assert_eq!(parse_date("Jan 1 2020"), Some(1_577_836_800));
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(1_577_836_800));
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800));
        assert_eq!(parse_date("Feb 30"), None);
        // A multi-octet character across the month's three letters (found
        // by the text fuzz target).
        assert_eq!(parse_date("44\u{da}6-028b4"), None);
        assert_eq!(parse_date("J\u{e9}n 1 2020"), None);
        assert_eq!(parse_date("Jan 1 9223372036854775807"), None);
        assert_eq!(parse_date("-9223372036854775807-01-01"), None);
        for t in [0u32, 59, 86_399, 951_782_400, u32::MAX] {
            assert_eq!(parse_date(&format_date(t)), Some(t), "{t}");
        }
    }
}
