//! `radius send --radsec`: requests over mutual TLS (certificates made at
//! test time with rcgen), to our own `radius serve --radsec` and through
//! radsecproxy (an independent RadSec server) to FreeRADIUS.

use std::path::{Path, PathBuf};
use std::time::Duration;

use radius_test_support::{
    free_port_tcp, have_tool, proxy_leaf, tls_block, Ca, FreeRadius, Proxy, TempDir, RADSECPROXY,
};

use crate::send::{send, text, BOB};
use crate::serve_radsec::serve_radsec;

/// `--radsec` and the three TLS files.
fn tls_args<'a>(cert: &'a Path, key: &'a Path, ca: &'a Path) -> Vec<&'a str> {
    vec![
        "--radsec",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--tls-ca",
        ca.to_str().unwrap(),
    ]
}

fn with<'a>(mut a: Vec<&'a str>, more: &[&'a str]) -> Vec<&'a str> {
    a.extend_from_slice(more);
    a
}

#[test]
fn send_radsec_to_our_server() {
    let dir = TempDir::new("send-radsec");
    let ca = Ca::new("send-radsec CA");
    let files = ca.write(&dir.0, "server", &ca.server());
    let (mut child, addr, _) = serve_radsec(&dir.0, &files, &[]);
    let addr = addr.to_string();
    let (ca_pem, cert, key): (PathBuf, PathBuf, PathBuf) =
        ca.write(&dir.0, "nas", &ca.client("nas01"));
    let tls = tls_args(&cert, &key, &ca_pem);

    // PAP, no secret given: RFC 6614's "radsec". The server's certificate
    // names 127.0.0.1, the host of ADDR.
    let (out, err, rc) = text(&send(&with(tls.clone(), &[&addr, "auth"]), BOB));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.starts_with("(0) Access-Accept Id "), "{out}");
    assert!(out.contains("Reply-Message = \"Hello, bob\""), "{out}");
    // CHAP over TLS, a reject, and -x's blocks.
    let chap = "User-Name = \"bob\", CHAP-Password = \"hello\"\n";
    let (out, err, rc) = text(&send(&with(tls.clone(), &["-x", &addr, "auth"]), chap));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(
        out.contains(&format!(" over TLS to {addr} length ")),
        "{out}"
    );
    assert!(out.contains("\tCHAP-Password = 0x"), "{out}");
    assert!(out.contains("Received Access-Accept Id "), "{out}");
    let bad = "User-Name = \"bob\", User-Password = \"nope\"\n";
    let (out, err, rc) = text(&send(&with(tls.clone(), &[&addr, "auth"]), bad));
    assert_eq!(rc, 1, "{out}{err}");
    // Several requests on the one connection, with a summary; then
    // Status-Server.
    let (out, err, rc) = text(&send(
        &with(
            tls.clone(),
            &["-q", "-s", "-c", "5", &addr, "auth", "radsec"],
        ),
        &format!("{BOB}\n{bad}"),
    ));
    assert_eq!(rc, 1, "{out}{err}");
    assert!(
        out.contains("\tAccepted      : 5\n\tRejected      : 5\n\tLost          : 0\n"),
        "{out}"
    );
    let (out, err, rc) = text(&send(&with(tls.clone(), &[&addr, "status"]), ""));
    assert_eq!(rc, 0, "{out}{err}");

    // Checks that must fail: another secret (the server drops what it
    // cannot verify), a name the certificate does not carry, a client
    // certificate of another CA.
    let (out, err, rc) = text(&send(
        &with(tls.clone(), &["-t", "1", &addr, "auth", "other"]),
        BOB,
    ));
    assert_eq!(rc, 2, "{out}{err}");
    let (out, err, rc) = text(&send(
        &with(tls.clone(), &["--tls-name", "elsewhere", &addr, "auth"]),
        BOB,
    ));
    assert_eq!(rc, 2, "{out}{err}");
    assert!(err.contains("cannot connect"), "{err}");
    let other = Ca::new("other CA");
    let sub = dir.join("other");
    std::fs::create_dir_all(&sub).unwrap();
    let (_, bad_cert, bad_key) = other.write(&sub, "intruder", &other.client("intruder"));
    let (out, err, rc) = text(&send(
        &with(tls_args(&bad_cert, &bad_key, &ca_pem), &[&addr, "auth"]),
        BOB,
    ));
    assert_eq!(rc, 2, "{out}{err}");
    // Without the TLS files, --radsec is refused by the parser.
    let (_, err, rc) = text(&send(&["--radsec", &addr, "auth"], BOB));
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("--tls-cert"), "{err}");
    let _ = child.kill();
    let _ = child.wait();
}

