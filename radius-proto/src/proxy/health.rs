//! Per-home-server health, sans-IO: [`State::Alive`], [`State::Zombie`],
//! [`State::Dead`] (FreeRADIUS's terms).
//!
//! One [`Health`] per home server: the caller reports what happens
//! (`on_sent`, `on_answer`, `on_probe_sent`, `on_probe_answer`) and calls
//! [`Health::poll`] at [`Health::poll_timeout`]; every method takes `now`.
//!
//! **No per-request bookkeeping.** "A request sent at least
//! `response_window` ago is unanswered and nothing has been answered since
//! it was sent" needs only the earliest send since the last answer: an
//! answer clears it, the next send sets it, and once it is
//! `response_window` old the server is a zombie. So `Health` keeps no
//! Identifiers; the caller's per-request timers (retransmit, resend to the
//! next server) stay the caller's, and [`Health::on_timeout`] only counts
//! and polls. A probe fails by the same rule.
//!
//! Alive → Zombie by that rule; Zombie → Alive on any answer; Zombie → Dead
//! after `zombie_period` without one; Dead → Alive after `revive_after`
//! consecutive answers (a failed probe resets the count), or with
//! [`Check::None`] blindly after `revive_interval`. A late `poll` dates
//! each transition when it became due, not at `now`.
//!
//! **Defaults shorter than FreeRADIUS's** (20 s window, 40 s zombie
//! period): home servers answer in milliseconds and a NAS retransmits after
//! 2–5 s and soon gives up, so after 20 s the login has already failed. Our
//! proxy resends to the next server itself when the window ends, so 2 s
//! keeps failover inside the NAS's first retransmission. Raise
//! `response_window` for slow home servers (a federation hop, a slow back end).

use std::time::{Duration, Instant};

/// How a zombie or dead server is found alive again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Check {
    /// Status-Server probes (RFC 5997) every `probe_interval` while the
    /// server is a zombie or dead; the caller sends them when
    /// [`Health::probe_due`].
    #[default]
    StatusServer,
    /// No probes: a dead server is [`Health::usable`] for one real request
    /// (a trial) every `probe_interval`, and answered trials revive it.
    Request,
    /// No checks: a dead server is revived blindly after `revive_interval`.
    None,
}

/// Health-check settings of one home server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthConfig {
    /// How zombies and dead servers are checked.
    pub check: Check,
    /// How long a request may go unanswered (default 2 s).
    pub response_window: Duration,
    /// How long a zombie may stay silent before it is dead (default 4 s).
    pub zombie_period: Duration,
    /// Consecutive answers that revive a dead server (default 3).
    pub revive_after: u32,
    /// Time between probes or trial requests (default 1 s).
    pub probe_interval: Duration,
    /// With [`Check::None`], how long a server stays dead (default 30 s).
    pub revive_interval: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            check: Check::StatusServer,
            response_window: Duration::from_secs(2),
            zombie_period: Duration::from_secs(4),
            revive_after: 3,
            probe_interval: Duration::from_secs(1),
            revive_interval: Duration::from_secs(30),
        }
    }
}

/// A home server's health. Ordered from best to worst.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Answering; gets new requests.
    #[default]
    Alive,
    /// Stopped answering recently; used only as a last resort.
    Zombie,
    /// Silent for the whole zombie period; waits for revival.
    Dead,
}

/// Event counters, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests sent ([`Health::on_sent`]).
    pub sent: u64,
    /// Replies received ([`Health::on_answer`]).
    pub answers: u64,
    /// Request timeouts the caller reported ([`Health::on_timeout`]).
    pub timeouts: u64,
    /// Status-Server probes sent.
    pub probes: u64,
    /// Status-Server probes answered.
    pub probe_answers: u64,
    /// Probes or trial requests that went unanswered.
    pub probe_failures: u64,
    /// Alive → Zombie transitions.
    pub zombies: u64,
    /// Zombie → Dead transitions.
    pub deaths: u64,
    /// Zombie or Dead → Alive transitions.
    pub revivals: u64,
}

/// The health state machine of one home server.
#[derive(Clone, Debug, Default)]
pub struct Health {
    config: HealthConfig,
    state: State,
    /// When `state` began; `None` until the first transition.
    since: Option<Instant>,
    /// The earliest request sent since the last answer.
    unanswered: Option<Instant>,
    /// The last probe (or, with [`Check::Request`], trial request) sent.
    last_probe: Option<Instant>,
    /// The earliest probe sent since the last probe answer.
    probe_unanswered: Option<Instant>,
    /// Consecutive answers while dead.
    streak: u32,
    counters: Counters,
}

