//! Strings printed in double quotes as FreeRADIUS's `fr_prints` does.

use std::fmt::Write as _;

/// FreeRADIUS `fr_prints` for double quotes: escapes `"`, `\`, CR, LF,
/// TAB; other control characters and invalid UTF-8 as `\ooo`; a single
/// trailing NUL is not printed.
pub(super) fn escape_string(b: &[u8], s: &mut String) {
    let b = match b.split_last() {
        Some((0, head)) => head,
        _ => b,
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let esc = match c {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'\r' => Some('r'),
            b'\n' => Some('n'),
            b'\t' => Some('t'),
            _ => None,
        };
        if let Some(e) = esc {
            s.push('\\');
            s.push(e);
            i += 1;
            continue;
        }
        let n = utf8_char_len(&b[i..]);
        if n == 0 {
            let _ = write!(s, "\\{c:03o}");
            i += 1;
            continue;
        }
        s.push_str(std::str::from_utf8(&b[i..i + n]).unwrap_or("\u{fffd}"));
        i += n;
    }
}

/// FreeRADIUS `fr_utf8_char`: length of the valid UTF-8 character at the
/// start of `b` (control characters and DEL count as invalid), or 0.
fn utf8_char_len(b: &[u8]) -> usize {
    let c = b[0];
    if c < 0x20 {
        return 0;
    }
    if c <= 0x7e {
        return 1;
    }
    if c <= 0xc1 {
        return 0;
    }
    let cont = |i: usize, lo: u8, hi: u8| b.get(i).is_some_and(|&x| x >= lo && x <= hi);
    if c <= 0xdf {
        return if cont(1, 0x80, 0xbf) { 2 } else { 0 };
    }
    if c == 0xe0 {
        return if cont(1, 0xa0, 0xbf) && cont(2, 0x80, 0xbf) {
            3
        } else {
            0
        };
    }
    if (0xe1..=0xec).contains(&c) || c == 0xee || c == 0xef {
        return if cont(1, 0x80, 0xbf) && cont(2, 0x80, 0xbf) {
            3
        } else {
            0
        };
    }
    if c == 0xed {
        return if cont(1, 0x80, 0x9f) && cont(2, 0x80, 0xbf) {
            3
        } else {
            0
        };
    }
    if c == 0xf0 {
        return if cont(1, 0x90, 0xbf) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) {
            4
        } else {
            0
        };
    }
    if (0xf1..=0xf3).contains(&c) {
        return if cont(1, 0x80, 0xbf) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) {
            4
        } else {
            0
        };
    }
    if c == 0xf4 {
        return if cont(1, 0x80, 0x8f) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) {
            4
        } else {
            0
        };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let mut s = String::new();
        escape_string(b"a\"b\\c\r\n\t\x01\x7f\xc3\xa9\xe2\x82\0", &mut s);
        assert_eq!(s, "a\\\"b\\\\c\\r\\n\\t\\001\\177é\\342\\202");
    }
}
