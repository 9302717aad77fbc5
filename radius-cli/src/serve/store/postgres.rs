//! Accounting in PostgreSQL (FreeRADIUS's `radacct`, see [`super::radacct`]),
//! with the [`Spool`] for when the database is away.
//!
//! Writers do group commit like the SQLite writer: each takes every record
//! waiting for it, sends their upserts pipelined in one transaction, and
//! answers them all once it has committed. Records are sharded over the
//! writers by `acctuniqueid`, so one session's records are applied in the
//! order they arrived, and each batch is applied in `acctuniqueid` order
//! (no deadlocks between writers or nodes).
//!
//! A batch that cannot be committed goes to the spool (fsynced) and is
//! answered from there; while the spool holds anything, new records go to
//! it too, and one replayer task applies it in order once PostgreSQL is
//! back, then empties it. When the spool is full the rest are not answered.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::radacct::{Kind, RadAcct, DDL};
use super::spool::{Spool, SpoolError};
use super::upsert::{column, compile, compile_batch, Column, Compiled};

/// Records per transaction, at most.
const MAX_BATCH: usize = 512;
/// A write that takes longer is given up (and spooled).
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the replayer retries an unreachable database.
const RETRY_EVERY: Duration = Duration::from_millis(500);

/// How `radius serve` reaches PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// The spool file.
    pub spool: PathBuf,
    /// Records the spool may hold.
    pub spool_max: u64,
    /// Concurrent writer connections.
    pub writers: usize,
}

/// Why the PostgreSQL store could not start.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The URL does not parse.
    #[error("accounting database URL: {0}")]
    Url(tokio_postgres::Error),
    /// The pool could not be built.
    #[error("accounting database pool: {0}")]
    Pool(String),
    /// The server refused us (authentication, database, permissions).
    #[error("accounting database {url}: {source}")]
    Db {
        /// The URL without its password.
        url: String,
        /// Cause.
        source: tokio_postgres::Error,
    },
    /// The spool file.
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// Counters of the PostgreSQL store (a later metrics task exports them).
#[derive(Debug, Default)]
pub struct Stats {
    committed: AtomicU64,
    spooled: AtomicU64,
    replayed: AtomicU64,
    db_errors: AtomicU64,
    refused: AtomicU64,
}

/// A copy of [`Stats`] and the spool depth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Records committed straight to the database.
    pub committed: u64,
    /// Records written to the spool.
    pub spooled: u64,
    /// Spooled records since applied to the database.
    pub replayed: u64,
    /// Records in the spool now.
    pub spool_depth: u64,
    /// Failed database writes (batches) and connection attempts.
    pub db_errors: u64,
    /// Records not answered because the spool was full.
    pub refused: u64,
}

#[derive(Debug)]
enum WriteError {
    Pool(PoolError),
    Db(tokio_postgres::Error),
    Timeout,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Pool(e) => write!(f, "{e}"),
            WriteError::Db(e) => match e.as_db_error() {
                Some(d) => write!(f, "{}: {}", d.code().code(), d.message()),
                None => write!(f, "{e}"),
            },
            WriteError::Timeout => write!(f, "no answer within {WRITE_TIMEOUT:?}"),
        }
    }
}

impl WriteError {
    /// A value the database rejects (SQLSTATE class 22): retrying cannot help.
    fn is_data(&self) -> bool {
        matches!(self, WriteError::Db(e) if e.code().is_some_and(|c| c.code().starts_with("22")))
    }
}

type Job = (RadAcct, oneshot::Sender<Result<(), String>>);

struct Shared {
    pool: Pool,
    spool: Spool,
    stats: Stats,
    wake: Notify,
    full: AtomicBool,
    /// Start, Interim and Stop for many rows, then Accounting-On/Off.
    statements: [Compiled; 4],
}

/// Handle to the PostgreSQL writers. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    shards: Arc<[mpsc::Sender<Job>]>,
    shared: Arc<Shared>,
    display: String,
}

