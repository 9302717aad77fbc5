//! Ascend binary filters (`abinary`: Ascend-Data-Filter, Ascend-Call-Filter
//! and their kin in FreeRADIUS's `dictionary.ascend`): the 32-octet wire
//! form and the filter language FreeRADIUS 3.2 reads and prints.
//!
//! ```
//! use radius_core::ascend::AscendFilter;
//!
//! let f: AscendFilter = "ip in forward srcip 10.0.0.1/32 dstip 10.0.0.2/24 tcp dstport = 80"
//!     .parse()
//!     .unwrap();
//! let wire = f.to_bytes();
//! assert_eq!(wire.len(), 32);
//! assert_eq!(&wire[..4], [1, 1, 1, 0]); // ip, forward, in
//! assert_eq!(AscendFilter::from_bytes(&wire).unwrap(), f);
//! assert_eq!(f.to_string(), "ip in forward srcip 10.0.0.1/32 dstip 10.0.0.2/24 tcp dstport = 80");
//! ```
//!
//! # Wire form (network byte order, always 32 octets)
//!
//! | octets | all filters |
//! | --- | --- |
//! | 0 | type: 0 generic, 1 ip, 2 ipx |
//! | 1 | 1 forward, 0 drop |
//! | 2 | 1 in, 0 out |
//! | 3 | zero |
//!
//! - **ip** (from octet 4): source and destination address (4 each),
//!   source and destination prefix length, protocol, established (0/1),
//!   source and destination port (2 each), source and destination port
//!   comparison (0 none, 1 `<`, 2 `=`, 3 `>`, 4 `!=`), zeros.
//! - **generic**: offset (2), length (2, always 6), more (2, 0 or 1),
//!   mask (6), value (6), not-equal (1), zeros.
//! - **ipx**: source net (4), node (6), socket (2), the same for the
//!   destination, source and destination socket comparison, zeros.
//!
//! FreeRADIUS 3.2 has no IPv6 filter (radclient 3.2.1: `Unknown Ascend
//! filter type "ipv6"`); FreeRADIUS 4's 46-octet `ipv6` filter is not
//! implemented here.
//!
//! # Canonical octets
//!
//! [`AscendFilter::from_bytes`] accepts exactly the octets that
//! [`AscendFilter::to_bytes`] produces for some filter (reserved octets
//! zero, known comparisons, prefix lengths the text form can express), so
//! decoding and printing never lose anything. Other octets stay raw; the
//! text codec prints them as hex where FreeRADIUS would print `??` or drop
//! fields.

mod parse;
mod print;

use std::net::Ipv4Addr;

use crate::dict::DataType;
use crate::value::{AttrValue, ValueError};

pub use parse::FilterParseError;

/// The length of an Ascend binary filter on the wire.
pub const FILTER_LEN: usize = 32;

/// Which packets a filter applies to: those coming in from the user or
/// going out to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `in`: packets from the user.
    In,
    /// `out`: packets to the user.
    Out,
}

/// What happens to a packet the filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `forward`.
    Forward,
    /// `drop`.
    Drop,
}

/// A port (or IPX socket) comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compare {
    /// `<`
    Less = 1,
    /// `=`
    Equal = 2,
    /// `>`
    Greater = 3,
    /// `!=`
    NotEqual = 4,
}

/// `srcport`/`dstport` (`srcipxsock`/`dstipxsock`): a comparison and a
/// port (socket) number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortMatch {
    /// How the packet's port compares with `port`.
    pub compare: Compare,
    /// The port.
    pub port: u16,
}

/// `srcip`/`dstip`: an address and the number of leading bits that
/// matter. Host bits are kept, as FreeRADIUS keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddrMatch {
    /// The address (not 0.0.0.0: an all-zero address is "any", [`None`]).
    pub addr: Ipv4Addr,
    /// Prefix length, 1..=32.
    pub len: u8,
}

/// An `ip` filter's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IpFilter {
    /// `srcip a.b.c.d/len`; `None` matches any source.
    pub src: Option<AddrMatch>,
    /// `dstip a.b.c.d/len`; `None` matches any destination.
    pub dst: Option<AddrMatch>,
    /// IP protocol number (0: any); `tcp`, `udp`, `icmp`, `ospf` by name.
    pub protocol: u8,
    /// `srcport CMP PORT`.
    pub src_port: Option<PortMatch>,
    /// `dstport CMP PORT`.
    pub dst_port: Option<PortMatch>,
    /// `est`: only established TCP connections.
    pub established: bool,
}

