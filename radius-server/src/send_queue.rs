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

use std::net::SocketAddr;
use std::sync::Mutex;

use tokio::net::UdpSocket;

use crate::batch::{SendBatch, SendFailure};

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
        mut failed: impl FnMut(SendFailure),
    ) {
        {
            let mut st = self.lock();
            st.queued.next_buf().extend_from_slice(data);
            st.queued.push(dst);
            if st.flushing {
                return;
            }
            st.flushing = true;
        }
        // Let the tasks woken with this one queue theirs first.
        tokio::task::yield_now().await;
        loop {
            let mut batch = {
                let mut st = self.lock();
                if st.queued.len() == 0 {
                    st.flushing = false;
                    return;
                }
                let fresh = st.spare.take().unwrap_or_else(|| self.empty_like());
                std::mem::replace(&mut st.queued, fresh)
            };
            batch.flush(sock, &mut failed).await;
            self.lock().spare = Some(batch);
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
