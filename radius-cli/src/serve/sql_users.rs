//! Users from SQL in FreeRADIUS's schema (`--users-db postgres://...`):
//! `radcheck` and `radreply` per user, `radusergroup` naming the user's
//! groups (by priority) with their `radgroupcheck` and `radgroupreply`.
//!
//! As rlm_sql reads them:
//! - check items with `:=` (or `=`, `+=`) set the user's credential:
//!   `Cleartext-Password`, `NT-Password` (32 hex digits), `Crypt-Password`
//!   (SHA-512-crypt `$6$`, SHA-256-crypt `$5$`, bcrypt `$2a$`/`$2b$`/`$2y$`,
//!   MD5-crypt `$1$`, traditional DES crypt, or an argon2 PHC string; any
//!   other format never matches, and is logged at warn once per row);
//! - other check items with `==` (and `!=`) compare with the request: a
//!   user whose own check items do not match is not found (rejected); a
//!   group whose check items do not match adds nothing;
//! - reply items: `=` adds an attribute unless the reply already has it,
//!   `:=` replaces it, `+=` adds another; the user's first, then each
//!   group's in priority order.
//!
//! Rows are cached for [`TTL`] (bounded to [`CACHE_MAX`] names), so a
//! change in the tables is seen within seconds without a restart.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::dict::Dictionary;
use radius_core::text::{Codec, Pair};
use radius_server::Request;

use super::config::{ClientEntry, Password, PolicySetting};

/// The user tables, as FreeRADIUS 3.2's PostgreSQL schema names and types
/// them (our own DDL; `radius db init` prints it with `radacct`'s).
pub const DDL: &str = "\
CREATE TABLE IF NOT EXISTS radcheck (
    id serial PRIMARY KEY,
    username text NOT NULL DEFAULT '',
    attribute text NOT NULL DEFAULT '',
    op varchar(2) NOT NULL DEFAULT '==',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS radcheck_username ON radcheck (username, attribute);
