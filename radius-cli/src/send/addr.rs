//! Server addresses: `HOST[:PORT]`, `[V6]:PORT` or a bare address.

use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::Context as _;

/// Resolve `HOST[:PORT]` (IPv6 as `[::1]:1812` or a bare `::1`).
pub fn resolve(addr: &str, default_port: u16) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = addr.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = addr.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, default_port));
    }
    let with_port = if addr
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        addr.to_string()
    } else {
        format!("{addr}:{default_port}")
    };
    with_port
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {addr:?}"))?
        .next()
        .with_context(|| format!("{addr:?} resolves to no address"))
}

/// The host part of `HOST[:PORT]`, `[V6]:PORT` or a bare address.
pub(super) fn host_of(addr: &str) -> String {
    if let Ok(a) = addr.parse::<SocketAddr>() {
        return a.ip().to_string();
    }
    if addr.parse::<std::net::IpAddr>().is_ok() {
        return addr.to_owned();
    }
    let host = match addr.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => h,
        _ => addr,
    };
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_with_default_ports() {
        assert_eq!(resolve("127.0.0.1", 1812).unwrap().port(), 1812);
        assert_eq!(resolve("127.0.0.1:99", 1812).unwrap().port(), 99);
        assert_eq!(resolve("::1", 3799).unwrap().port(), 3799);
        assert_eq!(resolve("[::1]:5", 3799).unwrap().port(), 5);
        assert_eq!(resolve("localhost", 1813).unwrap().port(), 1813);
    }

    #[test]
    fn hosts() {
        for (addr, host) in [
            ("127.0.0.1", "127.0.0.1"),
            ("127.0.0.1:2083", "127.0.0.1"),
            ("[::1]:2083", "::1"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            ("radius.example.org:2083", "radius.example.org"),
            ("radius.example.org", "radius.example.org"),
        ] {
            assert_eq!(host_of(addr), host, "{addr}");
        }
    }
}
