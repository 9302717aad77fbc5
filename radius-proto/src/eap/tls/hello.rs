//! The TLS 1.2 session ID, read from the plaintext hellos: rustls keeps no
//! application data with TLS 1.2 sessions, so a resumed PEAP/TTLS tunnel
//! is tied to the phase 2 it completed through the session ID the server
//! assigned (ServerHello) and the client offers back (ClientHello).

/// Handshake type ClientHello.
pub(crate) const CLIENT_HELLO: u8 = 1;
/// Handshake type ServerHello.
pub(crate) const SERVER_HELLO: u8 = 2;

/// The legacy session ID of the first handshake message of type `typ` in
/// the first TLS record of `records`; `None` if absent or empty.
pub(crate) fn session_id(records: &[u8], typ: u8) -> Option<Vec<u8>> {
    // Record: type 22 (handshake), version (2), length (2).
    let (&[22, _, _, l0, l1], rest) = records.split_first_chunk::<5>()? else {
        return None;
    };
    let rec = rest.get(..u16::from_be_bytes([l0, l1]) as usize)?;
    // Handshake: type (1), length (3), version (2), random (32), sid.
    if *rec.first()? != typ {
        return None;
    }
    let n = *rec.get(38)? as usize;
    let sid = rec.get(39..39 + n)?;
    (!sid.is_empty() && n <= 32).then(|| sid.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(typ: u8, sid: &[u8]) -> Vec<u8> {
        let mut h = vec![typ, 0, 0, 0, 3, 3];
        h.extend_from_slice(&[7; 32]);
        h.push(sid.len() as u8);
        h.extend_from_slice(sid);
        h.extend_from_slice(&[0, 2, 0x13, 0x01]);
        let mut r = vec![22, 3, 1];
        r.extend_from_slice(&(h.len() as u16).to_be_bytes());
        r.extend_from_slice(&h);
        r
    }

    #[test]
    fn reads_the_session_id() {
        assert_eq!(
            session_id(&hello(1, &[9; 32]), CLIENT_HELLO),
            Some(vec![9; 32])
        );
        assert_eq!(
            session_id(&hello(2, &[5; 32]), SERVER_HELLO),
            Some(vec![5; 32])
        );
        assert_eq!(session_id(&hello(2, &[5; 32]), CLIENT_HELLO), None);
        assert_eq!(session_id(&hello(1, &[]), CLIENT_HELLO), None);
        assert_eq!(session_id(&hello(1, &[1; 32])[..40], CLIENT_HELLO), None);
        assert_eq!(session_id(&[23, 3, 3, 0, 1, 0], CLIENT_HELLO), None);
    }
}
