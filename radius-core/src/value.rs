//! Attribute value types (RFC 8044 and the FreeRADIUS v3 types) and their
//! wire encodings. Each Rust type implementing [`AttrValue`] is the value
//! of one dictionary data type.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::dict::DataType;

/// Why a value could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Wrong number of octets for a fixed-size type.
    #[error("{ty} needs {want} octets, got {got}")]
    Length {
        /// The data type.
        ty: &'static str,
        /// Octets expected (a description such as "4" or "2..=18").
        want: &'static str,
        /// Octets found.
        got: usize,
    },
    /// A text attribute is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    Utf8,
    /// A prefix length above the address width, or a reserved octet set.
    #[error("bad prefix: {0}")]
    Prefix(&'static str),
    /// An obfuscated value's length is not valid for its scheme.
    #[error("obfuscated value of {0} octets has an invalid length")]
    BadCipherLength(usize),
    /// A Tunnel-Password salt without its high bit.
    #[error("Tunnel-Password salt lacks its high bit (RFC 2868 §3.5)")]
    BadSalt,
    /// The decrypted Tunnel-Password length octet is too large.
    #[error("decrypted Tunnel-Password length {0} exceeds the data (wrong secret?)")]
    BadTunnelPasswordLength(usize),
    /// A password longer than its scheme allows.
    #[error("password of {0} octets is too long")]
    PasswordTooLong(usize),
    /// A value longer than one attribute can hold.
    #[error("value of {0} octets is too long for one attribute")]
    TooLong(usize),
    /// Octets that are not an Ascend filter [`crate::ascend::AscendFilter`]
    /// can express (not 32 octets, an unknown type or comparison, reserved
    /// octets set).
    #[error("{0} octets that are not a canonical Ascend filter")]
    AscendFilter(usize),
    /// A tag outside 0x01..=0x1F (RFC 2868 §3.1).
    #[error("tag {0} outside 1..=31")]
    BadTag(u8),
}

/// A Rust type that is the value of a RADIUS data type.
pub trait AttrValue: Sized {
    /// The dictionary data type this Rust type carries (e.g.
    /// [`DataType::Ipaddr`] for `Ipv4Addr`).
    const DATA_TYPE: DataType;
    /// Decode from value octets.
    fn decode_value(b: &[u8]) -> Result<Self, ValueError>;
    /// Decode from value octets the caller owns (a decrypted password):
    /// strings and octets take the buffer instead of copying it.
    fn decode_owned(b: Vec<u8>) -> Result<Self, ValueError> {
        Self::decode_value(&b)
    }
    /// Append the value octets.
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError>;
}

/// What an attribute constructor (`UserName::new`, `ServiceType::new`, ...)
/// accepts for a value of type `V`: `V` itself, and only the conversions that
/// cannot change what goes on the wire:
///
/// | value type | also accepts |
/// | --- | --- |
/// | `String` (text) | `&str`, `&String` |
/// | `Vec<u8>` (octets) | `&[u8]`, `&[u8; N]`, `[u8; N]`, `&Vec<u8>` |
/// | `IpAddr` (combo-ip) | `Ipv4Addr`, `Ipv6Addr` |
/// | a VALUE enumeration (`ServiceTypeValue`) | its number (`u32`, ...) |
///
/// Unlike `Into`, it does not turn an `Ipv4Addr`, a `bool` or a `char` into
/// an integer: `SessionTimeout::new(Ipv4Addr::LOCALHOST)` does not compile.
#[diagnostic::on_unimplemented(
    message = "an attribute whose value is `{V}` cannot be built from `{Self}`",
    label = "expected `{V}`",
    note = "attribute constructors take the attribute's own value type; text also takes &str, octets &[u8], an enumerated integer its number"
)]
pub trait IntoValue<V> {
    /// Convert into the attribute's value.
    fn into_value(self) -> V;
}

impl<V: AttrValue> IntoValue<V> for V {
    #[inline]
    fn into_value(self) -> V {
        self
    }
}

impl IntoValue<String> for &str {
    #[inline]
    fn into_value(self) -> String {
        self.to_owned()
    }
}

impl IntoValue<String> for &String {
    #[inline]
    fn into_value(self) -> String {
        self.clone()
    }
}

impl IntoValue<Vec<u8>> for &[u8] {
    #[inline]
    fn into_value(self) -> Vec<u8> {
        self.to_vec()
    }
}

impl<const N: usize> IntoValue<Vec<u8>> for &[u8; N] {
    #[inline]
    fn into_value(self) -> Vec<u8> {
        self.to_vec()
    }
}

impl<const N: usize> IntoValue<Vec<u8>> for [u8; N] {
    #[inline]
    fn into_value(self) -> Vec<u8> {
        self.to_vec()
    }
}

impl IntoValue<Vec<u8>> for &Vec<u8> {
    #[inline]
    fn into_value(self) -> Vec<u8> {
        self.clone()
    }
}

impl IntoValue<IpAddr> for Ipv4Addr {
    #[inline]
    fn into_value(self) -> IpAddr {
        IpAddr::V4(self)
    }
}

