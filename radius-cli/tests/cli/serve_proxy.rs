//! `radius serve` as a proxy: radclient -> `radius serve` -> two FreeRADIUS
//! home servers (the repository's test site: bob/hello, secret
//! testing123), configured with `[[home_server]]`, `[[pool]]` and
//! `[[realm]]`. Realm stripping, accounting forwarded, an unknown realm
//! refused, local users still served, and failover when the primary dies.
//! Loopback only.

use std::time::{Duration, Instant};

use radius_test_support::{have_tool, FreeRadius, TempDir};

use super::serve::{radclient, serve};

fn config(hs1: u16, hs2: u16) -> String {
    format!(
        r#"
[server]
accounting_db = "acct.db"

[[client]]
address = "127.0.0.0/8"
secret = "nas-secret"
require_message_authenticator = "no"

[[user]]
name = "carol"
password = "local"

[[home_server]]
name = "hs1"
address = "127.0.0.1:{hs1}"
secret = "testing123"
status_check = "status-server"
response_window = 1.5

[[home_server]]
name = "hs2"
address = "127.0.0.1:{hs2}"
secret = "testing123"
response_window = 1.5

[[pool]]
name = "main"
type = "fail-over"
servers = ["hs1", "hs2"]

[[realm]]
name = "example.org"
pool = "main"
strip = true

[[realm]]
name = "local.test"
local = true
strip = true
"#
    )
}

#[test]
fn radclient_through_radius_serve_to_freeradius_homes() {
    if !have_tool("radclient") {
        return;
    }
    let (Some(fr1), Some(fr2)) = (FreeRadius::start(), FreeRadius::start()) else {
        return;
    };
    let dir = TempDir::new("cli-proxy");
    std::fs::write(
        dir.join("radius.toml"),
        config(fr1.auth.port(), fr2.auth.port()),
    )
    .unwrap();
    let s = serve(&["--config", "radius.toml"], dir.path());
    let auth = |input: &str| radclient(s.auth, "auth", "nas-secret", input);

    // Stripped to "bob" for FreeRADIUS, which knows bob/hello.
    let (ok, out) = auth("User-Name = \"bob@example.org\", User-Password = hello\n");
    assert!(ok && out.contains("Access-Accept"), "{out}");
    let (_, out) = auth("User-Name = \"bob@example.org\", User-Password = wrong\n");
    assert!(out.contains("Access-Reject"), "{out}");
    // CHAP across the hop (the NAS's authenticator travels as CHAP-Challenge).
    let (ok, out) = auth("User-Name = \"bob@example.org\", CHAP-Password = hello\n");
    assert!(ok && out.contains("Access-Accept"), "{out}");
    // A realm nobody serves: refused with a reason, not silence.
    let (_, out) = auth("User-Name = \"bob@nowhere.test\", User-Password = hello\n");
    assert!(
        out.contains("Access-Reject") && out.contains("unknown realm"),
        "{out}"
    );
    // Local realm and bare names: our own users.
    let (ok, out) = auth("User-Name = \"carol@local.test\", User-Password = local\n");
    assert!(ok && out.contains("Access-Accept"), "{out}");
    let (ok, out) = auth("User-Name = carol, User-Password = local\n");
    assert!(ok && out.contains("Access-Accept"), "{out}");
    // Accounting forwarded to the home server's accounting port.
    let (ok, out) = radclient(
        s.acct,
        "acct",
        "nas-secret",
        "User-Name = \"bob@example.org\", Acct-Status-Type = Start, Acct-Session-Id = \"p1\"\n",
    );
    assert!(ok && out.contains("Accounting-Response"), "{out}");

    // The primary dies: answers keep coming, from the second.
    drop(fr1);
    let t = Instant::now();
    let (ok, out) = auth("User-Name = \"bob@example.org\", User-Password = hello\n");
    let failover = t.elapsed();
    assert!(ok && out.contains("Access-Accept"), "{out}");
    assert!(
        failover < Duration::from_secs(4),
        "first answer after the primary died took {failover:?}"
    );
    // Within one response window of its death the primary is a zombie and
    // is skipped: requests after that take no window at all.
    let mut took = Vec::new();
    for _ in 0..6 {
        let t = Instant::now();
        let (ok, out) = auth("User-Name = \"bob@example.org\", User-Password = hello\n");
        assert!(ok && out.contains("Access-Accept"), "{out}");
        took.push(t.elapsed());
    }
    assert!(took.iter().all(|t| *t < Duration::from_secs(4)), "{took:?}");
    assert!(
        took[3..].iter().all(|t| *t < Duration::from_secs(1)),
        "the dead primary is still tried: {took:?}"
    );
    drop(fr2);
    // Both dead: a prompt Access-Reject with a Reply-Message.
    let (_, out) = auth("User-Name = \"bob@example.org\", User-Password = hello\n");
    assert!(
        out.contains("Access-Reject") && out.contains("Reply-Message"),
        "{out}"
    );
}

