//! Attribute layouts on the wire: plain attributes, Vendor-Specific (every
//! FreeRADIUS vendor format), extended and long-extended (RFC 6929),
//! Extended-Vendor-Specific, TLVs, and concat attributes such as EAP-Message.
//!
//! Parsing borrows; only reassembly of fragmented values (long-extended,
//! WiMAX continuation, concat) allocates, and only when there are fragments.

use std::borrow::Cow;
use std::fmt;

use crate::packet::MAX_ATTR_VALUE_LEN;

/// Vendor-Specific attribute number (RFC 2865 §5.26).
pub const VENDOR_SPECIFIC: u8 = 26;

/// One raw top-level attribute: type and value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawAttr<'a> {
    /// Attribute type octet.
    pub typ: u8,
    /// Value octets (without type and length).
    pub value: &'a [u8],
}

impl fmt::Debug for RawAttr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Attr-{}=0x", self.typ)?;
        for b in self.value {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Iterator over type-length-value attributes with one-octet type and length.
///
/// Stops (and reports via [`Attributes::malformed`]) at the first attribute
/// that does not fit; packets from [`crate::packet::Packet::decode`] are
/// already validated so this never happens for them.
#[derive(Clone)]
pub struct Attributes<'a> {
    rest: &'a [u8],
    malformed: bool,
}

impl<'a> Attributes<'a> {
    /// Iterate over `data`, a sequence of attributes.
    pub fn new(data: &'a [u8]) -> Self {
        Attributes {
            rest: data,
            malformed: false,
        }
    }

    /// Whether iteration stopped at malformed data.
    pub fn malformed(&self) -> bool {
        self.malformed
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = RawAttr<'a>;

    #[inline]
    fn next(&mut self) -> Option<RawAttr<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        if self.rest.len() < 2 || self.rest[1] < 2 || self.rest[1] as usize > self.rest.len() {
            self.malformed = true;
            self.rest = &[];
            return None;
        }
        let len = self.rest[1] as usize;
        let a = RawAttr {
            typ: self.rest[0],
            value: &self.rest[2..len],
        };
        self.rest = &self.rest[len..];
        Some(a)
    }
}

/// Why an attribute's inner structure could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttrError {
    /// Vendor-Specific value shorter than its 4-octet Vendor-Id plus data.
    #[error("Vendor-Specific value too short ({0} octets)")]
    VsaTooShort(usize),
    /// A vendor sub-attribute does not fit its VSA.
    #[error("vendor {vendor} sub-attribute malformed at offset {offset}")]
    BadVendorSubAttr {
        /// Vendor-Id.
        vendor: u32,
        /// Offset within the VSA data.
        offset: usize,
    },
    /// An extended attribute without its Extended-Type octet (or flags).
    #[error("extended attribute {0} too short")]
    ExtendedTooShort(u8),
    /// A long-extended fragment chain ended with the More bit still set.
    #[error("long-extended attribute {0}.{1} ends with the More flag set")]
    UnterminatedFragments(u8, u8),
    /// A value is too long for its layout.
    #[error("value of {len} octets too long for attribute {what}")]
    TooLong {
        /// What was being encoded.
        what: &'static str,
        /// The length given.
        len: usize,
    },
}

/// How a vendor lays out its sub-attributes inside Vendor-Specific
/// (FreeRADIUS `format=t,l[,c]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VendorFormat {
    /// Width of the type field: 1, 2 or 4 octets.
    pub type_width: u8,
    /// Width of the length field: 0, 1 or 2 octets.
    pub length_width: u8,
    /// WiMAX-style continuation octet after the length.
    pub continuation: bool,
}

impl VendorFormat {
    /// The RFC 2865 §5.26 suggested layout (1-octet type and length).
    pub const DEFAULT: VendorFormat = VendorFormat {
        type_width: 1,
        length_width: 1,
        continuation: false,
    };
    /// WiMAX Forum layout: 1,1 plus a continuation octet.
    pub const WIMAX: VendorFormat = VendorFormat {
        type_width: 1,
        length_width: 1,
        continuation: true,
    };

    fn header_len(self) -> usize {
        self.type_width as usize + self.length_width as usize + self.continuation as usize
    }
}

