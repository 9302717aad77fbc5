//! `radius send` end to end: the binary against an in-process
//! radius-server (and FreeRADIUS when installed).

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use radius_test_support::{run_with_input, FreeRadius, TempDir};

use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, AccountingRequest,
    AccountingResponse, Cidr, ClientConfig, CoaAck, CoaNak, CoaRequest, DisconnectAck,
    DisconnectRequest, HostTable, Reply, Server, ServerHandle,
};

use radius_dict::prelude::{AcctStatusType, ReplyMessage, UserName, UserPassword};
radius_core::attribute! { Custom(Custom_) = "Acme-Color", Std(250), String }

#[radius_handler]
async fn auth(
    _req: AccessRequest,
    name: UserName,
    pass: UserPassword,
    custom: Option<Custom>,
) -> Reply {
    if pass.as_str() == "hello" {
        let mut a =
            AccessAccept::new().with(ReplyMessage::new(format!("welcome {}", name.as_str())));
        if let Some(c) = custom {
            a = a.with(ReplyMessage::new(format!("color {}", c.as_str())));
        }
        a.into()
    } else {
        AccessReject::new().into()
    }
}

#[radius_handler]
async fn acct(_req: AccountingRequest, _s: AcctStatusType) -> AccountingResponse {
    AccountingResponse::new()
}