/// eapol_test PEAP (and EAP-TLS) through `radius serve` to two FreeRADIUS
/// EAP home servers with the same certificates, keyed-balance: every round
/// of each conversation must reach the same home server (a split one
/// fails: the other server has no TLS session), and the MPPE keys,
/// decrypted from each home server's reply and encrypted again for the
/// NAS, match what eapol_test derived.
#[test]
fn eapol_test_peap_through_the_proxy_to_two_freeradius_eap_homes() {
    use super::serve_eap::{certs, eapol, profile, Opts};
    use radius_test_support::EapCerts;
    if !have_tool("eapol_test") {
        return;
    }
    let dir = TempDir::new("cli-proxy-eap");
    let certs = certs(dir.path());
    let (cert, key) = &certs.server;
    let ec = EapCerts {
        ca: &certs.ca,
        cert,
        key,
    };
    let (Some(fr1), Some(fr2)) = (
        FreeRadius::start_eap(&ec, "1.2"),
        FreeRadius::start_eap(&ec, "1.2"),
    ) else {
        return;
    };
    let config = format!(
        "[server]\naccounting_db = \"acct.db\"\n\n[[client]]\naddress = \"127.0.0.0/8\"\nsecret = \"testing123\"\n\n\
         [[home_server]]\nname = \"eap1\"\naddress = \"127.0.0.1:{}\"\nsecret = \"testing123\"\n\n\
         [[home_server]]\nname = \"eap2\"\naddress = \"127.0.0.1:{}\"\nsecret = \"testing123\"\n\n\
         [[pool]]\nname = \"eap\"\ntype = \"keyed-balance\"\nservers = [\"eap1\", \"eap2\"]\n\n\
         [[realm]]\nname = \"*\"\npool = \"eap\"\n",
        fr1.auth.port(),
        fr2.auth.port()
    );
    std::fs::write(dir.join("radius.toml"), config).unwrap();
    let s = serve(&["--config", "radius.toml"], dir.path());
    for i in 0..12 {
        let mac = format!("02:00:00:00:00:{i:02x}");
        let name = if i % 3 == 2 {
            "eap-tls"
        } else {
            "peap-mschapv2"
        };
        let o = Opts {
            mac: Some(&mac),
            ..Opts::default()
        };
        let r = eapol(dir.path(), &certs, s.auth.port(), profile(name), &o);
        r.assert_success(&format!("{name} via the proxy, station {mac}"), 1);
    }
    let wrong = Opts {
        password: Some("wrong"),
        mac: Some("02:00:00:00:01:00"),
        ..Opts::default()
    };
    eapol(
        dir.path(),
        &certs,
        s.auth.port(),
        profile("peap-mschapv2"),
        &wrong,
    )
    .assert_failure("PEAP with a wrong password via the proxy");
}