/// `url` with its password hidden, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn kind_index(k: Kind) -> usize {
    match k {
        Kind::Start => 0,
        Kind::Interim => 1,
        Kind::Stop => 2,
        Kind::NasReboot => 3,
    }
}

impl PgStore {
    /// Connect, create the schema if missing, open the spool and start the
    /// writers and the replayer. A database that cannot be reached is not
    /// an error (records are spooled until it can); one that refuses us is.
    pub async fn open(o: &PgOptions) -> Result<PgStore, PgError> {
        let mut cfg: tokio_postgres::Config = o.url.parse().map_err(PgError::Url)?;
        cfg.connect_timeout(Duration::from_secs(3));
        let mgr = Manager::from_config(
            cfg,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let writers = o.writers.max(1);
        let pool = Pool::builder(mgr)
            .max_size(writers + 2)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(3)))
            .wait_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| PgError::Pool(e.to_string()))?;
        let shown = redact(&o.url);
        match create_schema(&pool).await {
            Ok(()) => {}
            Err(WriteError::Db(e)) if e.as_db_error().is_some() => {
                return Err(PgError::Db {
                    url: shown.clone(),
                    source: e,
                })
            }
            Err(WriteError::Pool(PoolError::Backend(e))) if e.as_db_error().is_some() => {
                return Err(PgError::Db {
                    url: shown.clone(),
                    source: e,
                })
            }
            Err(e) => {
                tracing::warn!(db = %shown, error = %e, "PostgreSQL unreachable at start; accounting goes to the spool until it is back")
            }
        }
        let spool = Spool::open(&o.spool, o.spool_max)?;
        if !spool.is_empty() {
            tracing::info!(records = spool.depth(), path = %o.spool.display(), "accounting spool from a previous run: replaying");
        }
        let shared = Arc::new(Shared {
            pool,
            spool,
            stats: Stats::default(),
            wake: Notify::new(),
            full: AtomicBool::new(false),
            statements: [
                compile_batch(Kind::Start),
                compile_batch(Kind::Interim),
                compile_batch(Kind::Stop),
                compile(Kind::NasReboot),
            ],
        });
        let mut shards = Vec::with_capacity(writers);
        for _ in 0..writers {
            let (tx, rx) = mpsc::channel(4096);
            tokio::spawn(shard(rx, shared.clone()));
            shards.push(tx);
        }
        tokio::spawn(replay(shared.clone()));
        Ok(PgStore {
            shards: shards.into(),
            shared,
            display: shown,
        })
    }

    /// The database, password hidden.
    pub fn describe(&self) -> &str {
        &self.display
    }

    /// Apply one record durably (committed, or fsynced in the spool);
    /// an error when neither is possible (the request is then not answered).
    pub async fn write(&self, r: RadAcct) -> Result<(), String> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        r.acctuniqueid.hash(&mut h);
        let shard = &self.shards[(h.finish() % self.shards.len() as u64) as usize];
        let (done, wait) = oneshot::channel();
        shard
            .send((r, done))
            .await
            .map_err(|_| "accounting writer stopped".to_owned())?;
        wait.await
            .map_err(|_| "accounting writer stopped".to_owned())?
    }

    /// Whether `radacct` has an open session with this Acct-Session-Id
    /// (false when the database cannot say).
    pub async fn session_active(&self, session_id: &str) -> bool {
        let q = async {
            let c = self.shared.pool.get().await.ok()?;
            c.query_opt(
                "SELECT 1 FROM radacct WHERE acctsessionid = $1 AND acctstoptime IS NULL LIMIT 1",
                &[&session_id],
            )
            .await
            .ok()
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), q).await,
            Ok(Some(Some(_)))
        )
    }

    /// The counters now.
    pub fn stats(&self) -> StatsSnapshot {
        let s = &self.shared.stats;
        StatsSnapshot {
            committed: s.committed.load(Ordering::Relaxed),
            spooled: s.spooled.load(Ordering::Relaxed),
            replayed: s.replayed.load(Ordering::Relaxed),
            spool_depth: self.shared.spool.depth(),
            db_errors: s.db_errors.load(Ordering::Relaxed),
            refused: s.refused.load(Ordering::Relaxed),
        }
    }
}

