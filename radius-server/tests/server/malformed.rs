//! A malformed corpus sent live while a valid client keeps getting answers;
//! every class is dropped and counted under its own reason.

use std::time::Duration;

use crate::common::*;
use radius_core::Code;
use radius_server::DropReason;
use tokio::net::UdpSocket;

const ROUNDS: usize = 20;

fn corpus() -> Vec<(DropReason, bool, Vec<u8>)> {
    // (reason, sent to the accounting port, datagram)
    let good = pap(1, SECRET, "bob", "hello", true);
    let mut bad_len = good.clone();
    bad_len[2..4].copy_from_slice(&4097u16.to_be_bytes());
    let mut truncated = good.clone();
    truncated[2..4].copy_from_slice(&((good.len() + 1) as u16).to_be_bytes());
    let mut bad_attr = request(Code::ACCESS_REQUEST, 2, SECRET, false, &[(1, b"bob")]);
    bad_attr[21] = 0;
    let mut overflow = request(Code::ACCESS_REQUEST, 3, SECRET, false, &[(1, b"bob")]);
    overflow[21] = 200;
    let bad_auth = request(
        Code::ACCOUNTING_REQUEST,
        4,
        "wrong",
        false,
        &[(40, &1u32.to_be_bytes())],
    );
    let bad_ma = pap(5, "wrong", "bob", "hello", true);
    let wrong_code = request(
        Code::ACCOUNTING_REQUEST,
        6,
        SECRET,
        false,
        &[(40, &1u32.to_be_bytes())],
    );
    vec![
        (DropReason::TooShort, false, vec![1, 2, 3]),
        (DropReason::TooShort, false, Vec::new()),
        (DropReason::BadLength, false, bad_len),
        (DropReason::BadLength, false, truncated),
        (DropReason::BadAttributeLength, false, bad_attr),
        (DropReason::BadAttributeLength, false, overflow),
        (DropReason::BadRequestAuthenticator, true, bad_auth),
        (DropReason::BadMessageAuthenticator, false, bad_ma),
        (DropReason::WrongCode, false, wrong_code),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_is_dropped_while_valid_client_is_served() {
    let srv = start_server(Calls::default()).await;
    let auth = srv.auth_addrs()[0];
    let acct = srv.acct_addrs()[0];
    let valid = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let attacker = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    // 127.0.0.2 is loopback on Linux but not in the host table.
    let stranger = UdpSocket::bind("127.0.0.2:0").await.ok();
    let corpus = corpus();

    for round in 0..ROUNDS {
        for (_, to_acct, pkt) in &corpus {
            attacker
                .send_to(pkt, if *to_acct { acct } else { auth })
                .await
                .unwrap();
        }
        if let Some(s) = &stranger {
            s.send_to(&pap(9, SECRET, "bob", "hello", true), auth)
                .await
                .unwrap();
        }
        let id = round as u8;
        let req = pap(id, SECRET, "bob", "hello", true);
        let rep = exchange(&valid, auth, &req, Duration::from_secs(2))
            .await
            .unwrap_or_else(|| panic!("valid client unanswered in round {round}"));
        assert_eq!(check_reply(&rep, &req, SECRET).0, Code::ACCESS_ACCEPT);
    }
    // The attacker never got an answer.
    let mut buf = [0u8; 4096];
    assert!(
        tokio::time::timeout(Duration::from_millis(200), attacker.recv_from(&mut buf))
            .await
            .is_err()
    );

    // Let the last datagrams be processed.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let s = srv.stats().snapshot();
    for reason in [
        DropReason::TooShort,
        DropReason::BadLength,
        DropReason::BadAttributeLength,
        DropReason::BadRequestAuthenticator,
        DropReason::BadMessageAuthenticator,
        DropReason::WrongCode,
    ] {
        let want = corpus.iter().filter(|(r, _, _)| *r == reason).count() * ROUNDS;
        assert_eq!(s.dropped(reason), want as u64, "{reason}");
    }
    if stranger.is_some() {
        assert_eq!(s.dropped(DropReason::UnknownClient), ROUNDS as u64);
    } else {
        eprintln!(
            "note: could not bind 127.0.0.2; unknown-client class covered by the engine tests"
        );
    }
    assert_eq!(s.accepted, ROUNDS as u64);
    assert_eq!(
        s.received,
        (ROUNDS * (corpus.len() + 1 + stranger.is_some() as usize)) as u64
    );
    srv.shutdown().await;
}
