//! `radius serve --radsec`: the standalone server answers our RadSec client
//! over mutual TLS with certificates made at test time (rcgen).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use radius_core::{Code, RadiusVersion};
use radius_server::radsec::{RadSecClient, RadSecClientConfig, RadiusV11};

use radius_test_support::{
    client, free_port_udp, have_tool, pap, proxy_leaf, tls_block, Ca, Lines, Proxy, TempDir,
    RADSECPROXY,
};

/// `radius serve --radsec` on loopback with these TLS files and extra
/// arguments; returns it, its RadSec address and its start-up log.
pub(crate) fn serve_radsec(
    dir: &Path,
    (ca_pem, cert, key): &(PathBuf, PathBuf, PathBuf),
    extra: &[&str],
) -> (Child, SocketAddr, String) {
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
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .arg("--tls-ca")
        .arg(ca_pem)
        .args(extra)
        .current_dir(dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Lines::new(child.stderr.take().unwrap());
    let mut addr: Option<SocketAddr> = None;
    let reported = lines.wait_until(Duration::from_secs(20), |line| {
        if line.contains("listening RadSec on") {
            addr = Some(line.rsplit(' ').next().unwrap().parse().unwrap());
        }
        addr.is_some()
    });
    if !reported {
        let _ = child.kill();
        panic!("no RadSec listener reported within 20 s:\n{}", lines.seen());
    }
    (child, addr.unwrap(), lines.seen().to_owned())
}

#[tokio::test]
async fn serve_radsec_accepts_bob_over_mutual_tls() {
    let dir = TempDir::new("serve-radsec");
    let ca = Ca::new("serve-radsec CA");
    let files = ca.write(&dir.0, "server", &ca.server());
    let (mut child, addr, seen) = serve_radsec(&dir.0, &files, &["--radius-v11", "allowed"]);
    assert!(seen.contains("RADIUS/1.1: Allowed"), "{seen}");
    let c = client(addr, ca.tls(&ca.client("nas01")));
    let ok = pap(&c, "bob", "hello").await.unwrap();
    assert_eq!(ok.code(), Code::ACCESS_ACCEPT);
    assert_eq!(ok.version(), RadiusVersion::V1_0, "client offered 1.0 only");
    // A client that requires RADIUS/1.1 gets it (ALPN radius/1.1).
    let mut cfg = RadSecClientConfig::new(addr, "localhost");
    cfg.radius_v11 = RadiusV11::Required;
    cfg.request_timeout = Duration::from_secs(5);
    let c11 = RadSecClient::new(cfg, ca.tls(&ca.client("nas02"))).unwrap();
    let ok11 = pap(&c11, "bob", "hello").await.unwrap();
    assert_eq!(
        (ok11.code(), ok11.version()),
        (Code::ACCESS_ACCEPT, RadiusVersion::V1_1)
    );
    assert!(ok11.token().is_some());
    assert_eq!(
        pap(&c, "bob", "nope").await.unwrap().code(),
        Code::ACCESS_REJECT
    );
    // A client certificate from another CA is refused at the handshake.
    let other = Ca::new("other CA");
    let bad = client(addr, other.tls(&other.client("intruder")));
    assert!(pap(&bad, "bob", "hello").await.is_err());

    // `radius bench --radsec` loads it: pipelined requests over two
    // connections, every reply verified.
    let (ca_pem, nas_cert, nas_key) = ca.write(&dir.0, "nas03", &ca.client("nas03"));
    let out = Command::new(env!("CARGO_BIN_EXE_radius"))
        .args([
            "bench",
            "--json",
            "-q",
            "-d",
            "1",
            "-c",
            "8",
            "--connections",
            "2",
        ])
        .arg("--radsec")
        .arg("--tls-cert")
        .arg(&nas_cert)
        .arg("--tls-key")
        .arg(&nas_key)
        .arg("--tls-ca")
        .arg(&ca_pem)
        .args([&addr.to_string(), "auth"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(r["accepted"].as_u64().unwrap() > 100, "{r}");
    assert_eq!(r["invalid_replies"], 0, "{r}");
    assert_eq!(r["timeouts"], 0, "{r}");
    let _ = child.kill();
    let _ = child.wait();
}

/// wpa_supplicant's `eapol_test` -> radsecproxy (UDP in, TLS out) ->
/// `radius serve --radsec`: EAP-MD5, its Access-Challenge and State,
/// across a real RadSec proxy that re-signs every hop.
#[test]
fn eapol_test_via_radsecproxy_to_serve_radsec() {
    const EAPOL_TEST: &str = "/usr/bin/eapol_test";
    if !have_tool(RADSECPROXY) || !have_tool(EAPOL_TEST) {
        return;
    }
    let dir = TempDir::new("serve-radsec-eap");
    let ca = Ca::new("serve-radsec-eap CA");
    let files = ca.write(&dir.0, "server", &ca.server());
    let (mut child, addr, _) = serve_radsec(&dir.0, &files, &[]);
    let (ca_pem, cert, key) = ca.write(&dir.0, "proxy", &proxy_leaf(&ca));
    let udp = free_port_udp();
    let conf = format!(
        "ListenUDP 127.0.0.1:{udp}\nLogLevel 4\n{}client eapol {{\n    host 127.0.0.1\n    type udp\n    secret testing123\n}}\nserver ours {{\n    host 127.0.0.1\n    port {}\n    type tls\n    secret radsec\n}}\nrealm * {{\n    server ours\n}}\n",
        tls_block(&ca_pem, &cert, &key),
        addr.port()
    );
    let proxy = Proxy::start(&dir.0, &conf);
    let run = |password: &str| {
        let conf = dir.0.join(format!("eap-{password}.conf"));
        std::fs::write(
            &conf,
            format!("network={{\n\tkey_mgmt=IEEE8021X\n\teap=MD5\n\tidentity=\"bob\"\n\tpassword=\"{password}\"\n}}\n"),
        )
        .unwrap();
        let out = Command::new(EAPOL_TEST)
            .args(["-n", "-t", "5", "-a", "127.0.0.1", "-p", &udp.to_string()])
            .args(["-s", "testing123", "-c"])
            .arg(&conf)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // The proxy may still be connecting to us: a few tries.
    let mut last = String::new();
    for _ in 0..5 {
        let (ok, text) = run("hello");
        last = text;
        if ok {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        last.contains("SUCCESS"),
        "{last}\nradsecproxy log:\n{}",
        proxy.log()
    );
    assert!(last.contains("code=11 (Access-Challenge)"), "{last}");
    assert!(last.contains("EAP: Received EAP-Success"), "{last}");
    let (ok, text) = run("wrong");
    assert!(!ok && text.contains("EAP: Received EAP-Failure"), "{text}");
    drop(proxy);
    let _ = child.kill();
    let _ = child.wait();
}

/// `--radsec-allow`: a source outside the network is closed before any TLS
/// octet; 127.0.0.1 is served.
#[tokio::test]
async fn serve_radsec_allow_closes_other_sources_before_tls() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = TempDir::new("serve-radsec-allow");
    let ca = Ca::new("serve-radsec-allow CA");
    let files = ca.write(&dir.0, "server", &ca.server());
    let (mut child, addr, _) = serve_radsec(&dir.0, &files, &["--radsec-allow", "127.0.0.1/32"]);
    let c = client(addr, ca.tls(&ca.client("nas01")));
    assert_eq!(
        pap(&c, "bob", "hello").await.unwrap().code(),
        Code::ACCESS_ACCEPT
    );
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    s.bind("127.0.0.5:0".parse().unwrap()).unwrap();
    let mut tcp = s.connect(addr).await.unwrap();
    // A TLS record header (handshake) and a few octets: no answer comes.
    let _ = tcp.write_all(&[0x16, 0x03, 0x01, 0x00, 0x40, 0x01]).await;
    let mut buf = [0u8; 256];
    let r = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut buf)).await;
    assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "{r:?}");
    let _ = child.kill();
    let _ = child.wait();
}
