//! The FreeRADIUS v3 dictionary line grammar and resolver.
//!
//! Takes the lines of one file at a time ([`load`](super::load) reads the
//! files) and resolves every definition into the [`Dictionary`] as it goes
//! (like FreeRADIUS's `my_dict_init`), except `VALUE`s that name an
//! attribute not yet defined: those are kept and resolved after the last
//! file, as FreeRADIUS does with its `value_fixup` list.

use super::error::{DictError, Result};
use super::load::Parser;
use super::model::{AttrId, Attribute, DataType, Encrypt, Flags, Location, Vendor};
use super::{Dictionary, Key};

/// Longest attribute, vendor or value name FreeRADIUS v3 accepts
/// (`DICT_ATTR_MAX_NAME_LEN` - 1).
const MAX_NAME_LEN: usize = 127;

/// Nesting limit for `BEGIN-TLV` and for dotted OIDs below a TLV
/// (FreeRADIUS v3's `MAX_TLV_NEST`).
const MAX_TLV_DEPTH: usize = 4;

/// Number of the Vendor-Specific attribute.
const VENDOR_SPECIFIC: u32 = 26;

/// A number space: the parent attribute and the vendor of the attributes
/// defined in it. `(None, None)` is the standard RFC space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Space {
    parent: Option<AttrId>,
    vendor: Option<u32>,
}

const TOP: Space = Space {
    parent: None,
    vendor: None,
};

/// An open `BEGIN-VENDOR` or `BEGIN-TLV` block.
#[derive(Debug)]
pub(super) enum Block {
    Vendor {
        id: u32,
        name: String,
        space: Space,
        at: Location,
    },
    Tlv {
        attr: AttrId,
        name: String,
        at: Location,
    },
}

impl Block {
    fn describe(&self) -> String {
        match self {
            Block::Vendor { name, at, .. } => format!("BEGIN-VENDOR {name} at {at}"),
            Block::Tlv { name, at, .. } => format!("BEGIN-TLV {name} at {at}"),
        }
    }

    /// The error for a block still open at the end of its file.
    pub(super) fn unterminated(self) -> DictError {
        let (at, block, expected) = match self {
            Block::Vendor { name, at, .. } => (
                at,
                format!("BEGIN-VENDOR {name}"),
                format!("END-VENDOR {name}"),
            ),
            Block::Tlv { name, at, .. } => {
                (at, format!("BEGIN-TLV {name}"), format!("END-TLV {name}"))
            }
        };
        DictError::Unterminated {
            at,
            block,
            expected,
        }
    }
}

/// A `VALUE` whose attribute was not defined yet when it was read.
pub(super) struct PendingValue {
    attribute: String,
    name: String,
    value: u64,
    at: Location,
    seq: u64,
}

/// Parses a decimal or `0x`/`0X` hexadecimal unsigned number.
pub(crate) fn parse_number(s: &str) -> Option<u64> {
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

pub(super) fn split_fields(line: &str) -> Vec<&str> {
    let content = match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    };
    content
        .split([' ', '\t', '\r', '\n', '\x0b', '\x0c'])
        .filter(|s| !s.is_empty())
        .collect()
}

const ATTRIBUTE_SYNTAX: &str = "ATTRIBUTE name number type [flags]";
const VALUE_SYNTAX: &str = "VALUE attribute name number";
const VENDOR_SYNTAX: &str = "VENDOR name number [format=t,l[,c]]";
const BEGIN_VENDOR_SYNTAX: &str = "BEGIN-VENDOR name [format=Extended-Vendor-Specific-N]";
const END_VENDOR_SYNTAX: &str = "END-VENDOR name";
const BEGIN_TLV_SYNTAX: &str = "BEGIN-TLV name";
const END_TLV_SYNTAX: &str = "END-TLV name";
const INCLUDE_SYNTAX: &str = "$INCLUDE path";

