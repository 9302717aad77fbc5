//! What a receive loop does with each batch: check every request's
//! authenticators together, run the engine, then per request forward it
//! ([`crate::forward`]), answer it inline (a handler ready at its first
//! poll) or spawn its handler, and sign the inline replies together.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use tokio::net::UdpSocket;
use tracing::Instrument;

use radius_core::crypto::batch::Expected;
use radius_core::md5x::Md5Batch;

use crate::batch::SendBatch;
use crate::engine::{Completion, Engine, Event, Incoming};
use crate::forward::Upstream;
use crate::handler::{call_and_poll, finish_pending, FirstPoll};
use crate::port::PortKind;
use crate::reply::Reply;
use crate::request::Request;
use crate::send_queue::{sign_queued, SendQueue, Unsigned};
use crate::server::Inner;
use crate::stats::DropReason;

/// What one receive loop hands to [`handle_batch`].
pub(crate) struct Ctx<'a, S> {
    pub(crate) sock: &'a Arc<UdpSocket>,
    pub(crate) later: &'a Arc<SendQueue>,
    pub(crate) engine: &'a Arc<Engine>,
    pub(crate) shared: &'a Arc<Inner<S>>,
    pub(crate) waker: &'a Waker,
    pub(crate) kind: PortKind,
    pub(crate) now: Instant,
}

/// Buffers for one batch's authenticator work, reused across batches.
#[derive(Default)]
pub(crate) struct BatchWork {
    pub(crate) expected: Vec<Option<Expected>>,
    pub(crate) md5: Md5Batch,
    /// Inline replies waiting to be signed with their batch, by index in it.
    pub(crate) pending: Vec<(usize, Unsigned)>,
}

/// Handle one received batch: check every request's authenticators
/// together, run the engine and the handlers, sign the inline replies
/// together, cache them, and queue them in `tx`.
pub(crate) fn handle_batch<S: Clone + Send + Sync + 'static>(
    datagrams: &[(&[u8], SocketAddr)],
    tx: &mut SendBatch,
    work: &mut BatchWork,
    up: &mut Upstream<InFlightGuard<S>>,
    cx: &Ctx<'_, S>,
) {
    cx.engine.precompute(
        datagrams,
        cx.kind,
        cx.now,
        &mut work.md5,
        &mut work.expected,
    );
    for (&(data, src), expected) in datagrams.iter().zip(&work.expected) {
        let slot = tx.len();
        let out = tx.next_buf();
        let incoming = Incoming::datagram(data, src, cx.kind).with_expected(expected.as_ref());
        let reply = match cx.engine.handle(incoming, cx.now, out) {
            Event::Drop(_) => false,
            Event::Send { .. } => true,
            Event::Dispatch(req) => match dispatch(req, cx, up, out) {
                Inline::Nothing => false,
                Inline::Ready => true,
                Inline::Unsigned(u) => {
                    work.pending.push((slot, u));
                    true
                }
            },
        };
        if reply {
            tx.push(src);
        }
    }
    if work.pending.is_empty() {
        return;
    }
    sign_queued(tx, &work.pending, &mut work.md5, cx.engine, cx.now);
    work.pending.clear();
}

pub(crate) fn send_failed(engine: &Engine, dst: SocketAddr, e: &io::Error) {
    engine.stats().count_drop(DropReason::SendError);
    tracing::debug!(%dst, "send failed: {e}");
}

fn span_for(req: &Request) -> tracing::Span {
    // debug level: a span per request costs ~1 µs when enabled, a cached
    // callsite check when not (RUST_LOG=radius_server=debug turns them on).
    tracing::debug_span!("radius", client = req.client().name(), code = %req.code(), id = req.identifier())
}

/// What [`dispatch`] left in `out`.
pub(crate) enum Inline {
    /// Nothing to send (spawned, dropped or no reply).
    Nothing,
    /// A finished, cached reply.
    Ready,
    /// A reply to sign with its batch, then finish.
    Unsigned(Unsigned),
}