async fn create_schema(pool: &Pool) -> Result<(), WriteError> {
    let c = pool.get().await.map_err(WriteError::Pool)?;
    // Two nodes starting together can race on CREATE ... IF NOT EXISTS.
    let mut tries = 0;
    loop {
        match c.batch_execute(DDL).await {
            Ok(()) => return Ok(()),
            Err(e)
                if tries < 3
                    && e.code().is_some_and(|c| {
                        *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::DUPLICATE_TABLE
                    }) =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(WriteError::Db(e)),
        }
    }
}

/// One writer: group commit of what its channel holds.
async fn shard(mut rx: mpsc::Receiver<Job>, sh: Arc<Shared>) {
    while let Some(first) = rx.recv().await {
        let (mut recs, mut dones) = (vec![first.0], vec![first.1]);
        while recs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok((r, d)) => {
                    recs.push(r);
                    dones.push(d);
                }
                Err(_) => break,
            }
        }
        let accepted = sh.commit(recs).await;
        for (i, d) in dones.into_iter().enumerate() {
            let _ = d.send(if i < accepted {
                Ok(())
            } else {
                Err("accounting spool full".into())
            });
        }
    }
}

impl Shared {
    /// Commit or spool `recs`; how many (a prefix) are durable.
    async fn commit(self: &Arc<Self>, recs: Vec<RadAcct>) -> usize {
        if self.spool.is_empty() {
            match self.write_db(&recs).await {
                Ok(()) => {
                    self.stats
                        .committed
                        .fetch_add(recs.len() as u64, Ordering::Relaxed);
                    return recs.len();
                }
                Err(e) => {
                    self.stats.db_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, records = recs.len(), "PostgreSQL write failed; spooling");
                }
            }
        }
        self.to_spool(recs).await
    }

    async fn to_spool(self: &Arc<Self>, recs: Vec<RadAcct>) -> usize {
        let n = recs.len();
        let sh = self.clone();
        let done = tokio::task::spawn_blocking(move || sh.spool.append(&recs)).await;
        let k = match done {
            Ok(Ok(k)) => k,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot write the accounting spool; not answering");
                0
            }
            Err(e) => {
                tracing::error!(error = %e, "accounting spool writer failed; not answering");
                0
            }
        };
        self.stats.spooled.fetch_add(k as u64, Ordering::Relaxed);
        if k < n {
            self.stats
                .refused
                .fetch_add((n - k) as u64, Ordering::Relaxed);
            if !self.full.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    path = %self.spool.path().display(),
                    depth = self.spool.depth(),
                    "accounting spool full: not answering accounting until PostgreSQL is back (the NAS keeps its copy)"
                );
            }
        } else if self.full.swap(false, Ordering::Relaxed) {
            tracing::info!("accounting spool has room again: answering accounting");
        }
        self.wake.notify_one();
        k
    }

    /// `recs` in one pipelined transaction, in `acctuniqueid` order.
    async fn write_db(&self, recs: &[RadAcct]) -> Result<(), WriteError> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.try_write(recs)).await {
            Ok(Err(WriteError::Db(e))) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => {
                create_schema(&self.pool).await?;
                tokio::time::timeout(WRITE_TIMEOUT, self.try_write(recs))
                    .await
                    .map_err(|_| WriteError::Timeout)?
            }
            Ok(r) => r,
            Err(_) => Err(WriteError::Timeout),
        }
    }

    async fn try_write(&self, recs: &[RadAcct]) -> Result<(), WriteError> {
        let client = self.pool.get().await.map_err(WriteError::Pool)?;
        let mut prepared = Vec::with_capacity(4);
        for c in &self.statements {
            prepared.push(
                client
                    .prepare_cached(&c.sql)
                    .await
                    .map_err(WriteError::Db)?,
            );
        }
        // Every statement's parameters, made before the pipeline borrows them.
        let steps: Vec<(usize, Vec<Column>)> = plan(recs)
            .into_iter()
            .map(|step| match step {
                Step::Rows(kind, rows) => {
                    let i = kind_index(kind);
                    let cols = self.statements[i]
                        .params
                        .iter()
                        .map(|n| column(&rows, n))
                        .collect();
                    (i, cols)
                }
                Step::Reboot(r) => (3, vec![Column::Reboot(r)]),
            })
            .collect();
        // BEGIN, the statements and COMMIT go out together (one round trip);
        // after a failed statement PostgreSQL turns the COMMIT into a
        // ROLLBACK, and the first error is the answer. One statement (the
        // usual batch: one status type) is its own implicit transaction,
        // which spares PostgreSQL two commands per commit.
        let client = &*client;
        let explicit = steps.len() > 1;
        let mut runs: Vec<Run<'_>> = Vec::with_capacity(steps.len() + 2);
        if explicit {
            runs.push(Box::pin(async move {
                client.batch_execute("BEGIN").await.map(|_| 0)
            }));
        }
        for (i, cols) in &steps {
            let params: Vec<&(dyn ToSql + Sync)> = match cols.as_slice() {
                [Column::Reboot(r)] => self.statements[3]
                    .params
                    .iter()
                    .map(|n| r.param(n))
                    .collect(),
                _ => cols.iter().map(Column::as_param).collect(),
            };
            let st = &prepared[*i];
            runs.push(Box::pin(async move { client.execute(st, &params).await }));
        }
        if explicit {
            runs.push(Box::pin(async move {
                client.batch_execute("COMMIT").await.map(|_| 0)
            }));
        }
        in_order(runs).await.map_err(WriteError::Db)
    }
}

