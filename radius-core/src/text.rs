//! FreeRADIUS's attribute text form over a run-time [`Dictionary`]:
//! `User-Name = "bob", Tunnel-Type:1 = PPTP, Cisco-AVPair = "shell:priv-lvl=15"`.
//!
//! [`Codec::parse`] reads such a line into typed [`Pair`]s,
//! [`Codec::encode`] lays them out as attribute octets, [`Codec::decode`]
//! turns attribute octets back into pairs and [`Codec::format`] prints them
//! the way FreeRADIUS v3 (`radclient -x`, `radiusd -X`) prints them.
//!
//! ```
//! use radius_core::dict::Dictionary;
//! use radius_core::text::Codec;
//!
//! let dict = Dictionary::parse_str("d", "ATTRIBUTE User-Name 1 string\n\
//!     ATTRIBUTE Tunnel-Type 64 integer has_tag\nVALUE Tunnel-Type PPTP 1\n").unwrap();
//! let codec = Codec::new(&dict);
//! let pairs = codec.parse("User-Name = \"bob\", Tunnel-Type:1 = PPTP").unwrap();
//! let wire = codec.encode(&pairs).unwrap();
//! assert_eq!(wire, [1, 5, b'b', b'o', b'b', 64, 6, 1, 0, 0, 1]);
//! assert_eq!(codec.format(&codec.decode(&wire).unwrap()), "User-Name = \"bob\", Tunnel-Type:1 = PPTP");
//! ```
//!
//! # What follows FreeRADIUS v3 (`src/lib/radius.c`, `print.c`, `value.c`)
//!
//! - **Layouts**: one Vendor-Specific per vendor attribute (vendor formats
//!   `t,l` from the dictionary, `1,1` for unknown vendors), WiMAX
//!   continuation (`format=1,1,c`) and long-extended fragmentation with
//!   the More flag, Extended-Vendor-Specific, concat attributes split into
//!   253-octet pieces, and consecutive members of the same TLV grouped
//!   into one container (nested TLVs recursively), as `vp2data_tlvs` does.
//! - **Tags**: a valid tag (1..=31) prefixes strings and replaces the high
//!   octet of integers (so a tagged integer has 24 bits); Tunnel-Password
//!   always carries a tag octet (0 when none). On decoding, every `has_tag`
//!   attribute has a tag, 0 when the wire had none, and prints as `Name:T`.
//! - **Encryption**: User-Password (`encrypt=1`), Tunnel-Password
//!   (`encrypt=2`, random salt unless [`Codec::with_salt`]) and Ascend
//!   secret (`encrypt=3`), keyed on the secret and authenticator given to
//!   the codec.
//! - **Empty values** are not encoded (except Chargeable-User-Identity, as
//!   FreeRADIUS does for WiMAX), zero-length attributes decode to nothing,
//!   Message-Authenticator is always encoded as sixteen zero octets (the
//!   packet layer computes it), and attributes numbered above 255 in the
//!   standard space (server-internal ones) are skipped.
//! - **Unknown and malformed** attributes decode to the raw form:
//!   `Attr-26.9.99 = 0x...`, `Attr-241 = 0x...` (unknown Extended-Type),
//!   `Attr-245.99 = 0x...` (unknown Long-Extended-Type),
//!   `Attr-241.26.9.1 = 0x...`, `Attr-26 = 0x...` (a Vendor-Specific whose
//!   content does not parse), `Attr-8 = 0x010203` (a known attribute of the
//!   wrong length). Such names are accepted on input too, with hex values,
//!   as are `Vendor-9-Attr-1` and `Cisco-Attr-1`.
//!
//! # Deliberate differences
//!
//! - Values too long for their attribute are an error, where FreeRADIUS
//!   truncates them silently.
//! - Malformed encrypted or tagged values print their original octets in
//!   the raw form (FreeRADIUS prints the partly processed buffer), and a
//!   User-Password whose length is not a multiple of 16 (or above 128) is
//!   malformed rather than decrypted as far as it goes.
//! - Ascend binary filters are read and printed as hex only.
//! - Dates print in UTC (FreeRADIUS uses the local time zone; run it with
//!   `TZ=UTC` to compare). Dates are read as seconds, `Jan 1 2020
//!   [12:00:00] [UTC]` (as FreeRADIUS) or `2020-01-01[T12:00:00][Z]`.
//! - TLV members may also be named by their path, `WiMAX-Capability.WiMAX-Release`.
//! - TLVs of the standard space (RFC 6930's IPv6-6rd-Configuration, 173)
//!   are encoded and decoded as the RFC says; FreeRADIUS v3 silently drops
//!   them when encoding and prints their members raw (`Attr-173.1`).
//! - Raw extended attributes (`Attr-241.99 = 0x01`, `Attr-245.26.9.1 = ...`)
//!   are encoded in their RFC 6929 layout; radclient refuses them.
//! - A Message-Authenticator of the wrong length decodes as octets
//!   (FreeRADIUS drops the whole packet).

use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::attr::{self, VendorFormat};
use crate::crypto::{self, Secret};
use crate::dict::{AttrId, DataType, Dictionary, Encrypt, Flags};
use crate::packet::MAX_ATTR_VALUE_LEN;

/// A typed runtime value: one variant per dictionary [`DataType`] that can
/// hold a value (containers such as `tlv` or `vsa` are not values; their
/// members are).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// `string`: text, kept as octets because the wire need not be UTF-8.
    String(Vec<u8>),
    /// `octets`.
    Octets(Vec<u8>),
    /// `ipaddr`.
    Ipaddr(Ipv4Addr),
    /// `ipv4prefix`: address and prefix length (host bits zero).
    Ipv4Prefix(Ipv4Addr, u8),
    /// `ipv6addr`.
    Ipv6Addr(Ipv6Addr),
    /// `ipv6prefix`: address and prefix length (host bits zero).
    Ipv6Prefix(Ipv6Addr, u8),
    /// `integer`.
    Integer(u32),
    /// `integer64`.
    Integer64(u64),
    /// `date`: seconds since the Unix epoch.
    Date(u32),
    /// `ifid`.
    Ifid([u8; 8]),
    /// `ether`.
    Ether([u8; 6]),
    /// `byte`.
    Byte(u8),
    /// `short`.
    Short(u16),
    /// `signed`.
    Signed(i32),
    /// `bool`.
    Bool(bool),
    /// `combo-ip`: an IPv4 or IPv6 address.
    ComboIp(IpAddr),
    /// `abinary`: an Ascend binary filter, as octets.
    Abinary(Vec<u8>),
}

