//! A host table that can be replaced while the server runs (reload on
//! SIGHUP): every engine of a server shares one [`LiveHosts`]; a packet
//! reads the table current when it arrives, and a request in flight keeps
//! the [`Client`] it was matched to.
//!
//! Clients whose entry did not change (same address or block, name,
//! secret and policies) are carried over into the new table as the same
//! [`Client`], so what an `auto` client has taught the server (BlastRADIUS:
//! it sends Message-Authenticator) and its in-flight count survive the
//! reload.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::host::{Client, ClientConfig, HostTable};

/// A shared, replaceable [`HostTable`]. Cheap to clone.
#[derive(Clone)]
pub struct LiveHosts(Arc<ArcSwap<HostTable>>);

impl std::fmt::Debug for LiveHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LiveHosts")
            .field(&self.0.load().len())
            .finish()
    }
}

impl LiveHosts {
    /// Start with `table`.
    pub fn new(table: HostTable) -> Self {
        LiveHosts(Arc::new(ArcSwap::from_pointee(table)))
    }

    /// The table now (lock-free; hold it only for a packet).
    pub fn load(&self) -> arc_swap::Guard<Arc<HostTable>> {
        self.0.load()
    }

    /// The table now, as an owned handle.
    pub fn load_full(&self) -> Arc<HostTable> {
        self.0.load_full()
    }

    /// Replace the table with `new`, carrying over every unchanged client;
    /// returns how many were carried over.
    pub fn replace(&self, mut new: HostTable) -> usize {
        let old = self.0.load_full();
        let carried = new.carry_over(&old, same_config);
        self.0.store(Arc::new(new));
        carried
    }
}

/// Whether a client entry is unchanged (its learned state stays valid).
fn same_config(a: &ClientConfig, b: &ClientConfig) -> bool {
    a.name == b.name
        && a.secret.as_bytes() == b.secret.as_bytes()
        && a.require_message_authenticator == b.require_message_authenticator
        && a.limit_proxy_state == b.limit_proxy_state
}

impl HostTable {
    /// Replace each entry of `self` whose block and configuration `same`
    /// as one in `old` by `old`'s [`Client`]; returns how many.
    pub(crate) fn carry_over(
        &mut self,
        old: &HostTable,
        same: impl Fn(&ClientConfig, &ClientConfig) -> bool,
    ) -> usize {
        let mut n = 0;
        let mut keep = |new: &mut Client, prev: Option<&Client>| {
            if let Some(p) = prev.filter(|p| same(p.config(), new.config())) {
                *new = p.clone();
                n += 1;
            }
        };
        for (ip, c) in self.exact_mut() {
            keep(c, old.exact_get(ip));
        }
        for (net, c) in self.nets_mut() {
            keep(c, old.net_get(net));
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Policy;

    #[test]
    fn unchanged_clients_keep_what_they_learned() {
        let t = HostTable::new()
            .add("10.0.0.0/8", "lan", "s1")
            .unwrap()
            .add("192.0.2.1", "nas", "s2")
            .unwrap();
        let live = LiveHosts::new(t);
        let ip = |s: &str| s.parse().unwrap();
        // The /8 client learns that its NASes send Message-Authenticator.
        live.load()
            .lookup(ip("10.1.2.3"))
            .unwrap()
            .saw_message_authenticator(ip("10.1.2.3"));
        live.load()
            .lookup(ip("192.0.2.1"))
            .unwrap()
            .saw_message_authenticator(ip("192.0.2.1"));
        assert!(live
            .load()
            .lookup(ip("10.1.2.3"))
            .unwrap()
            .requires_message_authenticator(ip("10.1.2.3")));

        // Reload: the /8 unchanged, the host's secret changed, one added.
        let new = HostTable::new()
            .add("10.0.0.0/8", "lan", "s1")
            .unwrap()
            .add("192.0.2.1", "nas", "s2-new")
            .unwrap()
            .add("198.51.100.0/24", "new", "s3")
            .unwrap();
        assert_eq!(live.replace(new), 1);
        let t = live.load();
        assert!(t
            .lookup(ip("10.1.2.3"))
            .unwrap()
            .requires_message_authenticator(ip("10.1.2.3")));
        let host = t.lookup(ip("192.0.2.1")).unwrap();
        assert_eq!(host.secret().as_bytes(), b"s2-new");
        assert!(
            !host.requires_message_authenticator(ip("192.0.2.1")),
            "changed: starts afresh"
        );
        assert_eq!(t.lookup(ip("198.51.100.7")).unwrap().name(), "new");
        // A changed policy is a changed client.
        let stricter = HostTable::new().with(
            "10.0.0.0/8".parse().unwrap(),
            ClientConfig::new("lan", "s1").require_message_authenticator(Policy::No),
        );
        assert_eq!(live.replace(stricter), 0);
        assert!(live.load().lookup(ip("192.0.2.1")).is_none());
    }
}
