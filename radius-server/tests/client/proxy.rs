//! `radius_server::proxy` end to end: a NAS (our UDP client) -> our server
//! -> two real FreeRADIUS home servers. Failover when the primary dies,
//! fail-back when it returns, accounting forwarded, a forged reply dropped
//! and counted, and a prompt reject when no home server answers. Each test
//! runs on both paths: handlers that call `Proxy::forward`, and the
//! listener forwarding by itself (`Builder::forward`). Loopback only,
//! bounded in time.

use crate::support::*;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use radius_core::{Code, Packet, PacketWriter, Secret};
use radius_server::client::RetryPolicy;
use radius_server::proxy::health::HealthConfig;
use radius_server::proxy::pool::PoolKind;
use radius_server::proxy::{HomeServer, PoolConfig, Proxy};
use radius_server::{
    radius_handler, AccessReject, AccessRequest, AccountingRequest, ClientConfig, HostTable, Reply,
    Server, Shared, UdpClient,
};
use radius_test_support::FreeRadius;

pub(crate) const NAS_SECRET: &str = "nas-secret";

fn home(name: &str, auth: SocketAddr) -> HomeServer {
    let mut h = HomeServer::new(name, auth, FreeRadius::SECRET);
    // FreeRADIUS delays Access-Reject by 1 s (reject_delay): the window
    // must be longer. The default is 2 s.
    h.health = HealthConfig {
        response_window: Duration::from_millis(1500),
        zombie_period: Duration::from_secs(2),
        probe_interval: Duration::from_millis(300),
        ..HealthConfig::default()
    };
    h
}

#[radius_handler]
async fn auth(req: AccessRequest, name: UserName, proxy: Shared<Proxy>) -> Reply {
    // Realm stripping as a router would do it: bob@example.org -> bob.
    let user = name
        .value()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    match proxy.forward(&req, "main", Some(user.as_bytes())).await {
        Ok(r) => r,
        Err(e) => AccessReject::new()
            .with(ReplyMessage::new(format!("no home server: {e}")))
            .into(),
    }
}

#[radius_handler]
async fn acct(req: AccountingRequest, proxy: Shared<Proxy>) -> Reply {
    proxy
        .forward(&req, "main", None)
        .await
        .unwrap_or(Reply::NoReply)
}

/// Which way the front server forwards.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path {
    /// Its handlers call `Proxy::forward`.
    Handler,
    /// Its listener forwards, at the datagram level (`Builder::forward`).
    Datagram,
}

/// Each named `async fn(Path)` as two tests, `NAME::handler` and
/// `NAME::datagram`.
macro_rules! on_both_paths {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn handler() {
                super::$name(super::Path::Handler).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn datagram() {
                super::$name(super::Path::Datagram).await
            }
        }
    )*};
}

on_both_paths!(
    failover_failback_and_accounting_through_freeradius_homes,
    forged_reply_is_dropped_and_counted,
    no_home_server_answers_with_a_reject,
    nas_retransmissions_are_not_forwarded_twice,
);

/// What the datagram path's handlers answer: the listener should have
/// forwarded the request.
async fn unrouted() -> Reply {
    Reply::NoReply
}

/// The datagram path's routing: what the handlers above do.
fn route(proxy: &Proxy, req: &radius_server::Request) -> Option<radius_server::proxy::Forward> {
    if req.code() == Code::ACCOUNTING_REQUEST {
        return proxy.forwarding("main", None);
    }
    let name = req.get::<UserName>()?.ok()?;
    let user = name.value().split('@').next().unwrap_or_default();
    proxy.forwarding("main", Some(user.as_bytes()))
}

pub(crate) async fn front(proxy: Proxy) -> (radius_server::ServerHandle, SocketAddr, SocketAddr) {
    front_on(proxy, Path::Handler).await
}

pub(crate) async fn front_on(
    proxy: Proxy,
    path: Path,
) -> (radius_server::ServerHandle, SocketAddr, SocketAddr) {
    let hosts = HostTable::new().with(
        "127.0.0.0/8".parse().unwrap(),
        ClientConfig::new("nas", NAS_SECRET),
    );
    let b = Server::with_state(proxy).clients(hosts);
    let b = match path {
        Path::Handler => b.auth(auth).accounting(acct),
        // Handlers that do not forward: only the listener can get an answer.
        Path::Datagram => b.auth(unrouted).accounting(unrouted).forward(route),
    };
    let s = b
        .bind_auth("127.0.0.1:0".parse().unwrap())
        .bind_acct("127.0.0.1:0".parse().unwrap())
        .spawn()
        .await
        .unwrap();
    let a = s.auth_addrs()[0];
    let c = s.acct_addrs()[0];
    (s, a, c)
}

