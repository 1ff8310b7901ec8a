//! The simulated staged rollout: generated 15-minute windows of traffic,
//! each measured the way a live deployment measures it, decided by
//! calib-core's rollout controller, and logged to the audit chain.
//!
//! A window's measurements are calib-core's `WindowReport::measure`, on
//! what this module gathers as a live canary would: the candidate's
//! probabilities as its drift-monitor window (`monitor::Window`, K
//! equal-mass bins) served them, the incumbent's, the rows' labels and
//! queries, and the candidate's per-query timings
//! (`gate::measure_latencies`). τ uses the ĉ the verified manifest records
//! — as a live monitor judges a window, rather than a bootstrap per window.

use super::data::{Rows, window_traffic};
use crate::io::CliError;
use calib_core::gate::measure_latencies;
use calib_core::model::Model;
use calib_core::monitor::{MonitorConfig, WindowStorage};
use calib_core::rollout::{Config, Controller, Phase, Reason, Rule, State, WindowReport, WindowTraffic};
use serde_json::json;
use std::path::Path;

/// Length of a window (the rollout config's default).
pub const WINDOW_MS: i64 = 15 * 60_000;
/// A bound on any simulated rollout (the clean one publishes after 113).
pub const MAX_WINDOWS: usize = 300;

/// Labels flipped from the breach on (30 %: AECE far above τ + 0.01).
pub const BREACH_FLIP: f64 = 0.3;
/// The breach starts with this window at its stage (the third at 25 %).
pub const BREACH_STAGE: u32 = 25;
pub const BREACH_AFTER_WINDOWS: u32 = 2;

/// A window as `calib rollout simulate` reads it: the controller's window
/// with its times in RFC 3339 (`start`, `end`) instead of milliseconds.
fn window_json(w: &WindowReport) -> serde_json::Value {
    let mut v = serde_json::to_value(w).expect("a window serialises");
    let m = v.as_object_mut().expect("a window is an object");
    m.remove("start_ms");
    m.remove("end_ms");
    m.insert("start".into(), json!(crate::rollout::format_time(w.start_ms)));
    m.insert("end".into(), json!(crate::rollout::format_time(w.end_ms)));
    v
}

/// One decided window: the phase it left the rollout in and its main rule.
#[derive(Debug, Clone, Copy)]
pub struct Decided {
    pub stage_after: Phase,
    pub rule: Rule,
}

/// What a simulated rollout is made of.
pub struct Simulation<'a> {
    /// `clean` or `breach` (file and record names).
    pub name: &'static str,
    pub candidate: &'a Model,
    pub incumbent: &'a Model,
    /// ĉ (overall) from the verified candidate manifest.
    pub c_hat: f64,
    /// The rollout config.
    pub config: Config,
    /// Rows of traffic per window.
    pub window_rows: usize,
    /// Seed of the traffic.
    pub seed: u64,
    /// Start of the first window (ms since the Unix epoch).
    pub t0_ms: i64,
    /// Flip labels from the third window at 25 % on.
    pub inject_breach: bool,
}

/// How a simulated rollout went.
pub struct Outcome {
    /// The scenario `calib rollout simulate` replays: `{config, windows}`.
    pub scenario: serde_json::Value,
    /// Every decided window.
    pub decided: Vec<Decided>,
    /// The controller's state after the last window.
    pub state: State,
    /// The window the breach was injected from (index), if any.
    pub breach_from: Option<usize>,
    /// Rows and timestamps (RFC 3339) of the windows served at 100 %
    /// (the stable hold): the post-deployment traffic.
    pub full_traffic: (Rows, Vec<String>),
}

fn core(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("simulated rollout: {e}"))
}

