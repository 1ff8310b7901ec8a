//! The pure step: (state, window, now) → (next state, decision, reasons).

use super::{
    Config, MINUTE_MS, Phase, Result, RolloutError, RolloutErrorKind, State, WindowGate, WindowReport, WindowSpan,
};
use crate::gate::Verdict;
use alloc::format;
use alloc::vec::Vec;
use serde::Serialize;

/// What the controller decided for one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Stay where we are.
    Hold,
    /// Move to the next stage (or to the stable hold).
    Advance {
        /// The phase entered.
        to: Phase,
    },
    /// The breaker tripped: traffic to 0 % at once.
    Revert {
        /// Which breaker rule tripped.
        rule: Rule,
    },
    /// The stable hold is complete.
    Publish,
}

impl Decision {
    /// `hold`, `advance`, `revert` or `publish`.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Hold => "hold",
            Decision::Advance { .. } => "advance",
            Decision::Revert { .. } => "revert",
            Decision::Publish => "publish",
        }
    }
}

impl Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Why a decision was taken. The first reason of every step is its main
/// rule; notes may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Off: the first stage needs a `Pass` window.
    AwaitingPass,
    /// Off → the first stage on a `Pass` window.
    Started,
    /// A `Pass` window at a stage that has not had enough of them yet.
    Baking,
    /// The stage had `min_windows_per_stage` `Pass` windows: advance.
    StageComplete,
    /// No usable data (`NoData` or `Error`) under `nodata = "hold"`.
    NoDataHeld,
    /// A breach that did not reach any breaker rule.
    BreachBelowTrip,
    /// `consecutive_breaches_to_trip` breaches in a row.
    ConsecutiveBreaches,
    /// `m` breaches among the last `n` judged windows.
    BreachesInLast,
    /// A breach during the stable hold.
    StableHoldBreach,
    /// A `Pass` window in the stable hold, which is not over yet.
    StableHolding,
    /// The stable hold is complete: publish.
    StableHoldComplete,
    /// Reverted and still cooling down.
    Cooldown,
    /// Cooldown over: a `Pass` window restarts the first stage.
    Restarted,
    /// Reverted with `max_trips_per_version` trips: aborted, a new manifest
    /// version is needed.
    TripsExhausted,
    /// Published or aborted: nothing more happens.
    Finished,
    /// Note: `NoData`/`Error` counted as a breach (`nodata = "breach"`).
    NoDataAsBreach,
    /// Note: a dry-run gate breached; recorded, not acted on.
    DryRunIgnored,
    /// Note: this trip used up the version's trips, so there is no restart.
    NoRestart,
}

impl Rule {
    /// The rule's name in reports (`"consecutive_breaches"`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::AwaitingPass => "awaiting_pass",
            Rule::Started => "started",
            Rule::Baking => "baking",
            Rule::StageComplete => "stage_complete",
            Rule::NoDataHeld => "no_data_held",
            Rule::BreachBelowTrip => "breach_below_trip",
            Rule::ConsecutiveBreaches => "consecutive_breaches",
            Rule::BreachesInLast => "breaches_in_last",
            Rule::StableHoldBreach => "stable_hold_breach",
            Rule::StableHolding => "stable_holding",
            Rule::StableHoldComplete => "stable_hold_complete",
            Rule::Cooldown => "cooldown",
            Rule::Restarted => "restarted",
            Rule::TripsExhausted => "trips_exhausted",
            Rule::Finished => "finished",
            Rule::NoDataAsBreach => "no_data_as_breach",
            Rule::DryRunIgnored => "dry_run_ignored",
            Rule::NoRestart => "no_restart",
        }
    }
}

/// A counter shown with its limit in every decision's reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    /// `Pass` windows at the stage (limit: `min_windows_per_stage`).
    PassesAtStage,
    /// Breaches in a row (limit: `consecutive_breaches_to_trip`).
    ConsecutiveBreaches,
    /// Breaches among the last `n` judged windows (limit `m`, of `n`).
    BreachesInLast,
    /// `Pass` windows in the stable hold (limit: its length in windows).
    StableWindows,
    /// Trips of this manifest version (limit: `max_trips_per_version`).
    Trips,
    /// Minutes of cooldown left at the window's start (limit: `cooldown_minutes`).
    CooldownRemainingMinutes,
}

