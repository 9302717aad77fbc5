//! EAP packets (RFC 3748 §4): parsing a peer's Response and building the
//! server's Request, Success and Failure.

use super::{FAILURE, REQUEST, RESPONSE, SUCCESS};

/// Why an EAP packet was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// Fewer than the 4 header octets.
    #[error("EAP packet shorter than its header")]
    Short,
    /// The Length field is below 4 or past the end of the data.
    #[error("EAP Length field {0} does not fit the {1} octets received")]
    Length(usize, usize),
    /// A Request or Response without its Type octet.
    #[error("EAP Request/Response without a Type")]
    NoType,
}

/// One EAP packet, borrowed from the (joined) EAP-Message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Code: [`REQUEST`], [`RESPONSE`], [`SUCCESS`] or [`FAILURE`].
    pub code: u8,
    /// Identifier.
    pub id: u8,
    /// Type, for Requests and Responses.
    pub typ: Option<u8>,
    /// Type-Data (after the Type octet), empty for Success/Failure.
    pub data: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Parse one packet. Octets past the Length are link padding and are
    /// ignored (RFC 3748 §4).
    pub fn parse(b: &'a [u8]) -> Result<Packet<'a>, PacketError> {
        let Some(&[code, id, l0, l1]) = b.get(..4) else {
            return Err(PacketError::Short);
        };
        let len = u16::from_be_bytes([l0, l1]) as usize;
        if len < 4 || len > b.len() {
            return Err(PacketError::Length(len, b.len()));
        }
        if code == REQUEST || code == RESPONSE {
            if len < 5 {
                return Err(PacketError::NoType);
            }
            return Ok(Packet {
                code,
                id,
                typ: Some(b[4]),
                data: &b[5..len],
            });
        }
        Ok(Packet {
            code,
            id,
            typ: None,
            data: &[],
        })
    }
}

/// An EAP packet with a Type: `[code, id, len, len, typ, data...]`.
pub fn typed(code: u8, id: u8, typ: u8, data: &[u8]) -> Vec<u8> {
    let len = 5 + data.len();
    let mut e = Vec::with_capacity(len);
    e.extend_from_slice(&[code, id]);
    e.extend_from_slice(&(len as u16).to_be_bytes());
    e.push(typ);
    e.extend_from_slice(data);
    e
}

/// An EAP-Request of `typ` carrying `data`.
pub fn request(id: u8, typ: u8, data: &[u8]) -> Vec<u8> {
    typed(REQUEST, id, typ, data)
}

/// EAP-Success with Identifier `id`.
pub fn success(id: u8) -> Vec<u8> {
    vec![SUCCESS, id, 0, 4]
}

/// EAP-Failure with Identifier `id`.
pub fn failure(id: u8) -> Vec<u8> {
    vec![FAILURE, id, 0, 4]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_ignores_padding() {
        let b = [2, 7, 0, 8, 1, b'b', b'o', b'b', 0, 0];
        let p = Packet::parse(&b).unwrap();
        assert_eq!((p.code, p.id, p.typ, p.data), (2, 7, Some(1), &b"bob"[..]));
        assert_eq!(Packet::parse(&[3, 1, 0, 4]).unwrap().typ, None);
    }

    #[test]
    fn refuses_bad_lengths() {
        assert_eq!(Packet::parse(&[2, 1, 0]), Err(PacketError::Short));
        assert_eq!(
            Packet::parse(&[2, 1, 0, 9, 1]),
            Err(PacketError::Length(9, 5))
        );
        assert_eq!(
            Packet::parse(&[2, 1, 0, 3, 1]),
            Err(PacketError::Length(3, 5))
        );
        assert_eq!(Packet::parse(&[2, 1, 0, 4]), Err(PacketError::NoType));
    }

    #[test]
    fn builds_round_trip() {
        let r = request(9, 25, &[0x20]);
        assert_eq!(r, [1, 9, 0, 6, 25, 0x20]);
        let p = Packet::parse(&r).unwrap();
        assert_eq!((p.code, p.typ, p.data), (REQUEST, Some(25), &[0x20][..]));
    }
}
