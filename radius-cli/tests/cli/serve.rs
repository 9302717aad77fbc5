//! `radius serve` end to end: the binary on a config file, answered by
//! Debian's radtest/radclient, accounting rows read back from SQLite with
//! both `radius acct list` and the sqlite3 shell. Loopback only.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use radius_test_support::{have_tool, run_with_input, Lines, TempDir};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_radius");

/// A running `radius serve`, killed on drop.
pub(crate) struct Serve {
    child: Child,
    pub(crate) auth: SocketAddr,
    pub(crate) acct: SocketAddr,
    pub(crate) coa: SocketAddr,
    /// What it has written to stderr so far.
    pub(crate) log: Lines,
}

impl Serve {
    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `radius serve` with `args` in `dir` on free loopback ports.
pub(crate) fn serve(args: &[&str], dir: &Path) -> Serve {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .args([
            "--auth",
            "127.0.0.1:0",
            "--acct",
            "127.0.0.1:0",
            "--coa",
            "127.0.0.1:0",
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radius serve starts");
    let mut lines = Lines::new(child.stderr.take().unwrap());
    let (mut auth, mut acct, mut coa) = (None, None, None);
    let reported = lines.wait_until(Duration::from_secs(20), |line| {
        let addr = || line.rsplit(' ').next().unwrap().parse::<SocketAddr>().ok();
        if line.contains("listening Auth") {
            auth = addr();
        } else if line.contains("listening Acct") {
            acct = addr();
        } else if line.contains("listening Coa") {
            coa = addr();
        }
        auth.is_some() && acct.is_some() && coa.is_some()
    });
    if !reported {
        let _ = child.kill();
        panic!(
            "radius serve did not report its listeners within 20 s:\n{}",
            lines.seen()
        );
    }
    Serve {
        child,
        auth: auth.unwrap(),
        acct: acct.unwrap(),
        coa: coa.unwrap(),
        log: lines,
    }
}

pub(crate) fn radclient(addr: SocketAddr, kind: &str, secret: &str, input: &str) -> (bool, String) {
    radius_test_support::radclient(&["-x", "-r", "2", "-t", "2"], addr, kind, secret, input)
}

const CONFIG: &str = r#"
[server]
accounting_db = "acct.db"

[[client]]
name = "loopback"
address = "127.0.0.0/8"
secret = "s3cret"

[[user]]
name = "bob"
password = "hello"
reply = ['Reply-Message = "Hello, bob"', "Session-Timeout = 3600", "Tunnel-Type:1 = VLAN", 'Tunnel-Private-Group-Id:1 = "100"', 'Tunnel-Password:1 = "tun"']
"#;

/// An argon2 PHC string made by `radius hash-password`.
fn hash_password(pw: &str) -> String {
    let out = run_with_input(Command::new(BIN).arg("hash-password"), &format!("{pw}\n"));
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn embedded_default_answers_radtest() {
    if !have_tool("radtest") {
        return;
    }
    let dir = TempDir::new("cli-default");
    let s = serve(&[], dir.path());
    let out = Command::new("radtest")
        .args(["bob", "hello", &s.auth.to_string(), "0", "testing123"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Received Access-Accept"), "{text}");
    assert!(text.contains("Hello, bob"), "{text}");
    let out = Command::new("radtest")
        .args(["bob", "wrong", &s.auth.to_string(), "0", "testing123"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Received Access-Reject"));
}

/// wpa_supplicant's `eapol_test` (Debian `eapoltest`) as an 802.1X
/// authenticator: EAP-MD5 through Access-Challenge and State, with
/// Message-Authenticator checked by the peer on every reply.
#[test]
fn eapol_test_eap_md5() {
    if !have_tool("eapol_test") {
        return;
    }
    let dir = TempDir::new("cli-eap");
    let s = serve(&[], dir.path());
    let run = |password: &str, secret: &str| {
        let conf = dir.join(format!("eap-{password}.conf"));
        std::fs::write(
            &conf,
            format!(
                "network={{\n\tkey_mgmt=IEEE8021X\n\teap=MD5\n\tidentity=\"bob\"\n\tpassword=\"{password}\"\n}}\n"
            ),
        )
        .unwrap();
        let out = Command::new("eapol_test")
            // -n: EAP-MD5 derives no MPPE keys.
            .args(["-n", "-t", "5", "-a", "127.0.0.1"])
            .args(["-p", &s.auth.port().to_string(), "-s", secret, "-c"])
            .arg(&conf)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success(), text)
    };
    let (ok, text) = run("hello", "testing123");
    assert!(ok, "{text}");
    assert!(text.contains("code=11 (Access-Challenge)"), "{text}");
    assert!(text.contains("EAP: Received EAP-Success"), "{text}");
    assert!(
        text.contains("Hello, bob") || text.contains("Access-Accept"),
        "{text}"
    );
    let (ok, text) = run("wrong", "testing123");
    assert!(!ok, "{text}");
    assert!(text.contains("EAP: Received EAP-Failure"), "{text}");
    // A wrong secret: its Message-Authenticator fails here, so the request
    // is dropped and the peer gives up.
    let (ok, text) = run("hello", "not-the-secret");
    assert!(!ok, "{text}");
    assert!(!text.contains("Access-Challenge"), "{text}");
}

#[test]
fn config_users_chap_reply_attrs_and_accounting_rows() {
    if !have_tool("radclient") || !have_tool("sqlite3") {
        return;
    }
    let dir = TempDir::new("cli-config");
    let hash = hash_password("c4rol");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let config = format!("{CONFIG}\n[[user]]\nname = \"carol\"\npassword_hash = \"{hash}\"\n");
    std::fs::write(dir.join("radius.toml"), config).unwrap();
    let s = serve(&["--config", "radius.toml"], dir.path());

    // PAP with reply attributes from the config (tagged ones too).
    let (ok, out) = radclient(
        s.auth,
        "auth",
        "s3cret",
        "User-Name = bob, User-Password = hello\n",
    );
    assert!(ok && out.contains("Access-Accept"), "{out}");
    assert!(out.contains("Session-Timeout = 3600"), "{out}");
    assert!(out.contains("Tunnel-Private-Group-Id:1 = \"100\""), "{out}");
    // Obfuscated with this request's authenticator; radclient decrypts it.
    assert!(out.contains("Tunnel-Password:1 = \"tun\""), "{out}");
    // CHAP against the cleartext password.
    let (ok, out) = radclient(
        s.auth,
        "auth",
        "s3cret",
        "User-Name = bob, CHAP-Password = hello\n",
    );
    assert!(ok && out.contains("Access-Accept"), "{out}");
    // Hashed password: PAP works, CHAP cannot (no cleartext).
    let (ok, out) = radclient(
        s.auth,
        "auth",
        "s3cret",
        "User-Name = carol, User-Password = c4rol\n",
    );
    assert!(ok && out.contains("Access-Accept"), "{out}");
    let (_, out) = radclient(
        s.auth,
        "auth",
        "s3cret",
        "User-Name = carol, User-Password = wrong\n",
    );
    assert!(out.contains("Access-Reject"), "{out}");
    let (_, out) = radclient(
        s.auth,
        "auth",
        "s3cret",
        "User-Name = carol, CHAP-Password = c4rol\n",
    );
    assert!(out.contains("Access-Reject"), "{out}");
    // Unknown user, wrong secret.
    let (_, out) = radclient(
        s.auth,
        "auth",
        "s3cret",
        "User-Name = mallory, User-Password = x\n",
    );
    assert!(out.contains("Access-Reject"), "{out}");
    let (ok, out) = radclient(
        s.auth,
        "auth",
        "wrong",
        "User-Name = bob, User-Password = hello\n",
    );
    assert!(!ok && !out.contains("Access-Accept"), "{out}");

    // Accounting start / stop become durable rows.
    let start = "Acct-Status-Type = Start, Acct-Session-Id = \"S-1\", User-Name = bob, NAS-IP-Address = 10.0.0.9\n";
    let (ok, out) = radclient(s.acct, "acct", "s3cret", start);
    assert!(ok && out.contains("Accounting-Response"), "{out}");
    // CoA for an active session is acknowledged; an unknown one is not.
    let (ok, out) = radclient(
        s.coa,
        "coa",
        "s3cret",
        "Acct-Session-Id = \"S-1\", Session-Timeout = 60\n",
    );
    assert!(ok && out.contains("CoA-ACK"), "{out}");
    let stop = "Acct-Status-Type = Stop, Acct-Session-Id = \"S-1\", User-Name = bob, Acct-Session-Time = 42, \
                Acct-Input-Octets = 5, Acct-Input-Gigawords = 1, Acct-Terminate-Cause = User-Request\n";
    let (ok, out) = radclient(s.acct, "acct", "s3cret", stop);
    assert!(ok && out.contains("Accounting-Response"), "{out}");
    let (_, out) = radclient(s.coa, "disconnect", "s3cret", "Acct-Session-Id = \"S-1\"\n");
    assert!(out.contains("Disconnect-NAK"), "{out}");

    let db = dir.join("acct.db");
    let q = Command::new("sqlite3")
        .arg(&db)
        .arg("select status_type, session_id, user_name, nas_ip, session_time, input_octets, terminate_cause from accounting order by id")
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&q.stdout);
    assert_eq!(
        rows.trim(),
        "Start|S-1|bob|10.0.0.9|||\nStop|S-1|bob||42|4294967301|User-Request",
        "sqlite3 sees committed rows"
    );
    let list = Command::new(BIN)
        .args(["acct", "list", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&list.stdout);
    assert_eq!(json.lines().count(), 2, "{json}");
    assert!(
        json.lines()
            .next()
            .unwrap()
            .contains("\"status_type\":\"Stop\""),
        "{json}"
    );
    assert!(
        json.contains("Acct-Session-Id = \\\"S-1\\\""),
        "attributes kept in text form: {json}"
    );
}

#[test]
fn bad_config_names_file_and_line() {
    let dir = TempDir::new("cli-bad");
    std::fs::write(
        dir.join("bad.toml"),
        "[[client]]\naddress = \"10.0.0.0/8\"\nsecret = \"x\"\n\n[[user]]\nname = \"bob\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config", "bad.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:5:"), "{err}");
    assert!(err.contains("no password"), "{err}");
    std::fs::write(
        dir.join("bad2.toml"),
        "[[user]]\nname = \"bob\"\npassword = \"x\"\nreply = [\"No-Such-Attribute = 1\"]\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config", "bad2.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("bad2.toml:4:") && err.contains("No-Such-Attribute"),
        "{err}"
    );
}
