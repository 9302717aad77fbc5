//! The UDP client against our own server (and against small fake servers
//! and a lossy proxy for the retransmission and verification rules).

use crate::support::*;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use radius_core::{Code, Packet, PacketWriter, Secret};
use radius_server::client::RetryPolicy;
use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, AccountingRequest,
    AccountingResponse, Cidr, ClientConfig, ClientError, CoaAck, CoaNak, CoaRequest, DisconnectAck,
    DisconnectNak, DisconnectRequest, HostTable, Reply, RequireMessageAuthenticator, Server,
    ServerHandle, Shared, UdpClient,
};
use tokio::net::UdpSocket;

use radius_dict::prelude::{ErrorCause, ReplyMessage};

const SECRET: &str = "testing123";

#[derive(Clone, Default)]
struct Calls(Arc<AtomicU64>);

#[radius_handler]
async fn auth(
    _req: AccessRequest,
    name: UserName,
    pass: UserPassword,
    calls: Shared<Calls>,
) -> Reply {
    calls.0 .0.fetch_add(1, Ordering::Relaxed);
    if name.as_str() == "slow" {
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    if pass.as_str() == "hello" {
        AccessAccept::new()
            .with(ReplyMessage::new(format!("welcome {}", name.as_str())))
            .into()
    } else {
        AccessReject::new().into()
    }
}

#[radius_handler]
async fn acct(_req: AccountingRequest, _status: AcctStatusType) -> AccountingResponse {
    AccountingResponse::new()
}

#[radius_handler]
async fn coa(_req: CoaRequest, name: UserName) -> Reply {
    if name.as_str() == "bob" {
        CoaAck::new().into()
    } else {
        CoaNak::new()
            .error_cause(radius_dict::prelude::ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}

#[radius_handler]
async fn disconnect(_req: DisconnectRequest, name: UserName) -> Reply {
    if name.as_str() == "bob" {
        DisconnectAck::new().into()
    } else {
        DisconnectNak::new()
            .error_cause(radius_dict::prelude::ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}

async fn server(calls: Calls) -> ServerHandle {
    let hosts = HostTable::new().with(
        "127.0.0.0/8".parse::<Cidr>().unwrap(),
        ClientConfig::new("localhost", SECRET),
    );
    let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Server::with_state(calls)
        .clients(hosts)
        .auth(auth)
        .accounting(acct)
        .coa(coa)
        .disconnect(disconnect)
        .bind_auth(lo)
        .bind_acct(lo)
        .bind_coa(lo)
        .workers(1)
        .spawn()
        .await
        .unwrap()
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        initial: Duration::from_millis(200),
        max_interval: Duration::from_millis(400),
        max_attempts: 3,
        total: Duration::from_secs(2),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_acct_status_coa_disconnect() {
    let calls = Calls::default();
    let srv = server(calls.clone()).await;
    let c = UdpClient::builder(srv.auth_addrs()[0], SECRET)
        .retry(quick())
        .build();

    let r = c
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    assert!(r.is_positive());
    assert!(r.has_message_authenticator(), "our server signs replies");
    assert_eq!(r.attempts(), 1);
    assert_eq!(
        r.get::<ReplyMessage>().unwrap().unwrap().as_str(),
        "welcome bob"
    );

    let r = c
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCESS_REJECT);
    assert!(!r.is_positive());

    // Status-Server on the auth port.
    let r = c.status_server().send().await.unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);

    // Accounting.
    let a = UdpClient::builder(srv.acct_addrs()[0], SECRET)
        .retry(quick())
        .build();
    let r = a
        .accounting_request()
        .with(AcctStatusType::new(
            radius_dict::prelude::AcctStatusTypeValue::Start,
        ))
        .with(AcctSessionId::new("s1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCOUNTING_RESPONSE);
    let r = a.status_server().send().await.unwrap();
    assert_eq!(r.code(), Code::ACCOUNTING_RESPONSE);

    // CoA / Disconnect towards a "NAS".
    let n = UdpClient::builder(srv.coa_addrs()[0], SECRET)
        .retry(quick())
        .build();
    let r = n
        .coa_request()
        .with(UserName::new("bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::COA_ACK);
    let r = n
        .coa_request()
        .with(UserName::new("eve"))
        .message_authenticator()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}: {:?} {:?}", n.stats(), srv.stats().snapshot()));
    assert_eq!(r.code(), Code::COA_NAK, "{:?}", srv.stats().snapshot());
    assert_eq!(
        r.get::<ErrorCause>().unwrap().unwrap().into_value(),
        radius_dict::prelude::ErrorCauseValue::SessionContextNotFound
    );
    let r = n
        .disconnect_request()
        .with(UserName::new("bob"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}: {:?} {:?}", n.stats(), srv.stats().snapshot()));
    assert_eq!(r.code(), Code::DISCONNECT_ACK);

    // Wrong secret: the server stays silent, the client times out after
    // the policy's attempts.
    let w = UdpClient::builder(srv.auth_addrs()[0], "wrong")
        .retry(quick())
        .build();
    let t0 = std::time::Instant::now();
    let e = w
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("hello"))
        .send()
        .await
        .unwrap_err();
    match e {
        ClientError::Timeout { attempts, .. } => assert_eq!(attempts, 3),
        e => panic!("expected a timeout, got {e}"),
    }
    // 200 + 400 + 400 ms (±10%).
    assert!(
        t0.elapsed() >= Duration::from_millis(850),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(w.stats().retransmissions, 2);
    assert_eq!(w.stats().timeouts, 1);

    // Encoding errors surface at send.
    let long = "x".repeat(200);
    let e = c
        .access_request()
        .with(UserPassword::new(long))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Encode(_)), "{e}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_in_flight_use_several_sockets() {
    let calls = Calls::default();
    let srv = server(calls.clone()).await;
    let c = UdpClient::builder(srv.auth_addrs()[0], SECRET)
        .retry(RetryPolicy::fixed(Duration::from_secs(2), 3))
        .max_sockets(8)
        .build();
    // "slow" keeps each request in flight for 30 ms, so 1000 at once need
    // four sockets' worth of Identifiers; assert at least three so a slow
    // spawn loop on a loaded CI machine cannot make it flaky.
    all_accepted(&c, 1000, "slow", "hello").await;
    let st = c.stats();
    assert!(st.sockets >= 3, "{st:?}");
    assert_eq!(st.replies, 1000);

    // One socket only: 600 requests wait for Identifiers and all succeed.
    let one = UdpClient::builder(srv.auth_addrs()[0], SECRET)
        .retry(RetryPolicy::fixed(Duration::from_secs(2), 3))
        .max_sockets(1)
        .build();
    all_accepted(&one, 600, "slow", "hello").await;
    assert_eq!(one.stats().sockets, 1);
    srv.shutdown().await;
}

/// A proxy between client and server that drops chosen datagrams and
/// records what the client sent.
struct LossyProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// Drops the first `drop_requests` client datagrams and the first
/// `drop_replies` server datagrams.
async fn lossy_proxy(server: SocketAddr, drop_requests: usize, drop_replies: usize) -> LossyProxy {
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    back.connect(server).await.unwrap();
    let addr = front.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client_addr = Arc::new(Mutex::new(None::<SocketAddr>));
    {
        let (front, back, seen, client_addr) = (
            front.clone(),
            back.clone(),
            seen.clone(),
            client_addr.clone(),
        );
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            let mut n_req = 0;
            loop {
                let (n, from) = front.recv_from(&mut buf).await.unwrap();
                *client_addr.lock().unwrap() = Some(from);
                seen.lock().unwrap().push(buf[..n].to_vec());
                n_req += 1;
                if n_req > drop_requests {
                    let _ = back.send(&buf[..n]).await;
                }
            }
        });
    }
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        let mut n_rep = 0;
        loop {
            let Ok(n) = back.recv(&mut buf).await else {
                continue;
            };
            n_rep += 1;
            if n_rep > drop_replies {
                let to = client_addr.lock().unwrap().expect("client known");
                let _ = front.send_to(&buf[..n], to).await;
            }
        }
    });
    LossyProxy { addr, seen }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retransmits_same_datagram_when_the_first_is_lost() {
    let calls = Calls::default();
    let srv = server(calls.clone()).await;

    // The first request datagram is dropped.
    let proxy = lossy_proxy(srv.auth_addrs()[0], 1, 0).await;
    let c = UdpClient::builder(proxy.addr, SECRET)
        .retry(quick())
        .build();
    let r = c
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    assert_eq!(r.attempts(), 2);
    assert!(r.rtt() >= Duration::from_millis(180));
    let seen = proxy.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], seen[1], "same Identifier, authenticator, octets");
    assert_eq!(calls.0.load(Ordering::Relaxed), 1);

    // The first reply is dropped: the retransmission hits the server's
    // duplicate cache, so the handler runs once and the cached reply
    // comes back.
    let proxy = lossy_proxy(srv.auth_addrs()[0], 0, 1).await;
    let c = UdpClient::builder(proxy.addr, SECRET)
        .retry(quick())
        .build();
    let r = c
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    assert_eq!(r.attempts(), 2);
    assert_eq!(
        calls.0.load(Ordering::Relaxed),
        2,
        "handler ran once more, not twice"
    );
    assert!(srv.stats().snapshot().duplicates >= 1);
    srv.shutdown().await;
}

/// A fake server answering each request with the replies `make` builds.
async fn fake_server(make: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + Sync + 'static) -> SocketAddr {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = s.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        loop {
            let (n, from) = s.recv_from(&mut buf).await.unwrap();
            for rep in make(&buf[..n]) {
                s.send_to(&rep, from).await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    addr
}

fn reply_to(req: &[u8], code: Code, secret: &str, ma: bool, msg: &[u8]) -> Vec<u8> {
    let p = Packet::decode(req).unwrap();
    let mut buf = Vec::new();
    let mut w = PacketWriter::reply(&mut buf, code, p.identifier(), p.authenticator());
    if ma {
        w.message_authenticator().unwrap();
    }
    w.attr(18, msg).unwrap();
    w.finish(&Secret::new(secret)).unwrap();
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_unsigned_replies_are_discarded() {
    // Every request gets, in order: a reply signed with the wrong secret, a
    // reply with a broken Message-Authenticator, a wrong code, then the
    // genuine one. Only the genuine one counts.
    let addr = fake_server(|req| {
        let good = reply_to(req, Code::ACCESS_ACCEPT, SECRET, true, b"genuine");
        let forged = reply_to(req, Code::ACCESS_ACCEPT, "guess", true, b"forged");
        let mut bad_ma = reply_to(req, Code::ACCESS_ACCEPT, SECRET, true, b"tampered");
        bad_ma[25] ^= 0xff;
        let auth: [u8; 16] = req[4..20].try_into().unwrap();
        let ra = radius_core::crypto::response_authenticator(&Secret::new(SECRET), &bad_ma, &auth);
        bad_ma[4..20].copy_from_slice(&ra);
        let wrong_code = reply_to(req, Code::COA_ACK, SECRET, true, b"wrong code");
        vec![forged, bad_ma, wrong_code, good]
    })
    .await;
    let c = UdpClient::builder(addr, SECRET).retry(quick()).build();
    let r = c
        .access_request()
        .with(UserName::new("bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.get::<ReplyMessage>().unwrap().unwrap().as_str(),
        "genuine"
    );
    assert_eq!(r.attempts(), 1);
    assert_eq!(c.stats().invalid_replies, 3);

    // A server that signs its replies once and then stops: under the
    // default Auto rule the unsigned reply is refused; with No it passes.
    let flip = Arc::new(AtomicU64::new(0));
    let f = flip.clone();
    let addr = fake_server(move |req| {
        let ma = f.fetch_add(1, Ordering::Relaxed) == 0;
        vec![reply_to(req, Code::ACCESS_ACCEPT, SECRET, ma, b"hi")]
    })
    .await;
    let c = UdpClient::builder(addr, SECRET).retry(quick()).build();
    assert!(c
        .access_request()
        .send()
        .await
        .unwrap()
        .has_message_authenticator());
    let e = c.access_request().send().await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(c.stats().invalid_replies >= 1);
    let lax = UdpClient::builder(addr, SECRET)
        .retry(quick())
        .require_message_authenticator(RequireMessageAuthenticator::No)
        .build();
    assert!(!lax
        .access_request()
        .send()
        .await
        .unwrap()
        .has_message_authenticator());
    let strict = UdpClient::builder(addr, SECRET)
        .retry(quick())
        .require_message_authenticator(RequireMessageAuthenticator::Yes)
        .build();
    assert!(strict
        .access_request()
        .send()
        .await
        .unwrap_err()
        .is_timeout());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_arriving_together_are_checked_together() {
    // A server that waits for all 12 requests, then sends every reply at
    // once: first one signed with the wrong secret for each, then the
    // genuine ones, so the client reads them in batches (past the MD5 lane
    // threshold, where their Response Authenticators are computed together).
    const N: usize = 12;
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = s.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        let mut reqs: Vec<(Vec<u8>, SocketAddr)> = Vec::new();
        while reqs.len() < N {
            let (n, from) = s.recv_from(&mut buf).await.unwrap();
            // A retransmission is the same request.
            if !reqs.iter().any(|(r, f)| *f == from && r[1] == buf[1]) {
                reqs.push((buf[..n].to_vec(), from));
            }
        }
        let forged = reqs.iter().map(|(r, f)| {
            (
                reply_to(r, Code::ACCESS_ACCEPT, "guess", false, b"forged"),
                *f,
            )
        });
        let genuine = reqs.iter().map(|(r, f)| {
            (
                reply_to(r, Code::ACCESS_ACCEPT, SECRET, false, b"genuine"),
                *f,
            )
        });
        for (rep, to) in forged.chain(genuine).collect::<Vec<_>>() {
            s.send_to(&rep, to).await.unwrap();
        }
        loop {
            let _ = s.recv_from(&mut buf).await;
        }
    });
    let c = Arc::new(
        UdpClient::builder(addr, SECRET)
            .retry(quick())
            .require_message_authenticator(RequireMessageAuthenticator::No)
            .build(),
    );
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                c.access_request()
                    .with(UserName::new(format!("u{i}")))
                    .send()
                    .await
            })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap().unwrap();
        assert_eq!(
            r.get::<ReplyMessage>().unwrap().unwrap().as_str(),
            "genuine"
        );
    }
    assert_eq!(c.stats().invalid_replies, N as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_sent_has_message_authenticator_first() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let addr = fake_server(move |req| {
        s2.lock().unwrap().push(req.to_vec());
        vec![reply_to(req, Code::ACCESS_ACCEPT, SECRET, true, b"ok")]
    })
    .await;
    let c = UdpClient::builder(addr, SECRET).retry(quick()).build();
    c.access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("hello"))
        .send()
        .await
        .unwrap();
    c.status_server().send().await.unwrap();
    let seen = seen.lock().unwrap();
    let secret = Secret::new(SECRET);
    for raw in seen.iter() {
        let p = Packet::decode(raw).unwrap();
        assert_eq!(p.attributes().next().unwrap().typ, 80);
        assert_eq!(p.verify_request(&secret), Ok(true));
    }
    assert_eq!(Code(seen[1][0]), Code::STATUS_SERVER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_form_requests_and_replies() {
    let dict = radius_core::dict::Dictionary::parse_str(
        "dictionary",
        "ATTRIBUTE User-Name 1 string\nATTRIBUTE User-Password 2 string encrypt=1\n\
         ATTRIBUTE Reply-Message 18 string\nATTRIBUTE Message-Authenticator 80 octets\n",
    )
    .unwrap();
    let srv = server(Calls::default()).await;
    let c = UdpClient::builder(srv.auth_addrs()[0], SECRET)
        .retry(quick())
        .build();
    let r = c
        .access_request()
        .with_text(&dict, "User-Name = \"bob\", User-Password = \"hello\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    let text = r.to_text(&dict).unwrap();
    assert!(
        text.contains(&"Reply-Message = \"welcome bob\"".to_string()),
        "{text:?}"
    );
    assert!(
        text[0].starts_with("Message-Authenticator = 0x"),
        "{text:?}"
    );
    let e = c
        .access_request()
        .with_text(&dict, "No-Such = 1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Text(_)), "{e}");
    srv.shutdown().await;
}
