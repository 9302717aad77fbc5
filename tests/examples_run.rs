//! The main examples run: examples/server answers examples/client and
//! examples/coa over loopback (cargo test builds the example binaries).

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

/// Three consecutive free UDP ports (server uses auth, +1 acct, +2 CoA).
fn free_port_triple() -> u16 {
    for _ in 0..100 {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = s.local_addr().unwrap().port();
        if p < 65000 && (1..3).all(|i| UdpSocket::bind(("127.0.0.1", p + i)).is_ok()) {
            return p;
        }
    }
    panic!("no free port triple");
}

fn run(name: &str, args: &[&str]) -> String {
    let out = Command::new(example(name))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("example {name} did not run: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn server_answers_client_and_coa_examples() {
    let port = free_port_triple();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(example("server"))
        .arg(&addr)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("examples/server starts");
    // Wait until the server answers (the client retransmits, but be quick).
    let deadline = Instant::now() + Duration::from_secs(20);
    let out = loop {
        let out = Command::new(example("client"))
            .args([addr.as_str(), "testing123"])
            .output()
            .unwrap();
        if out.status.success() || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Access-Accept"), "{text}");
    assert!(text.contains("Message-Authenticator: true"), "{text}");
    assert!(text.contains("Reply-Message = \"Welcome, bob\""), "{text}");
    assert!(text.contains("Status-Server: Access-Accept"), "{text}");
    assert!(
        text.contains("accounting Start: Accounting-Response"),
        "{text}"
    );

    // The client's Start made session ex-1 known: CoA is acknowledged,
    // an unknown session is NAKed with Session-Context-Not-Found.
    let coa = format!("127.0.0.1:{}", port + 2);
    let ack = run("coa", &[&coa, "ex-1"]);
    assert!(ack.contains("CoA-ACK"), "{ack}");
    let nak = run("coa", &[&coa, "nope"]);
    assert!(nak.contains("CoA-NAK") && nak.contains("503"), "{nak}");
    let _ = server.kill();
    let _ = server.wait();
}