impl Parser<'_> {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub(super) fn parse_line(
        &mut self,
        keyword: &str,
        args: &[&str],
        at: Location,
        blocks: &mut Vec<Block>,
    ) -> Result<()> {
        let kw = keyword.to_ascii_uppercase();
        match kw.as_str() {
            "ATTRIBUTE" => {
                expect_fields(&at, "ATTRIBUTE", args, 3, 4, ATTRIBUTE_SYNTAX)?;
                self.attribute(args, at, blocks)
            }
            "VALUE" => {
                expect_fields(&at, "VALUE", args, 3, 3, VALUE_SYNTAX)?;
                self.value(args, at)
            }
            "VENDOR" => {
                expect_fields(&at, "VENDOR", args, 2, 3, VENDOR_SYNTAX)?;
                self.vendor(args, at)
            }
            "BEGIN-VENDOR" => {
                expect_fields(&at, "BEGIN-VENDOR", args, 1, 2, BEGIN_VENDOR_SYNTAX)?;
                self.begin_vendor(args, at, blocks)
            }
            "END-VENDOR" => {
                expect_fields(&at, "END-VENDOR", args, 1, 1, END_VENDOR_SYNTAX)?;
                let id = self.vendor_id_by_name(args[0], &at)?;
                match blocks.last() {
                    Some(Block::Vendor { id: open, .. }) if *open == id => {
                        blocks.pop();
                        Ok(())
                    }
                    open => Err(DictError::BlockMismatch {
                        at,
                        found: format!("END-VENDOR {}", args[0]),
                        open: open.map_or_else(|| "none".to_owned(), Block::describe),
                    }),
                }
            }
            "BEGIN-TLV" => {
                expect_fields(&at, "BEGIN-TLV", args, 1, 1, BEGIN_TLV_SYNTAX)?;
                let id = self.attr_for_block(args[0], &at, "BEGIN-TLV")?;
                let a = &self.dict.attrs[id.index()];
                if a.data_type != DataType::Tlv {
                    return Err(DictError::WrongAttributeType {
                        at,
                        name: a.name.clone(),
                        previous: a.location.clone(),
                        data_type: a.data_type.name(),
                        context: "BEGIN-TLV",
                        expected: "tlv",
                    });
                }
                let depth = blocks
                    .iter()
                    .filter(|b| matches!(b, Block::Tlv { .. }))
                    .count();
                if depth >= MAX_TLV_DEPTH {
                    return Err(DictError::Invalid {
                        at,
                        message: format!(
                            "BEGIN-TLV {} nests TLV blocks deeper than {MAX_TLV_DEPTH} levels",
                            args[0]
                        ),
                    });
                }
                blocks.push(Block::Tlv {
                    attr: id,
                    name: args[0].to_owned(),
                    at,
                });
                Ok(())
            }
            "END-TLV" => {
                expect_fields(&at, "END-TLV", args, 1, 1, END_TLV_SYNTAX)?;
                let id = self.attr_for_block(args[0], &at, "END-TLV")?;
                match blocks.last() {
                    Some(Block::Tlv { attr, .. }) if *attr == id => {
                        blocks.pop();
                        Ok(())
                    }
                    open => Err(DictError::BlockMismatch {
                        at,
                        found: format!("END-TLV {}", args[0]),
                        open: open.map_or_else(|| "none".to_owned(), Block::describe),
                    }),
                }
            }
            "$INCLUDE" | "$INCLUDE-" | "$-INCLUDE" => {
                expect_fields(&at, "$INCLUDE", args, 1, 1, INCLUDE_SYNTAX)?;
                self.include(args[0], &at, kw != "$INCLUDE")
            }
            _ => Err(DictError::UnknownKeyword {
                at,
                keyword: keyword.to_owned(),
            }),
        }
    }

    fn attr_for_block(&self, name: &str, at: &Location, context: &'static str) -> Result<AttrId> {
        self.dict
            .attr_by_name(name)
            .ok_or_else(|| DictError::UnknownAttribute {
                at: at.clone(),
                name: name.to_owned(),
                context,
            })
    }

    fn vendor_id_by_name(&self, name: &str, at: &Location) -> Result<u32> {
        self.dict
            .vendor_by_name(name)
            .map(|v| v.id)
            .ok_or_else(|| DictError::UnknownVendor {
                at: at.clone(),
                name: name.to_owned(),
            })
    }

    // ----------------------------------------------------------------- VENDOR

    fn vendor(&mut self, args: &[&str], at: Location) -> Result<()> {
        let name = args[0];
        check_name(name, &at, false)?;
        let id = parse_number(args[1])
            .filter(|&n| n > 0 && n < (1 << 24))
            .ok_or_else(|| DictError::InvalidNumber {
                at: at.clone(),
                what: "vendor number",
                found: args[1].to_owned(),
                expected: "a number from 1 to 16777215".to_owned(),
            })? as u32;
        let (type_width, length_width, continuation) = match args.get(2) {
            Some(format) => parse_vendor_format(format, &at)?,
            // FreeRADIUS hard-codes the formats of three vendors whose
            // dictionaries predate `format=`.
            None => match id {
                429 => (4, 0, false),  // USR
                4846 => (2, 1, false), // Lucent
                8164 => (2, 2, false), // Starent
                _ => (1, 1, false),
            },
        };
        let vendor = Vendor {
            name: name.to_owned(),
            id,
            type_width,
            length_width,
            continuation,
            location: at,
        };
        let key = name.to_ascii_lowercase();
        if let Some(&old) = self.dict.vendor_by_name.get(&key) {
            let o = &self.dict.vendors[old];
            let difference = if o.id != vendor.id {
                format!("number {} here, {} there", vendor.id, o.id)
            } else if (o.type_width, o.length_width, o.continuation)
                != (type_width, length_width, continuation)
            {
                format!(
                    "format={} here, format={} there",
                    format_str(&vendor),
                    format_str(o)
                )
            } else {
                return Ok(()); // identical redefinition
            };
            return Err(DictError::DuplicateVendor {
                at: vendor.location,
                name: name.to_owned(),
                previous: o.location.clone(),
                difference,
            });
        }
        let index = self.dict.vendors.len();
        self.dict.vendors.push(vendor);
        self.dict.vendor_by_name.insert(key, index);
        // Several names for one number: the last one is used for printing.
        self.dict.vendor_by_id.insert(id, index);
        Ok(())
    }

    fn begin_vendor(&mut self, args: &[&str], at: Location, blocks: &mut Vec<Block>) -> Result<()> {
        let id = self.vendor_id_by_name(args[0], &at)?;
        if let Some(open) = blocks.last() {
            return Err(DictError::Invalid {
                message: format!(
                    "BEGIN-VENDOR {} inside the open block {}",
                    args[0],
                    open.describe()
                ),
                at,
            });
        }
        let mut space = Space {
            parent: None,
            vendor: Some(id),
        };
        if let Some(option) = args.get(1) {
            let Some(attr_name) = strip_prefix_ignore_case(option, "format=")
                .or_else(|| strip_prefix_ignore_case(option, "parent="))
            else {
                return Err(DictError::Invalid {
                    at,
                    message: format!(
                        "invalid BEGIN-VENDOR option \"{option}\" (expected \
                         format=Extended-Vendor-Specific-N or parent=NAME)"
                    ),
                });
            };
            let evs = self.attr_for_block(attr_name, &at, "BEGIN-VENDOR format=")?;
            let a = &self.dict.attrs[evs.index()];
            if a.data_type != DataType::Evs {
                return Err(DictError::WrongAttributeType {
                    at,
                    name: a.name.clone(),
                    previous: a.location.clone(),
                    data_type: a.data_type.name(),
                    context: "BEGIN-VENDOR format=",
                    expected: "evs",
                });
            }
            space.parent = Some(evs);
        }
        blocks.push(Block::Vendor {
            id,
            name: args[0].to_owned(),
            space,
            at,
        });
        Ok(())
    }

    // -------------------------------------------------------------- ATTRIBUTE

    fn attribute(&mut self, args: &[&str], at: Location, blocks: &[Block]) -> Result<()> {
        let name = args[0];
        check_name(name, &at, true)?;
        let oid = args[1];

        let (data_type, length) = parse_type(args[2], &at)?;
        let mut flags = Flags {
            length,
            abinary: data_type == DataType::Abinary,
            ..Flags::default()
        };

        let mut space = match blocks.last() {
            None => TOP,
            Some(Block::Vendor { space, .. }) => *space,
            Some(Block::Tlv { attr, .. }) => Space {
                parent: Some(*attr),
                vendor: self.dict.attrs[attr.index()].vendor,
            },
        };

        // Old syntax: `ATTRIBUTE name number type VendorName`.
        let mut flag_words: Vec<&str> = Vec::new();
        if let Some(&field) = args.get(3) {
            let words: Vec<&str> = field.split(',').filter(|w| !w.is_empty()).collect();
            if words.len() == 1 && !is_flag_word(words[0]) {
                if let Some(v) = self.dict.vendor_by_name(words[0]) {
                    if !blocks.is_empty() {
                        return Err(DictError::FlagNotAllowed {
                            at,
                            flag: words[0].to_owned(),
                            reason: "a vendor name as 4th field is not allowed inside \
                                     BEGIN-VENDOR/BEGIN-TLV"
                                .to_owned(),
                        });
                    }
                    if oid.contains('.') {
                        return Err(DictError::FlagNotAllowed {
                            at,
                            flag: words[0].to_owned(),
                            reason: "a vendor name as 4th field cannot be combined with a \
                                     dotted attribute number"
                                .to_owned(),
                        });
                    }
                    space = Space {
                        parent: None,
                        vendor: Some(v.id),
                    };
                } else {
                    flag_words = words;
                }
            } else {
                flag_words = words;
            }
        }

        let (space, number) = self.resolve_oid(oid, space, &at)?;
        self.check_number(oid, space, number, &at)?;

        let parent_type = space.parent.map(|p| self.dict.attrs[p.index()].data_type);
        let in_extended = space.parent.is_some_and(|p| self.in_extended_space(p));

        for word in &flag_words {
            self.apply_flag(word, &mut flags, data_type, space, number, in_extended, &at)?;
        }
        check_flag_combinations(&flags, data_type, parent_type, &at)?;
        self.check_type_placement(data_type, space, number, &at)?;

        self.dict.add_attribute(Attribute {
            name: name.to_owned(),
            number,
            vendor: space.vendor,
            parent: space.parent,
            data_type,
            flags,
            location: at,
        })?;
        Ok(())
    }

    /// `true` if `attr` is, or is below, an extended/long-extended attribute.
    fn in_extended_space(&self, mut attr: AttrId) -> bool {
        loop {
            let a = &self.dict.attrs[attr.index()];
            if matches!(a.data_type, DataType::Extended | DataType::LongExtended) {
                return true;
            }
            match a.parent {
                Some(p) => attr = p,
                None => return false,
            }
        }
    }

    /// Resolves a number or dotted OID relative to `space` (the current
    /// `BEGIN-VENDOR`/`BEGIN-TLV` block, or the standard space). Returns the
    /// space the attribute lives in and its own number.
    ///
    /// Every component but the last must name an attribute that can contain
    /// others: `26` in the standard space and attributes of type `evs` are
    /// followed by a vendor number; `tlv`, `extended` and `long-extended`
    /// attributes by a child number.
    fn resolve_oid(&self, oid: &str, mut space: Space, at: &Location) -> Result<(Space, u32)> {
        let bad = |reason: String| DictError::InvalidOid {
            at: at.clone(),
            oid: oid.to_owned(),
            reason,
        };
        let mut parts = Vec::new();
        for part in oid.split('.') {
            let n = parse_number(part)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "\"{part}\" is not a number (expected decimal or 0x-hex numbers \
                         separated by dots)"
                    ))
                })?;
            parts.push(n);
        }
        let last = parts.len() - 1;
        let mut i = 0;
        let mut tlv_depth = 0;
        while i < last {
            let n = parts[i];
            let prefix = parts[..=i]
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".");
            let existing = self
                .dict
                .attr_by_key
                .get(&Key {
                    parent: space.parent,
                    vendor: space.vendor,
                    number: n,
                })
                .copied();
            let enters_vendor = |this: &Self, i: usize| -> Result<u32> {
                if i + 1 == last {
                    return Err(bad(format!(
                        "{prefix}.{} names a vendor, not an attribute (expected \
                         {prefix}.{}.<attribute number>)",
                        parts[i + 1],
                        parts[i + 1]
                    )));
                }
                let vid = parts[i + 1];
                if this.dict.vendor_by_id(vid).is_none() {
                    return Err(DictError::UnknownVendor {
                        at: at.clone(),
                        name: vid.to_string(),
                    });
                }
                Ok(vid)
            };
            // Vendor-Specific is hard-wired in the standard space, as in
            // FreeRADIUS (whether or not `26` itself is defined).
            if space == TOP && n == VENDOR_SPECIFIC {
                let vid = enters_vendor(self, i)?;
                space = Space {
                    parent: None,
                    vendor: Some(vid),
                };
                i += 2;
                continue;
            }
            let Some(id) = existing else {
                return Err(bad(format!(
                    "parent attribute {prefix} is not defined{}",
                    describe_space(self, space)
                )));
            };
            let a = &self.dict.attrs[id.index()];
            match a.data_type {
                DataType::Tlv => {
                    if let Some(v) = space.vendor.and_then(|v| self.dict.vendor_by_id(v)) {
                        if space.parent.is_none() && v.type_width != 1 {
                            return Err(bad(format!(
                                "vendor {} uses format={} and cannot have TLVs",
                                v.name,
                                format_str(v)
                            )));
                        }
                    }
                    tlv_depth += 1;
                    if tlv_depth > MAX_TLV_DEPTH {
                        return Err(bad(format!(
                            "TLVs are nested deeper than {MAX_TLV_DEPTH} levels"
                        )));
                    }
                    space = Space {
                        parent: Some(id),
                        vendor: a.vendor,
                    };
                    i += 1;
                }
                DataType::Extended | DataType::LongExtended => {
                    space = Space {
                        parent: Some(id),
                        vendor: None,
                    };
                    i += 1;
                }
                DataType::Evs => {
                    let vid = enters_vendor(self, i)?;
                    space = Space {
                        parent: Some(id),
                        vendor: Some(vid),
                    };
                    i += 2;
                }
                other => {
                    return Err(bad(format!(
                        "{prefix} is {} ({}), of type {other}, which cannot have \
                         sub-attributes (expected tlv, extended, long-extended or evs)",
                        a.name, a.location
                    )));
                }
            }
        }
        Ok((space, parts[last]))
    }

    /// Range of the attribute's own number in its space.
    fn check_number(&self, oid: &str, space: Space, number: u32, at: &Location) -> Result<()> {
        let (min, max, what): (u32, u32, String) = match (space.parent, space.vendor) {
            (None, None) => (1, u32::MAX, "standard attributes".to_owned()),
            (None, Some(vid)) => {
                let v = self
                    .dict
                    .vendor_by_id(vid)
                    .expect("vendor of a space exists");
                match v.type_width {
                    // FreeRADIUS accepts 0 in format=1,x vendor spaces
                    // (Debian's cablelabs, colubris, ... use it).
                    1 => (0, 255, format!("vendor {} (format=1,x)", v.name)),
                    2 => (1, 65535, format!("vendor {} (format=2,x)", v.name)),
                    _ => (1, u32::MAX, format!("vendor {} (format=4,x)", v.name)),
                }
            }
            (Some(p), _) => {
                let pa = &self.dict.attrs[p.index()];
                (1, 255, format!("sub-attributes of {}", pa.name))
            }
        };
        if number < min || number > max {
            return Err(DictError::InvalidOid {
                at: at.clone(),
                oid: oid.to_owned(),
                reason: format!("{what} are numbered {min}..={max}, not {number}"),
            });
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_flag(
        &self,
        word: &str,
        flags: &mut Flags,
        data_type: DataType,
        space: Space,
        number: u32,
        in_extended: bool,
        at: &Location,
    ) -> Result<()> {
        let not_allowed = |reason: &str| DictError::FlagNotAllowed {
            at: at.clone(),
            flag: word.to_owned(),
            reason: reason.to_owned(),
        };
        let lower = word.to_ascii_lowercase();
        if !is_flag_word(&lower) {
            return Err(DictError::UnknownFlag {
                at: at.clone(),
                found: word.to_owned(),
            });
        }
        if in_extended {
            return Err(not_allowed(
                "attributes in the extended space (RFC 6929) cannot have flags",
            ));
        }
        match lower.as_str() {
            "has_tag" | "has_tag=1" => {
                if !matches!(data_type, DataType::String | DataType::Integer) {
                    return Err(not_allowed(
                        "only string and integer attributes can be tagged",
                    ));
                }
                flags.has_tag = true;
            }
            "secret" => {
                if !matches!(data_type, DataType::String | DataType::Octets) {
                    return Err(not_allowed(
                        "only string and octets attributes can be secret",
                    ));
                }
                flags.secret = true;
            }
            "array" => {
                if !matches!(
                    data_type,
                    DataType::Ipaddr
                        | DataType::Ipv6Addr
                        | DataType::Byte
                        | DataType::Short
                        | DataType::Integer
                        | DataType::Date
                        | DataType::String
                ) {
                    return Err(not_allowed(
                        "only ipaddr, ipv6addr, byte, short, integer, date and string \
                         attributes can be arrays",
                    ));
                }
                flags.array = true;
            }
            "concat" => {
                if data_type != DataType::Octets {
                    return Err(not_allowed(
                        "only octets attributes can have the concat flag",
                    ));
                }
                if space.vendor.is_some() {
                    return Err(not_allowed("vendor-specific attributes cannot be concat"));
                }
                flags.concat = true;
            }
            "virtual" => {
                if space.vendor.is_some() {
                    return Err(not_allowed("vendor-specific attributes cannot be virtual"));
                }
                if space.parent.is_none() && number < 256 {
                    return Err(not_allowed(
                        "standard attributes numbered below 256 cannot be virtual",
                    ));
                }
                flags.virtual_ = true;
            }
            "abinary" => {
                if !matches!(data_type, DataType::Octets | DataType::Abinary) {
                    return Err(not_allowed(
                        "only octets attributes can have the abinary flag",
                    ));
                }
                flags.abinary = true;
            }
            "encrypt=1" => {
                match data_type {
                    DataType::String => {}
                    DataType::Octets if flags.length.is_some() => {}
                    DataType::Octets => {
                        return Err(not_allowed(
                            "encrypt=1 on octets needs a fixed length (octets[N])",
                        ))
                    }
                    _ => return Err(not_allowed("encrypt=1 needs a string or octets attribute")),
                }
                flags.encrypt = Encrypt::UserPassword;
                flags.secret = true;
            }
            "encrypt=2" => {
                // No type restriction: FreeRADIUS has none, and Debian's
                // tree uses encrypt=2 on integer and ipaddr VSAs.
                if flags.length.is_some() {
                    return Err(not_allowed("encrypt=2 cannot be used with octets[N]"));
                }
                flags.encrypt = Encrypt::TunnelPassword;
                flags.secret = true;
            }
            "encrypt=3" => {
                if data_type != DataType::String {
                    return Err(not_allowed("encrypt=3 needs a string attribute"));
                }
                flags.encrypt = Encrypt::AscendSecret;
                flags.secret = true;
            }
            _ => unreachable!("is_flag_word covers every flag"),
        }
        Ok(())
    }

    /// Where `extended`, `long-extended`, `evs`, `vsa` and `tlv` may appear.
    fn check_type_placement(
        &self,
        data_type: DataType,
        space: Space,
        number: u32,
        at: &Location,
    ) -> Result<()> {
        let not_allowed = |reason: String| DictError::TypeNotAllowed {
            at: at.clone(),
            data_type: data_type.name().to_owned(),
            reason,
        };
        let tlv_vendor = match (data_type, space.parent, space.vendor) {
            (DataType::Tlv, None, Some(v)) => self.dict.vendor_by_id(v),
            _ => None,
        };
        let evs_parent_ok = space.vendor.is_none()
            && space.parent.is_some_and(|p| {
                matches!(
                    self.dict.attrs[p.index()].data_type,
                    DataType::Extended | DataType::LongExtended
                )
            });
        match data_type {
            DataType::Extended | DataType::LongExtended
                if space != TOP || !(241..=255).contains(&number) =>
            {
                Err(not_allowed(
                    "extended attributes must be standard attributes numbered 241..=255".to_owned(),
                ))
            }
            DataType::Evs if !evs_parent_ok || number != VENDOR_SPECIFIC => Err(not_allowed(
                "evs attributes must be number 26 of an extended attribute (e.g. 241.26)"
                    .to_owned(),
            )),
            DataType::Vsa if space != TOP => {
                Err(not_allowed("vsa must be a standard attribute".to_owned()))
            }
            _ => match tlv_vendor {
                Some(v) if v.type_width != 1 || v.length_width != 1 => Err(not_allowed(format!(
                    "vendor {} uses format={}; TLVs need format=1,1",
                    v.name,
                    format_str(v)
                ))),
                _ => Ok(()),
            },
        }
    }

    // ------------------------------------------------------------------ VALUE

    fn value(&mut self, args: &[&str], at: Location) -> Result<()> {
        let (attribute, name) = (args[0], args[1]);
        check_name(name, &at, false)?;
        let value = parse_number(args[2]).ok_or_else(|| DictError::InvalidNumber {
            at: at.clone(),
            what: "VALUE number",
            found: args[2].to_owned(),
            expected: "a decimal or 0x-hex number from 0 to 18446744073709551615".to_owned(),
        })?;
        let seq = self.next_seq();
        match self.dict.attr_by_name(attribute) {
            Some(id) => self.dict.add_value(id, name, value, at, seq, true),
            None => {
                // FreeRADIUS allows VALUE before its ATTRIBUTE; resolved at the end.
                self.pending.push(PendingValue {
                    attribute: attribute.to_owned(),
                    name: name.to_owned(),
                    value,
                    at,
                    seq,
                });
                Ok(())
            }
        }
    }

    pub(super) fn finish(mut self) -> Result<Dictionary> {
        // FreeRADIUS resolves forward references after the last file, and a
        // forward-referenced VALUE only becomes the printed name of its
        // number if no directly defined VALUE claimed it; among them the last
        // one defined wins. Processing them last-first with "print name only
        // if unclaimed" gives exactly that.
        let pending = std::mem::take(&mut self.pending);
        // Report the first unresolved VALUE in file order.
        if let Some(p) = pending
            .iter()
            .find(|p| self.dict.attr_by_name(&p.attribute).is_none())
        {
            return Err(DictError::UnknownAttribute {
                at: p.at.clone(),
                name: p.attribute.clone(),
                context: "VALUE (no ATTRIBUTE of that name is defined in any file)",
            });
        }
        for p in pending.into_iter().rev() {
            let id = self.dict.attr_by_name(&p.attribute).expect("checked above");
            self.dict
                .add_value(id, &p.name, p.value, p.at, p.seq, false)?;
        }
        self.dict.finish();
        Ok(self.dict)
    }
}

fn expect_fields(
    at: &Location,
    keyword: &'static str,
    args: &[&str],
    min: usize,
    max: usize,
    expected: &'static str,
) -> Result<()> {
    if args.len() < min || args.len() > max {
        return Err(DictError::FieldCount {
            at: at.clone(),
            keyword,
            found: args.len(),
            expected,
        });
    }
    Ok(())
}

fn is_flag_word(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "has_tag"
            | "has_tag=1"
            | "secret"
            | "array"
            | "concat"
            | "virtual"
            | "abinary"
            | "encrypt=1"
            | "encrypt=2"
            | "encrypt=3"
    )
}

