//! [`Codec::decode`]: attribute octets to pairs as FreeRADIUS v3's
//! `data2vp` reads them: tags, decryption, TLVs, and the raw form for
//! what is unknown or malformed.

use crate::crypto;
use crate::dict::{AttrId, DataType, Encrypt, Flags};

use super::codec::Codec;
use super::types::{AttrRef, Pair, RawOid, Result, TextError, Value};

impl Codec<'_> {
    /// Decode attribute octets (no packet header) into pairs, as FreeRADIUS
    /// v3 does. Unknown and malformed attributes become raw pairs; only an
    /// attribute area whose headers do not add up is an error.
    pub fn decode(&self, data: &[u8]) -> Result<Vec<Pair>> {
        let mut off = 0;
        while off < data.len() {
            if data.len() - off < 2 {
                return Err(TextError::Malformed {
                    offset: off,
                    reason: "attribute header overflows the data",
                });
            }
            if data[off] == 0 {
                return Err(TextError::Malformed {
                    offset: off,
                    reason: "attribute type 0 is invalid",
                });
            }
            if data[off + 1] < 2 {
                return Err(TextError::Malformed {
                    offset: off,
                    reason: "attribute length below 2",
                });
            }
            if data[off + 1] as usize > data.len() - off {
                return Err(TextError::Malformed {
                    offset: off,
                    reason: "attribute overflows the data",
                });
            }
            off += data[off + 1] as usize;
        }
        let mut out = Vec::new();
        let mut off = 0;
        while off < data.len() {
            let t = data[off];
            let len = data[off + 1] as usize;
            if t == super::filter_rule::NAS_FILTER_RULE {
                off += self.decode_filter_rules(&data[off..], &mut out);
                continue;
            }
            let id = self.dict.attr_by_number(None, None, t as u32);
            let concat = id.is_some_and(|i| self.dict.attr(i).flags.concat);
            if concat {
                let mut v = Vec::new();
                let mut p = off;
                while p < data.len() && data[p] == t {
                    v.extend_from_slice(&data[p + 2..p + data[p + 1] as usize]);
                    p += data[p + 1] as usize;
                }
                let id = id.expect("concat implies known");
                out.push(Pair {
                    attr: AttrRef::Known(id),
                    tag: None,
                    value: Value::Octets(v),
                });
                off = p;
                continue;
            }
            let value = &data[off + 2..off + len];
            let rest = &data[off + 2..];
            let is_vsa = id.is_some_and(|i| self.dict.attr(i).data_type == DataType::Vsa);
            let used = match id {
                // Vendor-Specific is a VSA whatever the dictionary calls it
                // (or if it does not define it), as encoding treats it.
                _ if t == crate::attr::VENDOR_SPECIFIC && !is_vsa => {
                    let before = out.len();
                    match self.decode_vsas(value, rest, &mut out) {
                        Some(n) => n,
                        None => {
                            out.truncate(before);
                            let node = id.map_or_else(|| Node::Raw(std_oid(26)), Node::Known);
                            self.data2vp(node, value, value, &mut out)
                        }
                    }
                }
                Some(id) => self.data2vp(Node::Known(id), value, rest, &mut out),
                None => {
                    self.push_raw(std_oid(t as u32), value, &mut out);
                    value.len()
                }
            };
            off += 2 + used.max(value.len());
        }
        Ok(out)
    }

    pub(super) fn push_raw(&self, oid: RawOid, value: &[u8], out: &mut Vec<Pair>) {
        out.push(Pair {
            attr: AttrRef::Raw(oid),
            tag: None,
            value: Value::Octets(value.to_vec()),
        });
    }

    fn oid_of_node(&self, node: &Node) -> RawOid {
        match node {
            Node::Known(id) => self.loc_of(*id).unwrap_or_else(|_| RawOid {
                ext: None,
                vendor: None,
                path: vec![self.dict.attr(*id).number],
            }),
            Node::Raw(o) => o.clone(),
        }
    }

    /// FreeRADIUS's `data2vp`: decode `data` (one attribute's value) as
    /// `node`, appending pairs. `rest` starts at `data` and runs to the end
    /// of the attribute area (for continuations). Returns the octets of
    /// `rest` consumed (at least `data.len()`).
    pub(super) fn data2vp(
        &self,
        node: Node,
        data: &[u8],
        rest: &[u8],
        out: &mut Vec<Pair>,
    ) -> usize {
        let (ty, flags) = match &node {
            Node::Known(id) => {
                let a = self.dict.attr(*id);
                (a.data_type, a.flags)
            }
            Node::Raw(_) => (DataType::Octets, Flags::default()),
        };
        let is_cui = matches!(node, Node::Known(id) if {
            let a = self.dict.attr(id);
            a.parent.is_none() && a.vendor.is_none() && a.number == 89
        });
        if data.is_empty() && !is_cui {
            return 0;
        }
        let raw = |out: &mut Vec<Pair>| {
            self.push_raw(self.oid_of_node(&node), data, out);
            data.len()
        };
        match ty {
            DataType::Vsa => {
                let before = out.len();
                match self.decode_vsas(data, rest, out) {
                    Some(n) => n,
                    None => {
                        out.truncate(before);
                        raw(out)
                    }
                }
            }
            DataType::Extended => {
                let Node::Known(id) = node else {
                    return raw(out);
                };
                if data.len() < 2 {
                    return raw(out);
                }
                match self.dict.attr_by_number(Some(id), None, data[0] as u32) {
                    Some(c) => {
                        self.data2vp(Node::Known(c), &data[1..], &data[1..], out);
                        data.len()
                    }
                    None => raw(out),
                }
            }
            DataType::LongExtended => {
                let Node::Known(id) = node else {
                    return raw(out);
                };
                let e = self.dict.attr(id).number;
                if data.len() < 3 {
                    return raw(out);
                }
                let child = match self.dict.attr_by_number(Some(id), None, data[0] as u32) {
                    Some(c) => Node::Known(c),
                    None if data[0] == 26 && data.len() >= 8 => {
                        let v = u32::from_be_bytes([data[3], data[4], data[5], data[6]]);
                        if v == 0 {
                            return raw(out);
                        }
                        Node::Raw(RawOid {
                            ext: Some(e as u8),
                            vendor: Some(v),
                            path: vec![data[7] as u32],
                        })
                    }
                    None => Node::Raw(RawOid {
                        ext: Some(e as u8),
                        vendor: None,
                        path: vec![data[0] as u32],
                    }),
                };
                self.decode_long_extended(e as u8, child, data, rest, out)
            }
            DataType::Evs => {
                let Node::Known(id) = node else {
                    return raw(out);
                };
                if data.len() < 6 || data[0] != 0 {
                    return raw(out);
                }
                let v = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                match self.dict.attr_by_number(Some(id), Some(v), data[4] as u32) {
                    Some(c) => {
                        self.data2vp(Node::Known(c), &data[5..], &data[5..], out);
                    }
                    None => {
                        let ext = self
                            .dict
                            .attr(id)
                            .parent
                            .map(|p| self.dict.attr(p).number as u8);
                        self.push_raw(
                            RawOid {
                                ext,
                                vendor: Some(v),
                                path: vec![data[4] as u32],
                            },
                            &data[5..],
                            out,
                        );
                    }
                }
                data.len()
            }
            DataType::Tlv => {
                let before = out.len();
                if self.decode_tlvs(&node, data, out).is_none() {
                    out.truncate(before);
                    return raw(out);
                }
                data.len()
            }
            _ => {
                match self.decode_leaf(ty, flags, data) {
                    Some((tag, value)) => out.push(Pair {
                        attr: match node {
                            Node::Known(id) => AttrRef::Known(id),
                            Node::Raw(o) => AttrRef::Raw(o),
                        },
                        tag: if flags.has_tag { Some(tag) } else { None },
                        value,
                    }),
                    None => {
                        raw(out);
                    }
                }
                data.len()
            }
        }
    }

    /// Tag, decryption and type checks of a leaf value (`data2vp`).
    fn decode_leaf(&self, ty: DataType, flags: Flags, data: &[u8]) -> Option<(u8, Value)> {
        let mut tag = 0u8;
        let mut buf: Vec<u8> = data.to_vec();
        if flags.has_tag
            && data.len() > 1
            && (data[0] < 0x20 || flags.encrypt == Encrypt::TunnelPassword)
        {
            match ty {
                DataType::String | DataType::Octets => {
                    tag = data[0];
                    buf.remove(0);
                }
                DataType::Integer => {
                    tag = data[0];
                    buf[0] = 0;
                }
                _ => return None,
            }
        }
        match flags.encrypt {
            Encrypt::None => {}
            Encrypt::UserPassword => {
                if buf.is_empty() || !buf.len().is_multiple_of(16) || buf.len() > 128 {
                    return None;
                }
                let mut p = Vec::new();
                // Trailing NULs are padding, except in fixed-length values,
                // which keep their length.
                if let Some(n) = flags.length {
                    crypto::decrypt_user_password_padded(
                        &buf,
                        &self.secret,
                        &self.authenticator,
                        &mut p,
                    )
                    .ok()?;
                    p.truncate(n as usize);
                } else {
                    crypto::decrypt_user_password(&buf, &self.secret, &self.authenticator, &mut p)
                        .ok()?;
                }
                buf = p;
            }
            Encrypt::TunnelPassword => {
                buf = crypto::decrypt_tunnel_password_lenient(
                    &buf,
                    &self.secret,
                    &self.authenticator,
                )?
            }
            Encrypt::AscendSecret => {
                if buf.len() != 16 {
                    return None;
                }
                let mut p = Vec::new();
                crypto::decrypt_ascend_secret(&buf, &self.secret, &self.authenticator, &mut p)
                    .ok()?;
                buf = p;
            }
        }
        Some((tag, Value::from_bytes(ty, &buf)?))
    }

    /// `rad_data2vp_tlvs`: the members of a TLV value. `None` if they do
    /// not parse (the caller prints the whole TLV raw).
    fn decode_tlvs(&self, parent: &Node, data: &[u8], out: &mut Vec<Pair>) -> Option<()> {
        if data.len() < 3 || !tlv_ok(data, 1, 1) {
            return None;
        }
        let ploc = self.oid_of_node(parent);
        let mut p = 0;
        while p < data.len() {
            let n = data[p] as u32;
            let len = data[p + 1] as usize;
            let v = &data[p + 2..p + len];
            let child = match parent {
                Node::Known(id) => {
                    let a = self.dict.attr(*id);
                    self.dict
                        .attr_by_number(Some(*id), a.vendor, n)
                        .map(Node::Known)
                }
                Node::Raw(_) => None,
            }
            .unwrap_or_else(|| {
                let mut o = ploc.clone();
                o.path.push(n);
                Node::Raw(o)
            });
            self.data2vp(child, v, v, out);
            p += len;
        }
        Some(())
    }
}

