//! The chaos suite: seeded hostile traffic run through the real
//! calibrator, drift monitor and rollout controller, each scenario with the
//! outcome it must produce.
//!
//! # The world every scenario starts from
//!
//! [`World::new`] draws a healthy ranker from the seed (latent
//! `z ~ N(−0.2, 1.1)`, score `sigmoid(z)`, relevance
//! `Bernoulli(sigmoid(1.4·z − 0.5))`, 20 items per query), fits the
//! **candidate** calibrator on 20 000 rows (strict isotonic, so calibrated
//! probabilities never tie and only real pile-ups merge bins), measures a
//! healthy **baseline** window of [`WINDOW_ROWS`] rows with the drift
//! monitor, bootstraps ĉ once on 10 000 of its calibrated probabilities (the
//! governance minimum; τ of every window then uses it, as a live monitor
//! uses the ĉ recorded in the manifest), and takes the rollout from `off` to
//! the 5 % stage with one healthy pre-flight window.
//!
//! The incumbent is the candidate itself: the median-shift and Recall@50
//! gates are measured for real and pass by construction, so every verdict
//! comes from the calibration path under attack. Latency is not what chaos
//! tests (it would make outcomes depend on the machine): `p99_latency` is a
//! dry-run gate in the suite's rollout config.
//!
//! # From a monitored window to the controller
//!
//! [`window_report`] hands a window to [`WindowReport::measure`], the one
//! rule for a window's measurements that the CLI's simulated rollout and a
//! live canary use too. A window whose scores the candidate refused (an
//! `error` policy: a NaN storm) has no AECE, shift or Recall@50 — the gates
//! would say `Error`, which the controller treats as no data. A window
//! whose clamp-rate or merged-bin alert fires at `fail` has no AECE: the
//! AECE the gate is defined by (K equal-mass bins, over scores the map was
//! fitted for) is not what such a window can measure. Both hold the
//! rollout; neither can advance it.
//!
//! # Scenarios
//!
//! Each [`Scenario`] is one function over a [`Lab`] plus its [`Expected`]
//! outcome: exactly which alerts fire (rule and worst severity, over its
//! windows), whether the rollout advances, holds or reverts, and how many
//! windows the controller refuses. Every probability the monitor hands out
//! is checked finite and within [0, 1], and a panic is caught and counted
//! as misbehaviour. To add a scenario, write a function and add a line to
//! [`SCENARIOS`]; its data comes from its own seed (the suite's seed mixed
//! with its name), so it changes no other scenario's.

use crate::error::Result;
use crate::gate::GateKind;
use crate::map::MapRef;
use crate::model::{FitConfig, Model, fit_model};
use crate::monitor::{AlertRule, AlertState, MonitorConfig, Severity, WindowStorage, WindowSummary, evaluate_alerts};
use crate::rng::SeededRng;
use crate::rollout::{Config, Controller, Decision, Phase, State, WindowReport, WindowTraffic};
use crate::tolerance::{BootstrapOptions, GOVERNANCE_MIN_SAMPLES, bootstrap_c_hat};
use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use serde::Serialize;

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

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-z))
}

