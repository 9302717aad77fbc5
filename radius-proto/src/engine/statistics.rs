//! Status-Server with FreeRADIUS-Statistics-Type (vendor 11344, type
//! 127): the server's counters as FreeRADIUS's own `FreeRADIUS-Total-*`
//! attributes, for monitoring tools that poll FreeRADIUS this way
//! (`radclient ... status` with `FreeRADIUS-Statistics-Type = All`).
//!
//! The counters are the server's (all listeners together), so the
//! duplicate, malformed, invalid, dropped and unknown-type figures are the
//! same in the authentication and the accounting group.

use radius_core::{EncodeError, Packet, PacketWriter};

use crate::stats::{DropReason, StatsSnapshot};

const FREERADIUS: u32 = 11344;
const STATISTICS_TYPE: u8 = 127;
const AUTHENTICATION: u32 = 1;
const ACCOUNTING: u32 = 2;

/// The FreeRADIUS-Statistics-Type the request asks for (0: none).
pub(crate) fn requested(packet: &Packet<'_>) -> u32 {
    packet
        .attributes()
        // Vendor-Id, then one sub-attribute: type, length 6, the integer.
        .filter(|a| a.typ == 26 && a.value.len() == 10)
        .find(|a| {
            a.value[..4] == FREERADIUS.to_be_bytes()
                && a.value[4] == STATISTICS_TYPE
                && a.value[5] == 6
        })
        .map_or(0, |a| {
            u32::from_be_bytes(a.value[6..10].try_into().expect("4"))
        })
}

/// Append the counters `wanted` asks for.
pub(crate) fn write(
    w: &mut PacketWriter<'_>,
    wanted: u32,
    s: &StatsSnapshot,
) -> Result<(), EncodeError> {
    let d = |r: DropReason| s.dropped(r);
    let malformed =
        d(DropReason::TooShort) + d(DropReason::BadLength) + d(DropReason::BadAttributeLength);
    let invalid = d(DropReason::UnknownClient)
        + d(DropReason::BadRequestAuthenticator)
        + d(DropReason::BadMessageAuthenticator)
        + d(DropReason::MissingMessageAuthenticator)
        + d(DropReason::ProxyStateWithoutMessageAuthenticator);
    let unknown = d(DropReason::WrongCode) + d(DropReason::NoHandler);
    let dropped = s.dropped_total() - malformed - invalid - unknown;
    let mut put = |typ: u8, v: u64| {
        let mut value = FREERADIUS.to_be_bytes().to_vec();
        value.extend_from_slice(&[typ, 6]);
        value.extend_from_slice(&(v.min(u32::MAX as u64) as u32).to_be_bytes());
        w.attr(26, &value)
    };
    put(STATISTICS_TYPE, u64::from(wanted))?;
    if wanted & AUTHENTICATION != 0 {
        for (t, v) in [
            (128, s.access_requests),
            (129, s.accepted),
            (130, s.rejected),
            (131, s.challenged),
            (132, s.accepted + s.rejected + s.challenged),
            (133, s.duplicates),
            (134, malformed),
            (135, invalid),
            (136, dropped),
            (137, unknown),
        ] {
            put(t, v)?;
        }
    }
    if wanted & ACCOUNTING != 0 {
        for (t, v) in [
            (148, s.accounting_requests),
            (149, s.accounting_responses),
            (150, s.duplicates),
            (151, malformed),
            (152, invalid),
            (153, dropped),
            (154, unknown),
        ] {
            put(t, v)?;
        }
    }
    Ok(())
}
