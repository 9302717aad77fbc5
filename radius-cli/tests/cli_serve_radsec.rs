//! `radius serve --radsec`: the standalone server answers our RadSec client
//! over mutual TLS with certificates made at test time (rcgen).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use radius_core::Code;

#[path = "../../radius-server/tests/radsec_support/mod.rs"]
mod radsec_support;
use radsec_support::{client, pap, Ca, TempDir};

#[tokio::test]
async fn serve_radsec_accepts_bob_over_mutual_tls() {
    let dir = TempDir::new("serve-radsec");
    let ca = Ca::new("serve-radsec CA");
    let (ca_pem, cert, key) = ca.write(&dir.0, "server", &ca.server());
    let mut child = Command::new(env!("CARGO_BIN_EXE_radius"))
        .args([
            "serve",
            "--auth",
            "127.0.0.1:0",
            "--acct",
            "127.0.0.1:0",
            "--coa",
            "127.0.0.1:0",
        ])
        .args(["--radsec", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .arg("--tls-ca")
        .arg(&ca_pem)
        .current_dir(&dir.0)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr on a thread so a silent server fails the test by the
    // deadline instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = String::new();
    let addr: SocketAddr = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("no RadSec listener reported within 20 s:\n{seen}")
        };
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("listening RadSec on") {
            break line.rsplit(' ').next().unwrap().parse().unwrap();
        }
    };

    let c = client(addr, ca.tls(&ca.client("nas01")));
    let ok = pap(&c, "bob", "hello").await.unwrap();
    assert_eq!(ok.code(), Code::ACCESS_ACCEPT);
    assert_eq!(
        pap(&c, "bob", "nope").await.unwrap().code(),
        Code::ACCESS_REJECT
    );
    // A client certificate from another CA is refused at the handshake.
    let other = Ca::new("other CA");
    let bad = client(addr, other.tls(&other.client("intruder")));
    assert!(pap(&bad, "bob", "hello").await.is_err());
    let _ = child.kill();
    let _ = child.wait();
}
