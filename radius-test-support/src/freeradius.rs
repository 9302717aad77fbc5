//! A FreeRADIUS 3.x server (Debian's package) on loopback, configured by
//! this repository's own test site (`freeradius/` beside this crate's
//! sources): the installed configuration is copied to a temp dir at test
//! time and its sites and EAP module are replaced, so nothing outside the
//! repository but the package itself is needed. [`FreeRadius::start_eap`]
//! adds our own EAP module and inner-tunnel site, with certificates the
//! test made.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use radius_core::{Code, Packet, PacketWriter, Secret};

use crate::peers::{find_tool, skip};
use crate::tmp::TempDir;

/// Debian's configuration, copied for each server.
const PACKAGE_CONFIG: &str = "/etc/freeradius/3.0";
/// Ours: auth (files + pap), acct (ok), ports as placeholders.
const SITE: &str = include_str!("../freeradius/site.conf");
const CLIENTS: &str = include_str!("../freeradius/clients.conf");
const AUTHORIZE: &str = include_str!("../freeradius/authorize");
/// Ours: PEAP, TTLS, EAP-TLS; certificate paths and TLS version as
/// placeholders.
const EAP: &str = include_str!("../freeradius/eap.conf");
/// Ours: the tunnelled requests of PEAP and TTLS.
const INNER_TUNNEL: &str = include_str!("../freeradius/inner-tunnel.conf");
/// Ours: accounting into PostgreSQL (preprocess, acct_unique, sql).
const SITE_SQL: &str = include_str!("../freeradius/site-sql.conf");
/// Ours: the rlm_sql module for it; connection as placeholders.
const SQL: &str = include_str!("../freeradius/sql.conf");
/// The package's PostgreSQL driver for rlm_sql.
const SQL_DRIVER: &str = "/usr/lib/freeradius/rlm_sql_postgresql.so";

/// The PostgreSQL database [`FreeRadius::start_sql`] writes accounting to
/// (FreeRADIUS's own `radacct` schema must be loaded there).
#[derive(Clone, Copy, Debug)]
pub struct SqlDb<'a> {
    pub port: u16,
    pub user: &'a str,
    pub password: &'a str,
    pub db: &'a str,
}

/// The server side of EAP for [`FreeRadius::start_eap`]: PEM files, copied
/// into the server's temp dir (readable by the freerad user it drops to).
#[derive(Clone, Copy, Debug)]
pub struct EapCerts<'a> {
    /// The CA of the server's certificate and of accepted EAP-TLS client
    /// certificates.
    pub ca: &'a Path,
    pub cert: &'a Path,
    pub key: &'a Path,
}

/// EAP settings of one server.
struct Eap<'a> {
    certs: EapCerts<'a>,
    tls_max: &'a str,
}

/// How long FreeRADIUS may take to answer its first Status-Server.
const START_WITHIN: Duration = Duration::from_secs(20);

/// A running FreeRADIUS: users bob/hello and User/clientPass (RFC 2759's
/// example; PAP and plain RADIUS MS-CHAP v1/v2), shared secret
/// [`FreeRadius::SECRET`] for 127.0.0.1; killed and its directory removed
/// on drop.
pub struct FreeRadius {
    child: Child,
    /// Authentication (and Status-Server).
    pub auth: SocketAddr,
    /// Accounting: the next port.
    pub acct: SocketAddr,
    /// CoA and Disconnect (as a NAS takes them: ACK, or NAK when an
    /// Operator-NAS-Identifier is left in).
    pub coa: SocketAddr,
    dir: TempDir,
}

impl FreeRadius {
    pub const SECRET: &'static str = "testing123";

    /// Start one on two free consecutive loopback ports and wait until it
    /// answers Status-Server. `None` after a printed SKIPPED line when
    /// FreeRADIUS is not installed (a panic under RADIUS_REQUIRE_PEERS=1);
    /// a server that does not come up is a panic with its log.
    pub fn start() -> Option<FreeRadius> {
        Self::start_with(None, None, "")
    }

    /// [`FreeRadius::start`] with more users: `users` (lines of the
    /// `users` file format, e.g. `carol Crypt-Password := "$6$..."`) after
    /// bob and User.
    pub fn start_with_users(users: &str) -> Option<FreeRadius> {
        Self::start_with(None, None, users)
    }

