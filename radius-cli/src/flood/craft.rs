//! The flood's datagrams: a repeating mix of valid requests, exact
//! duplicates, garbage, truncated requests and requests with a wrong
//! Message-Authenticator, all from a configured client with its secret.

use radius_server::client::proto::Jitter;

use crate::bench::request::Template;

/// One kind of flood datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A fresh, correctly signed Access-Request (full work for the server).
    Valid,
    /// The previous valid request again, byte for byte (a retransmission).
    Dup,
    /// Random octets of random length.
    Garbage,
    /// A valid request cut short (its Length field promises more).
    Truncated,
    /// A valid request whose Message-Authenticator is wrong.
    BadMa,
}

/// Writes flood datagrams in the order of its mix.
pub(super) struct Crafter {
    tpl: Template,
    mix: Vec<Kind>,
    next: usize,
    rng: Jitter,
    id: u8,
    seq: u64,
    /// The last valid request, for duplicates.
    last: Vec<u8>,
}

impl Crafter {
    pub(super) fn new(tpl: Template, mix: Vec<Kind>, seed: u64) -> Self {
        Crafter {
            tpl,
            mix,
            next: 0,
            rng: Jitter::seeded(seed),
            id: 0,
            seq: seed << 24,
            last: Vec::new(),
        }
    }

    /// Write the next datagram into `buf` (cleared first).
    pub(super) fn next(&mut self, buf: &mut Vec<u8>) {
        let kind = self.mix[self.next % self.mix.len()];
        self.next += 1;
        buf.clear();
        match kind {
            Kind::Valid => self.valid(buf),
            Kind::Dup if !self.last.is_empty() => buf.extend_from_slice(&self.last),
            Kind::Dup => self.valid(buf),
            Kind::Garbage => {
                let len = 1 + (self.rng.next_u64() % 120) as usize;
                while buf.len() < len {
                    buf.extend_from_slice(&self.rng.next_u64().to_le_bytes());
                }
                buf.truncate(len);
            }
            Kind::Truncated => {
                self.valid(buf);
                let cut = 1 + (self.rng.next_u64() as usize) % (buf.len() - 1);
                buf.truncate(cut);
            }
            Kind::BadMa => {
                self.valid(buf);
                // The template writes Message-Authenticator first: its
                // value is octets 22..38.
                buf[22] ^= 0x5a;
            }
        }
    }

    fn valid(&mut self, buf: &mut Vec<u8>) {
        self.id = self.id.wrapping_add(1);
        self.seq += 1;
        self.tpl
            .encode(buf, self.id, &mut self.rng, self.seq)
            .expect("the template encodes");
        self.last.clear();
        self.last.extend_from_slice(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_core::{Packet, Secret};

    #[test]
    fn each_kind_is_what_it_says() {
        let s = Secret::new("testing123");
        let tpl = Template {
            kind: crate::bench::args::Kind::Auth,
            secret: s.clone(),
            user: b"bob".to_vec(),
            password: b"hello".to_vec(),
        };
        let mix = vec![
            Kind::Valid,
            Kind::Dup,
            Kind::Garbage,
            Kind::Truncated,
            Kind::BadMa,
        ];
        let mut c = Crafter::new(tpl, mix, 7);
        let mut bufs = vec![Vec::new(); 10];
        for b in &mut bufs {
            c.next(b);
        }
        for round in bufs.chunks(5) {
            let valid = Packet::decode(&round[0]).unwrap();
            assert_eq!(valid.verify_request(&s), Ok(true));
            assert_eq!(round[1], round[0], "a duplicate repeats the valid one");
            assert!(Packet::decode(&round[3]).is_err(), "truncated");
            let bad = Packet::decode(&round[4]).unwrap();
            assert!(bad.verify_request(&s).is_err(), "bad Message-Authenticator");
        }
        assert_ne!(bufs[0], bufs[5], "each valid request is new");
    }
}