impl Counter {
    /// The counter's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Counter::PassesAtStage => "passes_at_stage",
            Counter::ConsecutiveBreaches => "consecutive_breaches",
            Counter::BreachesInLast => "breaches_in_last",
            Counter::StableWindows => "stable_windows",
            Counter::Trips => "trips",
            Counter::CooldownRemainingMinutes => "cooldown_remaining_minutes",
        }
    }
}

/// One reason of a decision: a rule, a gate's measurement, or a counter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Why (the first reason), or a note.
    Rule {
        /// The rule.
        rule: Rule,
    },
    /// A gate: its value, threshold, verdict and whether it was acted on.
    Gate(WindowGate),
    /// A counter after this window, and the limit it is compared with.
    Counter {
        /// The counter.
        counter: Counter,
        /// Its value.
        value: u64,
        /// The limit.
        limit: u64,
        /// For `breaches_in_last`: how many windows are looked at.
        #[serde(skip_serializing_if = "Option::is_none")]
        of: Option<u64>,
    },
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The state after the window.
    pub state: State,
    /// What to do.
    pub decision: Decision,
    /// The window's verdict: the worst of its acted-on gates.
    pub verdict: Verdict,
    /// Why: the main rule first, then notes, the four gates, and the counters.
    pub reasons: Vec<Reason>,
}

/// The controller: a validated config and the step function.
#[derive(Debug, Clone, PartialEq)]
pub struct Controller {
    config: Config,
}

/// What a phase's rule decided, before the transition is applied.
enum Outcome {
    Hold(Rule),
    Advance(Phase, Rule),
    Trip(Rule),
    Publish,
    Abort,
}

impl Controller {
    /// A controller for `config`, which must [`validate`](Config::validate).
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(Controller { config })
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The state before the first window.
    pub fn initial_state(&self) -> State {
        State::new()
    }

    /// Checks that a state (e.g. loaded from a file) fits this config.
    pub fn check_state(&self, s: &State) -> Result<()> {
        let bad = |m: alloc::string::String| Err(RolloutError::new(RolloutErrorKind::InvalidState, m));
        if let Phase::Stage(p) = s.phase
            && !self.config.stages.contains(&p)
        {
            return bad(format!("state is at stage {p} %, which is not in the config's stages"));
        }
        if s.phase == Phase::Reverted && s.tripped_at_ms.is_none() {
            return bad("state is reverted but has no tripped_at_ms".into());
        }
        let n = self.config.breaches_in_last.map_or(0, |r| r.n as usize);
        if s.recent.len() > n || s.recent.iter().any(|v| !matches!(v, Verdict::Pass | Verdict::Breach)) {
            return bad(format!("state.recent holds {} verdicts; at most {n} of pass/breach fit", s.recent.len()));
        }
        Ok(())
    }