impl Default for VendorFormat {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Split a Vendor-Specific value into Vendor-Id and vendor data.
pub fn split_vsa(value: &[u8]) -> Result<(u32, &[u8]), AttrError> {
    if value.len() < 5 {
        return Err(AttrError::VsaTooShort(value.len()));
    }
    let vendor = u32::from_be_bytes([value[0], value[1], value[2], value[3]]);
    Ok((vendor, &value[4..]))
}

/// One vendor sub-attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorSubAttr<'a> {
    /// Vendor type.
    pub typ: u32,
    /// Value octets.
    pub value: &'a [u8],
    /// WiMAX continuation flag (value continues in the next VSA).
    pub more: bool,
}

/// Iterate over the sub-attributes in one VSA's vendor data.
pub fn vendor_sub_attrs(
    vendor: u32,
    data: &[u8],
    format: VendorFormat,
) -> impl Iterator<Item = Result<VendorSubAttr<'_>, AttrError>> + '_ {
    let mut off = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || off >= data.len() {
            return None;
        }
        let rest = &data[off..];
        let hl = format.header_len();
        let bad = AttrError::BadVendorSubAttr {
            vendor,
            offset: off,
        };
        if rest.len() < hl {
            failed = true;
            return Some(Err(bad));
        }
        let tw = format.type_width as usize;
        let typ = rest[..tw].iter().fold(0u32, |a, &b| (a << 8) | b as u32);
        let (value_start, total) = match format.length_width {
            0 => (hl, rest.len()),
            w => {
                let l = rest[tw..tw + w as usize]
                    .iter()
                    .fold(0usize, |a, &b| (a << 8) | b as usize);
                // The length covers type, length (and continuation) fields.
                if l < hl || l > rest.len() {
                    failed = true;
                    return Some(Err(bad));
                }
                (hl, l)
            }
        };
        let more = format.continuation && rest[tw + format.length_width as usize] & 0x80 != 0;
        off += total;
        Some(Ok(VendorSubAttr {
            typ,
            value: &rest[value_start..total],
            more,
        }))
    })
}

/// Encode one vendor sub-attribute inside a complete Vendor-Specific
/// attribute (type 26) appended to `out`. Values too long for one VSA are
/// split across several when the format has a continuation octet (WiMAX);
/// otherwise they are an error.
pub fn encode_vsa(
    out: &mut Vec<u8>,
    vendor: u32,
    format: VendorFormat,
    typ: u32,
    value: &[u8],
) -> Result<(), AttrError> {
    let hl = format.header_len();
    let room = MAX_ATTR_VALUE_LEN - 4 - hl;
    if value.len() > room && !format.continuation {
        return Err(AttrError::TooLong {
            what: "Vendor-Specific",
            len: value.len(),
        });
    }
    // An empty value still produces one (empty) sub-attribute.
    let n = value.len().div_ceil(room).max(1);
    for i in 0..n {
        let chunk = &value[(i * room).min(value.len())..((i + 1) * room).min(value.len())];
        let more = i + 1 < n;
        out.push(VENDOR_SPECIFIC);
        out.push((2 + 4 + hl + chunk.len()) as u8);
        out.extend_from_slice(&vendor.to_be_bytes());
        let tb = typ.to_be_bytes();
        out.extend_from_slice(&tb[4 - format.type_width as usize..]);
        let sl = hl + chunk.len();
        match format.length_width {
            0 => {}
            1 => out.push(sl as u8),
            _ => out.extend_from_slice(&(sl as u16).to_be_bytes()),
        }
        if format.continuation {
            out.push(if more { 0x80 } else { 0 });
        }
        out.extend_from_slice(chunk);
    }
    Ok(())
}

/// Whether a top-level type is one of the RFC 6929 extended spaces (241-246).
#[inline]
pub fn is_extended(typ: u8) -> bool {
    (241..=246).contains(&typ)
}

/// Whether a top-level type is a long-extended space (245, 246).
#[inline]
pub fn is_long_extended(typ: u8) -> bool {
    typ == 245 || typ == 246
}