/// Rules that involve several flags at once (FreeRADIUS `dict_addattr`).
fn check_flag_combinations(
    flags: &Flags,
    data_type: DataType,
    parent_type: Option<DataType>,
    at: &Location,
) -> Result<()> {
    let not_allowed = |flag: &str, reason: &str| DictError::FlagNotAllowed {
        at: at.clone(),
        flag: flag.to_owned(),
        reason: reason.to_owned(),
    };
    if flags.concat
        && (flags.has_tag
            || flags.array
            || flags.length.is_some()
            || flags.encrypt != Encrypt::None
            || flags.abinary)
    {
        return Err(not_allowed(
            "concat",
            "concat cannot be combined with any other flag",
        ));
    }
    if flags.has_tag && parent_type == Some(DataType::Tlv) {
        return Err(not_allowed("has_tag", "TLV members cannot be tagged"));
    }
    if data_type == DataType::Tlv && flags.encrypt != Encrypt::None {
        return Err(not_allowed(
            &format!("encrypt={}", flags.encrypt.number()),
            "TLVs cannot be encrypted",
        ));
    }
    Ok(())
}

/// `s` without `prefix`, compared ASCII-case-insensitively.
fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `type` or `octets[N]`.
fn parse_type(word: &str, at: &Location) -> Result<(DataType, Option<u8>)> {
    if let Some(rest) = strip_prefix_ignore_case(word, "octets[") {
        let inner = rest.strip_suffix(']');
        let length = inner
            .and_then(parse_number)
            .filter(|n| (1..=253).contains(n));
        return match length {
            Some(n) => Ok((DataType::Octets, Some(n as u8))),
            None => Err(DictError::InvalidNumber {
                at: at.clone(),
                what: "octets length",
                found: word.to_owned(),
                expected: "octets[N] with N from 1 to 253".to_owned(),
            }),
        };
    }
    DataType::from_name(word)
        .map(|t| (t, None))
        .ok_or_else(|| DictError::UnknownType {
            at: at.clone(),
            found: word.to_owned(),
        })
}

