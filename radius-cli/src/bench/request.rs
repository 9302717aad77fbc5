//! The requests a run sends: one [`Template`] encoded afresh for each.

use radius_core::crypto::encrypt_user_password;
use radius_core::typed::std_type;
use radius_core::{Code, EncodeError, PacketWriter, Secret};
use radius_dict::prelude::{
    AcctSessionId, AcctSessionTime, AcctStatusType, AcctStatusTypeValue, NasIpAddress, NasPort,
    UserName, UserPassword,
};
use radius_server::client::proto::Jitter;

use super::args::Kind;

// Attribute numbers from the generated types (no literals): the load loop
// writes raw attributes to stay cheap.
const USER_NAME: u8 = std_type::<UserName>();
const USER_PASSWORD: u8 = std_type::<UserPassword>();
const NAS_IP_ADDRESS: u8 = std_type::<NasIpAddress>();
const NAS_PORT: u8 = std_type::<NasPort>();
const ACCT_STATUS_TYPE: u8 = std_type::<AcctStatusType>();
const ACCT_SESSION_ID: u8 = std_type::<AcctSessionId>();
const ACCT_SESSION_TIME: u8 = std_type::<AcctSessionTime>();

const INTERIM_UPDATE: [u8; 4] = AcctStatusTypeValue::InterimUpdate.number().to_be_bytes();

/// What one request looks like; encodes fresh requests into a slot buffer.
pub(crate) struct Template {
    pub(crate) kind: Kind,
    pub(crate) secret: Secret,
    pub(crate) user: Vec<u8>,
    pub(crate) password: Vec<u8>,
}

impl Template {
    /// The request's attributes for a client that writes the header,
    /// Message-Authenticator and authenticators itself (RadSec).
    pub(crate) fn add_attrs(
        &self,
        w: &mut PacketWriter<'_>,
        secret: &Secret,
        seq: u64,
    ) -> Result<(), EncodeError> {
        match self.kind {
            Kind::Auth => {
                let auth = w.authenticator();
                w.attr(USER_NAME, &self.user)?;
                w.attr_with(USER_PASSWORD, |b| {
                    encrypt_user_password(&self.password, secret, &auth, b)
                        .map_err(EncodeError::from)
                })?;
            }
            Kind::Acct => {
                w.attr(ACCT_STATUS_TYPE, &INTERIM_UPDATE)?;
                w.attr(USER_NAME, &self.user)?;
                w.attr(ACCT_SESSION_ID, format!("{seq:016x}").as_bytes())?;
                w.attr(ACCT_SESSION_TIME, &1u32.to_be_bytes())?;
            }
        }
        w.attr(NAS_IP_ADDRESS, &[127, 0, 0, 1])
    }

    pub(crate) fn code(&self) -> Code {
        match self.kind {
            Kind::Auth => Code::ACCESS_REQUEST,
            Kind::Acct => Code::ACCOUNTING_REQUEST,
        }
    }

    /// Encode a new request with Identifier `id`; returns its authenticator.
    pub(crate) fn encode(
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
                w.attr(USER_NAME, &self.user)?;
                w.attr_with(USER_PASSWORD, |b| {
                    encrypt_user_password(&self.password, &self.secret, &auth, b)
                        .map_err(EncodeError::from)
                })?;
                w.attr(NAS_IP_ADDRESS, &[127, 0, 0, 1])?;
                w.attr(NAS_PORT, &(id as u32).to_be_bytes())?;
                w.finish(&self.secret)?;
            }
            Kind::Acct => {
                let mut w = PacketWriter::request_with_authenticator(
                    buf,
                    Code::ACCOUNTING_REQUEST,
                    id,
                    [0; 16],
                );
                w.attr(ACCT_STATUS_TYPE, &INTERIM_UPDATE)?;
                w.attr(USER_NAME, &self.user)?;
                // Acct-Session-Id: 16 hex digits of the sequence number.
                w.attr_with(ACCT_SESSION_ID, |b| {
                    for k in (0..16).rev() {
                        b.push(b"0123456789abcdef"[((seq >> (k * 4)) & 15) as usize]);
                    }
                    Ok(())
                })?;
                w.attr(NAS_IP_ADDRESS, &[127, 0, 0, 1])?;
                w.attr(NAS_PORT, &(id as u32).to_be_bytes())?;
                w.attr(ACCT_SESSION_TIME, &1u32.to_be_bytes())?;
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
