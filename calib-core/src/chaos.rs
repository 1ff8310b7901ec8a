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
//!
//! # Layout
//!
//! One concept a file, all re-exported here (`calib_core::chaos::X`):
//! `world` (the healthy world and its traffic), `measure` (a batch through
//! the monitor, and its window to the controller), `scenarios` (what a
//! scenario is, and the catalogue), `lab` (the bench a scenario plays on),
//! `run` (a scenario or the suite, judged) and `report` (expected and
//! observed outcomes).
//!
//! [`WindowReport::measure`]: crate::rollout::WindowReport::measure

mod lab;
mod measure;
mod report;
mod run;
mod scenarios;
mod world;

pub use lab::Lab;
pub use measure::{Measured, measure, window_report};
pub use report::{Expected, Observed, RolloutOutcome, ScenarioOutcome, SuiteReport, WindowLog};
pub use run::{run_scenario, run_suite};
pub use scenarios::{SCENARIOS, Scenario};
pub use world::{Batch, DEFAULT_SEED, ITEMS_PER_QUERY, T0_MS, TRAIN_ROWS, WINDOW_MS, WINDOW_ROWS, World};
