//! `radius send` where it follows radclient: CHAP-Password computed from a
//! clear password (FreeRADIUS decides whether it is right), `-f
//! requests:filters` and `-s` (radclient itself runs the same files
//! against the same FreeRADIUS: the summaries must be the same text), `-q`
//! and `-n` (against our in-process server).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use radius_test_support::{have_tool, FreeRadius, TempDir};

use crate::send::{send, server, text, BOB};

/// `-x` output's sent CHAP-Password value (hex digits), if any.
fn sent_chap(out: &str) -> Option<String> {
    out.split("Received")
        .next()?
        .lines()
        .find_map(|l| l.strip_prefix("\tCHAP-Password = 0x").map(str::to_owned))
}

#[test]
fn chap_password_against_freeradius() {
    let Some(fr) = FreeRadius::start() else {
        return;
    };
    let auth = fr.auth.to_string();
    let run = |input: &str, extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend([auth.as_str(), "auth", FreeRadius::SECRET]);
        text(&send(&args, input))
    };

    // A clear password: the CHAP response goes out (17 octets, not the
    // password), and FreeRADIUS's chap module accepts it.
    let (out, err, rc) = run("User-Name = \"bob\", CHAP-Password = \"hello\"\n", &["-x"]);
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("Received Access-Accept"), "{out}");
    let chap = sent_chap(&out).unwrap_or_else(|| panic!("{out}"));
    assert_eq!(chap.len(), 34, "ident and 16-octet response: {out}");
    assert!(!out.contains("hello"), "{out}");
    // The wrong password is rejected: the response is really computed
    // from it.
    let (out, err, rc) = run("User-Name = \"bob\", CHAP-Password = \"nope\"\n", &[]);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(out.contains("Access-Reject"), "{out}");
    assert!(
        err.contains("(0) stdin: Expected Access-Accept got Access-Reject"),
        "{err}"
    );
    // Every request of -c has its own authenticator, so its own response.
    let (out, err, rc) = run(
        "User-Name = \"bob\", CHAP-Password = \"hello\"\n",
        &["-c", "3"],
    );
    assert_eq!(rc, 0, "{out}{err}");
    assert_eq!(out.matches("Access-Accept").count(), 3, "{out}");
    // A CHAP-Challenge is the challenge (16 octets, or any other length).
    for challenge in ["0x0102030405060708090a0b0c0d0e0f10", "0xcafe0123"] {
        let input = format!(
            "User-Name = \"bob\", CHAP-Password = \"hello\", CHAP-Challenge = {challenge}\n"
        );
        let (out, err, rc) = run(&input, &[]);
        assert_eq!(rc, 0, "{challenge}: {out}{err}");
    }
    // Hex is a response computed beforehand, sent as given: this one is
    // what radclient 3.2.1 sent for "hello" with ident 0x20 and this
    // challenge.
    let given = "2043ec1a1ed59ab56a626c92339fd359ae";
    let input = format!(
        "User-Name = \"bob\", CHAP-Password = 0x{given}, \
         CHAP-Challenge = 0x0102030405060708090a0b0c0d0e0f10\n"
    );
    let (out, err, rc) = run(&input, &["-x"]);
    assert_eq!(rc, 0, "{out}{err}");
    assert_eq!(sent_chap(&out).as_deref(), Some(given), "{out}");
    let wrong = input.replace("0x20", "0x21");
    let (out, err, rc) = run(&wrong, &[]);
    assert_eq!(rc, 1, "another ident, the same response: {out}{err}");
}

