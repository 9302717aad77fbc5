//! The RadSec listener's admission gate: the sans-IO pre-handshake budget
//! ([`radius_proto::radsec::admission`]) applied to accepted TCP
//! connections, and the separate capacity for established ones.
//!
//! A connection is admitted (or closed at once) before any TLS work; an
//! admitted one holds a [`Pending`] until its handshake ends, which gives
//! the slot back (also when the handshake fails, times out, or the task
//! ends any other way). Only then does it take one of the established
//! connections' slots, so handshakes in progress can never use up the
//! capacity of authenticated clients.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use radius_proto::radsec::{Admission, AdmissionConfig, AdmissionStats, Decision, Refusal, Ticket};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// Per-listener admission state.
pub(crate) struct Gate {
    admission: Mutex<Admission<oneshot::Sender<()>>>,
    established: Arc<Semaphore>,
    max_established: usize,
    over_capacity: AtomicU64,
    /// When the last "established connections full" line was logged.
    capacity_logged: Mutex<Option<Instant>>,
}

/// An admitted connection whose handshake is in progress. Dropping it
/// gives its slot back.
pub(crate) struct Pending {
    gate: Arc<Gate>,
    ticket: Option<Ticket>,
    /// Resolves when a less busy source displaced this handshake.
    pub(crate) displaced: oneshot::Receiver<()>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.gate.lock().release(t);
        }
    }
}

impl Gate {
    pub(crate) fn new(config: AdmissionConfig, max_established: usize) -> Gate {
        Gate {
            admission: Mutex::new(Admission::new(config)),
            established: Arc::new(Semaphore::new(max_established)),
            max_established,
            over_capacity: AtomicU64::new(0),
            capacity_logged: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Admission<oneshot::Sender<()>>> {
        self.admission.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admit a connection from `peer` for its handshake, or refuse it (the
    /// caller closes it). Refusals are logged at most once per source per
    /// the configured interval.
    pub(crate) fn admit(self: &Arc<Self>, peer: SocketAddr) -> Option<Pending> {
        let (tx, rx) = oneshot::channel();
        let decision = self.lock().admit(peer.ip(), Instant::now(), tx);
        match decision {
            Decision::Admit { ticket, evicted } => {
                if evicted.is_some() {
                    tracing::debug!(%peer, source = %ticket.source(),
                        "RadSec handshakes full: displaced the oldest handshake of the busiest source");
                }
                // Dropping the displaced handshake's sender closes that connection.
                drop(evicted);
                Some(Pending {
                    gate: self.clone(),
                    ticket: Some(ticket),
                    displaced: rx,
                })
            }
            Decision::Refuse { reason, log } => {
                if let Some(suppressed) = log {
                    let (cfg, source) = {
                        let a = self.lock();
                        (a.config().clone(), a.source_of(peer.ip()))
                    };
                    let why = match reason {
                        Refusal::NotAllowed => "source not in the allowed networks".to_owned(),
                        Refusal::SourceBusy => format!(
                            "{} TLS handshakes already in progress from this source",
                            cfg.per_source
                        ),
                        Refusal::Full => format!(
                            "{} TLS handshakes in progress in total, none from a busier source",
                            cfg.total
                        ),
                    };
                    tracing::warn!(%peer, %source, %reason, suppressed,
                        interval = ?cfg.log_interval,
                        "RadSec connection refused before TLS: {why} \
                         (logged once per source per interval; `suppressed` earlier refusals not logged)");
                }
                None
            }
        }
    }

    /// A slot among the established connections, taken when a handshake
    /// succeeded; `None` (close the connection) when all are in use.
    pub(crate) fn establish(&self, peer: SocketAddr) -> Option<OwnedSemaphorePermit> {
        match self.established.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                self.over_capacity.fetch_add(1, Ordering::Relaxed);
                let now = Instant::now();
                let mut last = self
                    .capacity_logged
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                if last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(10)) {
                    *last = Some(now);
                    tracing::warn!(%peer, limit = self.max_established,
                        refused = self.over_capacity.load(Ordering::Relaxed),
                        "RadSec connection closed after its handshake: established connections at the limit \
                         (logged at most every 10 s)");
                }
                None
            }
        }
    }

    /// Handshakes in progress.
    pub(crate) fn handshakes(&self) -> usize {
        self.lock().pending()
    }

    /// The admission counters.
    pub(crate) fn stats(&self) -> AdmissionStats {
        self.lock().stats()
    }

    /// Authenticated connections closed because `max_established` were open.
    pub(crate) fn over_capacity(&self) -> u64 {
        self.over_capacity.load(Ordering::Relaxed)
    }
}
