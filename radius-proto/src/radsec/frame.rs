//! Stream framing of RADIUS over TCP/TLS (RFC 6613 §2.1): packets follow
//! each other, each as long as its Length field says. Sans-IO: bytes in,
//! packets out.

use radius_core::packet::{MAX_PACKET_LEN, MIN_PACKET_LEN};

/// A Length field outside 20..=4096: the stream cannot be resynchronised,
/// so the connection must be closed (RFC 6613 §2.6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bad Length field {0} in stream (must be 20..=4096)")]
pub struct FrameError(pub usize);

/// Accumulates stream octets and yields whole packets.
#[derive(Debug)]
pub struct FrameBuf {
    buf: Vec<u8>,
    start: usize,
}

impl Default for FrameBuf {
    fn default() -> Self {
        FrameBuf {
            buf: Vec::with_capacity(2 * MAX_PACKET_LEN),
            start: 0,
        }
    }
}

impl FrameBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `more` octets at the end, moving returned packets' octets
    /// out first if the buffer would otherwise grow (or is all returned).
    fn compact_for(&mut self, more: usize) {
        if self.start > 0
            && (self.start == self.buf.len() || self.buf.capacity() - self.buf.len() < more)
        {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// Room to read into: call [`filled`](Self::filled) with how many octets
    /// were written to the returned slice's front.
    pub fn spare(&mut self, min: usize) -> &mut [u8] {
        self.compact_for(min);
        let len = self.buf.len();
        self.buf.resize(len + min, 0);
        &mut self.buf[len..]
    }

    /// Record that `n` octets of the last [`spare`](Self::spare) slice were filled.
    pub fn filled(&mut self, spare: usize, n: usize) {
        let keep = self.buf.len() - spare + n;
        self.buf.truncate(keep);
    }

    /// Append octets.
    pub fn extend(&mut self, data: &[u8]) {
        // As `spare` does: without this a stream that never ends on a
        // packet boundary would keep every octet it ever carried.
        self.compact_for(data.len());
        self.buf.extend_from_slice(data);
    }

    /// The next whole packet, if buffered; an error if the Length field is
    /// out of range (checked as soon as four octets are there).
    pub fn next_packet(&mut self) -> Result<Option<&[u8]>, FrameError> {
        let avail = &self.buf[self.start..];
        if avail.len() < 4 {
            return Ok(None);
        }
        let len = u16::from_be_bytes([avail[2], avail[3]]) as usize;
        if !(MIN_PACKET_LEN..=MAX_PACKET_LEN).contains(&len) {
            return Err(FrameError(len));
        }
        if avail.len() < len {
            return Ok(None);
        }
        let at = self.start;
        self.start += len;
        Ok(Some(&self.buf[at..at + len]))
    }

    /// Octets buffered but not yet returned.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Octets the buffer holds: [`pending`](Self::pending) ones plus those
    /// of returned packets not yet moved out (the memory it keeps).
    pub fn held(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(id: u8, len: usize) -> Vec<u8> {
        let mut p = vec![0u8; len];
        p[0] = 1;
        p[1] = id;
        p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        p
    }

    #[test]
    fn split_and_joined_packets() {
        let mut f = FrameBuf::new();
        let mut stream = pkt(1, 20);
        stream.extend(pkt(2, 38));
        stream.extend(pkt(3, 4096));
        for chunk in stream.chunks(7) {
            f.extend(chunk);
        }
        let mut ids = Vec::new();
        while let Some(p) = f.next_packet().unwrap() {
            ids.push((p[1], p.len()));
        }
        assert_eq!(ids, vec![(1, 20), (2, 38), (3, 4096)]);
        assert_eq!(f.pending(), 0);
    }

    #[test]
    fn bad_lengths() {
        for len in [0usize, 19, 4097, 65535] {
            let mut f = FrameBuf::new();
            f.extend(&[1, 1]);
            f.extend(&(len as u16).to_be_bytes());
            assert_eq!(f.next_packet(), Err(FrameError(len)));
        }
        let mut f = FrameBuf::new();
        f.extend(&[1, 1, 0]);
        assert_eq!(f.next_packet(), Ok(None));
    }

    #[test]
    fn extend_never_on_a_boundary_stays_bounded() {
        // Packets end at 25 + 30k, chunks at 30k: never all returned.
        let mut stream = pkt(0, 25);
        for i in 1..2000 {
            stream.extend(pkt(i as u8, 30));
        }
        let mut f = FrameBuf::new();
        let mut n = 0;
        for chunk in stream.chunks(30) {
            f.extend(chunk);
            while f.next_packet().unwrap().is_some() {
                n += 1;
            }
            assert!(f.held() <= 2 * MAX_PACKET_LEN, "{}", f.held());
        }
        assert_eq!(n, 2000);
    }

    #[test]
    fn spare_and_filled() {
        let mut f = FrameBuf::new();
        let p = pkt(9, 25);
        let s = f.spare(4096);
        s[..10].copy_from_slice(&p[..10]);
        f.filled(4096, 10);
        assert_eq!(f.next_packet(), Ok(None));
        let s = f.spare(4096);
        s[..15].copy_from_slice(&p[10..]);
        f.filled(4096, 15);
        assert_eq!(f.next_packet().unwrap().map(|p| p[1]), Some(9));
    }
}
