//! The requests a run sends: one [`Template`] encoded afresh for each.

use radius_core::crypto::encrypt_user_password;
use radius_core::{Code, EncodeError, PacketWriter, Secret};
use radius_server::client::proto::Jitter;

use super::args::Kind;

/// What one request looks like; encodes fresh requests into a slot buffer.
pub(super) struct Template {
    pub(super) kind: Kind,
    pub(super) secret: Secret,
    pub(super) user: Vec<u8>,
    pub(super) password: Vec<u8>,
}

impl Template {
    /// The request's attributes for a client that writes the header,
    /// Message-Authenticator and authenticators itself (RadSec).
    pub(super) fn add_attrs(
        &self,
        w: &mut PacketWriter<'_>,
        secret: &Secret,
        seq: u64,
    ) -> Result<(), EncodeError> {
        match self.kind {
            Kind::Auth => {
                let auth = w.authenticator();
                w.attr(1, &self.user)?;
                w.attr_with(2, |b| {
                    encrypt_user_password(&self.password, secret, &auth, b)
                        .map_err(EncodeError::from)
                })?;
            }
            Kind::Acct => {
                w.attr(40, &3u32.to_be_bytes())?;
                w.attr(1, &self.user)?;
                w.attr(44, format!("{seq:016x}").as_bytes())?;
                w.attr(46, &1u32.to_be_bytes())?;
            }
        }
        w.attr(4, &[127, 0, 0, 1])
    }

    pub(super) fn code(&self) -> Code {
        match self.kind {
            Kind::Auth => Code::ACCESS_REQUEST,
            Kind::Acct => Code::ACCOUNTING_REQUEST,
        }
    }

    /// Encode a new request with Identifier `id`; returns its authenticator.
    pub(super) fn encode(
        &self,
        buf: &mut Vec<u8>,
        id: u8,
        rng: &mut Jitter,
        seq: u64,
    ) -> Result<[u8; 16], EncodeError> {
        match self.kind {
            Kind::Auth => {
                let mut auth = [0u8; 16];
                auth[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
                auth[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
                let mut w =
                    PacketWriter::request_with_authenticator(buf, Code::ACCESS_REQUEST, id, auth);
                w.message_authenticator()?;
                w.attr(1, &self.user)?;
                w.attr_with(2, |b| {
                    encrypt_user_password(&self.password, &self.secret, &auth, b)
                        .map_err(EncodeError::from)
                })?;
                w.attr(4, &[127, 0, 0, 1])?; // NAS-IP-Address
                w.attr(5, &(id as u32).to_be_bytes())?; // NAS-Port
                w.finish(&self.secret)?;
            }
            Kind::Acct => {
                let mut w = PacketWriter::request_with_authenticator(
                    buf,
                    Code::ACCOUNTING_REQUEST,
                    id,
                    [0; 16],
                );
                w.attr(40, &3u32.to_be_bytes())?; // Acct-Status-Type = Interim-Update
                w.attr(1, &self.user)?;
                // Acct-Session-Id: 16 hex digits of the sequence number.
                w.attr_with(44, |b| {
                    for k in (0..16).rev() {
                        b.push(b"0123456789abcdef"[((seq >> (k * 4)) & 15) as usize]);
                    }
                    Ok(())
                })?;
                w.attr(4, &[127, 0, 0, 1])?;
                w.attr(5, &(id as u32).to_be_bytes())?;
                w.attr(46, &1u32.to_be_bytes())?; // Acct-Session-Time
                w.finish(&self.secret)?;
            }
        }
        Ok(buf[4..20].try_into().expect("header"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_verify() {
        let s = Secret::new("testing123");
        for kind in [Kind::Auth, Kind::Acct] {
            let t = Template {
                kind,
                secret: s.clone(),
                user: b"bob".to_vec(),
                password: b"hello".to_vec(),
            };
            let mut buf = Vec::new();
            let mut j = Jitter::seeded(1);
            t.encode(&mut buf, 5, &mut j, 77).unwrap();
            let p = radius_core::Packet::decode(&buf).unwrap();
            assert_eq!(p.verify_request(&s), Ok(kind == Kind::Auth));
            let cap = buf.capacity();
            t.encode(&mut buf, 6, &mut j, 78).unwrap();
            assert_eq!(buf.capacity(), cap, "no reallocation");
        }
    }
}
