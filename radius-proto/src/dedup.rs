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
//! overwritten. Replies up to 42 octets (an Access-Accept or -Reject with
//! Message-Authenticator, an Accounting-Response) are kept inside the
//! 128-octet slot; longer ones in a buffer reused slot by slot, so a warm
//! cache does not allocate. Memory
//! is bounded by `capacity` × (slot + largest reply kept; buffers over 1 KiB
//! are not kept beyond their slot's next use).

use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hashbrown::HashTable;

use crate::port::PortKind;

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
    /// Not in the index (never used, or abandoned).
    Free,
    InProgress,
    Done,
}

/// A [`DedupKey`] as stored and hashed: 40 octets (the `SocketAddr` form is
/// 56 with padding), hashed in one call. IPv6 flow labels are not part of a
/// request's identity; the scope is (link-local clients on two links).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C)]
struct Packed {
    /// IPv6 address, or the IPv4 address in the first four octets.
    addr: [u8; 16],
    scope: u32,
    port: u16,
    /// The listener kind, with the high bit set for IPv6.
    kind: u8,
    id: u8,
    authenticator: [u8; 16],
}

impl Packed {
    fn new(k: &DedupKey) -> Self {
        let mut addr = [0; 16];
        let (scope, v6) = match k.src {
            SocketAddr::V4(a) => {
                addr[..4].copy_from_slice(&a.ip().octets());
                (0, 0)
            }
            SocketAddr::V6(a) => {
                addr = a.ip().octets();
                (a.scope_id(), 0x80)
            }
        };
        Packed {
            addr,
            scope,
            port: k.src.port(),
            kind: k.port as u8 | v6,
            id: k.id,
            authenticator: k.authenticator,
        }
    }

    fn hash(&self, h: &foldhash::fast::RandomState) -> u64 {
        use std::hash::Hasher;
        let mut st = h.build_hasher();
        // The fields in one write: 16 + 4 + 2 + 1 + 1 + 16 octets.
        let mut b = [0u8; 40];
        b[..16].copy_from_slice(&self.addr);
        b[16..20].copy_from_slice(&self.scope.to_ne_bytes());
        b[20..22].copy_from_slice(&self.port.to_ne_bytes());
        b[22] = self.kind;
        b[23] = self.id;
        b[24..].copy_from_slice(&self.authenticator);
        st.write(&b);
        st.finish()
    }
}

/// Octets of a reply kept inside its slot (an Access-Accept or -Reject with
/// Message-Authenticator is 38, an Accounting-Response 20): the slot is
/// already in cache when its reply is stored, a separate buffer usually is
/// not (measured ~1% of server CPU). Sized so a slot is two cache lines.
const INLINE: usize = 42;

/// Marks a reply kept in `heap`.
const ON_HEAP: u8 = u8::MAX;

/// One cache entry, two cache lines: every new request writes the next slot
/// of a ring of `capacity` of them. At 192 octets (SocketAddr key, Instant,
/// 80-octet inline reply) a 64 Ki ring was 12 MB; at 128 it is 8 MB. (CPU
/// per request did not change measurably; a 4 Ki ring, whose slots and index
/// stay in L2, is ~4% cheaper, but would shorten the protection window.)
#[repr(C, align(64))]
struct Slot {
    /// `key`'s hash, kept so eviction and growth never rehash a key.
    hash: u64,
    /// Replies longer than [`INLINE`], in a buffer reused slot by slot.
    heap: Vec<u8>,
    /// Milliseconds since the cache's epoch: when it started or was answered.
    at: u64,
    key: Packed,
    generation: u32,
    state: State,
    /// Inline reply length, or [`ON_HEAP`].
    len: u8,
    inline: [u8; INLINE],
}

const _: () = assert!(std::mem::size_of::<Slot>() == 128);

impl Slot {
    fn set_reply(&mut self, reply: &[u8]) {
        if reply.len() <= INLINE {
            self.inline[..reply.len()].copy_from_slice(reply);
            self.len = reply.len() as u8;
            return;
        }
        if self.heap.capacity() > KEEP_BUFFER && reply.len() <= KEEP_BUFFER {
            self.heap = Vec::with_capacity(reply.len());
        }
        self.heap.clear();
        self.heap.extend_from_slice(reply);
        self.len = ON_HEAP;
    }

