//! What a generated attribute is: the [`Attribute`] trait and the
//! declarative macros ([`attribute!`](crate::attribute) and
//! [`values!`](crate::values)) that the dictionary compiler emits.
//!
//! Every trait impl for generated code lives here, in hand-written
//! `macro_rules!`, so the generated files stay small and readable and the
//! typed API changes in one place.

use std::borrow::Cow;

use crate::attr::{self, AttrKey};
use crate::crypto::{self, Secret};
use crate::dict::DataType;
use crate::packet::{EncodeError, Packet, PacketWriter};
use crate::value::{AttrValue, IntoValue, ValueError};

/// How an attribute's value is obfuscated on the wire (dictionary `encrypt=N`).
pub use crate::dict::Encrypt;

/// What obfuscated attributes are keyed on: the shared secret and the
/// Request Authenticator of the request (for replies, of the request they
/// answer).
#[derive(Clone, Copy, Debug)]
pub struct CryptoCtx<'a> {
    /// Shared secret.
    pub secret: &'a Secret,
    /// Request Authenticator.
    pub authenticator: &'a [u8; 16],
}

/// How obfuscated attributes (User-Password, Tunnel-Password, ... —
/// dictionary `encrypt=1/2/3`) are read and written.
#[derive(Clone, Copy, Debug)]
pub enum AttrCrypto<'a> {
    /// RADIUS/1.0: obfuscated with the shared secret and an authenticator.
    Obfuscated(CryptoCtx<'a>),
    /// RADIUS/1.1 (RFC 9765 §5): sent in clear inside TLS. The value is
    /// its plain encoding — no padding, no salt, no length octet — after
    /// the tag octet when the attribute is tagged (Tunnel-Password keeps
    /// its tag).
    Clear,
}

impl<'a> From<CryptoCtx<'a>> for AttrCrypto<'a> {
    fn from(c: CryptoCtx<'a>) -> Self {
        AttrCrypto::Obfuscated(c)
    }
}

/// Static facts about a generated attribute type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrInfo {
    /// Dictionary name, e.g. `"User-Name"`.
    pub name: &'static str,
    /// Where it lives on the wire.
    pub key: AttrKey,
    /// The dictionary's data type (what decides, for a tagged attribute,
    /// whether the tag is an octet of its own or the integer's high octet).
    pub data_type: DataType,
    /// RFC 2868 tag.
    pub has_tag: bool,
    /// Obfuscation.
    pub encrypt: Encrypt,
    /// Split across several attributes when long (EAP-Message).
    pub concat: bool,
}

/// The top-level type number of a standard attribute, for matching raw
/// attributes without a literal: `a.typ == std_type::<EapMessage>()`.
/// In a `const` it fails to compile for an attribute that is not standard.
pub const fn std_type<A: Attribute>() -> u8 {
    match A::INFO.key {
        AttrKey::Std(n) => n,
        _ => panic!("not a standard (top-level) attribute"),
    }
}

/// A typed RADIUS attribute, generated from a dictionary definition.
///
/// Reading or writing a value of the wrong Rust type does not compile:
/// `UserName::new(5u32)` is a type error.
pub trait Attribute: Sized {
    /// Rust type of the value.
    type Value: AttrValue;
    /// Static facts from the dictionary.
    const INFO: AttrInfo;
    /// Build from a value and tag (0 = none).
    fn from_parts(value: Self::Value, tag: u8) -> Self;
    /// The value.
    fn value(&self) -> &Self::Value;
    /// The tag (0 = none or untagged attribute).
    fn tag(&self) -> u8 {
        0
    }

    /// Decode from the located value octets (tag and obfuscation handled).
    fn decode(raw: &[u8], ctx: &CryptoCtx<'_>) -> Result<Self, ValueError> {
        let (tag, v) = decode_value_parts::<Self::Value>(&Self::INFO, raw, ctx)?;
        Ok(Self::from_parts(v, tag))
    }

    /// Append the complete encoded attribute (header(s) included) to `out`.
    fn encode(&self, out: &mut Vec<u8>, ctx: &CryptoCtx<'_>) -> Result<(), EncodeError> {
        place_with(&Self::INFO, out, |v| {
            encode_value_parts(&Self::INFO, self.value(), self.tag(), ctx, v)
        })
    }

    /// [`decode`](Self::decode), or in clear for RADIUS/1.1.
    fn decode_with(raw: &[u8], crypto: &AttrCrypto<'_>) -> Result<Self, ValueError> {
        match crypto {
            AttrCrypto::Obfuscated(ctx) => Self::decode(raw, ctx),
            AttrCrypto::Clear => {
                let (tag, v) = decode_value_parts_clear::<Self::Value>(&Self::INFO, raw)?;
                Ok(Self::from_parts(v, tag))
            }
        }
    }

