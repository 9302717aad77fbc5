//! `radius serve` with PostgreSQL accounting (FreeRADIUS's radacct) on a
//! throw-away cluster: two nodes on one database, FreeRADIUS's own queries
//! and FreeRADIUS itself (rlm_sql) as the independent truth, out-of-order
//! and repeated records, and the spool through a database outage. Real
//! `radius serve` processes, radclient and a small retransmitting NAS
//! below; loopback only.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::{Code, Packet, PacketWriter, Secret};
use radius_test_support::{have_tool, FreeRadius, Postgres, SqlDb, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_radius");
const SECRET: &str = "testing123";

/// A `radius serve` on PostgreSQL; its log in a file; killed on drop.
struct Node {
    child: Child,
    acct: SocketAddr,
    log: PathBuf,
}

impl Node {
    fn start(dir: &Path, name: &str, url: &str, spool_max: u64) -> Node {
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "[server]\naccounting_db = \"{url}\"\naccounting_spool = \"{name}.spool\"\n\
                 accounting_spool_max = {spool_max}\n\n[[client]]\nname = \"loopback\"\n\
                 address = \"127.0.0.0/8\"\nsecret = \"{SECRET}\"\n"
            ),
        )
        .unwrap();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(BIN)
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .args([
                "--auth",
                "127.0.0.1:0",
                "--acct",
                "127.0.0.1:0",
                "--coa",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "info")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("radius serve starts");
        let mut node = Node {
            child,
            acct: "127.0.0.1:0".parse().unwrap(),
            log,
        };
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(20) {
            let text = node.log();
            if let Some(line) = text.lines().find(|l| l.contains("listening Acct")) {
                node.acct = line.rsplit(' ').next().unwrap().parse().unwrap();
                return node;
            }
            if let Ok(Some(st)) = node.child.try_wait() {
                panic!("radius serve exited ({st}):\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("radius serve did not start within 20 s:\n{}", node.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait (10 s at most) for a log line containing `needle`: lines are
    /// written by a background thread, a moment after the event.
    fn wait_log(&self, needle: &str) {
        let t = std::time::Instant::now();
        while !self.log().contains(needle) && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            self.log().contains(needle),
            "no {needle:?} in:\n{}",
            self.log()
        );
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- radius serve log ----\n{}", self.log());
        }
    }
}

/// One Accounting-Request by radclient; whether it was answered.
fn radclient(to: SocketAddr, attrs: &str) -> bool {
    let (ok, out) = radius_test_support::radclient(
        &["-x", "-r", "3", "-t", "2"],
        to,
        "acct",
        SECRET,
        &format!("{attrs}\n"),
    );
    assert!(!ok || out.contains("Accounting-Response"), "{out}");
    ok
}

/// The session the tests send, in FreeRADIUS text form: Start, two
/// Interim-Updates and a Stop, Event-Timestamps 60 s apart from `t0`.
fn session(id: &str, t0: u64) -> [String; 4] {
    let common = format!(
        "User-Name = \"alice@example.com\", Acct-Session-Id = \"{id}\", \
         NAS-IP-Address = 192.0.2.1, NAS-Identifier = \"nas1\", NAS-Port = 7, \
         NAS-Port-Type = Ethernet, Service-Type = Framed-User, Framed-Protocol = PPP, \
         Framed-IP-Address = 10.1.2.3, Framed-IPv6-Prefix = 2001:db8:1::/64, \
         Delegated-IPv6-Prefix = 2001:db8:2::/56, Framed-Interface-Id = 0000:0000:0000:0001, \
         Called-Station-Id = \"00-11-22-33-44-55:ssid\", Calling-Station-Id = \"66-77-88-99-aa-bb\", \
         Acct-Authentic = RADIUS, Connect-Info = \"100Mbps\""
    );
    [
        format!("Acct-Status-Type = Start, {common}, Event-Timestamp = {t0}"),
        format!(
            "Acct-Status-Type = Interim-Update, {common}, Event-Timestamp = {}, \
             Acct-Session-Time = 60, Acct-Input-Octets = 1000, Acct-Output-Octets = 2000",
            t0 + 60
        ),
        format!(
            "Acct-Status-Type = Interim-Update, {common}, Event-Timestamp = {}, \
             Acct-Session-Time = 120, Acct-Input-Octets = 5, Acct-Input-Gigawords = 1, \
             Acct-Output-Octets = 7, Acct-Output-Gigawords = 2",
            t0 + 120
        ),
        format!(
            "Acct-Status-Type = Stop, {common}, Event-Timestamp = {}, Acct-Session-Time = 180, \
             Acct-Input-Octets = 10, Acct-Input-Gigawords = 1, Acct-Output-Octets = 20, \
             Acct-Output-Gigawords = 2, Acct-Terminate-Cause = User-Request",
            t0 + 180
        ),
    ]
}

/// Every radacct column but radacctid, times as Unix seconds.
const ROW: &str = "acctsessionid, acctuniqueid, username, realm, nasipaddress, nasportid, \
    nasporttype, extract(epoch from acctstarttime)::bigint, \
    extract(epoch from acctupdatetime)::bigint, extract(epoch from acctstoptime)::bigint, \
    acctinterval, acctsessiontime, acctauthentic, connectinfo_start, connectinfo_stop, \
    acctinputoctets, acctoutputoctets, calledstationid, callingstationid, acctterminatecause, \
    servicetype, framedprotocol, framedipaddress, framedipv6address, framedipv6prefix, \
    framedinterfaceid, delegatedipv6prefix, class";

fn rows(pg: &Postgres, db: &str) -> Vec<String> {
    pg.sql(
        db,
        &format!("SELECT {ROW} FROM radacct ORDER BY acctuniqueid"),
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

fn start_pg() -> Option<Postgres> {
    if !have_tool("radclient") {
        return None;
    }
    Postgres::start()
}

/// Wait until `query` in `db` prints `want` (bounded).
fn wait_for(pg: &Postgres, db: &str, query: &str, want: &str, within: Duration) -> String {
    let t0 = Instant::now();
    loop {
        let got = pg.try_sql(db, query).unwrap_or_default();
        if got.trim() == want || t0.elapsed() > within {
            return got.trim().to_owned();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn two_nodes_one_row_read_by_freeradius_style_queries() {
    let Some(pg) = start_pg() else { return };
    pg.create_db("acct");
    let dir = TempDir::new("pg-two-nodes");
    let url = pg.url("acct");
    let a = Node::start(dir.path(), "a", &url, 1000);
    let b = Node::start(dir.path(), "b", &url, 1000);
    let t0 = 1_700_000_000;
    let [start, interim1, interim2, stop] = session("S-2N", t0);
    assert!(radclient(a.acct, &start));
    assert!(radclient(b.acct, &interim1));
    // daloRADIUS's "online users": open sessions.
    let online = pg.sql(
        "acct",
        "SELECT username, nasipaddress, framedipaddress, acctsessiontime FROM radacct \
         WHERE acctstoptime IS NULL ORDER BY username",
    );
    assert_eq!(online.trim(), "alice@example.com|192.0.2.1|10.1.2.3|60");
    assert!(radclient(b.acct, &interim2));
    assert!(radclient(b.acct, &stop));
    let row = pg.sql(
        "acct",
        "SELECT count(*), min(acctsessionid), min(acctuniqueid), \
         min(extract(epoch from acctstarttime)::bigint), min(extract(epoch from acctstoptime)::bigint), \
         min(acctsessiontime), min(acctinputoctets), min(acctoutputoctets), min(acctterminatecause), \
         min(host(framedipaddress)), min(framedipv6prefix::text), min(delegatedipv6prefix::text), \
         min(nasportid), min(nasporttype), min(servicetype), min(framedprotocol), min(connectinfo_stop) \
         FROM radacct",
    );
    // md5("alice@example.com,S-2N,192.0.2.1,nas1,,7")
    let uid = md5_hex("alice@example.com,S-2N,192.0.2.1,nas1,,7");
    let expect = format!(
        "1|S-2N|{uid}|{t0}|{}|180|{}|{}|User-Request|10.1.2.3|2001:db8:1::/64|2001:db8:2::/56|7|Ethernet|Framed-User|PPP|100Mbps",
        t0 + 180,
        (1u64 << 32) + 10,
        (2u64 << 32) + 20
    );
    assert_eq!(row.trim(), expect);
    // Closed now; a per-user usage report over the schema.
    let online = pg.sql(
        "acct",
        "SELECT count(*) FROM radacct WHERE acctstoptime IS NULL",
    );
    assert_eq!(online.trim(), "0");
    let usage = pg.sql(
        "acct",
        "SELECT username, count(*), sum(acctsessiontime), sum(acctinputoctets + acctoutputoctets) \
         FROM radacct GROUP BY username",
    );
    assert_eq!(
        usage.trim(),
        format!("alice@example.com|1|180|{}", (3u64 << 32) + 30)
    );
}

fn md5_hex(s: &str) -> String {
    let out = radius_test_support::run_with_input(Command::new("md5sum").arg("-"), s);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The same accounting into FreeRADIUS 3.2 (rlm_sql, its own schema and
/// queries) and into `radius serve`: the same columns and types, the same
/// rows (acctuniqueid and the Event-Timestamp times included).
#[test]
fn rows_match_freeradius_rlm_sql_column_by_column() {
    let Some(pg) = start_pg() else { return };
    let schema = Path::new("/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql");
    if !schema.is_file() {
        radius_test_support::skip(
            "FreeRADIUS's PostgreSQL schema is missing (apt-get install freeradius-postgresql)",
        );
        return;
    }
    pg.create_db("ours");
    pg.create_db("fr");
    pg.sql_file("fr", schema);
    let Some(fr) = FreeRadius::start_sql(&SqlDb {
        port: pg.port,
        user: Postgres::USER,
        password: Postgres::PASSWORD,
        db: "fr",
    }) else {
        return;
    };
    let dir = TempDir::new("pg-vs-freeradius");
    let ours = Node::start(dir.path(), "ours", &pg.url("ours"), 1000);
    // Our DDL against theirs.
    let columns = "SELECT column_name, data_type, is_nullable FROM information_schema.columns \
                   WHERE table_name = 'radacct' ORDER BY column_name";
    assert_eq!(pg.sql("ours", columns), pg.sql("fr", columns));
    assert_eq!(pg.sql("ours", columns).lines().count(), 29);

    let t0 = 1_700_000_000;
    let mut sequence: Vec<String> = session("S-FR-1", t0).into();
    // A session that only ever has a Stop, one without NAS-Identifier
    // still open, then an Accounting-On from its NAS closing it.
    sequence.push(session("S-FR-2", t0)[3].clone());
    sequence.push(format!(
        "Acct-Status-Type = Start, User-Name = \"bob\", Acct-Session-Id = \"S-FR-3\", \
         NAS-IP-Address = 192.0.2.9, NAS-Port = 3, Event-Timestamp = {t0}"
    ));
    sequence.push(format!(
        "Acct-Status-Type = Interim-Update, User-Name = \"bob\", Acct-Session-Id = \"S-FR-3\", \
         NAS-IP-Address = 192.0.2.9, NAS-Port = 3, Event-Timestamp = {}, Acct-Session-Time = 30, \
         Acct-Input-Octets = 300",
        t0 + 30
    ));
    sequence.push(format!(
        "Acct-Status-Type = Accounting-On, NAS-IP-Address = 192.0.2.9, Event-Timestamp = {}",
        t0 + 100
    ));
    for attrs in &sequence {
        assert!(
            radclient(fr.acct, attrs),
            "FreeRADIUS did not answer {attrs}"
        );
        assert!(
            radclient(ours.acct, attrs),
            "radius serve did not answer {attrs}"
        );
    }
    let (theirs, mine) = (rows(&pg, "fr"), rows(&pg, "ours"));
    assert_eq!(mine.len(), 3, "{mine:?}");
    for (t, m) in theirs.iter().zip(&mine) {
        let cols = ROW.split(", ");
        for ((name, a), b) in cols.zip(t.split('|')).zip(m.split('|')) {
            assert_eq!(a, b, "column {name}: FreeRADIUS {t}\n ours {m}");
        }
    }
    assert_eq!(theirs, mine);
    eprintln!("rows (FreeRADIUS = ours):\n{}", mine.join("\n"));
    // The Accounting-On closed S-FR-3 as NAS-Reboot after 100 s.
    assert!(
        mine.iter()
            .any(|r| r.starts_with("S-FR-3|") && r.contains("|NAS-Reboot|")),
        "{mine:?}"
    );
}

/// Out of order (the Stop first), a late Interim-Update, a repeated Start
/// and Stop: still one row, closed, with the Stop's values.
#[test]
fn stop_before_start_and_repeats_leave_one_correct_row() {
    let Some(pg) = start_pg() else { return };
    pg.create_db("acct");
    let dir = TempDir::new("pg-order");
    let node = Node::start(dir.path(), "n", &pg.url("acct"), 1000);
    let t0 = 1_700_000_000;
    let [start, interim1, interim2, stop] = session("S-OOO", t0);
    for attrs in [
        &stop, &interim2, &start, &interim1, &stop, &start, &interim2,
    ] {
        // Each time a new Identifier: what a NAS that gave up and resent does.
        assert!(radclient(node.acct, attrs));
    }
    let got = pg.sql(
        "acct",
        "SELECT count(*), min(extract(epoch from acctstarttime)::bigint), \
         min(extract(epoch from acctstoptime)::bigint), min(acctsessiontime), \
         min(acctinputoctets), min(acctoutputoctets), min(acctterminatecause) FROM radacct",
    );
    assert_eq!(
        got.trim(),
        format!(
            "1|{t0}|{}|180|{}|{}|User-Request",
            t0 + 180,
            (1u64 << 32) + 10,
            (2u64 << 32) + 20
        )
    );
}

/// A NAS: Accounting-Requests (a Stop per session, Acct-Input-Octets = the
/// sequence number), each retransmitted every 500 ms for up to `patience`;
/// which were answered.
struct Nas {
    sock: UdpSocket,
    to: SocketAddr,
    secret: Secret,
}

impl Nas {
    fn new(to: SocketAddr) -> Nas {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        Nas {
            sock,
            to,
            secret: Secret::new(SECRET),
        }
    }

    /// Send one record until answered or `patience` is over.
    fn send(&self, id: u8, session: &str, seq: u32, patience: Duration) -> bool {
        let mut buf = Vec::new();
        let mut w = PacketWriter::request_with_authenticator(
            &mut buf,
            Code::ACCOUNTING_REQUEST,
            id,
            [0; 16],
        );
        w.attr(40, &2u32.to_be_bytes()).unwrap(); // Acct-Status-Type = Stop
        w.attr(1, b"load").unwrap();
        w.attr(44, session.as_bytes()).unwrap();
        w.attr(4, &[192, 0, 2, 50]).unwrap();
        w.attr(46, &seq.to_be_bytes()).unwrap(); // Acct-Session-Time
        w.attr(42, &seq.to_be_bytes()).unwrap(); // Acct-Input-Octets
        w.attr(52, &1u32.to_be_bytes()).unwrap(); // Acct-Input-Gigawords
        w.attr(49, &1u32.to_be_bytes()).unwrap(); // User-Request
        w.finish(&self.secret).unwrap();
        let auth: [u8; 16] = buf[4..20].try_into().unwrap();
        let t0 = Instant::now();
        let mut reply = [0u8; 4096];
        while t0.elapsed() < patience {
            self.sock.send_to(&buf, self.to).unwrap();
            let until = Instant::now() + Duration::from_millis(500);
            while Instant::now() < until {
                let Ok((n, _)) = self.sock.recv_from(&mut reply) else {
                    break;
                };
                if let Ok(p) = Packet::decode(&reply[..n]) {
                    if p.identifier() == id
                        && p.code() == Code::ACCOUNTING_RESPONSE
                        && p.verify_reply(&self.secret, &auth).is_ok()
                    {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// Acct-Session-Id -> Acct-Input-Octets of what `db` holds for the load.
fn load_rows(pg: &Postgres, db: &str) -> BTreeMap<String, i64> {
    pg.sql(
        db,
        "SELECT acctsessionid, acctinputoctets FROM radacct WHERE username = 'load'",
    )
    .lines()
    .filter_map(|l| {
        let (s, o) = l.split_once('|')?;
        Some((s.to_owned(), o.parse().ok()?))
    })
    .collect()
}

/// PostgreSQL stopped for 10 s under load: every answered record is in the
/// database afterwards, exactly once and with its values.
#[test]
fn database_outage_loses_no_acknowledged_record() {
    let Some(mut pg) = start_pg() else { return };
    pg.create_db("acct");
    let dir = TempDir::new("pg-outage");
    let node = Node::start(dir.path(), "n", &pg.url("acct"), 1_000_000);
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..8u32)
        .map(|t| {
            let (acked, stop, to) = (acked.clone(), stop.clone(), node.acct);
            std::thread::spawn(move || {
                let nas = Nas::new(to);
                let mut seq = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    seq += 1;
                    let session = format!("L{t}-{seq}");
                    if nas.send(seq as u8, &session, seq, Duration::from_secs(3)) {
                        acked.lock().unwrap().insert((session, seq));
                    }
                }
                seq
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    let before_outage = acked.lock().unwrap().len();
    pg.stop();
    std::thread::sleep(Duration::from_secs(10));
    let during = acked.lock().unwrap().len() - before_outage;
    pg.restart();
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    let sent: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let acked = acked.lock().unwrap().clone();
    assert!(
        before_outage > 100,
        "{before_outage} answered before the outage"
    );
    assert!(
        during > 100,
        "{during} answered during the outage (spooled)"
    );
    let want = acked.len().to_string();
    let have = wait_for(
        &pg,
        "acct",
        "SELECT count(*) FROM radacct WHERE username = 'load'",
        &want,
        Duration::from_secs(60),
    );
    let rows = load_rows(&pg, "acct");
    for (session, seq) in &acked {
        assert_eq!(
            rows.get(session),
            Some(&((1i64 << 32) + *seq as i64)),
            "answered record {session} missing or wrong ({have} rows for {want} answered)"
        );
    }
    // Nothing but what was sent (unanswered ones may be there too: the
    // server may commit a request whose answer was lost).
    assert!(rows.len() <= sent as usize);
    node.wait_log("spooling");
    node.wait_log("spool replayed");
    eprintln!(
        "outage: {} sent, {} answered ({before_outage} before, {during} during the outage), {} rows",
        sent,
        acked.len(),
        rows.len()
    );
}

/// A spool of 20 records with the database away: 20 answered, then
/// silence (and a warning) until the database is back; then the rest are
/// answered and everything is in.
#[test]
fn full_spool_stops_answering_until_the_database_returns() {
    let Some(mut pg) = start_pg() else { return };
    pg.create_db("acct");
    let dir = TempDir::new("pg-spool-full");
    let node = Node::start(dir.path(), "n", &pg.url("acct"), 20);
    let nas = Nas::new(node.acct);
    assert!(nas.send(1, "F-0", 0, Duration::from_secs(5)));
    pg.stop();
    for i in 1..=20u32 {
        assert!(
            nas.send(i as u8 + 1, &format!("F-{i}"), i, Duration::from_secs(5)),
            "record {i} should fit the spool"
        );
    }
    for i in 21..=25u32 {
        assert!(
            !nas.send(
                i as u8 + 1,
                &format!("F-{i}"),
                i,
                Duration::from_millis(1500)
            ),
            "record {i} answered with the spool full"
        );
    }
    node.wait_log("accounting spool full");
    pg.restart();
    // The NAS still has 21..25: now they are answered.
    for i in 21..=25u32 {
        assert!(
            nas.send(i as u8 + 1, &format!("F-{i}"), i, Duration::from_secs(15)),
            "record {i} not answered after the database came back"
        );
    }
    let got = wait_for(
        &pg,
        "acct",
        "SELECT count(*) FROM radacct WHERE username = 'load'",
        "26",
        Duration::from_secs(30),
    );
    assert_eq!(got, "26");
    assert_eq!(load_rows(&pg, "acct").len(), 26);
}

/// A whole session spooled while the database is away, replayed as one
/// batch (Start, Interim-Updates and Stop of one acctuniqueid, so one
/// statement per layer): the row is what the in-order sequence makes.
#[test]
fn a_spooled_session_replays_in_order() {
    let Some(mut pg) = start_pg() else { return };
    pg.create_db("acct");
    let dir = TempDir::new("pg-replay-order");
    let node = Node::start(dir.path(), "n", &pg.url("acct"), 1000);
    // The schema exists before the outage.
    assert_eq!(pg.sql("acct", "SELECT count(*) FROM radacct").trim(), "0");
    pg.stop();
    let t0 = 1_700_000_000;
    for attrs in session("S-SPOOL", t0) {
        assert!(radclient(node.acct, &attrs));
    }
    pg.restart();
    let got = wait_for(
        &pg,
        "acct",
        "SELECT count(*), min(extract(epoch from acctstarttime)::bigint), \
         min(extract(epoch from acctstoptime)::bigint), min(acctinterval), min(acctsessiontime), \
         min(acctinputoctets), min(acctterminatecause) FROM radacct",
        &format!(
            "1|{t0}|{}|60|180|{}|User-Request",
            t0 + 180,
            (1u64 << 32) + 10
        ),
        Duration::from_secs(30),
    );
    assert_eq!(
        got,
        format!(
            "1|{t0}|{}|60|180|{}|User-Request",
            t0 + 180,
            (1u64 << 32) + 10
        )
    );
    node.wait_log("spool replayed");
}

/// A spool left by a previous run is replayed at start-up; a record in it
/// that PostgreSQL rejects (a bad inet) fails its whole transaction, so
/// the batch is retried one by one: that record is logged and skipped,
/// the others are committed.
#[test]
fn a_previous_runs_spool_is_replayed_and_a_rejected_record_skipped() {
    let Some(pg) = start_pg() else { return };
    pg.create_db("acct");
    let dir = TempDir::new("pg-poison");
    let line = |sid: &str, nas: &str| {
        format!(
            "{{\"kind\":\"Stop\",\"event\":1700000000,\"acctsessionid\":\"{sid}\",\
             \"acctuniqueid\":\"u-{sid}\",\"username\":\"load\",\"realm\":null,\
             \"nasipaddress\":\"{nas}\",\"nasportid\":null,\"nasporttype\":\"\",\
             \"acctsessiontime\":5,\"acctauthentic\":\"\",\"connectinfo\":\"\",\
             \"acctinputoctets\":7,\"acctoutputoctets\":8,\"calledstationid\":\"\",\
             \"callingstationid\":\"\",\"acctterminatecause\":\"Idle-Timeout\",\
             \"servicetype\":\"\",\"framedprotocol\":\"\",\"framedipaddress\":null,\
             \"framedipv6address\":null,\"framedipv6prefix\":null,\"framedinterfaceid\":null,\
             \"delegatedipv6prefix\":null,\"class\":null}}\n"
        )
    };
    let spool = [
        line("P-1", "192.0.2.1"),
        line("P-2", "192.0.2.300"),
        line("P-3", "192.0.2.3"),
    ]
    .concat();
    std::fs::write(dir.join("n.spool"), spool).unwrap();
    let node = Node::start(dir.path(), "n", &pg.url("acct"), 1000);
    let got = wait_for(
        &pg,
        "acct",
        "SELECT string_agg(acctsessionid || '/' || acctterminatecause, ',' ORDER BY acctsessionid) FROM radacct",
        "P-1/Idle-Timeout,P-3/Idle-Timeout",
        Duration::from_secs(20),
    );
    assert_eq!(got, "P-1/Idle-Timeout,P-3/Idle-Timeout");
    let t0 = Instant::now();
    while !node.log().contains("spool replayed") && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = node.log();
    assert!(log.contains("rejects a spooled accounting record"), "{log}");
    assert!(log.contains("P-2"), "{log}");
    assert!(log.contains("spool replayed"), "{log}");
    assert_eq!(std::fs::metadata(dir.join("n.spool")).unwrap().len(), 0);
}
