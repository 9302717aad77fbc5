//! Batched datagram I/O for the UDP listener: up to [`BATCH`] datagrams per
//! system call with `recvmmsg`/`sendmmsg` on Linux, one at a time elsewhere.
//!
//! Why: with the handler answered inline, a request costs about 5 µs of
//! server CPU, and the two system calls' entry, exit and file lookup are a
//! measurable part of it; a loaded listener finds many datagrams queued at
//! each wakeup, so one call can move them all. (The figures are in the
//! `radius bench` notes of the repository's README.)
//!
//! The message headers are built on the stack for each call, pointing into
//! buffers this module owns, so nothing holding raw pointers outlives a call.

use std::io;
use std::net::SocketAddr;

use socket2::SockAddr;
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams moved per system call at most.
pub(crate) const BATCH: usize = 32;

/// Receive buffers for one batch, reused for the life of the listener.
pub(crate) struct RecvBatch {
    bufs: Vec<Vec<u8>>,
    got: Vec<(usize, SocketAddr)>,
}

impl RecvBatch {
    /// Buffers for [`BATCH`] datagrams of up to `max_len` octets.
    pub(crate) fn new(max_len: usize) -> Self {
        RecvBatch {
            bufs: (0..BATCH).map(|_| vec![0; max_len]).collect(),
            got: Vec::with_capacity(BATCH),
        }
    }

    /// Receive what is queued (at least one datagram), without waiting:
    /// `WouldBlock` when nothing is. Returns how many arrived.
    pub(crate) fn try_recv(&mut self, sock: &UdpSocket) -> io::Result<usize> {
        self.got.clear();
        let RecvBatch { bufs, got } = self;
        sock.try_io(Interest::READABLE, || sys::recv(sock, bufs, got))?;
        Ok(got.len())
    }

    /// Datagram `i` of the last [`try_recv`](Self::try_recv) and its sender.
    pub(crate) fn get(&self, i: usize) -> (&[u8], SocketAddr) {
        let (n, src) = self.got[i];
        // A datagram longer than the buffer was truncated to it.
        (&self.bufs[i][..n.min(self.bufs[i].len())], src)
    }

    /// How many datagrams the last call received.
    pub(crate) fn len(&self) -> usize {
        self.got.len()
    }
}

/// Replies queued during one batch, sent together by [`flush`](Self::flush).
pub(crate) struct SendBatch {
    bufs: Vec<Vec<u8>>,
    /// Destinations, already in the kernel's form.
    dsts: Vec<SockAddr>,
}

/// A datagram the kernel refused (the others were still sent).
pub(crate) struct SendFailure {
    /// Where the datagram was going.
    pub(crate) dst: SocketAddr,
    /// Why it could not be sent.
    pub(crate) error: io::Error,
}

impl SendBatch {
    /// An empty batch with room for [`BATCH`] replies.
    pub(crate) fn new(reply_capacity: usize) -> Self {
        SendBatch {
            bufs: (0..BATCH)
                .map(|_| Vec::with_capacity(reply_capacity))
                .collect(),
            dsts: Vec::with_capacity(BATCH),
        }
    }

    /// The buffer the next reply is written into (cleared). It is sent only
    /// if [`push`](Self::push) follows. More than [`BATCH`] replies may be
    /// queued; they go out [`BATCH`] per system call.
    pub(crate) fn next_buf(&mut self) -> &mut Vec<u8> {
        let n = self.dsts.len();
        if n == self.bufs.len() {
            let cap = self.bufs[0].capacity();
            self.bufs.push(Vec::with_capacity(cap));
        }
        let b = &mut self.bufs[n];
        b.clear();
        b
    }

    /// Replies queued.
    pub(crate) fn len(&self) -> usize {
        self.dsts.len()
    }

    /// The queued replies' octets (to sign them in place before sending).
    pub(crate) fn queued_mut(&mut self) -> &mut [Vec<u8>] {
        let n = self.dsts.len();
        &mut self.bufs[..n]
    }

    /// Queue the reply just written by [`next_buf`](Self::next_buf) for `dst`.
    pub(crate) fn push(&mut self, dst: SocketAddr) {
        self.dsts.push(SockAddr::from(dst));
    }

    /// Send every queued reply, waiting for socket space if needed; calls
    /// `failed` for each datagram the kernel refused, and empties the batch.
    pub(crate) async fn flush(&mut self, sock: &UdpSocket, mut failed: impl FnMut(SendFailure)) {
        let mut start = 0;
        while start < self.dsts.len() {
            let (bufs, dsts) = (&self.bufs[start..self.dsts.len()], &self.dsts[start..]);
            let r = sock
                .async_io(Interest::WRITABLE, || sys::send(sock, bufs, dsts))
                .await;
            match r {
                Ok(n) => start += n.max(1),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    // The first datagram's own failure (unreachable
                    // destination ...): report it and go on with the rest.
                    if let Some(dst) = self.dsts[start].as_socket() {
                        failed(SendFailure { dst, error });
                    }
                    start += 1;
                }
            }
        }
        self.dsts.clear();
    }
}

