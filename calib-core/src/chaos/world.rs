//! The world every scenario starts from: the healthy ranker, its traffic,
//! the candidate fitted on it, the baseline window, ĉ and the rollout at
//! its first stage (see the suite's docs).

use super::{measure, window_report};
use crate::error::Result;
use crate::gate::GateKind;
use crate::model::{FitConfig, Model, fit_model};
use crate::monitor::{MonitorConfig, WindowStorage, WindowSummary};
use crate::rng::SeededRng;
use crate::rollout::{Config, Controller, Phase, State};
use crate::tolerance::{BootstrapOptions, GOVERNANCE_MIN_SAMPLES, bootstrap_c_hat};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The suite's default seed.
pub const DEFAULT_SEED: u64 = 2026;
/// Rows of every window (and of the baseline): large enough that two
/// healthy windows' AECEs differ by far less than the 0.01 drift limit.
pub const WINDOW_ROWS: usize = 50_000;
/// Items per query.
pub const ITEMS_PER_QUERY: usize = 20;
/// Rows the candidate is fitted on.
pub const TRAIN_ROWS: usize = 20_000;
/// Window length (the rollout's default, 15 minutes).
pub const WINDOW_MS: i64 = 15 * 60_000;
/// Start of the pre-flight window: 2026-03-02T00:00:00Z.
pub const T0_MS: i64 = 1_772_409_600_000;

pub(super) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-z))
}

/// The healthy ranker's relevance probability for latent `z`.
pub(super) fn truth(z: f64) -> f64 {
    sigmoid(1.4 * z - 0.5)
}

/// Rows of one window: raw scores and labels (queries are consecutive
/// blocks of [`ITEMS_PER_QUERY`] rows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Raw scores (may be anything a hostile ranker sends).
    pub scores: Vec<f64>,
    /// Labels in [0, 1].
    pub labels: Vec<f64>,
    /// Latent `z` of each row (for scenarios that rewrite scores or labels).
    pub latent: Vec<f64>,
}

impl Batch {
    /// `n` rows of healthy traffic.
    pub fn healthy(rng: &mut SeededRng, n: usize) -> Batch {
        let mut b = Batch::default();
        for _ in 0..n {
            let z = -0.2 + 1.1 * rng.normal();
            b.scores.push(sigmoid(z));
            b.labels.push(rng.bernoulli(truth(z)));
            b.latent.push(z);
        }
        b
    }
}

/// What every scenario starts from (see the module docs).
#[derive(Debug, Clone)]
pub struct World {
    /// The suite's seed.
    pub seed: u64,
    /// The calibrator under test.
    pub candidate: Model,
    /// The model it replaces (the candidate itself; see the module docs).
    pub incumbent: Model,
    /// The monitor's settings (calib's defaults).
    pub monitor: MonitorConfig,
    /// The rollout config (defaults; 2 windows per stage; p99 dry-run).
    pub rollout: Config,
    /// The healthy baseline window.
    pub baseline: WindowSummary,
    /// ĉ bootstrapped on the baseline's calibrated probabilities.
    pub c_hat: f64,
    /// The rollout after the pre-flight window: at the first stage.
    pub state: State,
    /// Query ids `q0, q1, …` for one window's rows.
    pub(super) query_ids: Vec<String>,
}

impl World {
    /// Builds the world of `seed`.
    pub fn new(seed: u64) -> Result<World> {
        let mut rng = SeededRng::new(seed);
        let train = Batch::healthy(&mut rng, TRAIN_ROWS);
        let cfg = FitConfig { strict: true, ..FitConfig::default() };
        let candidate = fit_model::<&str>(&train.scores, &train.labels, None, None, &cfg)?;
        let monitor = MonitorConfig::default();
        let rollout =
            Config { min_windows_per_stage: 2, dry_run_gates: vec![GateKind::P99Latency], ..Config::default() };
        let query_ids = (0..WINDOW_ROWS.div_ceil(ITEMS_PER_QUERY)).map(|q| format!("q{q}")).collect();
        let mut world = World {
            seed,
            incumbent: candidate.clone(),
            candidate,
            monitor,
            rollout,
            baseline: zero_summary(),
            c_hat: 0.0,
            state: State::new(),
            query_ids,
        };
        let base = Batch::healthy(&mut rng, WINDOW_ROWS);
        let mut storage = WindowStorage::new(&world.monitor)?;
        let measured = measure(&world, &mut storage, &base)?;
        world.baseline = measured.summary;
        let probs: Vec<f64> = measured.outputs.iter().flatten().copied().take(GOVERNANCE_MIN_SAMPLES).collect();
        let opts = BootstrapOptions { seed, bins: world.monitor.bins, ..BootstrapOptions::default() };
        world.c_hat = bootstrap_c_hat(&probs, &opts)?.0;
        let controller = Controller::new(world.rollout.clone()).map_err(|_| invalid("chaos rollout config"))?;
        let preflight = Batch::healthy(&mut rng, WINDOW_ROWS);
        let m = measure(&world, &mut storage, &preflight)?;
        let report = window_report(&world, &m, T0_MS)?;
        let step = controller.step(&world.state, &report, report.end_ms).map_err(|_| invalid("pre-flight window"))?;
        world.state = step.state;
        if world.state.phase != Phase::Stage(world.rollout.stages[0]) {
            return Err(invalid("healthy pre-flight window (it did not start the rollout)"));
        }
        Ok(world)
    }
}

pub(super) fn invalid(what: &'static str) -> crate::Error {
    crate::Error::new(crate::ErrorKind::InvalidParameter, what)
}

fn zero_summary() -> WindowSummary {
    WindowSummary {
        scores: 0,
        out_of_range: 0,
        non_finite: 0,
        refused: 0,
        clamp_rate: 0.0,
        calibrated: 0,
        sampled: 0,
        positive_rate: None,
        probability_sum: 0.0,
        mean_probability: None,
        brier: None,
        aece: None,
        dece: None,
        bins_requested: 0,
        bins_left: 0,
        merged_bin_percent: None,
    }
}
