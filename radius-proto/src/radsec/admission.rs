//! Admission of RadSec connections whose TLS handshake has not finished.
//!
//! A TCP connection costs its peer nothing until the TLS handshake, so a
//! single unauthenticated source could otherwise hold every connection slot
//! by opening connections and never finishing the handshake. [`Admission`]
//! gives such connections their own budget, separate from the established
//! (authenticated) ones:
//!
//! - sources outside the allowed networks are refused before any TLS work
//!   (as FreeRADIUS's TLS listener checks its clients list);
//! - at most [`per_source`](AdmissionConfig::per_source) handshakes in
//!   progress per source (an IPv4 address, an IPv6 /64 by default);
//! - at most [`total`](AdmissionConfig::total) in all. When the total is
//!   reached, a source with fewer handshakes in progress than the busiest
//!   one displaces the oldest handshake of the busiest source, so that
//!   flooding from many addresses still leaves room for a source that
//!   connects once.
//!
//! The caller (radius-server's tokio layer) asks [`Admission::admit`] on
//! every accepted connection, closes refused ones at once, and gives the
//! [`Ticket`] back with [`Admission::release`] when the handshake succeeds,
//! fails or times out. Every clock reading is the caller's `now`.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::host::Cidr;

/// Limits on connections whose TLS handshake is in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Handshakes in progress from one source (default 16).
    pub per_source: usize,
    /// Handshakes in progress in total (default 256).
    pub total: usize,
    /// Source networks that may connect; empty: any address. Connections
    /// from elsewhere are closed before any TLS work.
    pub allowed: Vec<Cidr>,
    /// IPv6 sources are grouped by this prefix length (default 64: one
    /// subscriber's network counts as one source).
    pub ipv6_prefix: u8,
    /// Refusals of one source are reported for logging at most once per
    /// this interval (default 10 s); the others are counted.
    pub log_interval: Duration,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            per_source: 16,
            total: 256,
            allowed: Vec::new(),
            ipv6_prefix: 64,
            log_interval: Duration::from_secs(10),
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The source is outside the allowed networks.
    NotAllowed,
    /// The source already has `per_source` handshakes in progress.
    SourceBusy,
    /// `total` handshakes are in progress and this source may not displace
    /// any (it has as many in progress as the busiest source).
    Full,
}

impl Refusal {
    /// A short stable name (for logs and metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "not_allowed",
            Refusal::SourceBusy => "source_busy",
            Refusal::Full => "handshakes_full",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An admitted handshake; give it back with [`Admission::release`].
#[derive(Debug, PartialEq, Eq)]
pub struct Ticket {
    id: u64,
    source: Cidr,
}

impl Ticket {
    /// The source this handshake is counted against (an address, or an
    /// IPv6 prefix).
    pub fn source(&self) -> Cidr {
        self.source
    }
}

/// What to do with an accepted connection.
#[derive(Debug)]
pub enum Decision<T> {
    /// Start the handshake; release the ticket when it ends.
    Admit {
        /// Give back on handshake done or failed.
        ticket: Ticket,
        /// The displaced handshake's payload: close that connection.
        evicted: Option<T>,
    },
    /// Close the connection now.
    Refuse {
        /// Why.
        reason: Refusal,
        /// `Some(n)`: log this refusal, `n` refusals of the same source were
        /// not logged since its last line; `None`: do not log it.
        log: Option<u64>,
    },
}

/// Counters of [`Admission`] decisions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdmissionStats {
    /// Handshakes admitted.
    pub admitted: u64,
    /// Refused: source outside the allowed networks.
    pub not_allowed: u64,
    /// Refused: the source's budget was used up.
    pub source_busy: u64,
    /// Refused: the total budget was used up.
    pub full: u64,
    /// Handshakes displaced by a less busy source's connection.
    pub evicted: u64,
}

impl AdmissionStats {
    /// Every refusal.
    pub fn refused(&self) -> u64 {
        self.not_allowed + self.source_busy + self.full
    }
}

/// Sources whose log state is kept; beyond it they share one.
const LOG_SOURCES: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct LogState {
    last: Option<Instant>,
    suppressed: u64,
}