pub(crate) fn nas(addr: SocketAddr) -> UdpClient {
    // The NAS retransmits after 3 s, as NASes do; the proxy must answer
    // before it has to.
    UdpClient::builder(addr, NAS_SECRET)
        .retry(RetryPolicy::fixed(Duration::from_secs(3), 2))
        .build()
}

pub(crate) async fn login(c: &UdpClient, user: &str, pass: &str) -> (Code, Duration) {
    let t = Instant::now();
    let r = c
        .access_request()
        .with(UserName::new(user))
        .with(UserPassword::new(pass))
        .send()
        .await
        .unwrap();
    (r.code(), t.elapsed())
}

/// A proxy with a fail-over pool "main" of this one server.
pub(crate) fn one_home(h: HomeServer) -> Proxy {
    let name = h.name.clone();
    Proxy::new(
        vec![h],
        vec![PoolConfig {
            name: "main".into(),
            kind: PoolKind::FailOver,
            servers: vec![name],
        }],
    )
    .unwrap()
}

/// A home server with secret "home-secret" that accepts everything,
/// echoing Proxy-State, after `delay`; with `forge`, a copy with a bad
/// Response Authenticator goes first. Returns its address and how many
/// requests it received.
pub(crate) async fn fake_home(
    forge: bool,
    delay: Duration,
) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        let secret = Secret::new(b"home-secret");
        let mut buf = [0u8; 4096];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf).await else {
                return;
            };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let req = buf[..n].to_vec();
            let Ok(p) = Packet::decode(&req) else {
                continue;
            };
            let auth: [u8; 16] = req[4..20].try_into().unwrap();
            let mut out = Vec::new();
            let mut w = PacketWriter::reply(&mut out, Code::ACCESS_ACCEPT, p.identifier(), &auth);
            w.message_authenticator().unwrap();
            for ps in p.attributes().filter(|a| a.typ == 33) {
                w.attr(33, ps.value).unwrap();
            }
            w.finish(&secret).unwrap();
            tokio::time::sleep(delay).await;
            if forge {
                let mut forged = out.clone();
                forged[4] ^= 0xff; // a bad Response Authenticator
                let _ = sock.send_to(&forged, from).await;
            }
            let _ = sock.send_to(&out, from).await;
        }
    });
    (addr, seen)
}

pub(crate) fn forwarded(p: &Proxy, name: &str) -> u64 {
    p.stats()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
        .forwarded
}

