//! Dictionary errors. Every variant that concerns a line of a file carries its
//! [`Location`], and its message starts with `file:line: `.

use std::io;
use std::path::PathBuf;

use super::model::Location;

/// Shorthand for results of the dictionary parser.
pub type Result<T, E = DictError> = std::result::Result<T, E>;

/// The list printed after an unknown data type.
pub(crate) const TYPE_NAMES: &str = "string, octets, octets[N], ipaddr, ipv4prefix, ipv6addr, \
     ipv6prefix, integer, integer64, date, ifid, ether, byte, short, signed, bool, tlv, vsa, \
     extended, long-extended, evs, combo-ip, abinary, uint8, uint16, uint32, uint64, int32, cidr";

/// The list printed after an unknown flag.
pub(crate) const FLAG_NAMES: &str =
    "has_tag, encrypt=1, encrypt=2, encrypt=3, array, concat, virtual, secret, abinary, \
     or (alone, outside BEGIN-VENDOR) a vendor name";

/// Why a dictionary could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DictError {
    /// A file could not be read. `at` is the `$INCLUDE` line, if any.
    #[error("{}cannot read dictionary \"{}\": {source}", prefix(.at), .path.display())]
    Io {
        /// The `$INCLUDE` that named the file (`None` for the root file).
        at: Option<Location>,
        /// The path that was opened.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// The first word of a line is not a dictionary keyword.
    #[error(
        "{at}: unknown keyword \"{keyword}\" (expected one of ATTRIBUTE, VALUE, VENDOR, \
             BEGIN-VENDOR, END-VENDOR, BEGIN-TLV, END-TLV, $INCLUDE, $INCLUDE-)"
    )]
    UnknownKeyword {
        /// Where.
        at: Location,
        /// The word found.
        keyword: String,
    },

    /// A line has too few or too many fields.
    #[error("{at}: {keyword} has {found} field(s) after the keyword (expected \"{expected}\")")]
    FieldCount {
        /// Where.
        at: Location,
        /// The keyword, upper-cased.
        keyword: &'static str,
        /// How many fields followed the keyword.
        found: usize,
        /// The expected syntax.
        expected: &'static str,
    },

    /// A data type name that does not exist.
    #[error("{at}: unknown data type \"{found}\" (expected one of {TYPE_NAMES})")]
    UnknownType {
        /// Where.
        at: Location,
        /// The word found.
        found: String,
    },

    /// An attribute flag that does not exist.
    #[error("{at}: unknown flag \"{found}\" (expected one of {FLAG_NAMES})")]
    UnknownFlag {
        /// Where.
        at: Location,
        /// The flag found.
        found: String,
    },

    /// A known flag used where it is not allowed (wrong data type, wrong
    /// number space, incompatible with another flag ...).
    #[error("{at}: flag \"{flag}\" not allowed here: {reason}")]
    FlagNotAllowed {
        /// Where.
        at: Location,
        /// The flag.
        flag: String,
        /// Why.
        reason: String,
    },

    /// A number field is not a decimal or `0x` hexadecimal number, or is out
    /// of range.
    #[error("{at}: invalid {what} \"{found}\" (expected {expected})")]
    InvalidNumber {
        /// Where.
        at: Location,
        /// Which field.
        what: &'static str,
        /// The text found.
        found: String,
        /// What would have been accepted.
        expected: String,
    },

    /// An attribute number or OID that cannot be resolved.
    #[error("{at}: invalid attribute number \"{oid}\": {reason}")]
    InvalidOid {
        /// Where.
        at: Location,
        /// The number or dotted OID as written.
        oid: String,
        /// Why.
        reason: String,
    },

    /// An attribute, vendor or value name that FreeRADIUS would refuse.
    #[error("{at}: invalid name \"{name}\": {reason}")]
    InvalidName {
        /// Where.
        at: Location,
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },

    /// A data type used where it is not allowed (e.g. `extended` below 241,
    /// `tlv` in a `format=2,2` vendor).
    #[error("{at}: data type \"{data_type}\" not allowed here: {reason}")]
    TypeNotAllowed {
        /// Where.
        at: Location,
        /// The type name.
        data_type: String,
        /// Why.
        reason: String,
    },

    /// A `VENDOR` line with a bad `format=` option.
    #[error("{at}: invalid vendor format \"{found}\": {reason}")]
    InvalidVendorFormat {
        /// Where.
        at: Location,
        /// The option as written.
        found: String,
        /// Why.
        reason: String,
    },

    /// A vendor name (or number, in an OID) that was never defined by `VENDOR`.
    #[error("{at}: unknown vendor \"{name}\" (define it with VENDOR first)")]
    UnknownVendor {
        /// Where.
        at: Location,
        /// The vendor name or number.
        name: String,
    },

    /// An attribute name that was never defined (in `BEGIN-TLV`, `END-TLV`,
    /// `BEGIN-VENDOR ... format=`, or by the end of loading, `VALUE`).
    #[error("{at}: unknown attribute \"{name}\" in {context}")]
    UnknownAttribute {
        /// Where.
        at: Location,
        /// The attribute name.
        name: String,
        /// The construct that referred to it.
        context: &'static str,
    },

    /// `BEGIN-TLV` on a non-TLV attribute, or `BEGIN-VENDOR ... format=` on a
    /// non-`evs` attribute.
    #[error("{at}: attribute \"{name}\" ({previous}) is of type {data_type}, but {context} needs {expected}")]
    WrongAttributeType {
        /// Where.
        at: Location,
        /// The attribute name.
        name: String,
        /// Where that attribute was defined.
        previous: Location,
        /// Its type.
        data_type: &'static str,
        /// The construct.
        context: &'static str,
        /// The type(s) it needs.
        expected: &'static str,
    },

    /// The same attribute name defined twice with a different definition.
    #[error(
        "{at}: attribute \"{name}\" conflicts with its definition at {previous}: {difference}"
    )]
    DuplicateAttribute {
        /// The second definition.
        at: Location,
        /// The name.
        name: String,
        /// The first definition.
        previous: Location,
        /// What differs.
        difference: String,
    },

    /// The same vendor name defined twice with a different number or format.
    #[error("{at}: vendor \"{name}\" conflicts with its definition at {previous}: {difference}")]
    DuplicateVendor {
        /// The second definition.
        at: Location,
        /// The name.
        name: String,
        /// The first definition.
        previous: Location,
        /// What differs.
        difference: String,
    },

    /// The same `VALUE` name for one attribute defined twice with different
    /// numbers.
    #[error("{at}: VALUE \"{name}\" of attribute \"{attribute}\" is {value} here but {previous_value} at {previous}")]
    DuplicateValue {
        /// The second definition.
        at: Location,
        /// The attribute.
        attribute: String,
        /// The value name.
        name: String,
        /// The number given here.
        value: u64,
        /// The first definition.
        previous: Location,
        /// The number given there.
        previous_value: u64,
    },

    /// A `VALUE` for an attribute whose type cannot have values, or a number
    /// too large for the attribute's type.
    #[error("{at}: VALUE \"{name}\" = {value} not allowed for attribute \"{attribute}\" of type {data_type}: {reason}")]
    ValueNotAllowed {
        /// Where.
        at: Location,
        /// The attribute.
        attribute: String,
        /// The value name.
        name: String,
        /// The number.
        value: u64,
        /// The attribute's type.
        data_type: &'static str,
        /// Why.
        reason: &'static str,
    },

    /// `END-VENDOR`/`END-TLV` that does not close the innermost open block.
    #[error("{at}: {found} does not match the open block ({open})")]
    BlockMismatch {
        /// Where.
        at: Location,
        /// The closing line, e.g. `END-VENDOR Cisco`.
        found: String,
        /// The innermost open block with its location, or "none".
        open: String,
    },

    /// A `BEGIN-VENDOR`/`BEGIN-TLV` still open at the end of its file.
    /// (Blocks never span files: each file starts at the top level, as in
    /// FreeRADIUS v3.)
    #[error("{at}: {block} is never closed (expected {expected} before the end of the file)")]
    Unterminated {
        /// The `BEGIN-...` line.
        at: Location,
        /// e.g. `BEGIN-VENDOR Cisco`.
        block: String,
        /// e.g. `END-VENDOR Cisco`.
        expected: String,
    },

    /// A file that (directly or indirectly) includes itself.
    #[error("{at}: $INCLUDE loop: \"{}\" is already being read ({chain})", .path.display())]
    IncludeLoop {
        /// The `$INCLUDE` line that closes the loop.
        at: Location,
        /// The file included again.
        path: PathBuf,
        /// The include chain, outermost first.
        chain: String,
    },

    /// Any other violation of a FreeRADIUS rule.
    #[error("{at}: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
}