    /// [`encode`](Self::encode), or in clear for RADIUS/1.1.
    fn encode_with(&self, out: &mut Vec<u8>, crypto: &AttrCrypto<'_>) -> Result<(), EncodeError> {
        match crypto {
            AttrCrypto::Obfuscated(ctx) => self.encode(out, ctx),
            AttrCrypto::Clear => place_with(&Self::INFO, out, |v| {
                encode_value_parts_clear(&Self::INFO, self.value(), self.tag(), v)
            }),
        }
    }
}

/// [`decode_value_parts`] for RADIUS/1.1: obfuscated attributes are in
/// clear (tag octet, when tagged, then the plain value).
pub fn decode_value_parts_clear<V: AttrValue>(
    info: &AttrInfo,
    raw: &[u8],
) -> Result<(u8, V), ValueError> {
    let (tag, body) = split_tag(info, raw)?;
    Ok((tag, V::decode_value(&body)?))
}

/// [`encode_value_parts`] for RADIUS/1.1: no obfuscation.
pub fn encode_value_parts_clear<V: AttrValue>(
    info: &AttrInfo,
    value: &V,
    tag: u8,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    encode_parts(info, value, tag, None, out)
}

fn split_tag<'r>(info: &AttrInfo, raw: &'r [u8]) -> Result<(u8, Cow<'r, [u8]>), ValueError> {
    Ok(if !info.has_tag {
        (0, Cow::Borrowed(raw))
    } else if info.encrypt == Encrypt::TunnelPassword {
        // Always a tag octet first (RFC 2868 §3.5; RFC 9765 keeps it).
        match raw.split_first() {
            Some((t, rest)) => (*t, Cow::Borrowed(rest)),
            None => return Err(ValueError::BadCipherLength(0)),
        }
    } else if info.data_type == DataType::Integer {
        // Tagged integer: the tag replaces the high octet (RFC 2868 §3.1).
        if raw.len() != 4 {
            return Err(ValueError::Length {
                ty: "integer",
                want: "4",
                got: raw.len(),
            });
        }
        (raw[0], Cow::Owned(vec![0, raw[1], raw[2], raw[3]]))
    } else {
        match raw.first() {
            Some(&t) if t < 0x20 => (t, Cow::Borrowed(&raw[1..])),
            _ => (0, Cow::Borrowed(raw)),
        }
    })
}

/// Decode tag and obfuscation around a value, per the attribute's flags.
pub fn decode_value_parts<V: AttrValue>(
    info: &AttrInfo,
    raw: &[u8],
    ctx: &CryptoCtx<'_>,
) -> Result<(u8, V), ValueError> {
    let (tag, body) = split_tag(info, raw)?;
    let mut buf = Vec::new();
    let plain: &[u8] = match info.encrypt {
        Encrypt::None => &body,
        Encrypt::UserPassword => {
            crypto::decrypt_user_password(&body, ctx.secret, ctx.authenticator, &mut buf)?;
            &buf
        }
        Encrypt::TunnelPassword => {
            crypto::decrypt_tunnel_password(&body, ctx.secret, ctx.authenticator, &mut buf)?;
            &buf
        }
        Encrypt::AscendSecret => {
            crypto::decrypt_ascend_secret(&body, ctx.secret, ctx.authenticator, &mut buf)?;
            &buf
        }
    };
    Ok((tag, V::decode_value(plain)?))
}

/// Encode a value with its tag and obfuscation into `out` (value octets only).
pub fn encode_value_parts<V: AttrValue>(
    info: &AttrInfo,
    value: &V,
    tag: u8,
    ctx: &CryptoCtx<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    encode_parts(info, value, tag, Some(ctx), out)
}

/// `ctx` `None`: RADIUS/1.1, no obfuscation.
fn encode_parts<V: AttrValue>(
    info: &AttrInfo,
    value: &V,
    tag: u8,
    ctx: Option<&CryptoCtx<'_>>,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    if info.has_tag && tag > 0x1f {
        return Err(ValueError::BadTag(tag));
    }
    let start = out.len();
    if info.has_tag
        && (tag != 0 || info.encrypt == Encrypt::TunnelPassword)
        && info.data_type != DataType::Integer
    {
        out.push(tag);
    }
    let vstart = out.len();
    match (info.encrypt, ctx) {
        (Encrypt::None, _) | (_, None) => value.encode_value(out)?,
        (enc, Some(ctx)) => {
            let mut plain = Vec::new();
            value.encode_value(&mut plain)?;
            match enc {
                Encrypt::UserPassword => {
                    crypto::encrypt_user_password(&plain, ctx.secret, ctx.authenticator, out)?
                }
                Encrypt::TunnelPassword => crypto::encrypt_tunnel_password(
                    &plain,
                    ctx.secret,
                    ctx.authenticator,
                    None,
                    out,
                )?,
                Encrypt::AscendSecret => {
                    crypto::encrypt_ascend_secret(&plain, ctx.secret, ctx.authenticator, out)
                }
                Encrypt::None => unreachable!("handled above"),
            }
        }
    }
    if info.has_tag && info.data_type == DataType::Integer && out.len() == vstart + 4 {
        out[vstart] = tag;
    }
    // Untagged, but the value itself starts like a tag (0x00-0x1F): write
    // tag 0 first, or the receiver would take that octet for the tag.
    if info.has_tag
        && vstart == start
        && info.data_type != DataType::Integer
        && out.get(vstart).is_some_and(|&b| b < 0x20)
    {
        out.insert(vstart, 0);
    }
    Ok(())
}

