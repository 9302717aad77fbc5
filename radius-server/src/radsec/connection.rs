//! One RadSec connection: the TLS handshake within the gate's budget,
//! the peer's identity and client entry, then RADIUS packets framed off
//! the stream through the engine to the handlers, and their replies
//! written back in order of completion.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use radius_core::{Code, RadiusVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use super::gate::Pending;
use super::server::Inner;
use super::tls::describe_tls_error;
use crate::engine::{Engine, Event, Incoming};
use crate::handler::{call_and_poll, finish_pending, FirstPoll};
use crate::host::Client;
use crate::port::PortKind;
use crate::request::{Protocol, Request};
use crate::stats::DropReason;
use radius_proto::radsec::{FrameBuf, PeerIdentity};

struct NoopWaker;
impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

/// Which engine rules a RadSec packet goes through: one connection carries
/// authentication, accounting and dynamic authorization alike.
fn port_for(code: Code) -> PortKind {
    match code {
        Code::ACCOUNTING_REQUEST => PortKind::Acct,
        Code::COA_REQUEST | Code::DISCONNECT_REQUEST => PortKind::Coa,
        _ => PortKind::Auth,
    }
}

pub(super) async fn connection<S: Clone + Send + Sync + 'static>(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    shared: &Arc<Inner<S>>,
    mut shutdown: watch::Receiver<bool>,
    mut pending: Pending,
) {
    let handshake = tokio::time::timeout(shared.config.handshake_timeout, acceptor.accept(tcp));
    let tls = tokio::select! {
        r = handshake => match r {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                shared.handshake_failed(peer, describe_tls_error(&e));
                return;
            }
            Err(_) => {
                shared.handshake_failed(
                    peer,
                    format!("timed out after {:?}", shared.config.handshake_timeout),
                );
                return;
            }
        },
        _ = &mut pending.displaced => {
            tracing::debug!(%peer, "RadSec handshake abandoned: displaced by a less busy source");
            return;
        }
        _ = shutdown.changed() => return,
    };
    // The handshake's slot goes back; an established connection takes one
    // of its own (never used up by handshakes in progress).
    drop(pending);
    let Some(_established) = shared.gate.establish(peer) else {
        return;
    };
    let (identity, alpn, version) = {
        let c = tls.get_ref().1;
        let id = c
            .peer_certificates()
            .and_then(|v| v.first())
            .map(|c| PeerIdentity::from_der(c.as_ref()))
            .unwrap_or_default();
        let alpn = c
            .alpn_protocol()
            .map(|a| String::from_utf8_lossy(a).into_owned());
        (id, alpn, c.protocol_version())
    };
    let Some((client, client_v11)) = shared
        .clients
        .lookup_entry(peer.ip(), &identity)
        .map(|(c, v)| (c.clone(), v))
    else {
        shared.stream_errors.fetch_add(1, Ordering::Relaxed);
        shared.stats.count_drop(DropReason::UnknownClient);
        tracing::warn!(%peer, certificate = %identity,
            "RadSec connection closed: no client entry matches this certificate and address");
        return;
    };
    // No ALPN is RADIUS/1.0; rustls only lets through names we offered.
    let radius =
        RadiusVersion::from_alpn(alpn.as_deref().map(str::as_bytes)).unwrap_or(RadiusVersion::V1_0);
    // rustls enforced the listener's ALPN names, except that a peer sending
    // no ALPN gets through (RADIUS/1.0); the client entry may narrow it.
    let refused = if !shared.v11.accepts(radius) {
        Some((shared.v11, "listener"))
    } else {
        client_v11
            .filter(|v| !v.accepts(radius))
            .map(|v| (v, "client entry"))
    };
    if let Some((setting, whose)) = refused {
        shared.handshake_failed(
            peer,
            format!(
                "client {} negotiated {radius} (ALPN {alpn:?}) but the {whose} has radius_v11 = {setting}",
                client.name()
            ),
        );
        return;
    }
    tracing::info!(%peer, client = client.name(), certificate = %identity, ?alpn, ?version,
        %radius, "RadSec connection established");

    // Per-connection engine: same rules, duplicate cache scoped to this
    // connection (RFC 6613 §2.6.1), shared counters and log limiter.
    let engine = Arc::new(Engine::with_shared(
        shared.hosts.clone(),
        shared.engine_config.clone(),
        shared.stats.clone(),
        shared.limiter.clone(),
    ));
    let (mut rd, wr) = tokio::io::split(tls);
    let (tx, rx) = mpsc::channel::<Vec<u8>>(shared.config.max_in_flight_per_connection.max(1) * 2);
    let writer = tokio::spawn(write_loop(wr, rx, peer));
    let in_flight = Arc::new(Semaphore::new(
        shared.config.max_in_flight_per_connection.max(1),
    ));
    let mut frames = FrameBuf::new();
    let waker = Waker::from(Arc::new(NoopWaker));
    let mut out = Vec::with_capacity(radius_core::packet::MAX_PACKET_LEN);
    let idle = shared.config.idle_timeout;
    let max_permits = shared.config.max_in_flight_per_connection.max(1);
    'conn: loop {
        // Dispatch every buffered packet.
        loop {
            let pkt = match frames.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => {
                    shared.stream_errors.fetch_add(1, Ordering::Relaxed);
                    shared.stats.count_drop(DropReason::BadLength);
                    tracing::warn!(%peer, client = client.name(),
                        "RadSec connection closed: malformed stream: {e}");
                    break 'conn;
                }
            };
            let permit = match in_flight.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(_) => {
                    // At the limit: stop reading until a handler finishes.
                    let pkt = pkt.to_vec();
                    let p = tokio::select! {
                        p = in_flight.clone().acquire_owned() => p.expect("never closed"),
                        _ = shutdown.changed() => break 'conn,
                    };
                    handle_packet(
                        &pkt, &client, peer, radius, &engine, shared, &tx, &waker, &mut out, p,
                    )
                    .await;
                    continue;
                }
            };
            handle_packet(
                pkt, &client, peer, radius, &engine, shared, &tx, &waker, &mut out, permit,
            )
            .await;
        }
        let spare = 16 * 1024;
        let buf = frames.spare(spare);
        let n = tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            r = tokio::time::timeout(idle, rd.read(buf)) => match r {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => {
                    frames.filled(spare, 0);
                    tracing::info!(%peer, client = client.name(), "RadSec connection read error: {}", describe_tls_error(&e));
                    break;
                }
                Err(_) => {
                    frames.filled(spare, 0);
                    if in_flight.available_permits() < max_permits {
                        continue;
                    }
                    tracing::info!(%peer, client = client.name(), ?idle, "RadSec connection idle: closing");
                    break;
                }
            },
        };
        frames.filled(spare, n);
        if n == 0 {
            if frames.pending() > 0 {
                tracing::warn!(%peer, client = client.name(), pending = frames.pending(),
                    "RadSec peer closed the connection in the middle of a packet");
            } else {
                tracing::debug!(%peer, client = client.name(), "RadSec peer closed the connection");
            }
            // Let running handlers answer (the peer may have half-closed).
            let deadline = shared.config.handler_timeout + Duration::from_millis(100);
            let _ =
                tokio::time::timeout(deadline, in_flight.acquire_many(max_permits as u32)).await;
            break;
        }
    }
    drop(tx);
    // The writer ends once every handler task has dropped its sender.
    let mut writer = writer;
    tokio::select! {
        _ = &mut writer => {}
        _ = tokio::time::sleep(shared.config.handler_timeout + Duration::from_secs(1)) => writer.abort(),
        _ = shutdown.changed() => writer.abort(),
    }
}

