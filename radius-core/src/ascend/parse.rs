//! The Ascend filter language, read as FreeRADIUS 3.2's `ascend_parse_filter`
//! reads it (written from its documented grammar and checked against
//! radclient 3.2.1) and printed in `print_abinary`'s order:
//!
//! ```text
//! ip      in|out forward|drop [srcip A.B.C.D[/LEN]] [dstip A.B.C.D[/LEN]]
//!         [PROTOCOL] [srcport CMP PORT] [dstport CMP PORT] [est]
//! generic in|out forward|drop OFFSET MASK VALUE [==|!=] [more]
//! ipx     in|out forward|drop [srcipxnet NET srcipxnode NODE [srcipxsock CMP SOCKET]]
//!         [dstipxnet NET dstipxnode NODE [dstipxsock CMP SOCKET]]
//! ```
//!
//! Words are separated by white space and matched without regard to case;
//! the optional ip words may come in any order, each at most once.
//! `CMP` is `<`, `=`, `>` or `!=`; `PROTOCOL` is a number or `tcp`, `udp`,
//! `icmp`, `ospf`; `PORT` a number or one of FreeRADIUS's service names
//! (`www`, `smtp`, ...). An address without `/LEN`, or with `/0`, gets its
//! classful length (8, 16, 24 or 32), as in FreeRADIUS; host bits are kept.
//! `MASK` and `VALUE` are six octets of hex; `NET`, `NODE` and `SOCKET`
//! are hex (`0x` optional).
//!
//! Deliberate differences, each an error here where FreeRADIUS accepts
//! something it cannot print back: a protocol above 255 (FreeRADIUS keeps
//! the low octet), a short address without `/LEN` (`10.1`, which
//! FreeRADIUS reads as `10.0.0.0/8`), `0.0.0.0/LEN` with a non-zero
//! length, a mask or value longer than six octets (FreeRADIUS ignores the
//! rest), a zero IPX network. An unnamed protocol prints as its number
//! (FreeRADIUS prints `??`), and an IPX filter may give both ends
//! (FreeRADIUS 3.2 prints such filters but cannot read them).

use std::net::Ipv4Addr;
use std::str::FromStr;

use super::{
    Action, AddrMatch, AscendFilter, Compare, Direction, FilterKind, GenericFilter, IpFilter,
    IpxEnd, IpxFilter, PortMatch,
};

/// Why a filter's text did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterParseError(String);

type Result<T> = std::result::Result<T, FilterParseError>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(FilterParseError(msg.into()))
}

/// `filterProtoName`.
pub(super) const PROTOCOLS: [(&str, u8); 4] = [("tcp", 6), ("udp", 17), ("ospf", 89), ("icmp", 1)];

/// `filterPortType`.
const SERVICES: [(&str, u16); 18] = [
    ("ftp-data", 20),
    ("ftp", 21),
    ("telnet", 23),
    ("smtp", 25),
    ("nameserver", 42),
    ("domain", 53),
    ("tftp", 69),
    ("gopher", 70),
    ("finger", 79),
    ("www", 80),
    ("kerberos", 88),
    ("hostname", 101),
    ("nntp", 119),
    ("ntp", 123),
    ("exec", 512),
    ("login", 513),
    ("cmd", 514),
    ("talk", 517),
];

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn compare(w: &str) -> Result<Compare> {
    Ok(match w {
        "<" => Compare::Less,
        "=" => Compare::Equal,
        ">" => Compare::Greater,
        "!=" => Compare::NotEqual,
        _ => return err(format!("expected <, =, > or != , not \"{w}\"")),
    })
}

fn port(w: &str) -> Result<u16> {
    if is_digits(w) {
        return w
            .parse()
            .or_else(|_| err(format!("port {w} is above 65535")));
    }
    SERVICES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(w))
        .map(|&(_, p)| p)
        .map_or_else(|| err(format!("unknown port name \"{w}\"")), Ok)
}