impl Value {
    /// The data type this value belongs to.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::String(_) => DataType::String,
            Value::Octets(_) => DataType::Octets,
            Value::Ipaddr(_) => DataType::Ipaddr,
            Value::Ipv4Prefix(..) => DataType::Ipv4Prefix,
            Value::Ipv6Addr(_) => DataType::Ipv6Addr,
            Value::Ipv6Prefix(..) => DataType::Ipv6Prefix,
            Value::Integer(_) => DataType::Integer,
            Value::Integer64(_) => DataType::Integer64,
            Value::Date(_) => DataType::Date,
            Value::Ifid(_) => DataType::Ifid,
            Value::Ether(_) => DataType::Ether,
            Value::Byte(_) => DataType::Byte,
            Value::Short(_) => DataType::Short,
            Value::Signed(_) => DataType::Signed,
            Value::Bool(_) => DataType::Bool,
            Value::ComboIp(_) => DataType::ComboIp,
            Value::Abinary(_) => DataType::Abinary,
        }
    }

    /// The value's wire octets (before tags and encryption). IPv6 prefixes
    /// take the full 18 octets, as FreeRADIUS v3 sends them.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Value::String(b) | Value::Octets(b) | Value::Abinary(b) => b.clone(),
            Value::Ipaddr(a) => a.octets().to_vec(),
            // Bits past the length go out as zero (RFC 8044 §3.10, §3.11).
            Value::Ipv4Prefix(a, l) => {
                let mut v = vec![0, *l];
                v.extend_from_slice(&(u32::from(*a) & crate::value::v4_mask(*l)).to_be_bytes());
                v
            }
            Value::Ipv6Addr(a) => a.octets().to_vec(),
            Value::Ipv6Prefix(a, l) => {
                let mut v = vec![0, *l];
                v.extend_from_slice(&(u128::from(*a) & crate::value::v6_mask(*l)).to_be_bytes());
                v
            }
            Value::Integer(n) | Value::Date(n) => n.to_be_bytes().to_vec(),
            Value::Integer64(n) => n.to_be_bytes().to_vec(),
            Value::Ifid(b) => b.to_vec(),
            Value::Ether(b) => b.to_vec(),
            Value::Byte(b) => vec![*b],
            Value::Short(n) => n.to_be_bytes().to_vec(),
            Value::Signed(n) => n.to_be_bytes().to_vec(),
            Value::Bool(b) => vec![*b as u8],
            Value::ComboIp(IpAddr::V4(a)) => a.octets().to_vec(),
            Value::ComboIp(IpAddr::V6(a)) => a.octets().to_vec(),
        }
    }

    /// Decode wire octets as a value of `ty`; `None` if the length (or a
    /// prefix length) is not valid for the type, or `ty` is a container.
    pub fn from_bytes(ty: DataType, b: &[u8]) -> Option<Value> {
        Some(match ty {
            DataType::String => Value::String(b.to_vec()),
            DataType::Octets => Value::Octets(b.to_vec()),
            DataType::Abinary => {
                if b.len() > 32 {
                    return None;
                }
                Value::Abinary(b.to_vec())
            }
            DataType::Ipaddr => Value::Ipaddr(<[u8; 4]>::try_from(b).ok()?.into()),
            DataType::Ipv4Prefix => {
                let b = <[u8; 6]>::try_from(b).ok()?;
                let a = Ipv4Addr::new(b[2], b[3], b[4], b[5]);
                // Bits past the length must be zero (RFC 8044 §3.11).
                if b[0] != 0 || b[1] > 32 || u32::from(a) & !crate::value::v4_mask(b[1]) != 0 {
                    return None;
                }
                Value::Ipv4Prefix(a, b[1])
            }
            DataType::Ipv6Addr => Value::Ipv6Addr(<[u8; 16]>::try_from(b).ok()?.into()),
            DataType::Ipv6Prefix => {
                if b.len() < 2 || b.len() > 18 || b[0] != 0 || b[1] > 128 {
                    return None;
                }
                let mut a = [0u8; 16];
                a[..b.len() - 2].copy_from_slice(&b[2..]);
                // Bits past the length must be zero (RFC 8044 §3.10).
                if u128::from_be_bytes(a) & !crate::value::v6_mask(b[1]) != 0 {
                    return None;
                }
                Value::Ipv6Prefix(a.into(), b[1])
            }
            DataType::Integer => Value::Integer(u32::from_be_bytes(b.try_into().ok()?)),
            DataType::Date => Value::Date(u32::from_be_bytes(b.try_into().ok()?)),
            DataType::Integer64 => Value::Integer64(u64::from_be_bytes(b.try_into().ok()?)),
            DataType::Ifid => Value::Ifid(b.try_into().ok()?),
            DataType::Ether => Value::Ether(b.try_into().ok()?),
            DataType::Byte => Value::Byte(<[u8; 1]>::try_from(b).ok()?[0]),
            DataType::Short => Value::Short(u16::from_be_bytes(b.try_into().ok()?)),
            DataType::Signed => Value::Signed(i32::from_be_bytes(b.try_into().ok()?)),
            DataType::Bool => match b {
                [0] => Value::Bool(false),
                [1] => Value::Bool(true),
                _ => return None,
            },
            DataType::ComboIp => match b.len() {
                4 => Value::ComboIp(IpAddr::V4(<[u8; 4]>::try_from(b).ok()?.into())),
                16 => Value::ComboIp(IpAddr::V6(<[u8; 16]>::try_from(b).ok()?.into())),
                _ => return None,
            },
            DataType::Tlv
            | DataType::Vsa
            | DataType::Extended
            | DataType::LongExtended
            | DataType::Evs => return None,
        })
    }
}

/// Where an attribute without a usable definition lives on the wire: the
/// raw form `Attr-[E.][26.V.]N[.N...]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawOid {
    /// The extended space (241..=246) for extended and EVS attributes.
    pub ext: Option<u8>,
    /// The vendor PEN for VSAs and EVS attributes.
    pub vendor: Option<u32>,
    /// The attribute number followed by TLV member numbers.
    pub path: Vec<u32>,
}

impl fmt::Display for RawOid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Attr-")?;
        if let Some(e) = self.ext {
            write!(f, "{e}.")?;
        }
        if let Some(v) = self.vendor {
            write!(f, "26.{v}.")?;
        }
        for (i, n) in self.path.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// Which attribute a [`Pair`] is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttrRef {
    /// A dictionary attribute.
    Known(AttrId),
    /// An unknown or malformed attribute in its raw form (value octets).
    Raw(RawOid),
}

/// One attribute with its value: an element of an attribute list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pair {
    /// The attribute.
    pub attr: AttrRef,
    /// RFC 2868 tag of a `has_tag` attribute: `None` when the text gave
    /// none, `Some(0)` when decoded without one.
    pub tag: Option<u8>,
    /// The value; [`Value::Octets`] for raw attributes.
    pub value: Value,
}

/// Why a line could not be parsed, a list encoded or octets decoded.
/// Every message names the attribute concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The line does not follow `Name[:tag] op value [, ...]`.
    #[error("column {column}: {message}")]
    Syntax {
        /// 1-based character column.
        column: usize,
        /// What was expected.
        message: String,
    },
    /// No attribute of this name, and not a raw `Attr-...` form.
    #[error("unknown attribute \"{0}\"")]
    UnknownAttribute(String),
    /// A value that does not parse as the attribute's type.
    #[error("{attr}: invalid {data_type} value \"{value}\": {reason}")]
    BadValue {
        /// Attribute name.
        attr: String,
        /// Its data type.
        data_type: &'static str,
        /// The text given.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A tag on an attribute without `has_tag`, or outside 0..=31.
    #[error("{attr}: invalid tag {tag}: {reason}")]
    BadTag {
        /// Attribute name.
        attr: String,
        /// The tag as written.
        tag: String,
        /// Why.
        reason: &'static str,
    },
    /// An attribute that cannot carry a value of its own (a container such
    /// as Vendor-Specific or a TLV parent), or a number that does not fit
    /// its layout.
    #[error("{attr}: cannot be encoded: {reason}")]
    NotEncodable {
        /// Attribute name.
        attr: String,
        /// Why.
        reason: String,
    },
    /// A value too long for its attribute.
    #[error("{attr}: value of {len} octets is too long (at most {max})")]
    TooLong {
        /// Attribute name.
        attr: String,
        /// Octets given (after tag and encryption).
        len: usize,
        /// The largest allowed.
        max: usize,
    },
    /// A pair whose value does not have the attribute's data type (only
    /// possible for pairs built by hand).
    #[error("{attr}: value of type {got} given for a {expected} attribute")]
    TypeMismatch {
        /// Attribute name.
        attr: String,
        /// The attribute's data type.
        expected: &'static str,
        /// The value's data type.
        got: &'static str,
    },
    /// The attribute area itself is malformed (FreeRADIUS drops such
    /// packets).
    #[error("malformed attribute at offset {offset}: {reason}")]
    Malformed {
        /// Offset of the attribute header.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Input that is not a hex string.
    #[error("invalid hex input: {0}")]
    Hex(String),
}

type Result<T, E = TextError> = std::result::Result<T, E>;

/// The Request Authenticator of FreeRADIUS's attribute tests.
pub const TEST_AUTHENTICATOR: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Parses, encodes, decodes and prints attribute lists with one
/// dictionary, shared secret and authenticator.
#[derive(Clone, Debug)]
pub struct Codec<'d> {
    dict: &'d Dictionary,
    /// Borrowed when the caller has one ([`with_secret_key`](Self::with_secret_key)):
    /// building a `Secret` computes its HMAC key schedule (four MD5
    /// blocks), which a codec made per request should not repeat.
    secret: std::borrow::Cow<'d, Secret>,
    authenticator: [u8; 16],
    salt: Option<[u8; 2]>,
}

/// What an attribute is on the wire: where, of which type, with which flags.
#[derive(Debug, Clone)]
struct Spec {
    loc: RawOid,
    ty: DataType,
    flags: Flags,
    name: String,
    id: Option<AttrId>,
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
    /// instead of a random one, for reproducible output.
    pub fn with_salt(mut self, salt: [u8; 2]) -> Self {
        self.salt = Some(salt);
        self
    }