/// A `generic` filter: `offset mask value [==|!=] [more]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GenericFilter {
    /// Octets into the packet where the comparison starts.
    pub offset: u16,
    /// Which bits of the six octets at `offset` are compared.
    pub mask: [u8; 6],
    /// What the masked octets are compared with.
    pub value: [u8; 6],
    /// `!=` instead of `==`.
    pub not_equal: bool,
    /// `more`: the next filter applies to the packet too.
    pub more: bool,
}

/// One end of an `ipx` filter: `srcipxnet N srcipxnode M [srcipxsock CMP S]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpxEnd {
    /// IPX network number (not 0: a zero network is "any", [`None`]).
    pub net: u32,
    /// IPX node address.
    pub node: [u8; 6],
    /// Socket comparison.
    pub socket: Option<PortMatch>,
}

/// An `ipx` filter's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IpxFilter {
    /// The source; `None` matches any.
    pub src: Option<IpxEnd>,
    /// The destination; `None` matches any.
    pub dst: Option<IpxEnd>,
}

/// The kind of filter and its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterKind {
    /// `ip ...`
    Ip(IpFilter),
    /// `generic ...`
    Generic(GenericFilter),
    /// `ipx ...`
    Ipx(IpxFilter),
}

/// One Ascend binary filter: direction, action and the kind's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AscendFilter {
    /// `in` or `out`.
    pub direction: Direction,
    /// `forward` or `drop`.
    pub action: Action,
    /// `ip`, `generic` or `ipx`, with its fields.
    pub kind: FilterKind,
}

impl Compare {
    fn from_octet(b: u8) -> Option<Option<Compare>> {
        Some(match b {
            0 => None,
            1 => Some(Compare::Less),
            2 => Some(Compare::Equal),
            3 => Some(Compare::Greater),
            4 => Some(Compare::NotEqual),
            _ => return None,
        })
    }
}

fn put_port(m: &Option<PortMatch>) -> (u16, u8) {
    m.map_or((0, 0), |m| (m.port, m.compare as u8))
}

