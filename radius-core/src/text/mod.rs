//! FreeRADIUS's attribute text form over a run-time
//! [`Dictionary`](crate::dict::Dictionary):
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
//! - **TLVs given as hex** (`WiMAX-PPAC = 0x0103...`) are their raw
//!   octets, continued over several Vendor-Specifics when the vendor format
//!   has continuations (`1,1,c`), as radclient sends them.
//! - **Layouts**: one Vendor-Specific per vendor attribute (vendor formats
//!   `t,l` from the dictionary, `1,1` for unknown vendors; attribute 26 is
//!   read as Vendor-Specific even when the dictionary does not define it
//!   as `vsa`, the way it is always written), WiMAX
//!   continuation (`format=1,1,c`) and long-extended fragmentation with
//!   the More flag, Extended-Vendor-Specific, concat attributes split into
//!   253-octet pieces, and consecutive members of the same TLV grouped
//!   into one container (nested TLVs recursively), as `vp2data_tlvs` does.
//! - **Tags**: a valid tag (1..=31) prefixes strings and replaces the high
//!   octet of integers (so a tagged integer has 24 bits); Tunnel-Password
//!   always carries a tag octet (0 when none). On decoding, every `has_tag`
//!   attribute has a tag, 0 when the wire had none, and prints as `Name:T`.
//! - **Encryption**: User-Password (`encrypt=1`), Tunnel-Password
//!   (`encrypt=2`, random salts unique within a packet, RFC 2868 §3.5,
//!   unless [`Codec::with_salt`]; at most 239 octets, where FreeRADIUS
//!   cuts longer values to 249 octets in a ciphertext that is not a
//!   multiple of 16) and Ascend
//!   secret (`encrypt=3`), keyed on the secret and authenticator given to
//!   the codec.
//! - **Addresses** are read as FreeRADIUS reads them: `*` for the any
//!   address, `inet_aton`'s short forms (`10.1` is `10.0.0.1`), numbers,
//!   and short prefixes with their host bits cleared (`10/8`); printed
//!   canonically (`10.0.0.0/8`). The rules are in `ipaddr.rs`.
//! - **NAS-Filter-Rule** (92, RFC 4849): consecutive rules are joined
//!   with NUL octets and cut into as many attributes as needed (a rule may
//!   continue in the next one); decoding gives one pair per rule, as
//!   FreeRADIUS does. Rules longer than 253 octets are allowed (FreeRADIUS
//!   drops them when encoding and refuses them when decoding).
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
//!   as are `Vendor-9-Attr-1` and `Cisco-Attr-1`. Member numbers need a
//!   TLV to be members of: `Attr-240.1` is an error ("standard attributes
//!   cannot use OIDs", as radclient says) unless 240 is a `tlv`, and so is
//!   `Attr-241.1.2` when 241.1 is an integer, or a member of a vendor
//!   whose format is not `1,1`.
//!
//! # Deliberate differences
//!
//! - Values too long for their attribute are an error, where FreeRADIUS
//!   truncates them silently.
//! - Malformed encrypted or tagged values print their original octets in
//!   the raw form (FreeRADIUS prints the partly processed buffer), and a
//!   User-Password whose length is not a multiple of 16 (or above 128) is
//!   malformed rather than decrypted as far as it goes.
//! - Ascend binary filters (`abinary`) are read in FreeRADIUS's filter
//!   language or as hex, and printed in the language when their 32 octets
//!   are canonical, as hex otherwise (FreeRADIUS prints `??` for unknown
//!   protocols and comparisons, and silently drops fields); see
//!   [`crate::ascend`] for the grammar and the few inputs refused here.
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

// One file per concern; the submodules stay private so that every public
// item keeps its `radius_core::text::` path (re-exported below).
mod codec;
mod decode;
mod decode_vsa;
mod encode;
mod escape;
mod filter_rule;
mod format;
mod ipaddr;
mod items;
mod lex;
mod parse;
mod scalar;
mod types;

pub use codec::{Codec, TEST_AUTHENTICATOR};
pub use items::{Item, Operator};
pub use scalar::{hex_decode, hex_spaced};
pub use types::{AttrRef, Pair, RawOid, TextError, Value};
