//! [`Codec::parse`]: a line of `Name[:tag] op value` pairs to typed
//! [`Pair`]s, with attribute names resolved against the dictionary.

use crate::dict::DataType;

use super::codec::{Codec, Spec};
use super::ipaddr;
use super::scalar::{hex_decode, parse_date, parse_uint};
use super::types::{AttrRef, Pair, RawOid, Result, TextError, Value};

impl Codec<'_> {
    /// Parse one line of `Name[:tag] op value` pairs separated by commas.
    /// Operators (`=`, `:=`, `+=`, `==` ...) are accepted and ignored
    /// ([`parse_items`](Self::parse_items) keeps them); an empty line is an
    /// empty list.
    pub fn parse(&self, line: &str) -> Result<Vec<Pair>> {
        self.parse_items(line)?
            .iter()
            .map(|item| self.pair(item))
            .collect()
    }

    /// Resolve a name to an attribute.
    pub fn resolve(&self, name: &str) -> Result<AttrRef> {
        if let Some(id) = self.dict.attr_by_name(name) {
            return Ok(AttrRef::Known(id));
        }
        if let Some(oid) = self.parse_raw_name(name)? {
            return Ok(AttrRef::Raw(oid));
        }
        // Dotted TLV path: Parent.Child[.Grandchild], children by name or number.
        if name.contains('.') {
            let mut parts = name.split('.');
            let first = parts.next().unwrap_or_default();
            let mut cur = self
                .dict
                .attr_by_name(first)
                .ok_or_else(|| TextError::UnknownAttribute(name.to_owned()))?;
            for part in parts {
                let next = self
                    .dict
                    .children(cur)
                    .iter()
                    .copied()
                    .find(|&c| self.dict.attr(c).name.eq_ignore_ascii_case(part))
                    .or_else(|| {
                        let n: u32 = part.parse().ok()?;
                        let a = self.dict.attr(cur);
                        self.dict.attr_by_number(Some(cur), a.vendor, n)
                    });
                match next {
                    Some(c) => cur = c,
                    None => return Err(TextError::UnknownAttribute(name.to_owned())),
                }
            }
            return Ok(AttrRef::Known(cur));
        }
        Err(TextError::UnknownAttribute(name.to_owned()))
    }

    /// `Attr-N[.N...]`, `Vendor-N-Attr-M[.M...]`, `VendorName-Attr-M`.
    fn parse_raw_name(&self, name: &str) -> Result<Option<RawOid>> {
        let bad = |why: &str| TextError::BadValue {
            attr: name.to_owned(),
            data_type: "attribute name",
            value: name.to_owned(),
            reason: why.to_owned(),
        };
        let lower = name.to_ascii_lowercase();
        let (vendor, oid) = if let Some(rest) = lower.strip_prefix("attr-") {
            (None, rest.to_owned())
        } else if let Some(i) = lower.find("-attr-") {
            let prefix = &name[..i];
            let oid = lower[i + 6..].to_owned();
            let vendor = if let Some(num) = prefix
                .strip_prefix("Vendor-")
                .or_else(|| prefix.strip_prefix("vendor-"))
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
            {
                num.parse::<u32>()
                    .ok()
                    .filter(|&v| v > 0 && v < 1 << 24)
                    .ok_or_else(|| bad("vendor number out of range"))?
            } else {
                match self.dict.vendor_by_name(prefix) {
                    Some(v) => v.id,
                    None => return Ok(None),
                }
            };
            (Some(vendor), oid)
        } else {
            return Ok(None);
        };
        let nums: Vec<u32> = oid
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("expected dot-separated numbers after Attr-"));
                }
                p.parse::<u32>().map_err(|_| bad("number too large"))
            })
            .collect::<Result<_>>()?;
        if let Some(v) = vendor {
            return Ok(Some(RawOid {
                ext: None,
                vendor: Some(v),
                path: nums,
            }));
        }
        let oid = match nums.as_slice() {
            [26, v, rest @ ..] if !rest.is_empty() => RawOid {
                ext: None,
                vendor: Some(*v),
                path: rest.to_vec(),
            },
            [e @ 241..=246, 26, v, rest @ ..] if !rest.is_empty() => RawOid {
                ext: Some(*e as u8),
                vendor: Some(*v),
                path: rest.to_vec(),
            },
            [e @ 241..=246, rest @ ..] if !rest.is_empty() => RawOid {
                ext: Some(*e as u8),
                vendor: None,
                path: rest.to_vec(),
            },
            _ => RawOid {
                ext: None,
                vendor: None,
                path: nums,
            },
        };
        self.check_raw_members(name, &oid)?;
        Ok(Some(oid))
    }

    /// A raw OID with member numbers (`Attr-173.1`, `Attr-26.9.1.2`)
    /// needs a TLV at every level the dictionary knows, and a first level
    /// that can have members at all: in the standard space only a `tlv`
    /// attribute can (FreeRADIUS: "Standard attributes cannot use OIDs"),
    /// in a vendor's space only a vendor of format `1,1`.
    fn check_raw_members(&self, name: &str, oid: &RawOid) -> Result<()> {
        if oid.path.len() < 2 {
            return Ok(());
        }
        let bad = |reason: String| TextError::BadOid {
            name: name.to_owned(),
            reason,
        };
        let d = self.dict;
        let first = oid.path[0];
        let mut cur = match (oid.ext, oid.vendor) {
            (None, None) => match d.attr_by_number(None, None, first) {
                Some(id) => Some(id),
                None => {
                    return Err(bad(format!(
                        "standard attributes cannot use OIDs ({first} is not a tlv attribute                          of this dictionary)"
                    )))
                }
            },
            (None, Some(v)) => {
                let f = self.vendor_format(v);
                if (f.type_width, f.length_width) != (1, 1) {
                    return Err(bad(format!(
                        "vendor {v} has format={},{}, whose attributes cannot have TLVs",
                        f.type_width, f.length_width
                    )));
                }
                d.attr_by_number(None, Some(v), first)
            }
            (Some(e), None) => d
                .attr_by_number(None, None, e as u32)
                .and_then(|p| d.attr_by_number(Some(p), None, first)),
            (Some(e), Some(v)) => d
                .attr_by_number(None, None, e as u32)
                .and_then(|p| d.attr_by_number(Some(p), None, 26))
                .and_then(|evs| d.attr_by_number(Some(evs), Some(v), first)),
        };
        for &n in &oid.path[1..] {
            let Some(id) = cur else { break };
            let a = d.attr(id);
            if a.data_type != DataType::Tlv {
                let what = if (oid.ext, oid.vendor) == (None, None) {
                    "standard attributes cannot use OIDs: "
                } else {
                    ""
                };
                return Err(bad(format!(
                    "{what}{} ({}) is of type {}, not tlv, so it has no member {n}",
                    a.name,
                    d.oid(id),
                    a.data_type
                )));
            }
            cur = d.attr_by_number(Some(id), a.vendor, n);
        }
        Ok(())
    }

    pub(super) fn make_pair(&self, name: &str, tag: Option<&str>, bytes: &[u8]) -> Result<Pair> {
        let text = String::from_utf8_lossy(bytes);
        let text = text.as_ref();
        let attr = self.resolve(name)?;
        let spec = self.spec_of(&attr)?;
        let tag = match tag {
            None => None,
            Some(t) => {
                if !spec.flags.has_tag {
                    return Err(TextError::BadTag {
                        attr: spec.name,
                        tag: t.to_owned(),
                        reason: "the attribute has no has_tag flag",
                    });
                }
                match t.parse::<u8>() {
                    Ok(n) if n < 0x20 => Some(n),
                    _ => {
                        return Err(TextError::BadTag {
                            attr: spec.name,
                            tag: t.to_owned(),
                            reason: "tags are 0..=31",
                        })
                    }
                }
            }
        };
        // A TLV given as hex is its raw octets at the TLV's place, as
        // FreeRADIUS reads it (`WiMAX-PPAC = 0x0103...`).
        let is_hex = text.starts_with("0x") || text.starts_with("0X");
        let attr = match attr {
            AttrRef::Known(id) if spec.ty == DataType::Tlv && is_hex => {
                AttrRef::Raw(self.loc_of(id)?)
            }
            a => a,
        };
        let value = if let AttrRef::Raw(_) = attr {
            match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(h) => Value::Octets(hex_decode(h).map_err(|r| TextError::BadValue {
                    attr: spec.name.clone(),
                    data_type: "octets",
                    value: text.to_owned(),
                    reason: r,
                })?),
                None => {
                    return Err(TextError::BadValue {
                        attr: spec.name.clone(),
                        data_type: "octets",
                        value: text.to_owned(),
                        reason: "an unknown attribute requires a hex string (0x...)".to_owned(),
                    })
                }
            }
        } else {
            self.parse_value(&spec, text, bytes)?
        };
        Ok(Pair { attr, tag, value })
    }

    /// Parse the text of a value for an attribute of `spec`'s type
    /// (`bytes` is the same text before lossy UTF-8 conversion).
    fn parse_value(&self, spec: &Spec, s: &str, bytes: &[u8]) -> Result<Value> {
        let bad = |reason: &str| TextError::BadValue {
            attr: spec.name.clone(),
            data_type: spec.ty.name(),
            value: s.to_owned(),
            reason: reason.to_owned(),
        };
        let hex_fixed = |n: usize| -> Option<Vec<u8>> {
            let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
            hex_decode(h).ok().filter(|b| b.len() == n)
        };
        let enum_or_number = |max: u64| -> Result<u64> {
            if let Some(n) = parse_uint(s) {
                if n > max {
                    return Err(bad(&format!("larger than {max}")));
                }
                return Ok(n);
            }
            if let Some(id) = spec.id {
                if let Some(v) = self.dict.value_by_name(id, s) {
                    return Ok(v.value);
                }
            }
            Err(bad("not a number or a VALUE name of this attribute"))
        };
        Ok(match spec.ty {
            DataType::String => Value::String(bytes.to_vec()),
            DataType::Octets | DataType::Abinary => {
                let b = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(h) => hex_decode(h).map_err(|r| bad(&r))?,
                    None if spec.ty == DataType::Abinary => s
                        .parse::<crate::ascend::AscendFilter>()
                        .map_err(|e| bad(&e.to_string()))?
                        .to_bytes()
                        .to_vec(),
                    None => bytes.to_vec(),
                };
                if spec.ty == DataType::Abinary {
                    Value::Abinary(b)
                } else {
                    Value::Octets(b)
                }
            }
            DataType::Integer => Value::Integer(enum_or_number(u32::MAX.into())? as u32),
            DataType::Byte => Value::Byte(enum_or_number(u8::MAX.into())? as u8),
            DataType::Short => Value::Short(enum_or_number(u16::MAX.into())? as u16),
            DataType::Integer64 => Value::Integer64(enum_or_number(u64::MAX)?),
            DataType::Signed => Value::Signed(
                s.parse::<i32>()
                    .map_err(|_| bad("not a signed 32-bit decimal number"))?,
            ),
            DataType::Bool => match s.to_ascii_lowercase().as_str() {
                "yes" | "true" | "1" => Value::Bool(true),
                "no" | "false" | "0" => Value::Bool(false),
                _ => return Err(bad("expected yes or no")),
            },
            DataType::Date => {
                if let Some(id) = spec.id {
                    if let Some(v) = self.dict.value_by_name(id, s) {
                        return Ok(Value::Date(v.value as u32));
                    }
                }
                Value::Date(parse_date(s).ok_or_else(|| {
                    bad("expected seconds since 1970, \"Jan 1 2020 12:00:00 UTC\" or 2020-01-01T12:00:00Z")
                })?)
            }
            DataType::Ipaddr => {
                if let Some(b) = hex_fixed(4) {
                    return Ok(Value::Ipaddr(
                        <[u8; 4]>::try_from(b).expect("4 octets").into(),
                    ));
                }
                Value::Ipaddr(ipaddr::parse_ipv4(s).map_err(bad)?)
            }
            DataType::Ipv6Addr => {
                if let Some(b) = hex_fixed(16) {
                    return Ok(Value::Ipv6Addr(<[u8; 16]>::try_from(b).expect("16").into()));
                }
                Value::Ipv6Addr(ipaddr::parse_ipv6(s).map_err(bad)?)
            }
            DataType::Ipv4Prefix => {
                let (a, l) = ipaddr::parse_ipv4_prefix(s).map_err(bad)?;
                Value::Ipv4Prefix(a, l)
            }
            DataType::Ipv6Prefix => {
                let (a, l) = ipaddr::parse_ipv6_prefix(s).map_err(bad)?;
                Value::Ipv6Prefix(a, l)
            }
            DataType::ComboIp => Value::ComboIp(ipaddr::parse_combo(s).map_err(bad)?),
            DataType::Ether => {
                if let Some(b) = hex_fixed(6) {
                    return Ok(Value::Ether(b.try_into().expect("6")));
                }
                if let Some(n) = s
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| s.parse::<u64>().ok())
                    .flatten()
                {
                    let b = n.to_be_bytes();
                    return Ok(Value::Ether(b[2..].try_into().expect("6")));
                }
                let parts: Vec<&str> = s.split([':', '-']).collect();
                if parts.len() != 6 {
                    return Err(bad("expected six hex octets separated by colons"));
                }
                let mut m = [0u8; 6];
                for (o, p) in m.iter_mut().zip(&parts) {
                    if p.is_empty() || p.len() > 2 {
                        return Err(bad("expected six hex octets separated by colons"));
                    }
                    *o = u8::from_str_radix(p, 16).map_err(|_| bad("not hex"))?;
                }
                Value::Ether(m)
            }
            DataType::Ifid => {
                if let Some(b) = hex_fixed(8) {
                    return Ok(Value::Ifid(b.try_into().expect("8")));
                }
                let parts: Vec<&str> = s.split(':').collect();
                if parts.len() != 4 {
                    return Err(bad("expected four 16-bit hex groups, e.g. 0:0:0:1"));
                }
                let mut m = [0u8; 8];
                for (i, p) in parts.iter().enumerate() {
                    if p.is_empty() || p.len() > 4 {
                        return Err(bad("expected four 16-bit hex groups, e.g. 0:0:0:1"));
                    }
                    let n = u16::from_str_radix(p, 16).map_err(|_| bad("not hex"))?;
                    m[2 * i..2 * i + 2].copy_from_slice(&n.to_be_bytes());
                }
                Value::Ifid(m)
            }
            DataType::Vsa => {
                return Err(bad("Vendor-Specific is a container: use Attr-26 = 0x..."))
            }
            DataType::Tlv | DataType::Extended | DataType::LongExtended | DataType::Evs => {
                return Err(bad(
                    "a container attribute has no value of its own: give its members \
                     (or, for a tlv, its octets as 0x...)",
                ))
            }
        })
    }
}