/// Write an attribute whose value `write` appends: a plain top-level
/// attribute (the common case) goes straight into `out` with its header
/// patched afterwards; other layouts go through a temporary and [`place`].
/// On error nothing is left in `out`.
pub fn place_with(
    info: &AttrInfo,
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), ValueError>,
) -> Result<(), EncodeError> {
    match info.key {
        AttrKey::Std(t) if !info.concat => {
            let start = out.len();
            out.extend_from_slice(&[t, 0]);
            let len = write(out).map(|()| out.len() - start - 2);
            match len {
                Ok(len) if len <= crate::packet::MAX_ATTR_VALUE_LEN => {
                    out[start + 1] = (len + 2) as u8;
                    Ok(())
                }
                Ok(len) => {
                    out.truncate(start);
                    Err(EncodeError::ValueTooLong { typ: t, len })
                }
                Err(e) => {
                    out.truncate(start);
                    Err(e.into())
                }
            }
        }
        _ => {
            let mut v = Vec::with_capacity(32);
            write(&mut v)?;
            place(info, &v, out)
        }
    }
}

/// Wrap value octets in the attribute header(s) its key calls for.
pub fn place(info: &AttrInfo, value: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let too_long = |len| EncodeError::Value(ValueError::TooLong(len));
    match info.key {
        AttrKey::Std(t) => {
            if info.concat {
                attr::encode_concat(out, t, value);
            } else {
                if value.len() > crate::packet::MAX_ATTR_VALUE_LEN {
                    return Err(EncodeError::ValueTooLong {
                        typ: t,
                        len: value.len(),
                    });
                }
                out.push(t);
                out.push(2 + value.len() as u8);
                out.extend_from_slice(value);
            }
        }
        AttrKey::Vendor {
            vendor,
            format,
            typ,
        } => {
            attr::encode_vsa(out, vendor, format, typ, value).map_err(|_| too_long(value.len()))?
        }
        AttrKey::Extended { base, typ } => {
            if attr::is_long_extended(base) {
                attr::encode_long_extended(out, base, typ, value);
            } else {
                attr::encode_extended(out, base, typ, value).map_err(|_| too_long(value.len()))?;
            }
        }
        AttrKey::Tlv { parent, typ } => {
            // A member alone: wrapped in its own instance of the parent.
            if value.len() > crate::packet::MAX_ATTR_VALUE_LEN {
                return Err(too_long(value.len()));
            }
            let mut inner = Vec::with_capacity(2 + value.len());
            inner.push(typ);
            inner.push(2 + value.len() as u8);
            inner.extend_from_slice(value);
            let pinfo = AttrInfo {
                key: *parent,
                concat: false,
                ..*info
            };
            place(&pinfo, &inner, out)?;
        }
        AttrKey::ExtendedVendor { base, vendor, typ } => {
            let v = attr::evs_value(vendor, typ, value);
            if attr::is_long_extended(base) {
                attr::encode_long_extended(out, base, 26, &v);
            } else {
                attr::encode_extended(out, base, 26, &v).map_err(|_| too_long(value.len()))?;
            }
        }
    }
    Ok(())
}

/// Typed reads from a packet.
pub trait PacketExt<'a> {
    /// The first value of attribute `A` (joined, for concat attributes).
    /// `None` when absent; `Some(Err)` when present but malformed.
    fn get<A: Attribute>(&self, ctx: &CryptoCtx<'_>) -> Option<Result<A, ValueError>>;
    /// Every value of attribute `A`, in order.
    fn get_all<A: Attribute>(&self, ctx: &CryptoCtx<'_>) -> Vec<Result<A, ValueError>>;
}

impl<'a> PacketExt<'a> for Packet<'a> {
    fn get<A: Attribute>(&self, ctx: &CryptoCtx<'_>) -> Option<Result<A, ValueError>> {
        get_from::<A>(self.attribute_bytes(), ctx)
    }
    fn get_all<A: Attribute>(&self, ctx: &CryptoCtx<'_>) -> Vec<Result<A, ValueError>> {
        get_all_from::<A>(self.attribute_bytes(), ctx)
    }
}

/// [`PacketExt::get`] over a raw attribute area.
pub fn get_from<A: Attribute>(attrs: &[u8], ctx: &CryptoCtx<'_>) -> Option<Result<A, ValueError>> {
    if let (true, AttrKey::Std(t)) = (A::INFO.concat, A::INFO.key) {
        return attr::concat(attrs, t).map(|v| A::decode(&v, ctx));
    }
    A::INFO
        .key
        .find_all(attrs)
        .next()
        .map(|v| A::decode(&v, ctx))
}