    fn reply(&self) -> &[u8] {
        match self.len {
            ON_HEAP => &self.heap,
            n => &self.inline[..n as usize],
        }
    }
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
    /// Slot numbers, hashed by their slot's key. Four octets per entry keep
    /// the index of a full 64 Ki-entry cache within L2; a map keyed by the
    /// 40-octet key itself was 4 MB, and every new request missed cache twice
    /// in it (lookup, then removing the evicted key): ~11% of server CPU.
    index: HashTable<u32>,
    /// foldhash: seeded per process (keys come from the network) and far
    /// cheaper than SipHash on this 40-octet key.
    hasher: foldhash::fast::RandomState,
    slots: Vec<Slot>,
    head: usize,
    capacity: usize,
    /// Time-to-live in milliseconds.
    ttl: u64,
    /// What slot times count from: the first `now` the cache was given
    /// (the caller owns the clock; the cache never reads one).
    epoch: Option<Instant>,
}

/// Replies longer than this do not keep their buffer after the slot is reused.
const KEEP_BUFFER: usize = 1024;

impl DedupCache {
    /// A cache of at most `capacity` entries (at least 1), each valid for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let capacity = capacity.max(1);
        DedupCache {
            index: HashTable::with_capacity(capacity.min(4096)),
            hasher: Default::default(),
            slots: Vec::new(),
            head: 0,
            capacity,
            ttl: ttl.as_millis().min(u64::MAX as u128) as u64,
            epoch: None,
        }
    }

    /// `now` in slot time (a time before the epoch counts as the epoch).
    fn millis(&mut self, now: Instant) -> u64 {
        let epoch = *self.epoch.get_or_insert(now);
        now.saturating_duration_since(epoch).as_millis() as u64
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

    /// Look a request up without registering it: `Some` (in progress or
    /// cached) for a live entry, `None` when it is new or expired. Lets a
    /// retransmission be answered before its authenticators are checked:
    /// an exact copy carries the same ones.
    pub fn peek(&mut self, key: &DedupKey, now: Instant) -> Option<Lookup<'_>> {
        if self.index.is_empty() {
            return None;
        }
        let key = Packed::new(key);
        let hash = key.hash(&self.hasher);
        let now = self.millis(now);
        let slots = &self.slots;
        let &i = self.index.find(hash, |&i| slots[i as usize].key == key)?;
        let s = &slots[i as usize];
        if now.saturating_sub(s.at) >= self.ttl {
            return None;
        }
        match s.state {
            State::InProgress => Some(Lookup::InProgress),
            State::Done => Some(Lookup::Cached(s.reply())),
            State::Free => None,
        }
    }

    /// Look a request up, registering it as in progress when new.
    pub fn check(&mut self, key: DedupKey, now: Instant) -> Lookup<'_> {
        let key = Packed::new(&key);
        let hash = key.hash(&self.hasher);
        let now = self.millis(now);
        let slots = &mut self.slots;
        if let Some(&i) = self.index.find(hash, |&i| slots[i as usize].key == key) {
            let s = &mut slots[i as usize];
            if now.saturating_sub(s.at) < self.ttl {
                return match s.state {
                    State::InProgress => Lookup::InProgress,
                    State::Done => Lookup::Cached(s.reply()),
                    State::Free => unreachable!("indexed slots are never free"),
                };
            }
            // Expired: start over in the same slot.
            s.generation = s.generation.wrapping_add(1);
            s.state = State::InProgress;
            s.at = now;
            return Lookup::New(Ticket {
                slot: i,
                generation: s.generation,
            });
        }
        let i = if slots.len() < self.capacity {
            slots.push(Slot {
                hash,
                heap: Vec::new(),
                at: now,
                key,
                generation: 0,
                state: State::Free,
                len: 0,
                inline: [0; INLINE],
            });
            slots.len() - 1
        } else {
            let i = self.head;
            self.head = (self.head + 1) % self.capacity;
            i
        };
        if slots[i].state != State::Free {
            unindex(&mut self.index, slots[i].hash, i);
        }
        let s = &mut slots[i];
        s.key = key;
        s.hash = hash;
        s.generation = s.generation.wrapping_add(1);
        s.state = State::InProgress;
        s.at = now;
        let generation = s.generation;
        self.index
            .insert_unique(hash, i as u32, |&j| slots[j as usize].hash);
        Lookup::New(Ticket {
            slot: i as u32,
            generation,
        })
    }

    /// Store the reply sent for a ticket's request. A ticket whose slot was
    /// evicted meanwhile is ignored. Returns whether it was stored.
    pub fn complete(&mut self, t: Ticket, reply: &[u8], now: Instant) -> bool {
        let now = self.millis(now);
        let Some(s) = self.slots.get_mut(t.slot as usize) else {
            return false;
        };
        if s.generation != t.generation || s.state != State::InProgress {
            return false;
        }
        s.set_reply(reply);
        s.state = State::Done;
        s.at = now;
        true
    }

    /// Forget a request that got no reply (so a retransmission is handled
    /// afresh): handler timeout, overload, a deliberate no-reply.
    pub fn abandon(&mut self, t: Ticket) {
        let i = t.slot as usize;
        let Some(s) = self.slots.get_mut(i) else {
            return;
        };
        if s.generation != t.generation || s.state != State::InProgress {
            return;
        }
        s.state = State::Free;
        let hash = s.hash;
        unindex(&mut self.index, hash, i);
    }
}