/// The healthy ranker's relevance probability for latent `z`.
fn truth(z: f64) -> f64 {
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
    query_ids: Vec<String>,
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

fn invalid(what: &'static str) -> crate::Error {
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

/// One window as the monitor saw it.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The monitor's summary.
    pub summary: WindowSummary,
    /// The alerts, against the world's baseline.
    pub alerts: [crate::monitor::Alert; 3],
    /// The candidate's probability for each row (`None`: refused or NaN).
    pub outputs: Vec<Option<f64>>,
    /// The incumbent's.
    pub incumbent: Vec<Option<f64>>,
    /// The rows' labels.
    pub labels: Vec<f64>,
    /// Probabilities outside [0, 1] or not finite that the monitor refused.
    pub bad_outputs: u64,
}

/// Runs a batch through the candidate (with the drift monitor) and the incumbent.
pub fn measure(world: &World, storage: &mut WindowStorage, batch: &Batch) -> Result<Measured> {
    let mut w = storage.window()?;
    let cand = world.candidate.global_map();
    let inc: MapRef<'_> = world.incumbent.global_map();
    let mut outputs = Vec::with_capacity(batch.scores.len());
    let mut incumbent = Vec::with_capacity(batch.scores.len());
    let mut bad = 0u64;
    for (&s, &y) in batch.scores.iter().zip(&batch.labels) {
        match w.observe(&cand, s, y) {
            Ok(p) => outputs.push(p),
            Err(_) => {
                bad += 1;
                outputs.push(None);
            }
        }
        incumbent.push(inc.apply(s).ok().filter(|p| p.is_finite()));
    }
    let summary = w.summary()?;
    let alerts = evaluate_alerts(&summary, Some(&world.baseline), &world.monitor.alerts);
    Ok(Measured { summary, alerts, outputs, incumbent, labels: batch.labels.clone(), bad_outputs: bad })
}

/// The controller's window for a monitored window starting at `start_ms`:
/// the world's traffic handed to [`WindowReport::measure`], without timings
/// (latency is not what chaos tests), against the world's ĉ (see the module
/// docs for which measurements a window lacks).
pub fn window_report(world: &World, m: &Measured, start_ms: i64) -> Result<WindowReport> {
    let served = |p: &[Option<f64>]| -> Vec<f64> { p.iter().map(|p| p.unwrap_or(f64::NAN)).collect() };
    let (candidate, incumbent) = (served(&m.outputs), served(&m.incumbent));
    // Queries are consecutive blocks of ITEMS_PER_QUERY rows.
    let query_ids: Vec<Cow<'_, str>> = (0..m.outputs.len())
        .map(|i| match world.query_ids.get(i / ITEMS_PER_QUERY) {
            Some(q) => Cow::Borrowed(q.as_str()),
            None => Cow::Owned(format!("q{}", i / ITEMS_PER_QUERY)),
        })
        .collect();
    WindowReport::measure(&WindowTraffic {
        start_ms,
        end_ms: start_ms + WINDOW_MS,
        candidate: &candidate,
        incumbent: &incumbent,
        labels: &m.labels,
        query_ids: &query_ids,
        latencies_ms: None,
        monitor: &m.summary,
        alerts: &m.alerts,
        c_hat: world.c_hat,
    })
}

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

/// One scenario: a name, what it does, its expected outcome and the function
/// that plays it.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Short name (`nan_storm`).
    pub name: &'static str,
    /// One line on what it does.
    pub description: &'static str,
    /// What must happen.
    pub expected: Expected,
    /// Plays the scenario's windows on the lab.
    pub run: fn(&mut Lab<'_>) -> Result<()>,
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
    /// Every scenario, in [`SCENARIOS`] order.
    pub scenarios: Vec<ScenarioOutcome>,
    /// Scenarios that behaved as stated.
    pub behaved: usize,
    /// Scenarios run.
    pub total: usize,
    /// `behaved / total`: the resilience score.
    pub resilience_score: f64,
}

/// The bench a scenario plays on: it generates traffic, runs it through the
/// monitor and the controller, and records what happened.
pub struct Lab<'w> {
    world: &'w World,
    /// The scenario's own generator.
    pub rng: SeededRng,
    storage: WindowStorage,
    controller: Controller,
    state: State,
    slot: i64,
    last: Option<WindowReport>,
    fired: BTreeMap<AlertRule, Severity>,
    decisions: Vec<Decision>,
    refused: usize,
    outputs: u64,
    bad_outputs: u64,
    windows: Vec<WindowLog>,
    problems: Vec<String>,
}