/// [`get_from`] with obfuscated attributes read per `crypto` (in clear for
/// RADIUS/1.1).
pub fn get_from_with<A: Attribute>(
    attrs: &[u8],
    crypto: &AttrCrypto<'_>,
) -> Option<Result<A, ValueError>> {
    if let (true, AttrKey::Std(t)) = (A::INFO.concat, A::INFO.key) {
        return attr::concat(attrs, t).map(|v| A::decode_with(&v, crypto));
    }
    A::INFO
        .key
        .find_all(attrs)
        .next()
        .map(|v| A::decode_with(&v, crypto))
}

/// [`get_all_from`] with obfuscated attributes read per `crypto`.
pub fn get_all_from_with<A: Attribute>(
    attrs: &[u8],
    crypto: &AttrCrypto<'_>,
) -> Vec<Result<A, ValueError>> {
    if let (true, AttrKey::Std(_)) = (A::INFO.concat, A::INFO.key) {
        return get_from_with::<A>(attrs, crypto).into_iter().collect();
    }
    A::INFO
        .key
        .find_all(attrs)
        .map(|v| A::decode_with(&v, crypto))
        .collect()
}

/// [`PacketExt::get_all`] over a raw attribute area.
pub fn get_all_from<A: Attribute>(attrs: &[u8], ctx: &CryptoCtx<'_>) -> Vec<Result<A, ValueError>> {
    if let (true, AttrKey::Std(_)) = (A::INFO.concat, A::INFO.key) {
        return get_from::<A>(attrs, ctx).into_iter().collect();
    }
    A::INFO
        .key
        .find_all(attrs)
        .map(|v| A::decode(&v, ctx))
        .collect()
}

impl PacketWriter<'_> {
    /// Append a typed attribute, obfuscated with `secret` and this packet's
    /// (or, for replies, the request's) authenticator.
    ///
    /// In a RADIUS/1.1 packet ([`PacketWriter::v1_1`]) nothing is
    /// obfuscated: the attribute goes in clear and `secret` is unused.
    pub fn add<A: Attribute>(&mut self, attr: &A, secret: &Secret) -> Result<(), EncodeError> {
        let auth = self.crypto_authenticator();
        let ctx = CryptoCtx {
            secret,
            authenticator: &auth,
        };
        let crypto = if self.version().is_v1_1() {
            AttrCrypto::Clear
        } else {
            AttrCrypto::Obfuscated(ctx)
        };
        self.append_with(|buf| attr.encode_with(buf, &crypto))
    }
}

/// The static definition of a generated attribute: a zero-sized marker
/// type carrying the value type and the dictionary facts. [`Attr`] and
/// [`Tagged`] turn it into a value-carrying attribute.
pub trait AttrDef: 'static {
    /// Rust type of the value.
    type Value: AttrValue + Clone + PartialEq + std::fmt::Debug;
    /// Dictionary facts.
    const INFO: AttrInfo;
}

/// An (untagged) attribute with its value. Generated attribute types are
/// aliases of this: `pub type UserName = Attr<UserName_>;`.
///
/// Read the value with [`value`](Self::value) (or through `Deref`: `&*name`
/// is a `&String`), take it out with [`into_value`](Self::into_value); the
/// same two methods read a [`Tagged`] attribute.
pub struct Attr<D: AttrDef>(D::Value);

/// A tagged attribute (RFC 2868): value plus a tag 0..=31 (0 = none).
///
/// Read it as an [`Attr`]: [`value`](Self::value), [`into_value`](Self::into_value),
/// `Deref`; and [`tag`](Self::tag).
pub struct Tagged<D: AttrDef> {
    value: D::Value,
    tag: u8,
}

impl<D: AttrDef> Attr<D> {
    /// Build from the value: the attribute's value type itself, or a
    /// borrowed form of it (see [`IntoValue`]), so `UserName::new("bob")`
    /// and `SessionTimeout::new(3600)` work and `NasPort::new(true)` does not.
    #[inline]
    pub fn new(v: impl IntoValue<D::Value>) -> Self {
        Attr(v.into_value())
    }
    /// The dictionary name, e.g. `"User-Name"`.
    pub const NAME: &'static str = D::INFO.name;
    /// The value.
    #[inline]
    pub fn value(&self) -> &D::Value {
        &self.0
    }
    /// Take the value out.
    #[inline]
    pub fn into_value(self) -> D::Value {
        self.0
    }
}

