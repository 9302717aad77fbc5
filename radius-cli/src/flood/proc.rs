//! What `/proc` tells about the server: resident memory, and the datagrams
//! the kernel dropped at its port because its socket buffers were full.

/// Resident memory of process `pid` in KiB (`VmRSS`).
pub(super) fn rss_kib(pid: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Drops counted on every UDP socket bound to local `port` (IPv4 and IPv6;
/// several with SO_REUSEPORT), or `None` if `/proc/net/udp` is unreadable.
pub(super) fn port_drops(port: u16) -> Option<u64> {
    let mut total = None;
    for file in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(s) = std::fs::read_to_string(file) else {
            continue;
        };
        total = Some(total.unwrap_or(0) + drops_in(&s, port));
    }
    total
}

/// The sum of the `drops` column of `table`'s rows whose local port is `port`.
fn drops_in(table: &str, port: u16) -> u64 {
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local_port = f.get(1)?.rsplit_once(':')?.1;
            (u16::from_str_radix(local_port, 16).ok()? == port)
                .then(|| f.last()?.parse::<u64>().ok())
                .flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_drops_of_one_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
   1: 0100007F:0714 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 17\n\
   2: 0100007F:0714 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 3\n\
   3: 0100007F:0715 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 99\n";
        assert_eq!(drops_in(table, 1812), 20);
        assert_eq!(drops_in(table, 1813), 99);
        assert_eq!(drops_in(table, 9), 0);
        assert!(rss_kib("self").is_some_and(|k| k > 0));
    }
}
