//! Batched datagram I/O for the UDP listener: up to [`BATCH`] datagrams per
//! system call with `recvmmsg`/`sendmmsg` on Linux, one at a time elsewhere.
//!
//! Why: with the handler answered inline, a request costs about 5 µs of
//! server CPU, and the two system calls' entry, exit and file lookup are a
//! measurable part of it; a loaded listener finds many datagrams queued at
//! each wakeup, so one call can move them all. (The figures are in the
//! `radius bench` notes of the repository's README.)
//!
//! Replies of one length to one client in the same batch go out as one
//! message with a `UDP_SEGMENT` control message (UDP GSO, Linux 4.18+): the
//! kernel routes and delivers one packet and splits it into the separate
//! datagrams at the end. Measured with `radius bench -c 64` (8 client
//! sockets): 3.26–3.33 µs of server CPU per request instead of 3.54–3.68.
//!
//! The message headers are built on the stack for each call, pointing into
//! buffers this module owns, so nothing holding raw pointers outlives a call.

use std::io;
use std::net::SocketAddr;

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
///
/// With segmentation offload (Linux UDP GSO, probed per socket), replies of
/// one size to one client go out as one datagram train: the kernel routes,
/// builds and delivers one packet and splits it into the original
/// datagrams at the end (the client sees ordinary datagrams). A busy NAS
/// sends from few ports with many requests in flight, so a batch often
/// holds several replies to the same port.
pub(crate) struct SendBatch {
    bufs: Vec<Vec<u8>>,
    dsts: Vec<SocketAddr>,
    /// Queued reply numbers, grouped by destination and length.
    order: Vec<u16>,
    /// Runs of `order` sent as one message: (first position, count).
    groups: Vec<(u16, u16)>,
    /// Whether replies may be grouped (the kernel supports it and it has
    /// not failed on this socket).
    gso: bool,
}

/// A datagram the kernel refused (the others were still sent).
pub(crate) struct SendFailure {
    /// Where the datagram was going.
    pub(crate) dst: SocketAddr,
    /// Why it could not be sent.
    pub(crate) error: io::Error,
}

/// Replies longer than this are never grouped: a group's segment plus
/// headers must fit the path MTU, which is unknown here; this fits the
/// IPv6 minimum (1280).
const GSO_MAX_SEGMENT: usize = 1200;

/// At most this many octets in one group (a UDP datagram's limit, with room).
const GSO_MAX_BYTES: usize = 60_000;

impl SendBatch {
    /// An empty batch with room for [`BATCH`] replies, without grouping.
    pub(crate) fn new(reply_capacity: usize) -> Self {
        SendBatch {
            bufs: (0..BATCH)
                .map(|_| Vec::with_capacity(reply_capacity))
                .collect(),
            dsts: Vec::with_capacity(BATCH),
            order: Vec::with_capacity(BATCH),
            groups: Vec::with_capacity(BATCH),
            gso: false,
        }
    }

    /// Group replies to one destination if `sock`'s kernel can (returns
    /// whether it can).
    pub(crate) fn enable_gso(&mut self, sock: &UdpSocket) -> bool {
        self.gso = sys::gso_supported(sock);
        self.gso
    }

    /// Group (or not) without probing again: for a second batch of a
    /// socket already probed with [`enable_gso`](Self::enable_gso).
    pub(crate) fn set_gso(&mut self, on: bool) {
        self.gso = on;
    }

