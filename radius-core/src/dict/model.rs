//! The resolved dictionary model: data types, flags, vendors, attributes and
//! values, as produced by the parser in [`super::parse`].

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where a definition came from: a file (as it was opened, i.e. the root path
/// joined with the relative `$INCLUDE` paths) and a 1-based line number.
///
/// Displays as `file:line`, the form used in every error message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The dictionary file (or the virtual name given to
    /// [`Dictionary::parse_str`](super::Dictionary::parse_str)).
    pub file: Arc<Path>,
    /// 1-based line number within `file`.
    pub line: u32,
}

impl Location {
    /// Creates a location.
    pub fn new(file: impl Into<Arc<Path>>, line: u32) -> Self {
        Location {
            file: file.into(),
            line,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Index of an attribute inside one [`Dictionary`](super::Dictionary).
///
/// Ids are dense (`0..num_attributes()`), assigned in definition order, and
/// only meaningful for the dictionary that handed them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrId(pub(crate) u32);

impl AttrId {
    /// The position of the attribute in [`Dictionary::attributes`](super::Dictionary::attributes).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

macro_rules! data_types {
    ($($(#[$m:meta])* $variant:ident = $name:literal $(| $alias:literal)*;)*) => {
        /// The data type of an attribute, as spelled in the dictionary
        /// (FreeRADIUS v3 names, RFC 8044 semantics).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum DataType {
            $($(#[$m])* $variant,)*
        }

        impl DataType {
            /// Every data type, in declaration order.
            pub const ALL: &'static [DataType] = &[$(DataType::$variant,)*];

            /// The canonical FreeRADIUS v3 name (`"string"`, `"ipaddr"`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(DataType::$variant => $name,)*
                }
            }

            /// Parses a type name case-insensitively (FreeRADIUS v3 compares
            /// type names with `strcasecmp`, and Debian's `dictionary.juniper`
            /// spells one `String`). Accepts the v3 aliases `uint8`, `uint16`,
            /// `uint32`, `uint64`, `int32` and `cidr`. The fixed-length form
            /// `octets[N]` is not a type name; the parser handles it.
            pub fn from_name(name: &str) -> Option<DataType> {
                $(
                    if name.eq_ignore_ascii_case($name) $(|| name.eq_ignore_ascii_case($alias))* {
                        return Some(DataType::$variant);
                    }
                )*
                None
            }
        }
    };
}

data_types! {
    /// UTF-8 text (RFC 8044 `text`), 0..253 octets.
    String = "string";
    /// Opaque binary data (RFC 8044 `string`).
    Octets = "octets";
    /// IPv4 address, 4 octets.
    Ipaddr = "ipaddr";
    /// IPv4 prefix (RFC 8044 `ipv4prefix`), 6 octets.
    Ipv4Prefix = "ipv4prefix" | "cidr";
    /// IPv6 address, 16 octets.
    Ipv6Addr = "ipv6addr";
    /// IPv6 prefix (RFC 3162), 2..18 octets.
    Ipv6Prefix = "ipv6prefix";
    /// Unsigned 32-bit integer.
    Integer = "integer" | "uint32";
    /// Unsigned 64-bit integer.
    Integer64 = "integer64" | "uint64";
    /// Seconds since the Unix epoch, 32 bits.
    Date = "date";
    /// IPv6 interface identifier, 8 octets.
    Ifid = "ifid";
    /// Ethernet (MAC) address, 6 octets.
    Ether = "ether";
    /// Unsigned 8-bit integer.
    Byte = "byte" | "uint8";
    /// Unsigned 16-bit integer.
    Short = "short" | "uint16";
    /// Signed 32-bit integer.
    Signed = "signed" | "int32";
    /// Boolean, 1 octet (FreeRADIUS v3 `bool`).
    Bool = "bool";
    /// Type-length-value container (RFC 8044 `tlv`).
    Tlv = "tlv";
    /// The Vendor-Specific attribute (26) itself.
    Vsa = "vsa";
    /// An RFC 6929 Extended-Type attribute (241..244).
    Extended = "extended";
    /// An RFC 6929 Long-Extended-Type attribute (245, 246).
    LongExtended = "long-extended";
    /// RFC 6929 Extended-Vendor-Specific (the `.26` of an extended attribute).
    Evs = "evs";
    /// Either an IPv4 or an IPv6 address, told apart by length.
    ComboIp = "combo-ip";
    /// Ascend binary filter.
    Abinary = "abinary";
}

impl DataType {
    /// `true` for types whose attributes contain other attributes
    /// (`tlv`, `vsa`, `extended`, `long-extended`, `evs`).
    pub fn is_container(self) -> bool {
        matches!(
            self,
            DataType::Tlv
                | DataType::Vsa
                | DataType::Extended
                | DataType::LongExtended
                | DataType::Evs
        )
    }

    /// The fixed value length in octets, if the type has one.
    pub fn fixed_len(self) -> Option<usize> {
        Some(match self {
            DataType::Ipaddr | DataType::Integer | DataType::Date | DataType::Signed => 4,
            DataType::Ipv4Prefix | DataType::Ether => 6,
            DataType::Ipv6Addr => 16,
            DataType::Integer64 | DataType::Ifid => 8,
            DataType::Byte | DataType::Bool => 1,
            DataType::Short => 2,
            _ => return None,
        })
    }

    /// Largest number a `VALUE` may give an attribute of this type, or `None`
    /// if the type cannot have `VALUE`s at all.
    ///
    /// FreeRADIUS v3 accepts `VALUE`s for `byte`, `short`, `integer`, `bool`
    /// and (for `dictionary.cablelabs`) `octets`; this parser also accepts
    /// `integer64`, `signed` and `date`, whose values are plain unsigned
    /// numbers in the dictionary.
    pub fn max_value(self) -> Option<u64> {
        Some(match self {
            DataType::Bool => 1,
            DataType::Byte => u8::MAX.into(),
            DataType::Short => u16::MAX.into(),
            DataType::Integer | DataType::Signed | DataType::Date | DataType::Octets => {
                u32::MAX.into()
            }
            DataType::Integer64 => u64::MAX,
            _ => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `encrypt=N` flag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Encrypt {
    /// No encryption.
    #[default]
    None,
    /// `encrypt=1`: User-Password hiding (RFC 2865 §5.2).
    UserPassword,
    /// `encrypt=2`: Tunnel-Password salted hiding (RFC 2868 §3.5).
    TunnelPassword,
    /// `encrypt=3`: Ascend-Send-Secret style hiding.
    AscendSecret,
}

impl Encrypt {
    /// The number used in `encrypt=N` (0 for [`Encrypt::None`]).
    pub fn number(self) -> u8 {
        match self {
            Encrypt::None => 0,
            Encrypt::UserPassword => 1,
            Encrypt::TunnelPassword => 2,
            Encrypt::AscendSecret => 3,
        }
    }
}

/// Attribute flags (the optional fourth field of `ATTRIBUTE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// `has_tag`: RFC 2868 tagged attribute (only `string` and `integer`).
    pub has_tag: bool,
    /// `encrypt=1|2|3`.
    pub encrypt: Encrypt,
    /// `array`: several fixed-size values packed in one attribute.
    pub array: bool,
    /// `concat`: long `octets` values are split over consecutive attributes
    /// (EAP-Message style).
    pub concat: bool,
    /// `virtual`: server-internal, never encoded on the wire.
    pub virtual_: bool,
    /// `secret`: the value must not be logged. Implied by any `encrypt=N`,
    /// as in FreeRADIUS.
    pub secret: bool,
    /// Ascend binary filter: set for attributes of type `abinary`, or given
    /// explicitly as the FreeRADIUS v4 style `abinary` flag on `octets`.
    pub abinary: bool,
    /// Fixed length from the `octets[N]` type syntax.
    pub length: Option<u8>,
}

/// A `VENDOR` definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vendor {
    /// Vendor name as written.
    pub name: String,
    /// IANA Private Enterprise Number (1..2^24).
    pub id: u32,
    /// Width of the vendor attribute type field: 1, 2 or 4 octets
    /// (`format=t,l`).
    pub type_width: u8,
    /// Width of the vendor attribute length field: 0, 1 or 2 octets.
    pub length_width: u8,
    /// WiMAX-style continuation byte (`format=1,1,c`).
    pub continuation: bool,
    /// Where the vendor was defined.
    pub location: Location,
}

/// An `ATTRIBUTE` definition, resolved into its place in the attribute tree.
///
/// The (`parent`, `vendor`, `number`) triple is the attribute's key in its
/// number space:
///
/// | kind                         | parent                     | vendor     |
/// |------------------------------|----------------------------|------------|
/// | standard (`1`)               | `None`                     | `None`     |
/// | VSA (`26.9.1`)               | `None`                     | `Some(9)`  |
/// | extended (`241.1`)           | `Some(241)`                | `None`     |
/// | EVS (`241.26.9.1`)           | `Some(241.26)` (the `evs`) | `Some(9)`  |
/// | TLV child (`26.24757.1.2`)   | `Some(the tlv)`            | inherited  |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name as written.
    pub name: String,
    /// Number within its parent's (or vendor's) space.
    pub number: u32,
    /// Vendor PEN for VSAs, EVS attributes and their TLV children.
    pub vendor: Option<u32>,
    /// The enclosing attribute (TLV, extended or evs attribute), if any.
    pub parent: Option<AttrId>,
    /// Data type.
    pub data_type: DataType,
    /// Flags.
    pub flags: Flags,
    /// Where it was defined (the first definition, if it was repeated
    /// identically).
    pub location: Location,
}

/// A `VALUE` definition: a name for one number of an enumerated attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// Value name as written.
    pub name: String,
    /// The number it stands for.
    pub value: u64,
    /// Where it was defined.
    pub location: Location,
}
