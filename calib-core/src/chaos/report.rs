//! What a scenario must do, and what the suite reports it did.

use crate::monitor::{AlertRule, Severity};
use alloc::string::String;
use alloc::vec::Vec;
use serde::Serialize;

/// How the rollout must end up over a scenario's windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutOutcome {
    /// It moved on to a later stage (the healthy control).
    Advance,
    /// Every window held (or was refused): no advance, no revert.
    Hold,
    /// The breaker tripped: 0 % traffic.
    Revert,
}

/// A scenario's stated outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Expected {
    /// Exactly the alerts that fire, each with the worst severity it reaches.
    pub alerts: &'static [(AlertRule, Severity)],
    /// The rollout's outcome.
    pub rollout: RolloutOutcome,
    /// Windows the controller must refuse.
    pub refused: usize,
}

/// What happened to one window of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowLog {
    /// Position of its time slot after the pre-flight window (1-based).
    pub slot: i64,
    /// `rows`, `missing`, `skewed`, `future` or `duplicate`.
    pub kind: &'static str,
    /// Scores in it.
    pub scores: u64,
    /// Its clamp rate.
    pub clamp_rate: f64,
    /// Its AECE.
    pub aece: Option<f64>,
    /// Its merged-bin %.
    pub merged_bin_percent: Option<f64>,
    /// Alerts that fired, as `rule:severity`.
    pub alerts: Vec<String>,
    /// The controller's decision, or `refused:<code>`; `-` for a missing window.
    pub decision: String,
}

/// What a scenario did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    /// Alerts that fired, each with the worst severity it reached.
    pub alerts: Vec<(AlertRule, Severity)>,
    /// The rollout's outcome.
    pub rollout: RolloutOutcome,
    /// Windows the controller refused.
    pub refused: usize,
    /// Probabilities handed out (all checked finite and in [0, 1]).
    pub outputs: u64,
    /// Probabilities that were not finite or outside [0, 1].
    pub bad_outputs: u64,
    /// The phase the rollout ended in.
    pub final_phase: String,
}

/// A scenario's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioOutcome {
    /// The scenario's name.
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    /// What had to happen.
    pub expected: Expected,
    /// What happened (`None` if it panicked or failed before the end).
    pub observed: Option<Observed>,
    /// Its windows.
    pub windows: Vec<WindowLog>,
    /// Whether it behaved as stated.
    pub behaved: bool,
    /// Every difference from the expected outcome, a failed check, or the panic.
    pub problems: Vec<String>,
}

/// The whole suite's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteReport {
    /// The seed.
    pub seed: u64,
    /// ĉ of the world's baseline.
    pub c_hat: f64,
    /// Every scenario, in [`SCENARIOS`](super::SCENARIOS) order.
    pub scenarios: Vec<ScenarioOutcome>,
    /// Scenarios that behaved as stated.
    pub behaved: usize,
    /// Scenarios run.
    pub total: usize,
    /// `behaved / total`: the resilience score.
    pub resilience_score: f64,
}