/// A RadSec home server: radclient -> `radius serve` -> RadSec (our
/// client certificate) -> radsecproxy -> FreeRADIUS over UDP. PAP and
/// accounting cross both hops. Then radsecproxy dies: the next request is
/// answered by the UDP home server at once (a refused TLS connection needs
/// no response window), and when radsecproxy returns, Status-Server over
/// TLS brings it back and it takes the traffic again.
#[test]
fn radsec_home_server_behind_radsecproxy_fails_over_and_back() {
    use radius_test_support::radsec::{proxy_leaf, tls_block, Ca, Proxy, RADSECPROXY};
    use radius_test_support::{free_port_tcp, free_port_udp};
    if !have_tool("radclient") || !have_tool(RADSECPROXY) {
        return;
    }
    let (Some(fr1), Some(fr2)) = (FreeRadius::start(), FreeRadius::start()) else {
        return;
    };
    let dir = TempDir::new("cli-proxy-radsec");
    let ca = Ca::new("cli-proxy-radsec CA");
    let (ca_pem, rp_cert, rp_key) = ca.write(dir.path(), "radsecproxy", &proxy_leaf(&ca));
    let (_, our_cert, our_key) = ca.write(dir.path(), "serve", &ca.client("127.0.0.1"));
    let tls_port = free_port_tcp();
    let rp_conf = format!(
        "ListenTLS 127.0.0.1:{tls_port}\nListenUDP 127.0.0.1:{}\nLogLevel 4\n{}\
         client serve {{\n    host 127.0.0.1\n    type tls\n    secret radsec\n}}\n\
         server fr {{\n    host 127.0.0.1\n    port {}\n    type udp\n    secret testing123\n}}\n\
         realm * {{\n    server fr\n    accountingServer fr\n}}\n",
        free_port_udp(),
        tls_block(&ca_pem, &rp_cert, &rp_key),
        fr1.auth.port()
    );
    // radsecproxy's accounting goes to the auth port's +1 only when told:
    // give FreeRADIUS's accounting port its own server block.
    let rp_conf = rp_conf.replace(
        "realm * {\n    server fr\n    accountingServer fr\n}\n",
        &format!(
            "server fracct {{\n    host 127.0.0.1\n    port {}\n    type udp\n    secret testing123\n}}\n\
             realm * {{\n    server fr\n    accountingServer fracct\n}}\n",
            fr1.acct.port()
        ),
    );
    let rp = Proxy::start(dir.path(), &rp_conf);
    let config = format!(
        "[server]\naccounting_db = \"acct.db\"\n\n[[client]]\naddress = \"127.0.0.0/8\"\nsecret = \"nas-secret\"\n\
         require_message_authenticator = \"no\"\n\n\
         [[home_server]]\nname = \"tls\"\naddress = \"127.0.0.1:{tls_port}\"\ntransport = \"radsec\"\n\
         tls_cert = \"{}\"\ntls_key = \"{}\"\ntls_ca = \"{}\"\ntls_server_name = \"radsecproxy\"\n\
         response_window = 1.5\nzombie_period = 2.0\n\n\
         [[home_server]]\nname = \"udp\"\naddress = \"127.0.0.1:{}\"\nsecret = \"testing123\"\nresponse_window = 1.5\n\n\
         [[pool]]\nname = \"main\"\ntype = \"fail-over\"\nservers = [\"tls\", \"udp\"]\n\n\
         [[realm]]\nname = \"example.org\"\npool = \"main\"\nstrip = true\n",
        our_cert.display(),
        our_key.display(),
        ca_pem.display(),
        fr2.auth.port()
    );
    std::fs::write(dir.join("radius.toml"), config).unwrap();
    let s = serve(&["--config", "radius.toml"], dir.path());
    let auth = |input: &str| radclient(s.auth, "auth", "nas-secret", input);
    let bob = "User-Name = \"bob@example.org\", User-Password = hello\n";

    // Through radsecproxy to the first FreeRADIUS (radsecproxy matches its
    // TLS client by the address in our certificate).
    let (ok, out) = auth(bob);
    assert!(
        ok && out.contains("Access-Accept"),
        "{out}\nradsecproxy log:\n{}",
        rp.log()
    );
    let (_, out) = auth("User-Name = \"bob@example.org\", User-Password = wrong\n");
    assert!(out.contains("Access-Reject"), "{out}");
    let (ok, out) = radclient(
        s.acct,
        "acct",
        "nas-secret",
        "User-Name = \"bob@example.org\", Acct-Status-Type = Start, Acct-Session-Id = \"rs1\"\n",
    );
    assert!(
        ok && out.contains("Accounting-Response"),
        "{out}\nradsecproxy log:\n{}",
        rp.log()
    );
    let log = rp.log();
    assert!(
        log.matches("Access-Request").count() >= 2 && log.contains("Accounting-Request"),
        "the requests crossed radsecproxy:\n{log}"
    );

    // radsecproxy dies: the UDP home answers, without a response window.
    drop(rp);
    for _ in 0..3 {
        let t = Instant::now();
        let (ok, out) = auth(bob);
        assert!(ok && out.contains("Access-Accept"), "{out}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }

    // It returns on the same port: Status-Server over TLS revives it and
    // the traffic goes back through it.
    let rp = Proxy::start(dir.path(), &rp_conf);
    let deadline = Instant::now() + Duration::from_secs(20);
    let through = |rp: &Proxy| rp.log().matches("Access-Request").count();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let before = through(&rp);
        let (ok, out) = auth(bob);
        assert!(ok && out.contains("Access-Accept"), "{out}");
        if through(&rp) > before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never failed back to the RadSec home server; radsecproxy log:\n{}",
            rp.log()
        );
    }
}

