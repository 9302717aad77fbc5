//! Decoding of the layouts with a second header: Vendor-Specific values
//! (with WiMAX continuations) and long-extended attributes (with
//! fragments and Extended-Vendor-Specific), for [`Codec::decode`].

use crate::attr;

use super::codec::Codec;
use super::decode::{std_oid, tlv_ok, Node};
use super::types::{Pair, RawOid};

impl Codec<'_> {
    /// `data2vp_vsas`: one Vendor-Specific value. `None` when malformed.
    pub(super) fn decode_vsas(
        &self,
        data: &[u8],
        rest: &[u8],
        out: &mut Vec<Pair>,
    ) -> Option<usize> {
        if data.len() < 5 || data[0] != 0 {
            return None;
        }
        let vendor = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        let dv = self.dict.vendor_by_id(vendor);
        let f = self.vendor_format(vendor);
        if dv.is_some() && f.continuation {
            return self.decode_wimax(vendor, data, rest, out);
        }
        let tw = f.type_width as usize;
        let lw = f.length_width as usize;
        if !tlv_ok(&data[4..], tw, lw) {
            return None;
        }
        let mut p = 4;
        while p < data.len() {
            let d = &data[p..];
            let typ = match tw {
                4 => u32::from_be_bytes([0, d[1], d[2], d[3]]),
                2 => u16::from_be_bytes([d[0], d[1]]) as u32,
                _ => d[0] as u32,
            };
            let attrlen = match lw {
                0 => d.len(),
                2 => d[tw + 1] as usize,
                _ => d[tw] as usize,
            };
            let v = &d[tw + lw..attrlen];
            let node = match self.dict.attr_by_number(None, Some(vendor), typ) {
                Some(id) => Node::Known(id),
                None => Node::Raw(RawOid {
                    ext: None,
                    vendor: Some(vendor),
                    path: vec![typ],
                }),
            };
            self.data2vp(node, v, v, out);
            p += attrlen;
        }
        Some(data.len())
    }

    /// `data2vp_wimax`: a WiMAX VSA, possibly continued in the following
    /// Vendor-Specific attributes.
    fn decode_wimax(
        &self,
        vendor: u32,
        data: &[u8],
        rest: &[u8],
        out: &mut Vec<Pair>,
    ) -> Option<usize> {
        if data.len() < 8 || data[5] < 3 {
            return None;
        }
        let child = self
            .dict
            .attr_by_number(None, Some(vendor), data[4] as u32)?;
        if data[6] & 0x80 == 0 {
            if data[5] as usize + 4 != data.len() {
                return None;
            }
            let v = &data[7..];
            self.data2vp(Node::Known(child), v, v, out);
            return Some(data.len());
        }
        // Continued: rest = this VSA's value followed by further attributes.
        // Every fragment fills its Vendor-Specific exactly, so decoding
        // resumes on an attribute boundary.
        if data[5] as usize + 4 != data.len() {
            return None;
        }
        let mut value = Vec::new();
        let mut p = 4; // at the WiMAX attr header within `rest`
        loop {
            let a = rest.get(p..)?;
            if a.len() < 3 || a[1] <= 3 || a[1] as usize > a.len() {
                return None;
            }
            let more = a[2] & 0x80 != 0;
            value.extend_from_slice(&a[3..a[1] as usize]);
            p += a[1] as usize;
            if !more {
                break;
            }
            let n = rest.get(p..)?;
            if n.len() < 9
                || n[0] != attr::VENDOR_SPECIFIC
                || n[1] < 9
                || n[1] as usize > n.len()
                || n[2..6] != data[0..4]
                || n[1] as usize != n[7] as usize + 6
                || n[6] != data[4]
            {
                return None;
            }
            p += 6;
        }
        if value.is_empty() {
            return None;
        }
        self.data2vp(Node::Known(child), &value, &value, out);
        Some(p)
    }

    /// `data2vp_extended`: a long-extended attribute (data = Extended-Type,
    /// flags, value), joining fragments.
    pub(super) fn decode_long_extended(
        &self,
        e: u8,
        child: Node,
        data: &[u8],
        rest: &[u8],
        out: &mut Vec<Pair>,
    ) -> usize {
        let raw = |out: &mut Vec<Pair>| {
            self.push_raw(std_oid(e as u32), data, out);
            data.len()
        };
        if data.len() < 3 {
            return raw(out);
        }
        let strip_evs = |v: Vec<u8>| -> Vec<u8> {
            // An unknown EVS child without an evs definition: skip the
            // vendor header.
            match &child {
                Node::Raw(RawOid {
                    vendor: Some(_), ..
                }) if v.len() >= 5 => v[5..].to_vec(),
                _ => v,
            }
        };
        if data[1] & 0x80 == 0 {
            let v = strip_evs(data[2..].to_vec());
            self.data2vp(child, &v, &v, out);
            return data.len();
        }
        let mut value = data[2..].to_vec();
        let mut p = data.len();
        loop {
            let Some(a) = rest.get(p..).filter(|a| !a.is_empty()) else {
                return raw(out);
            };
            if a.len() < 4 || a[1] < 4 || a[1] as usize > a.len() || a[0] != e || a[2] != data[0] {
                return raw(out);
            }
            value.extend_from_slice(&a[4..a[1] as usize]);
            // `p` indexes `rest`, which starts at this attribute's value;
            // the following attributes' headers are at rest[p - 2 + ...].
            p += a[1] as usize;
            if a[3] & 0x80 == 0 {
                break;
            }
        }
        let v = strip_evs(value);
        self.data2vp(child, &v, &v, out);
        p
    }
}