CREATE TABLE IF NOT EXISTS radreply (
    id serial PRIMARY KEY,
    username text NOT NULL DEFAULT '',
    attribute text NOT NULL DEFAULT '',
    op varchar(2) NOT NULL DEFAULT '=',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS radreply_username ON radreply (username, attribute);
CREATE TABLE IF NOT EXISTS radgroupcheck (
    id serial PRIMARY KEY,
    groupname text NOT NULL DEFAULT '',
    attribute text NOT NULL DEFAULT '',
    op varchar(2) NOT NULL DEFAULT '==',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS radgroupcheck_groupname ON radgroupcheck (groupname, attribute);
CREATE TABLE IF NOT EXISTS radgroupreply (
    id serial PRIMARY KEY,
    groupname text NOT NULL DEFAULT '',
    attribute text NOT NULL DEFAULT '',
    op varchar(2) NOT NULL DEFAULT '=',
    value text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS radgroupreply_groupname ON radgroupreply (groupname, attribute);
CREATE TABLE IF NOT EXISTS radusergroup (
    id serial PRIMARY KEY,
    username text NOT NULL DEFAULT '',
    groupname text NOT NULL DEFAULT '',
    priority integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS radusergroup_username ON radusergroup (username);
";

/// FreeRADIUS's `nas` table (clients), as its PostgreSQL schema has it.
pub const NAS_DDL: &str = "\
CREATE TABLE IF NOT EXISTS nas (
    id serial PRIMARY KEY,
    nasname text NOT NULL,
    shortname text NOT NULL,
    type text NOT NULL DEFAULT 'other',
    ports integer,
    secret text NOT NULL,
    server text,
    community text,
    description text
);
CREATE INDEX IF NOT EXISTS nas_nasname ON nas (nasname);
";

/// How often the `nas` table is read again.
pub const NAS_REFRESH: Duration = Duration::from_secs(5);

/// How long looked-up rows are reused.
pub const TTL: Duration = Duration::from_secs(5);
/// Names cached at most.
pub const CACHE_MAX: usize = 10_000;

/// One row of radcheck / radreply / radgroup*.
#[derive(Debug, Clone)]
struct Item {
    attribute: String,
    op: String,
    value: String,
}

#[derive(Debug, Default)]
struct Rows {
    check: Vec<Item>,
    reply: Vec<Item>,
    /// (check, reply) of each group, by priority.
    groups: Vec<(Vec<Item>, Vec<Item>)>,
}

/// User name -> when fetched, and the rows (`None`: no such user).
type Cache = HashMap<String, (Instant, Option<Arc<Rows>>)>;

/// What SQL says about one user for one request.
pub struct SqlUser {
    /// The credential (`None`: the user has none, so nothing matches).
    pub password: Option<Password>,
    /// Reply attributes in order.
    pub reply: Vec<Pair>,
}

/// The SQL users source.
pub struct SqlUsers {
    pool: deadpool_postgres::Pool,
    cache: Mutex<Cache>,
    /// Crypt-Password rows already warned about (table, owner, value),
    /// bounded to [`CACHE_MAX`].
    warned: Mutex<HashSet<(&'static str, String, String)>>,
    shown: String,
}

impl SqlUsers {
    /// A pool for `url` (connections are made on use).
    pub fn new(url: &str) -> anyhow::Result<SqlUsers> {
        let cfg: tokio_postgres::Config = url.parse().map_err(|e| {
            anyhow::anyhow!("users_db {}: {e}", super::store::postgres::redact(url))
        })?;
        let mgr = deadpool_postgres::Manager::new(cfg, tokio_postgres::NoTls);
        let pool = deadpool_postgres::Pool::builder(mgr)
            .max_size(4)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()?;
        Ok(SqlUsers {
            pool,
            cache: Mutex::new(HashMap::new()),
            warned: Mutex::new(HashSet::new()),
            shown: super::store::postgres::redact(url),
        })
    }

    /// The database, for the banner.
    pub fn describe(&self) -> &str {
        &self.shown
    }

    /// `name` as SQL has it, its check items compared with `req` (when
    /// given; EAP's credential lookups have no request to compare).
    pub async fn user(
        &self,
        name: &str,
        req: Option<&Request>,
        dict: &Dictionary,
    ) -> Result<Option<SqlUser>, String> {
        let Some(rows) = self.rows(name).await? else {
            return Ok(None);
        };
        // The request in text form only when some row compares with it
        // (most users have none): decoding every attribute costs.
        let compares = |items: &[Item]| {
            items
                .iter()
                .any(|i| !is_credential(&i.attribute) && matches!(i.op.as_str(), "==" | "!="))
        };
        let needed = compares(&rows.check) || rows.groups.iter().any(|(c, _)| compares(c));
        let request = match req {
            Some(r) if needed => request_text(r, dict),
            _ => Vec::new(),
        };
        let compare = |items: &[Item]| req.is_none() || items.iter().all(|i| matches(i, &request));
        if !compare(&rows.check) {
            return Ok(None);
        }
        let mut password = credential(&rows.check);
        let mut reply: Vec<Pair> = Vec::new();
        apply(&mut reply, &rows.reply, dict);
        for (check, greply) in &rows.groups {
            if compare(check) {
                password = password.or_else(|| credential(check));
                apply(&mut reply, greply, dict);
            }
        }
        Ok(Some(SqlUser { password, reply }))
    }

    async fn rows(&self, name: &str) -> Result<Option<Arc<Rows>>, String> {
        if let Some((at, r)) = self.lock().get(name) {
            if at.elapsed() < TTL {
                return Ok(r.clone());
            }
        }
        let rows = self.fetch(name).await?;
        let mut c = self.lock();
        if c.len() >= CACHE_MAX {
            c.retain(|_, (at, _)| at.elapsed() < TTL);
            if c.len() >= CACHE_MAX {
                c.clear();
            }
        }
        c.insert(name.to_owned(), (Instant::now(), rows.clone()));
        Ok(rows)
    }

    async fn fetch(&self, name: &str) -> Result<Option<Arc<Rows>>, String> {
        let e = |e: &dyn std::fmt::Display| format!("users_db {}: {e}", self.shown);
        let c = self.pool.get().await.map_err(|x| e(&x))?;
        let items = |rows: Vec<tokio_postgres::Row>| -> Vec<Item> {
            rows.iter()
                .map(|r| Item {
                    attribute: r.get(0),
                    op: r.get(1),
                    value: r.get(2),
                })
                .collect()
        };
        let q = |table: &str, key: &str| {
            format!("SELECT attribute, op, value FROM {table} WHERE {key} = $1 ORDER BY id")
        };
        let check = items(
            c.query(&q("radcheck", "username"), &[&name])
                .await
                .map_err(|x| e(&x))?,
        );
        let reply = items(
            c.query(&q("radreply", "username"), &[&name])
                .await
                .map_err(|x| e(&x))?,
        );
        let groups: Vec<String> = c
            .query(
                "SELECT groupname FROM radusergroup WHERE username = $1 ORDER BY priority, id",
                &[&name],
            )
            .await
            .map_err(|x| e(&x))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if check.is_empty() && reply.is_empty() && groups.is_empty() {
            return Ok(None);
        }
        self.warn_unusable("radcheck", name, &check);
        let mut rows = Rows {
            check,
            reply,
            groups: Vec::new(),
        };
        for g in &groups {
            let gc = items(
                c.query(&q("radgroupcheck", "groupname"), &[g])
                    .await
                    .map_err(|x| e(&x))?,
            );
            let gr = items(
                c.query(&q("radgroupreply", "groupname"), &[g])
                    .await
                    .map_err(|x| e(&x))?,
            );
            self.warn_unusable("radgroupcheck", g, &gc);
            rows.groups.push((gc, gr));
        }
        Ok(Some(Arc::new(rows)))
    }

    /// The clients of the `nas` table (`nasname` an address or CIDR block;
    /// host names are skipped with a warning), `auto` BlastRADIUS policies.
    pub async fn nas_clients(&self) -> Result<Vec<ClientEntry>, String> {
        let e = |e: &dyn std::fmt::Display| format!("users_db {} (nas): {e}", self.shown);
        let c = self.pool.get().await.map_err(|x| e(&x))?;
        let rows = c
            .query(
                "SELECT nasname, shortname, secret FROM nas ORDER BY id",
                &[],
            )
            .await
            .map_err(|x| e(&x))?;
        let mut out = Vec::new();
        for r in rows {
            let (nasname, shortname, secret): (String, String, String) =
                (r.get(0), r.get(1), r.get(2));
            let Ok(address) = nasname.trim().parse::<radius_server::Cidr>() else {
                tracing::warn!(%nasname, "nas: not an address or CIDR block; skipped");
                continue;
            };
            if secret.is_empty() {
                tracing::warn!(%nasname, "nas: empty secret; skipped");
                continue;
            }
            out.push(ClientEntry {
                name: if shortname.is_empty() {
                    nasname.clone()
                } else {
                    shortname
                },
                address,
                secret,
                require_ma: PolicySetting::Auto,
                limit_proxy_state: PolicySetting::Auto,
                coa_port: None,
            });
        }
        Ok(out)
    }

    /// Log each Crypt-Password of `items` whose format we cannot check
    /// (it never matches) at warn, once per row.
    fn warn_unusable(&self, table: &'static str, owner: &str, items: &[Item]) {
        for i in items {
            if !i.attribute.eq_ignore_ascii_case("Crypt-Password")
                || !matches!(i.op.as_str(), ":=" | "=" | "+=")
            {
                continue;
            }
            let Err(why) = super::crypt::check(&i.value) else {
                continue;
            };
            let mut w = self.warned.lock().unwrap_or_else(|p| p.into_inner());
            if w.len() >= CACHE_MAX {
                w.clear();
            }
            if w.insert((table, owner.to_owned(), i.value.clone())) {
                tracing::warn!(table, name = %owner,
                    "Crypt-Password: {why}; it never matches (this user is rejected unless \
                     another credential applies)");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

const CREDENTIALS: [&str; 3] = ["Cleartext-Password", "NT-Password", "Crypt-Password"];

fn is_credential(attr: &str) -> bool {
    CREDENTIALS.iter().any(|c| c.eq_ignore_ascii_case(attr))
}

/// The credential set by `:=` (or `=`, `+=`) check items.
fn credential(items: &[Item]) -> Option<Password> {
    items
        .iter()
        .filter(|i| is_credential(&i.attribute) && matches!(i.op.as_str(), ":=" | "=" | "+="))
        .find_map(|i| match i.attribute.to_ascii_lowercase().as_str() {
            "cleartext-password" => Some(Password::Clear(i.value.clone())),
            "nt-password" => {
                let hex = i.value.trim().trim_start_matches("0x");
                radius_proto::mschap::NtHash::from_hex(hex).map(Password::NtHash)
            }
            // Refused formats were logged when the row was read.
            _ => super::crypt::check(&i.value)
                .is_ok()
                .then(|| Password::Hash(i.value.clone())),
        })
}

/// The request's attributes as (lower-cased name, printed value).
fn request_text(req: &Request, dict: &Dictionary) -> Vec<(String, String)> {
    let codec = Codec::new(dict);
    codec
        .decode(req.packet().attribute_bytes())
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|p| {
                    let t = codec.format_pair(p);
                    let (n, v) = t.split_once(" = ")?;
                    Some((n.to_ascii_lowercase(), v.trim_matches('"').to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a comparison check item holds for the request (credentials and
/// assignments always do; unknown operators never).
fn matches(i: &Item, request: &[(String, String)]) -> bool {
    if is_credential(&i.attribute) {
        return true;
    }
    let name = i.attribute.to_ascii_lowercase();
    let mut values = request.iter().filter(|(n, _)| *n == name).map(|(_, v)| v);
    match i.op.as_str() {
        "==" => values.any(|v| *v == i.value),
        "!=" => values.all(|v| *v != i.value),
        ":=" | "=" | "+=" => true,
        _ => false,
    }
}

/// Apply reply items to `reply` by their operators.
fn apply(reply: &mut Vec<Pair>, items: &[Item], dict: &Dictionary) {
    let codec = Codec::new(dict);
    for i in items {
        let parsed = codec
            .parse(&format!("{} = {}", i.attribute, i.value))
            .or_else(|_| {
                codec.parse(&format!(
                    "{} = \"{}\"",
                    i.attribute,
                    i.value.replace('"', "\\\"")
                ))
            });
        let Ok(mut pairs) = parsed else {
            tracing::warn!(attribute = %i.attribute, "radreply value does not parse; skipped");
            continue;
        };
        let Some(new) = pairs.pop() else { continue };
        let same = |p: &Pair| p.attr == new.attr;
        match i.op.as_str() {
            "=" if reply.iter().any(same) => {}
            ":=" => {
                reply.retain(|p| !same(p));
                reply.push(new);
            }
            "=" | "+=" => reply.push(new),
            other => {
                tracing::warn!(op = other, attribute = %i.attribute, "radreply operator not supported; skipped")
            }
        }
    }
}
