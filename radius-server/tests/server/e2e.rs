//! Loopback end-to-end: our own minimal client against the tokio server.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::common::*;
use radius_core::{Code, Packet, PacketWriter, Secret};
use radius_server::{DropReason, HostTable};
use tokio::net::UdpSocket;

const WAIT: Duration = Duration::from_secs(2);

async fn client() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pap_chap_accounting_coa_disconnect_status() {
    let calls = Calls::default();
    let srv = start_server(calls.clone()).await;
    let auth = srv.auth_addrs()[0];
    let acct = srv.acct_addrs()[0];
    let coa_addr = srv.coa_addrs()[0];
    let c = client().await;

    // PAP accept, with Message-Authenticator first and a Reply-Message.
    let req = pap(1, SECRET, "bob", "hello", true);
    let rep = exchange(&c, auth, &req, WAIT).await.expect("PAP answered");
    assert_eq!(
        check_reply(&rep, &req, SECRET),
        (Code::ACCESS_ACCEPT, true, true)
    );
    assert_eq!(
        Packet::decode(&rep).unwrap().find(18).unwrap(),
        b"welcome bob"
    );

    // PAP wrong password: reject (with MA).
    let req = pap(2, SECRET, "bob", "nope", true);
    let rep = exchange(&c, auth, &req, WAIT).await.expect("reject");
    assert_eq!(
        check_reply(&rep, &req, SECRET),
        (Code::ACCESS_REJECT, true, true)
    );

    // Wrong secret: silence.
    let req = pap(3, "not-the-secret", "bob", "hello", true);
    assert!(exchange(&c, auth, &req, Duration::from_millis(300))
        .await
        .is_none());

    // CHAP.
    let req = chap(4, SECRET, "bob", "hello");
    let rep = exchange(&c, auth, &req, WAIT).await.expect("CHAP");
    assert_eq!(check_reply(&rep, &req, SECRET).0, Code::ACCESS_ACCEPT);
    let req = chap(5, SECRET, "bob", "wrong");
    let rep = exchange(&c, auth, &req, WAIT).await.expect("CHAP reject");
    assert_eq!(check_reply(&rep, &req, SECRET).0, Code::ACCESS_REJECT);

    // Missing User-Name: Access-Reject, not a crash.
    let req = request(Code::ACCESS_REQUEST, 6, SECRET, true, &[]);
    let rep = exchange(&c, auth, &req, WAIT)
        .await
        .expect("reject for missing attribute");
    assert_eq!(check_reply(&rep, &req, SECRET).0, Code::ACCESS_REJECT);

    // Accounting start and stop.
    for (id, status) in [(7u8, 1u32), (8, 2)] {
        let req = request(
            Code::ACCOUNTING_REQUEST,
            id,
            SECRET,
            false,
            &[(40, &status.to_be_bytes()), (44, b"sess-1")],
        );
        let rep = exchange(&c, acct, &req, WAIT)
            .await
            .expect("accounting answered");
        assert_eq!(check_reply(&rep, &req, SECRET).0, Code::ACCOUNTING_RESPONSE);
    }
    // Accounting without Acct-Status-Type: no answer (RFC 2866).
    let req = request(
        Code::ACCOUNTING_REQUEST,
        9,
        SECRET,
        false,
        &[(44, b"sess-1")],
    );
    assert!(exchange(&c, acct, &req, Duration::from_millis(300))
        .await
        .is_none());

    // CoA / Disconnect, ACK and NAK.
    let req = request(Code::COA_REQUEST, 10, SECRET, false, &[(1, b"bob")]);
    let rep = exchange(&c, coa_addr, &req, WAIT).await.expect("CoA");
    assert_eq!(check_reply(&rep, &req, SECRET).0, Code::COA_ACK);
    let req = request(Code::COA_REQUEST, 11, SECRET, true, &[(1, b"eve")]);
    let rep = exchange(&c, coa_addr, &req, WAIT).await.expect("CoA NAK");
    assert_eq!(check_reply(&rep, &req, SECRET), (Code::COA_NAK, true, true));
    let req = request(Code::DISCONNECT_REQUEST, 12, SECRET, false, &[(1, b"bob")]);
    let rep = exchange(&c, coa_addr, &req, WAIT)
        .await
        .expect("Disconnect");
    assert_eq!(check_reply(&rep, &req, SECRET).0, Code::DISCONNECT_ACK);
    let req = request(Code::DISCONNECT_REQUEST, 13, SECRET, false, &[(44, b"x")]);
    let rep = exchange(&c, coa_addr, &req, WAIT)
        .await
        .expect("Disconnect NAK for missing User-Name");
    assert_eq!(check_reply(&rep, &req, SECRET).0, Code::DISCONNECT_NAK);
    assert_eq!(
        Packet::decode(&rep).unwrap().find(101).unwrap(),
        402u32.to_be_bytes()
    );

    // Status-Server on auth and acct.
    let req = request(Code::STATUS_SERVER, 14, SECRET, true, &[]);
    let rep = exchange(&c, auth, &req, WAIT).await.expect("status auth");
    assert_eq!(
        check_reply(&rep, &req, SECRET),
        (Code::ACCESS_ACCEPT, true, true)
    );
    let rep = exchange(&c, acct, &req, WAIT).await.expect("status acct");
    assert_eq!(
        check_reply(&rep, &req, SECRET),
        (Code::ACCOUNTING_RESPONSE, true, true)
    );

    let s = srv.stats().snapshot();
    assert_eq!(s.accepted, 2);
    assert_eq!(s.rejected, 3);
    assert_eq!(s.accounting_responses, 2);
    assert_eq!(
        (s.coa_acks, s.coa_naks, s.disconnect_acks, s.disconnect_naks),
        (1, 1, 1, 1)
    );
    assert_eq!(s.status_server, 2);
    assert_eq!(s.dropped(DropReason::BadMessageAuthenticator), 1);
    assert_eq!(s.dropped(DropReason::NoReply), 1);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retransmission_gets_cached_reply_and_handler_runs_once() {
    let calls = Calls::default();
    let srv = start_server(calls.clone()).await;
    let auth = srv.auth_addrs()[0];
    let c = client().await;

    // Fast handler: the retransmission is answered from the cache.
    let req = pap(1, SECRET, "bob", "hello", true);
    let first = exchange(&c, auth, &req, WAIT).await.unwrap();
    let second = exchange(&c, auth, &req, WAIT).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(calls.0.load(Ordering::Relaxed), 1);

    // Slow handler (spawned): copies sent while it runs are dropped, one reply comes.
    let req = pap(2, SECRET, "slow", "hello", true);
    c.send_to(&req, auth).await.unwrap();
    c.send_to(&req, auth).await.unwrap();
    c.send_to(&req, auth).await.unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = tokio::time::timeout(WAIT, c.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check_reply(&buf[..n], &req, SECRET).0, Code::ACCESS_ACCEPT);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), c.recv_from(&mut buf))
            .await
            .is_err(),
        "only one reply"
    );
    assert_eq!(calls.0.load(Ordering::Relaxed), 2);
    let s = srv.stats().snapshot();
    assert_eq!(s.duplicates, 1);
    assert_eq!(s.dropped(DropReason::DuplicateInProgress), 2);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_timeout_drops_and_counts() {
    let srv = start_server(Calls::default()).await;
    let auth = srv.auth_addrs()[0];
    let c = client().await;
    let req = pap(1, SECRET, "hang", "hello", true);
    assert!(exchange(&c, auth, &req, Duration::from_millis(800))
        .await
        .is_none());
    assert_eq!(srv.stats().dropped(DropReason::HandlerTimeout), 1);
    assert_eq!(srv.in_flight(), 0);
    // The server still answers.
    let req = pap(2, SECRET, "bob", "hello", true);
    assert!(exchange(&c, auth, &req, WAIT).await.is_some());
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_limit_drops_under_overload() {
    let srv = radius_server::Server::with_state(Calls::default())
        .clients(
            HostTable::new()
                .add("127.0.0.1", "localhost", SECRET)
                .unwrap(),
        )
        .auth(auth)
        .bind_auth("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .max_in_flight(4, 2)
        .spawn()
        .await
        .unwrap();
    let addr = srv.auth_addrs()[0];
    let c = client().await;
    for id in 0..10u8 {
        c.send_to(&pap(id, SECRET, "slow", "hello", true), addr)
            .await
            .unwrap();
    }
    let mut answered = 0;
    let mut buf = [0u8; 4096];
    while let Ok(Ok(_)) =
        tokio::time::timeout(Duration::from_millis(500), c.recv_from(&mut buf)).await
    {
        answered += 1;
    }
    assert_eq!(answered, 2, "per-client limit of 2 in flight");
    assert_eq!(srv.stats().dropped(DropReason::Overloaded), 8);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback() {
    let Ok(probe) = std::net::UdpSocket::bind("[::1]:0") else {
        eprintln!("skipping: no IPv6 loopback on this machine");
        return;
    };
    drop(probe);
    let srv = start_server_on(
        Calls::default(),
        "[::1]:0".parse().unwrap(),
        HostTable::new().add("::1/128", "v6", SECRET).unwrap(),
    )
    .await;
    let c = UdpSocket::bind("[::1]:0").await.unwrap();
    let req = pap(1, SECRET, "bob", "hello", true);
    let rep = exchange(&c, srv.auth_addrs()[0], &req, WAIT)
        .await
        .expect("answered over IPv6");
    assert_eq!(check_reply(&rep, &req, SECRET).0, Code::ACCESS_ACCEPT);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tunnel_password_in_reply_is_encrypted_for_the_request() {
    // Deferred (secret-dependent) reply attributes are encoded with the request authenticator.
    use radius_dict::prelude::TunnelPassword;
    let srv = radius_server::Server::builder()
        .clients(
            HostTable::new()
                .add("127.0.0.1", "localhost", SECRET)
                .unwrap(),
        )
        .auth(|_req: radius_server::Request| async {
            radius_server::AccessAccept::new().with(TunnelPassword::new("s3cret").with_tag(1))
        })
        .bind_auth("127.0.0.1:0".parse().unwrap())
        .spawn()
        .await
        .unwrap();
    let c = client().await;
    let req = pap(1, SECRET, "bob", "hello", true);
    let rep = exchange(&c, srv.auth_addrs()[0], &req, WAIT).await.unwrap();
    let p = Packet::decode(&rep).unwrap();
    let secret = Secret::new(SECRET);
    let ra = auth_of(&req);
    let ctx = radius_core::CryptoCtx {
        secret: &secret,
        authenticator: &ra,
    };
    use radius_core::PacketExt;
    let tp = p.get::<TunnelPassword>(&ctx).unwrap().unwrap();
    assert_eq!((tp.value().as_str(), tp.tag()), ("s3cret", 1));
    let _ = PacketWriter::request;
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_checked_and_signed_in_batches_matches_one_by_one() {
    // 120 requests sent back to back reach the listener in batches, whose
    // authenticators and User-Passwords are computed in SIMD lanes and whose
    // replies are signed together: every answer must be what one request at
    // a time gets.
    let srv = start_server(Calls::default()).await;
    let to = srv.auth_addrs()[0];
    let c = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut sent = Vec::new();
    for id in 0..120u8 {
        let mut pkt = match id % 4 {
            0 => pap(id, SECRET, "bob", "wrong", true),
            1 | 2 => pap(id, SECRET, "bob", "hello", true),
            _ => chap(id, SECRET, "bob", "hello"),
        };
        if id % 4 == 1 {
            // Break the Message-Authenticator: dropped, counted, no reply.
            let at = Packet::decode(&pkt)
                .unwrap()
                .message_authenticator_offset()
                .unwrap();
            pkt[at] ^= 0xff;
        }
        sent.push(pkt);
    }
    for p in &sent {
        c.send_to(p, to).unwrap();
    }
    let mut buf = [0u8; 4096];
    let mut seen = [false; 120];
    for _ in 0..90 {
        let (n, _) = c.recv_from(&mut buf).expect("90 replies within 5 s");
        let id = buf[1];
        assert!(!seen[id as usize], "one reply per request");
        seen[id as usize] = true;
        let (code, has_ma, first) = check_reply(&buf[..n], &sent[id as usize], SECRET);
        assert!(
            has_ma && first,
            "Message-Authenticator first in every reply"
        );
        let want = if id % 4 == 0 {
            Code::ACCESS_REJECT
        } else {
            Code::ACCESS_ACCEPT
        };
        assert_eq!(code, want, "request {id}");
        assert_ne!(id % 4, 1, "a forged request was answered");
    }
    let s = srv.stats().snapshot();
    assert_eq!(s.dropped(DropReason::BadMessageAuthenticator), 30);
    assert_eq!((s.accepted, s.rejected), (60, 30));
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_handler_costs_its_request_not_the_listener() {
    // A handler bug (unwrap on bad input ...) must not stop the listener:
    // the request is dropped and counted, and later requests are answered.
    let srv = radius_server::Server::builder()
        .clients(
            HostTable::new()
                .add("127.0.0.1", "localhost", SECRET)
                .unwrap(),
        )
        .auth(|req: radius_server::Request| async move {
            let user = req.raw_attrs(1).next().unwrap_or_default().to_vec();
            match &user[..] {
                b"boom" => panic!("inline panic"),
                b"later" => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    panic!("panic after an await")
                }
                _ => radius_server::AccessAccept::new(),
            }
        })
        .bind_auth("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .spawn()
        .await
        .unwrap();
    let to = srv.auth_addrs()[0];
    let c = client().await;
    let boom = pap(1, SECRET, "boom", "x", true);
    let later = pap(2, SECRET, "later", "x", true);
    for req in [&boom, &later] {
        assert!(
            exchange(&c, to, req, Duration::from_millis(300))
                .await
                .is_none(),
            "no answer"
        );
    }
    for id in 3..6u8 {
        let req = pap(id, SECRET, "bob", "hello", true);
        let rep = exchange(&c, to, &req, WAIT).await.expect("still serving");
        assert_eq!(check_reply(&rep, &req, SECRET).0, Code::ACCESS_ACCEPT);
    }
    // The panicked requests were forgotten, not left "in progress": a
    // retransmission runs the handler again (and panics again).
    let _ = exchange(&c, to, &boom, Duration::from_millis(100)).await;
    let s = srv.stats().snapshot();
    assert_eq!(s.dropped(DropReason::HandlerPanic), 3);
    assert_eq!(s.dropped(DropReason::DuplicateInProgress), 0);
    srv.shutdown().await;
}
