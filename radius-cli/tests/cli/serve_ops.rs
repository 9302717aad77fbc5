//! Operating `radius serve`: `--metrics` (the Prometheus text format, read
//! by an independent parser, the prometheus-parse crate, moving with
//! radclient's traffic), the auth log (`--log-format json`), and the
//! `radius coa` / `radius disconnect` commands against a FreeRADIUS NAS.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use prometheus_parse::{Scrape, Value};
use radius_test_support::{free_port_tcp, have_tool, TempDir};

use super::serve::{radclient, serve};

fn scrape(addr: SocketAddr) -> Scrape {
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    c.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = s
        .samples
        .iter()
        .filter(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => panic!("{name}: not a counter or gauge"),
        })
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0]
}

#[test]
fn metrics_parse_and_move_with_traffic() {
    if !have_tool("radclient") {
        return;
    }
    let dir = TempDir::new("cli-metrics");
    let port = free_port_tcp();
    let metrics: SocketAddr = ([127, 0, 0, 1], port).into();
    let s = serve(&["--metrics", &metrics.to_string()], dir.path());
    let before = scrape(metrics);
    let accepts = |s: &Scrape| {
        value(
            s,
            "radius_replies_total",
            &[("transport", "udp"), ("code", "Access-Accept")],
        )
    };
    assert_eq!(accepts(&before), 0.0);
    assert!(before.docs.contains_key("radius_dropped_total"));

    let bob = "User-Name = bob, User-Password = hello\n";
    for _ in 0..3 {
        let (ok, out) = radclient(s.auth, "auth", "testing123", bob);
        assert!(ok, "{out}");
    }
    let (_, out) = radclient(
        s.auth,
        "auth",
        "testing123",
        "User-Name = bob, User-Password = wrong\n",
    );
    assert!(out.contains("Access-Reject"), "{out}");
    let (ok, _) = radclient(
        s.acct,
        "acct",
        "testing123",
        "User-Name = bob, Acct-Status-Type = Start, Acct-Session-Id = \"m1\"\n",
    );
    assert!(ok);
    // A wrong secret: the Message-Authenticator check drops it.
    let _ = radius_test_support::radclient(
        &["-r", "1", "-t", "1"],
        s.auth,
        "auth",
        "not-the-secret",
        "User-Name = bob, User-Password = hello, Message-Authenticator = 0x00\n",
    );

    let after = scrape(metrics);
    assert_eq!(accepts(&after), 3.0);
    let code = |c| {
        value(
            &after,
            "radius_replies_total",
            &[("transport", "udp"), ("code", c)],
        )
    };
    assert_eq!(code("Access-Reject"), 1.0);
    assert_eq!(code("Accounting-Response"), 1.0);
    assert_eq!(
        value(
            &after,
            "radius_dropped_total",
            &[
                ("transport", "udp"),
                ("reason", "bad_message_authenticator")
            ]
        ),
        1.0
    );
    assert!(value(&after, "radius_requests_total", &[("transport", "udp")]) >= 5.0);
    assert_eq!(value(&after, "radius_eap_sessions_in_progress", &[]), 0.0);
    // Per client (the embedded default's client is "localhost").
    let client = |c| {
        value(
            &after,
            "radius_client_replies_total",
            &[("client", "localhost"), ("code", c)],
        )
    };
    assert_eq!(
        (client("Access-Accept"), client("Access-Reject")),
        (3.0, 1.0)
    );
    assert_eq!(
        value(
            &after,
            "radius_client_requests_total",
            &[("client", "localhost")]
        ),
        5.0
    );
    // The latency histogram counts every reply sent, in ascending buckets.
    let hist = after
        .samples
        .iter()
        .find_map(|x| match &x.value {
            Value::Histogram(h)
                if x.metric == "radius_request_duration_seconds"
                    && x.labels.get("transport") == Some("udp") =>
            {
                Some(h.clone())
            }
            _ => None,
        })
        .expect("the latency histogram");
    assert!(hist
        .windows(2)
        .all(|w| w[0].count <= w[1].count && w[0].less_than < w[1].less_than));
    assert_eq!(hist.last().unwrap().count, 5.0, "{hist:?}");

    // The same counters the way FreeRADIUS's monitoring polls them:
    // Status-Server with FreeRADIUS-Statistics-Type, read by radclient.
    let (ok, out) = radclient(
        s.auth,
        "status",
        "testing123",
        "Message-Authenticator = 0x00, FreeRADIUS-Statistics-Type = All\n",
    );
    assert!(ok, "{out}");
    for want in [
        "FreeRADIUS-Total-Access-Requests = 4",
        "FreeRADIUS-Total-Access-Accepts = 3",
        "FreeRADIUS-Total-Access-Rejects = 1",
        "FreeRADIUS-Total-Auth-Responses = 4",
        "FreeRADIUS-Total-Auth-Invalid-Requests = 1",
        "FreeRADIUS-Total-Accounting-Requests = 1",
        "FreeRADIUS-Total-Accounting-Responses = 1",
    ] {
        assert!(out.contains(want), "want {want}:\n{out}");
    }
    // Without the attribute: a plain Status-Server answer.
    let (ok, out) = radclient(
        s.auth,
        "status",
        "testing123",
        "Message-Authenticator = 0x00\n",
    );
    assert!(ok && !out.contains("FreeRADIUS-Total"), "{out}");

    // Anything but GET /metrics: 404.
    let mut c = TcpStream::connect(metrics).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut resp = String::new();
    c.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
}

