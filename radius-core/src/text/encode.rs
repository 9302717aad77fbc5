//! [`Codec::encode`]: pairs to attribute octets in FreeRADIUS v3's
//! layouts (Vendor-Specific, extended and long-extended, WiMAX
//! continuations, concat, grouped TLVs), with tags and encryption.

use crate::attr;
use crate::crypto;
use crate::dict::{DataType, Encrypt};
use crate::packet::MAX_ATTR_VALUE_LEN;

use super::codec::{Codec, Spec};
use super::filter_rule;
use super::types::{Pair, RawOid, Result, TextError};

impl Codec<'_> {
    /// Encode a list of pairs into attribute octets (no packet header).
    pub fn encode(&self, pairs: &[Pair]) -> Result<Vec<u8>> {
        let specs: Vec<Spec> = pairs
            .iter()
            .map(|p| self.spec_of(&p.attr))
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        // Tunnel-Password salts used so far: unique within a packet.
        let mut salts = Vec::new();
        let mut i = 0;
        while i < pairs.len() {
            let spec = &specs[i];
            if spec.loc.path.len() > 1 {
                // Consecutive members of the same top container are grouped.
                let key = container_key(&spec.loc);
                let mut j = i + 1;
                while j < pairs.len()
                    && specs[j].loc.path.len() > 1
                    && container_key(&specs[j].loc) == key
                {
                    j += 1;
                }
                let mut members = Vec::new();
                for k in i..j {
                    if let Some(v) = self.encode_leaf(&specs[k], &pairs[k], &mut salts)? {
                        if v.len() > MAX_ATTR_VALUE_LEN {
                            return Err(TextError::TooLong {
                                attr: specs[k].name.clone(),
                                len: v.len(),
                                max: MAX_ATTR_VALUE_LEN,
                            });
                        }
                        for n in &specs[k].loc.path[1..] {
                            if *n > 255 {
                                return Err(TextError::NotEncodable {
                                    attr: specs[k].name.clone(),
                                    reason: format!("TLV member number {n} above 255"),
                                });
                            }
                        }
                        members.push((&specs[k].loc.path[1..], v));
                    }
                }
                let top = RawOid {
                    ext: spec.loc.ext,
                    vendor: spec.loc.vendor,
                    path: vec![spec.loc.path[0]],
                };
                let max = self.container_room(&top);
                let name = top.to_string();
                let fits = |m: &[(&[u32], Vec<u8>)]| build_tlvs(m).filter(|v| v.len() <= max);
                let mut s = 0;
                while s < members.len() {
                    let mut e = s + 1;
                    while e < members.len() && fits(&members[s..e + 1]).is_some() {
                        e += 1;
                    }
                    let value = build_tlvs(&members[s..e]).ok_or_else(|| TextError::TooLong {
                        attr: name.clone(),
                        len: members[s].1.len(),
                        max: MAX_ATTR_VALUE_LEN - 2 * members[s].0.len(),
                    })?;
                    self.place(&top, &name, false, &value, &mut out)?;
                    s = e;
                }
                i = j;
                continue;
            }
            if spec.loc == filter_rule_loc() {
                // Consecutive rules share attributes (RFC 4849).
                let mut rules = Vec::new();
                while i < pairs.len() && specs[i].loc == spec.loc {
                    rules.extend(self.encode_leaf(&specs[i], &pairs[i], &mut salts)?);
                    i += 1;
                }
                filter_rule::encode(&rules, &mut out);
                continue;
            }
            if let Some(v) = self.encode_leaf(spec, &pairs[i], &mut salts)? {
                self.place(&spec.loc, &spec.name, spec.flags.concat, &v, &mut out)?;
            }
            i += 1;
        }
        Ok(out)
    }

    /// Largest value a container at `loc` holds without fragmenting.
    fn container_room(&self, loc: &RawOid) -> usize {
        match (loc.ext, loc.vendor) {
            (None, None) => MAX_ATTR_VALUE_LEN,
            (None, Some(v)) => {
                let f = self.vendor_format(v);
                if f.continuation {
                    usize::MAX
                } else {
                    MAX_ATTR_VALUE_LEN - 4 - (f.type_width + f.length_width) as usize
                }
            }
            (Some(e), None) if attr::is_long_extended(e) => usize::MAX,
            (Some(_), None) => MAX_ATTR_VALUE_LEN - 1,
            (Some(e), Some(_)) if attr::is_long_extended(e) => usize::MAX,
            (Some(_), Some(_)) => MAX_ATTR_VALUE_LEN - 6,
        }
    }

    /// The value octets of one leaf (tag and encryption applied); `None`
    /// when FreeRADIUS would skip the attribute.
    fn encode_leaf(
        &self,
        spec: &Spec,
        pair: &Pair,
        salts: &mut Vec<[u8; 2]>,
    ) -> Result<Option<Vec<u8>>> {
        if let (None, None, Some(&n)) = (spec.loc.ext, spec.loc.vendor, spec.loc.path.first()) {
            if spec.loc.path.len() == 1 && n > 255 {
                return Ok(None); // server-internal
            }
            if spec.loc.path.len() == 1 && n == 80 {
                return Ok(Some(vec![0; 16])); // Message-Authenticator placeholder
            }
        }
        if spec.flags.virtual_ {
            return Err(TextError::NotEncodable {
                attr: spec.name.clone(),
                reason: "virtual (server-internal) attributes have no wire form".to_owned(),
            });
        }
        let got = pair.value.data_type();
        let compatible = got == spec.ty
            || (spec.ty == DataType::Abinary && got == DataType::Octets)
            || (spec.ty == DataType::Octets && got == DataType::Abinary);
        if !compatible {
            return Err(TextError::TypeMismatch {
                attr: spec.name.clone(),
                expected: spec.ty.name(),
                got: got.name(),
            });
        }
        let plain = pair.value.to_bytes();
        let is_cui = spec.loc
            == RawOid {
                ext: None,
                vendor: None,
                path: vec![89],
            };
        if plain.is_empty() {
            return Ok(is_cui.then(Vec::new));
        }
        let tag = pair.tag.filter(|_| spec.flags.has_tag);
        let valid_tag = tag.filter(|t| (1..0x20).contains(t));
        let too_long = |len: usize, max: usize| TextError::TooLong {
            attr: spec.name.clone(),
            len,
            max,
        };
        let mut out = Vec::with_capacity(plain.len() + 18);
        match spec.flags.encrypt {
            Encrypt::UserPassword => {
                if plain.len() > crypto::MAX_USER_PASSWORD {
                    return Err(too_long(plain.len(), crypto::MAX_USER_PASSWORD));
                }
                crypto::encrypt_user_password(&plain, &self.secret, &self.authenticator, &mut out)
                    .map_err(|_| too_long(plain.len(), crypto::MAX_USER_PASSWORD))?;
            }
            Encrypt::TunnelPassword => {
                if spec.flags.has_tag {
                    out.push(valid_tag.unwrap_or(0));
                }
                if plain.len() > 239 {
                    return Err(too_long(plain.len(), 239));
                }
                let salt = self.next_salt(salts);
                crypto::encrypt_tunnel_password(
                    &plain,
                    &self.secret,
                    &self.authenticator,
                    Some(salt),
                    &mut out,
                )
                .map_err(|_| too_long(plain.len(), 239))?;
            }
            Encrypt::AscendSecret => {
                crypto::encrypt_ascend_secret(&plain, &self.secret, &self.authenticator, &mut out);
            }
            Encrypt::None => match (valid_tag, spec.ty) {
                (Some(t), DataType::Integer) => {
                    if plain[0] != 0 {
                        return Err(TextError::BadValue {
                            attr: spec.name.clone(),
                            data_type: "integer",
                            value: u32::from_be_bytes(plain[..4].try_into().unwrap_or_default())
                                .to_string(),
                            reason: "a tagged integer has only 24 bits (RFC 2868)".to_owned(),
                        });
                    }
                    out.push(t);
                    out.extend_from_slice(&plain[1..]);
                }
                (Some(t), DataType::String) => {
                    out.push(t);
                    out.extend_from_slice(&plain);
                }
                // Untagged, but the value starts like a tag (0x00-0x1F):
                // tag 0 first, or the receiver takes that octet for the tag.
                (None, DataType::String) if spec.flags.has_tag && plain[0] < 0x20 => {
                    out.push(0);
                    out.extend_from_slice(&plain);
                }
                _ => out.extend_from_slice(&plain),
            },
        }
        Ok(Some(out))
    }

    /// A Tunnel-Password salt not yet used in this packet (RFC 2868 §3.5:
    /// the high bit set, unique within a packet, random). As in
    /// FreeRADIUS, a counter goes into bits 3-6 of the first octet and
    /// random bits fill the rest; a fixed salt ([`Codec::with_salt`]) is
    /// used as given the first time and counted up from after that.
    fn next_salt(&self, used: &mut Vec<[u8; 2]>) -> [u8; 2] {
        let fresh = |s: &[u8; 2], used: &[[u8; 2]]| !used.contains(s);
        let mut salt = match self.salt {
            Some(s) => [s[0] | 0x80, s[1]],
            None => {
                let r = crypto::random_authenticator();
                [
                    0x80 | ((used.len() as u8 & 0x0f) << 3) | (r[0] & 0x07),
                    r[1],
                ]
            }
        };
        while !fresh(&salt, used) {
            match self.salt {
                Some(_) => {
                    let n = u16::from_be_bytes(salt).wrapping_add(1) | 0x8000;
                    salt = n.to_be_bytes();
                }
                None => {
                    let r = crypto::random_authenticator();
                    salt = [0x80 | r[0], r[1]];
                }
            }
        }
        used.push(salt);
        salt
    }

    /// Wrap value octets in the header(s) of the attribute at `loc`.
    fn place(
        &self,
        loc: &RawOid,
        name: &str,
        concat: bool,
        value: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let not = |reason: String| TextError::NotEncodable {
            attr: name.to_owned(),
            reason,
        };
        let too_long = |max: usize| TextError::TooLong {
            attr: name.to_owned(),
            len: value.len(),
            max,
        };
        let n = *loc
            .path
            .first()
            .ok_or_else(|| not("empty OID".to_owned()))?;
        if loc.path.len() != 1 {
            return Err(not("a TLV member is placed inside its container".to_owned()));
        }
        match (loc.ext, loc.vendor) {
            (None, None) => {
                let t = u8::try_from(n)
                    .ok()
                    .filter(|&t| t != 0)
                    .ok_or_else(|| not(format!("attribute number {n} outside 1..=255")))?;
                if concat && value.len() > MAX_ATTR_VALUE_LEN {
                    attr::encode_concat(out, t, value);
                } else {
                    if value.len() > MAX_ATTR_VALUE_LEN {
                        return Err(too_long(MAX_ATTR_VALUE_LEN));
                    }
                    out.push(t);
                    out.push(2 + value.len() as u8);
                    out.extend_from_slice(value);
                }
            }
            (None, Some(v)) => {
                if v == 0 || v >= 1 << 24 {
                    return Err(not(format!("vendor {v} outside 1..2^24")));
                }
                let f = self.vendor_format(v);
                let max_type = match f.type_width {
                    1 => 0xff,
                    2 => 0xffff,
                    _ => 0xff_ffff,
                };
                if n > max_type {
                    return Err(not(format!(
                        "vendor type {n} does not fit the vendor's {}-octet type field",
                        f.type_width
                    )));
                }
                attr::encode_vsa(out, v, f, n, value).map_err(|_| {
                    too_long(MAX_ATTR_VALUE_LEN - 4 - (f.type_width + f.length_width) as usize)
                })?;
            }
            (Some(e), vendor) => {
                if !attr::is_extended(e) {
                    return Err(not(format!("extended space {e} outside 241..=246")));
                }
                let t = u8::try_from(n).map_err(|_| not(format!("extended type {n} above 255")))?;
                let (ext_type, body) = match vendor {
                    None => (t, value.to_vec()),
                    Some(v) => {
                        if v == 0 || v >= 1 << 24 {
                            return Err(not(format!("vendor {v} outside 1..2^24")));
                        }
                        (26, attr::evs_value(v, t, value))
                    }
                };
                if attr::is_long_extended(e) {
                    attr::encode_long_extended(out, e, ext_type, &body);
                } else {
                    let hdr = body.len() - value.len();
                    attr::encode_extended(out, e, ext_type, &body)
                        .map_err(|_| too_long(MAX_ATTR_VALUE_LEN - 1 - hdr))?;
                }
            }
        }
        Ok(())
    }
}

