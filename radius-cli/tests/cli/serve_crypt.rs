//! crypt(3) password hashes for `radius serve` users: hashes made now by
//! OpenSSL (`openssl passwd -1/-5/-6`) and by the C library's crypt(3)
//! through Perl (bcrypt, DES), stored as TOML `password_hash` and as SQL
//! `Crypt-Password`, checked with radclient's PAP (right password
//! accepted, wrong one rejected) and against FreeRADIUS with the same
//! hashes in its users file; an unknown format is a load error naming the
//! line (TOML) or a reject and one warn line (SQL).

use std::process::{Command, Stdio};
use std::time::Duration;

use radius_test_support::{have_tool, FreeRadius, TempDir};

use super::serve::{radclient, serve, BIN};

const PASSWORD: &str = "Crypt-pw.1";
/// Wrong in the first eight characters too (DES crypt reads no more).
const WRONG: &str = "crypt-pw.1";

fn openssl_passwd(flag: &str) -> Option<String> {
    let out = Command::new("openssl")
        .args(["passwd", flag, PASSWORD])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let h = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && h.starts_with('$')).then_some(h)
}

/// crypt(3) of the C library (libxcrypt on Debian) through Perl.
fn system_crypt(salt: &str) -> Option<String> {
    let out = Command::new("perl")
        .args([
            "-e",
            "my $h = crypt($ARGV[0], $ARGV[1]); print $h if defined $h",
            PASSWORD,
            salt,
        ])
        .output()
        .ok()?;
    let h = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && h.len() > 2 && !h.starts_with('*')).then_some(h)
}

/// (user name, hash) for every format we can make here.
fn hashes() -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    for (name, flag) in [("md5", "-1"), ("sha256", "-5"), ("sha512", "-6")] {
        match openssl_passwd(flag) {
            Some(h) => v.push((name, h)),
            None => eprintln!("SKIPPED {name}: openssl passwd {flag} unavailable"),
        }
    }
    for (name, salt) in [
        ("bcrypt2b", "$2b$05$CryptSaltForTypedRadiu"),
        ("bcrypt2y", "$2y$04$0123456789./abcdefghij"),
        ("des", "Tr"),
    ] {
        match system_crypt(salt) {
            Some(h) => v.push((name, h)),
            None => eprintln!("SKIPPED {name}: perl crypt() with {salt} unavailable"),
        }
    }
    v
}

fn pap(addr: std::net::SocketAddr, secret: &str, user: &str, pw: &str) -> String {
    let (_, out) = radclient(
        addr,
        "auth",
        secret,
        &format!("User-Name = {user}, User-Password = \"{pw}\"\n"),
    );
    out
}

fn assert_right_and_wrong(addr: std::net::SocketAddr, secret: &str, user: &str, h: &str) {
    let out = pap(addr, secret, user, PASSWORD);
    assert!(out.contains("Access-Accept"), "{user} {h}: {out}");
    let out = pap(addr, secret, user, WRONG);
    assert!(
        out.contains("Access-Reject"),
        "{user} {h} wrong password: {out}"
    );
}

#[test]
fn crypt_hashes_in_toml_users_authenticate_as_in_freeradius() {
    if !have_tool("radclient") {
        return;
    }
    let hashes = hashes();
    assert!(!hashes.is_empty(), "neither openssl nor perl made a hash");
    let dir = TempDir::new("cli-crypt");
    let mut config =
        "[server]\naccounting_db = \"acct.db\"\n\n[[client]]\naddress = \"127.0.0.0/8\"\n\
                      secret = \"s\"\nrequire_message_authenticator = \"no\"\n"
            .to_owned();
    for (name, h) in &hashes {
        config.push_str(&format!(
            "\n[[user]]\nname = \"{name}\"\npassword_hash = \"{h}\"\n"
        ));
    }
    std::fs::write(dir.join("radius.toml"), &config).unwrap();
    let s = serve(&["--config", "radius.toml"], dir.path());
    for (name, h) in &hashes {
        assert_right_and_wrong(s.auth, "s", name, h);
    }
    drop(s);

    // The same hashes in FreeRADIUS's users file (its pap module calls
    // crypt(3)): the same answers.
    let users: String = hashes
        .iter()
        .map(|(name, h)| format!("{name}\tCrypt-Password := \"{h}\"\n"))
        .collect();
    if let Some(fr) = FreeRadius::start_with_users(&users) {
        for (name, h) in &hashes {
            assert_right_and_wrong(fr.auth, FreeRadius::SECRET, name, h);
        }
    }

    // A format we do not know: radius serve does not start, and says
    // where.
    let bad = format!("{config}\n[[user]]\nname = \"yc\"\npassword_hash = \"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7\"\n");
    std::fs::write(dir.join("bad.toml"), &bad).unwrap();
    let line = bad.lines().count();
    let out = Command::new(BIN)
        .args(["serve", "--config", "bad.toml", "--auth", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "bad.toml:{line}: password_hash: not a supported password hash ($y$)"
        )),
        "{err}"
    );
}

#[test]
fn crypt_hashes_in_radcheck_authenticate_and_an_unknown_one_warns_once() {
    if !have_tool("radclient") {
        return;
    }
    let Some(pg) = super::serve_sql_users::users_db() else {
        return;
    };
    let hashes = hashes();
    assert!(!hashes.is_empty(), "neither openssl nor perl made a hash");
    let mut rows: Vec<String> = hashes
        .iter()
        .map(|(name, h)| format!("('{name}', 'Crypt-Password', ':=', '{h}')"))
        .collect();
    rows.push("('yescrypt', 'Crypt-Password', ':=', '$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7')".into());
    pg.sql(
        "users",
        &format!(
            "INSERT INTO radcheck (username, attribute, op, value) VALUES {};",
            rows.join(",\n")
        ),
    );
    let dir = TempDir::new("cli-crypt-sql");
    std::fs::write(
        dir.join("radius.toml"),
        "[server]\naccounting_db = \"acct.db\"\n\n[[client]]\naddress = \"127.0.0.0/8\"\nsecret = \"s\"\n\
         require_message_authenticator = \"no\"\n",
    )
    .unwrap();
    let mut s = serve(
        &["--config", "radius.toml", "--users-db", &pg.url("users")],
        dir.path(),
    );
    for (name, h) in &hashes {
        assert_right_and_wrong(s.auth, "s", name, h);
    }
    // The unknown format: rejected every time, one warn line in all,
    // even after the rows were read again (past the 5 s cache).
    for round in 0..2 {
        for _ in 0..3 {
            let out = pap(s.auth, "s", "yescrypt", PASSWORD);
            assert!(out.contains("Access-Reject"), "{out}");
        }
        if round == 0 {
            std::thread::sleep(radius_cli::serve::sql_users::TTL + Duration::from_millis(500));
        }
    }
    s.log.wait_until(Duration::from_secs(1), |_| false);
    let warns: Vec<&str> = s
        .log
        .seen()
        .lines()
        .filter(|l| l.contains("Crypt-Password"))
        .collect();
    assert_eq!(warns.len(), 1, "{}", s.log.seen());
    assert!(
        warns[0].contains("WARN")
            && warns[0].contains("yescrypt")
            && warns[0].contains("not a supported password hash ($y$)"),
        "{}",
        warns[0]
    );
    assert!(
        !warns[0].contains("X3DX6M94"),
        "the hash is not logged: {}",
        warns[0]
    );
}
