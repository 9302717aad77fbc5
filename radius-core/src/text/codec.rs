//! [`Codec`]: the dictionary, secret and authenticator that parsing,
//! encoding, decoding and printing share, and where each attribute lives
//! on the wire.

use crate::attr::VendorFormat;
use crate::crypto::Secret;
use crate::dict::{AttrId, DataType, Dictionary, Flags};

use super::types::{AttrRef, RawOid, Result, TextError};

/// The Request Authenticator of FreeRADIUS's attribute tests.
pub const TEST_AUTHENTICATOR: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Parses, encodes, decodes and prints attribute lists with one
/// dictionary, shared secret and authenticator.
#[derive(Clone, Debug)]
pub struct Codec<'d> {
    pub(super) dict: &'d Dictionary,
    /// Borrowed when the caller has one ([`with_secret_key`](Self::with_secret_key)):
    /// building a `Secret` computes its HMAC key schedule (four MD5
    /// blocks), which a codec made per request should not repeat.
    pub(super) secret: std::borrow::Cow<'d, Secret>,
    pub(super) authenticator: [u8; 16],
    pub(super) salt: Option<[u8; 2]>,
}

/// What an attribute is on the wire: where, of which type, with which flags.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub(super) loc: RawOid,
    pub(super) ty: DataType,
    pub(super) flags: Flags,
    pub(super) name: String,
    pub(super) id: Option<AttrId>,
}

impl<'d> Codec<'d> {
    /// A codec with FreeRADIUS's test conventions: secret `testing123`
    /// and authenticator `000102...0f`.
    pub fn new(dict: &'d Dictionary) -> Self {
        Codec {
            dict,
            secret: std::borrow::Cow::Borrowed(default_secret()),
            authenticator: TEST_AUTHENTICATOR,
            salt: None,
        }
    }

    /// Use this shared secret for encrypted attributes.
    pub fn with_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secret = std::borrow::Cow::Owned(Secret::new(secret));
        self
    }

    /// Use this shared secret, already keyed (a client's, a host table
    /// entry's), for encrypted attributes.
    pub fn with_secret_key(mut self, secret: &'d Secret) -> Self {
        self.secret = std::borrow::Cow::Borrowed(secret);
        self
    }

    /// Use this (Request) Authenticator for encrypted attributes.
    pub fn with_authenticator(mut self, authenticator: [u8; 16]) -> Self {
        self.authenticator = authenticator;
        self
    }

    /// Use a fixed Tunnel-Password salt (the high bit is set for you)
    /// instead of a random one, for reproducible output. It is the salt of
    /// a packet's first Tunnel-Password; later ones in the same packet count
    /// up from it, since salts must be unique within a packet (RFC 2868
    /// §3.5).
    pub fn with_salt(mut self, salt: [u8; 2]) -> Self {
        self.salt = Some(salt);
        self
    }

    /// The dictionary.
    pub fn dictionary(&self) -> &'d Dictionary {
        self.dict
    }

    pub(super) fn spec_of(&self, attr: &AttrRef) -> Result<Spec> {
        match attr {
            AttrRef::Raw(oid) => Ok(Spec {
                loc: oid.clone(),
                ty: DataType::Octets,
                flags: Flags::default(),
                name: oid.to_string(),
                id: None,
            }),
            AttrRef::Known(id) => {
                let a = self.dict.attr(*id);
                Ok(Spec {
                    loc: self.loc_of(*id)?,
                    ty: a.data_type,
                    flags: a.flags,
                    name: a.name.clone(),
                    id: Some(*id),
                })
            }
        }
    }

    /// The wire location of a dictionary attribute.
    pub(super) fn loc_of(&self, id: AttrId) -> Result<RawOid> {
        let a = self.dict.attr(id);
        let Some(p) = a.parent else {
            return Ok(RawOid {
                ext: None,
                vendor: a.vendor,
                path: vec![a.number],
            });
        };
        let pa = self.dict.attr(p);
        let bad = || TextError::NotEncodable {
            attr: a.name.clone(),
            reason: format!(
                "its parent {} is not an extended, evs or tlv attribute",
                pa.name
            ),
        };
        match pa.data_type {
            DataType::Extended | DataType::LongExtended => Ok(RawOid {
                ext: Some(u8::try_from(pa.number).map_err(|_| bad())?),
                vendor: None,
                path: vec![a.number],
            }),
            DataType::Evs => {
                let ext = pa
                    .parent
                    .map(|g| self.dict.attr(g).number)
                    .ok_or_else(bad)?;
                Ok(RawOid {
                    ext: Some(u8::try_from(ext).map_err(|_| bad())?),
                    vendor: a.vendor,
                    path: vec![a.number],
                })
            }
            DataType::Tlv => {
                let mut l = self.loc_of(p)?;
                l.path.push(a.number);
                Ok(l)
            }
            _ => Err(bad()),
        }
    }

    pub(super) fn vendor_format(&self, vendor: u32) -> VendorFormat {
        match self.dict.vendor_by_id(vendor) {
            Some(v) => VendorFormat {
                type_width: v.type_width,
                length_width: v.length_width,
                continuation: v.continuation,
            },
            None => VendorFormat::DEFAULT,
        }
    }

    /// Parse a line and encode it.
    pub fn encode_line(&self, line: &str) -> Result<Vec<u8>> {
        self.encode(&self.parse(line)?)
    }

    /// Decode octets and print them.
    pub fn decode_to_string(&self, data: &[u8]) -> Result<String> {
        Ok(self.format(&self.decode(data)?))
    }
}

/// radclient's default secret, keyed once.
fn default_secret() -> &'static Secret {
    static S: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();
    S.get_or_init(|| Secret::new(b"testing123"))
}
