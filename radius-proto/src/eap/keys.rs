//! Keys an EAP method exports (RFC 5247): the MSK the NAS uses for the
//! link (MS-MPPE-Recv-Key and MS-MPPE-Send-Key, RFC 2548 §2.4.2-3), and the
//! EMSK that stays on the server.

/// MSK and EMSK, 64 octets each.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    /// Master Session Key.
    pub msk: [u8; 64],
    /// Extended Master Session Key.
    pub emsk: [u8; 64],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { .. }")
    }
}

impl Keys {
    /// The first 128 octets of a key-material export: MSK then EMSK.
    pub fn from_material(km: &[u8; 128]) -> Keys {
        let mut msk = [0; 64];
        let mut emsk = [0; 64];
        msk.copy_from_slice(&km[..64]);
        emsk.copy_from_slice(&km[64..]);
        Keys { msk, emsk }
    }

    /// MS-MPPE-Recv-Key: MSK octets 0..32 (RFC 5216 §2.3, RFC 3079 usage:
    /// the key the NAS receives with, the peer's send key).
    pub fn mppe_recv(&self) -> &[u8] {
        &self.msk[..32]
    }

    /// MS-MPPE-Send-Key: MSK octets 32..64.
    pub fn mppe_send(&self) -> &[u8] {
        &self.msk[32..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mppe_split_follows_rfc5216() {
        let mut km = [0u8; 128];
        for (i, b) in km.iter_mut().enumerate() {
            *b = i as u8;
        }
        let k = Keys::from_material(&km);
        assert_eq!(k.mppe_recv(), &km[..32]);
        assert_eq!(k.mppe_send(), &km[32..64]);
        assert_eq!(&k.emsk[..], &km[64..]);
        assert_eq!(format!("{k:?}"), "Keys { .. }");
    }
}