/// Encode an extended attribute (RFC 6929 §2.1) into `out`.
pub fn encode_extended(
    out: &mut Vec<u8>,
    typ: u8,
    ext_type: u8,
    value: &[u8],
) -> Result<(), AttrError> {
    if value.len() > MAX_ATTR_VALUE_LEN - 1 {
        return Err(AttrError::TooLong {
            what: "extended",
            len: value.len(),
        });
    }
    out.push(typ);
    out.push((3 + value.len()) as u8);
    out.push(ext_type);
    out.extend_from_slice(value);
    Ok(())
}

/// Encode a long-extended attribute (RFC 6929 §2.2), fragmenting with the
/// More flag as needed (251 value octets per fragment).
pub fn encode_long_extended(out: &mut Vec<u8>, typ: u8, ext_type: u8, value: &[u8]) {
    const ROOM: usize = MAX_ATTR_VALUE_LEN - 2;
    let n = value.len().div_ceil(ROOM).max(1);
    for i in 0..n {
        let chunk = &value[(i * ROOM).min(value.len())..((i + 1) * ROOM).min(value.len())];
        out.push(typ);
        out.push((4 + chunk.len()) as u8);
        out.push(ext_type);
        out.push(if i + 1 < n { 0x80 } else { 0 });
        out.extend_from_slice(chunk);
    }
}

/// Prefix `value` with a Vendor-Id and evs type: the value of an
/// Extended-Vendor-Specific attribute (RFC 6929 §2.4).
pub fn evs_value(vendor: u32, evs_type: u8, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(5 + value.len());
    v.extend_from_slice(&vendor.to_be_bytes());
    v.push(evs_type);
    v.extend_from_slice(value);
    v
}

/// Encode a concat attribute (e.g. EAP-Message, RFC 3579 §3.1), split into
/// 253-octet pieces.
pub fn encode_concat(out: &mut Vec<u8>, typ: u8, value: &[u8]) {
    let n = value.len().div_ceil(MAX_ATTR_VALUE_LEN).max(1);
    for i in 0..n {
        let s = (i * MAX_ATTR_VALUE_LEN).min(value.len());
        let e = ((i + 1) * MAX_ATTR_VALUE_LEN).min(value.len());
        out.push(typ);
        out.push((2 + e - s) as u8);
        out.extend_from_slice(&value[s..e]);
    }
}

/// Where an attribute lives on the wire: what the typed layer and the text
/// form use to find and write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrKey {
    /// A top-level attribute (1-255).
    Std(u8),
    /// A vendor sub-attribute inside Vendor-Specific.
    Vendor {
        /// Vendor-Id.
        vendor: u32,
        /// Its layout.
        format: VendorFormat,
        /// Vendor type.
        typ: u32,
    },
    /// An extended (241-244) or long-extended (245-246) attribute.
    Extended {
        /// Top-level type, 241-246.
        base: u8,
        /// Extended-Type.
        typ: u8,
    },
    /// An Extended-Vendor-Specific attribute (Extended-Type 26).
    ExtendedVendor {
        /// Top-level type, 241-246.
        base: u8,
        /// Vendor-Id.
        vendor: u32,
        /// Vendor type (one octet).
        typ: u8,
    },
    /// A member of a TLV attribute (RFC 6929 §2.3): one-octet type and
    /// length inside the parent's value.
    Tlv {
        /// The enclosing TLV attribute.
        parent: &'static AttrKey,
        /// Member type.
        typ: u8,
    },
}

