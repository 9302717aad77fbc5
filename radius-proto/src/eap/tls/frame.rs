//! The EAP-TLS record layer (RFC 5216 §2.1.5, §3.1), shared by EAP-TLS,
//! PEAP and TTLS: a Flags octet (L: length included, M: more fragments,
//! S: start; PEAP and TTLS put their version in the low three bits), an
//! optional 4-octet TLS Message Length, and a fragment of TLS records.
//!
//! [`Frames`] reassembles the peer's fragments (answering each with an
//! empty ACK request), bounded in total size, and cuts the server's TLS
//! output into fragments of at most `fragment_size` TLS octets, sent one
//! per round as the peer ACKs.

/// Flags: the TLS Message Length field is present.
pub const FLAG_LENGTH: u8 = 0x80;
/// Flags: more fragments follow.
pub const FLAG_MORE: u8 = 0x40;
/// Flags: start of the method (server's first request).
pub const FLAG_START: u8 = 0x20;
/// Flags: the version bits PEAP and TTLS use.
pub const VERSION_MASK: u8 = 0x07;

/// Why a peer's EAP-TLS data was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// No Flags octet.
    #[error("EAP-TLS data without its Flags octet")]
    Empty,
    /// L set but fewer than 4 octets of length.
    #[error("EAP-TLS Length flag without a 4-octet length")]
    ShortLength,
    /// The announced or received message exceeds the bound.
    #[error("TLS message of {0} octets exceeds the {1}-octet reassembly limit")]
    TooLong(usize, usize),
    /// More data than the TLS Message Length announced.
    #[error("EAP-TLS fragments exceed the announced length {0}")]
    PastLength(usize),
    /// The peer sent data while the server still had fragments to send.
    #[error("peer sent TLS data instead of acknowledging a fragment")]
    NotAnAck,
}

/// What one peer response amounts to.
#[derive(Debug, PartialEq, Eq)]
pub enum Inbound {
    /// An empty response: the ACK of a server fragment (or of the server's
    /// last flight).
    Ack,
    /// A fragment with M set: answer with [`Frames::ack`] and wait.
    More,
    /// A whole TLS message (all fragments joined).
    Message(Vec<u8>),
}

/// Reassembly and fragmentation state of one conversation.
#[derive(Debug)]
pub struct Frames {
    incoming: Vec<u8>,
    expected: Option<usize>,
    outgoing: Vec<u8>,
    sent: usize,
    fragment: usize,
    max_in: usize,
}

impl Frames {
    /// Fragments of at most `fragment` TLS octets out; at most `max_in`
    /// octets reassembled in.
    pub fn new(fragment: usize, max_in: usize) -> Frames {
        Frames {
            incoming: Vec::new(),
            expected: None,
            outgoing: Vec::new(),
            sent: 0,
            fragment: fragment.max(64),
            max_in,
        }
    }

    /// Take one peer response's Type-Data (Flags onwards).
    pub fn receive(&mut self, data: &[u8]) -> Result<Inbound, FrameError> {
        let (&flags, mut rest) = data.split_first().ok_or(FrameError::Empty)?;
        if flags & FLAG_LENGTH != 0 {
            let l: [u8; 4] = rest
                .get(..4)
                .and_then(|l| l.try_into().ok())
                .ok_or(FrameError::ShortLength)?;
            rest = &rest[4..];
            let total = u32::from_be_bytes(l) as usize;
            if total > self.max_in {
                return Err(FrameError::TooLong(total, self.max_in));
            }
            // RFC 5216: the length comes with the first fragment; a repeat
            // on later ones (some peers send it) is ignored.
            if self.incoming.is_empty() {
                self.expected = Some(total);
            }
        }
        if rest.is_empty() && flags & FLAG_MORE == 0 && self.incoming.is_empty() {
            return Ok(Inbound::Ack);
        }
        if self.sending() {
            return Err(FrameError::NotAnAck);
        }
        let total = self.incoming.len() + rest.len();
        if total > self.max_in {
            return Err(FrameError::TooLong(total, self.max_in));
        }
        if let Some(e) = self.expected.filter(|&e| total > e) {
            return Err(FrameError::PastLength(e));
        }
        self.incoming.extend_from_slice(rest);
        if flags & FLAG_MORE != 0 {
            return Ok(Inbound::More);
        }
        self.expected = None;
        Ok(Inbound::Message(std::mem::take(&mut self.incoming)))
    }

    /// Queue the server's TLS output for sending.
    pub fn queue(&mut self, tls: Vec<u8>) {
        if self.sent >= self.outgoing.len() {
            self.outgoing = tls;
            self.sent = 0;
        } else {
            self.outgoing.extend_from_slice(&tls);
        }
    }