/// radsecproxy takes our TLS connection and forwards over UDP to
/// FreeRADIUS: PAP, CHAP (the request goes on with a new authenticator;
/// radsecproxy adds a CHAP-Challenge carrying ours, the one our response
/// was computed with) and a filter on FreeRADIUS's reply.
#[test]
fn send_radsec_via_radsecproxy_to_freeradius() {
    if !have_tool(RADSECPROXY) {
        return;
    }
    let Some(fr) = FreeRadius::start() else {
        return;
    };
    let dir = TempDir::new("send-radsec-proxy");
    let ca = Ca::new("send-radsec-proxy CA");
    let (ca_pem, rp_cert, rp_key) = ca.write(&dir.0, "radsecproxy", &proxy_leaf(&ca));
    // radsecproxy matches a TLS client's certificate against its address.
    let (_, cert, key) = ca.write(&dir.0, "nas", &ca.client("127.0.0.1"));
    let tls_port = free_port_tcp();
    let conf = format!(
        "ListenTLS 127.0.0.1:{tls_port}\nLogLevel 4\n{}client ours {{\n    host 127.0.0.1\n    type tls\n    secret radsec\n}}\nserver fr {{\n    host 127.0.0.1\n    port {}\n    type udp\n    secret {}\n}}\nrealm * {{\n    server fr\n}}\n",
        tls_block(&ca_pem, &rp_cert, &rp_key),
        fr.auth.port(),
        FreeRadius::SECRET,
    );
    let proxy = Proxy::start(&dir.0, &conf);
    let addr = format!("127.0.0.1:{tls_port}");
    let tls = tls_args(&cert, &key, &ca_pem);
    let run = |extra: &[&str], input: &str| {
        let mut args = tls.clone();
        args.extend_from_slice(extra);
        args.extend([addr.as_str(), "auth"]);
        text(&send(&args, input))
    };
    // radsecproxy may still be starting: a few tries of the first one.
    let mut first = (String::new(), String::new(), -1);
    for _ in 0..25 {
        first = run(&["-t", "2"], BOB);
        if first.2 != 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (out, err, rc) = first;
    assert_eq!(rc, 0, "{out}{err}\nradsecproxy log:\n{}", proxy.log());
    assert!(out.contains("Access-Accept"), "{out}");
    let chap = "User-Name = \"bob\", CHAP-Password = \"hello\"\n";
    let (out, err, rc) = run(&[], chap);
    assert_eq!(rc, 0, "{out}{err}\n{}", proxy.log());
    let (out, err, rc) = run(&[], "User-Name = \"bob\", CHAP-Password = \"nope\"\n");
    assert_eq!(rc, 1, "{out}{err}");
    // A filter on what FreeRADIUS answered, through the proxy.
    let req = dir.join("req");
    std::fs::write(
        &req,
        "User-Name = \"bob\", User-Password = \"hello\", Operator-Name = \"1foo\"\n",
    )
    .unwrap();
    let pass = dir.join("pass");
    std::fs::write(&pass, "Reply-Message == \"operator 1foo\"\n").unwrap();
    let fail = dir.join("fail");
    std::fs::write(&fail, "Reply-Message == \"operator 2foo\"\n").unwrap();
    let f = |filter: &Path| format!("{}:{}", req.display(), filter.display());
    let (out, err, rc) = run(&["-s", "-f", &f(&pass)], "");
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("\tPassed filter : 1\n"), "{out}");
    let (out, err, rc) = run(&["-s", "-f", &f(&fail)], "");
    assert_eq!(rc, 1, "{out}{err}");
    assert!(
        err.contains("didn't match filter: Reply-Message == \"operator 2foo\""),
        "{err}"
    );
    drop(proxy);
}