#[radius_handler]
async fn coa(_req: CoaRequest, name: UserName) -> Reply {
    if name.as_str() == "bob" {
        CoaAck::new().into()
    } else {
        CoaNak::new()
            .error_cause(typed_radius::dict::prelude::ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}

#[radius_handler]
async fn disconnect(_req: DisconnectRequest, _name: UserName) -> DisconnectAck {
    DisconnectAck::new()
}

pub(crate) async fn server() -> ServerHandle {
    let hosts = HostTable::new().with(
        "127.0.0.0/8".parse::<Cidr>().unwrap(),
        ClientConfig::new("localhost", "testing123"),
    );
    let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Server::builder()
        .clients(hosts)
        .auth(auth)
        .accounting(acct)
        .coa(coa)
        .disconnect(disconnect)
        .bind_auth(lo)
        .bind_acct(lo)
        .bind_coa(lo)
        .workers(1)
        .spawn()
        .await
        .unwrap()
}

/// Run `radius send ARGS` with `input` on stdin.
pub(crate) fn send(args: &[&str], input: &str) -> Output {
    run_with_input(
        Command::new(env!("CARGO_BIN_EXE_radius"))
            .arg("send")
            .args(args),
        input,
    )
}

pub(crate) fn text(o: &Output) -> (String, String, i32) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

pub(crate) const BOB: &str = "User-Name = \"bob\", User-Password = \"hello\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_against_our_server() {
    let srv = server().await;
    let auth = srv.auth_addrs()[0].to_string();
    let acct = srv.acct_addrs()[0].to_string();
    let coa_addr = srv.coa_addrs()[0].to_string();

    // Accept: exit 0, compact line with the reply attributes.
    let (out, err, rc) = text(&send(&[&auth, "auth", "testing123"], BOB));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.starts_with("(0) Access-Accept Id "), "{out}");
    assert!(out.contains("Reply-Message = \"welcome bob\""), "{out}");

    // --json: one object per request, reply attributes as name/value.
    let two = format!("{BOB}\nUser-Name = \"bob\", User-Password = \"nope\"\n");
    let (out, err, rc) = text(&send(
        &["--json", "-p", "1", &auth, "auth", "testing123"],
        &two,
    ));
    assert_eq!(rc, 1, "one reject: exit 1; {out}{err}");
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(objs.len(), 2, "{out}");
    assert_eq!(objs[0]["index"], 0);
    assert_eq!(objs[0]["code"], "Access-Accept");
    assert_eq!(objs[0]["server"], auth.as_str());
    assert_eq!(objs[0]["attempts"], 1);
    assert!(objs[0]["rtt_ms"].as_f64().unwrap() > 0.0);
    assert!(
        objs[0]["attributes"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"name": "Reply-Message", "value": "\"welcome bob\""})),
        "{out}"
    );
    assert_eq!(objs[1]["code"], "Access-Reject");

    // -x: radclient's layout.
    let (out, err, rc) = text(&send(&["-x", &auth, "auth", "testing123"], BOB));
    assert_eq!(rc, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("Sent Access-Request Id "), "{out}");
    assert!(lines[0].contains(&format!("to {auth} length ")), "{out}");
    // The Sent block is what went out: the input and the
    // Message-Authenticator the client added, with its real value.
    let received = lines
        .iter()
        .position(|l| l.starts_with("Received Access-Accept Id "))
        .unwrap_or_else(|| panic!("{out}"));
    let sent = &lines[1..received];
    assert!(sent.contains(&"\tUser-Name = \"bob\""), "{out}");
    assert!(sent.contains(&"\tUser-Password = \"hello\""), "{out}");
    let ma = sent
        .iter()
        .find_map(|l| l.strip_prefix("\tMessage-Authenticator = 0x"))
        .unwrap_or_else(|| panic!("no Message-Authenticator sent: {out}"));
    assert_eq!(ma.len(), 32, "{out}");
    assert_ne!(ma, "0".repeat(32), "{out}");
    assert!(
        lines[received].contains(&format!("from {auth} to ")),
        "{out}"
    );
    assert!(
        lines[received..]
            .iter()
            .any(|l| l.starts_with("\tMessage-Authenticator = 0x")),
        "{out}"
    );
    assert!(
        lines.contains(&"\tReply-Message = \"welcome bob\""),
        "{out}"
    );

    // Blocks as radclient reads them: the second (two lines) is rejected.
    let input = format!("{BOB}\n# a comment\nUser-Name = \"bob\"\nUser-Password = \"nope\"\n");
    let (out, _, rc) = text(&send(&["-p", "1", &auth, "auth", "testing123"], &input));
    assert_eq!(rc, 1, "{out}");
    assert!(
        out.contains("Access-Accept") && out.contains("Access-Reject"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 2);

    // --per-line, -c: 2 lists x 3.
    let input = "User-Name = \"bob\", User-Password = \"hello\"\nUser-Name = \"amy\", User-Password = \"hello\"\n";
    let (out, _, rc) = text(&send(
        &[
            "--per-line",
            "-c",
            "3",
            "-p",
            "4",
            &auth,
            "auth",
            "testing123",
        ],
        input,
    ));
    assert_eq!(rc, 0);
    assert_eq!(
        out.lines().filter(|l| l.contains("Access-Accept")).count(),
        6,
        "{out}"
    );
    assert!(out.contains("welcome amy"));

    // -f FILE.
    let dir = TempDir::new("radius-send");
    let f = dir.join("req.txt");
    std::fs::write(&f, BOB).unwrap();
    let (out, _, rc) = text(&send(
        &["-f", f.to_str().unwrap(), &auth, "auth", "testing123"],
        "",
    ));
    assert_eq!(rc, 0, "{out}");

    // Status-Server with no input.
    let (out, err, rc) = text(&send(&[&auth, "status", "testing123"], ""));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("Access-Accept"));

    // Accounting.
    let (out, err, rc) = text(&send(
        &[&acct, "acct", "testing123"],
        "User-Name = \"bob\", Acct-Status-Type = Start, Acct-Session-Id = \"s1\"\n",
    ));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("Accounting-Response"));

    // CoA ACK (0), NAK (1), Disconnect ACK (0).
    let (out, _, rc) = text(&send(
        &[&coa_addr, "coa", "testing123"],
        "User-Name = \"bob\"\n",
    ));
    assert_eq!((rc, out.contains("CoA-ACK")), (0, true), "{out}");
    let (out, _, rc) = text(&send(
        &[&coa_addr, "coa", "testing123"],
        "User-Name = \"eve\"\n",
    ));
    assert_eq!((rc, out.contains("CoA-NAK")), (1, true), "{out}");
    assert!(out.contains("Error-Cause = "), "{out}");
    let (out, _, rc) = text(&send(
        &[&coa_addr, "disconnect", "testing123"],
        "User-Name = \"bob\"\n",
    ));
    assert_eq!((rc, out.contains("Disconnect-ACK")), (0, true), "{out}");

    // Wrong secret: silence, so a timeout: exit 2 after -r tries of -t.
    let t0 = Instant::now();
    let (out, err, rc) = text(&send(
        &["-t", "0.2", "-r", "2", &auth, "auth", "wrong"],
        BOB,
    ));
    assert_eq!(rc, 2, "{out}{err}");
    assert!(
        err.contains("no reply from") && err.contains("2 attempt(s)"),
        "{err}"
    );
    assert!(t0.elapsed() >= Duration::from_millis(350));

    // Bad input: exit 2 naming the line, nothing sent.
    let (_, err, rc) = text(&send(
        &[&auth, "auth", "testing123"],
        "User-Name = \"bob\"\n\nNo-Such-Attribute = 1\n",
    ));
    assert_eq!(rc, 2);
    assert!(
        err.contains("stdin:3") && err.contains("No-Such-Attribute"),
        "{err}"
    );

    // --dict: a run-time dictionary that knows a private attribute.
    let d = dir.join("dictionary");
    std::fs::write(
        &d,
        "ATTRIBUTE User-Name 1 string\nATTRIBUTE User-Password 2 string encrypt=1\n\
         ATTRIBUTE Reply-Message 18 string\nATTRIBUTE Message-Authenticator 80 octets\n\
         ATTRIBUTE Acme-Color 250 string\n",
    )
    .unwrap();
    let input = "User-Name = \"bob\", User-Password = \"hello\", Acme-Color = \"red\"\n";
    let (out, err, rc) = text(&send(
        &["--dict", d.to_str().unwrap(), &auth, "auth", "testing123"],
        input,
    ));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("Reply-Message = \"color red\""), "{out}");
    let (_, _, rc) = text(&send(&[&auth, "auth", "testing123"], input));
    assert_eq!(rc, 2, "the embedded dictionaries do not know Acme-Color");

    // --dict with a file that only declares a vendor: layered over the
    // built-in dictionaries, so User-Name still resolves.
    let v = dir.join("dictionary.acme");
    std::fs::write(
        &v,
        "VENDOR Acme 32473\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Level 1 integer\n\
         VALUE Acme-Level Gold 3\nEND-VENDOR Acme\n",
    )
    .unwrap();
    let input = "User-Name = \"bob\", User-Password = \"hello\", Acme-Level = Gold\n";
    let (out, err, rc) = text(&send(
        &[
            "-x",
            "--dict",
            v.to_str().unwrap(),
            &auth,
            "auth",
            "testing123",
        ],
        input,
    ));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("\tAcme-Level = Gold\n"), "{out}");
    assert!(out.contains("Reply-Message = \"welcome bob\""), "{out}");

    srv.shutdown().await;
}