    /// The dictionary.
    pub fn dictionary(&self) -> &'d Dictionary {
        self.dict
    }

    // ----------------------------------------------------------------- specs

    fn spec_of(&self, attr: &AttrRef) -> Result<Spec> {
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
    fn loc_of(&self, id: AttrId) -> Result<RawOid> {
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

    fn vendor_format(&self, vendor: u32) -> VendorFormat {
        match self.dict.vendor_by_id(vendor) {
            Some(v) => VendorFormat {
                type_width: v.type_width,
                length_width: v.length_width,
                continuation: v.continuation,
            },
            None => VendorFormat::DEFAULT,
        }
    }

    // ----------------------------------------------------------------- parse

    /// Parse one line of `Name[:tag] op value` pairs separated by commas.
    /// Operators (`=`, `:=`, `+=`, `==` ...) are accepted and ignored; an
    /// empty line is an empty list.
    pub fn parse(&self, line: &str) -> Result<Vec<Pair>> {
        let mut lx = Lexer { s: line, pos: 0 };
        let mut out = Vec::new();
        loop {
            lx.skip_ws();
            if lx.at_end() || lx.peek() == Some('#') {
                break;
            }
            let name = lx.name();
            if name.is_empty() {
                return Err(lx.error(format!(
                    "expected an attribute name, found {}",
                    lx.describe_next()
                )));
            }
            let tag = if lx.peek() == Some(':') && lx.peek2() != Some('=') {
                lx.bump();
                let t = lx.take_while(|c| c.is_ascii_digit());
                if t.is_empty() {
                    return Err(lx.error(format!("expected a tag number after \"{name}:\"")));
                }
                Some(t.to_owned())
            } else {
                None
            };
            lx.skip_ws();
            if !lx.operator() {
                return Err(lx.error(format!(
                    "expected an operator (=, :=, +=, ==, ...) after \"{name}\", found {}",
                    lx.describe_next()
                )));
            }
            lx.skip_ws();
            let (bytes, _quoted) = lx.value(&name)?;
            out.push(self.make_pair(&name, tag.as_deref(), &bytes)?);
            lx.skip_ws();
            match lx.peek() {
                None => break,
                Some(',') => {
                    lx.bump();
                }
                Some(_) => {
                    return Err(lx.error(format!(
                        "expected \",\" or end of line after the value of {name}, found {}",
                        lx.describe_next()
                    )))
                }
            }
        }
        Ok(out)
    }

    /// Resolve a name to an attribute.
    pub fn resolve(&self, name: &str) -> Result<AttrRef> {
        if let Some(id) = self.dict.attr_by_name(name) {
            return Ok(AttrRef::Known(id));
        }
        if let Some(oid) = self.parse_raw_name(name)? {
            return Ok(AttrRef::Raw(oid));
        }
        // Dotted TLV path: Parent.Child[.Grandchild], children by name or number.
        if name.contains('.') {
            let mut parts = name.split('.');
            let first = parts.next().unwrap_or_default();
            let mut cur = self
                .dict
                .attr_by_name(first)
                .ok_or_else(|| TextError::UnknownAttribute(name.to_owned()))?;
            for part in parts {
                let next = self
                    .dict
                    .children(cur)
                    .iter()
                    .copied()
                    .find(|&c| self.dict.attr(c).name.eq_ignore_ascii_case(part))
                    .or_else(|| {
                        let n: u32 = part.parse().ok()?;
                        let a = self.dict.attr(cur);
                        self.dict.attr_by_number(Some(cur), a.vendor, n)
                    });
                match next {
                    Some(c) => cur = c,
                    None => return Err(TextError::UnknownAttribute(name.to_owned())),
                }
            }
            return Ok(AttrRef::Known(cur));
        }
        Err(TextError::UnknownAttribute(name.to_owned()))
    }

    /// `Attr-N[.N...]`, `Vendor-N-Attr-M[.M...]`, `VendorName-Attr-M`.
    fn parse_raw_name(&self, name: &str) -> Result<Option<RawOid>> {
        let bad = |why: &str| TextError::BadValue {
            attr: name.to_owned(),
            data_type: "attribute name",
            value: name.to_owned(),
            reason: why.to_owned(),
        };
        let lower = name.to_ascii_lowercase();
        let (vendor, oid) = if let Some(rest) = lower.strip_prefix("attr-") {
            (None, rest.to_owned())
        } else if let Some(i) = lower.find("-attr-") {
            let prefix = &name[..i];
            let oid = lower[i + 6..].to_owned();
            let vendor = if let Some(num) = prefix
                .strip_prefix("Vendor-")
                .or_else(|| prefix.strip_prefix("vendor-"))
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
            {
                num.parse::<u32>()
                    .ok()
                    .filter(|&v| v > 0 && v < 1 << 24)
                    .ok_or_else(|| bad("vendor number out of range"))?
            } else {
                match self.dict.vendor_by_name(prefix) {
                    Some(v) => v.id,
                    None => return Ok(None),
                }
            };
            (Some(vendor), oid)
        } else {
            return Ok(None);
        };
        let nums: Vec<u32> = oid
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("expected dot-separated numbers after Attr-"));
                }
                p.parse::<u32>().map_err(|_| bad("number too large"))
            })
            .collect::<Result<_>>()?;
        if let Some(v) = vendor {
            return Ok(Some(RawOid {
                ext: None,
                vendor: Some(v),
                path: nums,
            }));
        }
        let oid = match nums.as_slice() {
            [26, v, rest @ ..] if !rest.is_empty() => RawOid {
                ext: None,
                vendor: Some(*v),
                path: rest.to_vec(),
            },
            [e @ 241..=246, 26, v, rest @ ..] if !rest.is_empty() => RawOid {
                ext: Some(*e as u8),
                vendor: Some(*v),
                path: rest.to_vec(),
            },
            [e @ 241..=246, rest @ ..] if !rest.is_empty() => RawOid {
                ext: Some(*e as u8),
                vendor: None,
                path: rest.to_vec(),
            },
            _ => RawOid {
                ext: None,
                vendor: None,
                path: nums,
            },
        };
        Ok(Some(oid))
    }

    fn make_pair(&self, name: &str, tag: Option<&str>, bytes: &[u8]) -> Result<Pair> {
        let text = String::from_utf8_lossy(bytes);
        let text = text.as_ref();
        let attr = self.resolve(name)?;
        let spec = self.spec_of(&attr)?;
        let tag = match tag {
            None => None,
            Some(t) => {
                if !spec.flags.has_tag {
                    return Err(TextError::BadTag {
                        attr: spec.name,
                        tag: t.to_owned(),
                        reason: "the attribute has no has_tag flag",
                    });
                }
                match t.parse::<u8>() {
                    Ok(n) if n < 0x20 => Some(n),
                    _ => {
                        return Err(TextError::BadTag {
                            attr: spec.name,
                            tag: t.to_owned(),
                            reason: "tags are 0..=31",
                        })
                    }
                }
            }
        };
        let value = if let AttrRef::Raw(_) = attr {
            match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(h) => Value::Octets(hex_decode(h).map_err(|r| TextError::BadValue {
                    attr: spec.name.clone(),
                    data_type: "octets",
                    value: text.to_owned(),
                    reason: r,
                })?),
                None => {
                    return Err(TextError::BadValue {
                        attr: spec.name.clone(),
                        data_type: "octets",
                        value: text.to_owned(),
                        reason: "an unknown attribute requires a hex string (0x...)".to_owned(),
                    })
                }
            }
        } else {
            self.parse_value(&spec, text, bytes)?
        };
        Ok(Pair { attr, tag, value })
    }

    /// Parse the text of a value for an attribute of `spec`'s type
    /// (`bytes` is the same text before lossy UTF-8 conversion).
    fn parse_value(&self, spec: &Spec, s: &str, bytes: &[u8]) -> Result<Value> {
        let bad = |reason: &str| TextError::BadValue {
            attr: spec.name.clone(),
            data_type: spec.ty.name(),
            value: s.to_owned(),
            reason: reason.to_owned(),
        };
        let hex_fixed = |n: usize| -> Option<Vec<u8>> {
            let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
            hex_decode(h).ok().filter(|b| b.len() == n)
        };
        let enum_or_number = |max: u64| -> Result<u64> {
            if let Some(n) = parse_uint(s) {
                if n > max {
                    return Err(bad(&format!("larger than {max}")));
                }
                return Ok(n);
            }
            if let Some(id) = spec.id {
                if let Some(v) = self.dict.value_by_name(id, s) {
                    return Ok(v.value);
                }
            }
            Err(bad("not a number or a VALUE name of this attribute"))
        };
        Ok(match spec.ty {
            DataType::String => Value::String(bytes.to_vec()),
            DataType::Octets | DataType::Abinary => {
                let b = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(h) => hex_decode(h).map_err(|r| bad(&r))?,
                    None if spec.ty == DataType::Abinary => {
                        return Err(bad("Ascend filter syntax is not supported; give 0x hex"))
                    }
                    None => bytes.to_vec(),
                };
                if spec.ty == DataType::Abinary {
                    Value::Abinary(b)
                } else {
                    Value::Octets(b)
                }
            }
            DataType::Integer => Value::Integer(enum_or_number(u32::MAX.into())? as u32),
            DataType::Byte => Value::Byte(enum_or_number(u8::MAX.into())? as u8),
            DataType::Short => Value::Short(enum_or_number(u16::MAX.into())? as u16),
            DataType::Integer64 => Value::Integer64(enum_or_number(u64::MAX)?),
            DataType::Signed => Value::Signed(
                s.parse::<i32>()
                    .map_err(|_| bad("not a signed 32-bit decimal number"))?,
            ),
            DataType::Bool => match s.to_ascii_lowercase().as_str() {
                "yes" | "true" | "1" => Value::Bool(true),
                "no" | "false" | "0" => Value::Bool(false),
                _ => return Err(bad("expected yes or no")),
            },
            DataType::Date => {
                if let Some(id) = spec.id {
                    if let Some(v) = self.dict.value_by_name(id, s) {
                        return Ok(Value::Date(v.value as u32));
                    }
                }
                Value::Date(parse_date(s).ok_or_else(|| {
                    bad("expected seconds since 1970, \"Jan 1 2020 12:00:00 UTC\" or 2020-01-01T12:00:00Z")
                })?)
            }
            DataType::Ipaddr => {
                if let Some(b) = hex_fixed(4) {
                    return Ok(Value::Ipaddr(
                        <[u8; 4]>::try_from(b).expect("4 octets").into(),
                    ));
                }
                let a = s.strip_suffix("/32").unwrap_or(s);
                Value::Ipaddr(a.parse().map_err(|_| bad("not an IPv4 address"))?)
            }
            DataType::Ipv6Addr => {
                if let Some(b) = hex_fixed(16) {
                    return Ok(Value::Ipv6Addr(<[u8; 16]>::try_from(b).expect("16").into()));
                }
                let a = s.strip_suffix("/128").unwrap_or(s);
                Value::Ipv6Addr(a.parse().map_err(|_| bad("not an IPv6 address"))?)
            }
            DataType::Ipv4Prefix => {
                let (a, l) = split_prefix(s, 32).ok_or_else(|| bad("expected a.b.c.d/len"))?;
                let a: Ipv4Addr = a.parse().map_err(|_| bad("not an IPv4 address"))?;
                Value::Ipv4Prefix(Ipv4Addr::from(u32::from(a) & crate::value::v4_mask(l)), l)
            }
            DataType::Ipv6Prefix => {
                let (a, l) = split_prefix(s, 128).ok_or_else(|| bad("expected addr/len"))?;
                let a: Ipv6Addr = a.parse().map_err(|_| bad("not an IPv6 address"))?;
                Value::Ipv6Prefix(Ipv6Addr::from(u128::from(a) & crate::value::v6_mask(l)), l)
            }
            DataType::ComboIp => Value::ComboIp(
                s.parse::<IpAddr>()
                    .map_err(|_| bad("not an IPv4 or IPv6 address"))?,
            ),
            DataType::Ether => {
                if let Some(b) = hex_fixed(6) {
                    return Ok(Value::Ether(b.try_into().expect("6")));
                }
                if let Some(n) = s
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| s.parse::<u64>().ok())
                    .flatten()
                {
                    let b = n.to_be_bytes();
                    return Ok(Value::Ether(b[2..].try_into().expect("6")));
                }
                let parts: Vec<&str> = s.split([':', '-']).collect();
                if parts.len() != 6 {
                    return Err(bad("expected six hex octets separated by colons"));
                }
                let mut m = [0u8; 6];
                for (o, p) in m.iter_mut().zip(&parts) {
                    if p.is_empty() || p.len() > 2 {
                        return Err(bad("expected six hex octets separated by colons"));
                    }
                    *o = u8::from_str_radix(p, 16).map_err(|_| bad("not hex"))?;
                }
                Value::Ether(m)
            }
            DataType::Ifid => {
                if let Some(b) = hex_fixed(8) {
                    return Ok(Value::Ifid(b.try_into().expect("8")));
                }
                let parts: Vec<&str> = s.split(':').collect();
                if parts.len() != 4 {
                    return Err(bad("expected four 16-bit hex groups, e.g. 0:0:0:1"));
                }
                let mut m = [0u8; 8];
                for (i, p) in parts.iter().enumerate() {
                    if p.is_empty() || p.len() > 4 {
                        return Err(bad("expected four 16-bit hex groups, e.g. 0:0:0:1"));
                    }
                    let n = u16::from_str_radix(p, 16).map_err(|_| bad("not hex"))?;
                    m[2 * i..2 * i + 2].copy_from_slice(&n.to_be_bytes());
                }
                Value::Ifid(m)
            }
            DataType::Vsa => {
                return Err(bad("Vendor-Specific is a container: use Attr-26 = 0x..."))
            }
            DataType::Tlv | DataType::Extended | DataType::LongExtended | DataType::Evs => {
                return Err(bad(
                    "a container attribute has no value of its own: give its members",
                ))
            }
        })
    }

    // ---------------------------------------------------------------- encode

    /// Encode a list of pairs into attribute octets (no packet header).
    pub fn encode(&self, pairs: &[Pair]) -> Result<Vec<u8>> {
        let specs: Vec<Spec> = pairs
            .iter()
            .map(|p| self.spec_of(&p.attr))
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        let mut i = 0;
        while i < pairs.len() {
            let spec = &specs[i];
            if spec.loc.path.len() > 1 {
                // Consecutive members of the same top container are grouped.
                let key = container_key(&spec.loc);
                let mut j = i + 1;
                while j < pairs.len()
                    && specs[j].loc.path.len() > 1
                    && container_key(&specs[j].loc) == key
                {
                    j += 1;
                }
                let mut members = Vec::new();
                for k in i..j {
                    if let Some(v) = self.encode_leaf(&specs[k], &pairs[k])? {
                        if v.len() > MAX_ATTR_VALUE_LEN {
                            return Err(TextError::TooLong {
                                attr: specs[k].name.clone(),
                                len: v.len(),
                                max: MAX_ATTR_VALUE_LEN,
                            });
                        }
                        for n in &specs[k].loc.path[1..] {
                            if *n > 255 {
                                return Err(TextError::NotEncodable {
                                    attr: specs[k].name.clone(),
                                    reason: format!("TLV member number {n} above 255"),
                                });
                            }
                        }
                        members.push((&specs[k].loc.path[1..], v));
                    }
                }
                let top = RawOid {
                    ext: spec.loc.ext,
                    vendor: spec.loc.vendor,
                    path: vec![spec.loc.path[0]],
                };
                let max = self.container_room(&top);
                let name = top.to_string();
                let fits = |m: &[(&[u32], Vec<u8>)]| build_tlvs(m).filter(|v| v.len() <= max);
                let mut s = 0;
                while s < members.len() {
                    let mut e = s + 1;
                    while e < members.len() && fits(&members[s..e + 1]).is_some() {
                        e += 1;
                    }
                    let value = build_tlvs(&members[s..e]).ok_or_else(|| TextError::TooLong {
                        attr: name.clone(),
                        len: members[s].1.len(),
                        max: MAX_ATTR_VALUE_LEN - 2 * members[s].0.len(),
                    })?;
                    self.place(&top, &name, false, &value, &mut out)?;
                    s = e;
                }
                i = j;
                continue;
            }
            if let Some(v) = self.encode_leaf(spec, &pairs[i])? {
                self.place(&spec.loc, &spec.name, spec.flags.concat, &v, &mut out)?;
            }
            i += 1;
        }
        Ok(out)
    }

    /// Largest value a container at `loc` holds without fragmenting.
    fn container_room(&self, loc: &RawOid) -> usize {
        match (loc.ext, loc.vendor) {
            (None, None) => MAX_ATTR_VALUE_LEN,
            (None, Some(v)) => {
                let f = self.vendor_format(v);
                if f.continuation {
                    usize::MAX
                } else {
                    MAX_ATTR_VALUE_LEN - 4 - (f.type_width + f.length_width) as usize
                }
            }
            (Some(e), None) if attr::is_long_extended(e) => usize::MAX,
            (Some(_), None) => MAX_ATTR_VALUE_LEN - 1,
            (Some(e), Some(_)) if attr::is_long_extended(e) => usize::MAX,
            (Some(_), Some(_)) => MAX_ATTR_VALUE_LEN - 6,
        }
    }

    /// The value octets of one leaf (tag and encryption applied); `None`
    /// when FreeRADIUS would skip the attribute.
    fn encode_leaf(&self, spec: &Spec, pair: &Pair) -> Result<Option<Vec<u8>>> {
        if let (None, None, Some(&n)) = (spec.loc.ext, spec.loc.vendor, spec.loc.path.first()) {
            if spec.loc.path.len() == 1 && n > 255 {
                return Ok(None); // server-internal
            }
            if spec.loc.path.len() == 1 && n == 80 {
                return Ok(Some(vec![0; 16])); // Message-Authenticator placeholder
            }
        }
        if spec.flags.virtual_ {
            return Err(TextError::NotEncodable {
                attr: spec.name.clone(),
                reason: "virtual (server-internal) attributes have no wire form".to_owned(),
            });
        }
        let got = pair.value.data_type();
        let compatible = got == spec.ty
            || (spec.ty == DataType::Abinary && got == DataType::Octets)
            || (spec.ty == DataType::Octets && got == DataType::Abinary);
        if !compatible {
            return Err(TextError::TypeMismatch {
                attr: spec.name.clone(),
                expected: spec.ty.name(),
                got: got.name(),
            });
        }
        let plain = pair.value.to_bytes();
        let is_cui = spec.loc
            == RawOid {
                ext: None,
                vendor: None,
                path: vec![89],
            };
        if plain.is_empty() {
            return Ok(is_cui.then(Vec::new));
        }
        let tag = pair.tag.filter(|_| spec.flags.has_tag);
        let valid_tag = tag.filter(|t| (1..0x20).contains(t));
        let too_long = |len: usize, max: usize| TextError::TooLong {
            attr: spec.name.clone(),
            len,
            max,
        };
        let mut out = Vec::with_capacity(plain.len() + 18);
        match spec.flags.encrypt {
            Encrypt::UserPassword => {
                if plain.len() > crypto::MAX_USER_PASSWORD {
                    return Err(too_long(plain.len(), crypto::MAX_USER_PASSWORD));
                }
                crypto::encrypt_user_password(&plain, &self.secret, &self.authenticator, &mut out)
                    .map_err(|_| too_long(plain.len(), crypto::MAX_USER_PASSWORD))?;
            }
            Encrypt::TunnelPassword => {
                if spec.flags.has_tag {
                    out.push(valid_tag.unwrap_or(0));
                }
                if plain.len() > 239 {
                    return Err(too_long(plain.len(), 239));
                }
                crypto::encrypt_tunnel_password(
                    &plain,
                    &self.secret,
                    &self.authenticator,
                    self.salt,
                    &mut out,
                )
                .map_err(|_| too_long(plain.len(), 239))?;
            }
            Encrypt::AscendSecret => {
                crypto::encrypt_ascend_secret(&plain, &self.secret, &self.authenticator, &mut out);
            }
            Encrypt::None => match (valid_tag, spec.ty) {
                (Some(t), DataType::Integer) => {
                    if plain[0] != 0 {
                        return Err(TextError::BadValue {
                            attr: spec.name.clone(),
                            data_type: "integer",
                            value: u32::from_be_bytes(plain[..4].try_into().unwrap_or_default())
                                .to_string(),
                            reason: "a tagged integer has only 24 bits (RFC 2868)".to_owned(),
                        });
                    }
                    out.push(t);
                    out.extend_from_slice(&plain[1..]);
                }
                (Some(t), DataType::String) => {
                    out.push(t);
                    out.extend_from_slice(&plain);
                }
                // Untagged, but the value starts like a tag (0x00-0x1F):
                // tag 0 first, or the receiver takes that octet for the tag.
                (None, DataType::String) if spec.flags.has_tag && plain[0] < 0x20 => {
                    out.push(0);
                    out.extend_from_slice(&plain);
                }
                _ => out.extend_from_slice(&plain),
            },
        }
        Ok(Some(out))
    }

    /// Wrap value octets in the header(s) of the attribute at `loc`.
    fn place(
        &self,
        loc: &RawOid,
        name: &str,
        concat: bool,
        value: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let not = |reason: String| TextError::NotEncodable {
            attr: name.to_owned(),
            reason,
        };
        let too_long = |max: usize| TextError::TooLong {
            attr: name.to_owned(),
            len: value.len(),
            max,
        };
        let n = *loc
            .path
            .first()
            .ok_or_else(|| not("empty OID".to_owned()))?;
        if loc.path.len() != 1 {
            return Err(not("a TLV member is placed inside its container".to_owned()));
        }
        match (loc.ext, loc.vendor) {
            (None, None) => {
                let t = u8::try_from(n)
                    .ok()
                    .filter(|&t| t != 0)
                    .ok_or_else(|| not(format!("attribute number {n} outside 1..=255")))?;
                if concat && value.len() > MAX_ATTR_VALUE_LEN {
                    attr::encode_concat(out, t, value);
                } else {
                    if value.len() > MAX_ATTR_VALUE_LEN {
                        return Err(too_long(MAX_ATTR_VALUE_LEN));
                    }
                    out.push(t);
                    out.push(2 + value.len() as u8);
                    out.extend_from_slice(value);
                }
            }
            (None, Some(v)) => {
                if v == 0 || v >= 1 << 24 {
                    return Err(not(format!("vendor {v} outside 1..2^24")));
                }
                let f = self.vendor_format(v);
                let max_type = match f.type_width {
                    1 => 0xff,
                    2 => 0xffff,
                    _ => 0xff_ffff,
                };
                if n > max_type {
                    return Err(not(format!(
                        "vendor type {n} does not fit the vendor's {}-octet type field",
                        f.type_width
                    )));
                }
                attr::encode_vsa(out, v, f, n, value).map_err(|_| {
                    too_long(MAX_ATTR_VALUE_LEN - 4 - (f.type_width + f.length_width) as usize)
                })?;
            }
            (Some(e), vendor) => {
                if !attr::is_extended(e) {
                    return Err(not(format!("extended space {e} outside 241..=246")));
                }
                let t = u8::try_from(n).map_err(|_| not(format!("extended type {n} above 255")))?;
                let (ext_type, body) = match vendor {
                    None => (t, value.to_vec()),
                    Some(v) => {
                        if v == 0 || v >= 1 << 24 {
                            return Err(not(format!("vendor {v} outside 1..2^24")));
                        }
                        (26, attr::evs_value(v, t, value))
                    }
                };
                if attr::is_long_extended(e) {
                    attr::encode_long_extended(out, e, ext_type, &body);
                } else {
                    let hdr = body.len() - value.len();
                    attr::encode_extended(out, e, ext_type, &body)
                        .map_err(|_| too_long(MAX_ATTR_VALUE_LEN - 1 - hdr))?;
                }
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- decode

    /// Decode attribute octets (no packet header) into pairs, as FreeRADIUS
    /// v3 does. Unknown and malformed attributes become raw pairs; only an
    /// attribute area whose headers do not add up is an error.
    pub fn decode(&self, data: &[u8]) -> Result<Vec<Pair>> {
        let mut off = 0;
        while off < data.len() {
            if data.len() - off < 2 {
                return Err(TextError::Malformed {
                    offset: off,
                    reason: "attribute header overflows the data",
                });
            }
            if data[off] == 0 {
                return Err(TextError::Malformed {
                    offset: off,
                    reason: "attribute type 0 is invalid",
                });
            }
            if data[off + 1] < 2 {
                return Err(TextError::Malformed {
                    offset: off,
                    reason: "attribute length below 2",
                });
            }
            if data[off + 1] as usize > data.len() - off {
                return Err(TextError::Malformed {
                    offset: off,
                    reason: "attribute overflows the data",
                });
            }
            off += data[off + 1] as usize;
        }
        let mut out = Vec::new();
        let mut off = 0;
        while off < data.len() {
            let t = data[off];
            let len = data[off + 1] as usize;
            let id = self.dict.attr_by_number(None, None, t as u32);
            let concat = id.is_some_and(|i| self.dict.attr(i).flags.concat);
            if concat {
                let mut v = Vec::new();
                let mut p = off;
                while p < data.len() && data[p] == t {
                    v.extend_from_slice(&data[p + 2..p + data[p + 1] as usize]);
                    p += data[p + 1] as usize;
                }
                let id = id.expect("concat implies known");
                out.push(Pair {
                    attr: AttrRef::Known(id),
                    tag: None,
                    value: Value::Octets(v),
                });
                off = p;
                continue;
            }
            let value = &data[off + 2..off + len];
            let rest = &data[off + 2..];
            let used = match id {
                Some(id) => self.data2vp(Node::Known(id), value, rest, &mut out),
                None => {
                    self.push_raw(std_oid(t as u32), value, &mut out);
                    value.len()
                }
            };
            off += 2 + used.max(value.len());
        }
        Ok(out)
    }

    fn push_raw(&self, oid: RawOid, value: &[u8], out: &mut Vec<Pair>) {
        out.push(Pair {
            attr: AttrRef::Raw(oid),
            tag: None,
            value: Value::Octets(value.to_vec()),
        });
    }

    fn oid_of_node(&self, node: &Node) -> RawOid {
        match node {
            Node::Known(id) => self.loc_of(*id).unwrap_or_else(|_| RawOid {
                ext: None,
                vendor: None,
                path: vec![self.dict.attr(*id).number],
            }),
            Node::Raw(o) => o.clone(),
        }
    }

    /// FreeRADIUS's `data2vp`: decode `data` (one attribute's value) as
    /// `node`, appending pairs. `rest` starts at `data` and runs to the end
    /// of the attribute area (for continuations). Returns the octets of
    /// `rest` consumed (at least `data.len()`).
    fn data2vp(&self, node: Node, data: &[u8], rest: &[u8], out: &mut Vec<Pair>) -> usize {
        let (ty, flags) = match &node {
            Node::Known(id) => {
                let a = self.dict.attr(*id);
                (a.data_type, a.flags)
            }
            Node::Raw(_) => (DataType::Octets, Flags::default()),
        };
        let is_cui = matches!(node, Node::Known(id) if {
            let a = self.dict.attr(id);
            a.parent.is_none() && a.vendor.is_none() && a.number == 89
        });
        if data.is_empty() && !is_cui {
            return 0;
        }
        let raw = |out: &mut Vec<Pair>| {
            self.push_raw(self.oid_of_node(&node), data, out);
            data.len()
        };
        match ty {
            DataType::Vsa => {
                let before = out.len();
                match self.decode_vsas(data, rest, out) {
                    Some(n) => n,
                    None => {
                        out.truncate(before);
                        raw(out)
                    }
                }
            }
            DataType::Extended => {
                let Node::Known(id) = node else {
                    return raw(out);
                };
                if data.len() < 2 {
                    return raw(out);
                }
                match self.dict.attr_by_number(Some(id), None, data[0] as u32) {
                    Some(c) => {
                        self.data2vp(Node::Known(c), &data[1..], &data[1..], out);
                        data.len()
                    }
                    None => raw(out),
                }
            }
            DataType::LongExtended => {
                let Node::Known(id) = node else {
                    return raw(out);
                };
                let e = self.dict.attr(id).number;
                if data.len() < 3 {
                    return raw(out);
                }
                let child = match self.dict.attr_by_number(Some(id), None, data[0] as u32) {
                    Some(c) => Node::Known(c),
                    None if data[0] == 26 && data.len() >= 8 => {
                        let v = u32::from_be_bytes([data[3], data[4], data[5], data[6]]);
                        if v == 0 {
                            return raw(out);
                        }
                        Node::Raw(RawOid {
                            ext: Some(e as u8),
                            vendor: Some(v),
                            path: vec![data[7] as u32],
                        })
                    }
                    None => Node::Raw(RawOid {
                        ext: Some(e as u8),
                        vendor: None,
                        path: vec![data[0] as u32],
                    }),
                };
                self.decode_long_extended(e as u8, child, data, rest, out)
            }
            DataType::Evs => {
                let Node::Known(id) = node else {
                    return raw(out);
                };
                if data.len() < 6 || data[0] != 0 {
                    return raw(out);
                }
                let v = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                match self.dict.attr_by_number(Some(id), Some(v), data[4] as u32) {
                    Some(c) => {
                        self.data2vp(Node::Known(c), &data[5..], &data[5..], out);
                    }
                    None => {
                        let ext = self
                            .dict
                            .attr(id)
                            .parent
                            .map(|p| self.dict.attr(p).number as u8);
                        self.push_raw(
                            RawOid {
                                ext,
                                vendor: Some(v),
                                path: vec![data[4] as u32],
                            },
                            &data[5..],
                            out,
                        );
                    }
                }
                data.len()
            }
            DataType::Tlv => {
                let before = out.len();
                if self.decode_tlvs(&node, data, out).is_none() {
                    out.truncate(before);
                    return raw(out);
                }
                data.len()
            }
            _ => {
                match self.decode_leaf(ty, flags, data) {
                    Some((tag, value)) => out.push(Pair {
                        attr: match node {
                            Node::Known(id) => AttrRef::Known(id),
                            Node::Raw(o) => AttrRef::Raw(o),
                        },
                        tag: if flags.has_tag { Some(tag) } else { None },
                        value,
                    }),
                    None => {
                        raw(out);
                    }
                }
                data.len()
            }
        }
    }

    /// Tag, decryption and type checks of a leaf value (`data2vp`).
    fn decode_leaf(&self, ty: DataType, flags: Flags, data: &[u8]) -> Option<(u8, Value)> {
        let mut tag = 0u8;
        let mut buf: Vec<u8> = data.to_vec();
        if flags.has_tag
            && data.len() > 1
            && (data[0] < 0x20 || flags.encrypt == Encrypt::TunnelPassword)
        {
            match ty {
                DataType::String | DataType::Octets => {
                    tag = data[0];
                    buf.remove(0);
                }
                DataType::Integer => {
                    tag = data[0];
                    buf[0] = 0;
                }
                _ => return None,
            }
        }
        match flags.encrypt {
            Encrypt::None => {}
            Encrypt::UserPassword => {
                if buf.is_empty() || buf.len() % 16 != 0 || buf.len() > 128 {
                    return None;
                }
                let mut p = Vec::new();
                // Trailing NULs are padding, except in fixed-length values,
                // which keep their length.
                if let Some(n) = flags.length {
                    crypto::decrypt_user_password_padded(
                        &buf,
                        &self.secret,
                        &self.authenticator,
                        &mut p,
                    )
                    .ok()?;
                    p.truncate(n as usize);
                } else {
                    crypto::decrypt_user_password(&buf, &self.secret, &self.authenticator, &mut p)
                        .ok()?;
                }
                buf = p;
            }
            Encrypt::TunnelPassword => {
                buf = crypto::decrypt_tunnel_password_lenient(
                    &buf,
                    &self.secret,
                    &self.authenticator,
                )?
            }
            Encrypt::AscendSecret => {
                if buf.len() != 16 {
                    return None;
                }
                let mut p = Vec::new();
                crypto::decrypt_ascend_secret(&buf, &self.secret, &self.authenticator, &mut p)
                    .ok()?;
                buf = p;
            }
        }
        Some((tag, Value::from_bytes(ty, &buf)?))
    }

    /// `rad_data2vp_tlvs`: the members of a TLV value. `None` if they do
    /// not parse (the caller prints the whole TLV raw).
    fn decode_tlvs(&self, parent: &Node, data: &[u8], out: &mut Vec<Pair>) -> Option<()> {
        if data.len() < 3 || !tlv_ok(data, 1, 1) {
            return None;
        }
        let ploc = self.oid_of_node(parent);
        let mut p = 0;
        while p < data.len() {
            let n = data[p] as u32;
            let len = data[p + 1] as usize;
            let v = &data[p + 2..p + len];
            let child = match parent {
                Node::Known(id) => {
                    let a = self.dict.attr(*id);
                    self.dict
                        .attr_by_number(Some(*id), a.vendor, n)
                        .map(Node::Known)
                }
                Node::Raw(_) => None,
            }
            .unwrap_or_else(|| {
                let mut o = ploc.clone();
                o.path.push(n);
                Node::Raw(o)
            });
            self.data2vp(child, v, v, out);
            p += len;
        }
        Some(())
    }

    /// `data2vp_vsas`: one Vendor-Specific value. `None` when malformed.
    fn decode_vsas(&self, data: &[u8], rest: &[u8], out: &mut Vec<Pair>) -> Option<usize> {
        if data.len() < 5 || data[0] != 0 {
            return None;
        }
        let vendor = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        let dv = self.dict.vendor_by_id(vendor);
        let f = self.vendor_format(vendor);
        if dv.is_some() && f.continuation {
            return self.decode_wimax(vendor, data, rest, out);
        }
        let tw = f.type_width as usize;
        let lw = f.length_width as usize;
        if !tlv_ok(&data[4..], tw, lw) {
            return None;
        }
        let mut p = 4;
        while p < data.len() {
            let d = &data[p..];
            let typ = match tw {
                4 => u32::from_be_bytes([0, d[1], d[2], d[3]]),
                2 => u16::from_be_bytes([d[0], d[1]]) as u32,
                _ => d[0] as u32,
            };
            let attrlen = match lw {
                0 => d.len(),
                2 => d[tw + 1] as usize,
                _ => d[tw] as usize,
            };
            let v = &d[tw + lw..attrlen];
            let node = match self.dict.attr_by_number(None, Some(vendor), typ) {
                Some(id) => Node::Known(id),
                None => Node::Raw(RawOid {
                    ext: None,
                    vendor: Some(vendor),
                    path: vec![typ],
                }),
            };
            self.data2vp(node, v, v, out);
            p += attrlen;
        }
        Some(data.len())
    }

    /// `data2vp_wimax`: a WiMAX VSA, possibly continued in the following
    /// Vendor-Specific attributes.
    fn decode_wimax(
        &self,
        vendor: u32,
        data: &[u8],
        rest: &[u8],
        out: &mut Vec<Pair>,
    ) -> Option<usize> {
        if data.len() < 8 || data[5] < 3 {
            return None;
        }
        let child = self
            .dict
            .attr_by_number(None, Some(vendor), data[4] as u32)?;
        if data[6] & 0x80 == 0 {
            if data[5] as usize + 4 != data.len() {
                return None;
            }
            let v = &data[7..];
            self.data2vp(Node::Known(child), v, v, out);
            return Some(data.len());
        }
        // Continued: rest = this VSA's value followed by further attributes.
        // Every fragment fills its Vendor-Specific exactly, so decoding
        // resumes on an attribute boundary.
        if data[5] as usize + 4 != data.len() {
            return None;
        }
        let mut value = Vec::new();
        let mut p = 4; // at the WiMAX attr header within `rest`
        loop {
            let a = rest.get(p..)?;
            if a.len() < 3 || a[1] <= 3 || a[1] as usize > a.len() {
                return None;
            }
            let more = a[2] & 0x80 != 0;
            value.extend_from_slice(&a[3..a[1] as usize]);
            p += a[1] as usize;
            if !more {
                break;
            }
            let n = rest.get(p..)?;
            if n.len() < 9
                || n[0] != attr::VENDOR_SPECIFIC
                || n[1] < 9
                || n[1] as usize > n.len()
                || n[2..6] != data[0..4]
                || n[1] as usize != n[7] as usize + 6
                || n[6] != data[4]
            {
                return None;
            }
            p += 6;
        }
        if value.is_empty() {
            return None;
        }
        self.data2vp(Node::Known(child), &value, &value, out);
        Some(p)
    }

    /// `data2vp_extended`: a long-extended attribute (data = Extended-Type,
    /// flags, value), joining fragments.
    fn decode_long_extended(
        &self,
        e: u8,
        child: Node,
        data: &[u8],
        rest: &[u8],
        out: &mut Vec<Pair>,
    ) -> usize {
        let raw = |out: &mut Vec<Pair>| {
            self.push_raw(std_oid(e as u32), data, out);
            data.len()
        };
        if data.len() < 3 {
            return raw(out);
        }
        let strip_evs = |v: Vec<u8>| -> Vec<u8> {
            // An unknown EVS child without an evs definition: skip the
            // vendor header.
            match &child {
                Node::Raw(RawOid {
                    vendor: Some(_), ..
                }) if v.len() >= 5 => v[5..].to_vec(),
                _ => v,
            }
        };
        if data[1] & 0x80 == 0 {
            let v = strip_evs(data[2..].to_vec());
            self.data2vp(child, &v, &v, out);
            return data.len();
        }
        let mut value = data[2..].to_vec();
        let mut p = data.len();
        loop {
            let Some(a) = rest.get(p..).filter(|a| !a.is_empty()) else {
                return raw(out);
            };
            if a.len() < 4 || a[1] < 4 || a[1] as usize > a.len() || a[0] != e || a[2] != data[0] {
                return raw(out);
            }
            value.extend_from_slice(&a[4..a[1] as usize]);
            // `p` indexes `rest`, which starts at this attribute's value;
            // the following attributes' headers are at rest[p - 2 + ...].
            p += a[1] as usize;
            if a[3] & 0x80 == 0 {
                break;
            }
        }
        let v = strip_evs(value);
        self.data2vp(child, &v, &v, out);
        p
    }

    // ----------------------------------------------------------------- print

    /// Print pairs as FreeRADIUS does: `Name = value, Name:1 = value`.
    pub fn format(&self, pairs: &[Pair]) -> String {
        let mut s = String::new();
        for (i, p) in pairs.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&self.format_pair(p));
        }
        s
    }

    /// Print one pair: `Name[:tag] = value`.
    pub fn format_pair(&self, p: &Pair) -> String {
        let mut s = String::new();
        match &p.attr {
            AttrRef::Known(id) => {
                let a = self.dict.attr(*id);
                s.push_str(&a.name);
                if a.flags.has_tag {
                    if let Some(t) = p.tag {
                        let _ = write!(s, ":{t}");
                    }
                }
            }
            AttrRef::Raw(o) => {
                let _ = write!(s, "{o}");
            }
        }
        s.push_str(" = ");
        let id = match &p.attr {
            AttrRef::Known(id) => Some(*id),
            AttrRef::Raw(_) => None,
        };
        self.format_value(id, &p.value, &mut s);
        s
    }

    fn format_value(&self, id: Option<AttrId>, v: &Value, s: &mut String) {
        let named = |n: u64, s: &mut String| match id.and_then(|i| self.dict.value_name(i, n)) {
            Some(name) => s.push_str(name),
            None => {
                let _ = write!(s, "{n}");
            }
        };
        match v {
            Value::String(b) => {
                s.push('"');
                escape_string(b, s);
                s.push('"');
            }
            Value::Octets(b) | Value::Abinary(b) => {
                s.push_str("0x");
                for x in b {
                    let _ = write!(s, "{x:02x}");
                }
            }
            Value::Ipaddr(a) => {
                let _ = write!(s, "{a}");
            }
            Value::Ipv4Prefix(a, l) => {
                let _ = write!(s, "{a}/{l}");
            }
            Value::Ipv6Addr(a) => s.push_str(&ipv6_ntop(a)),
            Value::Ipv6Prefix(a, l) => {
                let _ = write!(s, "{}/{l}", ipv6_ntop(a));
            }
            Value::Integer(n) => named(*n as u64, s),
            Value::Byte(n) => named(*n as u64, s),
            Value::Short(n) => named(*n as u64, s),
            Value::Integer64(n) => {
                let _ = write!(s, "{n}");
            }
            Value::Signed(n) => {
                let _ = write!(s, "{n}");
            }
            Value::Date(t) => {
                let _ = write!(s, "\"{}\"", format_date(*t));
            }
            Value::Ifid(b) => {
                let g = |i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
                let _ = write!(s, "{:x}:{:x}:{:x}:{:x}", g(0), g(1), g(2), g(3));
            }
            Value::Ether(m) => {
                let _ = write!(
                    s,
                    "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    m[0], m[1], m[2], m[3], m[4], m[5]
                );
            }
            Value::Bool(b) => s.push_str(if *b { "yes" } else { "no" }),
            Value::ComboIp(IpAddr::V4(a)) => {
                let _ = write!(s, "{a}");
            }
            Value::ComboIp(IpAddr::V6(a)) => s.push_str(&ipv6_ntop(a)),
        }
    }

    // ----------------------------------------------------------- one-liners

    /// Parse a line and encode it.
    pub fn encode_line(&self, line: &str) -> Result<Vec<u8>> {
        self.encode(&self.parse(line)?)
    }

    /// Decode octets and print them.
    pub fn decode_to_string(&self, data: &[u8]) -> Result<String> {
        Ok(self.format(&self.decode(data)?))
    }
}