/// Measures one window of traffic (see the module docs): the shell scores
/// the rows, feeds the monitor and times the candidate; the measurements
/// are `WindowReport::measure`'s.
fn measure(
    sim: &Simulation<'_>,
    rows: &Rows,
    storage: &mut WindowStorage,
    start_ms: i64,
) -> Result<WindowReport, CliError> {
    let latencies = measure_latencies(sim.candidate, &rows.holdout()).map_err(core)?;
    let mut window = storage.window().map_err(core)?;
    let (mut candidate, mut incumbent) = (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
    for i in 0..rows.len() {
        let class = Some(rows.classes[i]);
        let served = window.observe(&sim.candidate.map(class), rows.scores[i], rows.labels[i]).map_err(core)?;
        candidate.push(served.unwrap_or(f64::NAN));
        incumbent.push(sim.incumbent.map(class).apply(rows.scores[i]).unwrap_or(f64::NAN));
    }
    let summary = window.summary().map_err(core)?;
    WindowReport::measure(&WindowTraffic {
        start_ms,
        end_ms: start_ms + WINDOW_MS,
        candidate: &candidate,
        incumbent: &incumbent,
        labels: &rows.labels,
        query_ids: &rows.query_ids,
        latencies_ms: Some(&latencies),
        monitor: &summary,
        // No baseline window in the simulation: no alerts are evaluated.
        alerts: &[],
        c_hat: sim.c_hat,
    })
    .map_err(core)
}

/// Runs windows through the controller until it publishes, reverts or
/// aborts (or [`MAX_WINDOWS`] pass), appending every decision to `log`.
pub fn simulate(sim: &Simulation<'_>, monitor: &MonitorConfig, log: &Path) -> Result<Outcome, CliError> {
    let controller = Controller::new(sim.config.clone()).map_err(core)?;
    let mut state = controller.initial_state();
    let mut storage = WindowStorage::for_rows(monitor, sim.window_rows).map_err(core)?;
    super::trust::append(
        log,
        "workflow.rollout",
        json!({ "rollout": sim.name, "config": sim.config, "window_rows": sim.window_rows,
                "seed": sim.seed, "inject_breach": sim.inject_breach, "c_hat": sim.c_hat }),
    )?;
    let (mut windows, mut decided) = (Vec::new(), Vec::new());
    let mut breach_from = None;
    let (mut full, mut full_times) = (Rows::default(), Vec::new());
    for i in 0..MAX_WINDOWS {
        let start_ms = sim.t0_ms + i as i64 * WINDOW_MS;
        let at_breach_stage =
            state.phase == Phase::Stage(BREACH_STAGE) && state.windows_at_stage >= BREACH_AFTER_WINDOWS;
        if sim.inject_breach && breach_from.is_none() && at_breach_stage {
            breach_from = Some(i);
        }
        let flip = if breach_from.is_some() { BREACH_FLIP } else { 0.0 };
        let seed = sim.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(i as u64);
        let rows = window_traffic(sim.window_rows, seed, flip, &format!("w{i}q"));
        let report = measure(sim, &rows, &mut storage, start_ms)?;
        let before = state.phase;
        let step = controller.step(&state, &report, report.end_ms).map_err(core)?;
        if before.traffic_percent() == 100 {
            let n = rows.len() as i64;
            full_times.extend((0..n).map(|r| crate::rollout::format_time(start_ms + r * WINDOW_MS / n)));
            full.query_ids.extend(rows.query_ids.iter().cloned());
            full.classes.extend(&rows.classes);
            full.scores.extend(&rows.scores);
            full.labels.extend(&rows.labels);
        }
        let rule = match step.reasons.first() {
            Some(Reason::Rule { rule }) => *rule,
            _ => return Err(core("a decision without its rule")),
        };
        super::trust::append(
            log,
            "workflow.decision",
            json!({ "rollout": sim.name, "index": i, "window": report, "injected": breach_from.is_some(),
                    "stage_before": before.to_string(), "stage_after": step.state.phase.to_string(),
                    "verdict": step.verdict, "decision": step.decision, "reasons": step.reasons,
                    "state_sha256": step.state.digest_hex() }),
        )?;
        windows.push(window_json(&report));
        decided.push(Decided { stage_after: step.state.phase, rule });
        state = step.state;
        if state.phase.is_terminal() || state.phase == Phase::Reverted {
            break;
        }
    }
    let scenario = json!({ "config": sim.config, "windows": windows });
    Ok(Outcome { scenario, decided, state, breach_from, full_traffic: (full, full_times) })
}
