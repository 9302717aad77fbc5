//! Diameter AVPs as EAP-TTLS carries them inside its tunnel (RFC 5281
//! §10): Code (4 octets), Flags (V: vendor, M: mandatory), Length (3
//! octets, header included, padding excluded), optional Vendor-ID, Data,
//! padded to a multiple of 4. RADIUS attributes map to AVPs of the same
//! number; Vendor-Specific ones to vendor AVPs.

/// AVP flag: Vendor-ID present.
pub const FLAG_VENDOR: u8 = 0x80;
/// AVP flag: mandatory.
pub const FLAG_MANDATORY: u8 = 0x40;

/// One AVP, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Avp<'a> {
    /// AVP Code (the RADIUS attribute number).
    pub code: u32,
    /// Vendor-ID, 0 for none.
    pub vendor: u32,
    /// Whether M was set.
    pub mandatory: bool,
    /// Data.
    pub data: &'a [u8],
}

/// Why AVPs were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AvpError {
    /// An AVP header or its data runs past the end.
    #[error("truncated Diameter AVP")]
    Truncated,
    /// A Length below the header size.
    #[error("Diameter AVP length {0} below its header")]
    Length(usize),
}

/// Parse a sequence of AVPs.
pub fn parse(mut b: &[u8]) -> Result<Vec<Avp<'_>>, AvpError> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let h = b.get(..8).ok_or(AvpError::Truncated)?;
        let code = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let flags = h[4];
        let len = u32::from_be_bytes([0, h[5], h[6], h[7]]) as usize;
        let head = if flags & FLAG_VENDOR != 0 { 12 } else { 8 };
        if len < head {
            return Err(AvpError::Length(len));
        }
        let body = b.get(..len).ok_or(AvpError::Truncated)?;
        let vendor = if head == 12 {
            u32::from_be_bytes([body[8], body[9], body[10], body[11]])
        } else {
            0
        };
        out.push(Avp {
            code,
            vendor,
            mandatory: flags & FLAG_MANDATORY != 0,
            data: &body[head..],
        });
        let padded = (len + 3) & !3;
        b = b.get(padded..).unwrap_or(&[]);
    }
    Ok(out)
}

/// Append one AVP (mandatory) to `out`, padded.
pub fn push(out: &mut Vec<u8>, code: u32, vendor: u32, data: &[u8]) {
    let head = if vendor != 0 { 12 } else { 8 };
    let len = head + data.len();
    out.extend_from_slice(&code.to_be_bytes());
    let flags = FLAG_MANDATORY | if vendor != 0 { FLAG_VENDOR } else { 0 };
    out.push(flags);
    out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    if vendor != 0 {
        out.extend_from_slice(&vendor.to_be_bytes());
    }
    out.extend_from_slice(data);
    out.resize(out.len() + ((4 - len % 4) % 4), 0);
}

/// The first AVP with this code and vendor.
pub fn find<'a>(avps: &[Avp<'a>], code: u32, vendor: u32) -> Option<&'a [u8]> {
    avps.iter()
        .find(|a| a.code == code && a.vendor == vendor)
        .map(|a| a.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_padding_and_vendor() {
        let mut b = Vec::new();
        push(&mut b, 1, 0, b"bob");
        push(&mut b, 26, 311, &[1, 2, 3, 4, 5]);
        assert_eq!(&b[..12], &[0, 0, 0, 1, 0x40, 0, 0, 11, b'b', b'o', b'b', 0]);
        assert_eq!(b.len(), 12 + 20);
        let a = parse(&b).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(find(&a, 1, 0), Some(&b"bob"[..]));
        assert_eq!(find(&a, 26, 311), Some(&[1, 2, 3, 4, 5][..]));
        assert!(a[1].mandatory);
    }

    #[test]
    fn refuses_truncation() {
        assert_eq!(
            parse(&[0, 0, 0, 1, 0, 0, 0, 20, 1]),
            Err(AvpError::Truncated)
        );
        assert_eq!(
            parse(&[0, 0, 0, 1, 0x80, 0, 0, 9, 0, 0, 0, 0]),
            Err(AvpError::Length(9))
        );
        assert_eq!(parse(&[0, 0, 0]), Err(AvpError::Truncated));
        // The last AVP may omit its padding.
        assert_eq!(parse(&[0, 0, 0, 1, 0, 0, 0, 9, 7]).unwrap()[0].data, &[7]);
    }
}
