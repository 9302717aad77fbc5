//! Connections that never finish the TLS handshake (issue 16): thousands
//! of them from other loopback addresses (127.0.0.2 and up; all of 127/8
//! is loopback on Linux), reopened as soon as the server closes them,
//! while a client with a valid certificate on 127.0.0.1 must be answered.
//! A third of the attackers stay silent, a third send half a TLS record,
//! a third a whole ClientHello and then nothing.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use radius_core::Code;
use radius_server::radsec::{
    RadSecClientConfig, RadSecConfig, RadSecServer, TlsClient, TlsClientTable,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// One flood test at a time: each holds thousands of sockets.
pub static ONE_FLOOD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Raise the soft open-file limit towards `want` (the hard limit caps it).
pub fn raise_nofile(want: u64) {
    #[cfg(target_os = "linux")]
    // SAFETY: getrlimit/setrlimit with a valid, initialised struct.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 && r.rlim_cur < want {
            r.rlim_cur = want.min(r.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

/// A ClientHello as a real client sends it (one TLS record).
pub fn client_hello() -> Vec<u8> {
    let ca = Ca::new("hello");
    let cfg = ca.tls(&ca.client("x")).client_config().unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    assert_eq!(out[0], 0x16, "a handshake record");
    out
}

/// Attackers keeping `per_source` connections each open from every source.
pub struct Flood {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
    /// Connections made so far.
    pub opened: Arc<AtomicU64>,
    /// Connections open now (connected, not yet closed by the server).
    pub held: Arc<AtomicU64>,
}

impl Flood {
    pub fn start(target: SocketAddr, sources: &[Ipv4Addr], per_source: usize) -> Flood {
        let stop = Arc::new(AtomicBool::new(false));
        let opened = Arc::new(AtomicU64::new(0));
        let held = Arc::new(AtomicU64::new(0));
        let hello: Arc<[u8]> = client_hello().into();
        let mut tasks = Vec::new();
        for (s, src) in sources.iter().enumerate() {
            for i in 0..per_source {
                let (stop, opened, held) = (stop.clone(), opened.clone(), held.clone());
                let (src, hello) = (*src, hello.clone());
                tasks.push(tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(tcp) = connect_from(src, target).await else {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        };
                        opened.fetch_add(1, Ordering::Relaxed);
                        held.fetch_add(1, Ordering::Relaxed);
                        hold(tcp, (s + i) % 3, &hello, &stop).await;
                        held.fetch_sub(1, Ordering::Relaxed);
                        // Reopen at once (a short pause keeps two shared cores usable).
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }));
            }
        }
        Flood {
            stop,
            tasks,
            opened,
            held,
        }
    }

    /// Stop the attackers; how many connections they opened.
    pub async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = t.await;
        }
        self.opened.load(Ordering::Relaxed)
    }
}

/// Send nothing (kind 0), half a TLS record (1) or a ClientHello (2), then
/// keep the connection until the server closes it or `stop`.
async fn hold(mut tcp: TcpStream, kind: usize, hello: &[u8], stop: &AtomicBool) {
    let _ = match kind {
        0 => Ok(()),
        // A record header announcing 512 octets, then 2 of them.
        1 => {
            tcp.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])
                .await
        }
        _ => tcp.write_all(hello).await,
    };
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_millis(200), tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => {}
            Err(_) if stop.load(Ordering::Relaxed) => return,
            Err(_) => {}
        }
    }
}

