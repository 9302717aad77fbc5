//! Where requests go: UDP with retransmission (radius-server's
//! `UdpClient`), or RadSec (RFC 6614: RADIUS over mutual TLS, one
//! connection, no retransmission) with its `RadSecClient`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use radius_core::Secret;
use radius_server::client::{ClientRequest, RequireMessageAuthenticator, RetryPolicy, UdpClient};
use radius_server::radsec::{ClientError, RadSecClient, RadSecClientConfig, TlsConfig};

/// The client of one run.
pub(super) enum Transport {
    /// RADIUS over UDP.
    Udp(UdpClient),
    /// RadSec.
    RadSec(Box<RadSec>),
}

/// The RadSec transport.
pub(super) struct RadSec {
    /// The client (one TLS connection, requests multiplexed on it).
    client: RadSecClient,
    /// Its server.
    server: SocketAddr,
    /// Its secret, to show what was sent.
    secret: Secret,
}

/// The RadSec settings of `radius send --radsec`.
pub(super) struct RadSecOpts<'a> {
    /// Client certificate chain (PEM).
    pub cert: &'a PathBuf,
    /// Its private key (PEM).
    pub key: &'a PathBuf,
    /// The CA(s) the server's certificate must chain to (PEM).
    pub ca: &'a PathBuf,
    /// The name the server's certificate must carry.
    pub name: String,
}

/// A verified reply and what it answers.
pub(super) struct Reply {
    /// The reply's octets.
    pub bytes: Vec<u8>,
    /// The request as sent.
    pub request: Vec<u8>,
    /// The authenticator the reply's obfuscated attributes are keyed on.
    pub request_auth: [u8; 16],
    /// The local UDP address (none for RadSec).
    pub local: Option<SocketAddr>,
    /// The server.
    pub server: SocketAddr,
    /// First transmission to reply.
    pub rtt: Duration,
    /// Transmissions (always 1 over TLS).
    pub attempts: u32,
}

/// Why a request has no reply.
pub(super) struct Failed {
    /// A timeout (rather than a refused connection or a bad reply).
    pub timeout: bool,
    /// What happened.
    pub message: String,
}

impl Transport {
    /// A UDP client of `server`: `attempts` transmissions `timeout` apart.
    pub(super) fn udp(
        server: SocketAddr,
        secret: &str,
        timeout: Duration,
        attempts: u32,
        require_ma: bool,
    ) -> Transport {
        let require = if require_ma {
            RequireMessageAuthenticator::Yes
        } else {
            RequireMessageAuthenticator::Auto
        };
        Transport::Udp(
            UdpClient::builder(server, secret)
                .retry(RetryPolicy::fixed(timeout, attempts.max(1)))
                .require_message_authenticator(require)
                .build(),
        )
    }

    /// A RadSec client of `server`; `timeout` bounds the connection
    /// (TCP and TLS handshake) and each reply.
    pub(super) fn radsec(
        server: SocketAddr,
        secret: &str,
        timeout: Duration,
        require_ma: bool,
        tls: &RadSecOpts<'_>,
    ) -> anyhow::Result<Transport> {
        let config = TlsConfig::from_pem_files(tls.cert, tls.key, tls.ca)?;
        let mut cfg = RadSecClientConfig::new(server, tls.name.clone());
        cfg.secret = Secret::new(secret);
        cfg.request_timeout = timeout;
        cfg.connect_timeout = timeout;
        cfg.watchdog_interval = None;
        cfg.require_message_authenticator = require_ma;
        let client = RadSecClient::new(cfg, config).context("RadSec client")?;
        Ok(Transport::RadSec(Box::new(RadSec {
            client,
            server,
            secret: Secret::new(secret),
        })))
    }

    /// Send one request and wait for its verified reply.
    pub(super) async fn send(&self, req: &ClientRequest) -> Result<Reply, Failed> {
        match self {
            Transport::Udp(c) => match c.send(req).await {
                Ok(r) => Ok(Reply {
                    bytes: r.as_bytes().to_vec(),
                    request: r.request().to_vec(),
                    request_auth: *r.crypto().authenticator,
                    local: Some(r.local_addr()),
                    server: r.server(),
                    rtt: r.rtt(),
                    attempts: r.attempts(),
                }),
                Err(e) => Err(Failed {
                    timeout: e.is_timeout(),
                    message: e.to_string(),
                }),
            },
            Transport::RadSec(t) => {
                let RadSec {
                    client,
                    server,
                    secret,
                } = &**t;
                let t0 = Instant::now();
                match client.send(req).await {
                    Ok(r) => {
                        let rtt = t0.elapsed();
                        // The request as it went out: the client picked the
                        // Identifier the reply carries; the rest is fixed.
                        let mut request = Vec::new();
                        let _ = req.encode(r.raw()[1], secret, &mut request);
                        Ok(Reply {
                            bytes: r.raw().to_vec(),
                            request,
                            request_auth: *r.request_authenticator(),
                            local: None,
                            server: *server,
                            rtt,
                            attempts: 1,
                        })
                    }
                    Err(e) => Err(Failed {
                        timeout: matches!(e, ClientError::Timeout(_)),
                        message: match e {
                            ClientError::Timeout(t) => {
                                format!("no reply from {server} within {t:?} (RadSec)")
                            }
                            e => e.to_string(),
                        },
                    }),
                }
            }
        }
    }
}