impl LogState {
    fn allow(&mut self, now: Instant, interval: Duration) -> Option<u64> {
        match self.last {
            Some(t) if now.saturating_duration_since(t) < interval => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

/// The pre-handshake budget: per source and in total. `T` is the caller's
/// handle on an admitted connection (e.g. a channel that closes it),
/// returned when that connection is displaced.
#[derive(Debug)]
pub struct Admission<T> {
    config: AdmissionConfig,
    /// Per source: handshakes in progress, oldest first.
    sources: HashMap<Cidr, VecDeque<(u64, Instant, T)>>,
    pending: usize,
    next_id: u64,
    logs: HashMap<Cidr, LogState>,
    overflow: LogState,
    stats: AdmissionStats,
}

impl<T> Admission<T> {
    /// An empty budget.
    pub fn new(config: AdmissionConfig) -> Self {
        Admission {
            config,
            sources: HashMap::new(),
            pending: 0,
            next_id: 0,
            logs: HashMap::new(),
            overflow: LogState {
                last: None,
                suppressed: 0,
            },
            stats: AdmissionStats::default(),
        }
    }

    /// The limits.
    pub fn config(&self) -> &AdmissionConfig {
        &self.config
    }

    /// The source `ip` is counted as: the address, or its IPv6 prefix.
    pub fn source_of(&self, ip: IpAddr) -> Cidr {
        let host = Cidr::host(ip);
        if host.addr().is_ipv4() {
            host
        } else {
            Cidr::new(host.addr(), self.config.ipv6_prefix.min(128)).unwrap_or(host)
        }
    }

    /// Decide on a connection from `ip` accepted at `now`; `payload` is kept
    /// with an admitted handshake and returned if it is displaced.
    pub fn admit(&mut self, ip: IpAddr, now: Instant, payload: T) -> Decision<T> {
        let source = self.source_of(ip);
        if !self.config.allowed.is_empty() && !self.config.allowed.iter().any(|n| n.contains(ip)) {
            self.stats.not_allowed += 1;
            return self.refuse(source, Refusal::NotAllowed, now);
        }
        let mine = self.sources.get(&source).map_or(0, VecDeque::len);
        if mine >= self.config.per_source {
            self.stats.source_busy += 1;
            return self.refuse(source, Refusal::SourceBusy, now);
        }
        let mut evicted = None;
        if self.pending >= self.config.total {
            // The busiest source; among equals, the one with the oldest handshake.
            let victim = self
                .sources
                .iter()
                .filter(|(_, q)| q.len() > mine)
                .max_by(|a, b| {
                    a.1.len()
                        .cmp(&b.1.len())
                        .then_with(|| b.1.front().map(|e| e.0).cmp(&a.1.front().map(|e| e.0)))
                })
                .map(|(k, _)| *k);
            let Some(victim) = victim else {
                self.stats.full += 1;
                return self.refuse(source, Refusal::Full, now);
            };
            if let Some(q) = self.sources.get_mut(&victim) {
                evicted = q.pop_front().map(|(_, _, p)| p);
                if q.is_empty() {
                    self.sources.remove(&victim);
                }
            }
            self.pending -= 1;
            self.stats.evicted += 1;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.sources
            .entry(source)
            .or_default()
            .push_back((id, now, payload));
        self.pending += 1;
        self.stats.admitted += 1;
        Decision::Admit {
            ticket: Ticket { id, source },
            evicted,
        }
    }

    /// The handshake of `ticket` ended (done, failed or timed out). A
    /// displaced handshake's ticket is ignored.
    pub fn release(&mut self, ticket: Ticket) {
        let Some(q) = self.sources.get_mut(&ticket.source) else {
            return;
        };
        if let Some(i) = q.iter().position(|e| e.0 == ticket.id) {
            q.remove(i);
            self.pending -= 1;
        }
        if q.is_empty() {
            self.sources.remove(&ticket.source);
        }
    }

    /// Handshakes in progress.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Handshakes in progress from the source of `ip`.
    pub fn pending_from(&self, ip: IpAddr) -> usize {
        self.sources
            .get(&self.source_of(ip))
            .map_or(0, VecDeque::len)
    }

    /// The counters so far.
    pub fn stats(&self) -> AdmissionStats {
        self.stats
    }

    fn refuse(&mut self, source: Cidr, reason: Refusal, now: Instant) -> Decision<T> {
        let interval = self.config.log_interval;
        if !self.logs.contains_key(&source) && self.logs.len() >= LOG_SOURCES {
            self.logs.retain(|_, s| {
                s.last
                    .is_some_and(|t| now.saturating_duration_since(t) < interval)
            });
        }
        let state = if self.logs.len() < LOG_SOURCES || self.logs.contains_key(&source) {
            self.logs.entry(source).or_insert(LogState {
                last: None,
                suppressed: 0,
            })
        } else {
            &mut self.overflow
        };
        let log = state.allow(now, interval);
        Decision::Refuse { reason, log }
    }
}

#[cfg(test)]
mod tests;