/// The auth log: one JSON line per Access-Request outcome with user,
/// client, NAS, method, result and reason — and never the password.
#[test]
fn auth_log_lines_in_json_without_passwords() {
    if !have_tool("radclient") {
        return;
    }
    let dir = TempDir::new("cli-auth-log");
    let mut s = serve(&["--log-format", "json"], dir.path());
    let send = |input: &str| radclient(s.auth, "auth", "testing123", input);
    assert!(send("User-Name = bob, User-Password = hello, NAS-Identifier = \"sw-7\"\n").0);
    let (_, out) = send("User-Name = bob, User-Password = s3cr3t-wrong\n");
    assert!(out.contains("Access-Reject"), "{out}");
    let (_, out) = send("User-Name = nobody, User-Password = hello\n");
    assert!(out.contains("Access-Reject"), "{out}");
    let mut auth: Vec<serde_json::Value> = Vec::new();
    let done = s
        .log
        .wait_until(std::time::Duration::from_secs(10), |line| {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                if v["target"] == "radius::auth" {
                    auth.push(v);
                }
            }
            auth.len() == 3
        });
    assert!(done, "three auth lines:\n{}", s.log.seen());
    let field = |i: usize, k: &str| auth[i][k].as_str().unwrap_or_default().to_owned();
    assert_eq!(field(0, "level"), "INFO");
    assert_eq!(
        (
            field(0, "user"),
            field(0, "result"),
            field(0, "method"),
            field(0, "nas")
        ),
        ("bob".into(), "accept".into(), "pap".into(), "sw-7".into())
    );
    assert_eq!(field(0, "client"), "localhost");
    assert_eq!(
        (field(1, "result"), field(1, "reason")),
        ("reject".into(), "wrong password".into())
    );
    assert_eq!(
        (field(2, "user"), field(2, "reason")),
        ("nobody".into(), "unknown user".into())
    );
    let all = s.log.seen();
    assert!(
        !all.contains("s3cr3t-wrong") && !all.contains("hello\""),
        "{all}"
    );
}

/// `radius disconnect` / `radius coa`: the session `radius serve` recorded
/// (SQLite) is looked up by user and its NAS — FreeRADIUS listening for
/// CoA, as a NAS would — gets the request and acknowledges it; a closed
/// session is no longer found.
#[test]
fn coa_and_disconnect_commands_reach_the_sessions_nas() {
    use radius_test_support::FreeRadius;
    if !have_tool("radclient") {
        return;
    }
    let Some(nas) = FreeRadius::start() else {
        return;
    };
    let dir = TempDir::new("cli-coa-command");
    let s = serve(&[], dir.path());
    let acct = |status: &str| {
        radclient(
            s.acct,
            "acct",
            "testing123",
            &format!(
                "User-Name = carol, Acct-Status-Type = {status}, Acct-Session-Id = \"c-1\", NAS-IP-Address = 127.0.0.1\n"
            ),
        )
    };
    assert!(acct("Start").0);
    let db = dir.join("radius-accounting.db");
    let run = |cmd: &str, by: &[&str], extra: &[&str]| {
        let out = std::process::Command::new(super::serve::BIN)
            .arg(cmd)
            .arg("--db")
            .arg(&db)
            .args(by)
            .args(["--secret", FreeRadius::SECRET, "--port"])
            .arg(nas.coa.port().to_string())
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, out) = run("coa", &["--user", "carol"], &["Session-Timeout = 60"]);
    assert!(
        ok && out.contains("CoA-ACK") && out.contains("\"c-1\""),
        "{out}\n{}",
        nas.log()
    );
    let (ok, out) = run("disconnect", &["--session", "c-1"], &[]);
    assert!(ok && out.contains("Disconnect-ACK"), "{out}");
    let (ok, out) = run("disconnect", &["--user", "nobody"], &[]);
    assert!(!ok && out.contains("no open session"), "{out}");
    assert!(acct("Stop").0);
    let (ok, out) = run("disconnect", &["--user", "carol"], &[]);
    assert!(!ok && out.contains("no open session"), "{out}");
}