/// radclient's stdout from `Packet summary:` on, and its exit status.
fn radclient_summary(args: &[&str]) -> (String, i32) {
    let out = Command::new("radclient").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = match stdout.find("Packet summary:") {
        Some(i) => stdout[i..].to_owned(),
        None => panic!(
            "radclient printed no summary:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    };
    (summary, out.status.code().unwrap_or(-1))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn filters_and_summary_match_radclient() {
    if !have_tool("radclient") {
        return;
    }
    let Some(fr) = FreeRadius::start() else {
        return;
    };
    let auth = fr.auth.to_string();
    let dir = TempDir::new("send-filters");
    // The test site answers Operator-Name with Reply-Message = "operator
    // <name>"; the second is rejected, the third is CHAP.
    let requests = write(
        &dir.0,
        "requests",
        "User-Name = \"bob\", User-Password = \"hello\"\nOperator-Name = \"1foo\"\n\n\
         User-Name = \"bob\", User-Password = \"bad\"\n\n\
         User-Name = \"bob\", CHAP-Password = \"hello\"\n",
    );
    // Filters both tools read alike (one block per request).
    let filters = [
        // All pass.
        "Reply-Message == \"operator 1foo\"\n\nResponse-Packet-Type = Access-Reject\n\n\
         Response-Packet-Type == Access-Accept\n",
        // Regex passes; the reject fails the default code; the accept is
        // not the Access-Reject asked for.
        "Reply-Message =~ \"^oper.*o$\"\n\nReply-Message =* ANY\n\n\
         Response-Packet-Type = Access-Reject\n",
        // A wrong value, a missing attribute, a regex that does not match.
        "Reply-Message == \"operator 2foo\"\n\nResponse-Packet-Type = Access-Reject\n\
         Reply-Message =* ANY\n\nReply-Message !~ \"x\"\n",
        "Reply-Message != \"x\"\n\nResponse-Packet-Type = 3\n\n\
         Response-Packet-Type = Access-Accept\n",
    ];
    let mut cases: Vec<(String, String)> = vec![("no filter".into(), requests.clone())];
    for (i, f) in filters.iter().enumerate() {
        let path = write(&dir.0, &format!("filter{i}"), f);
        cases.push((f.to_string(), format!("{requests}:{path}")));
    }
    let mut exits = Vec::new();
    for (what, arg) in &cases {
        let (theirs, their_rc) = radclient_summary(&[
            "-s",
            "-p",
            "3",
            "-r",
            "1",
            "-f",
            arg,
            &auth,
            "auth",
            FreeRadius::SECRET,
        ]);
        let (out, err, rc) = text(&send(
            &[
                "-s",
                "-p",
                "3",
                "-f",
                arg,
                &auth,
                "auth",
                FreeRadius::SECRET,
            ],
            "",
        ));
        let ours = &out[out
            .find("Packet summary:")
            .unwrap_or_else(|| panic!("{out}{err}"))..];
        assert_eq!(ours, theirs, "{what}\nours:\n{out}{err}");
        assert_eq!(rc, their_rc, "{what}: exit status\n{out}{err}");
        exits.push(rc);
    }
    assert_eq!(
        exits,
        [1, 0, 1, 1, 0],
        "the cases cover passing and failing"
    );

    // -q: only the summary on stdout; failures still on stderr.
    let (out, err, rc) = text(&send(
        &[
            "-q",
            "-s",
            "-p",
            "3",
            "-f",
            &cases[2].1,
            &auth,
            "auth",
            FreeRadius::SECRET,
        ],
        "",
    ));
    assert_eq!(rc, 1);
    assert!(out.starts_with("Packet summary:\n"), "{out}");
    assert!(
        err.contains("Expected Access-Accept got Access-Reject")
            && err.contains("Expected Access-Reject got Access-Accept"),
        "{err}"
    );
    let f = write(&dir.0, "short", "Reply-Message =* ANY\n");
    let (_, err, rc) = text(&send(
        &[
            "-f",
            &format!("{requests}:{f}"),
            &auth,
            "auth",
            FreeRadius::SECRET,
        ],
        "",
    ));
    assert_eq!(rc, 2, "3 requests, 1 filter: refused before sending");
    assert!(err.contains("must be as many"), "{err}");

    // Where we differ from radclient on purpose: `=` compares (radclient
    // never passes it) and the reply may have more than the filter names.
    let f = write(
        &dir.0,
        "lenient",
        "Reply-Message = \"operator 1foo\", Class !* ANY\n\nResponse-Packet-Type = Access-Reject\n\n\
         Class !* ANY\n",
    );
    let (out, err, rc) = text(&send(
        &[
            "-s",
            "-p",
            "3",
            "-f",
            &format!("{requests}:{f}"),
            &auth,
            "auth",
            FreeRadius::SECRET,
        ],
        "",
    ));
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("\tPassed filter : 3\n"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_rate_and_json_summary() {
    let srv = server().await;
    let auth = srv.auth_addrs()[0].to_string();
    let secret = "testing123";

    // -q: nothing per request; the exit status still says what happened.
    let (out, err, rc) = text(&send(&["-q", &auth, "auth", secret], BOB));
    assert_eq!((out.as_str(), rc), ("", 0), "{err}");
    let bad = "User-Name = \"bob\", User-Password = \"nope\"\n";
    let (out, err, rc) = text(&send(&["-q", &auth, "auth", secret], bad));
    assert_eq!((out.as_str(), rc), ("", 1), "{err}");
    assert!(
        err.contains("Expected Access-Accept got Access-Reject"),
        "{err}"
    );

    // -n 20: six requests are five gaps of 50 ms apart at least, though -p
    // would let them all go at once.
    let t0 = Instant::now();
    let (out, err, rc) = text(&send(
        &[
            "-q", "-s", "-n", "20", "-c", "6", "-p", "6", &auth, "auth", secret,
        ],
        BOB,
    ));
    let took = t0.elapsed();
    assert_eq!(rc, 0, "{out}{err}");
    assert!(out.contains("\tAccepted      : 6\n"), "{out}");
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let (_, err, rc) = text(&send(&["-n", "0", &auth, "auth", secret], BOB));
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("-n must be"), "{err}");

    // --json -s: a last object with the counts.
    let two = format!("{BOB}\n{bad}");
    let (out, err, rc) = text(&send(
        &["--json", "-s", "-p", "1", &auth, "auth", secret],
        &two,
    ));
    assert_eq!(rc, 1, "{out}{err}");
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(objs.len(), 3, "{out}");
    assert_eq!(objs[0]["passed"], true, "{out}");
    assert_eq!(objs[1]["passed"], false, "{out}");
    assert_eq!(
        objs[1]["failure"], "Expected Access-Accept got Access-Reject",
        "{out}"
    );
    assert_eq!(
        objs[2]["summary"],
        serde_json::json!({"accepted": 1, "rejected": 1, "lost": 0, "passed": 1, "failed": 1}),
        "{out}"
    );

    // -s with a request nobody answers: lost, exit 2.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let (out, _, rc) = text(&send(
        &["-s", "-t", "0.1", "-r", "1", &addr, "auth", secret],
        BOB,
    ));
    assert_eq!(rc, 2);
    assert!(out.contains("\tLost          : 1\n"), "{out}");
    srv.shutdown().await;
}