impl<D: AttrDef> Tagged<D> {
    /// Build from the value (tag 0); accepts what [`Attr::new`] accepts.
    #[inline]
    pub fn new(v: impl IntoValue<D::Value>) -> Self {
        Tagged {
            value: v.into_value(),
            tag: 0,
        }
    }
    /// Set the tag (1..=31).
    #[inline]
    pub fn with_tag(mut self, tag: u8) -> Self {
        self.tag = tag;
        self
    }
    /// The dictionary name, e.g. `"Tunnel-Type"`.
    pub const NAME: &'static str = D::INFO.name;
    /// The value.
    #[inline]
    pub fn value(&self) -> &D::Value {
        &self.value
    }
    /// The tag grouping tunnel attributes (0 = none).
    #[inline]
    pub fn tag(&self) -> u8 {
        self.tag
    }
    /// Take the value out.
    #[inline]
    pub fn into_value(self) -> D::Value {
        self.value
    }
}

impl<D: AttrDef> Attribute for Attr<D> {
    type Value = D::Value;
    const INFO: AttrInfo = D::INFO;
    #[inline]
    fn from_parts(value: D::Value, _tag: u8) -> Self {
        Attr(value)
    }
    #[inline]
    fn value(&self) -> &D::Value {
        &self.0
    }
}

impl<D: AttrDef> Attribute for Tagged<D> {
    type Value = D::Value;
    const INFO: AttrInfo = D::INFO;
    #[inline]
    fn from_parts(value: D::Value, tag: u8) -> Self {
        Tagged { value, tag }
    }
    #[inline]
    fn value(&self) -> &D::Value {
        &self.value
    }
    #[inline]
    fn tag(&self) -> u8 {
        self.tag
    }
}

macro_rules! common_impls {
    ($t:ident, $($field:tt)*) => {
        impl<D: AttrDef> Clone for $t<D> {
            fn clone(&self) -> Self {
                Attribute::from_parts(self.value().clone(), self.tag())
            }
        }
        impl<D: AttrDef> PartialEq for $t<D> {
            fn eq(&self, o: &Self) -> bool {
                self.value() == o.value() && self.tag() == o.tag()
            }
        }
        impl<D: AttrDef> std::fmt::Debug for $t<D> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                if D::INFO.has_tag {
                    write!(f, "{}:{}({:?})", D::INFO.name, self.tag(), self.value())
                } else {
                    write!(f, "{}({:?})", D::INFO.name, self.value())
                }
            }
        }
        impl<D: AttrDef> std::ops::Deref for $t<D> {
            type Target = D::Value;
            #[inline]
            fn deref(&self) -> &D::Value {
                &self.$($field)*
            }
        }
    };
}
common_impls!(Attr, 0);
common_impls!(Tagged, value);

/// An integer attribute's VALUEs (see [`values!`](crate::values)): a
/// number, some of which the dictionary names.
pub trait ValueEnum: Copy + Eq + std::fmt::Debug + 'static {
    /// The integer type on the wire.
    type Int: AttrValue + Copy + Into<u64>;
    /// Every named value: (constant, dictionary name).
    const TABLE: &'static [(Self, &'static str)];
    /// The number on the wire.
    fn number(self) -> Self::Int;
    /// The value with this number; a number the dictionary does not name
    /// is a value too (its [`name`](Self::name) is `None`), and equals the
    /// named constant when it is named: `from_number(2) == FramedUser`.
    fn from_number(n: Self::Int) -> Self;
    /// The dictionary name of this value, if it has one.
    fn name(self) -> Option<&'static str> {
        Self::TABLE
            .iter()
            .find(|(v, _)| *v == self)
            .map(|(_, n)| *n)
    }
    /// Look a value up by its dictionary name (case-insensitive).
    fn from_name(s: &str) -> Option<Self> {
        Self::TABLE
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(v, _)| *v)
    }
}

impl<T: ValueEnum> AttrValue for T {
    const DATA_TYPE: DataType = <T::Int as AttrValue>::DATA_TYPE;
    fn decode_value(b: &[u8]) -> Result<Self, ValueError> {
        T::Int::decode_value(b).map(T::from_number)
    }
    fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), ValueError> {
        self.number().encode_value(out)
    }
}