/// Remove slot `i` (whose key hashes to `hash`) from the index.
fn unindex(index: &mut HashTable<u32>, hash: u64, i: usize) {
    if let Ok(e) = index.find_entry(hash, |&j| j as usize == i) {
        e.remove();
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
    fn peek_finds_live_entries_and_registers_nothing() {
        let mut c = DedupCache::new(4, Duration::from_secs(30));
        let t0 = Instant::now();
        assert_eq!(c.peek(&key(1), t0), None);
        assert_eq!(c.peek(&key(1), t0), None, "a peek does not register");
        let Lookup::New(t) = c.check(key(1), t0) else {
            panic!()
        };
        assert_eq!(c.peek(&key(1), t0), Some(Lookup::InProgress));
        assert_eq!(c.peek(&key(2), t0), None);
        assert!(c.complete(t, b"reply", t0));
        assert_eq!(c.peek(&key(1), t0), Some(Lookup::Cached(&b"reply"[..])));
        // Expired: new again (and check starts it over).
        let later = t0 + Duration::from_secs(31);
        assert_eq!(c.peek(&key(1), later), None);
        assert!(matches!(c.check(key(1), later), Lookup::New(_)));
    }

    #[test]
    fn address_family_scope_and_listener_tell_requests_apart() {
        let mut c = DedupCache::new(16, Duration::from_secs(30));
        let t0 = Instant::now();
        let with = |src: &str, port| DedupKey {
            src: src.parse().unwrap(),
            port,
            ..key(7)
        };
        let distinct = [
            with("1.2.3.4:5000", PortKind::Auth),
            with("1.2.3.4:5000", PortKind::Acct),
            with("[::ffff:1.2.3.4]:5000", PortKind::Auth),
            with("[::102:304]:5000", PortKind::Auth),
            with("[fe80::1%1]:5000", PortKind::Auth),
            with("[fe80::1%2]:5000", PortKind::Auth),
        ];
        for k in distinct {
            assert!(matches!(c.check(k, t0), Lookup::New(_)), "{k:?}");
        }
        for k in distinct {
            assert_eq!(c.check(k, t0), Lookup::InProgress, "{k:?}");
        }
        // The IPv6 flow label is not part of the request's identity.
        let mut k = with("[fe80::1%1]:5000", PortKind::Auth);
        if let SocketAddr::V6(a) = &mut k.src {
            a.set_flowinfo(99);
        }
        assert_eq!(c.check(k, t0), Lookup::InProgress);
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

    #[test]
    fn ring_keeps_exactly_the_newest_entries() {
        let mut c = DedupCache::new(1000, Duration::from_secs(30));
        let t0 = Instant::now();
        let k = |n: u32| {
            let mut k = key(0);
            k.authenticator[..4].copy_from_slice(&n.to_be_bytes());
            k
        };
        for n in 0..5000u32 {
            let Lookup::New(t) = c.check(k(n), t0) else {
                panic!("{n} is new")
            };
            if n % 3 == 0 {
                c.complete(t, &n.to_be_bytes(), t0);
            }
        }
        assert_eq!(c.len(), 1000);
        for n in 4000..5000u32 {
            match c.check(k(n), t0) {
                Lookup::Cached(r) => assert!(n % 3 == 0 && r == n.to_be_bytes()),
                Lookup::InProgress => assert!(n % 3 != 0),
                Lookup::New(_) => panic!("{n} was evicted too early"),
            }
        }
        assert!(matches!(c.check(k(3999), t0), Lookup::New(_)));
        assert_eq!(c.len(), 1000);
    }

    #[test]
    fn short_and_long_replies_in_the_same_slot() {
        // Capacity 1: every new key reuses the one slot, so its storage
        // switches between inline and heap.
        let mut c = DedupCache::new(1, Duration::from_secs(30));
        let t0 = Instant::now();
        for (n, len) in [10usize, INLINE, INLINE + 1, 3000, 5, 0, 200]
            .into_iter()
            .enumerate()
        {
            let reply: Vec<u8> = (0..len).map(|i| (i + n) as u8).collect();
            let Lookup::New(t) = c.check(key(n as u8), t0) else {
                panic!()
            };
            assert!(c.complete(t, &reply, t0));
            assert_eq!(
                c.check(key(n as u8), t0),
                Lookup::Cached(&reply[..]),
                "{len}"
            );
        }
    }
}