async fn failover_failback_and_accounting_through_freeradius_homes(path: Path) {
    let (Some(fr1), Some(fr2)) = (FreeRadius::start(), FreeRadius::start()) else {
        return;
    };
    let port1 = fr1.auth.port();
    let proxy = Proxy::new(
        vec![home("hs1", fr1.auth), home("hs2", fr2.auth)],
        vec![PoolConfig {
            name: "main".into(),
            kind: PoolKind::FailOver,
            servers: vec!["hs1".into(), "hs2".into()],
        }],
    )
    .unwrap();
    let _probes = proxy.spawn_health_checks();
    let (_srv, auth_addr, acct_addr) = front_on(proxy.clone(), path).await;
    let c = nas(auth_addr);

    // Realm stripped (FreeRADIUS knows only "bob"), answered by the primary.
    assert_eq!(
        login(&c, "bob@example.org", "hello").await.0,
        Code::ACCESS_ACCEPT
    );
    assert_eq!(
        login(&c, "bob@example.org", "wrong").await.0,
        Code::ACCESS_REJECT
    );
    assert_eq!(forwarded(&proxy, "hs1"), 2);
    assert_eq!(forwarded(&proxy, "hs2"), 0);

    // Accounting goes to the home server's accounting port and back.
    let a = UdpClient::builder(acct_addr, NAS_SECRET)
        .retry(RetryPolicy::fixed(Duration::from_secs(3), 2))
        .build();
    use radius_dict::prelude::AcctStatusTypeValue;
    let r = a
        .accounting_request()
        .with(AcctStatusType::new(AcctStatusTypeValue::Start))
        .with(AcctSessionId::new("s1"))
        .with(UserName::new("bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCOUNTING_RESPONSE);

    // The primary dies: every request is still answered, by the second,
    // before the NAS would retransmit.
    drop(fr1);
    for i in 0..5 {
        let (code, took) = login(&c, "bob@example.org", "hello").await;
        assert_eq!(
            code,
            Code::ACCESS_ACCEPT,
            "request {i} after the primary died"
        );
        assert!(
            took < Duration::from_secs(3),
            "request {i} took {took:?}: failover waited for the NAS"
        );
    }
    assert!(forwarded(&proxy, "hs2") >= 5);

    // It comes back on its port: probes revive it and requests go there again.
    let _fr1 = FreeRadius::start_on(port1).expect("FreeRADIUS restarts");
    let before = forwarded(&proxy, "hs1");
    let t0 = Instant::now();
    loop {
        assert_eq!(
            login(&c, "bob@example.org", "hello").await.0,
            Code::ACCESS_ACCEPT
        );
        if forwarded(&proxy, "hs1") > before {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no fail-back within 20 s: {:?}",
            proxy.stats()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A home server that first sends a forged reply (wrong authenticator),
/// then the real one: the forged one is dropped and counted, the request
/// still gets its answer.
async fn forged_reply_is_dropped_and_counted(path: Path) {
    let (home_addr, _) = fake_home(true, Duration::ZERO).await;
    let mut h = HomeServer::new("fake", home_addr, "home-secret");
    h.health.response_window = Duration::from_secs(1);
    let proxy = one_home(h);
    let (_srv, auth_addr, _) = front_on(proxy.clone(), path).await;
    let c = nas(auth_addr);
    for _ in 0..3 {
        assert_eq!(login(&c, "bob", "hello").await.0, Code::ACCESS_ACCEPT);
    }
    let s = &proxy.stats()[0];
    assert_eq!(s.invalid_replies, 3, "{s:?}");
    assert_eq!(s.forwarded, 3, "{s:?}");
}

/// Nobody answers: the NAS gets an Access-Reject with a Reply-Message
/// promptly, not silence.
async fn no_home_server_answers_with_a_reject(path: Path) {
    let silent = radius_test_support::free_port_udp();
    let mut h = HomeServer::new("silent", ([127, 0, 0, 1], silent).into(), "x");
    h.health.response_window = Duration::from_millis(500);
    let proxy = one_home(h);
    let (_srv, auth_addr, _) = front_on(proxy.clone(), path).await;
    let c = nas(auth_addr);
    let t = Instant::now();
    let r = c
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCESS_REJECT);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let msg = r.get::<ReplyMessage>().unwrap().unwrap();
    assert!(msg.value().contains("no home server"), "{}", msg.value());
}

/// A NAS retransmission that arrives while the home server is still
/// working on the first copy is not forwarded again; the answer, when it
/// comes, is relayed once and a later copy gets the cached reply.
async fn nas_retransmissions_are_not_forwarded_twice(path: Path) {
    // A slow home server: the NAS retransmits meanwhile.
    let (home_addr, seen) = fake_home(false, Duration::from_millis(400)).await;
    let proxy = one_home(HomeServer::new("slow", home_addr, "home-secret"));
    let (_srv, auth_addr, _) = front_on(proxy.clone(), path).await;
    let nas = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let secret = Secret::new(NAS_SECRET);
    let mut pkt = Vec::new();
    let mut w = PacketWriter::request(&mut pkt, Code::ACCESS_REQUEST, 77);
    w.message_authenticator().unwrap();
    w.add(&UserName::new("bob"), &secret).unwrap();
    w.add(&UserPassword::new("hello"), &secret).unwrap();
    w.finish(&secret).unwrap();
    for _ in 0..3 {
        nas.send_to(&pkt, auth_addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut buf = [0u8; 4096];
    let (n, _) = tokio::time::timeout(Duration::from_secs(3), nas.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(buf[0], Code::ACCESS_ACCEPT.0);
    assert_eq!(buf[1], 77);
    let first = buf[..n].to_vec();
    // A copy after the answer: the cached reply, the same octets.
    nas.send_to(&pkt, auth_addr).await.unwrap();
    let (n, _) = tokio::time::timeout(Duration::from_secs(3), nas.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], &first[..]);
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "forwarded once"
    );
    assert_eq!(proxy.stats()[0].forwarded, 1);
}