impl AttrKey {
    /// Find every value of this attribute in an attribute area (e.g.
    /// [`crate::packet::Packet::attribute_bytes`]), reassembling
    /// long-extended fragments and WiMAX continuations. Malformed
    /// containers are skipped.
    pub fn find_all<'a>(self, attrs: &'a [u8]) -> impl Iterator<Item = Cow<'a, [u8]>> + 'a {
        let mut it = Attributes::new(attrs).peekable();
        // Pending VSA sub-attributes of the current Vendor-Specific.
        let mut pending: Vec<Cow<'a, [u8]>> = Vec::new();
        if let AttrKey::Tlv { parent, typ } = self {
            // Members of every instance of the parent, in order.
            for pv in parent.find_all(attrs) {
                match pv {
                    Cow::Borrowed(b) => pending.extend(
                        Attributes::new(b)
                            .filter(|m| m.typ == typ)
                            .map(|m| Cow::Borrowed(m.value)),
                    ),
                    Cow::Owned(o) => pending.extend(
                        Attributes::new(&o)
                            .filter(|m| m.typ == typ)
                            .map(|m| Cow::Owned(m.value.to_vec())),
                    ),
                }
            }
            pending.reverse();
            it = Attributes::new(&[]).peekable();
        }
        std::iter::from_fn(move || loop {
            if let Some(v) = pending.pop() {
                return Some(v);
            }
            let a = it.next()?;
            match self {
                AttrKey::Tlv { .. } => unreachable!("members collected up front"),
                AttrKey::Std(t) => {
                    if a.typ == t {
                        return Some(Cow::Borrowed(a.value));
                    }
                }
                AttrKey::Vendor {
                    vendor,
                    format,
                    typ,
                } => {
                    if a.typ != VENDOR_SPECIFIC {
                        continue;
                    }
                    let Ok((v, data)) = split_vsa(a.value) else {
                        continue;
                    };
                    if v != vendor {
                        continue;
                    }
                    let mut found: Vec<Cow<'a, [u8]>> = Vec::new();
                    let mut partial: Option<Vec<u8>> = None;
                    for s in vendor_sub_attrs(v, data, format) {
                        let Ok(s) = s else { break };
                        if s.typ != typ {
                            continue;
                        }
                        if s.more {
                            partial
                                .get_or_insert_with(Vec::new)
                                .extend_from_slice(s.value);
                        } else if let Some(mut p) = partial.take() {
                            p.extend_from_slice(s.value);
                            found.push(Cow::Owned(p));
                        } else {
                            found.push(Cow::Borrowed(s.value));
                        }
                    }
                    // A continuation spans into the following VSAs.
                    while let Some(mut p) = partial.take() {
                        let Some(next) = it.peek().copied() else {
                            break;
                        };
                        let Ok((nv, nd)) = split_vsa(next.value) else {
                            break;
                        };
                        if next.typ != VENDOR_SPECIFIC || nv != vendor {
                            break;
                        }
                        it.next();
                        for s in vendor_sub_attrs(nv, nd, format).flatten() {
                            if s.typ == typ {
                                p.extend_from_slice(s.value);
                                if !s.more {
                                    found.push(Cow::Owned(std::mem::take(&mut p)));
                                    break;
                                }
                            }
                        }
                        if !p.is_empty() {
                            partial = Some(p);
                        }
                    }
                    found.reverse();
                    pending = found;
                }
                AttrKey::Extended { base, typ } => {
                    if a.typ != base || a.value.is_empty() || a.value[0] != typ {
                        continue;
                    }
                    if !is_long_extended(base) {
                        return Some(Cow::Borrowed(&a.value[1..]));
                    }
                    if a.value.len() < 2 {
                        continue;
                    }
                    return Some(reassemble_long(a.value, base, &mut it));
                }
                AttrKey::ExtendedVendor { base, vendor, typ } => {
                    if a.typ != base || a.value.len() < 2 || a.value[0] != 26 {
                        continue;
                    }
                    let whole = if is_long_extended(base) {
                        reassemble_long(a.value, base, &mut it)
                    } else {
                        Cow::Borrowed(&a.value[1..])
                    };
                    if whole.len() < 5 {
                        continue;
                    }
                    let v = u32::from_be_bytes([whole[0], whole[1], whole[2], whole[3]]);
                    if v != vendor || whole[4] != typ {
                        continue;
                    }
                    return Some(match whole {
                        Cow::Borrowed(b) => Cow::Borrowed(&b[5..]),
                        Cow::Owned(o) => Cow::Owned(o[5..].to_vec()),
                    });
                }
            }
        })
    }
}

/// Join a long-extended attribute's fragments; `first` is its value
/// (Extended-Type, flags, data). Following fragments are consumed from `it`.
fn reassemble_long<'a>(
    first: &'a [u8],
    base: u8,
    it: &mut std::iter::Peekable<Attributes<'a>>,
) -> Cow<'a, [u8]> {
    let ext = first[0];
    if first[1] & 0x80 == 0 {
        return Cow::Borrowed(&first[2..]);
    }
    let mut v = first[2..].to_vec();
    while let Some(n) = it.peek().copied() {
        if n.typ != base || n.value.len() < 2 || n.value[0] != ext {
            break;
        }
        it.next();
        v.extend_from_slice(&n.value[2..]);
        if n.value[1] & 0x80 == 0 {
            break;
        }
    }
    Cow::Owned(v)
}