#[test]
fn send_to_nobody_times_out() {
    // A bound socket that never answers.
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = s.local_addr().unwrap().to_string();
    let (_, err, rc) = text(&send(&["-t", "0.1", "-r", "1", &addr, "auth", "x"], BOB));
    assert_eq!(rc, 2, "{err}");
    // Nothing listening at all (ICMP port unreachable): still a clean exit 2.
    drop(s);
    let (_, err, rc) = text(&send(&["-t", "0.1", "-r", "2", &addr, "auth", "x"], BOB));
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("no reply"), "{err}");
    // --json reports it on stdout.
    let (out, err, rc) = text(&send(
        &["--json", "-t", "0.1", "-r", "1", &addr, "auth", "x"],
        BOB,
    ));
    assert_eq!(rc, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["index"].as_u64(), v["timeout"].as_bool()),
        (Some(0), Some(true)),
        "{out}"
    );
}

#[test]
fn send_against_freeradius() {
    let Some(fr) = FreeRadius::start() else {
        return;
    };
    let auth = fr.auth.to_string();
    let acct = fr.acct.to_string();
    // FreeRadius::start waited for a Status-Server answer; ours must get one too.
    let (out, err, rc) = text(&send(&[&auth, "status", "testing123"], ""));
    assert_eq!(rc, 0, "{out}{err}");
    let (out, err, rc) = text(&send(&["-x", &auth, "auth", "testing123"], BOB));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("Received Access-Accept"), "{out}");
    // The Message-Authenticator printed is the one FreeRADIUS checked.
    let sent = out.split("Received").next().unwrap();
    let ma = sent
        .lines()
        .find_map(|l| l.strip_prefix("\tMessage-Authenticator = 0x"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(ma.len(), 32, "{out}");
    assert_ne!(ma, "0".repeat(32), "{out}");
    let bad = "User-Name = \"bob\", User-Password = \"bad\"\n";
    let (out, _, rc) = text(&send(&[&auth, "auth", "testing123"], bad));
    assert_eq!(rc, 1, "{out}");
    let (out, _, rc) = text(&send(
        &[&acct, "acct", "testing123"],
        "User-Name = \"bob\", Acct-Status-Type = Stop, Acct-Session-Id = \"x\"\n",
    ));
    assert_eq!(rc, 0, "{out}");
}