/// A TCP connection to `target` from `src` (port chosen at connect).
pub async fn connect_from(src: Ipv4Addr, target: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    // Only the 4-tuple must be unique: leave the port to connect().
    #[cfg(target_os = "linux")]
    // SAFETY: setsockopt on an open socket with a valid int option.
    unsafe {
        use std::os::fd::AsRawFd;
        let one: libc::c_int = 1;
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    s.bind(SocketAddr::from((src, 0)))?;
    tokio::time::timeout(Duration::from_secs(2), s.connect(target))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
}

pub fn sources(first: Ipv4Addr, n: u32) -> Vec<Ipv4Addr> {
    (0..n)
        .map(|i| Ipv4Addr::from(u32::from(first) + i))
        .collect()
}

/// A client with a valid certificate, short timeouts and backoff.
pub fn valid_client(srv: SocketAddr, ca: &Ca) -> radius_server::radsec::RadSecClient {
    let mut cfg = RadSecClientConfig::new(srv, "localhost");
    cfg.request_timeout = Duration::from_secs(3);
    cfg.connect_timeout = Duration::from_secs(3);
    cfg.min_backoff = Duration::from_millis(50);
    cfg.max_backoff = Duration::from_millis(200);
    radius_server::radsec::RadSecClient::new(cfg, ca.tls(&ca.client("nas1"))).unwrap()
}

/// The legitimate client: `n` Access-Requests, one at a time; how many
/// were accepted and the slowest answer.
pub async fn legit(srv: SocketAddr, ca: &Ca, n: usize) -> (usize, Duration, String) {
    let c = valid_client(srv, ca);
    let (mut ok, mut slowest, mut last_err) = (0, Duration::ZERO, String::new());
    for _ in 0..n {
        let t = Instant::now();
        match pap(&c, "bob", "hello").await {
            Ok(r) if r.code() == Code::ACCESS_ACCEPT => ok += 1,
            Ok(r) => last_err = format!("{:?}", r.code()),
            Err(e) => last_err = e.to_string(),
        }
        slowest = slowest.max(t.elapsed());
        // Spread over the flood (about a second for 50).
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (ok, slowest, last_err)
}

/// Wait until the flood holds at least `n` connections (at most 10 s).
pub async fn until_held(f: &Flood, n: u64) {
    let t = Instant::now();
    while f.held.load(Ordering::Relaxed) < n && t.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_source_budget_keeps_a_valid_client_served_during_a_flood() {
    let _one = ONE_FLOOD.lock().await;
    raise_nofile(16384);
    let ca = Ca::new("CA");
    let calls = Calls::default();
    let srv = start_server(ca.tls(&ca.server()), calls.clone(), RadSecConfig::default()).await;
    // 3,000 connections from four addresses, each far over its budget.
    let flood = Flood::start(
        srv.local_addr(),
        &sources(Ipv4Addr::new(127, 0, 0, 2), 4),
        750,
    );
    until_held(&flood, 64).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let n = 50;
    let mut most = 0;
    let (ok, slowest, err) = tokio::select! {
        r = legit(srv.local_addr(), &ca, n) => r,
        _ = watch_handshakes(&srv, &mut most) => unreachable!(),
    };
    let (opened, a) = (flood.stop().await, srv.admission());
    eprintln!(
        "flood from 4 sources: {opened} connections opened, at most {most} handshakes in progress; \
         valid client: {ok}/{n} accepted, slowest {slowest:?}; {a:?}"
    );
    assert_eq!(
        ok, n,
        "valid client answered during the flood (last error: {err})"
    );
    assert!(opened >= 3000, "the flood opened {opened}");
    // 16 per source and the valid client's: the total (256) never reached.
    assert!(most <= 4 * 16 + 1, "{most}");
    assert!(a.source_busy > 0 && a.full == 0 && a.evicted == 0, "{a:?}");
    assert_eq!(calls.get(), n as u64);
    srv.shutdown().await;
}

/// Record the most handshakes in progress seen (runs until dropped).
async fn watch_handshakes(srv: &radius_server::radsec::RadSecHandle, most: &mut usize) {
    loop {
        *most = (*most).max(srv.handshakes());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn total_budget_leaves_room_for_a_source_that_connects_once() {
    let _one = ONE_FLOOD.lock().await;
    raise_nofile(16384);
    let ca = Ca::new("CA");
    let mut cfg = RadSecConfig::default();
    cfg.handshakes.total = 128;
    let srv = start_server(ca.tls(&ca.server()), Calls::default(), cfg).await;
    // 40 sources x 16 = 640 handshakes wanted, five times the total; 2,000
    // connections kept open.
    let flood = Flood::start(
        srv.local_addr(),
        &sources(Ipv4Addr::new(127, 0, 1, 1), 40),
        50,
    );
    until_held(&flood, 128).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let n = 50;
    let mut most = 0;
    let (ok, slowest, err) = tokio::select! {
        r = legit(srv.local_addr(), &ca, n) => r,
        _ = watch_handshakes(&srv, &mut most) => unreachable!(),
    };
    let (opened, a) = (flood.stop().await, srv.admission());
    eprintln!(
        "flood from 40 sources: {opened} connections opened, at most {most} handshakes in progress; \
         valid client: {ok}/{n} accepted, slowest {slowest:?}; {a:?}"
    );
    assert_eq!(
        ok, n,
        "valid client answered during the flood (last error: {err})"
    );
    assert!(most <= 128, "{most} handshakes in progress");
    assert!(a.full > 0, "the total budget was reached: {a:?}");
    assert!(
        a.evicted > 0,
        "the valid client displaced an attacker's handshake: {a:?}"
    );
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_or_stalled_handshake_is_closed_at_the_deadline() {
    let ca = Ca::new("CA");
    let cfg = RadSecConfig {
        handshake_timeout: Duration::from_millis(600),
        ..Default::default()
    };
    let srv = start_server(ca.tls(&ca.server()), Calls::default(), cfg).await;
    let hello = client_hello();
    let src = Ipv4Addr::new(127, 0, 2, 1);
    let mut tasks = Vec::new();
    for kind in 0..3 {
        let (target, hello) = (srv.local_addr(), hello.clone());
        tasks.push(tokio::spawn(async move {
            let mut tcp = connect_from(src, target).await.unwrap();
            let t = Instant::now();
            match kind {
                0 => {}
                1 => tcp.write_all(&hello[..hello.len() / 2]).await.unwrap(),
                _ => tcp.write_all(&hello).await.unwrap(),
            }
            let mut buf = vec![0u8; 16384];
            // Whatever the server says (ServerHello ...), then its close.
            let closed = tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            })
            .await;
            (kind, closed.is_ok(), t.elapsed())
        }));
    }
    for t in tasks {
        let (kind, closed, after) = t.await.unwrap();
        eprintln!("stalled handshake kind {kind}: closed {closed} after {after:?}");
        assert!(closed, "kind {kind}: still open after 5 s");
        assert!(
            after >= Duration::from_millis(500) && after < Duration::from_secs(3),
            "kind {kind}: closed after {after:?}, deadline 600 ms"
        );
    }
    for _ in 0..100 {
        if srv.handshakes() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(srv.handshakes(), 0, "slots given back");
    assert_eq!(srv.handshake_failures(), 3);
    let errors = srv.recent_handshake_errors();
    assert!(errors.iter().all(|e| e.contains("timed out")), "{errors:?}");
    srv.shutdown().await;
}

/// Connect from `src`, send a ClientHello: the server must close the
/// connection without one TLS octet.
async fn closed_without_tls(src: Ipv4Addr, srv: SocketAddr) {
    let mut tcp = connect_from(src, srv).await.unwrap();
    // The ClientHello may or may not get in before the close.
    let _ = tcp.write_all(&client_hello()).await;
    let mut buf = vec![0u8; 16384];
    let r = tokio::time::timeout(Duration::from_secs(2), tcp.read(&mut buf)).await;
    assert!(
        matches!(r, Ok(Ok(0)) | Ok(Err(_))),
        "closed at once, no TLS octet: {r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_outside_the_allowed_networks_is_closed_without_tls() {
    let ca = Ca::new("CA");
    let srv = RadSecServer::with_state(ca.tls(&ca.server()), Calls::default())
        .clients(TlsClientTable::new().with(TlsClient::new("any")))
        .allowed_sources(["127.0.0.1/32".parse::<radius_server::Cidr>().unwrap()])
        .auth(auth)
        .bind(localhost())
        .spawn()
        .await
        .unwrap();
    closed_without_tls(Ipv4Addr::new(127, 0, 3, 1), srv.local_addr()).await;
    assert_eq!(srv.admission().not_allowed, 1);
    assert_eq!(srv.admission().admitted, 0);
    assert_eq!(srv.handshake_failures(), 0, "no TLS work");
    // 127.0.0.1 is allowed.
    let (ok, _, err) = legit(srv.local_addr(), &ca, 3).await;
    assert_eq!(ok, 3, "{err}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_tables_addresses_restrict_the_sources() {
    // Every entry requires an address: nothing else could match, so other
    // sources are closed before TLS.
    let ca = Ca::new("CA");
    let one: radius_server::Cidr = "127.0.0.1/32".parse().unwrap();
    let srv = RadSecServer::with_state(ca.tls(&ca.server()), Calls::default())
        .clients(TlsClientTable::new().with(TlsClient::new("lo").addr(one)))
        .auth(auth)
        .bind(localhost())
        .spawn()
        .await
        .unwrap();
    closed_without_tls(Ipv4Addr::new(127, 0, 3, 1), srv.local_addr()).await;
    assert_eq!(srv.admission().not_allowed, 1);
    assert_eq!(srv.handshake_failures(), 0, "no TLS work");
    let (ok, _, err) = legit(srv.local_addr(), &ca, 2).await;
    assert_eq!(ok, 2, "{err}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn established_capacity_is_not_used_up_by_handshakes() {
    let _one = ONE_FLOOD.lock().await;
    let ca = Ca::new("CA");
    let cfg = RadSecConfig {
        max_connections: 2,
        ..Default::default()
    };
    let srv = start_server(ca.tls(&ca.server()), Calls::default(), cfg).await;
    // Far more handshakes in progress than established connections allowed.
    let flood = Flood::start(
        srv.local_addr(),
        &sources(Ipv4Addr::new(127, 0, 4, 1), 8),
        20,
    );
    until_held(&flood, 100).await;
    assert!(srv.handshakes() > 2, "{}", srv.handshakes());
    // Two established connections (kept open), answered.
    let (one, two) = (
        valid_client(srv.local_addr(), &ca),
        valid_client(srv.local_addr(), &ca),
    );
    for c in [&one, &two] {
        for _ in 0..5 {
            assert_eq!(
                pap(c, "bob", "hello").await.unwrap().code(),
                Code::ACCESS_ACCEPT
            );
        }
    }
    assert_eq!(srv.over_capacity(), 0);
    // A third is over capacity: closed after its handshake.
    let third = valid_client(srv.local_addr(), &ca);
    assert!(pap(&third, "bob", "hello").await.is_err());
    assert!(srv.over_capacity() >= 1);
    // The first two still work.
    assert_eq!(
        pap(&one, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    flood.stop().await;
    srv.shutdown().await;
}