type Run<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'a>,
>;

/// Run every future to completion, polling them in order (tokio-postgres
/// sends a request when its future is first polled, so this is the order
/// they reach the server); the first error, if any.
async fn in_order(mut runs: Vec<Run<'_>>) -> Result<(), tokio_postgres::Error> {
    use std::task::Poll;
    let mut results: Vec<Option<Result<u64, tokio_postgres::Error>>> =
        runs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (run, result) in runs.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match run.as_mut().poll(cx) {
                    Poll::Ready(r) => *result = Some(r),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().try_for_each(|r| r.map(drop))
}

/// One statement of a batch.
enum Step<'a> {
    /// Rows of one kind with distinct `acctuniqueid`s, in that order.
    Rows(Kind, Vec<&'a RadAcct>),
    /// An Accounting-On/Off.
    Reboot(&'a RadAcct),
}

/// The statements that apply `recs` in their order: a record goes into the
/// layer after the last one holding its `acctuniqueid` (so one statement
/// never has a row twice, and a session's records stay in order); an
/// Accounting-On/Off is a barrier between layers.
fn plan(recs: &[RadAcct]) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    let mut layers: Vec<[Vec<&RadAcct>; 3]> = Vec::new();
    let mut depth: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    fn flush<'a>(layers: &mut Vec<[Vec<&'a RadAcct>; 3]>, steps: &mut Vec<Step<'a>>) {
        for layer in layers.drain(..) {
            for (kind, mut rows) in [Kind::Start, Kind::Interim, Kind::Stop]
                .into_iter()
                .zip(layer)
            {
                if !rows.is_empty() {
                    rows.sort_by(|a, b| a.acctuniqueid.cmp(&b.acctuniqueid));
                    steps.push(Step::Rows(kind, rows));
                }
            }
        }
    }
    for r in recs {
        if r.kind == Kind::NasReboot {
            flush(&mut layers, &mut steps);
            depth.clear();
            steps.push(Step::Reboot(r));
            continue;
        }
        let l = depth.get(r.acctuniqueid.as_str()).map_or(0, |d| d + 1);
        depth.insert(&r.acctuniqueid, l);
        if layers.len() <= l {
            layers.push([Vec::new(), Vec::new(), Vec::new()]);
        }
        layers[l][kind_index(r.kind)].push(r);
    }
    flush(&mut layers, &mut steps);
    steps
}

