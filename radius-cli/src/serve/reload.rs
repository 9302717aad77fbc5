//! Reload without restart (SIGHUP): the configuration file is read and
//! checked again; if it is good, the handlers' state (users, EAP,
//! proxying) is replaced whole and the server's clients are replaced in
//! place. A bad file is refused with its file:line and the running
//! configuration stays.
//!
//! Nothing in flight is dropped: a request holds the state it started
//! with until it is answered, and the listeners never close. An unchanged
//! client keeps what it has learned (BlastRADIUS); an unchanged `[eap]`
//! section with unchanged certificate files keeps its conversations in
//! progress. The accounting database is the one opened at start; listen
//! addresses and the database are not changed by a reload (a warning says
//! so when they differ).

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use radius_core::dict::Dictionary;
use radius_server::ServerHandle;

use radius_proto::live_hosts::LiveHosts;

use super::config::{ClientEntry, Config};
use super::{app_from_config, apply_args, hosts_from, App, ServeArgs};

/// The state the handlers read: the current [`App`], replaced on reload.
pub struct Live {
    app: ArcSwap<App>,
    /// The configured clients and the `nas` table's, merged into the
    /// server's table whenever either changes.
    clients: std::sync::Mutex<(Vec<ClientEntry>, Vec<ClientEntry>)>,
}

impl Live {
    /// Start with `app`.
    pub fn new(app: App, configured: Vec<ClientEntry>) -> Self {
        Live {
            app: ArcSwap::from_pointee(app),
            clients: std::sync::Mutex::new((configured, Vec::new())),
        }
    }

    /// Set the configured clients (`Some`) and/or the `nas` table's, and
    /// put the merged table in place; returns how many entries were
    /// carried over unchanged.
    pub fn set_clients(
        &self,
        hosts: &LiveHosts,
        configured: Option<Vec<ClientEntry>>,
        from_sql: Option<Vec<ClientEntry>>,
    ) -> usize {
        let mut c = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = configured {
            c.0 = v;
        }
        if let Some(v) = from_sql {
            c.1 = v;
        }
        hosts.replace(hosts_from(&c.0, &c.1))
    }

    /// The `nas` table's clients as last read.
    pub fn sql_clients(&self) -> Vec<ClientEntry> {
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    /// The state now; a request keeps it until it is answered.
    pub fn current(&self) -> Arc<App> {
        self.app.load_full()
    }
}

/// Read `path` again and switch to it. `running` is the configuration in
/// use (for the warnings about what a reload cannot change); on success it
/// becomes the new one.
pub fn reload(
    live: &Live,
    path: &Path,
    args: &ServeArgs,
    dict: &Arc<Dictionary>,
    handle: &ServerHandle,
    running: &mut Config,
) -> anyhow::Result<()> {
    let mut cfg = Config::load(path)?;
    apply_args(&mut cfg, args);
    let old = live.current();
    let new = app_from_config(&cfg, dict.clone(), old.store.clone(), Some(&old))?;
    let kept_eap = Arc::ptr_eq(&new.eap, &old.eap);
    if cfg.accounting_db != running.accounting_db {
        tracing::warn!(
            "reload: accounting_db changed; it takes effect at the next start ({} stays)",
            running.accounting_db.display()
        );
    }
    if (&cfg.auth, &cfg.acct, &cfg.coa) != (&running.auth, &running.acct, &running.coa) {
        tracing::warn!("reload: listen addresses changed; they take effect at the next start");
    }
    if let Some(r) = &new.proxy {
        r.start();
    }
    let carried = live.set_clients(&handle.live_clients(), Some(cfg.clients.clone()), None);
    live.app.store(Arc::new(new));
    tracing::info!(
        clients = cfg.clients.len(),
        unchanged_clients = carried,
        users = cfg.users.len(),
        eap = if kept_eap { "kept" } else { "reloaded" },
        "reloaded {}",
        path.display()
    );
    *running = cfg;
    Ok(())
}
