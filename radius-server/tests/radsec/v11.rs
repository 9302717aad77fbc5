//! RADIUS/1.1 (RFC 9765) over RadSec: ALPN negotiation in each setting,
//! Token header on the wire, attributes in clear, Message-Authenticator
//! neither needed nor sent, duplicates by Token, client matching by Token.
//! Interop is with ourselves only: radsecproxy 1.9 does not speak 1.1.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::{localhost, Ca, UserName, UserPassword};
use radius_core::{Code, Packet, PacketWriter, Secret};
use radius_server::radsec::{
    RadSecClient, RadSecClientConfig, RadSecHandle, RadSecServer, RadiusV11, TlsClient,
    TlsClientTable, TlsConfig,
};
use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, RadiusVersion, Reply, Shared,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use radius_dict::prelude::{ReplyMessage, TunnelPassword};

#[derive(Clone, Default)]
struct Calls(Arc<AtomicU64>);

/// bob/hello accepted with a tagged Tunnel-Password; "slow" accepted after
/// 20 ms; others rejected. Reply-Message: "<version> <user>".
#[radius_handler]
async fn auth(
    req: AccessRequest,
    name: UserName,
    pass: Option<UserPassword>,
    calls: Shared<Calls>,
) -> Reply {
    calls.0 .0.fetch_add(1, Ordering::Relaxed);
    let msg = ReplyMessage::new(format!("{} {}", req.version(), &*name));
    if &*name == "slow" {
        tokio::time::sleep(Duration::from_millis(20)).await;
        return AccessAccept::new().with(msg).into();
    }
    match pass {
        Some(p) if &*name == "bob" && &*p == "hello" => AccessAccept::new()
            .with(msg)
            .with(TunnelPassword::new("tunnel-pw").with_tag(5))
            .into(),
        _ => AccessReject::new().with(msg).into(),
    }
}

async fn server(ca: &Ca, v11: RadiusV11, entry: TlsClient, calls: Calls) -> RadSecHandle {
    RadSecServer::with_state(ca.tls(&ca.server()), calls)
        .clients(TlsClientTable::new().with(entry))
        .auth(auth)
        .radius_v11(v11)
        .bind(localhost())
        .spawn()
        .await
        .expect("RadSec server starts")
}

fn loopback() -> TlsClient {
    TlsClient::new("loopback").addr("127.0.0.0/8".parse::<radius_server::Cidr>().unwrap())
}

fn client(srv: &RadSecHandle, tls: TlsConfig, v11: RadiusV11) -> RadSecClient {
    let mut cfg = RadSecClientConfig::new(srv.local_addr(), "localhost");
    cfg.radius_v11 = v11;
    cfg.watchdog_interval = None;
    RadSecClient::new(cfg, tls).unwrap()
}

async fn pap(
    c: &RadSecClient,
    user: &str,
    pass: &str,
) -> Result<radius_server::radsec::Response, radius_server::radsec::ClientError> {
    let (u, p) = (user.to_owned(), pass.to_owned());
    c.request(Code::ACCESS_REQUEST, move |w, secret| {
        w.add(&UserName::new(u), secret)?;
        w.add(&UserPassword::new(p), secret)
    })
    .await
}

/// A raw TLS connection offering `alpn`.
async fn raw_tls(
    srv: &RadSecHandle,
    tls: &TlsConfig,
    alpn: &[&[u8]],
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let mut cfg = tls.client_config().unwrap();
    cfg.alpn_protocols = alpn.iter().map(|a| a.to_vec()).collect();
    let tcp = tokio::net::TcpStream::connect(srv.local_addr()).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await
}

async fn read_packet<R: AsyncReadExt + Unpin>(r: &mut R) -> Vec<u8> {
    let mut hdr = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(5), r.read_exact(&mut hdr))
        .await
        .expect("reply in time")
        .unwrap();
    let len = u16::from_be_bytes([hdr[2], hdr[3]]) as usize;
    let mut pkt = hdr.to_vec();
    pkt.resize(len, 0);
    r.read_exact(&mut pkt[4..]).await.unwrap();
    pkt
}