async fn write_loop<W: tokio::io::AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: mpsc::Receiver<Vec<u8>>,
    peer: SocketAddr,
) {
    let mut batch = Vec::with_capacity(16 * 1024);
    while let Some(first) = rx.recv().await {
        super::outbox::gather(&mut batch, &first, &mut rx);
        if let Err(e) = wr.write_all(&batch).await {
            tracing::debug!(%peer, "RadSec write failed: {e}");
            return;
        }
        if let Err(e) = wr.flush().await {
            tracing::debug!(%peer, "RadSec flush failed: {e}");
            return;
        }
    }
    let _ = wr.shutdown().await;
}

#[allow(clippy::too_many_arguments)]
async fn handle_packet<S: Clone + Send + Sync + 'static>(
    pkt: &[u8],
    client: &Client,
    peer: SocketAddr,
    radius: RadiusVersion,
    engine: &Arc<Engine>,
    shared: &Arc<Inner<S>>,
    tx: &mpsc::Sender<Vec<u8>>,
    waker: &Waker,
    out: &mut Vec<u8>,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let code = Code(pkt.first().copied().unwrap_or(0));
    let port = port_for(code);
    let incoming = Incoming::from_client(pkt, client, peer, port, radius);
    match engine.handle(incoming, Instant::now(), out) {
        Event::Drop(_) => {}
        Event::Send { .. } => {
            let _ = tx.send(out.clone()).await;
        }
        Event::Dispatch(mut req) => {
            req.set_protocol(Protocol::Tls);
            dispatch(req, engine, shared, tx, waker, out, permit).await;
        }
    }
}

async fn dispatch<S: Clone + Send + Sync + 'static>(
    req: Request,
    engine: &Arc<Engine>,
    shared: &Arc<Inner<S>>,
    tx: &mpsc::Sender<Vec<u8>>,
    waker: &Waker,
    out: &mut Vec<u8>,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let Some(handler) = shared.handler(req.code()) else {
        engine.abandon(&req, DropReason::NoHandler, Instant::now());
        return;
    };
    let span = tracing::info_span!("radsec", client = req.client().name(),
        code = %req.code(), id = req.identifier(), token = req.token());
    let first = {
        let _g = span.enter();
        call_and_poll(&**handler, req.clone(), &shared.state, waker)
    };
    let fut = match first {
        FirstPoll::Ready(reply) => {
            if span.in_scope(|| engine.complete(&req, reply, Instant::now(), out).is_send()) {
                let _ = tx.send(out.clone()).await;
            }
            return;
        }
        FirstPoll::Panicked => {
            engine.abandon(&req, DropReason::HandlerPanic, Instant::now());
            return;
        }
        FirstPoll::Pending(f) => f,
    };
    let engine = engine.clone();
    let tx = tx.clone();
    let timeout = shared.config.handler_timeout;
    tokio::spawn(
        async move {
            let _permit = permit;
            if let Some((out, _)) = finish_pending(fut, timeout, &engine, &req, false).await {
                let _ = tx.send(out).await;
            }
        }
        .instrument(span),
    );
}
