//! Adding definitions to a [`Dictionary`] under FreeRADIUS v3's rules:
//! one definition per name, aliases for a number (the last one defined
//! prints), `VALUE`s that fit their attribute's type.

use super::error::{DictError, Result};
use super::model::{AttrId, Attribute, DataType, Location, Value};
use super::{Dictionary, Key};

impl Dictionary {
    /// Inserts an attribute, enforcing FreeRADIUS's rule that one name has
    /// one definition (an identical repetition is ignored) and recording
    /// aliases (several names for one number; the last one defined is used
    /// for printing).
    pub(super) fn add_attribute(&mut self, attr: Attribute) -> Result<AttrId> {
        let lower = attr.name.to_ascii_lowercase();
        if let Some(&old) = self.attr_by_name.get(&lower) {
            let o = &self.attrs[old.index()];
            let difference =
                if (o.parent, o.vendor, o.number) != (attr.parent, attr.vendor, attr.number) {
                    Some(format!(
                        "number {} here, {} there",
                        self.oid_of(attr.parent, attr.vendor, attr.number),
                        self.oid(old)
                    ))
                } else if o.data_type != attr.data_type || o.flags.length != attr.flags.length {
                    Some(format!(
                        "type {} here, {} there",
                        type_str(attr.data_type, attr.flags.length),
                        type_str(o.data_type, o.flags.length)
                    ))
                } else if o.flags != attr.flags {
                    Some(format!("flags {:?} here, {:?} there", attr.flags, o.flags))
                } else {
                    None
                };
            return match difference {
                None => Ok(old),
                Some(difference) => Err(DictError::DuplicateAttribute {
                    previous: o.location.clone(),
                    name: attr.name,
                    at: attr.location,
                    difference,
                }),
            };
        }
        let id = AttrId(u32::try_from(self.attrs.len()).expect("fewer than 2^32 attributes"));
        let key = Key {
            parent: attr.parent,
            vendor: attr.vendor,
            number: attr.number,
        };
        match (attr.parent, attr.vendor) {
            (Some(p), _) => self.children[p.index()].push(id),
            (None, Some(v)) => self.vendor_attrs.entry(v).or_default().push(id),
            (None, None) => self.top_level.push(id),
        }
        // FreeRADIUS marks the previous holder of the number as a duplicate
        // when the new definition has the same type (`flags.is_dup`); such
        // names are re-resolved to the newest definition when read as text.
        if let Some(&old) = self.attr_by_key.get(&key) {
            if self.attrs[old.index()].data_type == attr.data_type {
                self.superseded[old.index()] = true;
            }
        }
        self.attrs.push(attr);
        self.superseded.push(false);
        self.children.push(Vec::new());
        self.attr_by_name.insert(lower, id);
        // Last definition of a number wins for printing (FreeRADIUS replaces
        // its by-value entry on every definition).
        self.attr_by_key.insert(key, id);
        Ok(id)
    }

    /// Adds a `VALUE`. `claim` is true for a value defined after its
    /// attribute (it becomes the printed name of its number), false for a
    /// resolved forward reference (printed name only if none yet).
    pub(super) fn add_value(
        &mut self,
        id: AttrId,
        name: &str,
        value: u64,
        at: Location,
        seq: u64,
        claim: bool,
    ) -> Result<()> {
        let a = &self.attrs[id.index()];
        let max = a.data_type.max_value();
        match max {
            None => {
                return Err(DictError::ValueNotAllowed {
                    at,
                    attribute: a.name.clone(),
                    name: name.to_owned(),
                    value,
                    data_type: a.data_type.name(),
                    reason: "only byte, short, integer, integer64, signed, date, bool and \
                             octets attributes can have VALUEs",
                })
            }
            Some(max) if value > max => {
                return Err(DictError::ValueNotAllowed {
                    at,
                    attribute: a.name.clone(),
                    name: name.to_owned(),
                    value,
                    data_type: a.data_type.name(),
                    reason: "the number does not fit the data type",
                })
            }
            Some(_) => {}
        }
        let key = Key {
            parent: a.parent,
            vendor: a.vendor,
            number: a.number,
        };
        let attr_name = a.name.clone();
        let set = self.values.entry(key).or_default();
        let lower = name.to_ascii_lowercase();
        if let Some(&old) = set.by_name.get(&lower) {
            let o = &set.list[old];
            if o.value == value {
                return Ok(()); // identical repetition (dictionary.ascend has many)
            }
            return Err(DictError::DuplicateValue {
                at,
                attribute: attr_name,
                name: name.to_owned(),
                value,
                previous: o.location.clone(),
                previous_value: o.value,
            });
        }
        let index = set.list.len();
        set.list.push(Value {
            name: name.to_owned(),
            value,
            location: at,
        });
        set.seqs.push(seq);
        set.by_name.insert(lower, index);
        if claim {
            set.by_number.insert(value, index);
        } else {
            set.by_number.entry(value).or_insert(index);
        }
        self.num_values += 1;
        Ok(())
    }
}

fn type_str(t: DataType, length: Option<u8>) -> String {
    match length {
        Some(n) => format!("{t}[{n}]"),
        None => t.to_string(),
    }
}