/// The only `unsafe` in this crate: the two system calls and their C
/// structs. Measured reason: see the module docs.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod sys {
    use std::io;
    use std::mem::{size_of, zeroed};
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
    use std::os::fd::AsRawFd;

    use socket2::SockAddr;
    use tokio::net::UdpSocket;

    use super::BATCH;

    /// One `recvmmsg` into `bufs`; appends (length, sender) to `got`.
    pub(super) fn recv(
        sock: &UdpSocket,
        bufs: &mut [Vec<u8>],
        got: &mut Vec<(usize, SocketAddr)>,
    ) -> io::Result<()> {
        let n = bufs.len().min(BATCH);
        // SAFETY: all-zero is a valid value of these plain C structs.
        let mut names: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
        let mut iovs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for i in 0..n {
            iovs[i].iov_base = bufs[i].as_mut_ptr().cast();
            iovs[i].iov_len = bufs[i].len();
            let h = &mut hdrs[i].msg_hdr;
            h.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut iovs[i];
            h.msg_iovlen = 1;
        }
        // SAFETY: the first `n` headers point at `n` live, writable buffers
        // (iovecs sized to their Vec's length) and address slots of the
        // size given; all of them outlive the call, and the kernel writes
        // only within those bounds.
        let r = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                hdrs.as_mut_ptr(),
                n as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        for i in 0..r as usize {
            // Only AF_INET/AF_INET6 senders exist on a UDP socket.
            if let Some(src) = socket_addr(&names[i], hdrs[i].msg_hdr.msg_namelen) {
                got.push((hdrs[i].msg_len as usize, src));
            }
        }
        Ok(())
    }

    fn socket_addr(ss: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
        let len = len as usize;
        match ss.ss_family as libc::c_int {
            libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
                // SAFETY: the kernel filled a sockaddr_in (family and length
                // checked); sockaddr_storage is sized and aligned for it.
                let a =
                    unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                    u16::from_be(a.sin_port),
                )))
            }
            libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
                // SAFETY: as above, for sockaddr_in6.
                let a =
                    unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(a.sin6_addr.s6_addr),
                    u16::from_be(a.sin6_port),
                    a.sin6_flowinfo,
                    a.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    /// One `sendmmsg` of `bufs[i]` to `dsts[i]`: how many were sent.
    pub(super) fn send(sock: &UdpSocket, bufs: &[Vec<u8>], dsts: &[SockAddr]) -> io::Result<usize> {
        let n = dsts.len().min(bufs.len()).min(BATCH);
        // SAFETY: all-zero is a valid value of these plain C structs.
        let mut iovs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for i in 0..n {
            iovs[i].iov_base = bufs[i].as_ptr().cast_mut().cast();
            iovs[i].iov_len = bufs[i].len();
            let h = &mut hdrs[i].msg_hdr;
            h.msg_name = dsts[i].as_ptr().cast_mut().cast();
            h.msg_namelen = dsts[i].len();
            h.msg_iov = &mut iovs[i];
            h.msg_iovlen = 1;
        }
        // SAFETY: the first `n` headers point at live buffers and socket
        // addresses (with their true lengths) that outlive the call; the
        // kernel only reads them (and writes each header's msg_len).
        let r = unsafe {
            libc::sendmmsg(
                sock.as_raw_fd(),
                hdrs.as_mut_ptr(),
                n as libc::c_uint,
                libc::MSG_DONTWAIT,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(r as usize)
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    use std::io;
    use std::net::SocketAddr;

    use socket2::SockAddr;
    use tokio::net::UdpSocket;

    pub(super) fn recv(
        sock: &UdpSocket,
        bufs: &mut [Vec<u8>],
        got: &mut Vec<(usize, SocketAddr)>,
    ) -> io::Result<()> {
        got.push(sock.try_recv_from(&mut bufs[0])?);
        Ok(())
    }

    pub(super) fn send(sock: &UdpSocket, bufs: &[Vec<u8>], dsts: &[SockAddr]) -> io::Result<usize> {
        let dst = dsts[0]
            .as_socket()
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        sock.try_send_to(&bufs[0], dst).map(|_| 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batches_keep_each_datagram_with_its_sender_and_skip_refused_sends() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let mut peers = Vec::new();
        for _ in 0..3 {
            peers.push(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        }
        // 40 datagrams: more than one batch, interleaved senders, distinct sizes.
        for n in 0..40u8 {
            let p = &peers[n as usize % 3];
            p.send_to(&vec![n; 1 + n as usize], addr).await.unwrap();
        }
        let mut rx = RecvBatch::new(64);
        let mut tx = SendBatch::new(64);
        let mut seen = Vec::new();
        let mut failures = Vec::new();
        while seen.len() < 40 {
            server.readable().await.unwrap();
            match rx.try_recv(&server) {
                Ok(k) => assert!((1..=BATCH).contains(&k)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
            for i in 0..rx.len() {
                let (data, src) = rx.get(i);
                let n = data[0];
                assert_eq!(data, &vec![n; 1 + n as usize][..]);
                assert_eq!(src, peers[n as usize % 3].local_addr().unwrap());
                seen.push(n);
                // Echo it back, with an unsendable destination in between.
                tx.next_buf().extend_from_slice(data);
                tx.push(src);
                if n == 5 {
                    tx.next_buf().push(0);
                    tx.push("127.0.0.1:0".parse().unwrap());
                }
            }
            tx.flush(&server, |f| failures.push(f.dst)).await;
        }
        // Port 0 is refused (EINVAL) and reported, once.
        assert_eq!(failures, vec!["127.0.0.1:0".parse::<SocketAddr>().unwrap()]);
        seen.sort();
        assert_eq!(seen, (0..40).collect::<Vec<u8>>());
        // Every echo arrives, at the right peer, despite the refused datagram.
        for (k, p) in peers.iter().enumerate() {
            let mut buf = [0u8; 64];
            for n in (0..40u8).filter(|n| *n as usize % 3 == k) {
                let (len, from) = p.recv_from(&mut buf).await.unwrap();
                assert_eq!(from, addr);
                assert_eq!(&buf[..len], &vec![n; 1 + n as usize][..]);
            }
        }
    }
}
