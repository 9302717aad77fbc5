//! When a stream transport (RadSec) may try to connect again after a
//! failure: exponential backoff between a floor and a ceiling.

use std::time::{Duration, Instant};

/// Reconnect backoff: after a failed attempt the next one waits `min`,
/// doubled per consecutive failure up to `max`; a success resets it.
///
/// ```
/// use std::time::{Duration, Instant};
/// use radius_proto::client::Reconnect;
/// let t0 = Instant::now();
/// let mut r = Reconnect::new(Duration::from_millis(100), Duration::from_secs(1));
/// assert!(r.wait(t0).is_none());
/// assert_eq!(r.failed(t0, "refused"), Duration::from_millis(100));
/// assert_eq!(r.wait(t0), Some(Duration::from_millis(100)));
/// assert!(r.wait(t0 + Duration::from_millis(100)).is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Reconnect {
    min: Duration,
    max: Duration,
    delay: Duration,
    next_attempt: Option<Instant>,
    last: String,
}

impl Reconnect {
    /// Backoff from `min` to `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        Reconnect {
            min,
            max: max.max(min),
            delay: min,
            next_attempt: None,
            last: String::new(),
        }
    }

    /// How long until an attempt is allowed at `now` (`None`: now).
    pub fn wait(&self, now: Instant) -> Option<Duration> {
        self.next_attempt.filter(|&at| at > now).map(|at| at - now)
    }

    /// Why the last attempt failed.
    pub fn last_error(&self) -> &str {
        &self.last
    }

    /// An attempt at `now` failed: returns the delay before the next one.
    pub fn failed(&mut self, now: Instant, why: &str) -> Duration {
        let delay = self.delay;
        self.next_attempt = Some(now + delay);
        self.delay = (delay * 2).min(self.max);
        self.last = why.to_owned();
        delay
    }

    /// An attempt succeeded: the next failure waits `min` again.
    pub fn succeeded(&mut self) {
        self.next_attempt = None;
        self.delay = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_ceiling_and_resets() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut r = Reconnect::new(ms(100), ms(350));
        let delays: Vec<_> = (0..4).map(|i| r.failed(t0 + ms(i), "x")).collect();
        assert_eq!(delays, vec![ms(100), ms(200), ms(350), ms(350)]);
        assert_eq!(r.wait(t0 + ms(3)), Some(ms(350)));
        assert_eq!(r.last_error(), "x");
        r.succeeded();
        assert!(r.wait(t0).is_none());
        assert_eq!(r.failed(t0, "y"), ms(100));
    }
}
