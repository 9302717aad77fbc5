//! One connection of the RadSec client: its table of outstanding
//! requests, the exchange of one request for its reply, and the reader and
//! writer tasks that move frames over TLS.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::packet::MAX_PACKET_LEN;
use radius_core::{Code, RadiusVersion, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use super::client::{ClientError, Counters, RadSecClientConfig, Response};
use super::tls::describe_tls_error;
use radius_proto::client::{Outstanding, ReplyError, Slot};
use radius_proto::radsec::FrameBuf;

/// One TLS connection and the requests outstanding on it.
pub(super) struct Conn {
    pub(super) tx: mpsc::Sender<Vec<u8>>,
    /// Negotiated by ALPN.
    pub(super) version: RadiusVersion,
    /// Outstanding requests by Identifier or Token: the protocol table the
    /// UDP client uses too, holding the channel each sender waits on.
    pub(super) slots: Mutex<Outstanding<oneshot::Sender<Vec<u8>>>>,
    pub(super) ids: Arc<Semaphore>,
    pub(super) alive: AtomicBool,
    pub(super) reason: Mutex<Option<String>>,
    pub(super) last_rx: Mutex<Instant>,
    pub(super) tasks: Mutex<Vec<JoinHandle<()>>>,
    pub(super) counters: Arc<Counters>,
}

impl Conn {
    pub(super) fn lost(&self) -> ClientError {
        let r = self
            .reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        ClientError::ConnectionLost(r.unwrap_or_else(|| "connection closed".into()))
    }

    pub(super) fn set_reason(&self, reason: &str) {
        self.reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| reason.to_owned());
    }

    pub(super) fn close(&self, reason: &str) {
        self.set_reason(reason);
        self.alive.store(false, Ordering::Relaxed);
        // Dropping the senders wakes every waiter with ConnectionLost.
        let waiters = self.slots.lock().unwrap_or_else(|p| p.into_inner()).drain();
        drop(waiters);
        self.ids.close();
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        for t in self
            .tasks
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }
}

/// Send one request on `conn` (encoded by `encode` for the slot it gets)
/// and wait up to `timeout` for its verified reply.
pub(super) async fn exchange(
    conn: &Arc<Conn>,
    cfg: &RadSecClientConfig,
    code: Code,
    encode: impl FnOnce(Slot, &Secret, &mut Vec<u8>) -> Result<(), ClientError>,
    timeout: Duration,
) -> Result<Response, ClientError> {
    let deadline = tokio::time::Instant::now() + timeout;
    conn.counters.requests.fetch_add(1, Ordering::Relaxed);
    let permit: OwnedSemaphorePermit =
        match tokio::time::timeout_at(deadline, conn.ids.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => return Err(conn.lost()),
            Err(_) => {
                conn.counters.timeouts.fetch_add(1, Ordering::Relaxed);
                return Err(ClientError::Timeout(timeout));
            }
        };
    let (tx, rx) = oneshot::channel();
    // A permit guarantees a free slot.
    let Some(slot) = conn
        .slots
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .reserve()
    else {
        return Err(conn.lost());
    };
    let release = |conn: &Conn| {
        conn.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .release(slot);
    };
    let mut buf = Vec::with_capacity(128);
    let secret = &cfg.secret;
    if let Err(e) = encode(slot, secret, &mut buf) {
        release(conn);
        return Err(e);
    }
    let authenticator: [u8; 16] = buf[4..20].try_into().expect("header");
    {
        let mut s = conn.slots.lock().unwrap_or_else(|p| p.into_inner());
        if !conn.alive.load(Ordering::Relaxed) {
            return Err(conn.lost());
        }
        // RADIUS/1.1 replies have no Message-Authenticator; the table knows.
        s.sent(
            slot,
            code,
            authenticator,
            cfg.require_message_authenticator,
            tx,
        );
    }
    if conn.tx.send(buf).await.is_err() {
        release(conn);
        return Err(conn.lost());
    }
    let r = tokio::time::timeout_at(deadline, rx).await;
    release(conn);
    drop(permit);
    match r {
        Ok(Ok(bytes)) => Ok(Response {
            bytes,
            request_authenticator: authenticator,
            secret: secret.clone(),
            version: conn.version,
        }),
        Ok(Err(_)) => Err(conn.lost()),
        Err(_) => {
            conn.counters.timeouts.fetch_add(1, Ordering::Relaxed);
            Err(ClientError::Timeout(timeout))
        }
    }
}

/// Write the frames queued for the connection, gathered ([`super::outbox`]).
pub(super) async fn write_loop<W: tokio::io::AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: mpsc::Receiver<Vec<u8>>,
    conn: std::sync::Weak<Conn>,
) {
    let mut batch = Vec::with_capacity(16 * 1024);
    while let Some(first) = rx.recv().await {
        super::outbox::gather(&mut batch, &first, &mut rx);
        let r = async {
            wr.write_all(&batch).await?;
            wr.flush().await
        }
        .await;
        if let Err(e) = r {
            let reason = format!("write failed: {}", describe_tls_error(&e));
            tracing::info!("RadSec client {reason}");
            if let Some(c) = conn.upgrade() {
                c.close(&reason);
            }
            return;
        }
    }
}

/// Read frames off the connection and hand each reply to its request.
pub(super) async fn read_loop<R: tokio::io::AsyncRead + Unpin>(
    mut rd: R,
    conn: std::sync::Weak<Conn>,
    secret: Secret,
    server: SocketAddr,
) {
    let mut frames = FrameBuf::new();
    let reason: String = 'outer: loop {
        loop {
            let pkt = match frames.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => break 'outer format!("malformed stream: {e}"),
            };
            let Some(c) = conn.upgrade() else {
                return;
            };
            *c.last_rx.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
            deliver(&c, pkt, &secret, server);
        }
        let spare = MAX_PACKET_LEN * 4;
        let buf = frames.spare(spare);
        match rd.read(buf).await {
            Ok(0) => {
                frames.filled(spare, 0);
                break "server closed the connection".into();
            }
            Ok(n) => frames.filled(spare, n),
            Err(e) => {
                frames.filled(spare, 0);
                break format!("read error: {}", describe_tls_error(&e));
            }
        }
    };
    tracing::info!(%server, "RadSec client connection closed: {reason}");
    if let Some(c) = conn.upgrade() {
        c.close(&reason);
    }
}

/// Hand a reply to the request it answers, if it is one (the shared
/// protocol table matches and verifies it); anything else is dropped and
/// logged, and the connection stays up.
pub(super) fn deliver(c: &Conn, pkt: &[u8], secret: &Secret, server: SocketAddr) {
    let mut s = c.slots.lock().unwrap_or_else(|p| p.into_inner());
    match s.on_reply(pkt, secret) {
        Ok(m) => {
            drop(s);
            c.counters.replies.fetch_add(1, Ordering::Relaxed);
            let _ = m.waiter.send(pkt.to_vec());
        }
        Err(ReplyError::Unmatched) => {
            c.counters.unmatched.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%server, id = pkt[1], "RadSec reply for no outstanding request: dropped");
        }
        Err(e) => {
            c.counters.invalid.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%server, id = pkt[1], "RadSec reply dropped: {e}");
        }
    }
}