/// CoA and Disconnect back through the proxy (RFC 8559): `radius serve`
/// adds Operator-Name and its Operator-NAS-Identifier to what it forwards
/// to a FreeRADIUS home server, which hands the identifier back (as Class,
/// standing in for the home network's session store); a CoA-Request and a
/// Disconnect-Request carrying it reach the NAS — a second FreeRADIUS
/// listening for CoA, which NAKs anything still carrying the identifier —
/// and their ACKs come back. An altered identifier is not routable (NAK,
/// Error-Cause 502); a NAS-IP-Address of a client with `coa_port` is a
/// configured route.
#[test]
fn coa_and_disconnect_are_routed_back_to_the_nas() {
    if !have_tool("radclient") {
        return;
    }
    let (Some(home), Some(nas)) = (FreeRadius::start(), FreeRadius::start()) else {
        return;
    };
    let dir = TempDir::new("cli-proxy-coa");
    let config = format!(
        "[server]\naccounting_db = \"acct.db\"\n\n\
         [[client]]\naddress = \"127.0.0.0/8\"\nsecret = \"testing123\"\nrequire_message_authenticator = \"no\"\n\
         coa_port = {}\n\n\
         [proxy]\noperator_name = \"1visited.example\"\noperator_nas_identifier = true\n\
         operator_nas_key = \"a test key, 16+ characters\"\n\n\
         [[home_server]]\nname = \"home\"\naddress = \"127.0.0.1:{}\"\nsecret = \"testing123\"\n\n\
         [[pool]]\nname = \"main\"\nservers = [\"home\"]\n\n\
         [[realm]]\nname = \"example.org\"\npool = \"main\"\nstrip = true\n",
        nas.coa.port(),
        home.auth.port()
    );
    std::fs::write(dir.join("radius.toml"), config).unwrap();
    let s = serve(&["--config", "radius.toml"], dir.path());
    let (ok, out) = radclient(
        s.auth,
        "auth",
        "testing123",
        "User-Name = \"bob@example.org\", User-Password = hello\n",
    );
    assert!(ok && out.contains("Access-Accept"), "{out}");
    assert!(
        out.contains("operator 1visited.example"),
        "Operator-Name reached the home server:\n{out}"
    );
    // The identifier the home server saw, as it handed it back.
    let token = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Class = 0x"))
        .unwrap_or_else(|| panic!("no Operator-NAS-Identifier reached the home server:\n{out}"))
        .to_owned();
    assert_eq!(token.len(), 2 * 17, "an IPv4 NAS's token: {token}");

    // Routed back by the identifier; the NAS ACKs only without it.
    let coa = |kind: &str, token: &str| {
        radclient(
            s.coa,
            kind,
            "testing123",
            &format!(
                "User-Name = bob, Acct-Session-Id = \"s1\", Operator-NAS-Identifier = 0x{token}\n"
            ),
        )
    };
    let (ok, out) = coa("coa", &token);
    assert!(ok && out.contains("CoA-ACK"), "{out}\n{}", nas.log());
    let (ok, out) = coa("disconnect", &token);
    assert!(ok && out.contains("Disconnect-ACK"), "{out}\n{}", nas.log());

    // An altered identifier routes nowhere.
    let mut forged = token.clone().into_bytes();
    forged[12] = if forged[12] == b'0' { b'1' } else { b'0' };
    let (_, out) = coa("coa", std::str::from_utf8(&forged).unwrap());
    assert!(
        out.contains("CoA-NAK") && out.contains("Proxy-Request-Not-Routable"),
        "{out}"
    );

    // No identifier: the NAS-IP-Address of a client with coa_port.
    let (ok, out) = radclient(
        s.coa,
        "coa",
        "testing123",
        "User-Name = bob, NAS-IP-Address = 127.0.0.1, Acct-Session-Id = \"s1\"\n",
    );
    assert!(ok && out.contains("CoA-ACK"), "{out}");
}