/// SIGHUP while `radius bench` runs: a new user and a new client are
/// served, no request is lost, and a broken file is refused with its
/// file:line while the running configuration stays.
#[test]
fn sighup_adds_a_user_and_a_client_without_losing_a_request() {
    use radius_server::UdpClient;
    use typed_radius::dict::prelude::{UserName, UserPassword};
    if !have_tool("radclient") {
        return;
    }
    let dir = TempDir::new("cli-reload");
    let base = "[server]\naccounting_db = \"acct.db\"\n\n\
                [[client]]\nname = \"lo\"\naddress = \"127.0.0.1\"\nsecret = \"testing123\"\n\n\
                [[user]]\nname = \"bob\"\npassword = \"hello\"\n";
    std::fs::write(dir.join("radius.toml"), base).unwrap();
    let mut s = serve(&["--config", "radius.toml"], dir.path());
    let hup = |pid: u32| {
        let st = std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    };
    // (With Message-Authenticator: the bench's requests teach the `auto`
    // client to require it, and the reload must not forget that.)
    let (ok, _) = radclient(
        s.auth,
        "auth",
        "testing123",
        "User-Name = dave, User-Password = pw, Message-Authenticator = 0x00\n",
    );
    assert!(!ok, "dave is not a user yet");

    let bench = std::process::Command::new(super::serve::BIN)
        .args([
            "bench",
            "--json",
            "-q",
            "-c",
            "16",
            "-d",
            "4",
            "--timeout",
            "2",
        ])
        .arg(s.auth.to_string())
        .arg("auth")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    std::fs::write(
        dir.join("radius.toml"),
        format!(
            "{base}\n[[user]]\nname = \"dave\"\npassword = \"pw\"\n\n\
             [[client]]\nname = \"second\"\naddress = \"127.0.0.2\"\nsecret = \"other\"\n"
        ),
    )
    .unwrap();
    hup(s.pid());
    assert!(
        s.log.wait_until(std::time::Duration::from_secs(5), |l| l
            .contains("reloaded")),
        "{}",
        s.log.seen()
    );
    let (ok, out) = radclient(
        s.auth,
        "auth",
        "testing123",
        "User-Name = dave, User-Password = pw, Message-Authenticator = 0x00\n",
    );
    assert!(ok && out.contains("Access-Accept"), "{out}");
    // The new client, from its own address.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let from_second = || {
        rt.block_on(async {
            UdpClient::builder(s.auth, "other")
                .bind("127.0.0.2:0".parse().unwrap())
                .build()
                .access_request()
                .with(UserName::new("bob"))
                .with(UserPassword::new("hello"))
                .send()
                .await
                .map(|r| r.code())
        })
    };
    assert_eq!(from_second().unwrap(), radius_core::Code::ACCESS_ACCEPT);

    // A broken file: refused with file:line, the running one stays.
    std::fs::write(
        dir.join("radius.toml"),
        format!("{base}\n[[user]]\nname = 7\n"),
    )
    .unwrap();
    hup(s.pid());
    assert!(
        s.log.wait_until(std::time::Duration::from_secs(5), |l| l
            .contains("reload refused")),
        "{}",
        s.log.seen()
    );
    assert!(s.log.seen().contains("radius.toml:"), "{}", s.log.seen());
    let (ok, _) = radclient(
        s.auth,
        "auth",
        "testing123",
        "User-Name = dave, User-Password = pw, Message-Authenticator = 0x00\n",
    );
    assert!(ok, "the running configuration stays");
    // What the unchanged client learned survived both reloads: a request
    // without Message-Authenticator is still dropped.
    let (ok, out) = radclient(
        s.auth,
        "auth",
        "testing123",
        "User-Name = bob, User-Password = hello\n",
    );
    assert!(!ok && out.contains("No reply"), "{out}");
    assert_eq!(from_second().unwrap(), radius_core::Code::ACCESS_ACCEPT);

    let out = bench.wait_with_output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = j["requests"].as_u64().unwrap();
    assert!(n > 100, "{j}");
    assert_eq!(j["accepted"].as_u64().unwrap(), n, "{j}");
    assert_eq!(j["timeouts"], 0, "no request lost across the reload: {j}");
}