/// A RADIUS/1.1 Access-Request written by hand: User-Password in clear and
/// a Message-Authenticator full of garbage (to be ignored).
fn v11_pap(token: u32, user: &str, pass: &str) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = PacketWriter::v1_1(&mut buf, Code::ACCESS_REQUEST, token);
    w.attr(80, &[0xab; 16]).unwrap();
    w.attr(1, user.as_bytes()).unwrap();
    w.attr(2, pass.as_bytes()).unwrap();
    w.finish(&Secret::new("unused")).unwrap();
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v11_negotiated_when_both_offer_it() {
    let ca = Ca::new("CA");
    let srv = server(&ca, RadiusV11::Allowed, loopback(), Calls::default()).await;
    let c = client(&srv, ca.tls(&ca.client("nas")), RadiusV11::Allowed);
    let r = pap(&c, "bob", "hello").await.unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    assert_eq!(r.version(), RadiusVersion::V1_1);
    assert!(r.token().is_some());
    assert_eq!(
        &*r.get::<ReplyMessage>().unwrap().unwrap(),
        "RADIUS/1.1 bob"
    );
    let tp = r.get::<TunnelPassword>().unwrap().unwrap();
    assert_eq!((tp.value().as_str(), tp.tag()), ("tunnel-pw", 5));
    assert!(!r.packet().has_message_authenticator());
    // Status-Server needs no Message-Authenticator in 1.1.
    let s = c.status().await.unwrap();
    assert_eq!(s.code(), Code::ACCESS_ACCEPT);
    assert!(!s.packet().has_message_authenticator());
    // A client requiring 1.1 gets it too; require_message_authenticator
    // does not apply to 1.1 (there is none).
    let mut cfg = RadSecClientConfig::new(srv.local_addr(), "localhost");
    cfg.radius_v11 = RadiusV11::Required;
    cfg.require_message_authenticator = true;
    let c = RadSecClient::new(cfg, ca.tls(&ca.client("nas"))).unwrap();
    let r = pap(&c, "bob", "bad").await.unwrap();
    assert_eq!(r.code(), Code::ACCESS_REJECT);
    assert_eq!(r.version(), RadiusVersion::V1_1);
    // The server prefers radius/1.1 whatever the client's order.
    let s = raw_tls(
        &srv,
        &ca.tls(&ca.client("nas")),
        &[b"radius/1.0", b"radius/1.1"],
    )
    .await
    .unwrap();
    assert_eq!(s.get_ref().1.alpn_protocol(), Some(&b"radius/1.1"[..]));
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v10_when_client_offers_only_1_0_and_server_allows_both() {
    let ca = Ca::new("CA");
    let srv = server(&ca, RadiusV11::Allowed, loopback(), Calls::default()).await;
    let c = client(&srv, ca.tls(&ca.client("nas")), RadiusV11::Off);
    let r = pap(&c, "bob", "hello").await.unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    assert_eq!(r.version(), RadiusVersion::V1_0);
    assert_eq!(r.token(), None);
    assert_eq!(
        &*r.get::<ReplyMessage>().unwrap().unwrap(),
        "RADIUS/1.0 bob"
    );
    // Obfuscated as ever, and Message-Authenticator present in 1.0.
    assert!(r.packet().has_message_authenticator());
    assert_ne!(&r.packet().find(69).unwrap()[1..], b"tunnel-pw");
    let tp = r.get::<TunnelPassword>().unwrap().unwrap();
    assert_eq!((tp.value().as_str(), tp.tag()), ("tunnel-pw", 5));
    // No ALPN at all is RADIUS/1.0 as well.
    let s = raw_tls(&srv, &ca.tls(&ca.client("nas")), &[])
        .await
        .unwrap();
    assert_eq!(s.get_ref().1.alpn_protocol(), None);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_refused_when_server_requires_1_1_and_client_offers_only_1_0() {
    let ca = Ca::new("CA");
    let calls = Calls::default();
    let srv = server(&ca, RadiusV11::Required, loopback(), calls.clone()).await;
    let c = client(&srv, ca.tls(&ca.client("nas")), RadiusV11::Off);
    let e = pap(&c, "bob", "hello").await.unwrap_err();
    assert!(e.to_string().contains("ALPN"), "{e}");
    assert!(srv.handshake_failures() >= 1);
    // A peer sending no ALPN completes TLS but is closed at once.
    let mut s = raw_tls(&srv, &ca.tls(&ca.client("nas")), &[])
        .await
        .unwrap();
    let _ = s
        .write_all(&crate::support::raw_pap(1, "bob", "hello"))
        .await;
    let mut buf = [0u8; 20];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    assert_eq!(calls.0.load(Ordering::Relaxed), 0);
    let errs = srv.recent_handshake_errors().join("\n");
    assert!(errs.contains("radius_v11 = required"), "{errs}");
    // And a client that requires 1.1 from a 1.0-only server gives up.
    let srv10 = server(&ca, RadiusV11::Off, loopback(), Calls::default()).await;
    let c = client(&srv10, ca.tls(&ca.client("nas")), RadiusV11::Required);
    let e = pap(&c, "bob", "hello").await.unwrap_err();
    assert!(e.to_string().contains("ALPN"), "{e}");
    srv.shutdown().await;
    srv10.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_entry_narrows_the_listener_setting() {
    let ca = Ca::new("CA");
    let srv = server(
        &ca,
        RadiusV11::Allowed,
        loopback().radius_v11(RadiusV11::Required),
        Calls::default(),
    )
    .await;
    let old = client(&srv, ca.tls(&ca.client("nas")), RadiusV11::Off);
    assert!(pap(&old, "bob", "hello").await.is_err());
    let errs = srv.recent_handshake_errors().join("\n");
    assert!(
        errs.contains("client entry has radius_v11 = required"),
        "{errs}"
    );
    let new = client(&srv, ca.tls(&ca.client("nas")), RadiusV11::Allowed);
    assert_eq!(
        pap(&new, "bob", "hello").await.unwrap().version(),
        RadiusVersion::V1_1
    );
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v11_wire_clear_password_ignored_ma_same_token_no_ma_clear_tunnel_password() {
    let ca = Ca::new("CA");
    let calls = Calls::default();
    let srv = server(&ca, RadiusV11::Required, loopback(), calls.clone()).await;
    let mut s = raw_tls(&srv, &ca.tls(&ca.client("nas")), &[b"radius/1.1"])
        .await
        .unwrap();
    assert_eq!(s.get_ref().1.alpn_protocol(), Some(&b"radius/1.1"[..]));
    s.write_all(&v11_pap(0xcafe_f00d, "bob", "hello"))
        .await
        .unwrap();
    let reply = read_packet(&mut s).await;
    let p = Packet::decode(&reply).unwrap();
    assert_eq!(
        p.code(),
        Code::ACCESS_ACCEPT,
        "garbage MA ignored, clear password read"
    );
    assert_eq!(p.token(), 0xcafe_f00d);
    assert_eq!(reply[1], 0);
    assert_eq!(&reply[8..20], &[0; 12]);
    assert!(!p.has_message_authenticator());
    assert_eq!(p.find(18).unwrap(), b"RADIUS/1.1 bob");
    // Tunnel-Password in clear: tag, then the password (no salt, no padding).
    assert_eq!(p.find(69).unwrap(), b"\x05tunnel-pw");

    // Duplicates by Token: the same Token is answered from the cache
    // (byte-identical, no second handler call); a new Token is a new request.
    s.write_all(&v11_pap(0xcafe_f00d, "bob", "hello"))
        .await
        .unwrap();
    assert_eq!(read_packet(&mut s).await, reply);
    assert_eq!(calls.0.load(Ordering::Relaxed), 1);
    assert_eq!(srv.stats().snapshot().duplicates, 1);
    s.write_all(&v11_pap(0xcafe_f00e, "bob", "wrong"))
        .await
        .unwrap();
    let r2 = read_packet(&mut s).await;
    let p2 = Packet::decode(&r2).unwrap();
    assert_eq!((p2.code(), p2.token()), (Code::ACCESS_REJECT, 0xcafe_f00e));
    assert_eq!(calls.0.load(Ordering::Relaxed), 2);

    // A Message-Authenticator of the wrong length is ignored too (RFC 9765):
    // in RADIUS/1.0 that packet would be dropped as malformed.
    let mut buf = Vec::new();
    let mut w = PacketWriter::v1_1(&mut buf, Code::ACCESS_REQUEST, 0xcafe_f00f);
    w.attr(80, &[0xab; 4]).unwrap();
    w.attr(1, b"bob").unwrap();
    w.attr(2, b"hello").unwrap();
    w.finish(&Secret::new("unused")).unwrap();
    assert!(Packet::decode(&buf).is_err());
    s.write_all(&buf).await.unwrap();
    let r3 = read_packet(&mut s).await;
    let p3 = Packet::decode(&r3).unwrap();
    assert_eq!((p3.code(), p3.token()), (Code::ACCESS_ACCEPT, 0xcafe_f00f));
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v11_client_matches_replies_by_token_with_many_in_flight() {
    let ca = Ca::new("CA");
    let calls = Calls::default();
    let srv = server(&ca, RadiusV11::Allowed, loopback(), calls.clone()).await;
    let c = client(&srv, ca.tls(&ca.client("nas")), RadiusV11::Required);
    let mut tasks = Vec::new();
    for i in 0..300u32 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            // Slow ones finish after fast ones: replies come out of order.
            let (user, pass) = match i % 3 {
                0 => ("slow".to_string(), "x"),
                1 => (format!("user{i}"), "nope"),
                _ => ("bob".to_string(), "hello"),
            };
            let r = pap(&c, &user, pass).await.unwrap();
            let want = match i % 3 {
                1 => Code::ACCESS_REJECT,
                _ => Code::ACCESS_ACCEPT,
            };
            assert_eq!(r.code(), want);
            assert_eq!(
                r.get::<ReplyMessage>().unwrap().unwrap().into_value(),
                format!("RADIUS/1.1 {user}")
            );
            r.token().unwrap()
        }));
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap());
    }
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(tokens.len(), 300, "every request had its own Token");
    assert_eq!(calls.0.load(Ordering::Relaxed), 300);
    assert_eq!(c.connects(), 1);
    srv.shutdown().await;
}

