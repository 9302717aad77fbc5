//! Per-source fair queuing of received datagrams, for a listener that
//! receives more than it can serve.
//!
//! Why: when sources flood a socket past what the server can answer, the
//! kernel drops at the full socket buffer without regard to who sent what,
//! so a NAS sending a few requests a second loses as large a share as the
//! flood. Instead the receive loop drains the socket into this queue as
//! fast as datagrams arrive (a copy of a hundred octets and a hash lookup
//! each) and serves it round robin, one datagram per source per turn. A
//! source may hold at most `per_source` datagrams; the excess is dropped
//! here, cheaply and counted, before any MD5 or handler work. When the
//! whole queue is full, a datagram from a source with little queued evicts
//! the oldest datagram of the longest queue seen, so new and quiet sources
//! always get in.
//!
//! A source is an address and port: the flood of the measurement this was
//! built for came from one address (the NAS's subnet) on many ports.
//! Storage is a fixed slab of reusable buffers: memory stays flat whatever
//! the flood does.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use crate::batch::Backlog;

/// Sources come from the network: a per-process seed, and far cheaper
/// than SipHash for the lookup every queued datagram costs.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The end of a linked list.
const NIL: u32 = u32::MAX;

struct Slot {
    buf: Vec<u8>,
    src: SocketAddr,
    next: u32,
}

#[derive(Clone, Copy)]
struct Flow {
    head: u32,
    tail: u32,
    len: u32,
    src: SocketAddr,
}

/// Why [`FairQueue::push`] turned a datagram away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Its source already had its share queued.
    SourceFull,
}

/// Datagrams queued by source, served round robin.
pub(crate) struct FairQueue {
    slots: Vec<Slot>,
    free: Vec<u32>,
    flows: Vec<Flow>,
    free_flows: Vec<u32>,
    by_src: Map<SocketAddr, u32>,
    /// Flows with datagrams, in serving order.
    ring: VecDeque<u32>,
    queued: usize,
    per_source: u32,
    /// The longest flow seen since it was last trimmed (a hint, not exact).
    longest: u32,
    evicted: u64,
}

impl FairQueue {
    /// Room for `total` datagrams, at most `per_source` from one source.
    pub(crate) fn new(total: usize, per_source: usize) -> Self {
        let total = total.max(1);
        FairQueue {
            slots: Vec::with_capacity(total),
            free: Vec::with_capacity(total),
            flows: Vec::new(),
            free_flows: Vec::new(),
            by_src: Map::default(),
            ring: VecDeque::new(),
            queued: 0,
            per_source: per_source.clamp(1, total) as u32,
            longest: NIL,
            evicted: 0,
        }
    }

    /// Datagrams queued.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Datagrams pushed out by newcomers since the queue was made.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }

    fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Queue a copy of `data` from `src`.
    pub(crate) fn push(&mut self, data: &[u8], src: SocketAddr) -> Result<(), Refused> {
        let f = match self.by_src.get(&src) {
            Some(&f) => {
                if self.flows[f as usize].len >= self.per_source {
                    return Err(Refused::SourceFull);
                }
                f
            }
            None => self.new_flow(src),
        };
        // A stale hint is rescanned only for a source with (almost)
        // nothing queued: those are the ones eviction protects, and a
        // flooding source pushing into a full queue must stay cheap.
        if self.queued == self.capacity()
            && !self.evict_for(f)
            && !(self.flows[f as usize].len <= 1 && self.rescan_and_evict_for(f))
        {
            // Nothing longer to take from: this source is the longest.
            if self.flows[f as usize].len == 0 {
                self.drop_flow(f);
            }
            return Err(Refused::SourceFull);
        }
        let s = self.take_slot(data, src);
        let flow = &mut self.flows[f as usize];
        if flow.len == 0 {
            flow.head = s;
            self.ring.push_back(f);
        } else {
            self.slots[flow.tail as usize].next = s;
        }
        flow.tail = s;
        flow.len += 1;
        let len = flow.len;
        self.queued += 1;
        if self.longest == NIL || len > self.flows[self.longest as usize].len {
            self.longest = f;
        }
        Ok(())
    }

    /// Take up to `max` datagrams, one per source in turn (a source with
    /// more queued goes to the back of the line for its next one), calling
    /// `each(data, src)` on each. Their buffers return to the slab after.
    pub(crate) fn pop_round(&mut self, max: usize, mut each: impl FnMut(&[u8], SocketAddr)) {
        let mut taken = 0;
        while taken < max {
            let Some(f) = self.ring.pop_front() else {
                break;
            };
            let flow = &mut self.flows[f as usize];
            let s = flow.head;
            flow.head = self.slots[s as usize].next;
            flow.len -= 1;
            let more = flow.len > 0;
            self.queued -= 1;
            {
                let slot = &self.slots[s as usize];
                each(&slot.buf, slot.src);
            }
            self.free.push(s);
            if more {
                self.ring.push_back(f);
            } else {
                self.drop_flow(f);
            }
            taken += 1;
        }
    }

