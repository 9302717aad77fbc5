//! Interop with Debian's radsecproxy, both directions, on random loopback
//! ports:
//! (a) radclient (UDP) -> radsecproxy (UDP in, TLS out) -> our RadSec server;
//! (b) our RadSec client -> radsecproxy (TLS in, UDP out) -> our UDP server;
//! (c) (a) while thousands of half-open connections flood our server.
//! Skips with a printed reason when radsecproxy or radclient is missing,
//! unless RADIUS_REQUIRE_PEERS=1.

use std::time::Duration;

use crate::support::*;
use radius_core::Code;
use radius_server::radsec::{
    RadSecClient, RadSecClientConfig, TlsClient, TlsClientTable, TlsConfig,
};
use radius_server::{HostTable, Server};
use rcgen::ExtendedKeyUsagePurpose as Eku;

const RADCLIENT: &str = "radclient";

fn radclient(port: u16, input: &str) -> (bool, String) {
    radius_test_support::radclient(
        &["-x", "-t", "2", "-r", "2"],
        format!("127.0.0.1:{port}"),
        "auth",
        "testing123",
        input,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radclient_via_radsecproxy_to_our_radsec_server() {
    if !have_tool(RADSECPROXY) || !have_tool(RADCLIENT) {
        return;
    }
    let dir = TempDir::new("interop-a");
    let ca = Ca::new("Interop CA");
    let (ca_pem, cert, key) = ca.write(&dir.0, "proxy", &proxy_leaf(&ca));
    let calls = Calls::default();
    // Our server knows radsecproxy by its certificate name.
    let srv = radius_server::radsec::RadSecServer::with_state(ca.tls(&ca.server()), calls.clone())
        .clients(TlsClientTable::new().with(TlsClient::new("radsecproxy").cert_name("radsecproxy")))
        .auth(auth)
        .bind(localhost())
        .spawn()
        .await
        .unwrap();
    let udp = free_port_udp();
    let conf = format!(
        "ListenUDP 127.0.0.1:{udp}\nLogLevel 4\n{}client radclient {{\n    host 127.0.0.1\n    type udp\n    secret testing123\n}}\nserver ours {{\n    host 127.0.0.1\n    port {}\n    type tls\n    secret radsec\n}}\nrealm * {{\n    server ours\n}}\n",
        tls_block(&ca_pem, &cert, &key),
        srv.local_addr().port()
    );
    let proxy = Proxy::start(&dir.0, &conf);
    let mut last = String::new();
    let mut accepted = false;
    for _ in 0..5 {
        let (ok, text) = tokio::task::spawn_blocking(move || {
            radclient(
                udp,
                "User-Name = bob\nUser-Password = hello\nMessage-Authenticator = 0x00\n",
            )
        })
        .await
        .unwrap();
        last = text;
        if ok && last.contains("Access-Accept") {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        accepted,
        "radclient output:\n{last}\nradsecproxy log:\n{}",
        proxy.log()
    );
    // The handler saw the request arrive over TLS.
    assert!(last.contains("Tls bob"), "{last}");
    // And a wrong password is rejected through the same path.
    let (_, text) = tokio::task::spawn_blocking(move || {
        radclient(
            udp,
            "User-Name = bob\nUser-Password = nope\nMessage-Authenticator = 0x00\n",
        )
    })
    .await
    .unwrap();
    assert!(text.contains("Access-Reject"), "{text}");
    assert!(calls.get() >= 2);
    drop(proxy);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_radsec_client_via_radsecproxy_to_our_udp_server() {
    if !have_tool(RADSECPROXY) {
        return;
    }
    let dir = TempDir::new("interop-b");
    let ca = Ca::new("Interop CA");
    let (ca_pem, cert, key) = ca.write(&dir.0, "proxy", &proxy_leaf(&ca));
    let calls = Calls::default();
    let udp_srv = Server::with_state(calls.clone())
        .clients(
            HostTable::new()
                .add("127.0.0.1", "radsecproxy", "testing123")
                .unwrap(),
        )
        .auth(auth)
        .bind_auth(localhost())
        .workers(1)
        .spawn()
        .await
        .unwrap();
    let tls_port = free_port_tcp();
    let conf = format!(
        "ListenTLS 127.0.0.1:{tls_port}\nLogLevel 4\n{}client ours {{\n    host 127.0.0.1\n    type tls\n    secret radsec\n}}\nserver udp {{\n    host 127.0.0.1\n    port {}\n    type udp\n    secret testing123\n}}\nrealm * {{\n    server udp\n}}\n",
        tls_block(&ca_pem, &cert, &key),
        udp_srv.auth_addrs()[0].port()
    );
    let proxy = Proxy::start(&dir.0, &conf);
    let mut cfg = RadSecClientConfig::new(
        format!("127.0.0.1:{tls_port}").parse().unwrap(),
        "radsecproxy",
    );
    cfg.min_backoff = Duration::from_millis(100);
    cfg.max_backoff = Duration::from_millis(200);
    cfg.request_timeout = Duration::from_secs(5);
    // radsecproxy matches TLS clients by address against the certificate.
    let tls: TlsConfig =
        ca.tls(&ca.leaf("nas-b", &["nas-b", "127.0.0.1"], &[Eku::ClientAuth], None));
    let c = RadSecClient::new(cfg, tls).unwrap();
    let mut r = None;
    let mut last = String::new();
    for _ in 0..30 {
        match pap(&c, "bob", "hello").await {
            Ok(x) => {
                r = Some(x);
                break;
            }
            Err(e) => {
                last = e.to_string();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    let r = r.unwrap_or_else(|| panic!("no reply: {last}\nradsecproxy log:\n{}", proxy.log()));
    assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    assert_eq!(
        String::from_utf8_lossy(r.packet().find(18).unwrap_or_default()),
        "Udp bob",
        "answered by our UDP server"
    );
    let r = pap(&c, "bob", "bad").await.unwrap();
    assert_eq!(r.code(), Code::ACCESS_REJECT);
    // Several in flight on the one connection through the proxy.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let user = if i % 2 == 0 { "slow" } else { "bob" };
            pap(&c, user, "hello").await.unwrap().code()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), Code::ACCESS_ACCEPT);
    }
    assert_eq!(c.connects(), 1);
    assert_eq!(calls.get(), 22);
    drop(proxy);
    udp_srv.shutdown().await;
}

/// Issue 16 with an independent legitimate client: radclient (UDP) ->
/// radsecproxy (TLS out, from 127.0.0.1) -> our RadSec server, while 3,000
/// half-open connections from 127.0.0.2-5 are kept reopened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radsecproxy_is_served_during_a_handshake_flood() {
    use crate::flood::{raise_nofile, sources, until_held, Flood, ONE_FLOOD};
    if !have_tool(RADSECPROXY) || !have_tool(RADCLIENT) {
        return;
    }
    let _one = ONE_FLOOD.lock().await;
    raise_nofile(16384);
    let dir = TempDir::new("interop-flood");
    let ca = Ca::new("Interop CA");
    let (ca_pem, cert, key) = ca.write(&dir.0, "proxy", &proxy_leaf(&ca));
    let calls = Calls::default();
    let srv = radius_server::radsec::RadSecServer::with_state(ca.tls(&ca.server()), calls.clone())
        .clients(TlsClientTable::new().with(TlsClient::new("radsecproxy").cert_name("radsecproxy")))
        .auth(auth)
        .bind(localhost())
        .spawn()
        .await
        .unwrap();
    let flood = Flood::start(
        srv.local_addr(),
        &sources(std::net::Ipv4Addr::new(127, 0, 0, 2), 4),
        750,
    );
    until_held(&flood, 64).await;
    let udp = free_port_udp();
    let conf = format!(
        "ListenUDP 127.0.0.1:{udp}\nLogLevel 4\n{}client radclient {{\n    host 127.0.0.1\n    type udp\n    secret testing123\n}}\nserver ours {{\n    host 127.0.0.1\n    port {}\n    type tls\n    secret radsec\n}}\nrealm * {{\n    server ours\n}}\n",
        tls_block(&ca_pem, &cert, &key),
        srv.local_addr().port()
    );
    let proxy = Proxy::start(&dir.0, &conf);
    // 20 requests, one radclient each, during the flood.
    let n = 20;
    let mut accepted = 0;
    let mut last = String::new();
    for _ in 0..n {
        let (_, text) = tokio::task::spawn_blocking(move || {
            radclient(
                udp,
                "User-Name = bob\nUser-Password = hello\nMessage-Authenticator = 0x00\n",
            )
        })
        .await
        .unwrap();
        if text.contains("Access-Accept") {
            accepted += 1;
        }
        last = text;
    }
    let handshakes = srv.handshakes();
    let opened = flood.stop().await;
    let a = srv.admission();
    eprintln!(
        "radsecproxy during a flood of {opened} connections ({handshakes} handshakes in progress): \
         {accepted}/{n} accepted; {a:?}"
    );
    assert_eq!(
        accepted,
        n,
        "last radclient output:\n{last}\nradsecproxy log:\n{}",
        proxy.log()
    );
    assert!(opened >= 3000, "{opened}");
    assert!(a.source_busy > 0, "{a:?}");
    drop(proxy);
    srv.shutdown().await;
}