/// Join the values of every attribute of type `typ` (concat attributes such
/// as EAP-Message, RFC 3579 §3.1). `None` when there is none.
pub fn concat<'a>(attrs: &'a [u8], typ: u8) -> Option<Cow<'a, [u8]>> {
    let mut out: Option<Cow<'a, [u8]>> = None;
    for a in Attributes::new(attrs).filter(|a| a.typ == typ) {
        out = Some(match out {
            None => Cow::Borrowed(a.value),
            Some(prev) => {
                let mut v = prev.into_owned();
                v.extend_from_slice(a.value);
                Cow::Owned(v)
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vsa_formats_roundtrip() {
        for (fmt, vendor) in [
            (VendorFormat::DEFAULT, 9u32),
            (
                VendorFormat {
                    type_width: 4,
                    length_width: 0,
                    continuation: false,
                },
                429,
            ),
            (
                VendorFormat {
                    type_width: 2,
                    length_width: 2,
                    continuation: false,
                },
                4846,
            ),
            (
                VendorFormat {
                    type_width: 2,
                    length_width: 1,
                    continuation: false,
                },
                1,
            ),
            (VendorFormat::WIMAX, 24757),
        ] {
            let mut out = vec![];
            encode_vsa(&mut out, vendor, fmt, 7, b"hello").unwrap();
            let key = AttrKey::Vendor {
                vendor,
                format: fmt,
                typ: 7,
            };
            let got: Vec<_> = key.find_all(&out).collect();
            assert_eq!(got, vec![Cow::Borrowed(&b"hello"[..])], "{fmt:?}");
        }
    }

    #[test]
    fn wimax_continuation_reassembles() {
        let long = vec![0x5a; 600];
        let mut out = vec![];
        encode_vsa(&mut out, 24757, VendorFormat::WIMAX, 3, &long).unwrap();
        assert!(Attributes::new(&out).count() >= 3);
        let key = AttrKey::Vendor {
            vendor: 24757,
            format: VendorFormat::WIMAX,
            typ: 3,
        };
        let got: Vec<_> = key.find_all(&out).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(&*got[0], &long[..]);
        assert!(encode_vsa(&mut out, 9, VendorFormat::DEFAULT, 1, &long).is_err());
    }

    #[test]
    fn long_extended_fragments() {
        let long: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
        let mut out = vec![];
        encode_long_extended(&mut out, 245, 4, &long);
        encode_long_extended(&mut out, 245, 4, b"x");
        let key = AttrKey::Extended { base: 245, typ: 4 };
        let got: Vec<_> = key.find_all(&out).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(&*got[0], &long[..]);
        assert_eq!(&*got[1], b"x");
    }

    #[test]
    fn evs_lookup() {
        let mut out = vec![];
        encode_extended(&mut out, 241, 26, &evs_value(11344, 1, b"abc")).unwrap();
        let key = AttrKey::ExtendedVendor {
            base: 241,
            vendor: 11344,
            typ: 1,
        };
        assert_eq!(key.find_all(&out).next().as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn tlv_members() {
        static PARENT: AttrKey = AttrKey::Vendor {
            vendor: 24757,
            format: VendorFormat::WIMAX,
            typ: 1,
        };
        let inner = [1u8, 3, 9, 2, 4, 0, 7, 1, 3, 8];
        let mut out = vec![];
        encode_vsa(&mut out, 24757, VendorFormat::WIMAX, 1, &inner).unwrap();
        let got: Vec<_> = AttrKey::Tlv {
            parent: &PARENT,
            typ: 1,
        }
        .find_all(&out)
        .collect();
        assert_eq!(
            got,
            vec![Cow::Borrowed(&[9u8][..]), Cow::Borrowed(&[8u8][..])]
        );
    }

    #[test]
    fn concat_split_and_join() {
        let eap = vec![1u8; 600];
        let mut out = vec![];
        encode_concat(&mut out, 79, &eap);
        assert_eq!(Attributes::new(&out).count(), 3);
        assert_eq!(&*concat(&out, 79).unwrap(), &eap[..]);
    }
}