/// Define a generated attribute type. Emitted by the dictionary compiler,
/// one invocation per attribute:
///
/// ```
/// radius_core::attribute! {
///     /// User-Name (RFC 2865 §5.1).
///     UserName(UserName_) = "User-Name", Std(1), String
/// }
/// radius_core::attribute! {
///     /// Tunnel-Password.
///     TunnelPassword(TunnelPassword_) = "Tunnel-Password", Std(69), String, tagged, encrypt = TunnelPassword
/// }
/// let n = UserName::new("bob");
/// assert_eq!(n.value(), "bob");
/// let t = TunnelPassword::new("secret").with_tag(1);
/// assert_eq!((t.value().as_str(), t.tag()), ("secret", 1));
/// ```
///
/// `UserName(UserName_)` names the attribute type and its marker: the
/// macro defines the zero-sized marker `UserName_` implementing [`AttrDef`]
/// and `pub type UserName = Attr<UserName_>` ([`Tagged`] with the `tagged`
/// flag), so all behaviour comes from the generic types in this module.
/// The key is `Std(n)`, `Vendor(vendor, type_width, length_width,
/// continuation, n)`, `Extended(base, n)`, `ExtendedVendor(base, vendor, n)`
/// or `Tlv(ParentType, n)`. Flags: `tagged`,
/// `encrypt = UserPassword|TunnelPassword|AscendSecret`, `concat`, and
/// `data_type = T` (a [`DataType`] variant) when the dictionary's type is
/// not the one the Rust value type carries (`bool` as `u8`, an `array`
/// as octets); [`AttrInfo::data_type`] is then `T`.
#[macro_export]
macro_rules! attribute {
    ($(#[$m:meta])* $name:ident($marker:ident) = $text:literal, $kind:ident ( $($k:tt)* ), $ty:ty $(, $flag:ident $(= $fv:ident)?)*) => {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub enum $marker {}
        impl $crate::typed::AttrDef for $marker {
            type Value = $ty;
            const INFO: $crate::typed::AttrInfo = $crate::typed::AttrInfo {
                name: $text,
                key: $crate::__attr_key!($kind($($k)*)),
                data_type: $crate::__data_type!(<$ty as $crate::value::AttrValue>::DATA_TYPE; $($flag $(= $fv)?,)*),
                has_tag: $crate::__has_flag!(tagged; $($flag $(= $fv)?,)*),
                encrypt: $crate::__encrypt!($($flag $(= $fv)?,)*),
                concat: $crate::__has_flag!(concat; $($flag $(= $fv)?,)*),
            };
        }
        $(#[$m])*
        pub type $name = $crate::__wrapper!($marker; $($flag,)*);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __wrapper {
    ($m:ident; ) => { $crate::typed::Attr<$m> };
    ($m:ident; tagged, $($rest:ident,)*) => { $crate::typed::Tagged<$m> };
    ($m:ident; $f:ident, $($rest:ident,)*) => { $crate::__wrapper!($m; $($rest,)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __attr_key {
    (Std($n:expr)) => {
        $crate::attr::AttrKey::Std($n)
    };
    (Vendor($v:expr, $tw:expr, $lw:expr, $c:expr, $n:expr)) => {
        $crate::attr::AttrKey::Vendor {
            vendor: $v,
            format: $crate::attr::VendorFormat {
                type_width: $tw,
                length_width: $lw,
                continuation: $c,
            },
            typ: $n,
        }
    };
    (Extended($b:expr, $n:expr)) => {
        $crate::attr::AttrKey::Extended { base: $b, typ: $n }
    };
    (ExtendedVendor($b:expr, $v:expr, $n:expr)) => {
        $crate::attr::AttrKey::ExtendedVendor {
            base: $b,
            vendor: $v,
            typ: $n,
        }
    };
    (Tlv($parent:path, $n:expr)) => {
        $crate::attr::AttrKey::Tlv {
            parent: &<$parent as $crate::typed::Attribute>::INFO.key,
            typ: $n,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __encrypt {
    () => { $crate::typed::Encrypt::None };
    (encrypt = $e:ident, $($rest:tt)*) => { $crate::typed::Encrypt::$e };
    ($f:ident $(= $v:ident)?, $($rest:tt)*) => { $crate::__encrypt!($($rest)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __data_type {
    ($default:expr; ) => { $default };
    ($default:expr; data_type = $t:ident, $($rest:tt)*) => { $crate::dict::DataType::$t };
    ($default:expr; $f:ident $(= $v:ident)?, $($rest:tt)*) => { $crate::__data_type!($default; $($rest)*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __has_flag {
    ($f:ident; ) => { false };
    (concat; concat, $($rest:tt)*) => { true };
    (tagged; tagged, $($rest:tt)*) => { true };
    ($f:ident; $other:ident $(= $v:ident)?, $($rest:tt)*) => { $crate::__has_flag!($f; $($rest)*) };
}

/// Define the type of an integer attribute's VALUEs: a newtype over the
/// number (`new`, `number`, `From` both ways) with one associated constant
/// per dictionary name, so any number is a value and a named number equals
/// its constant.
///
/// ```
/// use radius_core::typed::ValueEnum;
/// radius_core::values! {
///     /// Service-Type values.
///     ServiceTypeValue: u32 { LoginUser = 1 => "Login-User", FramedUser = 2 => "Framed-User" }
/// }
/// assert_eq!(ServiceTypeValue::from(2), ServiceTypeValue::FramedUser);
/// assert_eq!(ServiceTypeValue::from_number(2), ServiceTypeValue::FramedUser);
/// assert_eq!(ServiceTypeValue::new(99).name(), None);
/// assert_eq!(u32::from(ServiceTypeValue::FramedUser), 2);
/// assert_eq!(ServiceTypeValue::FramedUser.to_string(), "Framed-User");
/// assert_eq!(format!("{:?}", ServiceTypeValue::new(99)), "99");
/// match ServiceTypeValue::new(2) {
///     ServiceTypeValue::FramedUser => {}
///     other => panic!("{other}"),
/// }
/// ```
///
/// The constants keep the CamelCase names of the dictionary's VALUEs
/// (`ServiceTypeValue::FramedUser`). `Debug` and `Display` print the
/// dictionary name, or the number when it has none.
#[macro_export]
macro_rules! values {
    ($(#[$m:meta])* $name:ident : $int:ty { $($variant:ident = $n:literal => $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        // The number is private so that `attr.0` on an attribute cannot
        // silently reach it through Deref: read it with `number()`.
        pub struct $name($int);

        #[allow(non_upper_case_globals)]
        impl $name {
            $(
                #[doc = concat!("`", $text, "` (", stringify!($n), ").")]
                pub const $variant: $name = $name($n);
            )*

            /// The value with this number, named or not.
            #[inline]
            pub const fn new(n: $int) -> Self {
                $name(n)
            }

            /// The number on the wire.
            #[inline]
            pub const fn number(self) -> $int {
                self.0
            }

            /// The dictionary name of this value, if it has one.
            #[allow(unreachable_patterns)]
            pub const fn name(self) -> ::std::option::Option<&'static str> {
                match self.0 {
                    $($n => ::std::option::Option::Some($text),)*
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl $crate::typed::ValueEnum for $name {
            type Int = $int;
            const TABLE: &'static [(Self, &'static str)] = &[$(($name::$variant, $text),)*];
            #[inline]
            fn number(self) -> $int {
                self.0
            }
            #[inline]
            fn from_number(n: $int) -> Self {
                $name(n)
            }
            #[inline]
            fn name(self) -> ::std::option::Option<&'static str> {
                $name::name(self)
            }
        }

        impl ::std::convert::From<$int> for $name {
            #[inline]
            fn from(n: $int) -> Self {
                $name(n)
            }
        }

        impl ::std::convert::From<$name> for $int {
            #[inline]
            fn from(v: $name) -> $int {
                v.0
            }
        }

        // The number is as good as the value: `ServiceType::new(2)`.
        impl $crate::value::IntoValue<$name> for $int {
            #[inline]
            fn into_value(self) -> $name {
                $name(self)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.name() {
                    ::std::option::Option::Some(n) => f.write_str(n),
                    ::std::option::Option::None => ::std::fmt::Debug::fmt(&self.0, f),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::typed::fmt_value_enum(*self, f)
            }
        }
    };
}

/// `Display` for value enums: the dictionary name, or the number.
pub fn fmt_value_enum<T: ValueEnum>(v: T, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result
where
    T::Int: std::fmt::Display,
{
    match v.name() {
        Some(n) => f.write_str(n),
        None => write!(f, "{}", v.number()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Code;

    crate::attribute! { UserName(UserName_) = "User-Name", Std(1), String }
    crate::attribute! { UserPassword(UserPassword_) = "User-Password", Std(2), String, encrypt = UserPassword }
    crate::attribute! { EapMessage(EapMessage_) = "EAP-Message", Std(79), Vec<u8>, concat }
    crate::values! { TunnelTypeValue: u32 { Pptp = 1 => "PPTP", L2tp = 3 => "L2TP" } }
    crate::attribute! { TunnelType(TunnelType_) = "Tunnel-Type", Std(64), TunnelTypeValue, tagged }
    crate::attribute! { TunnelPassword(TunnelPassword_) = "Tunnel-Password", Std(69), String, tagged, encrypt = TunnelPassword }
    crate::attribute! { TunnelPrivateGroupId(TunnelPrivateGroupId_) = "Tunnel-Private-Group-Id", Std(81), String, tagged }
    crate::attribute! { CiscoAvPair(CiscoAvPair_) = "Cisco-AVPair", Vendor(9, 1, 1, false, 1), String }
    crate::attribute! { FragStatus(FragStatus_) = "Frag-Status", Extended(241, 1), u32 }

    #[test]
    fn typed_roundtrip_through_packet() {
        let secret = Secret::new("testing123");
        let mut buf = Vec::new();
        let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, 1);
        w.add(&UserName::new("bob"), &secret).unwrap();
        w.add(&UserPassword::new("hello"), &secret).unwrap();
        w.add(&EapMessage::new(vec![7; 600]), &secret).unwrap();
        w.add(&TunnelType::new(TunnelTypeValue::L2tp).with_tag(1), &secret)
            .unwrap();
        w.add(&TunnelPassword::new("pw").with_tag(2), &secret)
            .unwrap();
        w.add(&TunnelPrivateGroupId::new("vlan10"), &secret)
            .unwrap();
        w.add(&CiscoAvPair::new("shell:priv-lvl=15"), &secret)
            .unwrap();
        w.add(&FragStatus::new(2), &secret).unwrap();
        w.finish(&secret).unwrap();
        let p = Packet::decode(&buf).unwrap();
        let auth = *p.authenticator();
        let ctx = CryptoCtx {
            secret: &secret,
            authenticator: &auth,
        };
        assert_eq!(p.get::<UserName>(&ctx).unwrap().unwrap().value(), "bob");
        assert_eq!(
            p.get::<UserPassword>(&ctx).unwrap().unwrap().value(),
            "hello"
        );
        assert_ne!(p.find(2).unwrap(), b"hello\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(
            p.get::<EapMessage>(&ctx).unwrap().unwrap().into_value(),
            vec![7; 600]
        );
        let tt = p.get::<TunnelType>(&ctx).unwrap().unwrap();
        assert_eq!((*tt.value(), tt.tag()), (TunnelTypeValue::L2tp, 1));
        assert_eq!(p.find(64).unwrap(), [1, 0, 0, 3]);
        let tp = p.get::<TunnelPassword>(&ctx).unwrap().unwrap();
        assert_eq!((tp.value().as_str(), tp.tag()), ("pw", 2));
        let g = p.get::<TunnelPrivateGroupId>(&ctx).unwrap().unwrap();
        assert_eq!((g.value().as_str(), g.tag()), ("vlan10", 0));
        assert_eq!(
            p.get::<CiscoAvPair>(&ctx).unwrap().unwrap().value(),
            "shell:priv-lvl=15"
        );
        assert_eq!(*p.get::<FragStatus>(&ctx).unwrap().unwrap().value(), 2);
        assert!(p.get::<crate::typed::tests::Missing>(&ctx).is_none());
    }

    crate::attribute! { Missing(Missing_) = "Missing", Std(200), u32 }

    // A number with two names (FreeRADIUS's dictionary.compat names
    // Service-Type 2 "Framed" before rfc2865's "Framed-User").
    crate::values! { AliasValue: u8 { Framed = 2 => "Framed", FramedUser = 2 => "Framed-User", Login = 1 => "Login" } }

    #[test]
    fn a_second_name_is_a_constant_with_the_same_number() {
        assert_eq!(AliasValue::Framed, AliasValue::FramedUser);
        assert_eq!(AliasValue::FramedUser.name(), Some("Framed"));
        assert_eq!(format!("{:?}", AliasValue::FramedUser), "Framed");
        assert_eq!(
            AliasValue::from_name("framed-user"),
            Some(AliasValue::new(2))
        );
        assert_eq!(AliasValue::new(1).name(), Some("Login"));
        assert_eq!(<AliasValue as ValueEnum>::name(AliasValue::new(3)), None);
    }

    #[test]
    fn radius_1_1_packets_carry_obfuscated_attributes_in_clear() {
        use crate::packet::RadiusVersion;
        let secret = Secret::new("unused");
        let mut buf = Vec::new();
        let mut w = PacketWriter::v1_1(&mut buf, Code::ACCESS_REQUEST, 0xdead_beef);
        assert_eq!(w.version(), RadiusVersion::V1_1);
        w.message_authenticator().unwrap(); // never sent in 1.1
        w.add(&UserPassword::new("hello"), &secret).unwrap();
        w.add(&TunnelPassword::new("pw").with_tag(3), &secret)
            .unwrap();
        w.add(&TunnelType::new(TunnelTypeValue::L2tp).with_tag(1), &secret)
            .unwrap();
        w.finish(&secret).unwrap();
        // Header: Code, Reserved-1, Length, Token, Reserved-2.
        assert_eq!(&buf[..2], &[1, 0]);
        assert_eq!(u16::from_be_bytes([buf[2], buf[3]]) as usize, buf.len());
        assert_eq!(&buf[4..8], &0xdead_beef_u32.to_be_bytes());
        assert_eq!(&buf[8..20], &[0; 12]);
        let p = Packet::decode(&buf).unwrap();
        assert_eq!(p.token(), 0xdead_beef);
        assert!(!p.has_message_authenticator());
        assert_eq!(p.find(2).unwrap(), b"hello");
        assert_eq!(p.find(69).unwrap(), b"\x03pw");
        assert_eq!(p.find(64).unwrap(), [1, 0, 0, 3]);
        let clear = AttrCrypto::Clear;
        let up = get_from_with::<UserPassword>(p.attribute_bytes(), &clear);
        assert_eq!(up.unwrap().unwrap().value(), "hello");
        let tp = get_from_with::<TunnelPassword>(p.attribute_bytes(), &clear)
            .unwrap()
            .unwrap();
        assert_eq!((tp.value().as_str(), tp.tag()), ("pw", 3));
        let tt = get_all_from_with::<TunnelType>(p.attribute_bytes(), &clear);
        assert_eq!(tt[0].as_ref().unwrap().tag(), 1);
        assert_eq!(
            RadiusVersion::from_alpn(Some(b"radius/1.1")),
            Some(RadiusVersion::V1_1)
        );
        assert_eq!(RadiusVersion::from_alpn(None), Some(RadiusVersion::V1_0));
        assert_eq!(RadiusVersion::from_alpn(Some(b"h2")), None);
    }
}
