//! Users from PostgreSQL in FreeRADIUS's schema (`--users-db`): radcheck
//! credentials (Cleartext-Password, NT-Password), `==` check items,
//! radreply and group replies with their operators, seen by radclient
//! (PAP, CHAP, MS-CHAP), a client from the `nas` table and a changed row
//! picked up without a restart.

use std::time::{Duration, Instant};

use radius_proto::mschap::NtHash;
use radius_test_support::{have_tool, Postgres, TempDir};

use super::serve::{radclient, serve, BIN};

/// A throw-away PostgreSQL with a `users` database holding the schema
/// `radius db init` prints; `None` (skipped) without PostgreSQL.
pub(super) fn users_db() -> Option<Postgres> {
    let pg = Postgres::start()?;
    pg.create_db("users");
    let ddl = std::process::Command::new(BIN)
        .args(["db", "init"])
        .output()
        .unwrap();
    assert!(ddl.status.success());
    pg.sql("users", &String::from_utf8(ddl.stdout).unwrap());
    Some(pg)
}

#[test]
fn radcheck_and_radreply_users_authenticate_with_their_replies() {
    if !have_tool("radclient") {
        return;
    }
    let Some(pg) = users_db() else { return };
    let ann_hash: String = NtHash::from_password("annpw")
        .0
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    pg.sql(
        "users",
        &format!(
            "INSERT INTO radcheck (username, attribute, op, value) VALUES
               ('bob', 'Cleartext-Password', ':=', 'hello'),
               ('ann', 'NT-Password', ':=', '{ann_hash}'),
               ('carl', 'Cleartext-Password', ':=', 'c'),
               ('carl', 'NAS-Identifier', '==', 'allowed');
             INSERT INTO radreply (username, attribute, op, value) VALUES
               ('bob', 'Reply-Message', '=', 'hi bob'),
               ('bob', 'Session-Timeout', ':=', '3600');
             INSERT INTO radusergroup (username, groupname, priority) VALUES
               ('bob', 'staff', 1), ('bob', 'guests', 2);
             INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES
               ('staff', 'Filter-Id', ':=', 'staff-acl'),
               ('staff', 'Session-Timeout', '=', '60'),
               ('guests', 'Class', '+=', '0x6775657374'),
               ('guests', 'Filter-Id', '=', 'guest-acl');
             INSERT INTO radgroupcheck (groupname, attribute, op, value) VALUES
               ('guests', 'NAS-Identifier', '==', 'guest-ap');"
        ),
    );
    let dir = TempDir::new("cli-sql-users");
    std::fs::write(
        dir.join("radius.toml"),
        "[server]\naccounting_db = \"acct.db\"\n\n[[client]]\naddress = \"127.0.0.0/8\"\nsecret = \"s\"\n\
         require_message_authenticator = \"no\"\n",
    )
    .unwrap();
    let s = serve(
        &["--config", "radius.toml", "--users-db", &pg.url("users")],
        dir.path(),
    );
    let rc = |input: &str| radclient(s.auth, "auth", "s", input);

    let (ok, out) = rc("User-Name = bob, User-Password = hello\n");
    assert!(ok && out.contains("Access-Accept"), "{out}");
    assert!(out.contains("Reply-Message = \"hi bob\""), "{out}");
    // The user's := wins over the group's =; the guests group's check
    // item does not match, so it adds nothing.
    assert!(
        out.contains("Session-Timeout = 3600") && !out.contains("Session-Timeout = 60"),
        "{out}"
    );
    assert!(
        out.contains("Filter-Id = \"staff-acl\"") && !out.contains("guest-acl"),
        "{out}"
    );
    assert!(!out.contains("Class"), "{out}");
    // From the guest AP the guests group applies too: Filter-Id stays
    // (= adds only when absent), Class is added.
    let (ok, out) = rc("User-Name = bob, User-Password = hello, NAS-Identifier = \"guest-ap\"\n");
    assert!(ok && out.contains("Class = 0x6775657374"), "{out}");
    assert!(
        out.contains("staff-acl") && !out.contains("guest-acl"),
        "{out}"
    );

    let (_, out) = rc("User-Name = bob, User-Password = wrong\n");
    assert!(out.contains("Access-Reject"), "{out}");
    let (ok, out) = rc("User-Name = bob, CHAP-Password = hello\n");
    assert!(ok && out.contains("Access-Accept"), "CHAP: {out}");
    let (ok, out) = rc("User-Name = ann, MS-CHAP-Password = annpw\n");
    assert!(
        ok && out.contains("MS-CHAP-MPPE-Keys"),
        "MS-CHAP with NT-Password: {out}"
    );
    let (_, out) = rc("User-Name = ann, MS-CHAP-Password = nope\n");
    assert!(out.contains("Access-Reject"), "{out}");
    // carl's == check item.
    let (_, out) = rc("User-Name = carl, User-Password = c\n");
    assert!(out.contains("Access-Reject"), "{out}");
    let (ok, out) = rc("User-Name = carl, User-Password = c, NAS-Identifier = \"allowed\"\n");
    assert!(ok && out.contains("Access-Accept"), "{out}");
    let (_, out) = rc("User-Name = nobody, User-Password = hello\n");
    assert!(out.contains("Access-Reject"), "{out}");

    // A client from the nas table, picked up without a restart.
    let from_nas = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                radius_server::UdpClient::builder(s.auth, "from-sql")
                    .bind("127.0.0.3:0".parse().unwrap())
                    .retry(radius_server::client::RetryPolicy::fixed(
                        Duration::from_millis(300),
                        2,
                    ))
                    .build()
                    .access_request()
                    .with(typed_radius::dict::prelude::UserName::new("bob"))
                    .with(typed_radius::dict::prelude::UserPassword::new("hello"))
                    .send()
                    .await
                    .map(|r| r.code())
            })
    };
    assert!(
        from_nas().is_err(),
        "127.0.0.3 is no client yet (127.0.0.0/8 has another secret)"
    );
    pg.sql(
        "users",
        "INSERT INTO nas (nasname, shortname, secret) VALUES ('127.0.0.3', 'ap-3', 'from-sql')",
    );
    let t = Instant::now();
    while from_nas().is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "the nas row was never picked up"
        );
    }
    assert_eq!(from_nas().unwrap(), radius_core::Code::ACCESS_ACCEPT);

    // A new password in the table works within the cache's lifetime, with
    // no restart.
    pg.sql(
        "users",
        "UPDATE radcheck SET value = 'changed' WHERE username = 'bob' AND attribute = 'Cleartext-Password'",
    );
    let t = Instant::now();
    loop {
        let (ok, _) = rc("User-Name = bob, User-Password = changed\n");
        if ok {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "the new password was never seen"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
