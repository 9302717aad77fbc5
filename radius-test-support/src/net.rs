//! Free loopback ports for peers that must be told a port up front
//! (bound, then released: another process could take it in between, which
//! the tests accept).

/// A free loopback TCP port.
pub fn free_port_tcp() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A free loopback UDP port.
pub fn free_port_udp() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Two consecutive free loopback UDP ports: returns `p` with `p` and
/// `p + 1` free (FreeRADIUS-style auth and acct).
pub fn free_udp_pair() -> u16 {
    for _ in 0..100 {
        let a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = a.local_addr().unwrap().port();
        if p < 65535 && std::net::UdpSocket::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no two consecutive free UDP ports on 127.0.0.1");
}
