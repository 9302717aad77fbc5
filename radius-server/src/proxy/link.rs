//! How one home server is reached: a [`UdpClient`] per port, or one
//! [`RadSecClient`]; its sends, Status-Server probes and counters.

use std::time::Duration;

use radius_core::{Code, Secret};
use radius_proto::client::RetryPolicy;

use super::{HomeServer, ProxyError, Transport};
use crate::client::{ClientRequest, UdpClient};
use crate::radsec::{RadSecClient, RadSecClientConfig};

/// The client(s) one home server is reached with.
pub(super) enum Link {
    Udp { auth: UdpClient, acct: UdpClient },
    RadSec(RadSecClient),
}

impl Link {
    pub(super) fn new(cfg: &HomeServer) -> Result<Link, ProxyError> {
        let window = cfg.health.response_window;
        Ok(match &cfg.transport {
            Transport::Udp => {
                // One transmission per server attempt: failover to the next
                // server is the proxy's, and a retransmission to a server
                // that missed the first would only add to its queue.
                let policy = RetryPolicy::fixed(window / 2, 2);
                Link::Udp {
                    auth: UdpClient::builder(cfg.auth, &cfg.secret)
                        .retry(policy)
                        .build(),
                    acct: UdpClient::builder(cfg.acct, &cfg.secret)
                        .retry(policy)
                        .build(),
                }
            }
            Transport::RadSec { tls, server_name } => {
                let mut c = RadSecClientConfig::new(cfg.auth, server_name.clone());
                c.secret = Secret::new(&cfg.secret);
                c.request_timeout = window;
                c.connect_timeout = window;
                // Health is the proxy's (Status-Server while not alive).
                c.watchdog_interval = None;
                // A dead server is retried by the probes, not by requests
                // that would wait for a long backoff.
                c.max_backoff = window.max(Duration::from_secs(1));
                Link::RadSec(
                    RadSecClient::new(c, tls.clone())
                        .map_err(|e| ProxyError::RadSec(cfg.name.clone(), e))?,
                )
            }
        })
    }

    /// Send `out`; the verified reply and the authenticator it answers.
    pub(super) async fn send(&self, out: &ClientRequest) -> Result<(Vec<u8>, [u8; 16]), NoAnswer> {
        match self {
            Link::Udp { auth, acct } => {
                let c = if out.code() == Code::ACCOUNTING_REQUEST {
                    acct
                } else {
                    auth
                };
                let r = c.send(out).await.map_err(|e| NoAnswer {
                    unreachable: false,
                    why: e.to_string(),
                })?;
                let sent: [u8; 16] = r.request()[4..20].try_into().expect("header");
                Ok((r.as_bytes().to_vec(), sent))
            }
            Link::RadSec(c) => {
                let r = c.send(out).await.map_err(|e| NoAnswer {
                    unreachable: matches!(
                        e,
                        crate::radsec::ClientError::Connect { .. }
                            | crate::radsec::ClientError::Backoff { .. }
                    ),
                    why: e.to_string(),
                })?;
                Ok((r.raw().to_vec(), *r.request_authenticator()))
            }
        }
    }

    /// A Status-Server probe answered within `window`.
    pub(super) async fn probe(&self, window: Duration) -> bool {
        match self {
            Link::Udp { auth, .. } => {
                let policy = RetryPolicy::fixed(window, 1);
                auth.status_server().retry(policy).send().await.is_ok()
            }
            Link::RadSec(c) => c.status().await.is_ok(),
        }
    }

    /// (invalid replies, timeouts).
    pub(super) fn counters(&self) -> (u64, u64) {
        match self {
            Link::Udp { auth, acct } => {
                let (a, c) = (auth.stats(), acct.stats());
                (
                    a.invalid_replies + c.invalid_replies,
                    a.timeouts + c.timeouts,
                )
            }
            Link::RadSec(c) => {
                let s = c.stats();
                (s.invalid_replies, s.timeouts)
            }
        }
    }
}

/// Why a home server gave no reply.
pub(super) struct NoAnswer {
    /// It could not be reached at all (no connection), rather than not
    /// answering in time.
    pub(super) unreachable: bool,
    pub(super) why: String,
}
