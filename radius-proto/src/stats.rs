//! Counters (lock-free atomics) and the rate limiter for drop log lines.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Instant;

macro_rules! drop_reasons {
    ($($(#[$m:meta])* $name:ident => $text:literal,)*) => {
        /// Why the server dropped a datagram or a request without answering.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DropReason { $($(#[$m])* $name,)* }

        impl DropReason {
            /// Every reason, in declaration order.
            pub const ALL: &'static [DropReason] = &[$(DropReason::$name,)*];
            /// A short stable name (for logs and metrics).
            pub fn as_str(self) -> &'static str {
                match self { $(DropReason::$name => $text,)* }
            }
        }
    };
}

drop_reasons! {
    /// Fewer than 20 octets.
    TooShort => "too_short",
    /// Length field outside 20..=4096 or larger than the datagram.
    BadLength => "bad_length",
    /// An attribute's length octet is below 2 or runs past the packet.
    BadAttributeLength => "bad_attribute_length",
    /// The source address is not in the host table.
    UnknownClient => "unknown_client",
    /// A code this port does not serve (or a reply code sent to a server).
    WrongCode => "wrong_code",
    /// The port serves the code but no handler is registered for it.
    NoHandler => "no_handler",
    /// Request Authenticator of an Accounting/CoA/Disconnect request is wrong.
    BadRequestAuthenticator => "bad_request_authenticator",
    /// Message-Authenticator present but wrong (or of the wrong length).
    BadMessageAuthenticator => "bad_message_authenticator",
    /// Message-Authenticator required (client policy, Status-Server, EAP) but absent.
    MissingMessageAuthenticator => "missing_message_authenticator",
    /// Access-Request with Proxy-State and no Message-Authenticator (limit_proxy_state).
    ProxyStateWithoutMessageAuthenticator => "proxy_state_without_message_authenticator",
    /// A retransmission of a request whose handler is still running.
    DuplicateInProgress => "duplicate_in_progress",
    /// Too many requests in flight (per client or in total).
    Overloaded => "overloaded",
    /// The handler did not finish in time.
    HandlerTimeout => "handler_timeout",
    /// The handler (or a failed extractor) chose not to answer, e.g. an
    /// Accounting-Request that could not be recorded (RFC 2866).
    NoReply => "no_reply",
    /// The reply could not be encoded (too long ...).
    EncodeError => "encode_error",
    /// The reply could not be sent.
    SendError => "send_error",
    /// The handler panicked; the request is forgotten (a retransmission
    /// runs it again) and the listener keeps serving.
    HandlerPanic => "handler_panic",
    /// Received while the listener was overloaded, from a source that
    /// already had its share of the receive queue waiting (per-source fair
    /// queuing): dropped before any work.
    SourceQueueFull => "source_queue_full",
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const NREASONS: usize = 18;

/// Upper bounds (seconds) of the request latency histogram's buckets,
/// from receipt to the reply being sent; a last bucket takes the rest.
pub const LATENCY_BUCKETS: [f64; 10] =
    [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Server counters. All updates are relaxed atomics; read them with
/// [`Stats::snapshot`] or the accessors.
pub struct Stats {
    received: AtomicU64,
    dispatched: AtomicU64,
    access_requests: AtomicU64,
    accounting_requests: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    challenged: AtomicU64,
    accounting_responses: AtomicU64,
    coa_acks: AtomicU64,
    coa_naks: AtomicU64,
    disconnect_acks: AtomicU64,
    disconnect_naks: AtomicU64,
    status_server: AtomicU64,
    duplicates: AtomicU64,
    segmented: AtomicU64,
    dropped: [AtomicU64; NREASONS],
    latency: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_ns: AtomicU64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            received: AtomicU64::new(0),
            dispatched: AtomicU64::new(0),
            access_requests: AtomicU64::new(0),
            accounting_requests: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            challenged: AtomicU64::new(0),
            accounting_responses: AtomicU64::new(0),
            coa_acks: AtomicU64::new(0),
            coa_naks: AtomicU64::new(0),
            disconnect_acks: AtomicU64::new(0),
            disconnect_naks: AtomicU64::new(0),
            status_server: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            segmented: AtomicU64::new(0),
            dropped: Default::default(),
            latency: Default::default(),
            latency_ns: AtomicU64::new(0),
        }
    }
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Datagrams received.
    pub received: u64,
    /// Requests handed to a handler.
    pub dispatched: u64,
    /// Of those, Access-Requests.
    pub access_requests: u64,
    /// Of those, Accounting-Requests.
    pub accounting_requests: u64,
    /// Access-Accepts sent (Status-Server answers not included).
    pub accepted: u64,
    /// Access-Rejects sent.
    pub rejected: u64,
    /// Access-Challenges sent.
    pub challenged: u64,
    /// Accounting-Responses sent (Status-Server answers not included).
    pub accounting_responses: u64,
    /// CoA-ACKs sent.
    pub coa_acks: u64,
    /// CoA-NAKs sent.
    pub coa_naks: u64,
    /// Disconnect-ACKs sent.
    pub disconnect_acks: u64,
    /// Disconnect-NAKs sent.
    pub disconnect_naks: u64,
    /// Status-Server requests answered.
    pub status_server: u64,
    /// Retransmissions answered from the duplicate cache.
    pub duplicates: u64,
    /// UDP replies that went out in segmented trains of two or more to one
    /// client (radius-server's `ServerConfig::udp_gso`).
    pub segmented: u64,
    /// Drops, per reason, in [`DropReason::ALL`] order.
    pub dropped: Vec<(DropReason, u64)>,
    /// Replies per latency bucket ([`LATENCY_BUCKETS`], then the rest);
    /// not cumulative.
    pub latency: Vec<u64>,
    /// The latencies' sum, in nanoseconds.
    pub latency_sum_ns: u64,
}

impl StatsSnapshot {
    /// Drops for one reason.
    pub fn dropped(&self, r: DropReason) -> u64 {
        self.dropped
            .iter()
            .find(|(k, _)| *k == r)
            .map_or(0, |(_, n)| *n)
    }
    /// All drops.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().map(|(_, n)| n).sum()
    }
}