impl Health {
    /// A server that starts alive.
    pub fn new(config: HealthConfig) -> Self {
        Health {
            config,
            ..Health::default()
        }
    }

    /// The settings.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// The current state (as of the last event or [`Health::poll`]).
    pub fn state(&self) -> State {
        self.state
    }

    /// When the current state began (`None` if the server was always alive).
    pub fn since(&self) -> Option<Instant> {
        self.since
    }

    /// The counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Whether the server should get new requests: alive, or (with
    /// [`Check::Request`]) dead and due for a trial request. Zombies and
    /// dead servers are only a pool's last resort.
    pub fn usable(&self, now: Instant) -> bool {
        self.state == State::Alive || (self.config.check == Check::Request && self.probe_due(now))
    }

    /// A request was sent to the server (a retransmission too). With
    /// [`Check::Request`], a request to a dead server is its trial.
    pub fn on_sent(&mut self, now: Instant) {
        self.counters.sent += 1;
        self.unanswered.get_or_insert(now);
        if self.config.check == Check::Request && self.state == State::Dead {
            self.last_probe = Some(now);
            self.probe_unanswered.get_or_insert(now);
        }
    }

    /// A valid reply arrived (any code, verified). Returns the new state if
    /// it changed.
    pub fn on_answer(&mut self, now: Instant) -> Option<State> {
        self.counters.answers += 1;
        self.unanswered = None;
        if self.state == State::Dead {
            self.probe_unanswered = None;
        }
        self.answered(now)
    }

    /// The caller's timer for a request to this server expired. Counts it
    /// and polls; the state rule itself needs no per-request information.
    pub fn on_timeout(&mut self, now: Instant) -> Option<State> {
        self.counters.timeouts += 1;
        self.poll(now)
    }

    /// The server could not be reached at all (a RadSec connection refused
    /// or its handshake failed): no need to wait out the response window,
    /// an alive server becomes a zombie now. Counted as a timeout.
    pub fn on_unreachable(&mut self, now: Instant) -> Option<State> {
        self.counters.timeouts += 1;
        let polled = self.poll(now);
        if self.state == State::Alive {
            return self.enter(State::Zombie, now);
        }
        polled
    }

    /// A Status-Server probe was sent.
    pub fn on_probe_sent(&mut self, now: Instant) {
        self.counters.probes += 1;
        self.last_probe = Some(now);
        self.probe_unanswered.get_or_insert(now);
    }

    /// A Status-Server probe was answered. Returns the new state if it
    /// changed. An alive server's answer does not excuse unanswered
    /// requests (RFC 5997 §4: it proves the server runs, not that it serves).
    pub fn on_probe_answer(&mut self, now: Instant) -> Option<State> {
        self.counters.probe_answers += 1;
        self.probe_unanswered = None;
        self.answered(now)
    }

    /// Applies the timers due by `now`. Returns the new state if it changed.
    pub fn poll(&mut self, now: Instant) -> Option<State> {
        let before = self.state;
        if self.probe_deadline().is_some_and(|at| at <= now) {
            self.counters.probe_failures += 1;
            self.probe_unanswered = None;
            self.streak = 0;
        }
        while let Some((at, to)) = self.transition().filter(|&(at, _)| at <= now) {
            self.enter(to, at);
        }
        (self.state != before).then_some(self.state)
    }

    /// When the next probe is due (maybe past; `None`: none wanted).
    /// Status-Server: every `probe_interval` from becoming a zombie. Trials
    /// ([`Check::Request`]): one at a time, `probe_interval` after death or
    /// after the previous trial.
    pub fn next_probe(&self) -> Option<Instant> {
        let since = self.since?;
        let every = self.config.probe_interval;
        match (self.config.check, self.state) {
            (_, State::Alive) | (Check::None, _) => None,
            (Check::StatusServer, _) => {
                Some(self.last_probe.map_or(since, |p| (p + every).max(since)))
            }
            (Check::Request, State::Zombie) => None,
            (Check::Request, State::Dead) if self.probe_unanswered.is_some() => None,
            (Check::Request, State::Dead) => {
                Some(self.last_probe.map_or(since, |p| p.max(since)) + every)
            }
        }
    }

    /// Whether a probe (or trial request) is due at `now`.
    pub fn probe_due(&self, now: Instant) -> bool {
        self.next_probe().is_some_and(|t| t <= now)
    }