    fn new_flow(&mut self, src: SocketAddr) -> u32 {
        let flow = Flow {
            head: NIL,
            tail: NIL,
            len: 0,
            src,
        };
        let f = match self.free_flows.pop() {
            Some(f) => {
                self.flows[f as usize] = flow;
                f
            }
            None => {
                self.flows.push(flow);
                (self.flows.len() - 1) as u32
            }
        };
        self.by_src.insert(src, f);
        f
    }

    /// Forget an empty flow.
    fn drop_flow(&mut self, f: u32) {
        let src = self.flows[f as usize].src;
        self.by_src.remove(&src);
        self.free_flows.push(f);
        if self.longest == f {
            self.longest = NIL;
        }
    }

    /// Free a slot for flow `f` by dropping the oldest datagram of the
    /// longest flow, if that one is longer than `f`.
    fn evict_for(&mut self, f: u32) -> bool {
        let victim = self.longest;
        if victim == NIL
            || victim == f
            || self.flows[victim as usize].len <= self.flows[f as usize].len + 1
        {
            return false;
        }
        let flow = &mut self.flows[victim as usize];
        let s = flow.head;
        flow.head = self.slots[s as usize].next;
        flow.len -= 1;
        // A victim is never emptied (it was longer than f + 1 >= 1), so it
        // stays in the ring.
        self.free.push(s);
        self.queued -= 1;
        self.evicted += 1;
        true
    }

    /// The hint was stale: find the longest flow by a scan (only when the
    /// queue is full and the hint failed) and try again.
    fn rescan_and_evict_for(&mut self, f: u32) -> bool {
        let flows = &self.flows;
        self.longest = self
            .ring
            .iter()
            .copied()
            .max_by_key(|&g| flows[g as usize].len)
            .unwrap_or(NIL);
        self.evict_for(f)
    }

