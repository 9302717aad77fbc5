//! A throw-away PostgreSQL cluster (Debian's `postgresql` package): initdb
//! in a temp dir, a free loopback port, trust authentication on 127.0.0.1
//! only, the unix socket in the temp dir; superuser [`Postgres::USER`].
//! Stopped and deleted on drop. No system service, no fixed port.
//!
//! PostgreSQL refuses to run as root: as root the cluster is owned by and
//! run as the `postgres` user (setpriv), so the temp dir is made readable
//! by it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::skip;
use crate::tmp::TempDir;

/// How long the server may take to accept connections.
const START_WITHIN: Duration = Duration::from_secs(30);

/// A running (or stopped, see [`Postgres::stop`]) throw-away cluster.
pub struct Postgres {
    child: Option<Child>,
    /// Its loopback TCP port.
    pub port: u16,
    bin: PathBuf,
    as_postgres: bool,
    dir: TempDir,
}

/// The newest /usr/lib/postgresql/N/bin that has initdb and postgres.
fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file()).then_some((v, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

impl Postgres {
    /// The superuser the cluster is made with (its password is not checked:
    /// trust authentication on loopback).
    pub const USER: &'static str = "radius";
    /// The password the URLs carry.
    pub const PASSWORD: &'static str = "radius";

    /// Create and start a cluster. `None` after a printed SKIPPED line when
    /// PostgreSQL is not installed (a panic under RADIUS_REQUIRE_PEERS=1);
    /// a cluster that does not come up is a panic with its log.
    pub fn start() -> Option<Postgres> {
        let Some(bin) = bin_dir() else {
            skip("PostgreSQL is not installed (apt-get install postgresql)");
            return None;
        };
        let as_postgres = is_root();
        if as_postgres && !Path::new("/usr/bin/setpriv").is_file() {
            skip("setpriv (util-linux) is needed to run PostgreSQL as the postgres user");
            return None;
        }
        let dir = TempDir::new("postgres");
        let mut pg = Postgres {
            child: None,
            port: crate::net::free_port_tcp(),
            bin,
            as_postgres,
            dir,
        };
        if as_postgres {
            let st = Command::new("chown")
                .arg("postgres:postgres")
                .arg(pg.dir.path())
                .status()
                .expect("run chown");
            assert!(st.success(), "chown postgres {}", pg.dir.path().display());
        }
        let out = pg
            .command("initdb")
            .arg("-D")
            .arg(pg.data())
            .args([
                "-U",
                Self::USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        pg.restart();
        Some(pg)
    }

    /// A command of the cluster's bin dir, as the user that owns it.
    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("/usr/bin/setpriv");
            c.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
                .arg(exe)
                .env("HOME", self.dir.path());
            c
        } else {
            Command::new(exe)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `postgres://radius:radius@127.0.0.1:PORT/db`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://{}:{}@127.0.0.1:{}/{db}",
            Self::USER,
            Self::PASSWORD,
            self.port
        )
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// Start the (stopped) server again, on the same port, and wait until
    /// it accepts connections.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("log"))
            .unwrap();
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-c", "listen_addresses=127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "max_connections=100", "-c", "fsync=on"])
            // Several clusters run at once (one per test): stay small.
            .args(["-c", "shared_buffers=16MB"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("run postgres");
        self.child = Some(child);
        let t0 = Instant::now();
        while t0.elapsed() < START_WITHIN {
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("postgres exited ({st}) while starting:\n{}", self.log());
            }
            if self.try_sql("postgres", "SELECT 1").is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "postgres did not accept connections within {START_WITHIN:?}:\n{}",
            self.log()
        );
    }

    /// Stop the server (fast shutdown: connections are cut), keeping its
    /// data for [`Postgres::restart`].
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Run `sql` in database `db` with psql; its unaligned, tuples-only
    /// output (`|` between columns), or psql's error text.
    pub fn try_sql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", Self::USER, "-d", db, "-X", "-q", "-A", "-t"])
            .args(["-v", "ON_ERROR_STOP=1", "-c", sql])
            .env("PGCONNECT_TIMEOUT", "3")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("run psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// [`Postgres::try_sql`], panicking on an error.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        self.try_sql(db, sql)
            .unwrap_or_else(|e| panic!("psql -d {db} -c {sql:?}: {e}"))
    }

    /// Run an SQL file in `db` (e.g. a schema).
    pub fn sql_file(&self, db: &str, file: &Path) {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args([
                "-U",
                Self::USER,
                "-d",
                db,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-f",
            ])
            .arg(file)
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql -f {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Create an empty database.
    pub fn create_db(&self, name: &str) {
        self.sql("postgres", &format!("CREATE DATABASE {name}"));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- PostgreSQL log ----\n{}", self.log());
        }
        self.stop();
    }
}