/// `format=t,l[,c]`.
fn parse_vendor_format(option: &str, at: &Location) -> Result<(u8, u8, bool)> {
    let bad = |reason: &str| DictError::InvalidVendorFormat {
        at: at.clone(),
        found: option.to_owned(),
        reason: reason.to_owned(),
    };
    let Some(rest) = strip_prefix_ignore_case(option, "format=") else {
        return Err(bad("expected format=t,l or format=t,l,c"));
    };
    let parts: Vec<&str> = rest.split(',').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad("expected format=t,l or format=t,l,c"));
    }
    let t = match parts[0] {
        "1" => 1,
        "2" => 2,
        "4" => 4,
        _ => return Err(bad("the type width t must be 1, 2 or 4")),
    };
    let l = match parts[1] {
        "0" => 0,
        "1" => 1,
        "2" => 2,
        _ => return Err(bad("the length width l must be 0, 1 or 2")),
    };
    let c = match parts.get(2) {
        None => false,
        Some(&"c") => {
            if (t, l) != (1, 1) {
                return Err(bad("only format=1,1 vendors can have continuations (,c)"));
            }
            true
        }
        Some(_) => return Err(bad("the third part can only be \"c\" (continuation)")),
    };
    Ok((t, l, c))
}

pub(crate) fn format_str(v: &Vendor) -> String {
    format!(
        "{},{}{}",
        v.type_width,
        v.length_width,
        if v.continuation { ",c" } else { "" }
    )
}