    fn take_slot(&mut self, data: &[u8], src: SocketAddr) -> u32 {
        let s = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot {
                    buf: Vec::with_capacity(256),
                    src,
                    next: NIL,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[s as usize];
        slot.buf.clear();
        slot.buf.extend_from_slice(data);
        slot.src = src;
        slot.next = NIL;
        s
    }
}

/// Whether the receive loop is falling behind, so that queuing fairly is
/// worth its copies and lookups (measured: about a tenth of the server's
/// CPU at 100k requests/s from 64 ports, when every full batch queued).
/// A full batch alone says nothing: 64 NASes with one request each in
/// flight fill two. The kernel's own figures for the socket do: it dropped
/// datagrams since the last look, or holds more than a quarter of its
/// buffer (hundreds of datagrams even at Linux's default 208 KiB).
#[derive(Debug, Default)]
pub(crate) struct Overload {
    drops: Option<u32>,
}

impl Overload {
    /// Judge the socket's state after a full batch; without the kernel's
    /// figures (`None`: not Linux), a full batch counts as falling behind.
    pub(crate) fn behind(&mut self, now: Option<Backlog>) -> bool {
        let Some(b) = now else {
            return true;
        };
        let dropped = self.drops.is_some_and(|d| d != b.drops);
        self.drops = Some(b.drops);
        dropped || b.queued > b.limit / 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn drain(q: &mut FairQueue, max: usize) -> Vec<(u16, u8)> {
        let mut got = Vec::new();
        q.pop_round(max, |d, s| got.push((s.port(), d[0])));
        got
    }

    #[test]
    fn serves_sources_in_turn_and_keeps_each_sources_order() {
        let mut q = FairQueue::new(100, 10);
        for n in 0..6u8 {
            q.push(&[n], src(1)).unwrap();
        }
        q.push(&[100], src(2)).unwrap();
        q.push(&[101], src(2)).unwrap();
        q.push(&[200], src(3)).unwrap();
        assert_eq!(q.len(), 9);
        assert_eq!(
            drain(&mut q, 5),
            vec![(1, 0), (2, 100), (3, 200), (1, 1), (2, 101)]
        );
        assert_eq!(drain(&mut q, 100), vec![(1, 2), (1, 3), (1, 4), (1, 5)]);
        assert!(q.is_empty());
        // Everything was returned: the same slab serves again.
        q.push(&[7], src(9)).unwrap();
        assert_eq!(drain(&mut q, 1), vec![(9, 7)]);
        assert_eq!(q.slots.len(), 9);
    }

    #[test]
    fn a_source_gets_at_most_its_share() {
        let mut q = FairQueue::new(100, 3);
        let results: Vec<_> = (0..5u8).map(|n| q.push(&[n], src(1))).collect();
        assert_eq!(results[..3], [Ok(()), Ok(()), Ok(())]);
        assert_eq!(
            results[3..],
            [Err(Refused::SourceFull), Err(Refused::SourceFull)]
        );
        assert_eq!(drain(&mut q, 1), vec![(1, 0)]);
        q.push(&[9], src(1)).unwrap();
    }

    #[test]
    fn when_full_a_newcomer_evicts_the_longest_queue() {
        let mut q = FairQueue::new(8, 8);
        for n in 0..8u8 {
            q.push(&[n], src(1)).unwrap();
        }
        // Full: a new source takes the place of source 1's oldest.
        q.push(&[50], src(2)).unwrap();
        q.push(&[51], src(3)).unwrap();
        assert_eq!(q.len(), 8);
        assert_eq!(q.evicted(), 2);
        // Source 1 itself cannot grow any more while it is the longest.
        assert_eq!(q.push(&[99], src(1)), Err(Refused::SourceFull));
        assert_eq!(drain(&mut q, 3), vec![(1, 2), (2, 50), (3, 51)]);
        assert_eq!(drain(&mut q, 100).len(), 5);
    }

    #[test]
    fn a_flood_from_many_ports_cannot_crowd_out_a_quiet_source() {
        // 32 flooding ports keep the queue full; a quiet port sends one
        // datagram now and then, and each is served within a round.
        let mut q = FairQueue::new(256, 16);
        let mut quiet_served = 0;
        for round in 0..200u32 {
            for p in 0..32u16 {
                for _ in 0..20 {
                    let _ = q.push(&[1], src(1000 + p));
                }
            }
            if round % 10 == 0 {
                q.push(&[2], src(5)).unwrap();
            }
            // Serve less than arrives: 40 of 640 per round.
            q.pop_round(40, |d, s| {
                if s.port() == 5 {
                    assert_eq!(d, [2]);
                    quiet_served += 1;
                }
            });
            assert!(q.len() <= 256);
        }
        assert_eq!(quiet_served, 20);
        assert_eq!(q.slots.len(), 256, "the slab never grows past its size");
    }

    #[test]
    fn overload_is_a_deep_backlog_or_new_kernel_drops_not_a_full_batch() {
        let b = |queued, drops| {
            Some(Backlog {
                queued,
                limit: 416 * 1024,
                drops,
            })
        };
        let mut o = Overload::default();
        // 64 short datagrams queued (about 1 KiB each as the kernel counts).
        assert!(!o.behind(b(64 * 1024, 0)));
        assert!(!o.behind(b(64 * 1024, 0)));
        // More than a quarter of the buffer.
        assert!(o.behind(b(120 * 1024, 0)));
        // Drops since the last look, even with a short queue; then not again.
        assert!(o.behind(b(1024, 7)));
        assert!(!o.behind(b(1024, 7)));
        // Drops before the first look are history, not overload.
        let mut fresh = Overload::default();
        assert!(!fresh.behind(b(1024, 500)));
        // No figures: every full batch counts.
        assert!(o.behind(None));
    }

    #[tokio::test]
    async fn the_kernel_reports_a_sockets_backlog_and_drops() {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        if !cfg!(target_os = "linux") {
            // Nothing to read elsewhere.
            assert_eq!(crate::batch::backlog(&server), None);
            return;
        }
        let empty = crate::batch::backlog(&server).expect("SO_MEMINFO on Linux");
        assert_eq!(empty.queued, 0);
        assert!(empty.limit > 0);
        let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..10 {
            peer.send_to(&[0u8; 100], addr).unwrap();
        }
        let some = crate::batch::backlog(&server).unwrap();
        // Ten datagrams, each charged at least its 100 octets.
        assert!(some.queued >= 1000, "{some:?}");
        // Far more than the buffer holds: the kernel drops, and says so.
        let sock = socket2::SockRef::from(&server);
        sock.set_recv_buffer_size(4096).unwrap();
        for _ in 0..2000 {
            let _ = peer.send_to(&[0u8; 100], addr);
        }
        let full = crate::batch::backlog(&server).unwrap();
        assert!(full.drops > 0, "{full:?}");
    }
}
