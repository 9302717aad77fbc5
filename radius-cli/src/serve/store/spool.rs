//! The accounting spool: records PostgreSQL could not take, kept in a
//! local file until it can. One JSON record per line, appended and
//! fsynced before their Accounting-Responses go out; replayed in order;
//! emptied (truncated) once everything in it is in the database.
//!
//! Bounded by a record count: when it is full, [`Spool::append`] refuses
//! the rest and the server does not answer them, so the NAS keeps its own
//! copy and retransmits. A torn last line (a crash during a write that was
//! therefore never acknowledged) is dropped when the spool is opened.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::radacct::RadAcct;

/// Errors of the spool file.
#[derive(Debug, thiserror::Error)]
#[error("accounting spool {path}: {source}")]
pub struct SpoolError {
    /// The spool file.
    pub path: PathBuf,
    /// Cause.
    pub source: std::io::Error,
}

/// The spool file and its bound.
pub struct Spool {
    path: PathBuf,
    max: u64,
    file: Mutex<File>,
    /// Records in the file (replayed or not) since it was last emptied.
    records: AtomicU64,
    /// Records replayed from it since it was last emptied.
    replayed: AtomicU64,
}

impl Spool {
    /// Open (creating if needed) the spool at `path` holding at most `max`
    /// records. Records already there (a previous run's) are kept for
    /// replay.
    pub fn open(path: &Path, max: u64) -> Result<Spool, SpoolError> {
        let wrap = |source| SpoolError {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(wrap)?;
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(wrap)?;
        let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if complete < text.len() {
            tracing::warn!(path = %path.display(), bytes = text.len() - complete, "accounting spool: dropping a torn last line");
            file.set_len(complete as u64).map_err(wrap)?;
            file.sync_data().map_err(wrap)?;
        }
        let records = text[..complete].iter().filter(|&&b| b == b'\n').count() as u64;
        // The file's directory entry, for a spool created just now.
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir).and_then(|d| d.sync_all()).map_err(wrap)?;
        Ok(Spool {
            path: path.to_owned(),
            max,
            file: Mutex::new(file),
            records: AtomicU64::new(records),
            replayed: AtomicU64::new(0),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records waiting for the database.
    pub fn depth(&self) -> u64 {
        self.records
            .load(Ordering::Acquire)
            .saturating_sub(self.replayed.load(Ordering::Acquire))
    }

    /// Whether nothing is waiting (new records may then go straight to the
    /// database).
    pub fn is_empty(&self) -> bool {
        self.records.load(Ordering::Acquire) == 0
    }

    /// Append as many of `recs` as fit, durably (fsync); returns how many
    /// (a prefix). Blocking: call it off the async threads.
    pub fn append(&self, recs: &[RadAcct]) -> Result<usize, SpoolError> {
        let wrap = |source| SpoolError {
            path: self.path.clone(),
            source,
        };
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let have = self.records.load(Ordering::Acquire);
        let room = self.max.saturating_sub(have).min(recs.len() as u64) as usize;
        if room == 0 {
            return Ok(0);
        }
        let mut buf = Vec::with_capacity(room * 512);
        for r in &recs[..room] {
            serde_json::to_writer(&mut buf, r).map_err(|e| wrap(e.into()))?;
            buf.push(b'\n');
        }
        let before = file.metadata().map_err(wrap)?.len();
        if let Err(e) = file.write_all(&buf).and_then(|()| file.sync_data()) {
            // No torn line for the next append to run into (these records
            // are not answered, so the NAS keeps them).
            let _ = file.set_len(before);
            return Err(wrap(e));
        }
        self.records.fetch_add(room as u64, Ordering::AcqRel);
        Ok(room)
    }

    /// Up to `max` records from byte `offset` on, and the offset after
    /// them. Undecodable lines are logged and skipped.
    pub fn read_from(&self, offset: u64, max: usize) -> Result<(Vec<RadAcct>, u64), SpoolError> {
        let wrap = |source| SpoolError {
            path: self.path.clone(),
            source,
        };
        // Under the lock: no half-written line is read.
        let _file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let mut f = File::open(&self.path).map_err(wrap)?;
        f.seek(SeekFrom::Start(offset)).map_err(wrap)?;
        let mut r = BufReader::new(f);
        let (mut out, mut at, mut line) = (Vec::new(), offset, Vec::new());
        while out.len() < max {
            line.clear();
            let n = r.read_until(b'\n', &mut line).map_err(wrap)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            at += n as u64;
            match serde_json::from_slice::<RadAcct>(&line) {
                Ok(rec) => out.push(rec),
                Err(e) => {
                    tracing::error!(path = %self.path.display(), offset = at - n as u64, error = %e, "accounting spool: undecodable line skipped");
                    self.replayed.fetch_add(1, Ordering::AcqRel);
                }
            }
        }
        Ok((out, at))
    }

    /// Count `n` records as replayed.
    pub fn replayed(&self, n: u64) {
        self.replayed.fetch_add(n, Ordering::AcqRel);
    }

    /// Empty the spool if everything up to `offset` is all it holds;
    /// whether it did.
    pub fn finish(&self, offset: u64) -> Result<bool, SpoolError> {
        let wrap = |source| SpoolError {
            path: self.path.clone(),
            source,
        };
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let len = file.metadata().map_err(wrap)?.len();
        if len != offset {
            return Ok(false);
        }
        file.set_len(0).map_err(wrap)?;
        file.sync_data().map_err(wrap)?;
        self.records.store(0, Ordering::Release);
        self.replayed.store(0, Ordering::Release);
        Ok(true)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::serve::store::radacct::Kind;

    pub(crate) fn rec(n: i64) -> RadAcct {
        RadAcct {
            kind: Kind::Interim,
            event: n,
            acctsessionid: format!("S{n}"),
            acctuniqueid: format!("U{n}"),
            username: "bob".into(),
            realm: None,
            nasipaddress: "192.0.2.1".into(),
            nasportid: None,
            nasporttype: String::new(),
            acctsessiontime: Some(n),
            acctauthentic: String::new(),
            connectinfo: String::new(),
            acctinputoctets: 1 << 33,
            acctoutputoctets: 5,
            calledstationid: String::new(),
            callingstationid: String::new(),
            acctterminatecause: String::new(),
            servicetype: String::new(),
            framedprotocol: String::new(),
            framedipaddress: Some("10.0.0.1".into()),
            framedipv6address: None,
            framedipv6prefix: None,
            framedinterfaceid: None,
            delegatedipv6prefix: None,
            class: None,
        }
    }

    #[test]
    fn bounded_ordered_durable_and_torn_tails_dropped() {
        let dir = std::env::temp_dir().join(format!("radius-spool-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("spool");
        let _ = std::fs::remove_file(&path);
        let s = Spool::open(&path, 5).unwrap();
        assert!(s.is_empty());
        assert_eq!(s.append(&[rec(1), rec(2), rec(3)]).unwrap(), 3);
        assert_eq!(s.append(&[rec(4), rec(5), rec(6)]).unwrap(), 2, "bound");
        assert_eq!(s.append(&[rec(7)]).unwrap(), 0);
        assert_eq!(s.depth(), 5);
        drop(s);
        // A torn write after the last fsync.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"kind\":\"St").unwrap();
        drop(f);
        let s = Spool::open(&path, 5).unwrap();
        assert_eq!(s.depth(), 5);
        let (a, off) = s.read_from(0, 2).unwrap();
        assert_eq!(a, vec![rec(1), rec(2)]);
        s.replayed(2);
        assert!(!s.finish(off).unwrap(), "more to replay");
        let (b, off) = s.read_from(off, 10).unwrap();
        assert_eq!(b.iter().map(|r| r.event).collect::<Vec<_>>(), [3, 4, 5]);
        s.replayed(3);
        assert_eq!(s.depth(), 0);
        assert!(s.finish(off).unwrap());
        assert!(s.is_empty());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