impl<'w> Lab<'w> {
    fn new(world: &'w World, name: &str) -> Result<Lab<'w>> {
        // FNV-1a of the name: each scenario draws from its own stream.
        let mix = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Ok(Lab {
            world,
            rng: SeededRng::new(world.seed ^ mix),
            storage: WindowStorage::new(&world.monitor)?,
            controller: Controller::new(world.rollout.clone()).map_err(|_| invalid("chaos rollout config"))?,
            state: world.state.clone(),
            slot: 0,
            last: None,
            fired: BTreeMap::new(),
            decisions: Vec::new(),
            refused: 0,
            outputs: 0,
            bad_outputs: 0,
            windows: Vec::new(),
            problems: Vec::new(),
        })
    }

    /// The world.
    pub fn world(&self) -> &'w World {
        self.world
    }

    /// `n` rows of healthy traffic from the scenario's generator.
    pub fn healthy(&mut self, n: usize) -> Batch {
        Batch::healthy(&mut self.rng, n)
    }

    /// Records a failed scenario-specific check.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(what());
        }
    }

    fn start_of(&self, slot: i64) -> i64 {
        T0_MS + slot * WINDOW_MS
    }

    /// Monitors `batch` in the next time slot and sends its window to the
    /// controller, decided at the window's end. Returns the monitor's view.
    pub fn window(&mut self, batch: &Batch) -> Result<Measured> {
        self.slot += 1;
        let start = self.start_of(self.slot);
        self.play(batch, "rows", start, start + WINDOW_MS)
    }

    /// Runs `batch` through the monitor only (no time slot, no controller).
    pub fn measure(&mut self, batch: &Batch) -> Result<Measured> {
        measure(self.world, &mut self.storage, batch)
    }

    /// A window that never arrives: its slot passes with nothing sent.
    pub fn missing(&mut self) {
        self.slot += 1;
        self.windows.push(WindowLog {
            slot: self.slot,
            kind: "missing",
            scores: 0,
            clamp_rate: 0.0,
            aece: None,
            merged_bin_percent: None,
            alerts: Vec::new(),
            decision: "-".into(),
        });
    }

    /// A window whose clock runs `skew_ms` behind: it claims to start that
    /// long before the slot after the last window.
    pub fn skewed(&mut self, batch: &Batch, skew_ms: i64) -> Result<Measured> {
        let start = self.start_of(self.slot + 1) - skew_ms;
        self.play(batch, "skewed", start, start + WINDOW_MS)
    }

    /// A window whose clock runs ahead: it is decided a minute before it ends.
    pub fn future(&mut self, batch: &Batch) -> Result<Measured> {
        let start = self.start_of(self.slot + 1);
        self.play(batch, "future", start, start + WINDOW_MS - 60_000)
    }

    /// The last window, delivered again (at-least-once delivery).
    pub fn duplicate(&mut self) {
        let Some(w) = self.last else { return };
        let log = self.windows.iter().rev().find(|l| l.kind == "rows").cloned();
        let (decision, _) = self.decide(&w, w.end_ms);
        let mut log = log.unwrap_or_else(|| self.windows[self.windows.len() - 1].clone());
        log.kind = "duplicate";
        log.decision = decision;
        self.windows.push(log);
    }

    fn play(&mut self, batch: &Batch, kind: &'static str, start: i64, now: i64) -> Result<Measured> {
        let m = measure(self.world, &mut self.storage, batch)?;
        for p in m.outputs.iter().flatten() {
            self.outputs += 1;
            if !(p.is_finite() && (0.0..=1.0).contains(p)) {
                self.bad_outputs += 1;
            }
        }
        self.bad_outputs += m.bad_outputs;
        let mut alerts = Vec::new();
        for a in m.alerts.iter().filter(|a| a.state == AlertState::Firing) {
            let sev = a.severity.unwrap_or(Severity::Fail);
            alerts.push(format!("{}:{}", a.rule.name(), sev.name()));
            let e = self.fired.entry(a.rule).or_insert(sev);
            *e = (*e).max(sev);
        }
        let report = window_report(self.world, &m, start)?;
        let (decision, accepted) = self.decide(&report, now);
        if accepted && kind == "rows" {
            self.last = Some(report);
        }
        let s = &m.summary;
        self.windows.push(WindowLog {
            slot: self.slot,
            kind,
            scores: s.scores,
            clamp_rate: s.clamp_rate,
            aece: s.aece,
            merged_bin_percent: s.merged_bin_percent,
            alerts,
            decision,
        });
        Ok(m)
    }

    fn decide(&mut self, report: &WindowReport, now: i64) -> (String, bool) {
        match self.controller.step(&self.state, report, now) {
            Ok(step) => {
                self.state = step.state;
                self.decisions.push(step.decision);
                (step.decision.name().to_string(), true)
            }
            Err(e) => {
                self.refused += 1;
                (format!("refused:{}", e.code()), false)
            }
        }
    }

    fn observed(&self) -> Observed {
        let rollout = if self.decisions.iter().any(|d| matches!(d, Decision::Revert { .. })) {
            RolloutOutcome::Revert
        } else if self.decisions.iter().any(|d| matches!(d, Decision::Advance { .. } | Decision::Publish)) {
            RolloutOutcome::Advance
        } else {
            RolloutOutcome::Hold
        };
        Observed {
            alerts: self.fired.iter().map(|(r, s)| (*r, *s)).collect(),
            rollout,
            refused: self.refused,
            outputs: self.outputs,
            bad_outputs: self.bad_outputs,
            final_phase: self.state.phase.to_string(),
        }
    }
}

