//! What the next window can do: the controller's next move, read off a
//! state without deciding anything.

use super::{Controller, MINUTE_MS, Phase, State};

/// What the next window can do from a state, as [`Controller::next_step`]
/// reads it. A status page or an operator's "what now?" shows this; it is
/// derived from the same rules as [`Controller::step`], so the two cannot
/// disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Off: a `Pass` window starts `stage`, the first stage.
    Start {
        /// The first stage.
        stage: Phase,
    },
    /// At stage `at` (percent): `passes_left` more `Pass` windows advance to `to`.
    Advance {
        /// The current stage's traffic share.
        at: u32,
        /// `Pass` windows still needed (0: the next one advances).
        passes_left: u32,
        /// The next stage, or [`Phase::Stable`] after the last one.
        to: Phase,
    },
    /// In the stable hold: `passes_left` more `Pass` windows publish.
    Publish {
        /// `Pass` windows still needed.
        passes_left: u32,
    },
    /// Reverted: nothing restarts before `until_ms` (the tripping window's
    /// end plus the cooldown); from then on a `Pass` window restarts `stage`.
    Cooldown {
        /// The end of the cooldown (ms since the Unix epoch): the restarting
        /// window must start at or after it.
        until_ms: i64,
        /// The first stage, which a restart enters.
        stage: Phase,
    },
    /// Reverted with every trip of this manifest version used: the next
    /// window, whatever it measures, aborts the rollout.
    Abort {
        /// Trips so far.
        trips: u32,
        /// `max_trips_per_version`.
        max_trips: u32,
    },
    /// Published: nothing is left to do.
    Published,
    /// Aborted: a new manifest version is needed.
    Aborted,
}

impl Controller {
    /// What the next window can do from `state` (which should fit this
    /// controller's config: see [`Controller::check_state`]). Pure: it reads
    /// the state and the config only.
    ///
    /// ```
    /// use calib_core::rollout::{Config, Controller, NextStep, Phase};
    ///
    /// let controller = Controller::new(Config::default())?;
    /// let next = controller.next_step(&controller.initial_state());
    /// assert_eq!(next, NextStep::Start { stage: Phase::Stage(5) });
    /// # Ok::<(), calib_core::rollout::RolloutError>(())
    /// ```
    pub fn next_step(&self, state: &State) -> NextStep {
        let c = self.config();
        let first = Phase::Stage(c.stages[0]);
        match state.phase {
            Phase::Off => NextStep::Start { stage: first },
            Phase::Stage(p) => NextStep::Advance {
                at: p,
                passes_left: c.min_windows_per_stage.saturating_sub(state.passes_at_stage),
                to: c.stages.iter().find(|&&q| q > p).map_or(Phase::Stable, |&q| Phase::Stage(q)),
            },
            Phase::Stable => {
                NextStep::Publish { passes_left: c.stable_windows().saturating_sub(state.passes_at_stage) }
            }
            // The same order as the step: out of trips aborts before any cooldown.
            Phase::Reverted if state.trips >= c.max_trips_per_version => {
                NextStep::Abort { trips: state.trips, max_trips: c.max_trips_per_version }
            }
            Phase::Reverted => NextStep::Cooldown { until_ms: self.cooldown_until(state), stage: first },
            Phase::Published => NextStep::Published,
            Phase::Aborted => NextStep::Aborted,
        }
    }

    /// The end of the cooldown after the state's last trip.
    pub(super) fn cooldown_until(&self, s: &State) -> i64 {
        s.tripped_at_ms.unwrap_or(i64::MIN).saturating_add(i64::from(self.config().cooldown_minutes) * MINUTE_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::{Config, Decision, WindowReport};

    const T0: i64 = 1_772_409_600_000;

    fn window(i: i64, pass: bool) -> WindowReport {
        let start = T0 + i * 15 * MINUTE_MS;
        WindowReport {
            start_ms: start,
            end_ms: start + 15 * MINUTE_MS,
            samples: 5000,
            p99_latency_ms: Some(0.4),
            aece: Some(if pass { 0.02 } else { 0.05 }),
            tau: Some(0.015),
            median_confidence_shift: Some(0.004),
            recall_at_50_delta: Some(0.0),
        }
    }

    fn controller(max_trips: u32) -> Controller {
        let config = Config {
            stages: alloc::vec![10, 100],
            min_windows_per_stage: 2,
            stable_hold_hours: 1,
            max_trips_per_version: max_trips,
            cooldown_minutes: 30,
            ..Config::default()
        };
        Controller::new(config).unwrap()
    }

    /// Steps the windows (pass or breach) from the initial state.
    fn run(c: &Controller, windows: &[bool]) -> State {
        let mut s = c.initial_state();
        for (i, &pass) in windows.iter().enumerate() {
            let w = window(i as i64, pass);
            s = c.step(&s, &w, w.end_ms).unwrap().state;
        }
        s
    }

    #[test]
    fn the_next_step_follows_the_rollout_through_every_phase() {
        let c = controller(2);
        assert_eq!(c.next_step(&run(&c, &[])), NextStep::Start { stage: Phase::Stage(10) });
        let at_10 = run(&c, &[true]);
        assert_eq!(c.next_step(&at_10), NextStep::Advance { at: 10, passes_left: 2, to: Phase::Stage(100) });
        let baked = run(&c, &[true, true]);
        assert_eq!(c.next_step(&baked), NextStep::Advance { at: 10, passes_left: 1, to: Phase::Stage(100) });
        let at_100 = run(&c, &[true, true, true]);
        assert_eq!(c.next_step(&at_100), NextStep::Advance { at: 100, passes_left: 2, to: Phase::Stable });
        let stable = run(&c, &[true, true, true, true, true, true]);
        assert_eq!(stable.phase, Phase::Stable);
        assert_eq!(c.next_step(&stable), NextStep::Publish { passes_left: 3 });
        let published = run(&c, &[true; 9]);
        assert_eq!(published.phase, Phase::Published);
        assert_eq!(c.next_step(&published), NextStep::Published);
    }

    #[test]
    fn a_trip_cools_down_then_aborts_when_out_of_trips() {
        let c = controller(2);
        // Two breaches at 10 % trip at the end of window 2.
        let reverted = run(&c, &[true, false, false]);
        assert_eq!(reverted.phase, Phase::Reverted);
        let until = T0 + 3 * 15 * MINUTE_MS + 30 * MINUTE_MS;
        assert_eq!(c.next_step(&reverted), NextStep::Cooldown { until_ms: until, stage: Phase::Stage(10) });
        // The step agrees: a window starting before `until` holds, one at it restarts.
        let early = window(4, true);
        assert_eq!(c.step(&reverted, &early, early.end_ms).unwrap().state.phase, Phase::Reverted);
        let on_time = window(5, true);
        assert_eq!(on_time.start_ms, until);
        assert_eq!(
            c.step(&reverted, &on_time, on_time.end_ms).unwrap().decision,
            Decision::Advance { to: Phase::Stage(10) }
        );

        let once = controller(1);
        let out = run(&once, &[true, false, false]);
        assert_eq!(once.next_step(&out), NextStep::Abort { trips: 1, max_trips: 1 });
        let w = window(3, true);
        let aborted = once.step(&out, &w, w.end_ms).unwrap().state;
        assert_eq!(aborted.phase, Phase::Aborted);
        assert_eq!(once.next_step(&aborted), NextStep::Aborted);
    }
}