    /// Decides one window. `now_ms` is when the decision is made; the window
    /// must have ended by then. Refuses (an error, nothing decided) a window
    /// that starts before the previous one ended, a duplicate of the previous
    /// window, and an invalid window.
    pub fn step(&self, state: &State, window: &WindowReport, now_ms: i64) -> Result<Step> {
        self.check_state(state)?;
        window.validate(&self.config)?;
        if window.end_ms > now_ms {
            return Err(RolloutError::new(
                RolloutErrorKind::WindowInFuture,
                format!("window ends at {} ms, after the decision time {now_ms} ms", window.end_ms),
            ));
        }
        if let Some(last) = state.last_window {
            if last.start_ms == window.start_ms && last.end_ms == window.end_ms {
                return Err(RolloutError::new(
                    RolloutErrorKind::DuplicateWindow,
                    format!(
                        "duplicate window: {}..{} ms was already decided (window {})",
                        window.start_ms, window.end_ms, state.windows
                    ),
                ));
            }
            if window.start_ms < last.end_ms {
                return Err(RolloutError::new(
                    RolloutErrorKind::TimeWentBackwards,
                    format!(
                        "time went backwards: window starts at {} ms, before the previous window ended at {} ms",
                        window.start_ms, last.end_ms
                    ),
                ));
            }
        }

        let c = &self.config;
        let gates = window.judge(c);
        let verdict = Verdict::worst(gates.iter().filter(|g| !g.dry_run).map(|g| g.verdict));
        let mut notes = Vec::new();
        if gates.iter().any(|g| g.dry_run && g.verdict == Verdict::Breach) {
            notes.push(Rule::DryRunIgnored);
        }
        // NoData and Error both mean "no usable measurement": the policy decides.
        let effective = match verdict {
            Verdict::Pass | Verdict::Breach => verdict,
            Verdict::NoData | Verdict::Error => match c.nodata {
                super::NoDataPolicy::Hold => Verdict::NoData,
                super::NoDataPolicy::Breach => {
                    notes.push(Rule::NoDataAsBreach);
                    Verdict::Breach
                }
            },
        };

        let mut next = state.clone();
        next.windows += 1;
        next.last_window = Some(WindowSpan { start_ms: window.start_ms, end_ms: window.end_ms });
        let first = Phase::Stage(c.stages[0]);

        let outcome = match state.phase {
            Phase::Off => match effective {
                Verdict::Pass => Outcome::Advance(first, Rule::Started),
                _ => Outcome::Hold(Rule::AwaitingPass),
            },
            Phase::Stage(p) => {
                next.windows_at_stage += 1;
                match effective {
                    Verdict::Pass => {
                        self.judged(&mut next, Verdict::Pass);
                        next.passes_at_stage += 1;
                        if next.passes_at_stage >= c.min_windows_per_stage {
                            Outcome::Advance(self.after(p), Rule::StageComplete)
                        } else {
                            Outcome::Hold(Rule::Baking)
                        }
                    }
                    Verdict::Breach => {
                        self.judged(&mut next, Verdict::Breach);
                        next.passes_at_stage = 0;
                        if next.consecutive_breaches >= c.consecutive_breaches_to_trip {
                            Outcome::Trip(Rule::ConsecutiveBreaches)
                        } else if self.m_of_n_tripped(&next) {
                            Outcome::Trip(Rule::BreachesInLast)
                        } else {
                            Outcome::Hold(Rule::BreachBelowTrip)
                        }
                    }
                    _ => Outcome::Hold(Rule::NoDataHeld),
                }
            }
            Phase::Stable => {
                next.windows_at_stage += 1;
                match effective {
                    Verdict::Pass => {
                        self.judged(&mut next, Verdict::Pass);
                        next.passes_at_stage += 1;
                        if next.passes_at_stage >= c.stable_windows() {
                            Outcome::Publish
                        } else {
                            Outcome::Hold(Rule::StableHolding)
                        }
                    }
                    Verdict::Breach => {
                        self.judged(&mut next, Verdict::Breach);
                        Outcome::Trip(Rule::StableHoldBreach)
                    }
                    _ => Outcome::Hold(Rule::NoDataHeld),
                }
            }
            Phase::Reverted => {
                let until = self.cooldown_until(state);
                if state.trips >= c.max_trips_per_version {
                    Outcome::Abort
                } else if window.start_ms < until {
                    Outcome::Hold(Rule::Cooldown)
                } else if effective == Verdict::Pass {
                    Outcome::Advance(first, Rule::Restarted)
                } else {
                    Outcome::Hold(Rule::AwaitingPass)
                }
            }
            Phase::Published | Phase::Aborted => Outcome::Hold(Rule::Finished),
        };

        // Counters are shown as this window left them, before a transition
        // resets them, so a revert shows the count that tripped it.
        let counters = self.counters(state.phase, &next, window);
        let (decision, rule) = match outcome {
            Outcome::Hold(rule) => (Decision::Hold, rule),
            Outcome::Advance(to, rule) => {
                next.phase = to;
                next.windows_at_stage = 0;
                next.passes_at_stage = 0;
                (Decision::Advance { to }, rule)
            }
            Outcome::Trip(rule) => {
                next.phase = Phase::Reverted;
                next.trips += 1;
                next.tripped_at_ms = Some(window.end_ms);
                next.windows_at_stage = 0;
                next.passes_at_stage = 0;
                next.consecutive_breaches = 0;
                next.recent.clear();
                if next.trips >= c.max_trips_per_version {
                    notes.push(Rule::NoRestart);
                }
                (Decision::Revert { rule }, rule)
            }
            Outcome::Publish => {
                next.phase = Phase::Published;
                (Decision::Publish, Rule::StableHoldComplete)
            }
            Outcome::Abort => {
                next.phase = Phase::Aborted;
                (Decision::Hold, Rule::TripsExhausted)
            }
        };

        // Trips are shown after the transition: a revert shows the trip it made.
        let trips = Reason::Counter {
            counter: Counter::Trips,
            value: next.trips.into(),
            limit: c.max_trips_per_version.into(),
            of: None,
        };
        let mut reasons = Vec::with_capacity(2 + notes.len() + gates.len() + counters.len());
        reasons.push(Reason::Rule { rule });
        reasons.extend(notes.into_iter().map(|rule| Reason::Rule { rule }));
        reasons.extend(gates.into_iter().map(Reason::Gate));
        reasons.extend(counters);
        reasons.push(trips);
        Ok(Step { state: next, decision, verdict, reasons })
    }