/// Runs one scenario on `world`: a panic, an error or any difference from
/// the expected outcome makes it misbehave.
pub fn run_scenario(world: &World, scenario: &Scenario) -> ScenarioOutcome {
    let played = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut lab = Lab::new(world, scenario.name)?;
        (scenario.run)(&mut lab)?;
        Ok::<_, crate::Error>(lab)
    }));
    let mut out = ScenarioOutcome {
        name: scenario.name,
        description: scenario.description,
        expected: scenario.expected,
        observed: None,
        windows: Vec::new(),
        behaved: false,
        problems: Vec::new(),
    };
    let lab = match played {
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string panic".into());
            out.problems.push(format!("panicked: {msg}"));
            return out;
        }
        Ok(Err(e)) => {
            out.problems.push(format!("failed: {e}"));
            return out;
        }
        Ok(Ok(lab)) => lab,
    };
    let obs = lab.observed();
    let e = &scenario.expected;
    let mut problems = lab.problems.clone();
    if obs.alerts != e.alerts {
        let names = |a: &[(AlertRule, Severity)]| -> String {
            let v: Vec<String> = a.iter().map(|(r, s)| format!("{}:{}", r.name(), s.name())).collect();
            if v.is_empty() { "none".into() } else { v.join(", ") }
        };
        problems.push(format!("alerts fired: {}; expected: {}", names(&obs.alerts), names(e.alerts)));
    }
    if obs.rollout != e.rollout {
        problems.push(format!("rollout {:?}; expected {:?}", obs.rollout, e.rollout));
    }
    if obs.refused != e.refused {
        problems.push(format!("{} window(s) refused; expected {}", obs.refused, e.refused));
    }
    if obs.bad_outputs > 0 {
        problems.push(format!("{} probabilities not finite or outside [0, 1]", obs.bad_outputs));
    }
    out.behaved = problems.is_empty();
    out.problems = problems;
    out.observed = Some(obs);
    out.windows = lab.windows;
    out
}

/// Runs `scenarios` on the world of `seed`.
pub fn run_suite(seed: u64, scenarios: &[Scenario]) -> Result<SuiteReport> {
    let world = World::new(seed)?;
    let outcomes: Vec<ScenarioOutcome> = scenarios.iter().map(|s| run_scenario(&world, s)).collect();
    let behaved = outcomes.iter().filter(|o| o.behaved).count();
    let total = outcomes.len();
    Ok(SuiteReport {
        seed,
        c_hat: world.c_hat,
        scenarios: outcomes,
        behaved,
        total,
        resilience_score: if total == 0 { 1.0 } else { behaved as f64 / total as f64 },
    })
}

mod scenarios;
pub use scenarios::SCENARIOS;
