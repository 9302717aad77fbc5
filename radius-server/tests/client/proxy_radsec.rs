//! `radius_server::proxy` with RadSec home servers: the proxy's own TLS
//! client. A home server that sends a forged reply first (radsecproxy
//! closes the whole connection on one bad reply): dropped, counted, the
//! request answered and the one connection kept. A RadSec home server that
//! is down: failover to the next server at once (a refused connection is
//! an answer of sorts), not after the response window. Loopback only.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use radius_core::{Code, Packet, PacketWriter, Secret};
use radius_server::proxy::health::State;
use radius_server::proxy::pool::PoolKind;
use radius_server::proxy::{HomeServer, PoolConfig, Proxy};
use radius_test_support::radsec::Ca;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::proxy::{fake_home, forwarded, front, login, nas, one_home};

/// A RadSec home server (secret "radsec") that accepts every
/// Access-Request and answers Status-Server; with `forge`, a copy with a
/// bad Response Authenticator goes first. Counts TCP connections accepted.
async fn fake_radsec_home(
    ca: &Ca,
    forge: bool,
    bind: SocketAddr,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let tls = ca.tls(&ca.server()).server_config().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conns = Arc::new(AtomicUsize::new(0));
    let counter = conns.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let secret = Secret::new("radsec");
                loop {
                    let mut head = [0u8; 4];
                    if tls.read_exact(&mut head).await.is_err() {
                        return;
                    }
                    let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
                    let mut req = head.to_vec();
                    req.resize(len.max(20), 0);
                    if tls.read_exact(&mut req[4..]).await.is_err() {
                        return;
                    }
                    let p = Packet::decode(&req).unwrap();
                    assert_eq!(p.verify_request(&secret), Ok(true), "request signed for us");
                    let auth: [u8; 16] = req[4..20].try_into().unwrap();
                    let mut out = Vec::new();
                    let mut w =
                        PacketWriter::reply(&mut out, Code::ACCESS_ACCEPT, p.identifier(), &auth);
                    w.message_authenticator().unwrap();
                    for ps in p.attributes().filter(|a| a.typ == 33) {
                        w.attr(33, ps.value).unwrap();
                    }
                    w.finish(&secret).unwrap();
                    if forge && p.code() == Code::ACCESS_REQUEST {
                        let mut forged = out.clone();
                        forged[4] ^= 0xff;
                        tls.write_all(&forged).await.unwrap();
                    }
                    tls.write_all(&out).await.unwrap();
                }
            });
        }
    });
    (addr, conns)
}

fn radsec_home(ca: &Ca, name: &str, addr: SocketAddr) -> HomeServer {
    let mut h = HomeServer::radsec(name, addr, ca.tls(&ca.client("proxy")), "localhost");
    h.health.response_window = Duration::from_secs(1);
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_radsec_reply_is_dropped_and_the_connection_survives() {
    let ca = Ca::new("proxy-radsec CA");
    let (addr, conns) = fake_radsec_home(&ca, true, "127.0.0.1:0".parse().unwrap()).await;
    let proxy = one_home(radsec_home(&ca, "tls", addr));
    let (_srv, auth_addr, _) = front(proxy.clone()).await;
    let c = nas(auth_addr);
    for _ in 0..4 {
        let (code, took) = login(&c, "bob", "hello").await;
        assert_eq!(code, Code::ACCESS_ACCEPT);
        assert!(took < Duration::from_secs(1), "{took:?}");
    }
    let s = &proxy.stats()[0];
    assert_eq!(s.invalid_replies, 4, "{s:?}");
    assert_eq!(s.forwarded, 4, "{s:?}");
    assert_eq!(s.timeouts, 0, "{s:?}");
    assert_eq!(
        conns.load(Ordering::SeqCst),
        1,
        "one TLS connection for all"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_radsec_home_that_is_down_fails_over_at_once() {
    let ca = Ca::new("proxy-radsec-down CA");
    let down: SocketAddr = ([127, 0, 0, 1], radius_test_support::free_port_tcp()).into();
    let (udp, seen) = fake_home(false, Duration::ZERO).await;
    let mut second = HomeServer::new("udp", udp, "home-secret");
    second.health.response_window = Duration::from_secs(1);
    let mut first = radsec_home(&ca, "tls", down);
    // Longer than the test allows for an answer: only a failover that does
    // not wait for the window passes.
    first.health.response_window = Duration::from_secs(5);
    first.health.zombie_period = Duration::from_secs(2);
    first.health.probe_interval = Duration::from_millis(300);
    let proxy = Proxy::new(
        vec![first, second],
        vec![PoolConfig {
            name: "main".into(),
            kind: PoolKind::FailOver,
            servers: vec!["tls".into(), "udp".into()],
        }],
    )
    .unwrap();
    let (_srv, auth_addr, _) = front(proxy.clone()).await;
    let c = nas(auth_addr);
    for _ in 0..3 {
        let (code, took) = login(&c, "bob", "hello").await;
        assert_eq!(code, Code::ACCESS_ACCEPT);
        assert!(took < Duration::from_secs(1), "{took:?}");
    }
    assert_eq!(seen.load(Ordering::SeqCst), 3);

    // It comes up: the probes see it answer Status-Server over TLS and
    // it takes the traffic back (fail-back).
    let _probes = proxy.spawn_health_checks();
    let (_, conns) = fake_radsec_home(&ca, false, down).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let tls_state = |p: &Proxy| p.stats()[0].state;
    while tls_state(&proxy) != State::Alive {
        assert!(
            std::time::Instant::now() < deadline,
            "never failed back: {:?}",
            proxy.stats()
        );
        assert_eq!(login(&c, "bob", "hello").await.0, Code::ACCESS_ACCEPT);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = seen.load(Ordering::SeqCst);
    for _ in 0..3 {
        assert_eq!(login(&c, "bob", "hello").await.0, Code::ACCESS_ACCEPT);
    }
    assert_eq!(seen.load(Ordering::SeqCst), before, "the primary is back");
    assert!(forwarded(&proxy, "tls") >= 4, "{:?}", proxy.stats());
    assert!(conns.load(Ordering::SeqCst) >= 1);
}