    /// A server whose accounting goes into PostgreSQL with rlm_sql and
    /// FreeRADIUS's own queries (our site: preprocess and acct_unique in
    /// preacct, sql in accounting). `None` after a SKIPPED line when
    /// FreeRADIUS or its PostgreSQL driver (freeradius-postgresql) is missing.
    pub fn start_sql(db: &SqlDb<'_>) -> Option<FreeRadius> {
        if !Path::new(SQL_DRIVER).is_file() {
            skip("rlm_sql_postgresql is not installed (apt-get install freeradius-postgresql)");
            return None;
        }
        let Some(bin) = find_tool("freeradius") else {
            skip("freeradius is not installed (apt-get install freeradius)");
            return None;
        };
        let port = crate::net::free_udp_pair();
        let dir = TempDir::new("freeradius-sql");
        let raddb = dir.join("raddb");
        let coa_port = coa_port_beside(port);
        configure(&raddb, port, coa_port, None);
        for e in std::fs::read_dir(raddb.join("sites-enabled")).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
        let site = SITE_SQL
            .replace("@AUTH_PORT@", &port.to_string())
            .replace("@ACCT_PORT@", &(port + 1).to_string());
        std::fs::write(raddb.join("sites-enabled/typed_radius_sql"), site).unwrap();
        let module = SQL
            .replace("@PORT@", &db.port.to_string())
            .replace("@USER@", db.user)
            .replace("@PASSWORD@", db.password)
            .replace("@DB@", db.db);
        let _ = std::fs::remove_file(raddb.join("mods-enabled/sql"));
        std::fs::write(raddb.join("mods-enabled/sql"), module).unwrap();
        Some(Self::spawn(bin, dir, port, coa_port))
    }

    /// [`FreeRadius::start`] on a given auth port (accounting on the
    /// next): to bring a stopped server back where a proxy expects it.
    pub fn start_on(auth_port: u16) -> Option<FreeRadius> {
        Self::start_with(None, Some(auth_port), "")
    }

    /// [`FreeRadius::start`] with EAP as well (our `eap.conf` and
    /// `inner-tunnel.conf`): PEAP (the default type) and TTLS with
    /// MS-CHAPv2, GTC, MD5, plain MS-CHAP and PAP inside, and EAP-TLS for
    /// client certificates of `certs.ca`; TLS 1.2 up to `tls_max` ("1.2"
    /// or "1.3").
    pub fn start_eap(certs: &EapCerts<'_>, tls_max: &str) -> Option<FreeRadius> {
        Self::start_with(
            Some(Eap {
                certs: *certs,
                tls_max,
            }),
            None,
            "",
        )
    }

    fn start_with(eap: Option<Eap<'_>>, port: Option<u16>, users: &str) -> Option<FreeRadius> {
        let Some(bin) = find_tool("freeradius") else {
            skip("freeradius is not installed (apt-get install freeradius)");
            return None;
        };
        if std::fs::read_dir(PACKAGE_CONFIG).is_err() {
            skip(&format!(
                "{PACKAGE_CONFIG} is not readable (the freeradius package's configuration)"
            ));
            return None;
        }
        let port = port.unwrap_or_else(crate::net::free_udp_pair);
        let dir = TempDir::new("freeradius");
        let raddb = dir.join("raddb");
        let coa_port = coa_port_beside(port);
        configure(&raddb, port, coa_port, eap.as_ref());
        if !users.is_empty() {
            let authorize = raddb.join("mods-config/files/authorize");
            std::fs::write(&authorize, format!("{AUTHORIZE}\n{users}\n")).unwrap();
        }
        Some(Self::spawn(bin, dir, port, coa_port))
    }

    fn spawn(bin: PathBuf, dir: TempDir, port: u16, coa_port: u16) -> FreeRadius {
        let raddb = dir.join("raddb");
        let log = std::fs::File::create(dir.join("stdout")).unwrap();
        let child = Command::new(bin)
            .arg("-d")
            .arg(&raddb)
            .arg("-f")
            .arg("-l")
            .arg(dir.join("log"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("run freeradius");
        let mut fr = FreeRadius {
            child,
            auth: ([127, 0, 0, 1], port).into(),
            acct: ([127, 0, 0, 1], port + 1).into(),
            coa: ([127, 0, 0, 1], coa_port).into(),
            dir,
        };
        fr.wait_until_answering();
        fr
    }

    /// Its log (radius.log-style lines, then what it printed).
    pub fn log(&self) -> String {
        let read = |name| std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        format!("{}{}", read("log"), read("stdout"))
    }

    /// Its configuration directory (`-d`).
    pub fn raddb(&self) -> PathBuf {
        self.dir.join("raddb")
    }

    fn wait_until_answering(&mut self) {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let t0 = Instant::now();
        let mut id = 0u8;
        while t0.elapsed() < START_WITHIN {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "FreeRADIUS exited ({status}) while starting:\n{}",
                    self.log()
                );
            }
            id = id.wrapping_add(1);
            if status_server(&sock, self.auth, id) {
                return;
            }
        }
        panic!(
            "FreeRADIUS did not answer Status-Server within {START_WITHIN:?}:\n{}",
            self.log()
        );
    }
}

impl Drop for FreeRadius {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- FreeRADIUS log ----\n{}", self.log());
        }
    }
}

/// The package's configuration with our site, clients and users (and EAP
/// module and inner site), in `raddb`.
/// A free UDP port for the CoA listener, other than `port` and `port + 1`.
fn coa_port_beside(port: u16) -> u16 {
    loop {
        let p = crate::net::free_port_udp();
        if p != port && p != port.wrapping_add(1) {
            return p;
        }
    }
}

