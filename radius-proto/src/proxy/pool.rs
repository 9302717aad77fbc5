//! Home-server selection for a pool, sans-IO and allocation-free.
//!
//! The caller describes its servers, in configured order, as a slice of
//! [`Candidate`]s (health, load, a stable id) and asks [`Pool::select`]
//! for an index. Nothing is stored per server here, so the caller owns the
//! servers and their [`Health`]; selection is one pass over the slice with
//! no allocation.
//!
//! Servers are ranked in tiers: usable ones first; then, if the pool's
//! [`Fallback`] allows, zombies (and unusable alive servers); then dead
//! ones. The pool's policy picks within the first tier that has a server
//! with room (`outstanding < capacity`) that is not excluded. `exclude`
//! holds the indices a request has already been sent to, so after a
//! timeout the caller resends to the *next* server instead of waiting for
//! the NAS.
//!
//! Hashing is fixed so that every process and restart agrees: keys are
//! FNV-1a 64 over length-prefixed parts ([`key_hash`]), server ids likewise
//! over the server's name ([`server_id`]), and rendezvous (highest random
//! weight) scores are a splitmix64 mix of key and id. A key moves only when
//! its server stops being eligible, and comes back when it returns.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::health::{Health, State};

/// How a pool spreads requests over its servers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PoolKind {
    /// The first eligible server in configured order. Fail-back is
    /// automatic: a higher server is chosen again once its health says it
    /// is alive (after `revive_after` answers when it was dead).
    FailOver,
    /// The eligible server with the fewest outstanding requests; ties
    /// rotate, so an idle pool still spreads its load.
    LoadBalance,
    /// Rendezvous hashing of the NAS address: one NAS sticks to one server
    /// while that server is eligible.
    ClientBalance,
    /// Rendezvous hashing of [`SelectKey::key`] (falling back to the NAS
    /// address when it is `None`): every round of one EAP conversation goes
    /// to the same server while it is alive, and only the keys of a server
    /// that goes away move. The EAP-safe choice.
    #[default]
    KeyedBalance,
}

/// Which unusable servers a pool may fall back to when no usable server
/// has room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Fallback {
    /// None: the caller answers (Access-Reject) instead.
    Never,
    /// Zombies, which may still answer (default). When every server is
    /// dead, `select` returns `None`: a prompt reject, not a hang.
    #[default]
    Zombie,
    /// Zombies, then dead servers.
    Any,
}

/// One server as [`Pool::select`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// [`Health::usable`]: gets new requests.
    pub usable: bool,
    /// [`Health::state`], which ranks unusable servers for the fallback:
    /// zombie (or alive but unusable) before dead.
    pub state: State,
    /// Requests in flight to this server.
    pub outstanding: usize,
    /// Most requests in flight; a server at capacity is skipped
    /// (`usize::MAX`: no limit).
    pub capacity: usize,
    /// A stable hash of the server's name ([`server_id`]), for hashing.
    pub id: u64,
}

impl Candidate {
    /// A candidate from a server's health at `now`.
    pub fn new(
        health: &Health,
        now: Instant,
        outstanding: usize,
        capacity: usize,
        id: u64,
    ) -> Self {
        Candidate {
            usable: health.usable(now),
            state: health.state(),
            outstanding,
            capacity,
            id,
        }
    }

    fn tier(&self) -> u8 {
        match (self.usable, self.state) {
            (true, _) => 0,
            (false, State::Alive | State::Zombie) => 1,
            (false, State::Dead) => 2,
        }
    }
}

/// What a request is routed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SelectKey {
    /// The NAS the request came from ([`PoolKind::ClientBalance`]).
    pub nas: IpAddr,
    /// The conversation key ([`PoolKind::KeyedBalance`]), from
    /// [`key_hash`] over e.g. State, or Calling-Station-Id and NAS.
    pub key: Option<u64>,
}

impl SelectKey {
    /// A key with only the NAS address.
    pub fn new(nas: IpAddr) -> Self {
        SelectKey { nas, key: None }
    }

    /// A key with the NAS address and [`key_hash`] of `parts`.
    pub fn from_parts(nas: IpAddr, parts: &[&[u8]]) -> Self {
        SelectKey {
            nas,
            key: Some(key_hash(parts)),
        }
    }

    fn nas_hash(&self) -> u64 {
        match self.nas.to_canonical() {
            IpAddr::V4(a) => key_hash(&[&a.octets()]),
            IpAddr::V6(a) => key_hash(&[&a.octets()]),
        }
    }
}

