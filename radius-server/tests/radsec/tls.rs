//! RadSec server and client over loopback TLS with certificates generated
//! at test time: acceptance, every rejection case, stream robustness,
//! requests in flight, duplicates, the client watchdog and reconnect.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use radius_core::{Code, Packet};
use radius_server::radsec::{ClientError, RadSecConfig, TlsConfig, TlsConfigError};
use rcgen::ExtendedKeyUsagePurpose as Eku;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

async fn setup() -> (Ca, radius_server::radsec::RadSecHandle, Calls) {
    let ca = Ca::new("Test CA");
    let calls = Calls::default();
    let srv = start_server(ca.tls(&ca.server()), calls.clone(), RadSecConfig::default()).await;
    (ca, srv, calls)
}

fn reply_message(r: &radius_server::radsec::Response) -> String {
    String::from_utf8_lossy(r.packet().find(18).unwrap_or_default()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_client_accepted_reject_and_status() {
    let (ca, srv, calls) = setup().await;
    let c = client(srv.local_addr(), ca.tls(&ca.client("nas1.example.org")));
    let r = pap(&c, "bob", "hello").await.unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    // The handler learned the transport through the Transport extractor.
    assert_eq!(reply_message(&r), "Tls bob");
    // Message-Authenticator is in the reply (verified by the client).
    assert!(r.packet().has_message_authenticator());
    let r = pap(&c, "bob", "wrong").await.unwrap();
    assert_eq!(r.code(), Code::ACCESS_REJECT);
    let r = c.status().await.unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    assert_eq!(calls.get(), 2);
    assert_eq!(c.connects(), 1, "one connection reused");
    assert_eq!(srv.connections(), 1);
    assert_eq!(srv.handshake_failures(), 0);
    srv.shutdown().await;
}

async fn rejected(srv: &radius_server::radsec::RadSecHandle, tls: TlsConfig, expect: &str) {
    let before = srv.handshake_failures();
    let c = client(srv.local_addr(), tls);
    let err = pap(&c, "bob", "hello").await.expect_err("must be rejected");
    // TLS 1.3: the client finishes before the server checks its certificate,
    // so the failure shows as the server's alert on the connection.
    let text = err.to_string();
    assert!(
        matches!(
            err,
            ClientError::Connect { .. } | ClientError::ConnectionLost(_)
        ),
        "{text}"
    );
    for _ in 0..100 {
        if srv.handshake_failures() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(srv.handshake_failures(), before + 1);
    let last = srv.recent_handshake_errors().pop().unwrap();
    assert!(
        last.contains(expect),
        "server said {last:?}, want {expect:?}; client said {text}"
    );
    eprintln!("server: {last}\nclient: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_of_another_ca_rejected() {
    let (ca, srv, _) = setup().await;
    let other = Ca::new("Other CA");
    // Trusts our CA for the server, but presents a certificate of another CA.
    let leaf = other.client("intruder");
    let tls =
        TlsConfig::from_pem(leaf.cert.as_bytes(), leaf.key.as_bytes(), ca.pem.as_bytes()).unwrap();
    rejected(&srv, tls, "unknown CA").await;
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_client_rejected() {
    let (ca, srv, _) = setup().await;
    let leaf = ca.leaf("old", &["old"], &[Eku::ClientAuth], Some((2000, 2001)));
    rejected(&srv, ca.tls(&leaf), "expired").await;
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_usage_rejected() {
    let (ca, srv, _) = setup().await;
    // A server certificate (serverAuth only) used as a client certificate.
    let leaf = ca.leaf("notaclient", &["notaclient"], &[Eku::ServerAuth], None);
    rejected(&srv, ca.tls(&leaf), "wrong key usage").await;
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_certificate_rejected() {
    let (ca, srv, _) = setup().await;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca.pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    use rustls::pki_types::pem::PemObject;
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(srv.local_addr())
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let r = TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await;
    if let Ok(mut s) = r {
        // TLS 1.3: the refusal arrives as an alert on the first read.
        let _ = s.write_all(&raw_pap(1, "bob", "hello")).await;
        let mut b = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut b))
            .await
            .unwrap();
        assert!(
            !matches!(n, Ok(k) if k > 0),
            "no reply without a client certificate"
        );
    }
    for _ in 0..100 {
        if srv.handshake_failures() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let last = srv
        .recent_handshake_errors()
        .pop()
        .expect("a handshake failure");
    assert!(last.contains("no client certificate"), "{last}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_errors_name_the_problem() {
    let ca = Ca::new("CA");
    let a = ca.client("a");
    let b = ca.client("b");
    let e =
        TlsConfig::from_pem(a.cert.as_bytes(), b.key.as_bytes(), ca.pem.as_bytes()).unwrap_err();
    assert!(matches!(e, TlsConfigError::KeyMismatch { .. }), "{e}");
    assert!(e.to_string().contains("does not match"), "{e}");

    let dir = TempDir::new("cfg");
    let (ca_path, cert, key) = ca.write(&dir.0, "a", &a);
    let missing = dir.0.join("nope.pem");
    let e = TlsConfig::from_pem_files(&cert, &key, &missing).unwrap_err();
    assert!(
        e.to_string().contains("cannot read CA file") && e.to_string().contains("nope.pem"),
        "{e}"
    );
    // A key file given as the certificate.
    let e = TlsConfig::from_pem_files(&key, &key, &ca_path).unwrap_err();
    assert!(e.to_string().contains("no CERTIFICATE section"), "{e}");
    // A certificate given as the key.
    let e = TlsConfig::from_pem_files(&cert, &cert, &ca_path).unwrap_err();
    assert!(e.to_string().contains("PRIVATE KEY"), "{e}");
    // Mismatch through files names both files.
    let (_, _, key_b) = ca.write(&dir.0, "b", &b);
    let e = TlsConfig::from_pem_files(&cert, &key_b, &ca_path).unwrap_err();
    assert!(
        e.to_string().contains("b.key") && e.to_string().contains("a.pem"),
        "{e}"
    );
    // Bad CRL.
    let bad_crl = dir.0.join("bad.crl");
    std::fs::write(
        &bad_crl,
        "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
    )
    .unwrap();
    let e = TlsConfig::from_pem_files(&cert, &key, &ca_path)
        .unwrap()
        .with_crl_file(&bad_crl)
        .unwrap_err();
    assert!(e.to_string().contains("bad.crl"), "{e}");
    TlsConfig::from_pem_files(&cert, &key, &ca_path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_client_rejected_by_crl() {
    let ca = Ca::new("CRL CA");
    let good = ca.client("good");
    let bad_params = {
        // Issue the revoked certificate with a known serial.
        let mut p = rcgen::CertificateParams::new(vec!["bad".to_string()]).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, "bad");
        p.extended_key_usages = vec![Eku::ClientAuth];
        p.serial_number = Some(rcgen::SerialNumber::from(vec![0x42]));
        p
    };
    let bad = ca.sign(bad_params);
    let crl = ca.crl(&[vec![0x42]]);
    let tls = ca.tls(&ca.server()).with_crl_pem(crl.as_bytes()).unwrap();
    let srv = start_server(tls, Calls::default(), RadSecConfig::default()).await;
    let c = client(srv.local_addr(), ca.tls(&good));
    assert_eq!(
        pap(&c, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    rejected(&srv, ca.tls(&bad), "revoked").await;
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_stream_closes_only_that_connection() {
    let (ca, srv, _) = setup().await;
    let good = client(srv.local_addr(), ca.tls(&ca.client("good")));
    assert_eq!(
        pap(&good, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );

    for bad_len in [5u16, 19, 4097, 65535] {
        let cfg = ca.tls(&ca.client("bad")).client_config().unwrap();
        let tcp = tokio::net::TcpStream::connect(srv.local_addr())
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut s = TlsConnector::from(Arc::new(cfg))
            .connect(name, tcp)
            .await
            .unwrap();
        // One good packet first: answered.
        s.write_all(&raw_pap(7, "bob", "hello")).await.unwrap();
        let mut hdr = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut hdr))
            .await
            .unwrap()
            .unwrap();
        assert!(
            n >= 20 && hdr[0] == 2 && hdr[1] == 7,
            "accept for the good packet"
        );
        // Then a header with a bad Length: the server closes the connection.
        let mut junk = vec![1u8, 8];
        junk.extend_from_slice(&bad_len.to_be_bytes());
        junk.extend_from_slice(&[0u8; 16]);
        s.write_all(&junk).await.unwrap();
        let r = tokio::time::timeout(Duration::from_secs(2), s.read(&mut hdr))
            .await
            .unwrap();
        assert!(
            matches!(r, Ok(0) | Err(_)),
            "connection closed after Length {bad_len}: {r:?}"
        );
    }
    assert_eq!(srv.stream_errors(), 4);
    // The other connection is untouched.
    assert_eq!(
        pap(&good, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    assert_eq!(good.connects(), 1);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_requests_in_flight_on_one_connection() {
    let (ca, srv, calls) = setup().await;
    let c = client(srv.local_addr(), ca.tls(&ca.client("busy")));
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            // Slow ones finish after fast ones sent later: replies out of order.
            let user = if i % 2 == 0 { "slow" } else { "bob" };
            let r = pap(&c, user, "hello").await.unwrap();
            assert_eq!(r.code(), Code::ACCESS_ACCEPT);
            assert_eq!(reply_message(&r), format!("Tls {user}"));
        }));
    }
    let t0 = std::time::Instant::now();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(calls.get(), 200);
    assert_eq!(c.connects(), 1, "all on one connection");
    // 100 slow (30 ms) handlers ran concurrently, not one after another.
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_limit_applies_backpressure_without_drops() {
    let ca = Ca::new("CA");
    let calls = Calls::default();
    let cfg = RadSecConfig {
        max_in_flight_per_connection: 4,
        ..Default::default()
    };
    let srv = start_server(ca.tls(&ca.server()), calls.clone(), cfg).await;
    let c = client(srv.local_addr(), ca.tls(&ca.client("x")));
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            pap(&c, "slow", "x").await.unwrap().code()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), Code::ACCESS_ACCEPT);
    }
    assert_eq!(calls.get(), 40);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_on_a_connection_answered_from_cache() {
    let (ca, srv, calls) = setup().await;
    let cfg = ca.tls(&ca.client("dup")).client_config().unwrap();
    let tcp = tokio::net::TcpStream::connect(srv.local_addr())
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut s = TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .unwrap();
    let req = raw_pap(9, "bob", "hello");
    let mut replies = Vec::new();
    for _ in 0..2 {
        s.write_all(&req).await.unwrap();
        let mut b = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut b))
            .await
            .unwrap()
            .unwrap();
        b.truncate(n);
        replies.push(b);
    }
    assert_eq!(replies[0], replies[1]);
    let p = Packet::decode(&replies[0]).unwrap();
    assert_eq!(p.code(), Code::ACCESS_ACCEPT);
    p.verify_reply(
        &radius_core::Secret::new("radsec"),
        req[4..20].try_into().unwrap(),
    )
    .unwrap();
    assert_eq!(calls.get(), 1, "the handler ran once");
    assert_eq!(srv.stats().snapshot().duplicates, 1);
    srv.shutdown().await;
}

/// A TCP relay in front of `to` that can go silent: while `mute` is set it
/// reads and discards both ways but keeps every connection open, as a
/// server does that stopped answering (TLS passes through untouched).
async fn mutable_relay(to: std::net::SocketAddr, mute: Arc<AtomicBool>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(to).await else {
                continue;
            };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pipe(cr, sw, mute.clone()));
            tokio::spawn(pipe(sr, cw, mute.clone()));
        }
    });
    addr
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mute: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if !mute.load(Ordering::Relaxed) && to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_watchdog_closes_a_connection_whose_server_stopped_answering() {
    let ca = Ca::new("CA");
    let srv = start_server(
        ca.tls(&ca.server()),
        Calls::default(),
        RadSecConfig::default(),
    )
    .await;
    let mute = Arc::new(AtomicBool::new(false));
    let relay = mutable_relay(srv.local_addr(), mute.clone()).await;
    let watchdog_timeout = Duration::from_millis(200);
    let mut cfg = radius_server::radsec::RadSecClientConfig::new(relay, "localhost");
    cfg.watchdog_interval = Some(Duration::from_millis(200));
    cfg.watchdog_timeout = watchdog_timeout;
    // Far longer than the watchdog: a request that ends early was ended by it.
    cfg.request_timeout = Duration::from_secs(5);
    let c = radius_server::radsec::RadSecClient::new(cfg, ca.tls(&ca.client("wd"))).unwrap();
    assert_eq!(
        pap(&c, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );

    // Idle but answering: the watchdog's Status-Server is answered and the
    // connection stays.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        srv.stats().snapshot().status_server >= 1,
        "watchdog sent Status-Server"
    );
    assert!(c.is_connected());
    assert_eq!(c.connects(), 1);

    // The server goes silent with the connection still open: only the
    // watchdog can notice. Its unanswered Status-Server closes the
    // connection and fails the request waiting on it.
    mute.store(true, Ordering::Relaxed);
    let t0 = std::time::Instant::now();
    let e = tokio::time::timeout(Duration::from_secs(3), pap(&c, "bob", "hello"))
        .await
        .expect("the watchdog ends the request before its own 5 s timeout")
        .unwrap_err();
    let waited = t0.elapsed();
    assert!(
        matches!(&e, ClientError::ConnectionLost(why) if why.contains("watchdog")),
        "{e}"
    );
    assert!(
        waited >= watchdog_timeout,
        "closed after an unanswered Status-Server, not before: {waited:?}"
    );
    assert!(!c.is_connected());
    assert_eq!(c.connects(), 1);

    // Answering again: the next request opens a new connection.
    mute.store(false, Ordering::Relaxed);
    assert_eq!(
        pap(&c, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    assert_eq!(c.connects(), 2);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reconnects_with_backoff_after_the_server_restarts() {
    let ca = Ca::new("CA");
    let server_tls = ca.tls(&ca.server());
    let srv = start_server(
        server_tls.clone(),
        Calls::default(),
        RadSecConfig::default(),
    )
    .await;
    let addr = srv.local_addr();
    let mut cfg = radius_server::radsec::RadSecClientConfig::new(addr, "localhost");
    // No watchdog: the closed connection itself must be noticed.
    cfg.watchdog_interval = None;
    cfg.min_backoff = Duration::from_millis(50);
    cfg.max_backoff = Duration::from_millis(400);
    cfg.request_timeout = Duration::from_secs(2);
    let c = radius_server::radsec::RadSecClient::new(cfg, ca.tls(&ca.client("re"))).unwrap();
    assert_eq!(
        pap(&c, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    assert!(c.is_connected());
    srv.shutdown().await;
    // The server is gone: the connection is noticed as lost.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!c.is_connected());
    let e = pap(&c, "bob", "hello").await.unwrap_err();
    assert!(
        matches!(e, ClientError::Connect { .. } | ClientError::Backoff { .. }),
        "{e}"
    );
    // Back on the same address: the client reconnects after its backoff.
    let srv = radius_server::radsec::RadSecServer::with_state(server_tls, Calls::default())
        .clients(
            radius_server::radsec::TlsClientTable::new()
                .with(radius_server::radsec::TlsClient::new("any")),
        )
        .auth(auth)
        .bind(addr)
        .spawn()
        .await
        .unwrap();
    let mut ok = false;
    for _ in 0..40 {
        match pap(&c, "bob", "hello").await {
            Ok(r) => {
                assert_eq!(r.code(), Code::ACCESS_ACCEPT);
                ok = true;
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(ok, "reconnected");
    assert_eq!(c.connects(), 2);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_client_and_alpn() {
    let ca = Ca::new("CA");
    // Only "nas-a" by certificate name is a client.
    let srv =
        radius_server::radsec::RadSecServer::with_state(ca.tls(&ca.server()), Calls::default())
            .clients(
                radius_server::radsec::TlsClientTable::new().with(
                    radius_server::radsec::TlsClient::new("a").cert_name("nas-a.example.org"),
                ),
            )
            .auth(auth)
            .bind(localhost())
            .spawn()
            .await
            .unwrap();
    let a = client(srv.local_addr(), ca.tls(&ca.client("nas-a.example.org")));
    assert_eq!(
        pap(&a, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    let b = client(srv.local_addr(), ca.tls(&ca.client("nas-b.example.org")));
    assert!(pap(&b, "bob", "hello").await.is_err());
    assert_eq!(srv.stream_errors(), 1);

    // A client offering only radius/1.1 is refused in the handshake.
    let mut cfg = ca
        .tls(&ca.client("nas-a.example.org"))
        .client_config()
        .unwrap();
    cfg.alpn_protocols = vec![b"radius/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(srv.local_addr())
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let e = TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .unwrap_err();
    let text = radius_server::radsec::describe_tls_error(&e);
    assert!(text.contains("ALPN"), "{text}");
    // One offering radius/1.0 gets it.
    let cfg = ca
        .tls(&ca.client("nas-a.example.org"))
        .client_config()
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(srv.local_addr())
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let s = TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .unwrap();
    assert_eq!(s.get_ref().1.alpn_protocol(), Some(&b"radius/1.0"[..]));
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coa_and_disconnect_on_the_same_connection() {
    use radius_server::{
        radius_handler, CoaAck, CoaNak, CoaRequest, DisconnectAck, DisconnectRequest,
    };

    #[radius_handler]
    async fn coa(_req: CoaRequest, name: UserName) -> radius_server::Reply {
        if name.as_str() == "bob" {
            CoaAck::new().into()
        } else {
            CoaNak::new()
                .error_cause(radius_dict::prelude::ErrorCauseValue::SessionContextNotFound)
                .into()
        }
    }
    #[radius_handler]
    async fn disconnect(_req: DisconnectRequest) -> DisconnectAck {
        DisconnectAck::new()
    }
    let ca = Ca::new("Test CA");
    let srv =
        radius_server::radsec::RadSecServer::with_state(ca.tls(&ca.server()), Calls::default())
            .clients(
                radius_server::radsec::TlsClientTable::new()
                    .with(radius_server::radsec::TlsClient::new("any")),
            )
            .auth(auth)
            .coa(coa)
            .disconnect(disconnect)
            .bind(localhost())
            .spawn()
            .await
            .unwrap();
    let c = client(srv.local_addr(), ca.tls(&ca.client("nas")));
    assert_eq!(
        pap(&c, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    let send =
        |code, user: &'static str| c.request(code, move |w, s| w.add(&UserName::new(user), s));
    assert_eq!(
        send(Code::COA_REQUEST, "bob").await.unwrap().code(),
        Code::COA_ACK
    );
    let nak = send(Code::COA_REQUEST, "eve").await.unwrap();
    assert_eq!(nak.code(), Code::COA_NAK);
    assert_eq!(nak.packet().find(101), Some(&503u32.to_be_bytes()[..]));
    assert_eq!(
        send(Code::DISCONNECT_REQUEST, "bob").await.unwrap().code(),
        Code::DISCONNECT_ACK
    );
    assert_eq!(c.connects(), 1, "one connection carried all of it");
    srv.shutdown().await;
}

/// A server that answers each Access-Request first with a correctly signed
/// reply of the wrong kind (CoA-ACK), then with a forged Access-Accept
/// (bad Response Authenticator), and only then with the real Access-Accept.
/// The client must deliver only the last, on the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_kind_or_forged_reply_is_not_delivered_and_keeps_the_connection() {
    use radius_core::{PacketWriter, Secret};
    let ca = Ca::new("Test CA");
    let cfg = ca.tls(&ca.server()).server_config().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind(localhost()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let seen = accepts.clone();
    let server = tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut s = acceptor.accept(tcp).await.unwrap();
            let secret = Secret::new("radsec");
            let mut buf = vec![0u8; 4096];
            loop {
                let mut hdr = [0u8; 4];
                if s.read_exact(&mut hdr).await.is_err() {
                    break;
                }
                let len = u16::from_be_bytes([hdr[2], hdr[3]]) as usize;
                buf[..4].copy_from_slice(&hdr);
                s.read_exact(&mut buf[4..len]).await.unwrap();
                let req = Packet::decode(&buf[..len]).unwrap();
                let answer = |code: Code, forge: bool| {
                    let mut out = Vec::new();
                    let mut w =
                        PacketWriter::reply(&mut out, code, req.identifier(), req.authenticator());
                    w.message_authenticator().unwrap();
                    w.finish(&secret).unwrap();
                    if forge {
                        out[4] ^= 0xff;
                    }
                    out
                };
                for (code, forge) in [
                    (Code::COA_ACK, false),
                    (Code::ACCESS_ACCEPT, true),
                    (Code::ACCESS_ACCEPT, false),
                ] {
                    s.write_all(&answer(code, forge)).await.unwrap();
                    s.flush().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    });
    let c = client(addr, ca.tls(&ca.client("nas")));
    for _ in 0..3 {
        let r = pap(&c, "bob", "hello").await.unwrap();
        assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    }
    assert_eq!(c.connects(), 1);
    assert_eq!(accepts.load(std::sync::atomic::Ordering::SeqCst), 1);
    server.abort();
}

/// Certificate rotation (a reload): `replace_tls` serves new connections
/// with the new server certificate; a connection made before keeps working
/// and a client that trusts only the old CA is refused from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_server_certificate_serves_new_connections() {
    let (old_ca, srv, _calls) = setup().await;
    let client_leaf = old_ca.client("nas1.example.org");
    let before = client(srv.local_addr(), old_ca.tls(&client_leaf));
    assert_eq!(
        pap(&before, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );

    // A new server certificate from another CA; client certificates are
    // still checked against the old one.
    let new_ca = Ca::new("Rotated CA");
    let server = new_ca.server();
    let rotated = TlsConfig::from_pem(
        server.cert.as_bytes(),
        server.key.as_bytes(),
        old_ca.pem.as_bytes(),
    )
    .unwrap();
    srv.replace_tls(&rotated).unwrap();

    // The established connection is untouched.
    assert_eq!(
        pap(&before, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    assert_eq!(before.connects(), 1);
    // A client trusting the new CA connects; one trusting only the old is refused.
    let trusts_new = TlsConfig::from_pem(
        client_leaf.cert.as_bytes(),
        client_leaf.key.as_bytes(),
        new_ca.pem.as_bytes(),
    )
    .unwrap();
    let after = client(srv.local_addr(), trusts_new);
    assert_eq!(
        pap(&after, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    let stale = client(srv.local_addr(), old_ca.tls(&client_leaf));
    assert!(pap(&stale, "bob", "hello").await.is_err());
}
