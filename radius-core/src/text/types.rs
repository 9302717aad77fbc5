//! The value model of the text form: [`Value`], [`Pair`] and where an
//! attribute lives ([`AttrRef`], [`RawOid`]), and [`TextError`].

use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::dict::{AttrId, DataType};

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
    /// A raw `Attr-N.N...` name whose numbers cannot name an attribute:
    /// members of an attribute that is not a TLV (FreeRADIUS: "Standard
    /// attributes cannot use OIDs"), or of a vendor whose format has no TLVs.
    #[error("{name}: invalid attribute OID: {reason}")]
    BadOid {
        /// The name as written.
        name: String,
        /// Why.
        reason: String,
    },
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

pub(super) type Result<T, E = TextError> = std::result::Result<T, E>;
