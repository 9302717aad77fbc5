//! Accounting records in SQLite (WAL), written durably before the
//! Accounting-Response goes out: a request is answered only after its
//! record's transaction has committed with `synchronous=FULL`.
//!
//! One writer thread does group commit: it takes every record waiting,
//! writes them in one transaction and then wakes their handlers, so the
//! fsync cost is shared under load.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use radius_core::dict::Dictionary;
use radius_core::text::Codec;
use radius_server::Request;
use rusqlite::{params, Connection};
use tokio::sync::oneshot;
use typed_radius::dict::prelude::*;

/// One accounting record.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Record {
    /// Row id (0 before insertion).
    pub id: i64,
    /// When it was received, RFC 3339 UTC.
    pub received_at: String,
    /// Client name from the configuration.
    pub client: String,
    /// Source address:port.
    pub source: String,
    /// Acct-Status-Type (Start, Stop, Interim-Update ...).
    pub status_type: Option<String>,
    /// Acct-Session-Id.
    pub session_id: Option<String>,
    /// User-Name.
    pub user_name: Option<String>,
    /// NAS-IP-Address.
    pub nas_ip: Option<String>,
    /// NAS-Identifier.
    pub nas_identifier: Option<String>,
    /// Acct-Session-Time.
    pub session_time: Option<i64>,
    /// Acct-Input-Octets with Acct-Input-Gigawords.
    pub input_octets: Option<i64>,
    /// Acct-Output-Octets with Acct-Output-Gigawords.
    pub output_octets: Option<i64>,
    /// Acct-Terminate-Cause.
    pub terminate_cause: Option<String>,
    /// Every attribute, in FreeRADIUS text form.
    pub attributes: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounting (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    client TEXT NOT NULL,
    source TEXT NOT NULL,
    status_type TEXT,
    session_id TEXT,
    user_name TEXT,
    nas_ip TEXT,
    nas_identifier TEXT,
    session_time INTEGER,
    input_octets INTEGER,
    output_octets INTEGER,
    terminate_cause TEXT,
    attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounting_session ON accounting(session_id);
CREATE INDEX IF NOT EXISTS accounting_user ON accounting(user_name);
";

/// Errors from the SQLite store.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// SQLite failed.
    #[error("accounting database {path}: {source}")]
    Sqlite {
        /// Database file.
        path: PathBuf,
        /// Cause.
        source: rusqlite::Error,
    },
    /// The writer thread is gone.
    #[error("accounting writer stopped")]
    Closed,
}

type Job = (Record, oneshot::Sender<Result<i64, String>>);

/// Handle to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    tx: mpsc::SyncSender<Job>,
    path: PathBuf,
}

fn open(path: &Path) -> Result<Connection, SqliteError> {
    let wrap = |source| SqliteError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let c = Connection::open(path).map_err(wrap)?;
    c.pragma_update(None, "journal_mode", "WAL").map_err(wrap)?;
    c.pragma_update(None, "synchronous", "FULL").map_err(wrap)?;
    c.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(wrap)?;
    c.execute_batch(SCHEMA).map_err(wrap)?;
    Ok(c)
}

