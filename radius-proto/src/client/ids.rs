//! Identifier allocation for one socket or connection.

/// The 256 Identifiers of one socket. Allocation goes round-robin, so a
/// freed Identifier is reused as late as possible (a late reply to its old
/// request then meets a different authenticator and is discarded).
#[derive(Debug, Clone)]
pub struct IdPool {
    used: [u64; 4],
    next: u8,
    count: u16,
}

impl Default for IdPool {
    fn default() -> Self {
        Self::new()
    }
}

impl IdPool {
    /// All 256 free.
    pub fn new() -> Self {
        IdPool {
            used: [0; 4],
            next: 0,
            count: 0,
        }
    }

    /// Take a free Identifier, or `None` when all 256 are in use.
    pub fn alloc(&mut self) -> Option<u8> {
        if self.count >= 256 {
            return None;
        }
        for k in 0..=255u8 {
            let id = self.next.wrapping_add(k);
            let (w, b) = ((id >> 6) as usize, id & 63);
            if self.used[w] & (1 << b) == 0 {
                self.used[w] |= 1 << b;
                self.count += 1;
                self.next = id.wrapping_add(1);
                return Some(id);
            }
        }
        None
    }

    /// Return an Identifier. Freeing a free one is a no-op.
    pub fn free(&mut self, id: u8) {
        let (w, b) = ((id >> 6) as usize, id & 63);
        if self.used[w] & (1 << b) != 0 {
            self.used[w] &= !(1 << b);
            self.count -= 1;
        }
    }

    /// Whether `id` is allocated.
    pub fn is_used(&self, id: u8) -> bool {
        self.used[(id >> 6) as usize] & (1 << (id & 63)) != 0
    }

    /// Identifiers in use.
    pub fn in_use(&self) -> usize {
        self.count as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_pool_round_robin_and_full() {
        let mut p = IdPool::new();
        for want in 0..=255u8 {
            assert_eq!(p.alloc(), Some(want));
        }
        assert_eq!(p.alloc(), None);
        assert_eq!(p.in_use(), 256);
        p.free(7);
        p.free(7);
        assert_eq!(p.in_use(), 255);
        assert_eq!(p.alloc(), Some(7));
        p.free(3);
        p.free(200);
        // Round-robin: continues after the last one handed out.
        assert_eq!(p.alloc(), Some(200));
        assert_eq!(p.alloc(), Some(3));
        assert!(p.is_used(3));
    }
}
