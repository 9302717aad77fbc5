//! Where `radius serve` keeps accounting: SQLite (the default, one file)
//! or PostgreSQL in FreeRADIUS's `radacct` schema with a local spool. The
//! accounting handler sees one [`Store`]: [`Store::write`] resolves once
//! the request's record is durable, and only then is it answered.

pub mod postgres;
pub mod radacct;
pub mod sessions;
pub mod spool;
pub mod sqlite;
pub mod upsert;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use radius_core::dict::Dictionary;
use radius_server::Request;

pub use postgres::{PgOptions, PgStore, StatsSnapshot};
pub use sqlite::{list, SqliteStore};

/// Default spool file (PostgreSQL only).
pub const DEFAULT_SPOOL: &str = "radius-accounting.spool";
/// Default spool bound, in records (about 0.5 KB each on disk).
pub const DEFAULT_SPOOL_MAX: u64 = 1_000_000;
/// Default concurrent PostgreSQL writer connections.
pub const DEFAULT_WRITERS: usize = 2;

/// PostgreSQL's settings besides the URL (ignored for SQLite).
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// The spool file.
    pub spool: PathBuf,
    /// Records the spool may hold.
    pub spool_max: u64,
    /// Concurrent writer connections.
    pub writers: usize,
}

/// Which database an `accounting_db` value names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (a plain path, or `sqlite:PATH`).
    Sqlite(PathBuf),
    /// `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Backend {
    /// Read an `accounting_db` value; an error says what is wrong with a
    /// PostgreSQL URL.
    pub fn parse(db: &Path) -> Result<Backend, String> {
        let Some(s) = db.to_str() else {
            return Ok(Backend::Sqlite(db.to_owned()));
        };
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            s.parse::<tokio_postgres::Config>().map_err(|e| {
                format!(
                    "{:?} is not a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE): {e}",
                    postgres::redact(s)
                )
            })?;
            return Ok(Backend::Postgres(s.to_owned()));
        }
        Ok(Backend::Sqlite(PathBuf::from(
            s.strip_prefix("sqlite:").unwrap_or(s),
        )))
    }
}

/// Errors opening a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite.
    #[error(transparent)]
    Sqlite(#[from] sqlite::SqliteError),
    /// PostgreSQL.
    #[error(transparent)]
    Postgres(#[from] postgres::PgError),
    /// A bad `accounting_db`.
    #[error("{0}")]
    Config(String),
}

/// The accounting store of `radius serve`. Cheap to clone.
#[derive(Clone)]
pub enum Store {
    /// Every request as a row of its own (`radius acct list` reads them).
    Sqlite(SqliteStore),
    /// One `radacct` row per session.
    Postgres(PgStore),
}

impl Store {
    /// Open the database `db` names (see [`Backend`]).
    pub async fn open(db: &Path, pg: &PgSettings) -> Result<Store, StoreError> {
        match Backend::parse(db).map_err(StoreError::Config)? {
            Backend::Sqlite(p) => Ok(Store::Sqlite(SqliteStore::open(&p)?)),
            Backend::Postgres(url) => Ok(Store::Postgres(
                PgStore::open(&PgOptions {
                    url,
                    spool: pg.spool.clone(),
                    spool_max: pg.spool_max,
                    writers: pg.writers,
                })
                .await?,
            )),
        }
    }

    /// Store the record of an Accounting-Request durably; resolves once it
    /// is committed (or spooled).
    pub async fn write(&self, req: &Request, dict: &Dictionary) -> Result<(), String> {
        match self {
            Store::Sqlite(s) => {
                let rec = sqlite::record_of(req, dict);
                let status = rec.status_type.clone().unwrap_or_default();
                let id = s.insert(rec).await?;
                tracing::debug!(record = id, status = %status, "accounting stored");
                Ok(())
            }
            Store::Postgres(p) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                let attrs = req.packet().attribute_bytes();
                match radacct::RadAcct::from_request(dict, attrs, req.source().ip(), now) {
                    Some(r) => {
                        let kind = r.kind;
                        p.write(r).await?;
                        tracing::debug!(?kind, "accounting stored");
                        Ok(())
                    }
                    // FreeRADIUS's queries write nothing for these either.
                    None => {
                        tracing::debug!("accounting status type not stored");
                        Ok(())
                    }
                }
            }
        }
    }

    /// Whether a session with this Acct-Session-Id is open.
    pub async fn session_active(&self, session_id: &str) -> bool {
        match self {
            Store::Sqlite(s) => s.session_active(session_id).unwrap_or(false),
            Store::Postgres(p) => p.session_active(session_id).await,
        }
    }

    /// The database, for the start-up banner.
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => s.path().display().to_string(),
            Store::Postgres(p) => format!("{} (radacct)", p.describe()),
        }
    }

    /// PostgreSQL's counters (spool depth, database errors); `None` for SQLite.
    pub fn stats(&self) -> Option<StatsSnapshot> {
        match self {
            Store::Sqlite(_) => None,
            Store::Postgres(p) => Some(p.stats()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_by_name() {
        let p = |s: &str| Backend::parse(Path::new(s));
        assert_eq!(p("acct.db"), Ok(Backend::Sqlite("acct.db".into())));
        assert_eq!(p("sqlite:/a/b.db"), Ok(Backend::Sqlite("/a/b.db".into())));
        assert_eq!(
            p("postgres://u:pw@127.0.0.1:5432/radius"),
            Ok(Backend::Postgres(
                "postgres://u:pw@127.0.0.1:5432/radius".into()
            ))
        );
        let e = p("postgres://u:pw@127.0.0.1:notaport/radius").unwrap_err();
        assert!(e.contains("not a PostgreSQL URL"), "{e}");
        assert!(!e.contains("pw"), "{e}");
    }
}