/// An attribute being decoded: a dictionary one or a raw one.
#[derive(Debug, Clone)]
enum Node {
    Known(AttrId),
    Raw(RawOid),
}

fn std_oid(n: u32) -> RawOid {
    RawOid {
        ext: None,
        vendor: None,
        path: vec![n],
    }
}

/// TLV members of one container are grouped when the container is the same.
fn container_key(loc: &RawOid) -> (Option<u8>, Option<u32>, u32) {
    (loc.ext, loc.vendor, loc.path[0])
}

/// Encode TLV members (paths relative to the container) as nested
/// type-length-value octets, grouping consecutive members with the same
/// next path element (`vp2data_tlvs`).
fn build_tlvs(members: &[(&[u32], Vec<u8>)]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < members.len() {
        let (path, v) = &members[i];
        let t = path[0] as u8;
        if path.len() == 1 {
            out.push(t);
            out.push(u8::try_from(v.len() + 2).ok()?);
            out.extend_from_slice(v);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < members.len() && members[j].0.len() > 1 && members[j].0[0] == path[0] {
            j += 1;
        }
        let sub: Vec<(&[u32], Vec<u8>)> = members[i..j]
            .iter()
            .map(|(p, v)| (&p[1..], v.clone()))
            .collect();
        let inner = build_tlvs(&sub)?;
        out.push(t);
        out.push(u8::try_from(inner.len() + 2).ok()?);
        out.extend_from_slice(&inner);
        i = j;
    }
    Some(out)
}

/// `rad_tlv_ok`: do `data` parse as sub-attributes with `tw`-octet types
/// and `lw`-octet lengths?
fn tlv_ok(data: &[u8], tw: usize, lw: usize) -> bool {
    let mut d = data;
    while !d.is_empty() {
        if d.len() < tw + lw {
            return false;
        }
        let bad_type = match tw {
            4 => d[0] != 0 || d[..4] == [0, 0, 0, 0],
            2 => d[0] == 0 && d[1] == 0,
            _ => false, // type 0 is allowed (as FreeRADIUS does, for Colubris)
        };
        if bad_type {
            return false;
        }
        let attrlen = match lw {
            0 => return true,
            2 => {
                if d[tw] != 0 {
                    return false;
                }
                d[tw + 1] as usize
            }
            _ => d[tw] as usize,
        };
        if attrlen < tw + lw || attrlen > d.len() {
            return false;
        }
        d = &d[attrlen..];
    }
    true
}

/// radclient's default secret, keyed once.
fn default_secret() -> &'static Secret {
    static S: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();
    S.get_or_init(|| Secret::new(b"testing123"))
}