    /// Replays recorded `(window, now)` pairs from `state`, returning the
    /// state after the last one. Deterministic: replaying a decision log
    /// gives back the state the live controller reached.
    pub fn replay<'a>(
        &self,
        state: &State,
        windows: impl IntoIterator<Item = (&'a WindowReport, i64)>,
    ) -> Result<State> {
        let mut s = state.clone();
        for (w, now) in windows {
            s = self.step(&s, w, now)?.state;
        }
        Ok(s)
    }

    /// Replays a decision log from `state` and checks every decision against
    /// what the log recorded: each item is a window, the time it was decided
    /// and the [`State::digest_hex`] of the state it led to. Returns the state
    /// after the last one, or an error naming the first decision (1-based)
    /// that the controller refuses ([`RolloutErrorKind`] of the refusal) or
    /// that leads elsewhere than recorded ([`RolloutErrorKind::ReplayDiverged`]).
    pub fn replay_verified<'a>(
        &self,
        state: &State,
        records: impl IntoIterator<Item = (&'a WindowReport, i64, &'a str)>,
    ) -> Result<State> {
        let mut s = state.clone();
        for (i, (w, now, digest)) in records.into_iter().enumerate() {
            let n = i + 1;
            let step = self.step(&s, w, now).map_err(|e| RolloutError::new(e.kind(), format!("decision {n}: {e}")))?;
            let got = step.state.digest_hex();
            if got != digest {
                return Err(RolloutError::new(
                    RolloutErrorKind::ReplayDiverged,
                    format!("decision {n}: replay gives state {got}, the log says {digest}"),
                ));
            }
            s = step.state;
        }
        Ok(s)
    }

    /// Books a judged (pass or breach) window into the breaker's counters.
    fn judged(&self, s: &mut State, v: Verdict) {
        if v == Verdict::Breach {
            s.consecutive_breaches += 1;
        } else {
            s.consecutive_breaches = 0;
        }
        if let Some(r) = self.config.breaches_in_last {
            s.recent.push(v);
            let excess = s.recent.len().saturating_sub(r.n as usize);
            s.recent.drain(..excess);
        }
    }

    fn breaches_in_recent(s: &State) -> u64 {
        s.recent.iter().filter(|&&v| v == Verdict::Breach).count() as u64
    }

    fn m_of_n_tripped(&self, s: &State) -> bool {
        self.config.breaches_in_last.is_some_and(|r| Self::breaches_in_recent(s) >= u64::from(r.m))
    }

    /// The phase after stage `p`: the next stage, or the stable hold.
    fn after(&self, p: u32) -> Phase {
        let stages = &self.config.stages;
        let i = stages.iter().position(|&s| s == p).expect("check_state: the stage is in the config");
        stages.get(i + 1).map_or(Phase::Stable, |&s| Phase::Stage(s))
    }
}