fn get_port(port: u16, cmp: u8) -> Option<Option<PortMatch>> {
    // A port without a comparison has no text form.
    match Compare::from_octet(cmp)? {
        None if port != 0 => None,
        c => Some(c.map(|compare| PortMatch { compare, port })),
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl AscendFilter {
    /// The 32-octet wire form.
    pub fn to_bytes(&self) -> [u8; FILTER_LEN] {
        let mut b = [0u8; FILTER_LEN];
        b[1] = (self.action == Action::Forward) as u8;
        b[2] = (self.direction == Direction::In) as u8;
        match &self.kind {
            FilterKind::Generic(g) => {
                b[0] = 0;
                b[4..6].copy_from_slice(&g.offset.to_be_bytes());
                b[6..8].copy_from_slice(&6u16.to_be_bytes());
                b[8..10].copy_from_slice(&(g.more as u16).to_be_bytes());
                b[10..16].copy_from_slice(&g.mask);
                b[16..22].copy_from_slice(&g.value);
                b[22] = g.not_equal as u8;
            }
            FilterKind::Ip(ip) => {
                b[0] = 1;
                let (sa, sl) = ip.src.map_or((0, 0), |m| (u32::from(m.addr), m.len));
                let (da, dl) = ip.dst.map_or((0, 0), |m| (u32::from(m.addr), m.len));
                b[4..8].copy_from_slice(&sa.to_be_bytes());
                b[8..12].copy_from_slice(&da.to_be_bytes());
                b[12] = sl;
                b[13] = dl;
                b[14] = ip.protocol;
                b[15] = ip.established as u8;
                let (sp, sc) = put_port(&ip.src_port);
                let (dp, dc) = put_port(&ip.dst_port);
                b[16..18].copy_from_slice(&sp.to_be_bytes());
                b[18..20].copy_from_slice(&dp.to_be_bytes());
                b[20] = sc;
                b[21] = dc;
            }
            FilterKind::Ipx(ipx) => {
                b[0] = 2;
                for (i, end) in [&ipx.src, &ipx.dst].into_iter().enumerate() {
                    let o = 4 + 12 * i;
                    if let Some(e) = end {
                        b[o..o + 4].copy_from_slice(&e.net.to_be_bytes());
                        b[o + 4..o + 10].copy_from_slice(&e.node);
                        let (s, c) = put_port(&e.socket);
                        b[o + 10..o + 12].copy_from_slice(&s.to_be_bytes());
                        b[28 + i] = c;
                    }
                }
            }
        }
        b
    }

    /// Read the wire form; `None` unless `b` is exactly what
    /// [`to_bytes`](Self::to_bytes) makes of some filter (32 octets,
    /// reserved octets zero, known types and comparisons, prefix lengths
    /// 1..=32 on non-zero addresses and none on zero ones).
    pub fn from_bytes(b: &[u8]) -> Option<AscendFilter> {
        let b: &[u8; FILTER_LEN] = b.try_into().ok()?;
        let flag = |x: u8| (x <= 1).then_some(x == 1);
        let action = if flag(b[1])? {
            Action::Forward
        } else {
            Action::Drop
        };
        let direction = if flag(b[2])? {
            Direction::In
        } else {
            Direction::Out
        };
        let (kind, used) = match b[0] {
            0 => {
                if be16(&b[6..]) != 6 {
                    return None;
                }
                let more = match be16(&b[8..]) {
                    0 => false,
                    1 => true,
                    _ => return None,
                };
                let g = GenericFilter {
                    offset: be16(&b[4..]),
                    mask: b[10..16].try_into().ok()?,
                    value: b[16..22].try_into().ok()?,
                    not_equal: flag(b[22])?,
                    more,
                };
                (FilterKind::Generic(g), 23)
            }
            1 => {
                let addr = |a: u32, len: u8| match (a, len) {
                    (0, 0) => Some(None),
                    (0, _) | (_, 0) | (_, 33..) => None,
                    (a, len) => Some(Some(AddrMatch {
                        addr: a.into(),
                        len,
                    })),
                };
                let ip = IpFilter {
                    src: addr(be32(&b[4..]), b[12])?,
                    dst: addr(be32(&b[8..]), b[13])?,
                    protocol: b[14],
                    established: flag(b[15])?,
                    src_port: get_port(be16(&b[16..]), b[20])?,
                    dst_port: get_port(be16(&b[18..]), b[21])?,
                };
                (FilterKind::Ip(ip), 22)
            }
            2 => {
                let end = |o: usize, cmp: u8| -> Option<Option<IpxEnd>> {
                    let net = be32(&b[o..]);
                    let socket = get_port(be16(&b[o + 10..]), cmp)?;
                    if net == 0 {
                        // Nothing of an end without a network is printed.
                        let empty = b[o..o + 12].iter().all(|&x| x == 0) && cmp == 0;
                        return empty.then_some(None);
                    }
                    Some(Some(IpxEnd {
                        net,
                        node: b[o + 4..o + 10].try_into().ok()?,
                        socket,
                    }))
                };
                let ipx = IpxFilter {
                    src: end(4, b[28])?,
                    dst: end(16, b[29])?,
                };
                (FilterKind::Ipx(ipx), 30)
            }
            _ => return None,
        };
        if b[3] != 0 || b[used..].iter().any(|&x| x != 0) {
            return None;
        }
        Some(AscendFilter {
            direction,
            action,
            kind,
        })
    }
}

/// The typed value of `abinary` attributes: decoding fails (with
/// [`ValueError::AscendFilter`]) for octets that
/// [`from_bytes`](AscendFilter::from_bytes) refuses.
impl AttrValue for AscendFilter {
    const DATA_TYPE: DataType = DataType::Abinary;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        AscendFilter::from_bytes(b).ok_or(ValueError::AscendFilter(b.len()))
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        out.extend_from_slice(&self.to_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_canonical_octets_are_refused() {
        let f: AscendFilter = "ip in forward srcip 10.0.0.1/32 tcp dstport = 80"
            .parse()
            .unwrap();
        let good = f.to_bytes();
        assert_eq!(AscendFilter::from_bytes(&good), Some(f));
        assert_eq!(AscendFilter::from_bytes(&good[..31]), None);
        for (i, v) in [
            (0, 3),   // unknown type
            (1, 2),   // action not 0/1
            (2, 7),   // direction not 0/1
            (3, 1),   // reserved
            (12, 0),  // address without a length
            (12, 33), // length above 32
            (13, 5),  // length without an address
            (15, 2),  // est not 0/1
            (21, 5),  // unknown comparison
            (20, 0),  // (src port 0 without comparison is fine) ...
            (31, 1),  // fill
        ] {
            let mut b = good;
            b[i] = v;
            let ok = i == 20;
            assert_eq!(
                AscendFilter::from_bytes(&b).is_some(),
                ok,
                "octet {i} = {v}"
            );
        }
        let mut b = good;
        b[16] = 1; // a source port without a comparison
        assert_eq!(AscendFilter::from_bytes(&b), None);
    }
}