/// An attribute being decoded: a dictionary one or a raw one.
#[derive(Debug, Clone)]
pub(super) enum Node {
    Known(AttrId),
    Raw(RawOid),
}

pub(super) fn std_oid(n: u32) -> RawOid {
    RawOid {
        ext: None,
        vendor: None,
        path: vec![n],
    }
}

/// `rad_tlv_ok`: do `data` parse as sub-attributes with `tw`-octet types
/// and `lw`-octet lengths?
pub(super) fn tlv_ok(data: &[u8], tw: usize, lw: usize) -> bool {
    let mut d = data;
    while !d.is_empty() {
        if d.len() < tw + lw {
            return false;
        }
        let bad_type = match tw {
            4 => d[0] != 0 || d[..4] == [0, 0, 0, 0],
            2 => d[0] == 0 && d[1] == 0,
            _ => false, // type 0 is allowed (as FreeRADIUS does, for Colubris)
        };
        if bad_type {
            return false;
        }
        let attrlen = match lw {
            0 => return true,
            2 => {
                if d[tw] != 0 {
                    return false;
                }
                d[tw + 1] as usize
            }
            _ => d[tw] as usize,
        };
        if attrlen < tw + lw || attrlen > d.len() {
            return false;
        }
        d = &d[attrlen..];
    }
    true
}