impl IntoValue<IpAddr> for Ipv6Addr {
    #[inline]
    fn into_value(self) -> IpAddr {
        IpAddr::V6(self)
    }
}

fn fixed<const N: usize>(
    ty: &'static str,
    want: &'static str,
    b: &[u8],
) -> Result<[u8; N], ValueError> {
    b.try_into().map_err(|_| ValueError::Length {
        ty,
        want,
        got: b.len(),
    })
}

impl AttrValue for String {
    const DATA_TYPE: DataType = DataType::String;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| ValueError::Utf8)
    }
    fn decode_owned(b: Vec<u8>) -> Result<Self, ValueError> {
        String::from_utf8(b).map_err(|_| ValueError::Utf8)
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        out.extend_from_slice(self.as_bytes());
        Ok(())
    }
}

impl AttrValue for Vec<u8> {
    const DATA_TYPE: DataType = DataType::Octets;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        Ok(b.to_vec())
    }
    fn decode_owned(b: Vec<u8>) -> Result<Self, ValueError> {
        Ok(b)
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        out.extend_from_slice(self);
        Ok(())
    }
}

macro_rules! int_value {
    ($t:ty, $dt:ident, $name:literal, $n:literal) => {
        impl AttrValue for $t {
            const DATA_TYPE: DataType = DataType::$dt;
            fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
                Ok(<$t>::from_be_bytes(fixed::<$n>($name, stringify!($n), b)?))
            }
            fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
                out.extend_from_slice(&self.to_be_bytes());
                Ok(())
            }
        }
    };
}
int_value!(u8, Byte, "byte", 1);
int_value!(u16, Short, "short", 2);
int_value!(u32, Integer, "integer", 4);
int_value!(u64, Integer64, "integer64", 8);
int_value!(i32, Signed, "signed", 4);

impl AttrValue for Ipv4Addr {
    const DATA_TYPE: DataType = DataType::Ipaddr;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        Ok(Ipv4Addr::from(fixed::<4>("ipaddr", "4", b)?))
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        out.extend_from_slice(&self.octets());
        Ok(())
    }
}

impl AttrValue for Ipv6Addr {
    const DATA_TYPE: DataType = DataType::Ipv6Addr;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        Ok(Ipv6Addr::from(fixed::<16>("ipv6addr", "16", b)?))
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        out.extend_from_slice(&self.octets());
        Ok(())
    }
}

impl AttrValue for IpAddr {
    const DATA_TYPE: DataType = DataType::ComboIp;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        match b.len() {
            4 => Ok(IpAddr::V4(Ipv4Addr::decode_value(b)?)),
            16 => Ok(IpAddr::V6(Ipv6Addr::decode_value(b)?)),
            n => Err(ValueError::Length {
                ty: "combo-ip",
                want: "4 or 16",
                got: n,
            }),
        }
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        match self {
            IpAddr::V4(a) => a.encode_value(out),
            IpAddr::V6(a) => a.encode_value(out),
        }
    }
}

/// The network mask of an IPv6 prefix of `len` bits (`len` <= 128).
///
/// RFC 8044 §3.10/§3.11: bits past the prefix length MUST be zero, so
/// decoders reject them and encoders clear them.
pub(crate) fn v6_mask(len: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - len.min(128) as u32)
        .unwrap_or(0)
}

/// The network mask of an IPv4 prefix of `len` bits (`len` <= 32).
pub(crate) fn v4_mask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - len.min(32) as u32).unwrap_or(0)
}

/// An IPv6 prefix (RFC 3162 §2.3, RFC 8044 §3.10): reserved octet, prefix
/// length, then only as many prefix octets as the length needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Prefix {
    /// The prefix address (bits past `len` are zero).
    pub addr: Ipv6Addr,
    /// Prefix length, 0..=128.
    pub len: u8,
}

impl AttrValue for Ipv6Prefix {
    const DATA_TYPE: DataType = DataType::Ipv6Prefix;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        if b.len() < 2 || b.len() > 18 {
            return Err(ValueError::Length {
                ty: "ipv6prefix",
                want: "2..=18",
                got: b.len(),
            });
        }
        let len = b[1];
        if len > 128 {
            return Err(ValueError::Prefix("IPv6 prefix length above 128"));
        }
        let mut a = [0u8; 16];
        a[..b.len() - 2].copy_from_slice(&b[2..]);
        let addr = Ipv6Addr::from(a);
        if u128::from(addr) & !v6_mask(len) != 0 {
            return Err(ValueError::Prefix(
                "IPv6 prefix has bits set past its length",
            ));
        }
        Ok(Ipv6Prefix { addr, len })
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        if self.len > 128 {
            return Err(ValueError::Prefix("IPv6 prefix length above 128"));
        }
        out.push(0);
        out.push(self.len);
        let n = (self.len as usize).div_ceil(8);
        let masked = u128::from(self.addr) & v6_mask(self.len);
        out.extend_from_slice(&masked.to_be_bytes()[..n]);
        Ok(())
    }
}

/// An IPv4 prefix (RFC 8044 §3.11): reserved octet, prefix length, 4 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Prefix {
    /// The prefix address.
    pub addr: Ipv4Addr,
    /// Prefix length, 0..=32.
    pub len: u8,
}