    /// The buffer the next reply is written into (cleared). It is sent only
    /// if [`push`](Self::push) follows. More than [`BATCH`] replies may be
    /// queued; they go out [`BATCH`] messages per system call.
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
        self.dsts.push(dst);
    }

    /// Fill `order` and `groups`: every reply once; with grouping, replies
    /// of one length to one destination together, up to the limits.
    fn plan(&mut self) {
        let n = self.dsts.len();
        self.order.clear();
        self.groups.clear();
        self.order.extend(0..n as u16);
        if !self.gso || n < 2 {
            self.groups.extend((0..n as u16).map(|i| (i, 1)));
            return;
        }
        let (dsts, bufs) = (&self.dsts, &self.bufs);
        self.order
            .sort_unstable_by_key(|&i| (dsts[i as usize], bufs[i as usize].len(), i));
        let mut i = 0;
        while i < n {
            let first = self.order[i] as usize;
            let (dst, len) = (dsts[first], bufs[first].len());
            let mut k = 1;
            if (1..=GSO_MAX_SEGMENT).contains(&len) {
                while i + k < n
                    && k < BATCH
                    && (k + 1) * len <= GSO_MAX_BYTES
                    && dsts[self.order[i + k] as usize] == dst
                    && bufs[self.order[i + k] as usize].len() == len
                {
                    k += 1;
                }
            }
            self.groups.push((i as u16, k as u16));
            i += k;
        }
    }

    /// Send every queued reply, waiting for socket space if needed; calls
    /// `failed` for each datagram the kernel refused, and empties the batch.
    /// Returns how many datagrams went out in groups.
    pub(crate) async fn flush(
        &mut self,
        sock: &UdpSocket,
        mut failed: impl FnMut(SendFailure),
    ) -> u64 {
        self.plan();
        let mut grouped = 0;
        let mut g = 0;
        while g < self.groups.len() {
            let (bufs, dsts, order, groups) =
                (&self.bufs, &self.dsts, &self.order, &self.groups[g..]);
            let r = sock
                .async_io(Interest::WRITABLE, || {
                    sys::send(sock, bufs, dsts, order, groups)
                })
                .await;
            match r {
                Ok(k) => {
                    for &(_, count) in &self.groups[g..g + k] {
                        if count > 1 {
                            grouped += count as u64;
                        }
                    }
                    g += k.max(1);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    let (first, count) = self.groups[g];
                    if count > 1 {
                        // The kernel refused the group (a device without
                        // checksum offload, IPsec, an unusual MTU): send
                        // its datagrams one by one, and stop grouping here.
                        // Rare (grouping stays off afterwards): worth an
                        // operator's notice, with where it was going.
                        let dst = self.dsts[self.order[first as usize] as usize];
                        tracing::info!(
                            %dst,
                            "UDP segmentation offload refused ({error}); this socket sends replies singly from now on"
                        );
                        self.gso = false;
                        self.groups
                            .splice(g..=g, (first..first + count).map(|p| (p, 1)));
                        continue;
                    }
                    // The datagram's own failure (unreachable destination
                    // ...): report it and go on with the rest.
                    let dst = self.dsts[self.order[first as usize] as usize];
                    failed(SendFailure { dst, error });
                    g += 1;
                }
            }
        }
        self.dsts.clear();
        grouped
    }
}

/// Raise a socket's receive buffer to `size` even past the system's
/// `net.core.rmem_max` when the process may (root or CAP_NET_ADMIN), as
/// a listener must absorb bursts and the scheduler's pauses under flood
/// (the default maximum, 208 KiB, holds about 250 short datagrams: under
/// a millisecond of a flood). Whether it was raised.
pub(crate) fn force_recv_buffer(sock: &socket2::Socket, size: usize) -> bool {
    sys::force_recv_buffer(sock, size)
}

/// What the kernel holds at a socket right now (Linux `SO_MEMINFO`):
/// `None` where that cannot be read.
pub(crate) fn backlog(sock: &UdpSocket) -> Option<Backlog> {
    sys::backlog(sock)
}

/// A socket's receive side as the kernel accounts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backlog {
    /// Octets queued, counted as the kernel charges them (each datagram's
    /// buffer overhead included, so about 1 KiB per short datagram).
    pub(crate) queued: u32,
    /// The receive buffer those count against.
    pub(crate) limit: u32,
    /// Datagrams dropped at the socket since it was made.
    pub(crate) drops: u32,
}

