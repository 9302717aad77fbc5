use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cfg(per_source: usize, total: usize) -> AdmissionConfig {
    AdmissionConfig {
        per_source,
        total,
        ..Default::default()
    }
}

fn admit(
    a: &mut Admission<u32>,
    from: &str,
    now: Instant,
    tag: u32,
) -> Result<(Ticket, Option<u32>), Refusal> {
    match a.admit(ip(from), now, tag) {
        Decision::Admit { ticket, evicted } => Ok((ticket, evicted)),
        Decision::Refuse { reason, .. } => Err(reason),
    }
}

#[test]
fn per_source_budget_and_release() {
    let mut a = Admission::new(cfg(3, 100));
    let t0 = Instant::now();
    let mut tickets: Vec<_> = (0..3)
        .map(|i| admit(&mut a, "192.0.2.1", t0, i).unwrap().0)
        .collect();
    assert_eq!(admit(&mut a, "192.0.2.1", t0, 9), Err(Refusal::SourceBusy));
    // Another source has its own budget.
    assert!(admit(&mut a, "192.0.2.2", t0, 10).is_ok());
    assert_eq!(a.pending(), 4);
    assert_eq!(a.pending_from(ip("192.0.2.1")), 3);
    // A finished handshake frees its slot.
    a.release(tickets.pop().unwrap());
    assert!(admit(&mut a, "192.0.2.1", t0, 11).is_ok());
    let s = a.stats();
    assert_eq!((s.admitted, s.source_busy, s.refused()), (5, 1, 1));
}

#[test]
fn release_of_everything_leaves_no_state() {
    let mut a = Admission::new(cfg(4, 8));
    let t0 = Instant::now();
    let t: Vec<_> = (0..4)
        .map(|i| admit(&mut a, "192.0.2.1", t0, i).unwrap().0)
        .collect();
    for t in t {
        a.release(t);
    }
    assert_eq!(a.pending(), 0);
    assert!(a.sources.is_empty());
}

#[test]
fn total_budget_displaces_the_busiest_sources_oldest() {
    let mut a = Admission::new(cfg(4, 8));
    let t0 = Instant::now();
    // Two sources fill the total, four each.
    for i in 0..4 {
        admit(&mut a, "192.0.2.1", t0, i).unwrap();
        admit(&mut a, "192.0.2.2", t0, 10 + i).unwrap();
    }
    assert_eq!(a.pending(), 8);
    // A third source with nothing in progress displaces the oldest
    // handshake of a busiest source (192.0.2.1's first, tag 0).
    let (t, evicted) = admit(&mut a, "192.0.2.3", t0, 20).unwrap();
    assert_eq!(evicted, Some(0));
    assert_eq!(a.pending(), 8);
    assert_eq!(t.source(), Cidr::host(ip("192.0.2.3")));
    // Now 192.0.2.2 is the busiest (4): its oldest (tag 10) goes next.
    assert_eq!(admit(&mut a, "192.0.2.3", t0, 21).unwrap().1, Some(10));
    // 3 and 3 (192.0.2.1's handshake is the older): 192.0.2.1 gives one.
    assert_eq!(admit(&mut a, "192.0.2.3", t0, 22).unwrap().1, Some(1));
    assert_eq!(a.pending_from(ip("192.0.2.1")), 2);
    assert_eq!(a.pending_from(ip("192.0.2.2")), 3);
    assert_eq!(a.pending_from(ip("192.0.2.3")), 3);
    // Nobody is busier than 192.0.2.3 or 192.0.2.2 now: refused.
    assert_eq!(admit(&mut a, "192.0.2.3", t0, 23), Err(Refusal::Full));
    assert_eq!(admit(&mut a, "192.0.2.2", t0, 24), Err(Refusal::Full));
    let s = a.stats();
    assert_eq!((s.evicted, s.full), (3, 2));
    assert_eq!(a.pending(), 8);
}

#[test]
fn a_displaced_handshakes_ticket_is_ignored() {
    let mut a = Admission::new(cfg(2, 2));
    let t0 = Instant::now();
    let (old, _) = admit(&mut a, "192.0.2.1", t0, 1).unwrap();
    admit(&mut a, "192.0.2.1", t0, 2).unwrap();
    let (_, ev) = admit(&mut a, "192.0.2.9", t0, 3).unwrap();
    assert_eq!(ev, Some(1));
    a.release(old);
    assert_eq!(
        a.pending(),
        2,
        "releasing a displaced ticket changes nothing"
    );
}