/// `accounting_fallback = "local"`: accounting no home server answers is
/// stored here and answered (an Accounting-Response only once the local
/// record committed); without it the NAS gets no answer and keeps it.
#[test]
fn accounting_nobody_upstream_answers_falls_back_to_the_local_store() {
    if !have_tool("radclient") {
        return;
    }
    let silent = radius_test_support::free_udp_pair();
    let config = |fallback: &str| {
        format!(
            "[server]\naccounting_db = \"acct.db\"\n\n\
             [[client]]\naddress = \"127.0.0.0/8\"\nsecret = \"nas-secret\"\n\n\
             [proxy]\naccounting_fallback = \"{fallback}\"\n\n\
             [[home_server]]\nname = \"silent\"\naddress = \"127.0.0.1:{silent}\"\nsecret = \"x\"\n\
             response_window = 0.5\n\n\
             [[pool]]\nname = \"main\"\nservers = [\"silent\"]\n\n\
             [[realm]]\nname = \"*\"\npool = \"main\"\n"
        )
    };
    let start =
        "User-Name = \"bob@example.org\", Acct-Status-Type = Start, Acct-Session-Id = \"fb-1\"\n";
    for fallback in ["none", "local"] {
        let dir = TempDir::new("cli-proxy-acct-fallback");
        std::fs::write(dir.join("radius.toml"), config(fallback)).unwrap();
        let s = serve(&["--config", "radius.toml"], dir.path());
        let (ok, out) = radclient(s.acct, "acct", "nas-secret", start);
        let list = std::process::Command::new(super::serve::BIN)
            .args(["acct", "list", "--json", "--db"])
            .arg(dir.join("acct.db"))
            .output()
            .unwrap();
        let rows = String::from_utf8_lossy(&list.stdout).into_owned();
        if fallback == "local" {
            assert!(ok && out.contains("Accounting-Response"), "{out}");
            assert!(rows.contains("fb-1"), "stored locally: {rows}");
        } else {
            assert!(!ok && !out.contains("Accounting-Response"), "{out}");
            assert!(!rows.contains("fb-1"), "{rows}");
        }
    }
}
