//! Who is on the other end of a TLS connection: the names in its
//! certificate, and the RadSec client table that maps certificate names
//! and/or source addresses to host-table [`Client`]s.

use std::fmt;
use std::net::IpAddr;

use super::version::RadiusV11;
use crate::host::{Cidr, Client, ClientConfig};

/// The names of a verified peer certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerIdentity {
    /// Subject commonName values.
    pub common_names: Vec<String>,
    /// subjectAltName dNSName values.
    pub dns_names: Vec<String>,
    /// subjectAltName iPAddress values.
    pub ip_addresses: Vec<IpAddr>,
    /// subjectAltName uniformResourceIdentifier values.
    pub uris: Vec<String>,
}

impl PeerIdentity {
    /// Parse the subject CN and subjectAltName entries of a DER certificate.
    /// Returns an empty identity when the certificate cannot be parsed (it
    /// was verified by rustls already, so this does not happen in practice).
    pub fn from_der(cert: &[u8]) -> Self {
        parse_cert(cert).unwrap_or_default()
    }

    /// Whether `name` (case-insensitive) is a SAN dNSName, a SAN URI, a SAN
    /// address, or the subject CN. A pattern `*.example.org` matches one
    /// label in front of `example.org`.
    pub fn matches(&self, name: &str) -> bool {
        let eq = |n: &String| name_matches(name, n);
        self.dns_names.iter().any(eq)
            || self.common_names.iter().any(eq)
            || self.uris.iter().any(|u| u == name)
            || name
                .parse::<IpAddr>()
                .is_ok_and(|ip| self.ip_addresses.contains(&ip))
    }
}

fn name_matches(pattern: &str, name: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix("*.") {
        match name.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(suffix),
            None => false,
        }
    } else {
        pattern.eq_ignore_ascii_case(name)
    }
}

impl fmt::Display for PeerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CN={:?}", self.common_names)?;
        if !self.dns_names.is_empty() {
            write!(f, " DNS={:?}", self.dns_names)?;
        }
        if !self.ip_addresses.is_empty() {
            write!(f, " IP={:?}", self.ip_addresses)?;
        }
        if !self.uris.is_empty() {
            write!(f, " URI={:?}", self.uris)?;
        }
        Ok(())
    }
}

// ---- a minimal DER walker ------------------------------------------------

/// One TLV: (tag, contents, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, b) = b.split_first()?;
    let (&l0, b) = b.split_first()?;
    let (len, b) = if l0 < 0x80 {
        (l0 as usize, b)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || b.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &x in &b[..n] {
            len = (len << 8) | x as usize;
        }
        (len, &b[n..])
    };
    if b.len() < len {
        return None;
    }
    Some((tag, &b[..len], &b[len..]))
}

fn seq_items(mut b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (t, c, rest) = tlv(b)?;
        b = rest;
        Some((t, c))
    })
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