/// FreeRADIUS `fr_prints` for double quotes: escapes `"`, `\`, CR, LF,
/// TAB; other control characters and invalid UTF-8 as `\ooo`; a single
/// trailing NUL is not printed.
fn escape_string(b: &[u8], s: &mut String) {
    let b = match b.split_last() {
        Some((0, head)) => head,
        _ => b,
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let esc = match c {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'\r' => Some('r'),
            b'\n' => Some('n'),
            b'\t' => Some('t'),
            _ => None,
        };
        if let Some(e) = esc {
            s.push('\\');
            s.push(e);
            i += 1;
            continue;
        }
        let n = utf8_char_len(&b[i..]);
        if n == 0 {
            let _ = write!(s, "\\{c:03o}");
            i += 1;
            continue;
        }
        s.push_str(std::str::from_utf8(&b[i..i + n]).unwrap_or("\u{fffd}"));
        i += n;
    }
}

/// FreeRADIUS `fr_utf8_char`: length of the valid UTF-8 character at the
/// start of `b` (control characters and DEL count as invalid), or 0.
fn utf8_char_len(b: &[u8]) -> usize {
    let c = b[0];
    if c < 0x20 {
        return 0;
    }
    if c <= 0x7e {
        return 1;
    }
    if c <= 0xc1 {
        return 0;
    }
    let cont = |i: usize, lo: u8, hi: u8| b.get(i).is_some_and(|&x| x >= lo && x <= hi);
    if c <= 0xdf {
        return if cont(1, 0x80, 0xbf) { 2 } else { 0 };
    }
    if c == 0xe0 {
        return if cont(1, 0xa0, 0xbf) && cont(2, 0x80, 0xbf) {
            3
        } else {
            0
        };
    }
    if (0xe1..=0xec).contains(&c) || c == 0xee || c == 0xef {
        return if cont(1, 0x80, 0xbf) && cont(2, 0x80, 0xbf) {
            3
        } else {
            0
        };
    }
    if c == 0xed {
        return if cont(1, 0x80, 0x9f) && cont(2, 0x80, 0xbf) {
            3
        } else {
            0
        };
    }
    if c == 0xf0 {
        return if cont(1, 0x90, 0xbf) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) {
            4
        } else {
            0
        };
    }
    if (0xf1..=0xf3).contains(&c) {
        return if cont(1, 0x80, 0xbf) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) {
            4
        } else {
            0
        };
    }
    if c == 0xf4 {
        return if cont(1, 0x80, 0x8f) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) {
            4
        } else {
            0
        };
    }
    0
}