impl SqliteStore {
    /// Open (creating if needed) and start the writer thread.
    pub fn open(path: &Path) -> Result<SqliteStore, SqliteError> {
        let mut conn = open(path)?;
        // Bounded: under overload, handlers wait (and the server's in-flight
        // limits drop new requests) instead of memory growing.
        let (tx, rx) = mpsc::sync_channel::<Job>(4096);
        std::thread::Builder::new()
            .name("acct-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < 512 {
                        match rx.try_recv() {
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    match write_batch(&mut conn, &batch) {
                        Ok(ids) => {
                            for ((_, done), id) in batch.into_iter().zip(ids) {
                                let _ = done.send(Ok(id));
                            }
                        }
                        Err(e) => {
                            for (_, done) in batch {
                                let _ = done.send(Err(e.to_string()));
                            }
                        }
                    }
                }
            })
            .expect("spawn accounting writer");
        Ok(SqliteStore {
            tx,
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Store a record durably; resolves after commit with its row id.
    pub async fn insert(&self, r: Record) -> Result<i64, String> {
        let (done, wait) = oneshot::channel();
        let tx = self.tx.clone();
        // The channel is bounded; don't block a runtime thread on it.
        match tx.try_send((r, done)) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => {
                // Only whether the writer is gone matters, not the job back.
                let sent = tokio::task::spawn_blocking(move || tx.send(job).is_ok())
                    .await
                    .map_err(|e| e.to_string())?;
                if !sent {
                    return Err(SqliteError::Closed.to_string());
                }
            }
            Err(mpsc::TrySendError::Disconnected(_)) => return Err(SqliteError::Closed.to_string()),
        }
        wait.await.map_err(|_| SqliteError::Closed.to_string())?
    }

    /// Whether a session with this id has a Start or Interim-Update and no Stop.
    pub fn session_active(&self, session_id: &str) -> Result<bool, SqliteError> {
        let conn = open(&self.path)?;
        let wrap = |source| SqliteError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let last: Option<String> = conn
            .query_row(
                "SELECT status_type FROM accounting WHERE session_id = ?1 ORDER BY id DESC LIMIT 1",
                params![session_id],
                |r| r.get(0),
            )
            .or_else(|e| {
                if e == rusqlite::Error::QueryReturnedNoRows {
                    Ok(None)
                } else {
                    Err(e)
                }
            })
            .map_err(wrap)?;
        Ok(matches!(
            last.as_deref(),
            Some("Start") | Some("Interim-Update") | Some("Alive")
        ))
    }
}

fn write_batch(conn: &mut Connection, batch: &[Job]) -> rusqlite::Result<Vec<i64>> {
    let tx = conn.transaction()?;
    let mut ids = Vec::with_capacity(batch.len());
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO accounting (received_at, client, source, status_type, session_id, user_name, nas_ip,
             nas_identifier, session_time, input_octets, output_octets, terminate_cause, attributes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for (r, _) in batch {
            st.execute(params![
                r.received_at,
                r.client,
                r.source,
                r.status_type,
                r.session_id,
                r.user_name,
                r.nas_ip,
                r.nas_identifier,
                r.session_time,
                r.input_octets,
                r.output_octets,
                r.terminate_cause,
                r.attributes
            ])?;
            ids.push(tx.last_insert_rowid());
        }
    }
    tx.commit()?;
    Ok(ids)
}

/// The SQLite record of an Accounting-Request: the usual attributes in
/// columns, every attribute in FreeRADIUS text form.
pub fn record_of(req: &Request, dict: &Dictionary) -> Record {
    fn s<A: radius_core::Attribute>(req: &Request) -> Option<A> {
        req.get::<A>().and_then(Result::ok)
    }
    let octets =
        |lo: Option<u32>, hi: Option<u32>| lo.map(|l| ((hi.unwrap_or(0) as i64) << 32) | l as i64);
    Record {
        id: 0,
        received_at: rfc3339(SystemTime::now()),
        client: req.client().name().to_owned(),
        source: req.source().to_string(),
        status_type: s::<AcctStatusType>(req).map(|v| v.value().to_string()),
        session_id: s::<AcctSessionId>(req).map(|v| v.into_value()),
        user_name: s::<UserName>(req).map(|v| v.into_value()),
        nas_ip: s::<NasIpAddress>(req).map(|v| v.value().to_string()),
        nas_identifier: s::<NasIdentifier>(req).map(|v| v.into_value()),
        session_time: s::<AcctSessionTime>(req).map(|v| *v.value() as i64),
        input_octets: octets(
            s::<AcctInputOctets>(req).map(|v| v.into_value()),
            s::<AcctInputGigawords>(req).map(|v| v.into_value()),
        ),
        output_octets: octets(
            s::<AcctOutputOctets>(req).map(|v| v.into_value()),
            s::<AcctOutputGigawords>(req).map(|v| v.into_value()),
        ),
        terminate_cause: s::<AcctTerminateCause>(req).map(|v| v.value().to_string()),
        attributes: Codec::new(dict)
            .with_secret_key(req.client().secret())
            .with_authenticator(*req.authenticator())
            .decode_to_string(req.packet().attribute_bytes())
            .unwrap_or_else(|e| format!("(undecodable: {e})")),
    }
}

/// Read the most recent `limit` records (newest first).
pub fn list(path: &Path, limit: usize) -> Result<Vec<Record>, SqliteError> {
    if !path.exists() {
        return Err(SqliteError::Sqlite {
            path: path.to_owned(),
            source: rusqlite::Error::InvalidPath(path.to_owned()),
        });
    }
    let conn = open(path)?;
    let wrap = |source| SqliteError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let mut st = conn
        .prepare(
            "SELECT id, received_at, client, source, status_type, session_id, user_name, nas_ip, nas_identifier,
             session_time, input_octets, output_octets, terminate_cause, attributes
             FROM accounting ORDER BY id DESC LIMIT ?1",
        )
        .map_err(wrap)?;
    let rows = st
        .query_map(params![limit as i64], |r| {
            Ok(Record {
                id: r.get(0)?,
                received_at: r.get(1)?,
                client: r.get(2)?,
                source: r.get(3)?,
                status_type: r.get(4)?,
                session_id: r.get(5)?,
                user_name: r.get(6)?,
                nas_ip: r.get(7)?,
                nas_identifier: r.get(8)?,
                session_time: r.get(9)?,
                input_octets: r.get(10)?,
                output_octets: r.get(11)?,
                terminate_cause: r.get(12)?,
                attributes: r.get(13)?,
            })
        })
        .map_err(wrap)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(wrap)
}

/// `SystemTime` as RFC 3339 UTC (`2026-11-25T12:00:00Z`), without a date crate.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + std::time::Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + std::time::Duration::from_secs(1_764_072_000)),
            "2025-11-25T12:00:00Z"
        );
    }

    #[tokio::test]
    async fn records_survive_reopen_and_sessions_track() {
        let dir = std::env::temp_dir().join(format!("radius-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("acct.db");
        let _ = std::fs::remove_file(&path);
        let s = SqliteStore::open(&path).unwrap();
        let mut r = Record {
            received_at: rfc3339(SystemTime::now()),
            client: "c".into(),
            source: "127.0.0.1:5".into(),
            status_type: Some("Start".into()),
            session_id: Some("S1".into()),
            attributes: "User-Name = \"bob\"".into(),
            ..Default::default()
        };
        let id = s.insert(r.clone()).await.unwrap();
        assert!(s.session_active("S1").unwrap());
        r.status_type = Some("Stop".into());
        let many: Vec<_> = (0..50).map(|_| s.insert(r.clone())).collect();
        for f in many {
            f.await.unwrap();
        }
        assert!(!s.session_active("S1").unwrap());
        assert!(!s.session_active("nope").unwrap());
        drop(s);
        let rows = list(&path, 100).unwrap();
        assert_eq!(rows.len(), 51);
        assert_eq!(rows.last().unwrap().id, id);
        assert_eq!(rows.last().unwrap().status_type.as_deref(), Some("Start"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