impl Controller {
    fn counters(&self, phase: Phase, s: &State, w: &WindowReport) -> Vec<Reason> {
        let c = &self.config;
        let counter = |counter, value: u64, limit: u64| Reason::Counter { counter, value, limit, of: None };
        let mut out = Vec::with_capacity(4);
        match phase {
            Phase::Stage(_) | Phase::Stable => {
                out.push(if phase == Phase::Stable {
                    counter(Counter::StableWindows, s.passes_at_stage.into(), c.stable_windows().into())
                } else {
                    counter(Counter::PassesAtStage, s.passes_at_stage.into(), c.min_windows_per_stage.into())
                });
                let limit = if phase == Phase::Stable { 1 } else { c.consecutive_breaches_to_trip };
                out.push(counter(Counter::ConsecutiveBreaches, s.consecutive_breaches.into(), limit.into()));
                if let Some(r) = c.breaches_in_last {
                    out.push(Reason::Counter {
                        counter: Counter::BreachesInLast,
                        value: Self::breaches_in_recent(s),
                        limit: r.m.into(),
                        of: Some(r.n.into()),
                    });
                }
            }
            Phase::Reverted => {
                let left_ms = self.cooldown_until(s).saturating_sub(w.start_ms).max(0);
                let left = (left_ms as u64).div_ceil(MINUTE_MS as u64);
                out.push(counter(Counter::CooldownRemainingMinutes, left, c.cooldown_minutes.into()));
            }
            Phase::Off | Phase::Published | Phase::Aborted => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    fn window(i: i64, aece: f64) -> WindowReport {
        let start = 1_772_409_600_000 + i * 15 * MINUTE_MS;
        WindowReport {
            start_ms: start,
            end_ms: start + 15 * MINUTE_MS,
            samples: 5000,
            p99_latency_ms: Some(0.4),
            aece: Some(aece),
            tau: Some(0.015),
            median_confidence_shift: Some(0.004),
            recall_at_50_delta: Some(0.0),
        }
    }

    #[test]
    fn a_verified_replay_names_the_first_decision_that_diverges() {
        let c = Controller::new(Config::default()).unwrap();
        let windows: Vec<WindowReport> = (0..4).map(|i| window(i, 0.02)).collect();
        let mut digests = Vec::new();
        let mut s = c.initial_state();
        for w in &windows {
            s = c.step(&s, w, w.end_ms).unwrap().state;
            digests.push(s.digest_hex());
        }
        let records = |digests: &[String]| -> Vec<(&WindowReport, i64, String)> {
            windows.iter().zip(digests).map(|(w, d)| (w, w.end_ms, d.clone())).collect()
        };
        let replay = |digests: &[String]| {
            let r = records(digests);
            c.replay_verified(&c.initial_state(), r.iter().map(|(w, t, d)| (*w, *t, d.as_str())))
        };
        assert_eq!(replay(&digests).unwrap(), s);
        assert_eq!(c.replay(&c.initial_state(), windows.iter().map(|w| (w, w.end_ms))).unwrap(), s);

        digests[2] = State::new().digest_hex();
        let e = replay(&digests).unwrap_err();
        assert_eq!(e.code(), "replay_diverged");
        assert!(e.to_string().starts_with("decision 3: replay gives state "), "{e}");

        // A refused window keeps its own kind, numbered.
        let twice = [(&windows[0], windows[0].end_ms, digests[0].as_str()); 2];
        let e = c.replay_verified(&c.initial_state(), twice).unwrap_err();
        assert_eq!(e.kind(), RolloutErrorKind::DuplicateWindow);
        assert!(e.to_string().starts_with("decision 2: duplicate window"), "{e}");
    }
}