    /// When [`Health::poll`] (or a probe) is next needed, for the caller's
    /// timer. Trial requests are not included: they wait for traffic.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let probe = (self.config.check == Check::StatusServer).then(|| self.next_probe());
        let transition = self.transition().map(|(at, _)| at);
        let all = [transition, self.probe_deadline(), probe.flatten()];
        all.into_iter().flatten().min()
    }

    /// The next timed transition: when, and to which state.
    fn transition(&self) -> Option<(Instant, State)> {
        let c = &self.config;
        match (self.state, self.since) {
            (State::Alive, _) => Some((self.unanswered? + c.response_window, State::Zombie)),
            (State::Zombie, Some(t)) => Some((t + c.zombie_period, State::Dead)),
            (State::Dead, Some(t)) if c.check == Check::None => {
                Some((t + c.revive_interval, State::Alive))
            }
            _ => None,
        }
    }

    /// When the oldest unanswered probe (or trial) counts as failed.
    fn probe_deadline(&self) -> Option<Instant> {
        let p = self
            .probe_unanswered
            .filter(|_| self.state != State::Alive)?;
        Some(p + self.config.response_window)
    }

    fn answered(&mut self, now: Instant) -> Option<State> {
        self.streak = self.streak.saturating_add(1);
        match self.state {
            State::Alive => None,
            State::Dead if self.streak < self.config.revive_after => None,
            _ => self.enter(State::Alive, now),
        }
    }

    fn enter(&mut self, state: State, at: Instant) -> Option<State> {
        match state {
            State::Alive => {
                self.counters.revivals += 1;
                self.unanswered = None;
                self.probe_unanswered = None;
            }
            State::Zombie => self.counters.zombies += 1,
            State::Dead => self.counters.deaths += 1,
        }
        self.state = state;
        self.since = Some(at);
        self.streak = 0;
        Some(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn alive(check: Check) -> (Health, Instant) {
        let config = HealthConfig {
            check,
            ..Default::default()
        };
        (Health::new(config), Instant::now())
    }

    #[test]
    fn unreachable_makes_a_zombie_at_once_and_probes_revive_it() {
        let (mut h, t0) = alive(Check::StatusServer);
        h.on_sent(t0);
        assert_eq!(h.on_unreachable(t0 + ms(3)), Some(State::Zombie));
        assert!(!h.usable(t0 + ms(3)));
        assert_eq!(h.counters().timeouts, 1);
        // Already a zombie: no new transition, and the zombie period runs
        // from the first failure.
        assert_eq!(h.on_unreachable(t0 + ms(10)), None);
        assert_eq!(h.poll(t0 + ms(3) + ms(4000)), Some(State::Dead));
        for i in 0..3 {
            h.on_probe_sent(t0 + ms(5000 + i));
            let r = h.on_probe_answer(t0 + ms(5000 + i));
            assert_eq!(r, (i == 2).then_some(State::Alive), "answer {i}");
        }
    }

    /// One unanswered request at `t0`, a zombie at 2 s.
    fn zombie(check: Check) -> (Health, Instant) {
        let (mut h, t0) = alive(check);
        h.on_sent(t0);
        assert_eq!(h.poll(t0 + ms(1999)), None);
        assert_eq!(h.poll_timeout(), Some(t0 + ms(2000)));
        assert_eq!(h.poll(t0 + ms(2000)), Some(State::Zombie));
        assert!(!h.usable(t0 + ms(2000)));
        (h, t0)
    }

    /// The same zombie, dead at 6 s.
    fn dead(check: Check) -> (Health, Instant) {
        let (mut h, t0) = zombie(check);
        assert_eq!(h.poll(t0 + ms(5999)), None);
        assert_eq!(h.poll(t0 + ms(6000)), Some(State::Dead));
        assert_eq!(h.since(), Some(t0 + ms(6000)));
        (h, t0)
    }

    /// Answers (or, with `false`, lets time out) a probe or trial sent at `t`.
    fn settle(h: &mut Health, t: Instant, answered: bool, probe: bool) -> Option<State> {
        match (answered, probe) {
            (true, true) => h.on_probe_answer(t + ms(5)),
            (true, false) => h.on_answer(t + ms(5)),
            (false, _) => h.poll(t + ms(2000)),
        }
    }

    #[test]
    fn alive_to_zombie_needs_nothing_answered_since_the_send() {
        let (mut h, t0) = alive(Check::StatusServer);
        h.on_sent(t0); // never answered
        h.on_sent(t0 + ms(400));
        assert_eq!(h.on_answer(t0 + ms(500)), None); // so the first no longer counts
        h.on_sent(t0 + ms(1000));
        h.on_probe_sent(t0 + ms(1100));
        h.on_probe_answer(t0 + ms(1110)); // RFC 5997: proves nothing about requests
        assert_eq!(h.on_timeout(t0 + ms(2500)), None);
        assert_eq!(h.poll_timeout(), Some(t0 + ms(3000)));
        assert_eq!(h.on_timeout(t0 + ms(3000)), Some(State::Zombie));
        assert_eq!((h.counters().timeouts, h.counters().zombies), (2, 1));
        // A late poll dates the death when it was due.
        assert_eq!(h.poll(t0 + ms(60_000)), Some(State::Dead));
        assert_eq!(h.since(), Some(t0 + ms(7000)));
    }

    #[test]
    fn zombie_revives_on_any_answer() {
        for probe in [false, true] {
            let (mut h, t0) = zombie(Check::StatusServer);
            let revived = settle(&mut h, t0 + ms(2100), true, probe);
            assert_eq!(revived, Some(State::Alive));
            assert!(h.usable(t0 + ms(2200)) && h.poll_timeout().is_none());
            h.on_sent(t0 + ms(3000)); // a new silence starts from scratch
            assert_eq!(h.poll(t0 + ms(4999)), None);
            assert_eq!(h.poll(t0 + ms(5000)), Some(State::Zombie));
        }
    }

    #[test]
    fn status_server_probes_revive_a_dead_server() {
        let (mut h, t0) = zombie(Check::StatusServer);
        assert_eq!(h.next_probe(), Some(t0 + ms(2000)), "probe at once");
        h.on_probe_sent(t0 + ms(2000));
        assert_eq!(h.next_probe(), Some(t0 + ms(3000)));
        assert_eq!(h.poll_timeout(), Some(t0 + ms(3000)));
        assert!(!h.probe_due(t0 + ms(2999)) && h.probe_due(t0 + ms(3000)));
        assert_eq!(h.poll(t0 + ms(6000)), Some(State::Dead));
        assert_eq!(h.counters().probe_failures, 1);
        // Dead: two answers, a failed probe (resets the count), three answers.
        let mut t = t0 + ms(6000);
        let rounds = [true, true, false, true, true, true];
        for (i, &answered) in rounds.iter().enumerate() {
            assert!(h.probe_due(t));
            h.on_probe_sent(t);
            let revived = (i == 5).then_some(State::Alive);
            assert_eq!(settle(&mut h, t, answered, true), revived, "probe {i}");
            t += ms(2000);
        }
        assert!(h.next_probe().is_none() && h.poll_timeout().is_none());
        let c = h.counters();
        assert_eq!((c.probes, c.probe_answers, c.probe_failures), (7, 5, 2));
    }

    #[test]
    fn request_check_sends_one_trial_at_a_time_to_a_dead_server() {
        let (z, t0) = zombie(Check::Request);
        assert!(
            !z.usable(t0 + ms(3500)) && z.next_probe().is_none(),
            "no trials"
        );
        let (mut h, t0) = dead(Check::Request);
        assert!(!h.usable(t0 + ms(6999)));
        assert_eq!(h.poll_timeout(), None, "trials wait for traffic");
        let mut t = t0 + ms(7000);
        for (i, answered) in [false, true, true, true].into_iter().enumerate() {
            assert!(h.usable(t), "trial {i}");
            h.on_sent(t);
            assert!(!h.usable(t + ms(1500)));
            let revived = (i == 3).then_some(State::Alive);
            assert_eq!(settle(&mut h, t, answered, false), revived, "trial {i}");
            t += ms(2000);
        }
        assert_eq!((h.counters().probes, h.counters().probe_failures), (0, 1));
    }

    #[test]
    fn check_none_revives_blindly_or_after_answers() {
        let (mut h, t0) = dead(Check::None);
        assert_eq!(h.next_probe(), None);
        assert_eq!(h.poll_timeout(), Some(t0 + ms(36_000)));
        assert_eq!(h.poll(t0 + ms(35_999)), None);
        assert_eq!(h.poll(t0 + ms(36_000)), Some(State::Alive));
        // Answers to last-resort requests revive a dead server under any check.
        let (mut h, t0) = dead(Check::None);
        for i in 0..3 {
            h.on_sent(t0 + ms(7000 + i));
            let revived = (i == 2).then_some(State::Alive);
            assert_eq!(h.on_answer(t0 + ms(7000 + i)), revived);
        }
    }
}