/// BlastRADIUS rules are UDP's: over RadSec (TLS authenticates and
/// protects every packet, as FreeRADIUS's TLS listeners treat it), an
/// Access-Request without Message-Authenticator is served even after the
/// same client entry sent one with it (`auto` must not learn here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radsec_access_requests_need_no_message_authenticator() {
    let ca = Ca::new("CA");
    let calls = Calls::default();
    let srv = server(&ca, RadiusV11::Off, loopback(), calls.clone()).await;
    let mut s = raw_tls(&srv, &ca.tls(&ca.client("nas")), &[])
        .await
        .unwrap();
    s.write_all(&crate::support::raw_pap(1, "bob", "hello"))
        .await
        .unwrap();
    assert_eq!(read_packet(&mut s).await[0], 2, "Access-Accept");
    // The same request without Message-Authenticator, on this connection
    // and on a second one.
    let secret = radius_core::Secret::new("radsec");
    let plain = |id: u8| {
        let mut buf = Vec::new();
        let mut w =
            radius_core::PacketWriter::request(&mut buf, radius_core::Code::ACCESS_REQUEST, id);
        w.add(&UserName::new("bob"), &secret).unwrap();
        w.add(&UserPassword::new("hello"), &secret).unwrap();
        w.finish(&secret).unwrap();
        buf
    };
    s.write_all(&plain(2)).await.unwrap();
    assert_eq!(
        read_packet(&mut s).await[0],
        2,
        "served without Message-Authenticator"
    );
    let mut t = raw_tls(&srv, &ca.tls(&ca.client("nas2")), &[])
        .await
        .unwrap();
    t.write_all(&plain(3)).await.unwrap();
    assert_eq!(read_packet(&mut t).await[0], 2);
    assert_eq!(calls.0.load(std::sync::atomic::Ordering::Relaxed), 3);
    srv.shutdown().await;
}