fn filter_rule_loc() -> RawOid {
    RawOid {
        ext: None,
        vendor: None,
        path: vec![filter_rule::NAS_FILTER_RULE as u32],
    }
}

/// TLV members of one container are grouped when the container is the same.
fn container_key(loc: &RawOid) -> (Option<u8>, Option<u32>, u32) {
    (loc.ext, loc.vendor, loc.path[0])
}

/// Encode TLV members (paths relative to the container) as nested
/// type-length-value octets, grouping consecutive members with the same
/// next path element (`vp2data_tlvs`).
fn build_tlvs(members: &[(&[u32], Vec<u8>)]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < members.len() {
        let (path, v) = &members[i];
        let t = path[0] as u8;
        if path.len() == 1 {
            out.push(t);
            out.push(u8::try_from(v.len() + 2).ok()?);
            out.extend_from_slice(v);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < members.len() && members[j].0.len() > 1 && members[j].0[0] == path[0] {
            j += 1;
        }
        let sub: Vec<(&[u32], Vec<u8>)> = members[i..j]
            .iter()
            .map(|(p, v)| (&p[1..], v.clone()))
            .collect();
        let inner = build_tlvs(&sub)?;
        out.push(t);
        out.push(u8::try_from(inner.len() + 2).ok()?);
        out.extend_from_slice(&inner);
        i = j;
    }
    Some(out)
}
