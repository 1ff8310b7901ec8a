//! Property tests of the rollout controller's invariants over random configs
//! and random timelines: K−1 consecutive breaches never trip, nothing
//! advances without a Pass window, no stage is ever skipped, NoData under
//! `hold` changes no breaker counter, and replaying a recorded decision log
//! reproduces the state.

mod rollout_common;

use calib_core::gate::{GateKind, Verdict};
use calib_core::rollout::{
    Config, Controller, Decision, MOfN, NoDataPolicy, Phase, Reason, RolloutErrorKind, Rule, State, Step, WindowReport,
};
use proptest::prelude::*;
use rollout_common::{Kind, MINUTE, window};

fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------- generators

fn config(with_m_of_n: bool) -> impl Strategy<Value = Config> {
    (
        proptest::sample::subsequence(vec![1u32, 5, 10, 25, 50, 75], 0..=4),
        1u32..=4,
        1u32..=2,
        1u32..=4,
        (1u32..=3, 0u32..=3),
        any::<bool>(),
        0u32..=6,
        1u32..=3,
        any::<bool>(),
    )
        .prop_map(move |(mut stages, min_w, hold_h, k, (m, extra), nodata_breach, cool, trips, shift_dry)| {
            stages.push(100);
            Config {
                stages,
                min_windows_per_stage: min_w,
                stable_hold_hours: hold_h,
                consecutive_breaches_to_trip: k,
                breaches_in_last: with_m_of_n.then_some(MOfN { m, n: m + extra }),
                nodata: if nodata_breach { NoDataPolicy::Breach } else { NoDataPolicy::Hold },
                cooldown_minutes: cool * 15,
                max_trips_per_version: trips,
                dry_run_gates: if shift_dry { vec![GateKind::MedianShift] } else { vec![] },
                ..Config::default()
            }
        })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![6 => Just(Kind::Pass), 3 => Just(Kind::Breach), 2 => Just(Kind::NoData), 1 => Just(Kind::ShiftBreach)]
}

/// A timeline: kinds with an optional gap (skipped slots) before each window.
fn timeline(max: usize) -> impl Strategy<Value = Vec<(Kind, i64)>> {
    proptest::collection::vec((kind(), prop_oneof![8 => Just(0i64), 1 => 1i64..8]), 0..max)
}

fn windows(t: &[(Kind, i64)]) -> Vec<WindowReport> {
    let mut slot = 0;
    t.iter()
        .map(|&(k, gap)| {
            slot += gap;
            let w = window(slot, k);
            slot += 1;
            w
        })
        .collect()
}

/// Runs a timeline, returning (state before, step) for each window.
fn run(c: &Controller, ws: &[WindowReport]) -> Vec<(State, Step)> {
    let mut s = c.initial_state();
    let mut out = Vec::new();
    for w in ws {
        let step = c.step(&s, w, w.end_ms).expect("windows in order are accepted");
        let before = std::mem::replace(&mut s, step.state.clone());
        out.push((before, step));
    }
    out
}

/// The phases a rollout goes through in order.
fn ladder(c: &Config) -> Vec<Phase> {
    let mut v = vec![Phase::Off];
    v.extend(c.stages.iter().map(|&p| Phase::Stage(p)));
    v.extend([Phase::Stable, Phase::Published]);
    v
}