/// Forward `req` (when the forward hook routes it and the listener can
/// take it) or run its handler. A handler that finishes at its first poll
/// leaves its reply in `out`; one that does not is spawned and sends its
/// own reply.
fn dispatch<S: Clone + Send + Sync + 'static>(
    mut req: Request,
    cx: &Ctx<'_, S>,
    up: &mut Upstream<InFlightGuard<S>>,
    out: &mut Vec<u8>,
) -> Inline {
    let (engine, shared, waker, now) = (cx.engine, cx.shared, cx.waker, cx.now);
    if let Some(fw) = shared.forward.as_ref().and_then(|f| f(&shared.state, &req)) {
        let client = req.client().clone();
        if shared.overloaded(&client) {
            engine.abandon(&req, DropReason::Overloaded, now);
            return Inline::Nothing;
        }
        let guard = InFlightGuard::new(shared.clone(), client);
        match up.start(req, fw, guard, now) {
            Ok(()) => return Inline::Nothing,
            // Not taken (no Identifier free): the handler forwards it.
            Err(r) => req = r,
        }
    }
    // `now` is the batch's receive time: inline work reads no clock of its own.
    let Some(handler) = shared.handler(req.code()) else {
        // The engine only dispatches codes that have a handler.
        engine.abandon(&req, DropReason::NoHandler, now);
        return Inline::Nothing;
    };
    let client = req.client().clone();
    if shared.overloaded(&client) {
        engine.abandon(&req, DropReason::Overloaded, now);
        return Inline::Nothing;
    }
    let span = span_for(&req);
    let first = {
        let _g = span.enter();
        call_and_poll(&**handler, req.clone(), &shared.state, waker)
    };
    let fut = match first {
        FirstPoll::Ready(reply) => {
            return span.in_scope(|| complete_inline(req, reply, engine, now, out));
        }
        FirstPoll::Panicked => {
            engine.abandon(&req, DropReason::HandlerPanic, now);
            return Inline::Nothing;
        }
        FirstPoll::Pending(f) => f,
    };
    // Slow path: run it as a task, bounded.
    let guard = InFlightGuard::new(shared.clone(), client);
    let (sock, later) = (cx.sock.clone(), cx.later.clone());
    let engine = engine.clone();
    let timeout = shared.config.handler_timeout;
    tokio::spawn(
        async move {
            let _guard = guard;
            // Left unsigned: the queue signs the replies it sends together
            // in one MD5 batch.
            if let Some((out, unsigned)) = finish_pending(fut, timeout, &engine, &req, true).await {
                let dst = req.source();
                let unsigned = unsigned.map(|(code, reply)| Unsigned { req, code, reply });
                later
                    .send_reply(&sock, &engine, dst, &out, unsigned, |f| {
                        send_failed(&engine, f.dst, &f.error)
                    })
                    .await;
            }
        }
        .instrument(span),
    );
    Inline::Nothing
}

/// Encode an inline reply; a RADIUS/1.0 one is left for its batch to sign.
pub(crate) fn complete_inline(
    req: Request,
    reply: Reply,
    engine: &Engine,
    now: Instant,
    out: &mut Vec<u8>,
) -> Inline {
    match engine.complete_deferred(&req, reply, now, out, true) {
        (Completion::Send(code), Some(reply)) => Inline::Unsigned(Unsigned { req, code, reply }),
        (Completion::Send(_), None) => Inline::Ready,
        (Completion::NoReply(_), _) => Inline::Nothing,
    }
}

pub(crate) struct InFlightGuard<S> {
    shared: Arc<Inner<S>>,
    _client: crate::host::InFlight,
}

impl<S> InFlightGuard<S> {
    fn new(shared: Arc<Inner<S>>, client: crate::Client) -> Self {
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlightGuard {
            shared,
            _client: client.track_in_flight(),
        }
    }
}

impl<S> Drop for InFlightGuard<S> {
    fn drop(&mut self) {
        self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
