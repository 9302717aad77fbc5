//! Open sessions in the accounting database, for `radius coa` and
//! `radius disconnect`: which NAS holds a user's (or a session id's)
//! session now.
//!
//! SQLite keeps every record: a session is open when its latest record is
//! a Start, Interim-Update or Alive. PostgreSQL keeps FreeRADIUS's one
//! `radacct` row per session: open while `acctstoptime IS NULL`.

use std::net::IpAddr;
use std::path::Path;

use rusqlite::params;

use super::Backend;

/// What to look sessions up by.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// User-Name.
    User(String),
    /// Acct-Session-Id.
    Session(String),
}

/// One open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    /// Acct-Session-Id.
    pub session_id: String,
    /// User-Name.
    pub user: Option<String>,
    /// The NAS: NAS-IP-Address, or the address the records came from.
    pub nas: IpAddr,
}

/// The open sessions matching `by` in database `db` (a SQLite path or a
/// `postgres://` URL).
pub async fn open_sessions(db: &Path, by: &Lookup) -> Result<Vec<OpenSession>, String> {
    match Backend::parse(db)? {
        Backend::Sqlite(p) => sqlite(&p, by),
        Backend::Postgres(url) => postgres(&url, by).await,
    }
}

fn sqlite(path: &Path, by: &Lookup) -> Result<Vec<OpenSession>, String> {
    if !path.exists() {
        return Err(format!("{}: no such accounting database", path.display()));
    }
    let err = |e: rusqlite::Error| format!("{}: {e}", path.display());
    let conn = rusqlite::Connection::open(path).map_err(err)?;
    let (column, key) = match by {
        Lookup::User(u) => ("user_name", u),
        Lookup::Session(s) => ("session_id", s),
    };
    // The latest record of each matching session decides whether it is open.
    let sql = format!(
        "SELECT a.session_id, a.user_name, a.nas_ip, a.source FROM accounting a \
         WHERE a.{column} = ?1 AND a.session_id IS NOT NULL \
           AND a.id = (SELECT MAX(b.id) FROM accounting b WHERE b.session_id = a.session_id) \
           AND a.status_type IN ('Start', 'Interim-Update', 'Alive') \
         ORDER BY a.id"
    );
    let mut st = conn.prepare(&sql).map_err(err)?;
    let rows = st
        .query_map(params![key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(err)?;
    let mut out = Vec::new();
    for row in rows {
        let (session_id, user, nas_ip, source) = row.map_err(err)?;
        let nas = nas_ip
            .and_then(|a| a.parse().ok())
            .or_else(|| source.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
            .ok_or_else(|| format!("session {session_id:?}: no NAS address recorded"))?;
        out.push(OpenSession {
            session_id,
            user,
            nas,
        });
    }
    Ok(out)
}

async fn postgres(url: &str, by: &Lookup) -> Result<Vec<OpenSession>, String> {
    let shown = super::postgres::redact(url);
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("{shown}: {e}"))?;
    tokio::spawn(conn);
    let (column, key) = match by {
        Lookup::User(u) => ("username", u),
        Lookup::Session(s) => ("acctsessionid", s),
    };
    let sql = format!(
        "SELECT acctsessionid, username, host(nasipaddress) FROM radacct \
         WHERE {column} = $1 AND acctstoptime IS NULL ORDER BY radacctid"
    );
    let rows = client
        .query(&sql, &[key])
        .await
        .map_err(|e| format!("{shown}: {e}"))?;
    rows.iter()
        .map(|r| {
            let session_id: String = r.get(0);
            let nas: String = r.get(2);
            Ok(OpenSession {
                nas: nas
                    .parse()
                    .map_err(|_| format!("session {session_id:?}: NAS address {nas:?}"))?,
                user: r.get(1),
                session_id,
            })
        })
        .collect()
}
