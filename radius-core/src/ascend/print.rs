//! Filters printed as FreeRADIUS 3.2's `print_abinary` prints them (the
//! grammar is in `parse.rs`): `srcip`/`dstip` only when the address is not
//! zero, the protocol always (by name when it has one), then the ports and
//! `est`; generic masks and values as twelve hex digits; IPX networks,
//! nodes and sockets in hex.

use std::fmt;

use super::parse::PROTOCOLS;
use super::{Action, AscendFilter, Compare, Direction, FilterKind};

impl fmt::Display for Compare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compare::Less => "<",
            Compare::Equal => "=",
            Compare::Greater => ">",
            Compare::NotEqual => "!=",
        })
    }
}

impl fmt::Display for AscendFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            FilterKind::Ip(_) => "ip",
            FilterKind::Generic(_) => "generic",
            FilterKind::Ipx(_) => "ipx",
        };
        let dir = match self.direction {
            Direction::In => "in",
            Direction::Out => "out",
        };
        let act = match self.action {
            Action::Forward => "forward",
            Action::Drop => "drop",
        };
        write!(f, "{kind} {dir} {act}")?;
        match &self.kind {
            FilterKind::Ip(ip) => {
                for (w, m) in [("srcip", &ip.src), ("dstip", &ip.dst)] {
                    if let Some(m) = m {
                        write!(f, " {w} {}/{}", m.addr, m.len)?;
                    }
                }
                match PROTOCOLS.iter().find(|(_, p)| *p == ip.protocol) {
                    Some((n, _)) => write!(f, " {n}")?,
                    None => write!(f, " {}", ip.protocol)?,
                }
                for (w, m) in [("srcport", &ip.src_port), ("dstport", &ip.dst_port)] {
                    if let Some(m) = m {
                        write!(f, " {w} {} {}", m.compare, m.port)?;
                    }
                }
                if ip.established {
                    f.write_str(" est")?;
                }
            }
            FilterKind::Generic(g) => {
                write!(f, " {} ", g.offset)?;
                for x in g.mask {
                    write!(f, "{x:02x}")?;
                }
                f.write_str(" ")?;
                for x in g.value {
                    write!(f, "{x:02x}")?;
                }
                f.write_str(if g.not_equal { " !=" } else { " ==" })?;
                if g.more {
                    f.write_str(" more")?;
                }
            }
            FilterKind::Ipx(ipx) => {
                for (side, end) in [("src", &ipx.src), ("dst", &ipx.dst)] {
                    if let Some(e) = end {
                        write!(f, " {side}ipxnet 0x{:04x} {side}ipxnode 0x", e.net)?;
                        for x in e.node {
                            write!(f, "{x:02x}")?;
                        }
                        if let Some(s) = e.socket {
                            write!(f, " {side}ipxsock {} 0x{:04x}", s.compare, s.port)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
