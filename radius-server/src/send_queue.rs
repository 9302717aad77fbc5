//! Datagrams that many tasks send on one socket, gathered into one
//! `sendmmsg` (and, for one destination and length, one UDP GSO train).
//!
//! Why: a proxied request is two sends (to the home server, then the
//! reply to the NAS) from tasks that wake together — the replies of one
//! receive batch wake their handlers at once — and each `sendto` costs a
//! system call and a trip through the UDP stack. The first task to queue
//! a datagram yields once, so the others woken with it queue theirs, and
//! then sends them all; the rest return at once. Measured in
//! scripts/side-by-side-proxy.sh (the figures are in the README).
//!
//! Replies of spawned handlers may be queued unsigned: the sending task
//! signs all of them in one MD5 batch (as the listener signs an inline
//! batch) and records them in the duplicate cache before they leave.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use radius_core::crypto::batch::sign_replies;
use radius_core::md5x::Md5Batch;
use radius_core::packet::UnsignedReply;
use radius_core::Code;
use tokio::net::UdpSocket;

use crate::batch::{SendBatch, SendFailure};
use crate::engine::Engine;
use crate::request::Request;

/// A reply queued unsigned (from [`Engine::complete_deferred`]).
pub(crate) struct Unsigned {
    /// The request it answers.
    pub(crate) req: Request,
    /// Its code.
    pub(crate) code: Code,
    /// How to sign it.
    pub(crate) reply: UnsignedReply,
}

/// The queue for one socket.
pub(crate) struct SendQueue {
    state: Mutex<State>,
    gso: bool,
    capacity: usize,
}

struct State {
    queued: SendBatch,
    /// The batch not in use, kept for its buffers.
    spare: Option<SendBatch>,
    /// The unsigned ones among `queued`, by index, in order.
    unsigned: Vec<(usize, Unsigned)>,
    /// Signing scratch, lent to the sending task.
    md5: Option<Md5Batch>,
    /// A task has taken it upon itself to send what is queued.
    flushing: bool,
}

impl SendQueue {
    /// A queue for `sock`, grouping datagrams (UDP GSO) when `gso` and the
    /// kernel can.
    pub(crate) fn new(sock: &UdpSocket, gso: bool, capacity: usize) -> Self {
        let mut queued = SendBatch::new(capacity);
        let gso = gso && queued.enable_gso(sock);
        SendQueue {
            state: Mutex::new(State {
                queued,
                spare: None,
                unsigned: Vec::new(),
                md5: Some(Md5Batch::default()),
                flushing: false,
            }),
            gso,
            capacity,
        }
    }

    /// Send `data` to `dst` on `sock` (the socket this queue was made for),
    /// together with what other tasks queue meanwhile. Returns once it is
    /// queued or sent; `failed` hears of datagrams the kernel refused among
    /// those this call sent (any task's).
    pub(crate) async fn send(
        &self,
        sock: &UdpSocket,
        dst: SocketAddr,
        data: &[u8],
        failed: impl FnMut(SendFailure),
    ) {
        if self.enqueue(dst, data, None) {
            self.flush(sock, None, failed).await;
        }
    }

    /// [`send`](Self::send) for a reply of `engine`'s, signed here (with
    /// the others queued unsigned) when `unsigned` says it is not yet.
    pub(crate) async fn send_reply(
        &self,
        sock: &UdpSocket,
        engine: &Engine,
        dst: SocketAddr,
        data: &[u8],
        unsigned: Option<Unsigned>,
        failed: impl FnMut(SendFailure),
    ) {
        if self.enqueue(dst, data, unsigned) {
            self.flush(sock, Some(engine), failed).await;
        }
    }

    /// Queue one datagram; whether this caller is to send the queue.
    fn enqueue(&self, dst: SocketAddr, data: &[u8], unsigned: Option<Unsigned>) -> bool {
        let mut st = self.lock();
        let slot = st.queued.len();
        st.queued.next_buf().extend_from_slice(data);
        st.queued.push(dst);
        if let Some(u) = unsigned {
            st.unsigned.push((slot, u));
        }
        !std::mem::replace(&mut st.flushing, true)
    }

    async fn flush(
        &self,
        sock: &UdpSocket,
        engine: Option<&Engine>,
        mut failed: impl FnMut(SendFailure),
    ) {
        // Let the tasks woken with this one queue theirs first.
        tokio::task::yield_now().await;
        let mut unsigned = Vec::new();
        loop {
            let (mut batch, mut md5) = {
                let mut st = self.lock();
                if st.queued.len() == 0 {
                    st.flushing = false;
                    return;
                }
                let fresh = st.spare.take().unwrap_or_else(|| self.empty_like());
                std::mem::swap(&mut st.unsigned, &mut unsigned);
                (std::mem::replace(&mut st.queued, fresh), st.md5.take())
            };
            // Only `send_reply` queues unsigned replies, and it names the engine.
            if let (false, Some(engine)) = (unsigned.is_empty(), engine) {
                let md5 = md5.get_or_insert_with(Md5Batch::default);
                sign_queued(&mut batch, &unsigned, md5, engine, Instant::now());
            }
            unsigned.clear();
            batch.flush(sock, &mut failed).await;
            let mut st = self.lock();
            st.spare = Some(batch);
            st.md5 = md5;
        }
    }

    fn empty_like(&self) -> SendBatch {
        let mut b = SendBatch::new(self.capacity);
        b.set_gso(self.gso);
        b
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Sign the `unsigned` replies among `batch`'s datagrams (each with its
/// index there, in order) in one MD5 batch, and record them as sent in
/// `engine`'s duplicate cache, before they leave, so a fast retransmission
/// finds them. The listener does this for each inline batch, and a queue
/// for the replies of spawned handlers.
pub(crate) fn sign_queued(
    batch: &mut SendBatch,
    unsigned: &[(usize, Unsigned)],
    md5: &mut Md5Batch,
    engine: &Engine,
    now: Instant,
) {
    let bufs = batch.queued_mut();
    {
        let mut items = Vec::with_capacity(unsigned.len());
        let mut next = unsigned.iter().peekable();
        for (slot, buf) in bufs.iter_mut().enumerate() {
            if let Some((_, u)) = next.next_if(|(s, _)| *s == slot) {
                items.push(u.reply.to_sign(buf, u.req.client().secret()));
            }
        }
        sign_replies(&mut items, md5);
    }
    engine.finish_sent(
        unsigned
            .iter()
            .map(|(slot, u)| (&u.req, u.code, &bufs[*slot][..])),
        now,
    );
}