/// The only `unsafe` in this crate: the system calls and their C
/// structs. Measured reason: see the module docs.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod sys {
    use std::io;
    use std::mem::{size_of, zeroed};
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
    use std::os::fd::AsRawFd;

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

    /// Raise the receive buffer past `net.core.rmem_max` (SO_RCVBUFFORCE,
    /// which needs CAP_NET_ADMIN); whether the kernel allowed it.
    pub(crate) fn force_recv_buffer(fd: &impl AsRawFd, size: usize) -> bool {
        let v = size.min(i32::MAX as usize) as libc::c_int;
        // SAFETY: a plain setsockopt with a pointer to a live c_int and its size.
        let r = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                (&v as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        r == 0
    }

    /// One `getsockopt(SO_MEMINFO)`.
    pub(super) fn backlog(sock: &UdpSocket) -> Option<super::Backlog> {
        let mut v = [0u32; 9];
        let mut len = size_of::<[u32; 9]>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` octets into the live
        // array `v` and stores how many it wrote in `len`.
        let r = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_MEMINFO,
                v.as_mut_ptr().cast(),
                &mut len,
            )
        };
        // Kernels before 4.x report fewer fields; the drops come last.
        let have = len as usize / size_of::<u32>();
        (r == 0 && have > libc::SK_MEMINFO_DROPS as usize).then(|| super::Backlog {
            queued: v[libc::SK_MEMINFO_RMEM_ALLOC as usize],
            limit: v[libc::SK_MEMINFO_RCVBUF as usize],
            drops: v[libc::SK_MEMINFO_DROPS as usize],
        })
    }

    /// `UDP_SEGMENT` (linux/udp.h; not in the libc crate for glibc).
    const UDP_SEGMENT: libc::c_int = 103;

    /// Whether the kernel segments UDP (Linux 4.18+): setting the socket's
    /// default segment size to 0 (off) succeeds only then. Older kernels
    /// ignore the control message instead of refusing it, so this probe
    /// must come first.
    pub(super) fn gso_supported(sock: &UdpSocket) -> bool {
        let off: libc::c_int = 0;
        // SAFETY: a plain setsockopt with a pointer to a live c_int and its size.
        let r = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_UDP,
                UDP_SEGMENT,
                (&off as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        r == 0
    }

    /// Room for one `UDP_SEGMENT` control message (CMSG_SPACE of a u16).
    type Control = [u64; 3];

    /// One `sendmmsg` of `groups` (runs of `order`, indices into `bufs` and
    /// `dsts`), one message per group, segmented when it holds more than
    /// one datagram: how many groups were sent.
    pub(super) fn send(
        sock: &UdpSocket,
        bufs: &[Vec<u8>],
        dsts: &[SocketAddr],
        order: &[u16],
        groups: &[(u16, u16)],
    ) -> io::Result<usize> {
        let n = groups.len().min(BATCH);
        // SAFETY: all-zero is a valid value of these plain C structs.
        let mut names: [libc::sockaddr_in6; BATCH] = unsafe { zeroed() };
        let mut iovs: [libc::iovec; BATCH] = unsafe { zeroed() };
        let mut controls: [Control; BATCH] = [[0; 3]; BATCH];
        let mut hdrs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        let mut used = 0;
        for (g, &(first, count)) in groups[..n].iter().enumerate() {
            let (first, count) = (first as usize, count as usize);
            if used + count > BATCH {
                // Out of iovecs for this call (g > 0: a group holds at
                // most BATCH): the rest go in the next.
                return finish(sock, &mut hdrs[..g]);
            }
            for (k, &i) in order[first..first + count].iter().enumerate() {
                iovs[used + k].iov_base = bufs[i as usize].as_ptr().cast_mut().cast();
                iovs[used + k].iov_len = bufs[i as usize].len();
            }
            let dst = dsts[order[first] as usize];
            let h = &mut hdrs[g].msg_hdr;
            h.msg_name = (&mut names[g] as *mut libc::sockaddr_in6).cast();
            h.msg_namelen = write_name(dst, &mut names[g]);
            h.msg_iov = &mut iovs[used];
            h.msg_iovlen = count as _; // size_t on glibc, int on musl
            if count > 1 {
                let seg = bufs[order[first] as usize].len() as u16;
                h.msg_control = controls[g].as_mut_ptr().cast();
                // SAFETY: CMSG_SPACE is a size computation.
                h.msg_controllen = unsafe { libc::CMSG_SPACE(size_of::<u16>() as u32) } as _;
                // SAFETY: msg_control points at `controls[g]`, 24 octets,
                // 8-aligned, at least CMSG_SPACE(2) = 16; CMSG_FIRSTHDR
                // returns its start and CMSG_DATA a place within it.
                unsafe {
                    let c = libc::CMSG_FIRSTHDR(h);
                    (*c).cmsg_level = libc::SOL_UDP;
                    (*c).cmsg_type = UDP_SEGMENT;
                    (*c).cmsg_len = libc::CMSG_LEN(size_of::<u16>() as u32) as _;
                    libc::CMSG_DATA(c).cast::<u16>().write_unaligned(seg);
                }
            }
            used += count;
        }
        finish(sock, &mut hdrs[..n])
    }

    /// The `sendmmsg` call itself over prepared headers.
    fn finish(sock: &UdpSocket, hdrs: &mut [libc::mmsghdr]) -> io::Result<usize> {
        // SAFETY: each header points at live buffers, a socket address (with
        // its true length) and, for groups, a control message, all of which
        // outlive the call; the kernel only reads them (and writes each
        // header's msg_len).
        let r = unsafe {
            libc::sendmmsg(
                sock.as_raw_fd(),
                hdrs.as_mut_ptr(),
                hdrs.len() as libc::c_uint,
                libc::MSG_DONTWAIT,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(r as usize)
    }

    /// `dst` in the kernel's form, in room sized for either family; returns
    /// its length.
    fn write_name(dst: SocketAddr, room: &mut libc::sockaddr_in6) -> libc::socklen_t {
        match dst {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from(*a.ip()).to_be(),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_in (16 octets) fits in sockaddr_in6 (28),
                // whose alignment is at least as strict.
                unsafe {
                    (room as *mut libc::sockaddr_in6)
                        .cast::<libc::sockaddr_in>()
                        .write(sin)
                };
                size_of::<libc::sockaddr_in>() as libc::socklen_t
            }
            SocketAddr::V6(a) => {
                *room = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                };
                size_of::<libc::sockaddr_in6>() as libc::socklen_t
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    use std::io;

    pub(crate) fn force_recv_buffer<T>(_: &T, _: usize) -> bool {
        false
    }
    use std::net::SocketAddr;

    use tokio::net::UdpSocket;

    pub(super) fn gso_supported(_: &UdpSocket) -> bool {
        false
    }

    pub(super) fn backlog(_: &UdpSocket) -> Option<super::Backlog> {
        None
    }

    pub(super) fn recv(
        sock: &UdpSocket,
        bufs: &mut [Vec<u8>],
        got: &mut Vec<(usize, SocketAddr)>,
    ) -> io::Result<()> {
        got.push(sock.try_recv_from(&mut bufs[0])?);
        Ok(())
    }

    pub(super) fn send(
        sock: &UdpSocket,
        bufs: &[Vec<u8>],
        dsts: &[SocketAddr],
        order: &[u16],
        groups: &[(u16, u16)],
    ) -> io::Result<usize> {
        let i = order[groups[0].0 as usize] as usize;
        sock.try_send_to(&bufs[i], dsts[i]).map(|_| 1)
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

    /// Receive one datagram per call on `p` until `n` arrived (or time out).
    async fn recv_n(p: &UdpSocket, n: usize) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 2048];
        while got.len() < n {
            let r = tokio::time::timeout(std::time::Duration::from_secs(5), p.recv(&mut buf));
            let len = r.await.expect("datagram in time").unwrap();
            got.push(buf[..len].to_vec());
        }
        got
    }

    #[tokio::test]
    async fn replies_to_one_client_go_out_grouped_and_arrive_as_separate_datagrams() {
        grouped_replies("127.0.0.1:0").await;
        if std::net::UdpSocket::bind("[::1]:0").is_ok() {
            grouped_replies("[::1]:0").await;
        } else {
            eprintln!("no IPv6 loopback: IPv4 only");
        }
    }

    async fn grouped_replies(bind: &str) {
        let server = UdpSocket::bind(bind).await.unwrap();
        let mut tx = SendBatch::new(64);
        if !tx.enable_gso(&server) {
            eprintln!("kernel without UDP segmentation offload: nothing to test");
            return;
        }
        let a = UdpSocket::bind(bind).await.unwrap();
        let b = UdpSocket::bind(bind).await.unwrap();
        let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        // Interleaved: ten 20-octet replies to a, then a 21-octet one; five
        // 20-octet replies to b; two of 1300 octets to b (too long to group).
        let mut sent = Vec::new();
        for n in 0..10u8 {
            sent.push((aa, vec![n; 20]));
            if n < 5 {
                sent.push((ba, vec![n; 20]));
            }
        }
        sent.extend([
            (aa, vec![0xee; 21]),
            (ba, vec![0xee; 1300]),
            (ba, vec![0xef; 1300]),
        ]);
        for (dst, d) in &sent {
            tx.next_buf().extend_from_slice(d);
            tx.push(*dst);
        }
        let want = |to: SocketAddr| {
            let mut w: Vec<Vec<u8>> = sent
                .iter()
                .filter(|(d, _)| *d == to)
                .map(|(_, b)| b.clone())
                .collect();
            w.sort();
            w
        };
        let (want_a, want_b) = (want(aa), want(ba));
        let mut failures = Vec::new();
        let grouped = tx.flush(&server, |f| failures.push(f.dst)).await;
        assert!(failures.is_empty());
        assert_eq!(
            grouped, 15,
            "a's ten and b's five short replies in two groups"
        );
        let mut got_a = recv_n(&a, want_a.len()).await;
        let mut got_b = recv_n(&b, want_b.len()).await;
        got_a.sort();
        got_b.sort();
        assert_eq!((got_a, got_b), (want_a, want_b));
        // Nothing more: no datagram was sent twice.
        let mut buf = [0u8; 64];
        assert!(a.try_recv(&mut buf).is_err() && b.try_recv(&mut buf).is_err());
    }

    #[tokio::test]
    async fn a_refused_group_is_retried_singly_and_each_failure_reported() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut tx = SendBatch::new(64);
        if !tx.enable_gso(&server) {
            return;
        }
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let refused: SocketAddr = "127.0.0.1:0".parse().unwrap();
        for dst in [
            refused,
            a.local_addr().unwrap(),
            refused,
            a.local_addr().unwrap(),
        ] {
            tx.next_buf().extend_from_slice(&[7; 30]);
            tx.push(dst);
        }
        let mut failures = Vec::new();
        // Port 0 sorts first and is refused: that group of two is split and
        // each datagram's failure reported; a's group (already planned) still
        // goes out whole; grouping is off from then on.
        assert_eq!(tx.flush(&server, |f| failures.push(f.dst)).await, 2);
        assert_eq!(failures, vec![refused, refused]);
        assert_eq!(recv_n(&a, 2).await, vec![vec![7; 30], vec![7; 30]]);
        assert!(!tx.gso);
    }
}