fn parse_cert(der: &[u8]) -> Option<PeerIdentity> {
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut items = seq_items(tbs).peekable();
    if items.peek()?.0 == 0xa0 {
        items.next();
    }
    // serial, signature, issuer, validity, subject
    let _serial = items.next()?;
    let _sig = items.next()?;
    let _issuer = items.next()?;
    let _validity = items.next()?;
    let (0x30, subject) = items.next()? else {
        return None;
    };
    let mut id = PeerIdentity::default();
    for (t, rdn) in seq_items(subject) {
        if t != 0x31 {
            continue;
        }
        for (t, atv) in seq_items(rdn) {
            if t != 0x30 {
                continue;
            }
            let mut parts = seq_items(atv);
            if let (Some((0x06, oid)), Some((_, val))) = (parts.next(), parts.next()) {
                if oid == OID_CN {
                    id.common_names
                        .push(String::from_utf8_lossy(val).into_owned());
                }
            }
        }
    }
    let _spki = items.next()?;
    for (t, c) in items {
        if t != 0xa3 {
            continue;
        }
        let (0x30, exts, _) = tlv(c)? else {
            return Some(id);
        };
        for (t, ext) in seq_items(exts) {
            if t != 0x30 {
                continue;
            }
            let mut parts = seq_items(ext);
            let Some((0x06, oid)) = parts.next() else {
                continue;
            };
            if oid != OID_SAN {
                continue;
            }
            let Some(octets) = parts.find(|(t, _)| *t == 0x04).map(|(_, c)| c) else {
                continue;
            };
            let Some((0x30, names, _)) = tlv(octets) else {
                continue;
            };
            for (t, v) in seq_items(names) {
                match t {
                    0x82 => id.dns_names.push(String::from_utf8_lossy(v).into_owned()),
                    0x86 => id.uris.push(String::from_utf8_lossy(v).into_owned()),
                    0x87 => match v.len() {
                        4 => id
                            .ip_addresses
                            .push(IpAddr::from(<[u8; 4]>::try_from(v).ok()?)),
                        16 => id
                            .ip_addresses
                            .push(IpAddr::from(<[u8; 16]>::try_from(v).ok()?)),
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
    }
    Some(id)
}

// ---- the RadSec client table ------------------------------------------------

/// The shared secret of RadSec (RFC 6614 §2.3), used unless a client sets
/// its own.
pub const RADSEC_SECRET: &str = "radsec";

/// One RadSec client: a host-table [`ClientConfig`] (name, secret — default
/// `"radsec"` — and policies) plus what a connection must show to be it: a
/// certificate name, a source address block, or both. An entry with
/// neither matches every peer whose certificate verified.
#[derive(Debug, Clone)]
pub struct TlsClient {
    /// Name, secret and policies.
    pub config: ClientConfig,
    /// Certificate name required (see [`PeerIdentity::matches`]).
    pub cert_name: Option<String>,
    /// Source address block required.
    pub addr: Option<Cidr>,
    /// RADIUS/1.1 for this client (`None`: whatever the listener
    /// negotiated, see [`radius_v11`](Self::radius_v11)).
    pub radius_v11: Option<RadiusV11>,
}

impl TlsClient {
    /// A client named `name` with secret `"radsec"`, matching any verified peer
    /// until [`cert_name`](Self::cert_name) or [`addr`](Self::addr) narrow it.
    pub fn new(name: impl Into<String>) -> Self {
        TlsClient {
            config: ClientConfig::new(name, RADSEC_SECRET),
            cert_name: None,
            addr: None,
            radius_v11: None,
        }
    }

    /// Which RADIUS versions this client may use. ALPN is settled in the
    /// handshake, before the client is known, by the listener's setting
    /// (radius-server's `RadSecBuilder::radius_v11`);
    /// this narrows it: `Required` closes a connection from this client
    /// that negotiated RADIUS/1.0, `Off` one that negotiated RADIUS/1.1.
    pub fn radius_v11(mut self, v11: RadiusV11) -> Self {
        self.radius_v11 = Some(v11);
        self
    }

    /// Require this certificate name (subject CN or a subjectAltName).
    pub fn cert_name(mut self, name: impl Into<String>) -> Self {
        self.cert_name = Some(name.into());
        self
    }

    /// Require a source address in this block.
    pub fn addr(mut self, net: impl Into<Cidr>) -> Self {
        self.addr = Some(net.into());
        self
    }

    /// Use another shared secret.
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.config.secret = radius_core::Secret::new(secret);
        self
    }

    /// Replace the whole host-table configuration (name, secret, policies).
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    fn matches(&self, ip: IpAddr, id: &PeerIdentity) -> bool {
        self.addr.is_none_or(|n| n.contains(ip))
            && self.cert_name.as_deref().is_none_or(|n| id.matches(n))
    }
}

/// RadSec clients in order; the first entry whose constraints hold wins.
#[derive(Debug, Clone, Default)]
pub struct TlsClientTable {
    entries: Vec<(TlsClient, Client)>,
}

impl TlsClientTable {
    /// An empty table (every connection is refused).
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a client.
    pub fn with(mut self, c: TlsClient) -> Self {
        self.push(c);
        self
    }

    /// Append a client.
    pub fn push(&mut self, c: TlsClient) -> &mut Self {
        let client = Client::new(c.config.clone());
        self.entries.push((c, client));
        self
    }

    /// The client for a connection from `ip` whose certificate shows `id`.
    pub fn lookup(&self, ip: IpAddr, id: &PeerIdentity) -> Option<&Client> {
        self.entries
            .iter()
            .find(|(c, _)| c.matches(ip, id))
            .map(|(_, c)| c)
    }

    /// [`lookup`](Self::lookup), with the entry's RADIUS/1.1 setting.
    pub fn lookup_entry(
        &self,
        ip: IpAddr,
        id: &PeerIdentity,
    ) -> Option<(&Client, Option<RadiusV11>)> {
        self.entries
            .iter()
            .find(|(c, _)| c.matches(ip, id))
            .map(|(t, c)| (c, t.radius_v11))
    }

    /// The source networks of the entries when every entry requires one
    /// (no connection from elsewhere can match any entry); `None` when an
    /// entry accepts any address.
    pub fn source_networks(&self) -> Option<Vec<Cidr>> {
        self.entries.iter().map(|(c, _)| c.addr).collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_and_exact_names() {
        let id = PeerIdentity {
            common_names: vec!["nas1.example.org".into()],
            dns_names: vec!["radius.example.org".into()],
            ip_addresses: vec!["192.0.2.7".parse().unwrap()],
            uris: vec![],
        };
        assert!(id.matches("NAS1.example.org"));
        assert!(id.matches("radius.example.org"));
        assert!(id.matches("*.example.org"));
        assert!(!id.matches("*.org"));
        assert!(id.matches("192.0.2.7"));
        assert!(!id.matches("other.example.org"));
    }

    #[test]
    fn der_walker_rejects_garbage() {
        assert_eq!(PeerIdentity::from_der(&[]), PeerIdentity::default());
        assert_eq!(
            PeerIdentity::from_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            PeerIdentity::default()
        );
        assert_eq!(
            PeerIdentity::from_der(&[0x30, 0x02, 0x30, 0x05]),
            PeerIdentity::default()
        );
    }

    #[test]
    fn table_first_match() {
        let t = TlsClientTable::new()
            .with(TlsClient::new("a").cert_name("nas-a"))
            .with(TlsClient::new("lo").addr("127.0.0.0/8".parse::<Cidr>().unwrap()));
        let a = PeerIdentity {
            common_names: vec!["nas-a".into()],
            ..Default::default()
        };
        let b = PeerIdentity::default();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let far: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(t.lookup(far, &a).unwrap().name(), "a");
        assert_eq!(t.lookup(lo, &b).unwrap().name(), "lo");
        assert!(t.lookup(far, &b).is_none());
        assert_eq!(t.lookup(lo, &a).unwrap().secret().as_bytes(), b"radsec");
        // "a" takes any address.
        assert_eq!(t.source_networks(), None);
        let net: Cidr = "192.0.2.0/24".parse().unwrap();
        let t = TlsClientTable::new()
            .with(TlsClient::new("lo").addr("127.0.0.0/8".parse::<Cidr>().unwrap()))
            .with(TlsClient::new("b").cert_name("nas-b").addr(net));
        assert_eq!(
            t.source_networks(),
            Some(vec!["127.0.0.0/8".parse().unwrap(), net])
        );
    }
}