fn main_rule(step: &Step) -> Rule {
    match step.reasons.first() {
        Some(Reason::Rule { rule }) => *rule,
        other => panic!("the first reason is not a rule: {other:?}"),
    }
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(cases())]

    /// From any stage reached by passes, K−1 breaches (with NoData windows
    /// in between, under `hold`) never trip; the K-th does.
    #[test]
    fn k_minus_1_consecutive_breaches_never_trip(
        cfg in config(false),
        passes in 1usize..12,
        nodata_between in proptest::collection::vec(0usize..3, 8),
    ) {
        let c = Controller::new(cfg.clone()).unwrap();
        let mut slot = 0i64;
        let mut s = c.initial_state();
        // Up to `passes` passes, stopping at the last one that stays in a
        // stage (rather than discarding the cases that pass every stage).
        for _ in 0..passes {
            let w = window(slot, Kind::Pass);
            let step = c.step(&s, &w, w.end_ms).unwrap();
            if matches!(s.phase, Phase::Stage(_)) && !matches!(step.state.phase, Phase::Stage(_)) {
                break;
            }
            s = step.state;
            slot += 1;
        }
        prop_assert!(matches!(s.phase, Phase::Stage(_)), "{:?} after {} passes", s.phase, passes);
        let mut next = |kind| { slot += 1; window(slot - 1, kind) };
        let k = cfg.consecutive_breaches_to_trip as usize;
        for i in 0..k {
            if cfg.nodata == NoDataPolicy::Hold {
                for _ in 0..nodata_between[i % nodata_between.len()] {
                    let w = next(Kind::NoData);
                    let step = c.step(&s, &w, w.end_ms).unwrap();
                    prop_assert_eq!(step.decision, Decision::Hold);
                    s = step.state;
                }
            }
            let w = next(Kind::Breach);
            let step = c.step(&s, &w, w.end_ms).unwrap();
            if i + 1 < k {
                prop_assert_eq!(step.decision, Decision::Hold, "breach {} of {} tripped", i + 1, k);
                prop_assert!(matches!(step.state.phase, Phase::Stage(_)));
            } else {
                prop_assert_eq!(step.decision, Decision::Revert { rule: Rule::ConsecutiveBreaches });
                prop_assert_eq!(step.state.phase.traffic_percent(), 0);
            }
            s = step.state;
        }
    }

    /// Over random timelines: every trip by the consecutive rule follows K
    /// judged breaches in a row, and every M-of-N trip follows m breaches
    /// among the last n judged windows.
    #[test]
    fn trips_follow_their_rule(cfg in prop_oneof![config(false), config(true)], t in timeline(120)) {
        let c = Controller::new(cfg.clone()).unwrap();
        let ws = windows(&t);
        // Judged verdicts (pass/breach) since the last trip or restart.
        let mut judged: Vec<bool> = Vec::new();
        for (before, step) in run(&c, &ws) {
            let acted = step.verdict;
            let breach = acted == Verdict::Breach
                || (cfg.nodata == NoDataPolicy::Breach && matches!(acted, Verdict::NoData | Verdict::Error));
            let counted = matches!(before.phase, Phase::Stage(_) | Phase::Stable)
                && (breach || acted == Verdict::Pass);
            if counted {
                judged.push(breach);
            }
            match step.decision {
                Decision::Revert { rule: Rule::ConsecutiveBreaches } => {
                    let k = cfg.consecutive_breaches_to_trip as usize;
                    prop_assert!(judged.len() >= k && judged[judged.len() - k..].iter().all(|&b| b));
                }
                Decision::Revert { rule: Rule::BreachesInLast } => {
                    let r = cfg.breaches_in_last.unwrap();
                    let tail = &judged[judged.len().saturating_sub(r.n as usize)..];
                    prop_assert!(tail.iter().filter(|&&b| b).count() >= r.m as usize);
                }
                Decision::Revert { rule: Rule::StableHoldBreach } => {
                    prop_assert_eq!(before.phase, Phase::Stable);
                    prop_assert_eq!(judged.last(), Some(&true));
                }
                Decision::Revert { rule } => prop_assert!(false, "unexpected trip rule {rule:?}"),
                _ => {}
            }
            if matches!(step.decision, Decision::Revert { .. }) {
                judged.clear();
            }
        }
    }

    /// Nothing advances or publishes without a Pass window (dry-run gates
    /// and NoData included), and the main rule says why.
    #[test]
    fn nothing_advances_without_a_pass_window(cfg in prop_oneof![config(false), config(true)], t in timeline(150)) {
        let c = Controller::new(cfg).unwrap();
        for (_, step) in run(&c, &windows(&t)) {
            if matches!(step.decision, Decision::Advance { .. } | Decision::Publish) {
                prop_assert_eq!(step.verdict, Verdict::Pass);
                prop_assert!(matches!(
                    main_rule(&step),
                    Rule::Started | Rule::StageComplete | Rule::Restarted | Rule::StableHoldComplete
                ));
            }
        }
    }

    /// Phases move one rung at a time: Off → first stage → … → stable →
    /// published; a trip goes to reverted (0 %) from a stage or the stable
    /// hold; a restart goes from reverted to the first stage; an exhausted
    /// rollout goes from reverted to aborted. Holds change no phase.
    #[test]
    fn the_controller_never_skips_a_stage(cfg in prop_oneof![config(false), config(true)], t in timeline(150)) {
        let c = Controller::new(cfg.clone()).unwrap();
        let rungs = ladder(&cfg);
        let rung = |p: Phase| rungs.iter().position(|&q| q == p);
        for (before, step) in run(&c, &windows(&t)) {
            let (from, to) = (before.phase, step.state.phase);
            match step.decision {
                Decision::Advance { to: target } => {
                    prop_assert_eq!(target, to);
                    if from == Phase::Reverted {
                        prop_assert_eq!(to, Phase::Stage(cfg.stages[0]));
                    } else {
                        prop_assert_eq!(rung(to), rung(from).map(|i| i + 1), "{} -> {}", from, to);
                    }
                }
                Decision::Publish => prop_assert!(from == Phase::Stable && to == Phase::Published),
                Decision::Revert { .. } => {
                    prop_assert!(matches!(from, Phase::Stage(_) | Phase::Stable));
                    prop_assert_eq!(to, Phase::Reverted);
                    prop_assert_eq!(step.state.trips, before.trips + 1);
                }
                Decision::Hold => {
                    if from != to {
                        prop_assert!(from == Phase::Reverted && to == Phase::Aborted);
                        prop_assert!(before.trips >= cfg.max_trips_per_version);
                    }
                }
            }
            prop_assert!(step.state.trips <= cfg.max_trips_per_version);
            if from == Phase::Reverted && to != Phase::Reverted && to != Phase::Aborted {
                // A restart only after the cooldown.
                let until = before.tripped_at_ms.unwrap() + i64::from(cfg.cooldown_minutes) * MINUTE;
                prop_assert!(step.state.last_window.unwrap().start_ms >= until);
            }
        }
    }

    /// NoData under `hold` holds and leaves every breaker and stage counter
    /// as it was: it neither counts as a breach nor resets the count.
    #[test]
    fn nodata_under_hold_changes_no_counter(cfg in config(true), t in timeline(100)) {
        let cfg = Config { nodata: NoDataPolicy::Hold, ..cfg };
        let c = Controller::new(cfg).unwrap();
        for (before, step) in run(&c, &windows(&t)) {
            if step.verdict == Verdict::NoData && matches!(before.phase, Phase::Stage(_) | Phase::Stable) {
                prop_assert_eq!(step.decision, Decision::Hold);
                prop_assert_eq!(main_rule(&step), Rule::NoDataHeld);
                let s = &step.state;
                prop_assert_eq!(s.consecutive_breaches, before.consecutive_breaches);
                prop_assert_eq!(&s.recent, &before.recent);
                prop_assert_eq!(s.passes_at_stage, before.passes_at_stage);
                prop_assert_eq!(s.phase, before.phase);
            }
        }
    }

    /// Replaying a recorded decision log (window and decision time, as JSON)
    /// from the initial state reproduces every recorded state digest and the
    /// final state. Refused windows (duplicates, time going backwards) are
    /// not recorded and change nothing.
    #[test]
    fn replaying_a_decision_log_reproduces_the_state(
        cfg in prop_oneof![config(false), config(true)],
        t in timeline(120),
        rejects in proptest::collection::vec((any::<bool>(), 0usize..200), 0..6),
    ) {
        let c = Controller::new(cfg).unwrap();
        let ws = windows(&t);
        let mut s = c.initial_state();
        let mut log: Vec<String> = Vec::new();
        for (i, w) in ws.iter().enumerate() {
            // Now and then, replay a bad window first: it must be refused.
            for &(dup, _) in rejects.iter().filter(|(_, at)| *at == i) {
                if let Some(last) = s.last_window {
                    let bad = WindowReport {
                        start_ms: if dup { last.start_ms } else { last.end_ms - MINUTE },
                        end_ms: if dup { last.end_ms } else { last.end_ms - MINUTE + 15 * MINUTE },
                        ..*w
                    };
                    let err = c.step(&s, &bad, bad.end_ms).unwrap_err();
                    let want = if dup { RolloutErrorKind::DuplicateWindow } else { RolloutErrorKind::TimeWentBackwards };
                    prop_assert_eq!(err.kind(), want);
                }
            }
            let now = w.end_ms + (i as i64 % 3) * MINUTE;
            let step = c.step(&s, w, now).unwrap();
            log.push(serde_json::json!({"window": w, "now_ms": now, "state_sha256": step.state.digest_hex()}).to_string());
            s = step.state;
        }
        // Replay from the log's text alone.
        let mut r = c.initial_state();
        for line in &log {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let w: WindowReport = serde_json::from_value(v["window"].clone()).unwrap();
            r = c.step(&r, &w, v["now_ms"].as_i64().unwrap()).unwrap().state;
            prop_assert_eq!(r.digest_hex(), v["state_sha256"].as_str().unwrap());
        }
        prop_assert_eq!(&r, &s);
        let pairs: Vec<(WindowReport, i64)> = log.iter().map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (serde_json::from_value(v["window"].clone()).unwrap(), v["now_ms"].as_i64().unwrap())
        }).collect();
        prop_assert_eq!(c.replay(&c.initial_state(), pairs.iter().map(|(w, n)| (w, *n))).unwrap(), s.clone());
        // The state survives its own JSON.
        let back: State = serde_json::from_str(&s.to_json()).unwrap();
        prop_assert_eq!(back, s);
    }
}
