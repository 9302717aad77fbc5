//! What `auto` BlastRADIUS mode has learned, per NAS: a client entry may
//! be a whole block of NASes (`10.0.0.0/8`), and one NAS that sends
//! Message-Authenticator must not change the rules for the others (nor
//! one old proxy's Proxy-State decide for the block). Also, whatever the
//! policy, which BlastRADIUS drops of a NAS have been logged at warn.
//!
//! Bounded: past [`MAX_SOURCES`] addresses per entry, the rest share one
//! slot (what any of them has learned applies to all of them), so a flood
//! of forged source addresses cannot grow memory.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

use crate::host::AddrMap as Map;

/// Addresses remembered per client entry.
pub const MAX_SOURCES: usize = 65_536;

/// Learned bits by source address.
#[derive(Default)]
pub(crate) struct Learned {
    by_source: Mutex<Map<IpAddr, u8>>,
    /// For sources beyond [`MAX_SOURCES`].
    rest: AtomicU8,
    /// Every bit any source has learned (for the entry-wide view).
    any: AtomicU8,
}

impl Learned {
    /// The bits learned for `src`.
    pub(crate) fn load(&self, src: IpAddr) -> u8 {
        let m = self.lock();
        match m.get(&src.to_canonical()) {
            Some(b) => *b,
            None if m.len() >= MAX_SOURCES => self.rest.load(Ordering::Relaxed),
            None => 0,
        }
    }

    /// Set `bits` for `src`; returns the bits it had.
    pub(crate) fn fetch_or(&self, src: IpAddr, bits: u8) -> u8 {
        self.any.fetch_or(bits, Ordering::Relaxed);
        let mut m = self.lock();
        let src = src.to_canonical();
        if let Some(b) = m.get_mut(&src) {
            let prev = *b;
            *b |= bits;
            return prev;
        }
        if m.len() >= MAX_SOURCES {
            return self.rest.fetch_or(bits, Ordering::Relaxed);
        }
        m.insert(src, bits);
        0
    }

    /// Every bit some source has learned.
    pub(crate) fn any(&self) -> u8 {
        self.any.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map<IpAddr, u8>> {
        self.by_source.lock().unwrap_or_else(|p| p.into_inner())
    }
}
