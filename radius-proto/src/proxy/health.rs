//! Per-home-server health, sans-IO: [`State::Alive`], [`State::Zombie`],
//! [`State::Dead`] (FreeRADIUS's terms).
//!
//! One [`Health`] per home server. The caller reports what happens
//! ([`Health::on_sent`], [`Health::on_answer`], [`Health::on_probe_sent`],
//! [`Health::on_probe_answer`]) and calls [`Health::poll`] when
//! [`Health::poll_timeout`] comes; every method takes `now`.
//!
//! **Timeouts need no per-request bookkeeping.** The rule "a request sent at
//! least `response_window` ago is unanswered and nothing has been answered
//! since it was sent" only needs the earliest send since the last answer:
//! an answer clears it, the first send after an answer sets it, and once it
//! is `response_window` old the server is a zombie. So `Health` keeps no
//! Identifiers or Tokens; the caller's own per-request timers (retransmit,
//! fail over to the next server) stay the caller's, and
//! [`Health::on_timeout`] only counts such a timeout and polls. Status-Server
//! probes use the same rule: a probe is failed once one has been unanswered
//! for `response_window` and no probe was answered since.
//!
//! Transitions: Alive → Zombie by that rule; Zombie → Alive on any answer;
//! Zombie → Dead after `zombie_period` without one; Dead → Alive after
//! `revive_after` consecutive answers (a failed probe resets the count), or
//! with [`Check::None`] blindly after `revive_interval`. A late `poll`
//! dates each transition at the instant it became due, not at `now`.
//!
//! **Why our defaults are shorter than FreeRADIUS's** (`response_window`
//! 20 s, `zombie_period` 40 s): home servers answer in milliseconds and a
//! NAS retransmits after 2–5 s and gives up after a few tries, so with
//! 20 s the user's login has already failed before FreeRADIUS notices.
//! Our proxy resends to the next server itself when the window ends, so a
//! 2 s window keeps failover inside the NAS's first retransmission. Raise
//! `response_window` for home servers that are slow on purpose (a
//! federation hop such as eduroam's, a slow back end).

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Answering; gets new requests.
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
#[derive(Clone, Debug)]
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
            state: State::Alive,
            since: None,
            unanswered: None,
            last_probe: None,
            probe_unanswered: None,
            streak: 0,
            counters: Counters::default(),
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
        match self.state {
            State::Alive => None,
            State::Zombie => self.enter(State::Alive, now),
            State::Dead => {
                self.probe_unanswered = None;
                self.count_answer(now)
            }
        }
    }

    /// The caller's timer for a request to this server expired. Counts it
    /// and polls; the state rule itself needs no per-request information.
    pub fn on_timeout(&mut self, now: Instant) -> Option<State> {
        self.counters.timeouts += 1;
        self.poll(now)
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
        match self.state {
            State::Alive => None,
            State::Zombie => self.enter(State::Alive, now),
            State::Dead => self.count_answer(now),
        }
    }

    /// Applies the timers due by `now`. Returns the new state if it changed.
    pub fn poll(&mut self, now: Instant) -> Option<State> {
        let before = self.state;
        let c = self.config;
        if let Some(p) = self.probe_unanswered {
            if p + c.response_window <= now && self.state != State::Alive {
                self.counters.probe_failures += 1;
                self.probe_unanswered = None;
                self.streak = 0;
            }
        }
        if let (State::Alive, Some(t)) = (self.state, self.unanswered) {
            if t + c.response_window <= now {
                self.enter(State::Zombie, t + c.response_window);
            }
        }
        if let (State::Zombie, Some(t)) = (self.state, self.since) {
            if t + c.zombie_period <= now {
                self.enter(State::Dead, t + c.zombie_period);
            }
        }
        if let (State::Dead, Some(t), Check::None) = (self.state, self.since, c.check) {
            if t + c.revive_interval <= now {
                self.enter(State::Alive, t + c.revive_interval);
            }
        }
        (self.state != before).then_some(self.state)
    }

    /// When the next Status-Server probe (or, with [`Check::Request`], trial
    /// request) is due, possibly in the past; `None` if none is wanted.
    /// Status-Server probes go every `probe_interval` from the moment the
    /// server becomes a zombie; a trial goes `probe_interval` after the
    /// server died or after the previous trial, one at a time.
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
        let c = &self.config;
        let state_timer = match (self.state, self.since) {
            (State::Alive, _) => self.unanswered.map(|t| t + c.response_window),
            (State::Zombie, Some(t)) => Some(t + c.zombie_period),
            (State::Dead, Some(t)) if c.check == Check::None => Some(t + c.revive_interval),
            _ => None,
        };
        let probe_fail = match self.state {
            State::Alive => None,
            _ => self.probe_unanswered.map(|p| p + c.response_window),
        };
        let probe = if c.check == Check::StatusServer {
            self.next_probe()
        } else {
            None
        };
        [state_timer, probe_fail, probe].into_iter().flatten().min()
    }

    fn count_answer(&mut self, now: Instant) -> Option<State> {
        self.streak += 1;
        if self.streak < self.config.revive_after {
            return None;
        }
        self.enter(State::Alive, now)
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

    fn health(check: Check) -> (Health, Instant) {
        let config = HealthConfig {
            check,
            ..HealthConfig::default()
        };
        (Health::new(config), Instant::now())
    }

    /// Sends at `t0`, never answers, polls until dead: zombie at 2 s, dead at 6 s.
    fn kill(h: &mut Health, t0: Instant) {
        h.on_sent(t0);
        assert_eq!(h.poll(t0 + ms(1999)), None);
        assert_eq!(h.poll_timeout(), Some(t0 + ms(2000)));
        assert_eq!(h.poll(t0 + ms(2000)), Some(State::Zombie));
        assert_eq!(h.poll(t0 + ms(5999)), None);
        assert_eq!(h.poll(t0 + ms(6000)), Some(State::Dead));
        assert_eq!(h.since(), Some(t0 + ms(6000)));
    }

    #[test]
    fn defaults_fail_over_in_seconds() {
        let c = HealthConfig::default();
        assert_eq!((c.check, c.revive_after), (Check::StatusServer, 3));
        assert_eq!(c.response_window + c.zombie_period, Duration::from_secs(6));
        assert_eq!(
            (c.probe_interval, c.revive_interval),
            (ms(1000), ms(30_000))
        );
    }

    #[test]
    fn answers_keep_a_server_alive() {
        let (mut h, t0) = health(Check::StatusServer);
        for i in 0..10 {
            h.on_sent(t0 + ms(i * 1000));
            assert_eq!(h.on_answer(t0 + ms(i * 1000 + 10)), None);
        }
        assert_eq!((h.poll(t0 + ms(60_000)), h.poll_timeout()), (None, None));
        assert!(h.usable(t0));
    }

    #[test]
    fn zombie_needs_nothing_answered_since_the_send() {
        let (mut h, t0) = health(Check::StatusServer);
        h.on_sent(t0); // never answered
        h.on_sent(t0 + ms(400));
        h.on_answer(t0 + ms(500)); // answers the second: the first no longer counts
        h.on_sent(t0 + ms(1000));
        assert_eq!(h.on_timeout(t0 + ms(2500)), None);
        assert_eq!(h.poll_timeout(), Some(t0 + ms(3000)));
        assert_eq!(h.on_timeout(t0 + ms(3000)), Some(State::Zombie));
        assert!(!h.usable(t0 + ms(3000)));
        assert_eq!(h.counters().timeouts, 2);
    }

    #[test]
    fn zombie_revives_on_any_answer() {
        let (mut h, t0) = health(Check::Request);
        h.on_sent(t0);
        h.poll(t0 + ms(2000));
        assert_eq!(h.state(), State::Zombie);
        assert_eq!(h.on_answer(t0 + ms(2100)), Some(State::Alive));
        assert!(h.usable(t0 + ms(2100)));
        // Counted alive again: a new silence starts from scratch.
        h.on_sent(t0 + ms(3000));
        assert_eq!(h.poll(t0 + ms(4999)), None);
        assert_eq!(h.poll(t0 + ms(5000)), Some(State::Zombie));
        let c = h.counters();
        assert_eq!((c.zombies, c.revivals, c.deaths), (2, 1, 0));
    }

    #[test]
    fn late_poll_dates_transitions_when_due() {
        let (mut h, t0) = health(Check::StatusServer);
        h.on_sent(t0);
        assert_eq!(h.poll(t0 + ms(10_000)), Some(State::Dead));
        assert_eq!(h.since(), Some(t0 + ms(6000)));
        assert_eq!(h.counters().zombies, 1);
    }

    #[test]
    fn status_server_probes_revive_a_dead_server() {
        let (mut h, t0) = health(Check::StatusServer);
        h.on_sent(t0);
        h.poll(t0 + ms(2000));
        // Zombie: probe at once, then every second.
        assert_eq!(h.next_probe(), Some(t0 + ms(2000)));
        h.on_probe_sent(t0 + ms(2000));
        assert_eq!(h.next_probe(), Some(t0 + ms(3000)));
        assert_eq!(h.poll_timeout(), Some(t0 + ms(3000)));
        assert!(!h.probe_due(t0 + ms(2999)) && h.probe_due(t0 + ms(3000)));
        assert_eq!(h.poll(t0 + ms(6000)), Some(State::Dead));
        assert_eq!(h.counters().probe_failures, 1);
        // Dead: two answers, a failed probe, then three answers.
        let mut t = t0 + ms(6000);
        for _ in 0..2 {
            h.on_probe_sent(t);
            assert_eq!(h.on_probe_answer(t + ms(5)), None);
            t += ms(1000);
        }
        h.on_probe_sent(t);
        assert_eq!(h.poll(t + ms(2000)), None);
        assert_eq!(h.counters().probe_failures, 2);
        t += ms(2000);
        for i in 0..3 {
            h.on_probe_sent(t);
            let expect = (i == 2).then_some(State::Alive);
            assert_eq!(h.on_probe_answer(t + ms(5)), expect);
            t += ms(1000);
        }
        assert!(h.usable(t) && h.next_probe().is_none() && h.poll_timeout().is_none());
        assert_eq!(h.counters().probe_answers, 5);
    }

    #[test]
    fn status_server_probe_revives_a_zombie() {
        let (mut h, t0) = health(Check::StatusServer);
        h.on_sent(t0);
        h.poll(t0 + ms(2000));
        h.on_probe_sent(t0 + ms(2000));
        assert_eq!(h.on_probe_answer(t0 + ms(2010)), Some(State::Alive));
        assert_eq!(h.poll(t0 + ms(2500)), None, "the old silence is forgiven");
    }

    #[test]
    fn alive_probe_answer_does_not_excuse_requests() {
        let (mut h, t0) = health(Check::StatusServer);
        h.on_sent(t0);
        h.on_probe_sent(t0 + ms(100));
        h.on_probe_answer(t0 + ms(110));
        assert_eq!(h.poll(t0 + ms(2000)), Some(State::Zombie));
    }

    #[test]
    fn request_check_sends_trials_to_a_dead_server() {
        let (mut h, t0) = health(Check::Request);
        kill(&mut h, t0);
        let dead = t0 + ms(6000);
        assert!(!h.usable(dead) && !h.probe_due(dead + ms(999)));
        assert_eq!(h.poll_timeout(), None, "trials wait for traffic");
        let mut t = dead + ms(1000);
        // A trial that fails, then three that are answered.
        assert!(h.usable(t));
        h.on_sent(t);
        assert!(!h.usable(t + ms(1500)), "one trial at a time");
        assert_eq!(h.poll_timeout(), Some(t + ms(2000)));
        h.poll(t + ms(2000));
        assert!(h.usable(t + ms(2000)));
        assert_eq!(h.counters().probe_failures, 1);
        t += ms(2000);
        for i in 0..3 {
            assert!(h.usable(t), "trial {i}");
            h.on_sent(t);
            let expect = (i == 2).then_some(State::Alive);
            assert_eq!(h.on_answer(t + ms(5)), expect);
            t += ms(1005);
        }
        assert_eq!(h.counters().probes, 0, "no Status-Server");
    }

    #[test]
    fn request_check_zombie_gets_no_trials() {
        let (mut h, t0) = health(Check::Request);
        h.on_sent(t0);
        h.poll(t0 + ms(2000));
        assert!(!h.usable(t0 + ms(3500)) && h.next_probe().is_none());
    }

    #[test]
    fn check_none_revives_blindly() {
        let (mut h, t0) = health(Check::None);
        kill(&mut h, t0);
        assert_eq!(h.next_probe(), None);
        assert_eq!(h.poll_timeout(), Some(t0 + ms(36_000)));
        assert_eq!(h.poll(t0 + ms(35_999)), None);
        assert!(!h.usable(t0 + ms(35_999)));
        assert_eq!(h.poll(t0 + ms(36_000)), Some(State::Alive));
        assert!(h.usable(t0 + ms(36_000)));
    }

    #[test]
    fn any_check_revives_a_dead_server_after_answers() {
        let (mut h, t0) = health(Check::None);
        kill(&mut h, t0);
        // Last-resort requests that are answered count too.
        for i in 0..3 {
            h.on_sent(t0 + ms(7000 + i));
            h.on_answer(t0 + ms(7000 + i));
        }
        assert_eq!(h.state(), State::Alive);
    }
}