fn prefix(at: &Option<Location>) -> String {
    match at {
        Some(at) => format!("{at}: "),
        None => String::new(),
    }
}

impl DictError {
    /// The location the error refers to, if it concerns a line.
    pub fn location(&self) -> Option<&Location> {
        match self {
            DictError::Io { at, .. } => at.as_ref(),
            DictError::UnknownKeyword { at, .. }
            | DictError::FieldCount { at, .. }
            | DictError::UnknownType { at, .. }
            | DictError::UnknownFlag { at, .. }
            | DictError::FlagNotAllowed { at, .. }
            | DictError::InvalidNumber { at, .. }
            | DictError::InvalidOid { at, .. }
            | DictError::InvalidName { at, .. }
            | DictError::TypeNotAllowed { at, .. }
            | DictError::InvalidVendorFormat { at, .. }
            | DictError::UnknownVendor { at, .. }
            | DictError::UnknownAttribute { at, .. }
            | DictError::WrongAttributeType { at, .. }
            | DictError::DuplicateAttribute { at, .. }
            | DictError::DuplicateVendor { at, .. }
            | DictError::DuplicateValue { at, .. }
            | DictError::ValueNotAllowed { at, .. }
            | DictError::BlockMismatch { at, .. }
            | DictError::Unterminated { at, .. }
            | DictError::IncludeLoop { at, .. }
            | DictError::Invalid { at, .. } => Some(at),
        }
    }
}
