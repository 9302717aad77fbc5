//! RadSec stream framing (`radius_proto::radsec::FrameBuf`, RFC 6613
//! §2.1): an arbitrary byte stream, fed in arbitrary chunks through either
//! way in (`extend`, or `spare` + `filled` as the RadSec reader does),
//! must never panic, and must frame exactly as a one-line reference framer
//! over the whole stream does: every packet yielded is 20..=4096 octets
//! and as long as its own Length field, the packets concatenated are the
//! stream's consumed prefix, a packet comes out as soon as its last octet
//! is in, a Length field outside 20..=4096 is an error as soon as its four
//! header octets are in (and stays one: never a wait for more input), and
//! the buffer's memory stays bounded by what is pending, not by what has
//! passed through.
//!
//! Input: byte 0 mod 8 is the number `k` of chunk specs that follow (two
//! octets each, big-endian, used in turn); the rest is the stream. A spec:
//! bit 15, feed through `spare`/`filled` (else `extend`); bit 14, ask
//! `spare` for 16 KiB as the reader does (else for the chunk's size); bit
//! 13, drain the packets after this chunk (the reader always does; else
//! leave them for later); bits 0..13, the chunk's size (0: the rest). With
//! `k = 0` the whole stream goes in at once.
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/radsec_frame.rs`) and the
//! test that replays `fuzz/corpus/radsec_frame/` in `cargo test`.

use radius_proto::radsec::{FrameBuf, FrameError};

const MIN: usize = 20;
const MAX: usize = 4096;

/// What the reference framer makes of `stream`: the packets' end offsets,
/// and the error at the first bad Length field whose header is complete.
fn reference(stream: &[u8]) -> (Vec<usize>, Option<FrameError>) {
    let mut ends = Vec::new();
    let mut at = 0;
    while stream.len() - at >= 4 {
        let len = u16::from_be_bytes([stream[at + 2], stream[at + 3]]) as usize;
        if !(MIN..=MAX).contains(&len) {
            return (ends, Some(FrameError(len)));
        }
        if stream.len() - at < len {
            break;
        }
        at += len;
        ends.push(at);
    }
    (ends, None)
}

#[derive(Clone, Copy)]
struct Spec {
    spare_api: bool,
    spare_16k: bool,
    drain: bool,
    size: usize,
}

impl Spec {
    fn from(v: u16) -> Spec {
        Spec {
            spare_api: v & 0x8000 != 0,
            spare_16k: v & 0x4000 != 0,
            drain: v & 0x2000 != 0,
            size: (v & 0x1fff) as usize,
        }
    }
}

struct Run<'a> {
    stream: &'a [u8],
    f: FrameBuf,
    /// Octets of the stream fed so far.
    fed: usize,
    /// Octets returned as packets so far.
    taken: usize,
    ends: Vec<usize>,
    /// The most octets ever pending plus asked for at once.
    peak: usize,
}

impl Run<'_> {
    /// Take every packet now buffered; the error if the stream is bad.
    fn drain(&mut self) -> Result<(), FrameError> {
        loop {
            match self.f.next_packet() {
                Ok(Some(p)) => {
                    let len = p.len();
                    assert!((MIN..=MAX).contains(&len), "packet of {len} octets");
                    assert_eq!(u16::from_be_bytes([p[2], p[3]]) as usize, len);
                    assert_eq!(
                        p,
                        &self.stream[self.taken..self.taken + len],
                        "packet is not the stream's next octets"
                    );
                    self.taken += len;
                    self.ends.push(self.taken);
                }
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(self.f.next_packet(), Err(e), "a stream error is sticky");
                    return Err(e);
                }
            }
        }
        assert!(self.taken <= self.fed);
        assert_eq!(self.f.pending(), self.fed - self.taken);
        // Drained: what the reference framer of the fed prefix says, no
        // packet held back, no error missed.
        let (ends, err) = reference(&self.stream[..self.fed]);
        assert_eq!(self.ends, ends, "packets differ from the reference framing");
        assert_eq!(err, None, "bad Length field not reported");
        Ok(())
    }

    fn feed(&mut self, spec: Spec) {
        let rest = self.stream.len() - self.fed;
        let mut n = if spec.size == 0 {
            rest
        } else {
            spec.size.min(rest)
        };
        let need = if spec.spare_api {
            let min = if spec.spare_16k { 16 * 1024 } else { n.max(1) };
            n = n.min(min);
            let chunk = &self.stream[self.fed..self.fed + n];
            let s = self.f.spare(min);
            assert_eq!(s.len(), min);
            s[..n].copy_from_slice(chunk);
            // What a read leaves past its count must not be taken as data.
            s[n..].fill(0xa5);
            self.f.filled(min, n);
            min
        } else {
            self.f.extend(&self.stream[self.fed..self.fed + n]);
            n
        };
        self.peak = self.peak.max(self.f.pending() + need);
        self.fed += n;
        assert_eq!(self.f.pending(), self.fed - self.taken);
        // Memory follows what is pending (at most the largest packet plus
        // a chunk when drained), not the whole stream: Vec doubling gives
        // 2x, 4x is the slack.
        assert!(
            self.f.held() <= 4 * self.peak.max(MAX),
            "{} octets held for {} pending (peak {})",
            self.f.held(),
            self.f.pending(),
            self.peak
        );
    }
}

/// The check the `radsec_frame` target runs on each input (and the corpus
/// test on each committed input): panics on a failure.
pub fn run(data: &[u8]) {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let k = (k % 8) as usize;
    if rest.len() < 2 * k {
        return;
    }
    let (specs, stream) = rest.split_at(2 * k);
    let specs: Vec<Spec> = if k == 0 {
        vec![Spec::from(0x2000)]
    } else {
        specs
            .chunks(2)
            .map(|c| Spec::from(u16::from_be_bytes([c[0], c[1]])))
            .collect()
    };
    let mut r = Run {
        stream,
        f: FrameBuf::new(),
        fed: 0,
        taken: 0,
        ends: Vec::new(),
        peak: 0,
    };
    let (all_ends, all_err) = reference(stream);
    let mut i = 0;
    while r.fed < stream.len() {
        let spec = specs[i % specs.len()];
        i += 1;
        r.feed(spec);
        if spec.drain {
            if let Err(e) = r.drain() {
                // As soon as the bad header's four octets are in.
                let bad_at = all_ends.last().copied().unwrap_or(0);
                assert_eq!(Some(e), all_err);
                assert_eq!(r.taken, bad_at);
                assert!(r.fed >= bad_at + 4);
                // More input changes nothing.
                r.f.extend(&stream[r.fed..]);
                assert_eq!(r.f.next_packet(), Err(e));
                return;
            }
        }
    }
    match r.drain() {
        Ok(()) => {
            assert_eq!(all_err, None);
            assert_eq!(r.ends, all_ends);
            // What is left is less than a packet: an incomplete header or
            // a packet shorter than its Length field.
            let left = &stream[r.taken..];
            assert!(left.len() < 4 || left.len() < u16::from_be_bytes([left[2], left[3]]) as usize);
        }
        Err(e) => {
            assert_eq!(Some(e), all_err);
            assert_eq!(r.taken, all_ends.last().copied().unwrap_or(0));
        }
    }
}