/// `ascend_parse_ipaddr`: `a.b.c.d[/len]`, or `a[.b[.c]]/len`.
fn address(w: &str) -> Result<Option<AddrMatch>> {
    let bad = || err(format!("invalid address \"{w}\" (a.b.c.d or a.b.c.d/len)"));
    let (a, len) = match w.split_once('/') {
        Some((a, l)) if is_digits(l) => match l.parse::<u8>() {
            Ok(n) if n <= 32 => (a, Some(n)),
            _ => return err(format!("prefix length {l} above 32")),
        },
        Some(_) => return bad(),
        None => (w, None),
    };
    let parts: Vec<&str> = a.split('.').collect();
    if parts.len() > 4 || (len.is_none() && parts.len() != 4) {
        return bad();
    }
    let mut o = [0u8; 4];
    for (slot, p) in o.iter_mut().zip(&parts) {
        if !is_digits(p) {
            return bad();
        }
        *slot = match p.parse() {
            Ok(n) => n,
            Err(_) => return bad(),
        };
    }
    let addr = Ipv4Addr::from(o);
    let n = u32::from(addr);
    let len = match len {
        Some(l) if l > 0 => l,
        // The classful length, as FreeRADIUS gives it.
        _ if n == 0 => 0,
        _ if n >> 31 == 0 => 8,
        _ if n >> 30 == 0b10 => 16,
        _ if n >> 29 == 0b110 => 24,
        _ => 32,
    };
    match (n, len) {
        (0, 0) => Ok(None),
        (0, _) => err(format!(
            "{w}: the any address 0.0.0.0 takes no prefix length"
        )),
        _ => Ok(Some(AddrMatch { addr, len })),
    }
}

fn hex_field(w: &str, max_digits: usize, what: &str) -> Result<Vec<u8>> {
    let h = w
        .strip_prefix("0x")
        .or_else(|| w.strip_prefix("0X"))
        .unwrap_or(w);
    if h.is_empty() || h.len() > max_digits || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return err(format!(
            "{what} \"{w}\" is not hex of at most {max_digits} digits"
        ));
    }
    Ok(h.bytes()
        .map(|b| (b as char).to_digit(16).unwrap_or(0) as u8)
        .collect())
}

fn hex_number(w: &str, max_digits: usize, what: &str) -> Result<u32> {
    Ok(hex_field(w, max_digits, what)?
        .iter()
        .fold(0u32, |n, &d| (n << 4) | d as u32))
}

fn six_octets(w: &str, what: &str) -> Result<[u8; 6]> {
    let d = hex_field(w, 12, what)?;
    if d.len() != 12 {
        return err(format!("{what} \"{w}\" must be 6 octets (12 hex digits)"));
    }
    let mut o = [0u8; 6];
    for (i, x) in o.iter_mut().enumerate() {
        *x = d[2 * i] << 4 | d[2 * i + 1];
    }
    Ok(o)
}

fn parse_ip(words: &[&str]) -> Result<IpFilter> {
    let mut f = IpFilter::default();
    let (mut src, mut dst, mut sp, mut dp, mut proto, mut est) =
        (false, false, false, false, false, false);
    let once = |seen: &mut bool, w: &str| -> Result<()> {
        if std::mem::replace(seen, true) {
            return err(format!("\"{w}\" given twice"));
        }
        Ok(())
    };
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let arg = |n: usize| -> Result<&str> {
            match words.get(i + n) {
                Some(a) => Ok(a),
                None => err(format!("\"{w}\" needs a value")),
            }
        };
        match w.to_ascii_lowercase().as_str() {
            "srcip" => {
                once(&mut src, w)?;
                f.src = address(arg(1)?)?;
                i += 2;
            }
            "dstip" => {
                once(&mut dst, w)?;
                f.dst = address(arg(1)?)?;
                i += 2;
            }
            k @ ("srcport" | "dstport") => {
                let m = PortMatch {
                    compare: compare(arg(1)?)?,
                    port: port(arg(2)?)?,
                };
                if k == "srcport" {
                    once(&mut sp, w)?;
                    f.src_port = Some(m);
                } else {
                    once(&mut dp, w)?;
                    f.dst_port = Some(m);
                }
                i += 3;
            }
            "est" => {
                once(&mut est, w)?;
                f.established = true;
                i += 1;
            }
            lw => {
                if proto {
                    return err(format!(
                        "unexpected \"{w}\" (the protocol is already given)"
                    ));
                }
                proto = true;
                f.protocol = if is_digits(lw) {
                    match lw.parse::<u8>() {
                        Ok(n) => n,
                        Err(_) => return err(format!("protocol {w} is above 255")),
                    }
                } else {
                    match PROTOCOLS.iter().find(|(n, _)| *n == lw) {
                        Some(&(_, p)) => p,
                        None => return err(format!("unknown IP protocol \"{w}\"")),
                    }
                };
                i += 1;
            }
        }
    }
    Ok(f)
}