fn describe_space(p: &Parser<'_>, space: Space) -> String {
    match (space.parent, space.vendor) {
        (None, None) => String::new(),
        (None, Some(v)) => format!(
            " in vendor {}",
            p.dict.vendor_by_id(v).map_or("?", |v| v.name.as_str())
        ),
        (Some(a), _) => format!(" below {}", p.dict.attrs[a.index()].name),
    }
}

/// Attribute names follow FreeRADIUS v3's `dict_valid_name`
/// (`[A-Za-z0-9_./-]`), may not start with `Attr-` (reserved for unknown
/// attributes) and are at most 127 bytes. Vendor and value names only need
/// to be non-empty and at most 127 bytes.
fn check_name(name: &str, at: &Location, attribute: bool) -> Result<()> {
    let bad = |reason: String| DictError::InvalidName {
        at: at.clone(),
        name: name.to_owned(),
        reason,
    };
    if name.len() > MAX_NAME_LEN {
        return Err(bad(format!("longer than {MAX_NAME_LEN} bytes")));
    }
    if attribute {
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')))
        {
            return Err(bad(format!(
                "character {c:?} not allowed (attribute names use A-Z a-z 0-9 _ . / -)"
            )));
        }
        if strip_prefix_ignore_case(name, "Attr-").is_some() {
            return Err(bad(
                "names starting with Attr- are reserved for unknown attributes".to_owned(),
            ));
        }
    }
    Ok(())
}