#[test]
fn zero_budgets_refuse_everything() {
    let mut a = Admission::new(cfg(0, 10));
    assert_eq!(
        admit(&mut a, "192.0.2.1", Instant::now(), 0),
        Err(Refusal::SourceBusy)
    );
    let mut a = Admission::new(cfg(10, 0));
    assert_eq!(
        admit(&mut a, "192.0.2.1", Instant::now(), 0),
        Err(Refusal::Full)
    );
}

#[test]
fn allowed_networks_refuse_other_sources_first() {
    let mut a = Admission::new(AdmissionConfig {
        allowed: vec![
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ],
        ..Default::default()
    });
    let t0 = Instant::now();
    assert!(admit(&mut a, "10.1.2.3", t0, 0).is_ok());
    assert!(admit(&mut a, "2001:db8::1", t0, 0).is_ok());
    // IPv4-mapped IPv6 is the IPv4 address.
    assert!(admit(&mut a, "::ffff:10.9.9.9", t0, 0).is_ok());
    assert_eq!(admit(&mut a, "192.0.2.1", t0, 0), Err(Refusal::NotAllowed));
    assert_eq!(
        admit(&mut a, "2001:db9::1", t0, 0),
        Err(Refusal::NotAllowed)
    );
    assert_eq!(a.stats().not_allowed, 2);
    assert_eq!(a.pending(), 3);
}

#[test]
fn ipv6_sources_are_grouped_by_prefix() {
    let mut a = Admission::new(cfg(2, 100));
    let t0 = Instant::now();
    assert!(admit(&mut a, "2001:db8:0:1::1", t0, 0).is_ok());
    assert!(admit(&mut a, "2001:db8:0:1::2", t0, 0).is_ok());
    // Same /64, another address: the same budget.
    assert_eq!(
        admit(&mut a, "2001:db8:0:1:ffff::3", t0, 0),
        Err(Refusal::SourceBusy)
    );
    // Another /64: its own.
    assert!(admit(&mut a, "2001:db8:0:2::1", t0, 0).is_ok());
    assert_eq!(
        a.source_of(ip("2001:db8:0:1::9")),
        "2001:db8:0:1::/64".parse::<Cidr>().unwrap()
    );
}

#[test]
fn refusals_are_logged_once_per_source_per_interval() {
    let mut a = Admission::new(AdmissionConfig {
        per_source: 0,
        log_interval: Duration::from_secs(10),
        ..Default::default()
    });
    let t0 = Instant::now();
    let log = |a: &mut Admission<u32>, from: &str, t: Instant| match a.admit(ip(from), t, 0) {
        Decision::Refuse { log, .. } => log,
        Decision::Admit { .. } => panic!("admitted"),
    };
    assert_eq!(log(&mut a, "192.0.2.1", t0), Some(0));
    for _ in 0..99 {
        assert_eq!(log(&mut a, "192.0.2.1", t0 + Duration::from_secs(5)), None);
    }
    // Another source gets its own line.
    assert_eq!(log(&mut a, "192.0.2.2", t0), Some(0));
    // After the interval: one line reporting the 99 not logged.
    assert_eq!(
        log(&mut a, "192.0.2.1", t0 + Duration::from_secs(10)),
        Some(99)
    );
}

#[test]
fn log_state_is_bounded() {
    let mut a: Admission<u32> = Admission::new(AdmissionConfig {
        per_source: 0,
        ..Default::default()
    });
    let t0 = Instant::now();
    let mut logged = 0;
    for i in 0..(LOG_SOURCES as u32 * 4) {
        let from = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        if let Decision::Refuse { log: Some(_), .. } = a.admit(from, t0, 0) {
            logged += 1;
        }
    }
    assert!(a.logs.len() <= LOG_SOURCES);
    // One line per remembered source, one for all the others.
    assert_eq!(logged, LOG_SOURCES + 1);
    // Later, old entries are forgotten and new sources are remembered again.
    let later = t0 + Duration::from_secs(11);
    let from = ip("192.0.2.77");
    assert!(matches!(
        a.admit(from, later, 0),
        Decision::Refuse { log: Some(0), .. }
    ));
    assert_eq!(a.logs.len(), 1);
}
