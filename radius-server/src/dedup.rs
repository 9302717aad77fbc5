//! Duplicate detection (RFC 5080 §2.2.2).
//!
//! A request is identified by the client's address and port, the local port
//! kind, the Identifier and the Request Authenticator. The first copy gets a
//! [`Ticket`] and runs the handler; a copy arriving while it runs is dropped;
//! a copy arriving after the reply was sent gets the cached reply.
//!
//! Storage is a ring of at most `capacity` slots plus a hash index: insertion,
//! lookup, completion and eviction are O(1), the oldest entry is evicted when
//! the ring is full, and entries older than the time-to-live are ignored and
//! overwritten. Reply buffers are reused slot by slot, so a warm cache does not
//! allocate. Memory is bounded by `capacity` × (key + largest reply kept,
//! replies over 1 KiB are not kept beyond their slot's next use).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::engine::PortKind;

/// What identifies one request for duplicate detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DedupKey {
    /// Client address and port.
    pub src: SocketAddr,
    /// Which listener received it.
    pub port: PortKind,
    /// Identifier octet.
    pub id: u8,
    /// Request Authenticator.
    pub authenticator: [u8; 16],
}

/// Proof that a request is the first copy; hand it back on completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    slot: u32,
    generation: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    InProgress,
    Done,
}

struct Slot {
    key: Option<DedupKey>,
    generation: u32,
    at: Instant,
    state: State,
    reply: Vec<u8>,
}

/// The result of [`DedupCache::check`].
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// First copy (or the old entry expired): handle it.
    New(Ticket),
    /// A copy of a request still being handled: drop it.
    InProgress,
    /// A retransmission of a request already answered: resend this.
    Cached(&'a [u8]),
}

/// Bounded duplicate cache; see the [module docs](self).
pub struct DedupCache {
    /// foldhash: seeded per process (keys come from the network) and far
    /// cheaper than SipHash on this 40-octet key.
    index: HashMap<DedupKey, u32, foldhash::fast::RandomState>,
    slots: Vec<Slot>,
    head: usize,
    capacity: usize,
    ttl: Duration,
}

/// Replies longer than this do not keep their buffer after the slot is reused.
const KEEP_BUFFER: usize = 1024;