impl Stats {
    /// Fresh zeroed counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one packet received.
    pub fn received(&self) {
        self.received.fetch_add(1, Relaxed);
    }
    /// Count one request handed to a handler.
    pub fn dispatched(&self) {
        self.dispatched.fetch_add(1, Relaxed);
    }
    /// Count one request of `code` handed to a handler.
    pub fn dispatched_code(&self, code: radius_core::Code) {
        self.dispatched();
        match code {
            radius_core::Code::ACCESS_REQUEST => &self.access_requests,
            radius_core::Code::ACCOUNTING_REQUEST => &self.accounting_requests,
            _ => return,
        }
        .fetch_add(1, Relaxed);
    }
    /// Count one retransmission answered from the duplicate cache.
    pub fn duplicate(&self) {
        self.duplicates.fetch_add(1, Relaxed);
    }
    /// Count `n` replies sent in segmented trains (UDP GSO).
    pub fn segmented(&self, n: u64) {
        if n > 0 {
            self.segmented.fetch_add(n, Relaxed);
        }
    }
    /// Count one Status-Server answered.
    pub fn status_server(&self) {
        self.status_server.fetch_add(1, Relaxed);
    }
    /// One reply sent `d` after its request arrived.
    pub fn latency(&self, d: std::time::Duration) {
        let secs = d.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.latency[i].fetch_add(1, Relaxed);
        self.latency_ns
            .fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }
    /// Count one drop.
    pub fn count_drop(&self, r: DropReason) {
        self.dropped[r as usize].fetch_add(1, Relaxed);
    }
    /// Count a reply sent, by its code.
    pub fn replied(&self, code: radius_core::Code) {
        use radius_core::Code;
        let c = match code {
            Code::ACCESS_ACCEPT => &self.accepted,
            Code::ACCESS_REJECT => &self.rejected,
            Code::ACCESS_CHALLENGE => &self.challenged,
            Code::ACCOUNTING_RESPONSE => &self.accounting_responses,
            Code::COA_ACK => &self.coa_acks,
            Code::COA_NAK => &self.coa_naks,
            Code::DISCONNECT_ACK => &self.disconnect_acks,
            Code::DISCONNECT_NAK => &self.disconnect_naks,
            _ => return,
        };
        c.fetch_add(1, Relaxed);
    }

    /// Drops for one reason so far.
    pub fn dropped(&self, r: DropReason) -> u64 {
        self.dropped[r as usize].load(Relaxed)
    }

