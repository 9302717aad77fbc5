//! RFC 4849 NAS-Filter-Rule (attribute 92): the rules of consecutive
//! pairs are joined with NUL octets and the result is cut into as many
//! attributes as it needs, so a rule may continue in the next attribute
//! (RFC 4849 §2). Decoding joins every consecutive attribute 92 and splits
//! at the NULs, one pair per rule (empty rules, from consecutive NULs, are
//! dropped). FreeRADIUS 3.2 does this although its dictionary declares the
//! attribute a plain `string`.

use crate::dict::DataType;
use crate::packet::MAX_ATTR_VALUE_LEN;

use super::codec::Codec;
use super::decode::std_oid;
use super::types::{AttrRef, Pair, Value};

/// The attribute number of NAS-Filter-Rule.
pub(super) const NAS_FILTER_RULE: u8 = 92;

/// Write `rules` (the values of consecutive NAS-Filter-Rule pairs, empty
/// ones already left out) as attributes 92.
pub(super) fn encode(rules: &[Vec<u8>], out: &mut Vec<u8>) {
    let joined = rules.join(&0u8);
    for chunk in joined.chunks(MAX_ATTR_VALUE_LEN) {
        out.push(NAS_FILTER_RULE);
        out.push(2 + chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
}

impl Codec<'_> {
    /// Decode the run of attributes 92 starting at `data[0]` (framing
    /// already checked); returns the octets consumed.
    pub(super) fn decode_filter_rules(&self, data: &[u8], out: &mut Vec<Pair>) -> usize {
        let mut joined = Vec::new();
        let mut off = 0;
        while off + 1 < data.len() && data[off] == NAS_FILTER_RULE {
            let len = data[off + 1] as usize;
            joined.extend_from_slice(&data[off + 2..off + len]);
            off += len;
        }
        let id = self.dict.attr_by_number(None, None, NAS_FILTER_RULE as u32);
        for rule in joined.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            let known = id.and_then(|i| {
                let ty = self.dict.attr(i).data_type;
                let v = match ty {
                    DataType::String | DataType::Octets => Value::from_bytes(ty, rule)?,
                    _ => return None,
                };
                Some((i, v))
            });
            out.push(match known {
                Some((i, value)) => Pair {
                    attr: AttrRef::Known(i),
                    tag: None,
                    value,
                },
                None => Pair {
                    attr: AttrRef::Raw(std_oid(NAS_FILTER_RULE as u32)),
                    tag: None,
                    value: Value::Octets(rule.to_vec()),
                },
            });
        }
        off
    }
}
