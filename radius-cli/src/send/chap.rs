//! `CHAP-Password = "secret"` in an Access-Request: the password is
//! replaced by a CHAP response when the request is built, as radclient
//! does (RFC 2865 §2.2, §5.3): a random CHAP ident, then
//! MD5(ident ‖ password ‖ challenge), 17 octets in all. The challenge is
//! the request's CHAP-Challenge when it has one, otherwise its Request
//! Authenticator. A value written in hex (`CHAP-Password = 0x01...`) is
//! taken as a response computed beforehand and sent as given.

use radius_core::dict::Dictionary;
use radius_core::text::{AttrRef, Item, Pair, Value};

/// A clear-text CHAP-Password of one request, to be answered per
/// transmission (each request has its own authenticator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Chap {
    /// Where CHAP-Password is among the request's pairs.
    index: usize,
    password: Vec<u8>,
    /// CHAP-Challenge's value, when the request has one.
    challenge: Option<Vec<u8>>,
}

impl Chap {
    /// The CHAP-Password of `pairs` (parsed from `items`, one pair per
    /// item) that must be computed: the first one not written in hex.
    /// `None` when there is none, or the dictionary has no CHAP-Password.
    pub(super) fn find(dict: &Dictionary, items: &[Item], pairs: &[Pair]) -> Option<Chap> {
        let id = |name| dict.attr_by_name(name).map(AttrRef::Known);
        let chap_password = id("CHAP-Password")?;
        let chap_challenge = id("CHAP-Challenge");
        let index = pairs.iter().zip(items).position(|(p, item)| {
            let given_as_hex = !item.quoted && is_hex(&item.value);
            p.attr == chap_password && !given_as_hex
        })?;
        let challenge = pairs
            .iter()
            .find(|p| Some(&p.attr) == chap_challenge.as_ref())
            .map(|p| p.value.to_bytes());
        Some(Chap {
            index,
            password: pairs[index].value.to_bytes(),
            challenge,
        })
    }

    /// Replace the clear password in `pairs` by the response to this
    /// request's challenge (`authenticator` unless CHAP-Challenge is
    /// given), with a random CHAP ident.
    pub(super) fn fill(&self, pairs: &mut [Pair], authenticator: &[u8; 16]) {
        let ident = radius_core::crypto::random_authenticator()[0];
        self.fill_with_ident(pairs, authenticator, ident);
    }

    fn fill_with_ident(&self, pairs: &mut [Pair], authenticator: &[u8; 16], ident: u8) {
        let challenge = self.challenge.as_deref().unwrap_or(authenticator);
        let response = radius_core::crypto::chap_response(ident, &self.password, challenge);
        let mut value = Vec::with_capacity(17);
        value.push(ident);
        value.extend_from_slice(&response);
        pairs[self.index].value = Value::Octets(value);
    }
}

fn is_hex(v: &[u8]) -> bool {
    v.len() > 2 && v[0] == b'0' && (v[1] | 0x20) == b'x'
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_core::text::Codec;

    fn dict() -> Dictionary {
        Dictionary::parse_str(
            "d",
            "ATTRIBUTE User-Name 1 string\nATTRIBUTE CHAP-Password 3 octets\n\
             ATTRIBUTE CHAP-Challenge 60 octets\n",
        )
        .unwrap()
    }

    fn parsed(d: &Dictionary, text: &str) -> (Vec<Item>, Vec<Pair>) {
        let c = Codec::new(d);
        let items = c.parse_items(text).unwrap();
        let pairs = items.iter().map(|i| c.pair(i).unwrap()).collect();
        (items, pairs)
    }

    #[test]
    fn response_to_a_chap_challenge_is_radclients() {
        // radclient 3.2.1 sent exactly this (ident 0x20 was its random
        // pick) for User-Name = "bob", CHAP-Password = "hello",
        // CHAP-Challenge = 0x0102...10, and FreeRADIUS accepted it.
        let d = dict();
        let (items, mut pairs) = parsed(
            &d,
            "User-Name = \"bob\", CHAP-Password = \"hello\", \
             CHAP-Challenge = 0x0102030405060708090a0b0c0d0e0f10",
        );
        let chap = Chap::find(&d, &items, &pairs).unwrap();
        chap.fill_with_ident(&mut pairs, &[0xee; 16], 0x20);
        let want = radius_core::text::hex_decode("2043ec1a1ed59ab56a626c92339fd359ae").unwrap();
        assert_eq!(pairs[1].value, Value::Octets(want));
        assert_eq!(pairs.len(), 3);
    }

    #[test]
    fn without_chap_challenge_the_authenticator_is_the_challenge() {
        let d = dict();
        let (items, mut pairs) = parsed(&d, "CHAP-Password = hello");
        let chap = Chap::find(&d, &items, &pairs).unwrap();
        let auth: [u8; 16] = std::array::from_fn(|i| i as u8 + 1);
        chap.fill_with_ident(&mut pairs, &auth, 0x20);
        let want = radius_core::text::hex_decode("2043ec1a1ed59ab56a626c92339fd359ae").unwrap();
        assert_eq!(pairs[0].value, Value::Octets(want));
        // fill() picks the ident at random; the response follows it.
        let (_, mut again) = parsed(&d, "CHAP-Password = hello");
        chap.fill(&mut again, &auth);
        let Value::Octets(v) = &again[0].value else {
            panic!()
        };
        assert_eq!(v.len(), 17);
        assert_eq!(
            v[1..],
            radius_core::crypto::chap_response(v[0], b"hello", &auth)
        );
    }

    #[test]
    fn hex_is_sent_as_given() {
        let d = dict();
        let (items, pairs) = parsed(&d, "CHAP-Password = 0x2043ec1a1ed59ab56a626c92339fd359ae");
        assert_eq!(Chap::find(&d, &items, &pairs), None);
        // Quoted, "0x..." is a password like any other.
        let (items, pairs) = parsed(&d, "CHAP-Password = \"0x20\"");
        assert!(Chap::find(&d, &items, &pairs).is_some());
        let (items, pairs) = parsed(&d, "User-Name = bob");
        assert_eq!(Chap::find(&d, &items, &pairs), None);
    }
}