    /// Read every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            received: self.received.load(Relaxed),
            dispatched: self.dispatched.load(Relaxed),
            access_requests: self.access_requests.load(Relaxed),
            accounting_requests: self.accounting_requests.load(Relaxed),
            accepted: self.accepted.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            challenged: self.challenged.load(Relaxed),
            accounting_responses: self.accounting_responses.load(Relaxed),
            coa_acks: self.coa_acks.load(Relaxed),
            coa_naks: self.coa_naks.load(Relaxed),
            disconnect_acks: self.disconnect_acks.load(Relaxed),
            disconnect_naks: self.disconnect_naks.load(Relaxed),
            status_server: self.status_server.load(Relaxed),
            duplicates: self.duplicates.load(Relaxed),
            segmented: self.segmented.load(Relaxed),
            dropped: DropReason::ALL
                .iter()
                .map(|&r| (r, self.dropped[r as usize].load(Relaxed)))
                .collect(),
            latency: self.latency.iter().map(|a| a.load(Relaxed)).collect(),
            latency_sum_ns: self.latency_ns.load(Relaxed),
        }
    }
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

/// At most `per_second` log lines per drop reason per second; the rest are
/// counted and reported with the next line that gets through.
pub struct LogLimiter {
    per_second: u64,
    /// What seconds count from: the first `now` seen (the caller owns the
    /// clock).
    epoch: OnceLock<Instant>,
    /// Per reason: (second << 32) | count in that second.
    slots: [AtomicU64; NREASONS],
    suppressed: [AtomicU64; NREASONS],
}

impl LogLimiter {
    /// A limiter allowing `per_second` lines per reason per second.
    pub fn new(per_second: u32) -> Self {
        LogLimiter {
            per_second: per_second as u64,
            epoch: OnceLock::new(),
            slots: Default::default(),
            suppressed: Default::default(),
        }
    }

    /// Whether a line for `r` may be logged at `now`. `Some(n)`: yes, and
    /// `n` earlier lines were suppressed.
    pub fn allow(&self, r: DropReason, now: Instant) -> Option<u64> {
        let epoch = *self.epoch.get_or_init(|| now);
        let now = now.saturating_duration_since(epoch).as_secs() & 0xffff_ffff;
        let slot = &self.slots[r as usize];
        let cur = slot.load(Relaxed);
        let (sec, count) = (cur >> 32, cur & 0xffff_ffff);
        let next = if sec != now { now << 32 | 1 } else { cur + 1 };
        if sec == now && count >= self.per_second {
            self.suppressed[r as usize].fetch_add(1, Relaxed);
            return None;
        }
        // A lost race only lets one extra line through; fine for logging.
        slot.store(next, Relaxed);
        Some(self.suppressed[r as usize].swap(0, Relaxed))
    }
}

impl Default for LogLimiter {
    fn default() -> Self {
        LogLimiter::new(10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fit_the_array() {
        assert_eq!(DropReason::ALL.len(), NREASONS);
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
        }
    }

    #[test]
    fn limiter_caps_lines_per_second() {
        let l = LogLimiter::new(3);
        let t0 = Instant::now();
        let allowed = (0..100)
            .filter(|_| l.allow(DropReason::TooShort, t0).is_some())
            .count();
        assert_eq!(allowed, 3);
        // Another reason has its own budget.
        assert!(l.allow(DropReason::BadLength, t0).is_some());
        // Still the same second: suppressed, and counted.
        let t = t0 + std::time::Duration::from_millis(999);
        assert!(l.allow(DropReason::TooShort, t).is_none());
        // The next second lets a line through and reports the 98 suppressed.
        let t = t0 + std::time::Duration::from_secs(1);
        assert_eq!(l.allow(DropReason::TooShort, t), Some(98));
    }

    #[test]
    fn counters() {
        let s = Stats::new();
        s.count_drop(DropReason::UnknownClient);
        s.count_drop(DropReason::UnknownClient);
        s.replied(radius_core::Code::ACCESS_ACCEPT);
        let snap = s.snapshot();
        assert_eq!(snap.dropped(DropReason::UnknownClient), 2);
        assert_eq!(snap.dropped_total(), 2);
        assert_eq!(snap.accepted, 1);
    }
}