/// Apply the spool in order whenever it holds anything and the database
/// answers; empty it once it is all in.
async fn replay(sh: Arc<Shared>) {
    let mut offset = 0u64;
    let mut failing = false;
    loop {
        if sh.spool.is_empty() {
            offset = 0;
            let _ = tokio::time::timeout(Duration::from_secs(1), sh.wake.notified()).await;
            continue;
        }
        let s = sh.clone();
        let read = tokio::task::spawn_blocking(move || s.spool.read_from(offset, MAX_BATCH)).await;
        let (recs, next) = match read {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot read the accounting spool");
                tokio::time::sleep(RETRY_EVERY).await;
                continue;
            }
            Err(_) => continue,
        };
        if recs.is_empty() {
            let s = sh.clone();
            if let Ok(Ok(true)) = tokio::task::spawn_blocking(move || s.spool.finish(next)).await {
                tracing::info!("accounting spool replayed; writing to PostgreSQL directly");
                offset = 0;
            } else {
                offset = next;
            }
            continue;
        }
        match sh.write_db(&recs).await {
            Ok(()) => {}
            Err(e) if e.is_data() => {
                // One by one: skip (and log) only what the database rejects.
                let mut stop = false;
                for r in &recs {
                    match sh.write_db(std::slice::from_ref(r)).await {
                        Ok(()) => {}
                        Err(e) if e.is_data() => tracing::error!(
                            error = %e,
                            record = %serde_json::to_string(r).unwrap_or_default(),
                            "PostgreSQL rejects a spooled accounting record; skipped"
                        ),
                        Err(_) => {
                            stop = true;
                            break;
                        }
                    }
                }
                if stop {
                    tokio::time::sleep(RETRY_EVERY).await;
                    continue;
                }
            }
            Err(e) => {
                sh.stats.db_errors.fetch_add(1, Ordering::Relaxed);
                if !failing {
                    tracing::warn!(error = %e, depth = sh.spool.depth(), "PostgreSQL unavailable; accounting spooled, retrying");
                    failing = true;
                }
                tokio::time::sleep(RETRY_EVERY).await;
                continue;
            }
        }
        if failing {
            tracing::info!(
                depth = sh.spool.depth(),
                "PostgreSQL is back; replaying the accounting spool"
            );
            failing = false;
        }
        sh.spool.replayed(recs.len() as u64);
        sh.stats
            .replayed
            .fetch_add(recs.len() as u64, Ordering::Relaxed);
        offset = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_twice_in_a_batch_is_two_statements_in_order() {
        let rec = |kind, uid: &str| RadAcct {
            kind,
            acctuniqueid: uid.into(),
            ..crate::serve::store::spool::tests::rec(1)
        };
        let recs = [
            rec(Kind::Start, "b"),
            rec(Kind::Start, "a"),
            rec(Kind::Stop, "b"),
            rec(Kind::Interim, "c"),
            rec(Kind::NasReboot, "-"),
            rec(Kind::Interim, "b"),
        ];
        let shape: Vec<String> = plan(&recs)
            .iter()
            .map(|s| match s {
                Step::Rows(k, rows) => format!(
                    "{k:?}:{}",
                    rows.iter()
                        .map(|r| r.acctuniqueid.as_str())
                        .collect::<String>()
                ),
                Step::Reboot(_) => "Reboot".into(),
            })
            .collect();
        assert_eq!(
            shape,
            ["Start:ab", "Interim:c", "Stop:b", "Reboot", "Interim:b"]
        );
    }

    #[test]
    fn passwords_are_not_logged() {
        assert_eq!(
            super::redact("postgres://radius:secret@127.0.0.1:5432/radius"),
            "postgres://radius:***@127.0.0.1:5432/radius"
        );
        assert_eq!(
            super::redact("postgres://radius@db/radius"),
            "postgres://radius@db/radius"
        );
    }
}
