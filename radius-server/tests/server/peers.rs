//! Real peer: Debian's radclient (freeradius-utils) against our server.
//! Skips with a printed reason when radclient is missing, unless
//! RADIUS_REQUIRE_PEERS=1 (CI), where a missing peer fails the test.

use std::net::SocketAddr;

use crate::common::*;

/// Run radclient with `input` on stdin; returns (exit success, stdout+stderr).
fn radclient(addr: SocketAddr, command: &str, secret: &str, input: &str) -> (bool, String) {
    radius_test_support::radclient(&["-x", "-t", "1", "-r", "1"], addr, command, secret, input)
}

async fn run(
    addr: SocketAddr,
    command: &'static str,
    secret: &'static str,
    input: &'static str,
) -> (bool, String) {
    tokio::task::spawn_blocking(move || radclient(addr, command, secret, input))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radclient_against_our_server() {
    if !radius_test_support::have_tool("radclient") {
        return;
    }
    let srv = start_server(Calls::default()).await;
    let auth = srv.auth_addrs()[0];
    let acct = srv.acct_addrs()[0];
    let coa = srv.coa_addrs()[0];

    // PAP without Message-Authenticator is accepted while the client has
    // never sent one (require_message_authenticator = auto) ...
    let (ok, out) = run(
        auth,
        "auth",
        SECRET,
        "User-Name = bob\nUser-Password = hello\n",
    )
    .await;
    assert!(ok && out.contains("Received Access-Accept"), "{out}");
    assert!(
        out.contains("Message-Authenticator"),
        "reply carries Message-Authenticator: {out}"
    );
    // ... PAP with it ...
    let (ok, out) = run(
        auth,
        "auth",
        SECRET,
        "User-Name = bob\nUser-Password = hello\nMessage-Authenticator = 0x00\n",
    )
    .await;
    assert!(ok && out.contains("Received Access-Accept"), "{out}");
    assert!(out.contains("welcome bob"), "{out}");
    // ... after which it is required (BlastRADIUS auto mode).
    let (ok, out) = run(
        auth,
        "auth",
        SECRET,
        "User-Name = bob\nUser-Password = hello\n",
    )
    .await;
    assert!(!ok && !out.contains("Received Access"), "{out}");

    // Wrong password: Access-Reject.
    let (_, out) = run(
        auth,
        "auth",
        SECRET,
        "User-Name = bob\nUser-Password = wrong\nMessage-Authenticator = 0x00\n",
    )
    .await;
    assert!(out.contains("Received Access-Reject"), "{out}");

    // Wrong secret: no answer.
    let (ok, out) = run(
        auth,
        "auth",
        "not-the-secret",
        "User-Name = bob\nUser-Password = hello\nMessage-Authenticator = 0x00\n",
    )
    .await;
    assert!(!ok && !out.contains("Received Access"), "{out}");

    // CHAP (radclient computes CHAP-Password from the cleartext).
    let (ok, out) = run(
        auth,
        "auth",
        SECRET,
        "User-Name = bob\nCHAP-Password = \"hello\"\nMessage-Authenticator = 0x00\n",
    )
    .await;
    assert!(ok && out.contains("Received Access-Accept"), "{out}");
    let (_, out) = run(
        auth,
        "auth",
        SECRET,
        "User-Name = bob\nCHAP-Password = \"nope\"\nMessage-Authenticator = 0x00\n",
    )
    .await;
    assert!(out.contains("Received Access-Reject"), "{out}");

    // Accounting start / stop.
    for status in ["Start", "Stop"] {
        let input: &'static str = Box::leak(
            format!("User-Name = bob\nAcct-Status-Type = {status}\nAcct-Session-Id = \"s1\"\n")
                .into_boxed_str(),
        );
        let (ok, out) = run(acct, "acct", SECRET, input).await;
        assert!(
            ok && out.contains("Received Accounting-Response"),
            "{status}: {out}"
        );
    }
    // Accounting with the wrong secret: no answer.
    let (ok, _) = run(
        acct,
        "acct",
        "not-the-secret",
        "User-Name = bob\nAcct-Status-Type = Start\n",
    )
    .await;
    assert!(!ok);

    // Status-Server on both ports.
    let (ok, out) = run(auth, "status", SECRET, "Message-Authenticator = 0x00\n").await;
    assert!(ok && out.contains("Received Access-Accept"), "{out}");
    let (ok, out) = run(acct, "status", SECRET, "Message-Authenticator = 0x00\n").await;
    assert!(ok && out.contains("Received Accounting-Response"), "{out}");

    // CoA and Disconnect, ACK and NAK.
    let (ok, out) = run(coa, "coa", SECRET, "User-Name = bob\n").await;
    assert!(ok && out.contains("Received CoA-ACK"), "{out}");
    let (_, out) = run(coa, "coa", SECRET, "User-Name = eve\n").await;
    assert!(out.contains("Received CoA-NAK"), "{out}");
    let (ok, out) = run(coa, "disconnect", SECRET, "User-Name = bob\n").await;
    assert!(ok && out.contains("Received Disconnect-ACK"), "{out}");
    let (_, out) = run(coa, "disconnect", SECRET, "Acct-Session-Id = \"x\"\n").await;
    assert!(
        out.contains("Received Disconnect-NAK") && out.contains("Missing-Attribute"),
        "{out}"
    );

    let s = srv.stats().snapshot();
    assert!(s.dropped(radius_server::DropReason::BadRequestAuthenticator) >= 1);
    assert!(s.dropped(radius_server::DropReason::BadMessageAuthenticator) >= 1);
    assert!(s.dropped(radius_server::DropReason::MissingMessageAuthenticator) >= 1);
    srv.shutdown().await;
}