impl DedupCache {
    /// A cache of at most `capacity` entries (at least 1), each valid for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let capacity = capacity.max(1);
        DedupCache {
            index: HashMap::with_capacity_and_hasher(capacity.min(4096), Default::default()),
            slots: Vec::new(),
            head: 0,
            capacity,
            ttl,
        }
    }

    /// Entries currently indexed (in progress or answered, possibly expired).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The maximum number of entries.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Look a request up, registering it as in progress when new.
    pub fn check(&mut self, key: DedupKey, now: Instant) -> Lookup<'_> {
        if let Some(&i) = self.index.get(&key) {
            let i = i as usize;
            let fresh = now.saturating_duration_since(self.slots[i].at) < self.ttl;
            if fresh {
                return match self.slots[i].state {
                    State::InProgress => Lookup::InProgress,
                    State::Done => Lookup::Cached(&self.slots[i].reply),
                    State::Free => unreachable!("indexed slots are never free"),
                };
            }
            // Expired: start over in the same slot.
            let s = &mut self.slots[i];
            s.generation = s.generation.wrapping_add(1);
            s.state = State::InProgress;
            s.at = now;
            return Lookup::New(Ticket {
                slot: i as u32,
                generation: s.generation,
            });
        }
        let i = if self.slots.len() < self.capacity {
            self.slots.push(Slot {
                key: None,
                generation: 0,
                at: now,
                state: State::Free,
                reply: Vec::new(),
            });
            self.slots.len() - 1
        } else {
            let i = self.head;
            self.head = (self.head + 1) % self.capacity;
            i
        };
        let s = &mut self.slots[i];
        if let Some(old) = s.key.take() {
            self.index.remove(&old);
        }
        s.key = Some(key);
        s.generation = s.generation.wrapping_add(1);
        s.state = State::InProgress;
        s.at = now;
        self.index.insert(key, i as u32);
        Lookup::New(Ticket {
            slot: i as u32,
            generation: s.generation,
        })
    }

    /// Store the reply sent for a ticket's request. A ticket whose slot was
    /// evicted meanwhile is ignored. Returns whether it was stored.
    pub fn complete(&mut self, t: Ticket, reply: &[u8], now: Instant) -> bool {
        let Some(s) = self.slots.get_mut(t.slot as usize) else {
            return false;
        };
        if s.generation != t.generation || s.state != State::InProgress {
            return false;
        }
        if s.reply.capacity() > KEEP_BUFFER && reply.len() <= KEEP_BUFFER {
            s.reply = Vec::with_capacity(reply.len());
        }
        s.reply.clear();
        s.reply.extend_from_slice(reply);
        s.state = State::Done;
        s.at = now;
        true
    }

    /// Forget a request that got no reply (so a retransmission is handled
    /// afresh): handler timeout, overload, a deliberate no-reply.
    pub fn abandon(&mut self, t: Ticket) {
        let Some(s) = self.slots.get_mut(t.slot as usize) else {
            return;
        };
        if s.generation != t.generation || s.state != State::InProgress {
            return;
        }
        if let Some(k) = s.key.take() {
            self.index.remove(&k);
        }
        s.state = State::Free;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u8) -> DedupKey {
        DedupKey {
            src: "127.0.0.1:5000".parse().unwrap(),
            port: PortKind::Auth,
            id,
            authenticator: [id; 16],
        }
    }

    #[test]
    fn new_in_progress_cached() {
        let mut c = DedupCache::new(4, Duration::from_secs(30));
        let t0 = Instant::now();
        let Lookup::New(t) = c.check(key(1), t0) else {
            panic!()
        };
        assert_eq!(c.check(key(1), t0), Lookup::InProgress);
        assert!(c.complete(t, b"reply", t0));
        assert_eq!(c.check(key(1), t0), Lookup::Cached(b"reply"));
        // Different authenticator = different request.
        let mut k = key(1);
        k.authenticator[0] ^= 1;
        assert!(matches!(c.check(k, t0), Lookup::New(_)));
        // Different source port = different request.
        let mut k = key(1);
        k.src.set_port(5001);
        assert!(matches!(c.check(k, t0), Lookup::New(_)));
    }

    #[test]
    fn expiry_and_abandon() {
        let mut c = DedupCache::new(4, Duration::from_secs(30));
        let t0 = Instant::now();
        let Lookup::New(t) = c.check(key(1), t0) else {
            panic!()
        };
        c.complete(t, b"r", t0);
        let later = t0 + Duration::from_secs(31);
        let Lookup::New(t2) = c.check(key(1), later) else {
            panic!("expired entry must be new")
        };
        // The old ticket no longer completes anything.
        assert!(!c.complete(t, b"old", later));
        c.abandon(t2);
        assert!(c.is_empty());
        assert!(matches!(c.check(key(1), later), Lookup::New(_)));
    }

    #[test]
    fn bounded_fifo_eviction() {
        let mut c = DedupCache::new(3, Duration::from_secs(30));
        let t0 = Instant::now();
        let mut tickets = Vec::new();
        for id in 0..10u8 {
            let Lookup::New(t) = c.check(key(id), t0) else {
                panic!()
            };
            tickets.push(t);
            assert!(c.len() <= 3);
        }
        assert_eq!(c.len(), 3);
        // Evicted tickets cannot write into reused slots.
        assert!(!c.complete(tickets[0], b"x", t0));
        assert!(c.complete(tickets[9], b"y", t0));
        assert_eq!(c.check(key(9), t0), Lookup::Cached(b"y"));
        assert!(matches!(c.check(key(0), t0), Lookup::New(_)));
    }
}