    /// Whether queued output remains to be sent.
    pub fn sending(&self) -> bool {
        self.sent < self.outgoing.len()
    }

    /// The next fragment's Type-Data, with `version` in the Flags. The first
    /// fragment of a message carries the TLS Message Length, as FreeRADIUS
    /// does by default (`include_length`), which every peer accepts.
    pub fn next_fragment(&mut self, version: u8) -> Vec<u8> {
        let first = self.sent == 0;
        let left = self.outgoing.len() - self.sent;
        let n = left.min(self.fragment);
        let more = n < left;
        let mut flags = version & VERSION_MASK;
        if more {
            flags |= FLAG_MORE;
        }
        let mut out = Vec::with_capacity(5 + n);
        if first {
            out.push(flags | FLAG_LENGTH);
            out.extend_from_slice(&(self.outgoing.len() as u32).to_be_bytes());
        } else {
            out.push(flags);
        }
        out.extend_from_slice(&self.outgoing[self.sent..self.sent + n]);
        self.sent += n;
        if !self.sending() {
            self.outgoing = Vec::new();
            self.sent = 0;
        }
        out
    }

    /// An ACK (or Start, with [`FLAG_START`]) request's Type-Data.
    pub fn ack(version: u8) -> Vec<u8> {
        vec![version & VERSION_MASK]
    }

    /// Octets held (reassembly plus unsent output), for memory accounting.
    pub fn held(&self) -> usize {
        self.incoming.capacity() + self.outgoing.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_and_reassembles() {
        let msg: Vec<u8> = (0..250u32).map(|i| i as u8).collect();
        let mut tx = Frames::new(100, 1000);
        tx.queue(msg.clone());
        let mut rx = Frames::new(100, 1000);
        let f1 = tx.next_fragment(0);
        assert_eq!(f1[0], FLAG_LENGTH | FLAG_MORE);
        assert_eq!(&f1[1..5], &250u32.to_be_bytes());
        assert_eq!(rx.receive(&f1), Ok(Inbound::More));
        let f2 = tx.next_fragment(0);
        assert_eq!(f2[0], FLAG_MORE);
        assert_eq!(rx.receive(&f2), Ok(Inbound::More));
        let f3 = tx.next_fragment(0);
        assert_eq!(f3[0], 0);
        assert_eq!(f3.len(), 1 + 50);
        assert!(!tx.sending());
        assert_eq!(rx.receive(&f3), Ok(Inbound::Message(msg)));
    }

    #[test]
    fn unfragmented_carries_length_and_version() {
        let mut tx = Frames::new(1000, 1000);
        tx.queue(vec![1, 2, 3]);
        assert_eq!(tx.next_fragment(1), [FLAG_LENGTH | 1, 0, 0, 0, 3, 1, 2, 3]);
    }

    #[test]
    fn empty_is_an_ack() {
        let mut rx = Frames::new(100, 1000);
        assert_eq!(rx.receive(&[0]), Ok(Inbound::Ack));
        assert_eq!(rx.receive(&[FLAG_LENGTH, 0, 0, 0, 0]), Ok(Inbound::Ack));
        assert_eq!(rx.receive(&[]), Err(FrameError::Empty));
    }

    #[test]
    fn bounds_reassembly() {
        let mut rx = Frames::new(100, 10);
        assert_eq!(
            rx.receive(&[FLAG_LENGTH | FLAG_MORE, 0, 0, 1, 0, 1]),
            Err(FrameError::TooLong(256, 10))
        );
        let mut rx = Frames::new(100, 10);
        assert_eq!(
            rx.receive(&[FLAG_MORE, 1, 2, 3, 4, 5, 6]),
            Ok(Inbound::More)
        );
        assert_eq!(
            rx.receive(&[FLAG_MORE, 1, 2, 3, 4, 5]),
            Err(FrameError::TooLong(11, 10))
        );
        let mut rx = Frames::new(100, 100);
        assert_eq!(
            rx.receive(&[FLAG_LENGTH, 0, 0, 0, 2, 1, 2, 3]),
            Err(FrameError::PastLength(2))
        );
        assert_eq!(
            rx.receive(&[FLAG_LENGTH, 0, 0]),
            Err(FrameError::ShortLength)
        );
    }

    #[test]
    fn data_while_sending_is_refused() {
        let mut f = Frames::new(64, 1000);
        f.queue(vec![0; 200]);
        let _ = f.next_fragment(0);
        assert_eq!(f.receive(&[0, 1]), Err(FrameError::NotAnAck));
        assert_eq!(f.receive(&[0]), Ok(Inbound::Ack));
    }
}