fn parse_generic(words: &[&str]) -> Result<GenericFilter> {
    if words.is_empty() {
        return Ok(GenericFilter::default());
    }
    if words.len() < 3 {
        return err("a generic filter needs OFFSET MASK VALUE");
    }
    let offset = match words[0].parse::<u16>() {
        Ok(n) if is_digits(words[0]) => n,
        _ => return err(format!("offset \"{}\" is not a number 0..=65535", words[0])),
    };
    let mut g = GenericFilter {
        offset,
        mask: six_octets(words[1], "mask")?,
        value: six_octets(words[2], "value")?,
        ..GenericFilter::default()
    };
    let (mut cmp, mut more) = (false, false);
    for &w in &words[3..] {
        let seen = match w.to_ascii_lowercase().as_str() {
            "==" | "!=" => {
                g.not_equal = w == "!=";
                std::mem::replace(&mut cmp, true)
            }
            "more" => {
                g.more = true;
                std::mem::replace(&mut more, true)
            }
            _ => return err(format!("unexpected \"{w}\" in a generic filter")),
        };
        if seen {
            return err(format!("\"{w}\" given twice"));
        }
    }
    Ok(g)
}

fn parse_ipx(words: &[&str]) -> Result<IpxFilter> {
    let mut f = IpxFilter::default();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].to_ascii_lowercase();
        let (end, side) = match w.as_str() {
            "srcipxnet" => (&mut f.src, "src"),
            "dstipxnet" => (&mut f.dst, "dst"),
            _ => return err(format!("unexpected \"{}\" in an IPX filter", words[i])),
        };
        if end.is_some() {
            return err(format!("\"{w}\" given twice"));
        }
        let rest = &words[i + 1..];
        if rest.len() < 3 || !rest[1].eq_ignore_ascii_case(&format!("{side}ipxnode")) {
            return err(format!("{w} NET needs {side}ipxnode NODE"));
        }
        let net = hex_number(rest[0], 8, "IPX network")?;
        if net == 0 {
            return err("the IPX network must not be 0");
        }
        let mut e = IpxEnd {
            net,
            node: six_octets(rest[2], "IPX node")?,
            socket: None,
        };
        i += 4;
        if rest
            .get(3)
            .is_some_and(|s| s.eq_ignore_ascii_case(&format!("{side}ipxsock")))
        {
            if rest.len() < 6 {
                return err(format!("{side}ipxsock needs CMP SOCKET"));
            }
            e.socket = Some(PortMatch {
                compare: compare(rest[4])?,
                port: hex_number(rest[5], 4, "IPX socket")? as u16,
            });
            i += 3;
        }
        *end = Some(e);
    }
    Ok(f)
}

impl FromStr for AscendFilter {
    type Err = FilterParseError;

