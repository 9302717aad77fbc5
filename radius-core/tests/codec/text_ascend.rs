//! Ascend binary filters against radclient (Debian's freeradius-utils),
//! with the peer and exchange of [`super::text_freeradius`]: skipped, with
//! the reason printed, without radclient or Debian's dictionary tree unless
//! `RADIUS_REQUIRE_PEERS=1`.

use radius_core::text::{hex_spaced, Codec};

use super::text_freeradius::peer;

/// Ascend binary filters (`abinary`), one for every keyword of the filter
/// language: radclient's octets for the text equal ours, radclient prints
/// what we decode as we print it, and radclient reads our printed text
/// back into the same octets. Two known differences of radclient 3.2.1
/// are checked as such: it prints a protocol without a name as `??` (we
/// print the number), and it cuts a generic filter's text after the action
/// (`"generic in drop`, without the closing quote), so for those only that
/// prefix is compared and the round trip through radclient's parser is
/// what checks our text.
#[test]
fn ascend_filters_match_radclient() {
    let Some(peer) = peer() else { return };
    let filters = [
        "ip in forward srcip 10.0.0.1/32 dstip 10.0.0.2/24 tcp dstport = 80",
        "ip out drop",
        "ip in drop srcip 192.168.1.1 dstip 172.16.0.1 udp srcport > 1023 dstport < www est",
        "ip in drop icmp srcport != 5",
        "IP OUT FORWARD OSPF",
        "ip in forward dstip 10.1/16 tcp dstport = 65535 est",
        "ip in forward srcip 1.2.3.4/0 0",
        "ip in forward tcp dstport > telnet srcport < 1024",
        "ip out drop 47 srcport = ftp-data",
        "generic in drop 0 ffff00000000 080000000000 != more",
        "generic out forward 65535 ffffffffffff 0102030405ff ==",
        "generic in forward 12 FFFF00000000 0A0B00000000",
        "generic out drop 4 ffffffffffff 000000000000 more ==",
        "ipx in forward srcipxnet 1234 srcipxnode 0x000102030405 srcipxsock = 0451",
        "ipx out drop dstipxnet 0xabcdef01 dstipxnode ffffffffffff dstipxsock > 0x0001",
    ];
    let codec = Codec::new(&peer.dict);
    let mut failures = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        // Both abinary attributes, the data filter and the call filter.
        let name = if i % 2 == 0 {
            "Ascend-Data-Filter"
        } else {
            "Ascend-Call-Filter"
        };
        let line = format!("{name} = \"{f}\"");
        let ours = codec
            .encode_line(&line)
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(ours.len(), 2 + 6 + 32, "{line}: one VSA of 32 octets");
        let ex = peer.exchange("auth", &line, |_| ours.clone());
        if ex.request[20..] != ours[..] {
            failures.push(format!(
                "{line}\n  radclient: {}\n  ours:      {}\n  {}",
                hex_spaced(&ex.request[20..]),
                hex_spaced(&ours),
                ex.output
            ));
            continue;
        }
        let printed = codec.decode_to_string(&ours).unwrap();
        let theirs = ex.printed.join(", ");
        let agrees = if f.starts_with("generic") {
            // `Name = "generic in drop`: five words, up to the action.
            theirs == printed.split(' ').take(5).collect::<Vec<_>>().join(" ")
        } else if f.contains(" 47 ") {
            theirs == printed.replace(" 47 ", " ?? ")
        } else {
            theirs == printed
        };
        if !agrees {
            failures.push(format!(
                "{line}\n  radclient printed: {theirs}\n  we print:          {printed}"
            ));
            continue;
        }
        // radclient reads our printed text back into the same octets.
        let again = peer.exchange("auth", &printed, |_| Vec::new());
        if again.request[20..] != ours[..] {
            failures.push(format!(
                "{printed} (our text, back through radclient)\n  radclient: {}\n  ours:      {}",
                hex_spaced(&again.request[20..]),
                hex_spaced(&ours)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