/// glibc `inet_ntop` for IPv6 (Rust's formatting, plus the IPv4-compatible
/// `::a.b.c.d` form glibc still prints).
fn ipv6_ntop(a: &Ipv6Addr) -> String {
    let s = a.segments();
    if s[..6] == [0; 6] && s[6] != 0 {
        let o = a.octets();
        return format!("::{}.{}.{}.{}", o[12], o[13], o[14], o[15]);
    }
    a.to_string()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `%b %e %Y %H:%M:%S UTC`.
fn format_date(t: u32) -> String {
    let days = (t / 86400) as i64;
    let secs = t % 86400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {:>2} {} {:02}:{:02}:{:02} UTC",
        MONTHS[(m - 1) as usize],
        d,
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds; `Mon D YYYY [HH:MM[:SS]] [UTC|GMT|Z]`; `YYYY-MM-DD[THH:MM[:SS]][Z]`.
fn parse_date(s: &str) -> Option<u32> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let hms = |t: &str| -> Option<u32> {
        let mut it = t.split(':');
        let h: u32 = it.next()?.parse().ok()?;
        let m: u32 = it.next()?.parse().ok()?;
        let sec: u32 = match it.next() {
            Some(x) => x.parse().ok()?,
            None => 0,
        };
        if it.next().is_some() || h > 23 || m > 59 || sec > 60 {
            return None;
        }
        Some(h * 3600 + m * 60 + sec)
    };
    let total = |y: i64, mo: u32, d: u32, secs: u32| -> Option<u32> {
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
            return None;
        }
        let t = days_from_civil(y, mo, d) * 86400 + secs as i64;
        u32::try_from(t).ok()
    };
    let words: Vec<&str> = s.split_whitespace().collect();
    if let Some(mo) = words.first().and_then(|w| {
        MONTHS
            .iter()
            .position(|m| w.len() >= 3 && m.eq_ignore_ascii_case(&w[..3]))
    }) {
        if words.len() < 3 {
            return None;
        }
        let d: u32 = words[1].trim_end_matches(',').parse().ok()?;
        let y: i64 = words[2].parse().ok()?;
        let mut secs = 0;
        for w in &words[3..] {
            if w.contains(':') {
                secs = hms(w)?;
            } else if !["UTC", "GMT", "Z"]
                .iter()
                .any(|z| z.eq_ignore_ascii_case(w))
            {
                return None;
            }
        }
        return total(y, mo as u32 + 1, d, secs);
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut it = date.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let mo: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    let secs = match time {
        Some(t) => hms(t)?,
        None => 0,
    };
    total(y, mo, d, secs)
}

/// `fr_strtoul`: decimal or `0x` hexadecimal, the whole string.
fn parse_uint(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(h, 16).ok()
        }
        Some(_) => None,
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

fn split_prefix(s: &str, max: u8) -> Option<(&str, u8)> {
    match s.rsplit_once('/') {
        Some((a, l)) => {
            let l: u8 = l.parse().ok()?;
            (l <= max).then_some((a, l))
        }
        None => Some((s, max)),
    }
}

/// Decode a hex string (spaces allowed between pairs); the error says why.
pub fn hex_decode(h: &str) -> std::result::Result<Vec<u8>, String> {
    let digits: Vec<u8> = h.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).map_err(|_| "not hex".to_owned())?;
            u8::from_str_radix(s, 16).map_err(|_| format!("\"{s}\" is not a hex octet"))
        })
        .collect()
}