    fn from_str(s: &str) -> Result<AscendFilter> {
        let words: Vec<&str> = s.split_ascii_whitespace().collect();
        if words.len() < 3 {
            return err("expected TYPE in|out forward|drop ...");
        }
        let direction = match words[1].to_ascii_lowercase().as_str() {
            "in" => Direction::In,
            "out" => Direction::Out,
            _ => return err(format!("unknown direction \"{}\" (in or out)", words[1])),
        };
        let action = match words[2].to_ascii_lowercase().as_str() {
            "forward" => Action::Forward,
            "drop" => Action::Drop,
            _ => return err(format!("unknown action \"{}\" (forward or drop)", words[2])),
        };
        let rest = &words[3..];
        let kind = match words[0].to_ascii_lowercase().as_str() {
            "ip" => FilterKind::Ip(parse_ip(rest)?),
            "generic" => FilterKind::Generic(parse_generic(rest)?),
            "ipx" => FilterKind::Ipx(parse_ipx(rest)?),
            _ => {
                return err(format!(
                    "unknown filter type \"{}\" (ip, generic or ipx)",
                    words[0]
                ))
            }
        };
        Ok(AscendFilter {
            direction,
            action,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_problem() {
        for (s, want) in [
            ("ip in", "expected TYPE"),
            ("ipv6 in forward", "unknown filter type \"ipv6\""),
            ("ip sideways forward", "unknown direction"),
            ("ip in keep", "unknown action"),
            ("ip in forward tcp udp", "protocol is already given"),
            ("ip in forward 256", "above 255"),
            ("ip in forward gre", "unknown IP protocol"),
            ("ip in forward srcip", "needs a value"),
            ("ip in forward srcip 10.1", "invalid address"),
            ("ip in forward srcip 10.0.0.1/33", "above 32"),
            ("ip in forward srcip 0.0.0.0/8", "any address"),
            ("ip in forward tcp dstport => 80", "expected <"),
            ("ip in forward tcp dstport = 65536", "above 65535"),
            ("ip in forward tcp dstport = http", "unknown port name"),
            ("ip in forward est est", "given twice"),
            ("generic in drop 0 ffff 0800", "6 octets"),
            (
                "generic in drop 0 ffffffffffffff 080000000000",
                "at most 12",
            ),
            ("generic in drop 0 ffffffffffff", "needs OFFSET"),
            ("generic in drop 65536 ffffffffffff 000000000000", "offset"),
            (
                "generic in drop 0 ffffffffffff 000000000000 more more",
                "twice",
            ),
            (
                "ipx in forward srcipxnet 1 dstipxnode 000000000001",
                "needs srcipxnode",
            ),
            (
                "ipx in forward srcipxnet 0 srcipxnode 000000000001",
                "must not be 0",
            ),
        ] {
            let e = s.parse::<AscendFilter>().unwrap_err().to_string();
            assert!(e.contains(want), "{s}: {e}");
        }
    }

    #[test]
    fn classful_lengths_and_case() {
        for (s, printed) in [
            ("IP IN FORWARD TCP", "ip in forward tcp"),
            (
                "ip in forward srcip 10.0.0.1",
                "ip in forward srcip 10.0.0.1/8 0",
            ),
            (
                "ip in forward srcip 172.16.0.1/0",
                "ip in forward srcip 172.16.0.1/16 0",
            ),
            (
                "ip in forward dstip 192.168.1.1",
                "ip in forward dstip 192.168.1.1/24 0",
            ),
            (
                "ip in forward dstip 224.0.0.1",
                "ip in forward dstip 224.0.0.1/32 0",
            ),
            (
                "ip in forward srcip 10.1/16",
                "ip in forward srcip 10.1.0.0/16 0",
            ),
            ("ip in forward dstip 0.0.0.0/0 47", "ip in forward 47"),
            (
                "ip out drop tcp dstport < WWW",
                "ip out drop tcp dstport < 80",
            ),
        ] {
            let f: AscendFilter = s.parse().unwrap();
            assert_eq!(f.to_string(), printed, "{s}");
            assert_eq!(printed.parse::<AscendFilter>().unwrap(), f, "{printed}");
        }
    }
}
