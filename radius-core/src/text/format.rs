//! [`Codec::format`]: pairs printed as FreeRADIUS v3 prints them.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::ascend::AscendFilter;
use crate::dict::AttrId;

use super::codec::Codec;
use super::escape::escape_string;
use super::scalar::{format_date, ipv6_ntop};
use super::types::{AttrRef, Pair, Value};

impl Codec<'_> {
    /// Print pairs as FreeRADIUS does: `Name = value, Name:1 = value`.
    pub fn format(&self, pairs: &[Pair]) -> String {
        let mut s = String::new();
        for (i, p) in pairs.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&self.format_pair(p));
        }
        s
    }

    /// Print one pair: `Name[:tag] = value`.
    pub fn format_pair(&self, p: &Pair) -> String {
        let mut s = String::new();
        match &p.attr {
            AttrRef::Known(id) => {
                let a = self.dict.attr(*id);
                s.push_str(&a.name);
                if a.flags.has_tag {
                    if let Some(t) = p.tag {
                        let _ = write!(s, ":{t}");
                    }
                }
            }
            AttrRef::Raw(o) => {
                let _ = write!(s, "{o}");
            }
        }
        s.push_str(" = ");
        let id = match &p.attr {
            AttrRef::Known(id) => Some(*id),
            AttrRef::Raw(_) => None,
        };
        self.format_value(id, &p.value, &mut s);
        s
    }

    fn format_value(&self, id: Option<AttrId>, v: &Value, s: &mut String) {
        let named = |n: u64, s: &mut String| match id.and_then(|i| self.dict.value_name(i, n)) {
            Some(name) => s.push_str(name),
            None => {
                let _ = write!(s, "{n}");
            }
        };
        match v {
            Value::String(b) => {
                s.push('"');
                escape_string(b, s);
                s.push('"');
            }
            Value::Abinary(b) if AscendFilter::from_bytes(b).is_some() => {
                let f = AscendFilter::from_bytes(b).expect("checked");
                let _ = write!(s, "\"{f}\"");
            }
            Value::Octets(b) | Value::Abinary(b) => {
                s.push_str("0x");
                for x in b {
                    let _ = write!(s, "{x:02x}");
                }
            }
            Value::Ipaddr(a) => {
                let _ = write!(s, "{a}");
            }
            Value::Ipv4Prefix(a, l) => {
                let _ = write!(s, "{a}/{l}");
            }
            Value::Ipv6Addr(a) => s.push_str(&ipv6_ntop(a)),
            Value::Ipv6Prefix(a, l) => {
                let _ = write!(s, "{}/{l}", ipv6_ntop(a));
            }
            Value::Integer(n) => named(*n as u64, s),
            Value::Byte(n) => named(*n as u64, s),
            Value::Short(n) => named(*n as u64, s),
            Value::Integer64(n) => {
                let _ = write!(s, "{n}");
            }
            Value::Signed(n) => {
                let _ = write!(s, "{n}");
            }
            Value::Date(t) => {
                let _ = write!(s, "\"{}\"", format_date(*t));
            }
            Value::Ifid(b) => {
                let g = |i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
                let _ = write!(s, "{:x}:{:x}:{:x}:{:x}", g(0), g(1), g(2), g(3));
            }
            Value::Ether(m) => {
                let _ = write!(
                    s,
                    "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    m[0], m[1], m[2], m[3], m[4], m[5]
                );
            }
            Value::Bool(b) => s.push_str(if *b { "yes" } else { "no" }),
            Value::ComboIp(IpAddr::V4(a)) => {
                let _ = write!(s, "{a}");
            }
            Value::ComboIp(IpAddr::V6(a)) => s.push_str(&ipv6_ntop(a)),
        }
    }
}