fn configure(raddb: &Path, port: u16, coa_port: u16, eap: Option<&Eap<'_>>) {
    // cp -a keeps the package's owners and modes: the server drops to the
    // freerad user and must still read its files.
    let out = Command::new("cp")
        .arg("-a")
        .arg(PACKAGE_CONFIG)
        .arg(raddb)
        .output()
        .expect("run cp");
    assert!(
        out.status.success(),
        "cp -a {PACKAGE_CONFIG}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Only our sites, and only our EAP module (the package's wants its
    // own certificates).
    for e in std::fs::read_dir(raddb.join("sites-enabled")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let _ = std::fs::remove_file(raddb.join("mods-enabled/eap"));
    let (eap_authorize, eap_authenticate) = match eap {
        Some(_) => ("\t\teap {\n\t\t\tok = return\n\t\t}\n", "\t\teap\n"),
        None => ("", ""),
    };
    let site = SITE
        .replace("@AUTH_PORT@", &port.to_string())
        .replace("@ACCT_PORT@", &(port + 1).to_string())
        .replace("@COA_PORT@", &coa_port.to_string())
        .replace("@EAP_AUTHORIZE@\n", eap_authorize)
        .replace("@EAP_AUTHENTICATE@\n", eap_authenticate);
    std::fs::write(raddb.join("sites-enabled/typed_radius_test"), site).unwrap();
    if let Some(eap) = eap {
        configure_eap(raddb, eap);
    }
    std::fs::write(raddb.join("clients.conf"), CLIENTS).unwrap();
    // `users` links here in the package layout; replace the file itself.
    let authorize = raddb.join("mods-config/files/authorize");
    let _ = std::fs::remove_file(&authorize);
    std::fs::write(authorize, AUTHORIZE).unwrap();
    // The tests put hundreds of requests in flight at once.
    let conf = raddb.join("radiusd.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let raised: String = text
        .lines()
        .map(|l| {
            let is_max = l
                .trim_start()
                .strip_prefix("max_requests")
                .is_some_and(|rest| rest.trim_start().starts_with('='));
            if is_max {
                "max_requests = 4194304\n".to_owned()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(
        raised.contains("max_requests = 4194304"),
        "no max_requests in {}",
        conf.display()
    );
    std::fs::write(conf, raised).unwrap();
}

/// Our EAP module and inner-tunnel site, with the certificates copied to
/// `raddb/typed_radius_certs`.
fn configure_eap(raddb: &Path, eap: &Eap<'_>) {
    use std::os::unix::fs::PermissionsExt;
    assert!(
        matches!(eap.tls_max, "1.2" | "1.3"),
        "tls_max {:?}: \"1.2\" or \"1.3\"",
        eap.tls_max
    );
    // The server reads them as freerad: world-readable copies (test keys
    // only) in world-searchable directories, whatever the umask.
    let dir = raddb.join("typed_radius_certs");
    std::fs::create_dir_all(&dir).unwrap();
    for d in [raddb.parent().unwrap(), raddb, &dir] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let copy = |from: &Path, name: &str| {
        let to = dir.join(name);
        std::fs::copy(from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o644)).unwrap();
        to.display().to_string()
    };
    let module = EAP
        .replace("@CA@", &copy(eap.certs.ca, "ca.pem"))
        .replace("@CERT@", &copy(eap.certs.cert, "server.pem"))
        .replace("@KEY@", &copy(eap.certs.key, "server.key"))
        .replace("@TLS_MAX@", eap.tls_max);
    assert!(!module.contains('@'), "a placeholder left in eap.conf");
    std::fs::write(raddb.join("mods-enabled/eap"), module).unwrap();
    std::fs::write(raddb.join("sites-enabled/inner-tunnel"), INNER_TUNNEL).unwrap();
}

/// One signed Status-Server to `to`; whether a verified Access-Accept came
/// back within the socket's read timeout.
fn status_server(sock: &UdpSocket, to: SocketAddr, id: u8) -> bool {
    let secret = Secret::new(FreeRadius::SECRET);
    let mut req = Vec::new();
    let mut w = PacketWriter::request(&mut req, Code::STATUS_SERVER, id);
    w.message_authenticator().unwrap();
    w.finish(&secret).unwrap();
    if sock.send_to(&req, to).is_err() {
        // Nothing listening yet (ICMP port unreachable): let it come up.
        std::thread::sleep(Duration::from_millis(100));
        return false;
    }
    let mut buf = [0u8; 4096];
    let Ok((n, _)) = sock.recv_from(&mut buf) else {
        return false;
    };
    let auth: [u8; 16] = req[4..20].try_into().unwrap();
    match Packet::decode(&buf[..n]) {
        Ok(p) => {
            p.identifier() == id
                && p.code() == Code::ACCESS_ACCEPT
                && p.verify_reply(&secret, &auth).is_ok()
        }
        Err(_) => false,
    }
}