impl AttrValue for Ipv4Prefix {
    const DATA_TYPE: DataType = DataType::Ipv4Prefix;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        let b = fixed::<6>("ipv4prefix", "6", b)?;
        if b[1] > 32 {
            return Err(ValueError::Prefix("IPv4 prefix length above 32"));
        }
        let addr = Ipv4Addr::new(b[2], b[3], b[4], b[5]);
        if u32::from(addr) & !v4_mask(b[1]) != 0 {
            return Err(ValueError::Prefix(
                "IPv4 prefix has bits set past its length",
            ));
        }
        Ok(Ipv4Prefix { addr, len: b[1] })
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        if self.len > 32 {
            return Err(ValueError::Prefix("IPv4 prefix length above 32"));
        }
        out.extend_from_slice(&[0, self.len]);
        out.extend_from_slice(&(u32::from(self.addr) & v4_mask(self.len)).to_be_bytes());
        Ok(())
    }
}

/// A `date`: seconds since the Unix epoch, 32 bits (RFC 8044 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub u32);

impl Date {
    /// As a `SystemTime`.
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0 as u64)
    }
    /// From a `SystemTime` (saturating at the 32-bit range).
    pub fn from_system_time(t: SystemTime) -> Self {
        let s = t
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date(s.min(u32::MAX as u64) as u32)
    }
    /// The current time.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }
}

impl AttrValue for Date {
    const DATA_TYPE: DataType = DataType::Date;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        Ok(Date(u32::from_be_bytes(fixed::<4>("date", "4", b)?)))
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        out.extend_from_slice(&self.0.to_be_bytes());
        Ok(())
    }
}

/// An `ifid`: 8-octet IPv6 interface identifier (RFC 3162 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ifid(pub [u8; 8]);

impl AttrValue for Ifid {
    const DATA_TYPE: DataType = DataType::Ifid;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        Ok(Ifid(fixed::<8>("ifid", "8", b)?))
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        out.extend_from_slice(&self.0);
        Ok(())
    }
}

/// An `ether`: 6-octet MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl AttrValue for MacAddr {
    const DATA_TYPE: DataType = DataType::Ether;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        Ok(MacAddr(fixed::<6>("ether", "6", b)?))
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        out.extend_from_slice(&self.0);
        Ok(())
    }
}

impl std::fmt::Display for MacAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt<T: AttrValue + PartialEq + std::fmt::Debug>(v: T) {
        let mut b = vec![];
        v.encode_value(&mut b).unwrap();
        assert_eq!(T::decode_value(&b).unwrap(), v);
    }

    #[test]
    fn roundtrips_and_lengths() {
        rt(String::from("bob"));
        rt(vec![0u8, 1, 2]);
        rt(7u8);
        rt(0xbeefu16);
        rt(0xdead_beefu32);
        rt(u64::MAX);
        rt(-5i32);
        rt(Ipv4Addr::new(10, 0, 0, 1));
        rt(Ipv6Addr::LOCALHOST);
        rt(IpAddr::V6(Ipv6Addr::LOCALHOST));
        rt(Ipv6Prefix {
            addr: "2001:db8::".parse().unwrap(),
            len: 32,
        });
        rt(Ipv4Prefix {
            addr: Ipv4Addr::new(10, 0, 0, 0),
            len: 8,
        });
        rt(Date(1_700_000_000));
        rt(Ifid([1, 2, 3, 4, 5, 6, 7, 8]));
        rt(MacAddr([0, 1, 2, 3, 4, 5]));
        assert!(u32::decode_value(&[1, 2, 3]).is_err());
        assert!(String::decode_value(&[0xff]).is_err());
        assert!(Ipv6Prefix::decode_value(&[0, 129]).is_err());
        // RFC 8044: bits past the prefix length must be zero.
        assert!(Ipv6Prefix::decode_value(&[0, 0, 0, 0, 0, 0, 1]).is_err());
        assert!(Ipv6Prefix::decode_value(&[0, 60, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 1]).is_err());
        assert!(Ipv6Prefix::decode_value(&[0, 60, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0x10]).is_ok());
        assert!(Ipv4Prefix::decode_value(&[0, 8, 10, 0, 0, 1]).is_err());
        assert!(Ipv4Prefix::decode_value(&[0, 32, 10, 0, 0, 1]).is_ok());
        assert_eq!(v4_mask(0), 0);
        assert_eq!(v6_mask(0), 0);
        assert_eq!(v6_mask(128), u128::MAX);
        let mut b = vec![];
        Ipv4Prefix {
            addr: Ipv4Addr::new(10, 1, 2, 3),
            len: 8,
        }
        .encode_value(&mut b)
        .unwrap();
        assert_eq!(b, [0, 8, 10, 0, 0, 0]);
        let mut b = vec![];
        Ipv6Prefix {
            addr: "2001:db8::".parse().unwrap(),
            len: 32,
        }
        .encode_value(&mut b)
        .unwrap();
        assert_eq!(b, [0, 32, 0x20, 0x01, 0x0d, 0xb8]);
    }
}
