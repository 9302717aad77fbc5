//! The UDP client against a real FreeRADIUS 3.x (radius-test-support's
//! files+pap site: bob/hello, secret testing123). Skipped with a printed
//! reason when FreeRADIUS is not installed, unless RADIUS_REQUIRE_PEERS=1.

use crate::support::*;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use radius_core::Code;
use radius_server::client::RetryPolicy;
use radius_server::UdpClient;
use radius_test_support::FreeRadius;
use tokio::net::UdpSocket;

fn policy() -> RetryPolicy {
    RetryPolicy {
        initial: Duration::from_millis(300),
        max_interval: Duration::from_millis(600),
        max_attempts: 3,
        total: Duration::from_secs(3),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_freeradius() {
    let Some(fr) = FreeRadius::start() else {
        return;
    };
    let c = UdpClient::builder(fr.auth, "testing123")
        .retry(policy())
        .build();

    let r = c
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    let r = c
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.code(), Code::ACCESS_REJECT);
    assert_eq!(
        c.status_server().send().await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );

    // Accounting on the next port.
    let a = UdpClient::builder(fr.acct, "testing123")
        .retry(policy())
        .build();
    use radius_dict::prelude::AcctStatusTypeValue;
    for status in [AcctStatusTypeValue::Start, AcctStatusTypeValue::Stop] {
        let r = a
            .accounting_request()
            .with(AcctStatusType::new(status))
            .with(AcctSessionId::new("fr-1"))
            .with(UserName::new("bob"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.code(), Code::ACCOUNTING_RESPONSE);
    }

    // Wrong secret: FreeRADIUS drops it (bad Message-Authenticator).
    let w = UdpClient::builder(fr.auth, "not-it")
        .retry(policy())
        .build();
    let e = w
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("hello"))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");

    // 600 in flight at once: more than one socket's Identifiers.
    let many = UdpClient::builder(fr.auth, "testing123")
        .retry(RetryPolicy::fixed(Duration::from_secs(2), 3))
        .build();
    all_accepted(&many, 600, "bob", "hello").await;
    assert_eq!(many.stats().replies, 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeradius_retransmission_after_lost_datagram() {
    let Some(fr) = FreeRadius::start() else {
        return;
    };
    // A proxy that drops the client's first datagram.
    let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    back.connect(fr.auth).await.unwrap();
    let proxy = front.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let client = Arc::new(Mutex::new(None::<SocketAddr>));
    {
        let (front, back, seen, client) =
            (front.clone(), back.clone(), seen.clone(), client.clone());
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            loop {
                let (n, from) = front.recv_from(&mut buf).await.unwrap();
                *client.lock().unwrap() = Some(from);
                let first = {
                    let mut s = seen.lock().unwrap();
                    s.push(buf[..n].to_vec());
                    s.len() == 1
                };
                if !first {
                    let _ = back.send(&buf[..n]).await;
                }
            }
        });
    }
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = back.recv(&mut buf).await {
            let to = client.lock().unwrap().unwrap();
            let _ = front.send_to(&buf[..n], to).await;
        }
    });
    let c = UdpClient::builder(proxy, "testing123")
        .retry(policy())
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
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], seen[1], "retransmission is the same datagram");
    drop(fr);
}
