//! When to retransmit and when to give up (RFC 5080 §2.2.1), with the
//! jitter the RFC asks for.

use std::time::{Duration, Instant};

/// When to retransmit and when to give up (RFC 5080 §2.2.1).
///
/// The first retransmission comes after `initial` (±10% jitter); each later
/// interval doubles (±10%) up to `max_interval` (then stays there, ±10%).
/// The request fails after `max_attempts` transmissions have each had their
/// interval to be answered, or after `total` has elapsed, whichever is first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// IRT: time to wait for a reply to the first transmission.
    pub initial: Duration,
    /// MRT: the largest interval between transmissions.
    pub max_interval: Duration,
    /// Transmissions in all, the first one included (MRC + 1). At least 1.
    pub max_attempts: u32,
    /// MRD: the total time before the request fails.
    pub total: Duration,
}

impl RetryPolicy {
    /// RFC 5080's recommended values: IRT 2 s, MRC 5, MRT 16 s, MRD 30 s.
    pub const RFC5080: RetryPolicy = RetryPolicy {
        initial: Duration::from_secs(2),
        max_interval: Duration::from_secs(16),
        max_attempts: 6,
        total: Duration::from_secs(30),
    };

    /// radclient-style: `attempts` transmissions `interval` apart (±10%),
    /// no doubling; fails `attempts * interval` after the first.
    pub fn fixed(interval: Duration, attempts: u32) -> Self {
        let attempts = attempts.max(1);
        RetryPolicy {
            initial: interval,
            max_interval: interval,
            max_attempts: attempts,
            // Room for the +10% jitter of every interval.
            total: interval.mul_f64(attempts as f64 * 1.1),
        }
    }

    /// Send once, wait `timeout`.
    pub fn once(timeout: Duration) -> Self {
        RetryPolicy {
            initial: timeout,
            max_interval: timeout,
            max_attempts: 1,
            total: timeout,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::RFC5080
    }
}

/// A small, fast, non-cryptographic generator (xorshift64*), for timer
/// jitter and load generation only — never for authenticators a peer must
/// not predict.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded from the operating system's generator.
    pub fn from_os() -> Self {
        let a = radius_core::crypto::random_authenticator();
        Self::seeded(u64::from_le_bytes(a[..8].try_into().expect("8 octets")))
    }

    /// Seeded deterministically (tests).
    pub fn seeded(seed: u64) -> Self {
        Jitter(seed | 1)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [-0.1, 0.1): RFC 5080's RAND.
    #[inline]
    pub fn rand(&mut self) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (u - 0.5) * 0.2
    }
}

/// What to do when a request's deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send the same datagram again (same Identifier, same authenticator);
    /// the next deadline is given.
    Retransmit(Instant),
    /// Give up: no reply within the policy.
    GiveUp,
}

/// The retransmission timer of one request (RFC 5080 §2.2.1).
///
/// ```
/// use std::time::{Duration, Instant};
/// use radius_proto::client::{Backoff, Jitter, RetryPolicy, Step};
/// let t0 = Instant::now();
/// let mut j = Jitter::seeded(7);
/// let mut b = Backoff::new(RetryPolicy::fixed(Duration::from_secs(1), 2), t0, &mut j);
/// let d1 = b.deadline();
/// assert!(matches!(b.on_timeout(d1, &mut j), Step::Retransmit(_)));
/// assert_eq!(b.on_timeout(b.deadline(), &mut j), Step::GiveUp);
/// assert_eq!(b.attempts(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    end: Instant,
    rt: Duration,
    next: Instant,
    attempts: u32,
}

impl Backoff {
    /// Start the timer at the first transmission (made at `now`).
    pub fn new(policy: RetryPolicy, now: Instant, rng: &mut Jitter) -> Self {
        let rt = policy.initial.mul_f64(1.0 + rng.rand());
        let end = now + policy.total;
        Backoff {
            policy,
            end,
            rt,
            next: (now + rt).min(end),
            attempts: 1,
        }
    }

    /// When to act next (retransmit or give up).
    pub fn deadline(&self) -> Instant {
        self.next
    }

    /// Transmissions so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The deadline passed (call at or after [`deadline`](Self::deadline)).
    pub fn on_timeout(&mut self, now: Instant, rng: &mut Jitter) -> Step {
        if now < self.next {
            return Step::Retransmit(self.next);
        }
        if self.attempts >= self.policy.max_attempts.max(1) || now >= self.end {
            return Step::GiveUp;
        }
        let r = rng.rand();
        let mut rt = self.rt.mul_f64(2.0 + r);
        if rt > self.policy.max_interval {
            rt = self.policy.max_interval.mul_f64(1.0 + r);
        }
        self.rt = rt;
        self.attempts += 1;
        self.next = (now + rt).min(self.end);
        Step::Retransmit(self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_follows_rfc5080() {
        let t0 = Instant::now();
        let mut j = Jitter::seeded(42);
        let p = RetryPolicy::RFC5080;
        let mut b = Backoff::new(p, t0, &mut j);
        let first = b.deadline() - t0;
        assert!(first >= Duration::from_millis(1800) && first <= Duration::from_millis(2200));
        let mut prev = first;
        let mut now = b.deadline();
        let mut sends = 1;
        while let Step::Retransmit(next) = b.on_timeout(now, &mut j) {
            sends += 1;
            let rt = next - now;
            // Doubling (±10%) or capped near MRT (±10%), or cut by MRD.
            assert!(
                rt <= Duration::from_millis(17_600),
                "interval {rt:?} above MRT+10%"
            );
            if next < t0 + p.total && prev < Duration::from_secs(7) {
                assert!(rt >= prev.mul_f64(1.9), "{rt:?} after {prev:?}");
            }
            prev = rt;
            now = next;
        }
        assert!(sends <= 6);
        assert!(now - t0 <= p.total, "gave up at {:?}", now - t0);
        assert_eq!(b.attempts(), sends);
    }

    #[test]
    fn backoff_fixed_and_early_timeout() {
        let t0 = Instant::now();
        let mut j = Jitter::seeded(1);
        let mut b = Backoff::new(RetryPolicy::fixed(Duration::from_secs(3), 3), t0, &mut j);
        // A spurious early wake-up changes nothing.
        assert_eq!(b.on_timeout(t0, &mut j), Step::Retransmit(b.deadline()));
        assert_eq!(b.attempts(), 1);
        let mut n = 1;
        while let Step::Retransmit(_) = b.on_timeout(b.deadline(), &mut j) {
            n += 1;
            let rt = b.deadline() - t0;
            assert!(rt <= Duration::from_millis(3300 * n));
        }
        assert_eq!(n, 3);
        let mut once = Backoff::new(RetryPolicy::once(Duration::from_millis(10)), t0, &mut j);
        assert_eq!(once.on_timeout(once.deadline(), &mut j), Step::GiveUp);
    }

    #[test]
    fn jitter_in_range() {
        let mut j = Jitter::seeded(3);
        let (mut lo, mut hi) = (1.0f64, -1.0f64);
        for _ in 0..10_000 {
            let r = j.rand();
            assert!((-0.1..0.1).contains(&r));
            lo = lo.min(r);
            hi = hi.max(r);
        }
        assert!(lo < -0.09 && hi > 0.09);
    }
}