/// Lowercase hex octets separated by single spaces.
pub fn hex_spaced(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// A hand-written lexer for one line of pairs.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }
    fn peek2(&self) -> Option<char> {
        let mut it = self.s[self.pos..].chars();
        it.next();
        it.next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    fn column(&self) -> usize {
        self.s[..self.pos].chars().count() + 1
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }
    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.bump();
        }
        &self.s[start..self.pos]
    }
    fn name(&mut self) -> String {
        self.take_while(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            .to_owned()
    }
    fn describe_next(&self) -> String {
        match self.peek() {
            None => "end of line".to_owned(),
            Some(c) => format!("\"{c}\""),
        }
    }
    fn error(&self, message: String) -> TextError {
        TextError::Syntax {
            column: self.column(),
            message,
        }
    }
    fn operator(&mut self) -> bool {
        for op in [
            ":=", "+=", "-=", "==", "!=", ">=", "<=", "=~", "!~", "=*", "!*", "=", ">", "<",
        ] {
            if self.s[self.pos..].starts_with(op) {
                self.pos += op.len();
                return true;
            }
        }
        false
    }
    /// A quoted or bare value: (text, was quoted).
    fn value(&mut self, name: &str) -> Result<(Vec<u8>, bool)> {
        match self.peek() {
            Some(q @ ('"' | '\'')) => {
                let col = self.column();
                self.bump();
                let mut out: Vec<u8> = Vec::new();
                loop {
                    let Some(c) = self.bump() else {
                        return Err(TextError::Syntax {
                            column: col,
                            message: format!("unterminated {q}-quoted value of {name}"),
                        });
                    };
                    if c == q {
                        break;
                    }
                    if c != '\\' {
                        let mut b = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                        continue;
                    }
                    let Some(e) = self.peek() else {
                        return Err(self.error(format!("escape at end of the value of {name}")));
                    };
                    let rest = &self.s[self.pos..];
                    let oct = rest.as_bytes();
                    if oct.len() >= 3 && oct[..3].iter().all(|b| b.is_ascii_digit()) {
                        if let Ok(n) = u8::from_str_radix(&rest[..3], 8) {
                            out.push(n);
                            self.pos += 3;
                            continue;
                        }
                    }
                    match e {
                        'r' => out.push(b'\r'),
                        'n' => out.push(b'\n'),
                        't' => out.push(b'\t'),
                        '\\' => out.push(b'\\'),
                        c if c == q => out.push(q as u8),
                        _ => {
                            // Not an escape: keep the backslash (as FreeRADIUS).
                            out.push(b'\\');
                            continue;
                        }
                    }
                    self.bump();
                }
                Ok((out, true))
            }
            Some('`') => Err(self.error(format!(
                "back-quoted (expanded) values are not supported for {name}"
            ))),
            _ => {
                let v = self.take_while(|c| !c.is_whitespace() && c != ',');
                if v.is_empty() {
                    return Err(self.error(format!(
                        "expected a value for {name}, found {}",
                        self.describe_next()
                    )));
                }
                Ok((v.as_bytes().to_vec(), false))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_date(0), "Jan  1 1970 00:00:00 UTC");
        assert_eq!(format_date(1_577_836_800), "Jan  1 2020 00:00:00 UTC");
        assert_eq!(parse_date("Jan  1 2020 00:00:00 UTC"), Some(1_577_836_800));
        assert_eq!(parse_date("Jan 1 2020"), Some(1_577_836_800));
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(1_577_836_800));
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800));
        assert_eq!(parse_date("Feb 30"), None);
        for t in [0u32, 59, 86_399, 951_782_400, u32::MAX] {
            assert_eq!(parse_date(&format_date(t)), Some(t), "{t}");
        }
    }

    #[test]
    fn escapes() {
        let mut s = String::new();
        escape_string(b"a\"b\\c\r\n\t\x01\x7f\xc3\xa9\xe2\x82\0", &mut s);
        assert_eq!(s, "a\\\"b\\\\c\\r\\n\\t\\001\\177é\\342\\202");
    }
}