/// FNV-1a 64 over `parts`, each preceded by its length as 8 little-endian
/// octets (so `["ab", "c"]` and `["a", "bc"]` differ). Fixed forever:
/// processes and restarts agree on it.
pub fn key_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in (part.len() as u64).to_le_bytes().iter().chain(part.iter()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A server's [`Candidate::id`]: [`key_hash`] of its name.
pub fn server_id(name: &str) -> u64 {
    key_hash(&[name.as_bytes()])
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The rendezvous weight of `key` on server `id`.
fn score(key: u64, id: u64) -> u64 {
    mix(mix(key) ^ mix(id ^ 0x9e37_79b9_7f4a_7c15))
}

/// A pool's selection policy.
#[derive(Debug, Default)]
pub struct Pool {
    kind: PoolKind,
    fallback: Fallback,
    /// Rotates [`PoolKind::LoadBalance`] ties.
    cursor: AtomicUsize,
}

impl Pool {
    /// A pool of `kind` with the default [`Fallback::Zombie`].
    pub fn new(kind: PoolKind) -> Self {
        Pool {
            kind,
            ..Pool::default()
        }
    }

    /// Sets the fallback.
    pub fn with_fallback(mut self, fallback: Fallback) -> Self {
        self.fallback = fallback;
        self
    }

    /// The policy.
    pub fn kind(&self) -> PoolKind {
        self.kind
    }

    /// The fallback.
    pub fn fallback(&self) -> Fallback {
        self.fallback
    }

    /// The index in `servers` to send to, or `None` when no eligible server
    /// is left (every one excluded, full, or unusable beyond the fallback).
    pub fn select(
        &self,
        servers: &[Candidate],
        key: &SelectKey,
        exclude: &[usize],
    ) -> Option<usize> {
        let last = match self.fallback {
            Fallback::Never => 0,
            Fallback::Zombie => 1,
            Fallback::Any => 2,
        };
        (0..=last).find_map(|tier| self.pick(servers, key, exclude, tier))
    }

    fn pick(
        &self,
        servers: &[Candidate],
        key: &SelectKey,
        exclude: &[usize],
        tier: u8,
    ) -> Option<usize> {
        let eligible = |i: usize, c: &Candidate| {
            c.tier() == tier && c.outstanding < c.capacity && !exclude.contains(&i)
        };
        let mut candidates = servers.iter().enumerate().filter(|&(i, c)| eligible(i, c));
        match self.kind {
            PoolKind::FailOver => candidates.next().map(|(i, _)| i),
            PoolKind::LoadBalance => {
                let n = servers.len().max(1);
                let start = self.cursor.fetch_add(1, Ordering::Relaxed) % n;
                // Least outstanding; among equals, the first at or after `start`.
                candidates
                    .min_by_key(|&(i, c)| (c.outstanding, (i + n - start) % n))
                    .map(|(i, _)| i)
            }
            PoolKind::ClientBalance => hrw(candidates, key.nas_hash()),
            PoolKind::KeyedBalance => hrw(candidates, key.key.unwrap_or_else(|| key.nas_hash())),
        }
    }
}

fn hrw<'a>(candidates: impl Iterator<Item = (usize, &'a Candidate)>, key: u64) -> Option<usize> {
    // Highest weight wins; equal weights (never in practice) go to the first.
    candidates
        .map(|(i, c)| (score(key, c.id), usize::MAX - i))
        .max()
        .map(|(_, j)| usize::MAX - j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn server(name: &str) -> Candidate {
        Candidate {
            usable: true,
            state: State::Alive,
            outstanding: 0,
            capacity: 100,
            id: server_id(name),
        }
    }

    fn servers(n: usize) -> Vec<Candidate> {
        (1..=n).map(|i| server(&format!("hs{i}"))).collect()
    }

    fn down(c: &mut Candidate, state: State) {
        c.usable = false;
        c.state = state;
    }

    fn nas(last: u8) -> SelectKey {
        SelectKey::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    #[test]
    fn hashes_are_fixed() {
        // Constants that must never change (computed independently).
        assert_eq!(key_hash(&[b""]), 0xa8c7_f832_281a_39c5);
        assert_eq!(server_id("hs1"), 0xfec3_2fd2_74d2_c79e);
        assert_ne!(key_hash(&[b"ab", b"c"]), key_hash(&[b"a", b"bc"]));
    }

    #[test]
    fn fail_over_and_fail_back_in_order() {
        let pool = Pool::new(PoolKind::FailOver);
        let mut s = servers(3);
        let k = nas(1);
        assert_eq!(pool.select(&s, &k, &[]), Some(0));
        down(&mut s[0], State::Zombie);
        assert_eq!(pool.select(&s, &k, &[]), Some(1));
        down(&mut s[1], State::Dead);
        assert_eq!(pool.select(&s, &k, &[]), Some(2));
        s[0] = server("hs1"); // revived by its health
        assert_eq!(pool.select(&s, &k, &[]), Some(0));
    }

    #[test]
    fn exclude_moves_a_retry_to_the_next_server() {
        let pool = Pool::new(PoolKind::FailOver);
        let s = servers(3);
        assert_eq!(pool.select(&s, &nas(1), &[0]), Some(1));
        assert_eq!(pool.select(&s, &nas(1), &[0, 1]), Some(2));
        assert_eq!(pool.select(&s, &nas(1), &[0, 1, 2]), None);
        let keyed = Pool::new(PoolKind::KeyedBalance);
        let k = SelectKey::from_parts(nas(1).nas, &[b"state"]);
        let first = keyed.select(&s, &k, &[]).unwrap();
        let second = keyed.select(&s, &k, &[first]).unwrap();
        assert_ne!(first, second);
    }

    #[test]
    fn fallback_prefers_zombies_and_respects_the_pool() {
        let mut s = servers(3);
        down(&mut s[0], State::Dead);
        down(&mut s[1], State::Dead);
        down(&mut s[2], State::Zombie);
        let k = nas(1);
        assert_eq!(Pool::new(PoolKind::FailOver).select(&s, &k, &[]), Some(2));
        let never = Pool::new(PoolKind::FailOver).with_fallback(Fallback::Never);
        assert_eq!(never.select(&s, &k, &[]), None);
        down(&mut s[2], State::Dead);
        assert_eq!(
            Pool::new(PoolKind::FailOver).select(&s, &k, &[]),
            None,
            "all dead: reject"
        );
        let any = Pool::new(PoolKind::LoadBalance).with_fallback(Fallback::Any);
        s[0].outstanding = 5;
        s[1].outstanding = 1;
        s[2].outstanding = 3;
        assert_eq!(any.select(&s, &k, &[]), Some(1));
    }

    #[test]
    fn load_balance_takes_the_least_outstanding_and_rotates_ties() {
        let pool = Pool::new(PoolKind::LoadBalance);
        let mut s = servers(3);
        s[0].outstanding = 4;
        s[1].outstanding = 2;
        s[2].outstanding = 3;
        assert_eq!(pool.select(&s, &nas(1), &[]), Some(1));
        let idle = servers(3);
        let picks: Vec<_> = (0..6)
            .map(|_| pool.select(&idle, &nas(1), &[]).unwrap())
            .collect();
        for i in 0..3 {
            assert_eq!(picks.iter().filter(|&&p| p == i).count(), 2, "{picks:?}");
        }
    }

    #[test]
    fn full_servers_are_skipped() {
        let mut s = servers(2);
        s[0].outstanding = 100;
        assert_eq!(
            Pool::new(PoolKind::FailOver).select(&s, &nas(1), &[]),
            Some(1)
        );
        s[1].capacity = 0;
        assert_eq!(
            Pool::new(PoolKind::LoadBalance).select(&s, &nas(1), &[]),
            None
        );
    }

    #[test]
    fn client_balance_sticks_a_nas_to_a_server() {
        let pool = Pool::new(PoolKind::ClientBalance);
        let mut s = servers(4);
        let mut seen = [0usize; 4];
        for last in 1..=200 {
            let first = pool.select(&s, &nas(last), &[]).unwrap();
            for _ in 0..3 {
                assert_eq!(pool.select(&s, &nas(last), &[]), Some(first));
            }
            seen[first] += 1;
        }
        assert!(seen.iter().all(|&n| n > 20), "{seen:?}");
        // An IPv4-mapped IPv6 source is the same NAS.
        let mapped = SelectKey::new(IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped()));
        assert_eq!(pool.select(&s, &mapped, &[]), pool.select(&s, &nas(7), &[]));
        // Keyed-balance without a key falls back to the NAS address.
        let keyed = Pool::new(PoolKind::KeyedBalance);
        assert_eq!(
            keyed.select(&s, &nas(7), &[]),
            pool.select(&s, &nas(7), &[])
        );
        s.truncate(1);
        assert_eq!(pool.select(&s, &nas(7), &[]), Some(0));
    }

    #[test]
    fn rendezvous_moves_only_the_keys_of_a_lost_server() {
        const KEYS: usize = 10_000;
        let pool = Pool::new(PoolKind::KeyedBalance);
        let mut s = servers(4);
        let key =
            |i: usize| SelectKey::from_parts(nas(1).nas, &[b"calling-station", &i.to_le_bytes()]);
        let before: Vec<_> = (0..KEYS)
            .map(|i| pool.select(&s, &key(i), &[]).unwrap())
            .collect();
        let mut load = [0usize; 4];
        before.iter().for_each(|&b| load[b] += 1);
        assert!(
            load.iter().all(|&n| n.abs_diff(KEYS / 4) < KEYS / 20),
            "uneven: {load:?}"
        );
        down(&mut s[2], State::Dead);
        let (mut kept, mut others, mut moved) = (0, 0, [0usize; 4]);
        for (i, &b) in before.iter().enumerate() {
            let now = pool.select(&s, &key(i), &[]).unwrap();
            assert_ne!(now, 2);
            if b == 2 {
                moved[now] += 1;
            } else {
                others += 1;
                kept += usize::from(now == b);
            }
        }
        assert!(kept * 100 >= others * 99, "kept {kept} of {others}");
        // The lost server's keys spread over the other three.
        let lost = load[2];
        for i in [0, 1, 3] {
            assert!(moved[i].abs_diff(lost / 3) < lost / 6, "moved {moved:?}");
        }
        // It comes back: every key returns to its old server.
        s[2] = server("hs3");
        assert!((0..KEYS).all(|i| pool.select(&s, &key(i), &[]) == Some(before[i])));
    }
}
