//! # calib-core
//!
//! The numeric core of calib: it turns a ranker's raw scores into
//! probabilities that mean what they say, and measures how well they do.
//! Every runtime calib ships — the Rust serving binary, the Python module,
//! the Node addon, the WASM module — links this crate, so all of them give
//! the same bits for the same input. Around that core it holds every rule
//! the deployment workflow decides by: the SLA gates, signed manifests, the
//! staged rollout, drift monitoring, mergeable sketches, the chaos suite and
//! quarterly governance. The `calib` command line, the serving example and
//! the bindings call these functions instead of deciding for themselves.
//!
//! ## Contents
//!
//! The capabilities in the order a calibrator lives through them. Each
//! section below says what the capability is for and shows it in a short
//! example; every example is a doctest that runs and checks its result
//! (those of a capability behind a feature run when the feature is on, and
//! `cargo test` of the workspace turns every feature on).
//!
//! 1. [**Fit**](#fit) a map from logged scores and labels: isotonic or
//!    histogram, one global map plus one per query class — [`model`],
//!    [`isotonic`], [`histogram`], [`binning`].
//! 2. [**Serve**](#serve) it: apply a map to scores without allocating or
//!    panicking — [`map`].
//! 3. [**Measure**](#measure) calibration: ECE, AECE, MCE, debiased ECE,
//!    Brier, log-loss, and the tolerance τ with its bootstrapped ĉ —
//!    [`metrics`], [`tolerance`].
//! 4. [**Gates**](#gates): judge a candidate against the incumbent on a
//!    holdout by calib's four SLA gates — [`gate`] (feature `gate`).
//! 5. [**Manifests**](#manifests): sign what passed, and load only what a
//!    trusted key signed — [`manifest`][mod-manifest] (feature `manifest`).
//! 6. [**Rollout**](#rollout): the staged canary controller and its circuit
//!    breaker, a pure step function, and its crash-safe store —
//!    [`rollout`][mod-rollout] (features `rollout`, `rollout-store`).
//! 7. [**Monitor**](#monitor) live traffic: streaming windows, drift alerts,
//!    Prometheus text — [`monitor`][mod-monitor] (feature `monitor`).
//! 8. [**Sketches**](#sketches): exact, mergeable fit statistics, so a fit
//!    runs where the data lives — [`sketch`][mod-sketch] (feature `sketch`).
//! 9. [**Chaos**](#chaos): hostile traffic through the real calibrator,
//!    monitor and controller, each scenario with its required outcome —
//!    [`chaos`][mod-chaos] (feature `chaos`).
//! 10. [**Governance**](#governance): the quarterly re-fit per class with
//!     fresh ĉ and τ, and the evidence for review —
//!     [`governance`][mod-governance] (feature `governance`).
//!
//! Then: [the features](#features), [the error model](#errors) and
//! [determinism](#determinism).
//!
//! ## Fit
//!
//! [`model::fit_model`] fits the global map on every row and one map per
//! query class with at least `min_class_samples` rows, by
//! pool-adjacent-violators with scikit-learn's exact semantics (or its
//! strict, rank-preserving variant), or by histogram binning with the K
//! policy. [`isotonic::fit`] and [`histogram::fit`] fit one map; without
//! `alloc` they run on caller buffers.
//!
//! ```
//! use calib_core::model::{FitConfig, Method, Model, fit_model};
//! use calib_core::synthetic::{DEMO_CLASSES, demo_dataset};
//!
//! // The demo's seeded rows: three query classes, each miscalibrated its own way.
//! let data = demo_dataset(30_000, 7);
//! let classes: Vec<&str> = data.class.iter().map(|&c| DEMO_CLASSES[c as usize]).collect();
//! let cfg = FitConfig { min_class_samples: 2_000, ..FitConfig::default() };
//! let model = fit_model(&data.score, &data.label, None, Some(&classes), &cfg)?;
//!
//! assert_eq!(model.file().method, Method::Isotonic);
//! assert_eq!(model.classes().count(), 3);
//! // An isotonic map never decreases.
//! assert!(model.file().global.y.windows(2).all(|w| w[0] <= w[1]));
//! // The JSON model format is what the CLI and the bindings read.
//! let again = Model::from_json(&model.to_json())?;
//! assert_eq!(again.apply(Some("navigational"), 0.7)?, model.apply(Some("navigational"), 0.7)?);
//! # Ok::<(), calib_core::Error>(())
//! ```
//!
//! ## Serve
//!
//! A [`MapRef`](map::MapRef) borrows breakpoints (from a
//! [`Model`](model::Model), or from any table) and applies them by linear
//! interpolation, as `numpy.interp` does. Applying never allocates and
//! never panics: batches go into the caller's buffer, and out-of-range and
//! non-finite scores follow the policies of
//! [`ApplyOptions`](map::ApplyOptions) and are counted in
//! [`ApplyStats`](map::ApplyStats), the input of the clamp rate. This part
//! needs no allocator.
//!
//! ```
//! use calib_core::map::{ApplyOptions, ApplyStats, MapRef, OutOfBounds};
//!
//! let (xs, ys) = ([0.25, 0.5, 0.75], [0.125, 0.25, 0.75]);
//! let map = MapRef::new(&xs, &ys, ApplyOptions::default())?;
//! assert_eq!(map.apply(0.625)?, 0.5); // halfway between two breakpoints
//!
//! // A batch: two of the four scores are outside [0.25, 0.75], clipped and counted.
//! let mut out = [0.0; 4];
//! let mut stats = ApplyStats::default();
//! map.apply_batch(&[0.0, 0.5, 0.75, 1.0], &mut out, &mut stats)?;
//! assert_eq!(out, [0.125, 0.25, 0.75, 0.75]);
//! assert_eq!(stats.clamp_rate(), 0.5);
//!
//! // Another policy: NaN instead of the end value.
//! let options = ApplyOptions { out_of_bounds: OutOfBounds::Nan, ..ApplyOptions::default() };
//! assert!(MapRef::new(&xs, &ys, options)?.apply(0.9)?.is_nan());
//! # Ok::<(), calib_core::Error>(())
//! ```
//!
//! ## Measure
//!
//! [`metrics::evaluate`] gives every metric of a set of probabilities over
//! K bins (equal-width for ECE and MCE, equal-mass for AECE and debiased
//! ECE); [`metrics::evaluate_by_class`] does so per class. How much AECE is
//! chance: [`tolerance::bootstrap_c_hat`] bootstraps ĉ from the calibrated
//! probabilities, and [`tolerance::tau`] turns it into the tolerance
//! `τ(N, K) = max(0.015, ĉ·√(K/N))` that the AECE gate allows.
//!
//! ```
//! use calib_core::metrics::evaluate;
//! use calib_core::rng::SeededRng;
//! use calib_core::tolerance::{BootstrapOptions, bootstrap_c_hat, tau};
//!
//! // Labels drawn from the probabilities themselves: calibrated by construction.
//! let mut rng = SeededRng::new(1);
//! let probs: Vec<f64> = (0..20_000).map(|_| rng.uniform()).collect();
//! let labels: Vec<f64> = probs.iter().map(|&p| rng.bernoulli(p)).collect();
//! let m = evaluate(&probs, &labels, None, 15)?;
//!
//! let (c_hat, _) = bootstrap_c_hat(&probs, &BootstrapOptions::default())?;
//! let tolerance = tau(m.n, 15, c_hat);
//! assert!(m.aece <= tolerance, "AECE {} within τ {tolerance}", m.aece);
//!
//! // An over-confident ranker (true rate p², reported p) is far outside it.
//! let worse: Vec<f64> = probs.iter().map(|&p| rng.bernoulli(p * p)).collect();
//! assert!(evaluate(&probs, &worse, None, 15)?.aece > 5.0 * tolerance);
//! # Ok::<(), calib_core::Error>(())
//! ```
//!
//! ## Gates
//!
//! A candidate reaches production only through calib's four SLA gates,
//! measured on a holdout against the incumbent: p99 latency, AECE excess
//! over τ, the median confidence shift and ΔRecall@50. Each gate's
//! [`Verdict`](gate::Verdict) is `Pass`, `NoData`, `Error` or `Breach`, and
//! a report's verdict is the worst of them: missing data is never a pass.
//! `gate::evaluate_gates` writes the `GateReport` a manifest carries;
//! `gate::evaluate_holdout` (with `std`) also times the candidate.
//!
#![cfg_attr(feature = "gate", doc = "```")]
#![cfg_attr(not(feature = "gate"), doc = "```ignore")]
//! use calib_core::gate::{GateConfig, GateKind, Holdout, Latencies, Verdict, evaluate_gates};
//! use calib_core::model::{FitConfig, fit_model};
//! use calib_core::synthetic::demo_dataset;
//!
//! let d = demo_dataset(20_000, 3);
//! let split = |train: bool| -> Vec<usize> { (0..d.score.len()).filter(|&i| d.train[i] == train).collect() };
//! let pick = |v: &[f64], rows: &[usize]| -> Vec<f64> { rows.iter().map(|&i| v[i]).collect() };
//! let (fit, held) = (split(true), split(false));
//! let (scores, labels) = (pick(&d.score, &fit), pick(&d.label, &fit));
//! let candidate = fit_model::<&str>(&scores, &labels, None, None, &FitConfig::default())?;
//!
//! let queries: Vec<String> = held.iter().map(|&i| d.query_id[i].to_string()).collect();
//! let (scores, labels) = (pick(&d.score, &held), pick(&d.label, &held));
//! let holdout = Holdout { query_ids: &queries, scores: &scores, labels: &labels, classes: None::<&[&str]> };
//! // Against itself every measured gate passes; no timings were given.
//! let report = evaluate_gates(&candidate, &candidate, &holdout, &GateConfig::default(), Latencies::Missing)?;
//! assert_eq!(report.gate(GateKind::MedianShift).map(|g| g.verdict), Some(Verdict::Pass));
//! assert_eq!(report.gate(GateKind::P99Latency).map(|g| g.verdict), Some(Verdict::NoData));
//! assert_eq!(report.verdict, Verdict::NoData);
//! # Ok::<(), calib_core::Error>(())
//! ```
//!
//! ## Manifests
//!
//! A manifest is an in-toto Statement in a DSSE envelope, signed with
//! Ed25519: it names the model by the SHA-256 of its canonical bytes, the
//! core that computed it, the gate report it passed and its expiry. The
//! loader `Calibrator::from_manifest` ([`manifest`][mod-manifest]) verifies
//! the signatures before it parses anything, checks the model bytes against
//! the manifest and the version against the `TrustState` (no rollback), and
//! only then hands out a calibrator.
//!
#![cfg_attr(feature = "manifest", doc = "```")]
#![cfg_attr(not(feature = "manifest"), doc = "```ignore")]
//! use calib_core::manifest::{
//!     Calibrator, ManifestErrorKind, ManifestSpec, SecretKey, TrustPolicy, TrustState, build_statement, sign,
//! };
//! use calib_core::model::{FitConfig, fit_model};
//! use time::{Duration, OffsetDateTime};
//!
//! let model = fit_model::<&str>(&[0.1, 0.4, 0.6, 0.9], &[0.0, 0.0, 1.0, 1.0], None, None, &FitConfig::default())?;
//! let key = SecretKey::from_seed(&[7; 32]);
//! let created = OffsetDateTime::from_unix_timestamp(1_772_409_600)?; // 2026-03-02
//! let spec = ManifestSpec {
//!     model: &model,
//!     wasm: None,
//!     gate_report: None,
//!     version: 1,
//!     created,
//!     expires: created + Duration::days(90),
//!     parent: None,
//! };
//! let envelope = sign(&build_statement(&spec)?, &[&key])?;
//!
//! // This loader trusts the key (and, unlike the default policy, takes a
//! // manifest without a gate report, to keep the example short).
//! let mut policy = TrustPolicy::single(key.public_key());
//! policy.require_gate_report = false;
//! let mut state = TrustState::default();
//! let (now, bytes) = (created + Duration::days(1), model.to_json());
//! let calibrator = Calibrator::from_manifest_at(&envelope, bytes.as_bytes(), &policy, &mut state, now)?;
//! assert_eq!(calibrator.apply(None, 0.6)?, model.apply(None, 0.6)?);
//! assert_eq!(state.version, 1);
//!
//! // A loader that trusts another key refuses it and learns nothing.
//! let stranger = TrustPolicy::single(SecretKey::from_seed(&[8; 32]).public_key());
//! let mut fresh = TrustState::default();
//! let refused = Calibrator::from_manifest_at(&envelope, bytes.as_bytes(), &stranger, &mut fresh, now);
//! assert_eq!(refused.map(|_| ()).map_err(|e| e.kind()), Err(ManifestErrorKind::UnknownKey));
//! assert_eq!(fresh, TrustState::default());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Rollout
//!
//! `Controller::step` ([`rollout`][mod-rollout]) takes the rollout's state,
//! one window's measurements and the time, and returns the next state, the
//! decision and its reasons: 5 → 25 → 50 → 100 % → a stable hold →
//! publish, with a circuit breaker that reverts to 0 % at once. It reads no
//! clock and does no I/O, so a decision log replays exactly, and
//! `Controller::next_step` tells a status page what the next window can do.
//! With `rollout-store`, `rollout::store` keeps the state file and the
//! decision log on disk, crash-safely, one call per `init`, `step` and
//! `status`, for the `calib rollout` command and a serving binary alike.
//!
#![cfg_attr(feature = "rollout", doc = "```")]
#![cfg_attr(not(feature = "rollout"), doc = "```ignore")]
//! use calib_core::rollout::{Config, Controller, Decision, NextStep, Phase, Rule, WindowReport};
//!
//! let controller = Controller::new(Config::default())?;
//! let quarter_hour = 15 * 60_000;
//! // Window `i`'s measurements; only the AECE changes (τ is 0.015, the gate allows 0.01 more).
//! let window = |i: i64, aece: f64| WindowReport {
//!     start_ms: i * quarter_hour,
//!     end_ms: (i + 1) * quarter_hour,
//!     samples: 5_000,
//!     p99_latency_ms: Some(0.3),
//!     aece: Some(aece),
//!     tau: Some(0.015),
//!     median_confidence_shift: Some(0.004),
//!     recall_at_50_delta: Some(0.0),
//! };
//! let mut state = controller.initial_state();
//! let mut decisions = Vec::new();
//! for (i, aece) in [0.02, 0.02, 0.09, 0.09].into_iter().enumerate() {
//!     let w = window(i as i64, aece);
//!     let step = controller.step(&state, &w, w.end_ms)?;
//!     decisions.push(step.decision);
//!     state = step.state;
//! }
//! // Pass: start at 5 %. Pass: keep baking. Breach: hold. A second breach in a row trips.
//! assert_eq!(decisions[0], Decision::Advance { to: Phase::Stage(5) });
//! assert_eq!(decisions[1..3], [Decision::Hold, Decision::Hold]);
//! assert_eq!(decisions[3], Decision::Revert { rule: Rule::ConsecutiveBreaches });
//! assert_eq!(state.phase.traffic_percent(), 0);
//! // The default config allows one trip per manifest version: the next window aborts.
//! assert_eq!(controller.next_step(&state), NextStep::Abort { trips: 1, max_trips: 1 });
//! # Ok::<(), calib_core::rollout::RolloutError>(())
//! ```
//!
//! ## Monitor
//!
//! A `Window` ([`monitor`][mod-monitor]) calibrates live scores one at a time
//! and keeps what the drift monitor reports — the clamp rate, the positive
//! rate, Brier, a histogram, and AECE over the window's own equal-mass bins
//! — in the caller's buffers, never allocating. `evaluate_alerts` judges a
//! window against a baseline (AECE drift, clamp rate, merged bins), and
//! `write_prometheus` writes it as Prometheus text. no_std; with `alloc`,
//! `WindowStorage` owns the buffers.
//!
#![cfg_attr(feature = "monitor", doc = "```")]
#![cfg_attr(not(feature = "monitor"), doc = "```ignore")]
//! use calib_core::metrics::evaluate;
//! use calib_core::model::{FitConfig, fit_model};
//! use calib_core::monitor::{AlertState, MonitorConfig, WindowStorage, evaluate_alerts};
//! use calib_core::synthetic::demo_dataset;
//!
//! let d = demo_dataset(20_000, 5);
//! let model = fit_model::<&str>(&d.score, &d.label, None, None, &FitConfig::default())?;
//! let cfg = MonitorConfig::default();
//! let mut storage = WindowStorage::for_rows(&cfg, 10_000)?;
//! let mut window = storage.window()?;
//! let mut probs = Vec::new();
//! for i in 0..10_000 {
//!     probs.extend(window.observe(&model.global_map(), d.score[i], d.label[i])?);
//! }
//! let summary = window.summary()?;
//! assert_eq!((summary.scores, summary.clamp_rate), (10_000, 0.0));
//! // Up to the window's capacity, its AECE is exactly the offline metric's.
//! assert_eq!(summary.aece, Some(evaluate(&probs, &d.label[..10_000], None, cfg.bins)?.aece));
//!
//! // Judged against itself as the baseline, no alert fires.
//! let alerts = evaluate_alerts(&summary, Some(&summary), &cfg.alerts);
//! assert!(alerts.iter().all(|a| a.state == AlertState::Ok), "{alerts:?}");
//! # Ok::<(), calib_core::Error>(())
//! ```
//!
//! ## Sketches
//!
//! A `FitSketch` ([`sketch`][mod-sketch]) keeps, per class and per distinct score,
//! exactly the sums a fit needs. Sketches of the parts of a data set merge
//! into the sketch of the whole, so each partition is summarised where it
//! lives and one machine fits the map — for unweighted 0/1 labels bitwise
//! the map of the raw rows. Sketches travel as versioned, checksummed bytes,
//! and also give every metric and the ĉ bootstrap.
//!
#![cfg_attr(feature = "sketch", doc = "```")]
#![cfg_attr(not(feature = "sketch"), doc = "```ignore")]
//! use calib_core::model::{FitConfig, fit_model};
//! use calib_core::sketch::{FitSketch, Quantize};
//! use calib_core::synthetic::demo_dataset;
//!
//! let d = demo_dataset(10_000, 11);
//! let part = |r: std::ops::Range<usize>| {
//!     FitSketch::from_rows::<&str>(&d.score[r.clone()], &d.label[r], None, None, Quantize::Exact)
//! };
//! // Two partitions, one of them sent as bytes, merged into one sketch...
//! let mut whole = part(0..6_000)?;
//! whole.merge(&FitSketch::from_bytes(&part(6_000..10_000)?.to_bytes())?)?;
//! assert_eq!(whole.rows(), 10_000);
//! // ...fit the very model the rows give.
//! let cfg = FitConfig::default();
//! let rows = fit_model::<&str>(&d.score, &d.label, None, None, &cfg)?;
//! assert_eq!(whole.fit_model(&cfg)?.to_json(), rows.to_json());
//! # Ok::<(), calib_core::Error>(())
//! ```
//!
//! ## Chaos
//!
//! The chaos suite plays seeded hostile traffic — NaN storms, score
//! plateaus, skewed clocks, duplicated windows, … — through the real
//! calibrator, drift monitor and rollout controller. Every `Scenario`
//! ([`chaos`][mod-chaos]) states exactly which alerts must fire and whether
//! the rollout advances, holds or reverts; `run_scenario` checks it, and
//! `run_suite` runs them all into a resilience score.
//!
#![cfg_attr(feature = "chaos", doc = "```")]
#![cfg_attr(not(feature = "chaos"), doc = "```ignore")]
//! use calib_core::chaos::{DEFAULT_SEED, RolloutOutcome, SCENARIOS, World, run_scenario};
//!
//! let world = World::new(DEFAULT_SEED)?;
//! let storm = SCENARIOS.iter().find(|s| s.name == "nan_storm").expect("a listed scenario");
//! let outcome = run_scenario(&world, storm);
//! assert!(outcome.behaved, "{:?}", outcome.problems);
//! // A quarter of the scores are not finite: the clamp-rate alert fires and the rollout holds.
//! assert_eq!(outcome.observed.map(|o| o.rollout), Some(RolloutOutcome::Hold));
//! # Ok::<(), calib_core::Error>(())
//! ```
//!
//! ## Governance
//!
//! Every quarter, `review` ([`governance`][mod-governance]) re-fits each class
//! on fresh traffic (split by query into fit and holdout rows),
//! re-bootstraps its ĉ, judges its τ, and assembles the candidate model
//! with the evidence: a review per group and a gate report against the
//! current model. A group too small to govern keeps its previous map and is
//! flagged for a person to look at.
//!
#![cfg_attr(feature = "governance", doc = "```")]
#![cfg_attr(not(feature = "governance"), doc = "```ignore")]
//! use calib_core::governance::{Fresh, GovernanceConfig, GroupStatus, RecordedCHat, review};
//! use calib_core::model::{FitConfig, fit_model};
//! use calib_core::synthetic::demo_dataset;
//!
//! let d = demo_dataset(60_000, 13);
//! let current = fit_model::<&str>(&d.score[..20_000], &d.label[..20_000], None, None, &FitConfig::default())?;
//! // This quarter's traffic: the other 40 000 rows, by query.
//! let queries: Vec<String> = d.query_id[20_000..].iter().map(u64::to_string).collect();
//! let (scores, labels) = (&d.score[20_000..], &d.label[20_000..]);
//! let fresh = Fresh { query_ids: &queries, scores, labels, classes: None::<&[&str]> };
//! let cfg = GovernanceConfig { resamples: 50, ..GovernanceConfig::default() };
//! let r = review(&current, &fresh, &RecordedCHat::default(), &cfg, &mut |_| {})?;
//!
//! assert_eq!((r.rows, r.fit_rows + r.holdout_rows), (40_000, 40_000));
//! let global = &r.groups[0];
//! assert_eq!((global.class.as_deref(), global.status), (None, GroupStatus::Refit));
//! assert!(global.tau.is_some_and(|t| t <= cfg.max_allowed_tau));
//! # Ok::<(), calib_core::Error>(())
//! ```
//!
//! ## Features
//!
//! - `std` (default): `std::error::Error` for [`Error`]; implies `alloc`.
//! - `alloc`: owned models, fitting from unsorted input, the K policy's
//!   convenience wrappers, the ĉ bootstrap, synthetic data and the JSON
//!   model format (serde).
//!
//! - `digest`: SHA-256, canonical model bytes (module `canonical`) and the
//!   binning-core fingerprint (module `fingerprint`). no_std.
//! - `gate`: evaluation of the SLA [gates](gate) (AECE excess, median
//!   confidence shift, ΔRecall@50, p99 latency), the config lint and the
//!   gate report; implies `digest`. no_std (with `std`, it also times the
//!   candidate in-process).
//! - `audit`: the hash-chained, append-only audit log (module `audit`); implies
//!   `std` and `digest`.
//! - `manifest`: signed calibration manifests (module `manifest`: in-toto Statement
//!   v1 in a DSSE envelope, Ed25519), trust policy and trust state, and the
//!   verified loader `Calibrator::from_manifest`; implies `std` and `gate`.
//! - `bucket`: stable bucketing (`bucket` module): which keys a rollout
//!   includes at a traffic share. Needs neither `alloc` nor `std`.
//! - `rollout`: the staged canary controller (`rollout` module): a pure
//!   step function from state, window and time to the next state, the
//!   decision and its reasons; implies `alloc` and `bucket`.
//! - `rollout-store`: the rollout's durable store (`rollout::store`): state
//!   file, decision log in the audit chain, lock and crash protocol, one
//!   call per `init`/`step`/`status`; implies `std`, `rollout` and `audit`.
//! - `monitor`: drift monitoring (`monitor` module): streaming window
//!   accumulators over caller buffers, alert rules, the Prometheus text
//!   exposition; no_std without an allocator. With `alloc`, owned window
//!   storage and the drift pack of `calib report`.
//! - `chaos`: the chaos suite (`chaos` module): seeded hostile scenarios run
//!   through the calibrator, the monitor and the rollout controller; implies
//!   `std`, `monitor`, `rollout` and `gate`.
//! - `governance`: the quarterly re-fit with bootstrapped tolerances and its
//!   compliance report (`governance` module); implies `std`, `monitor`,
//!   `gate` and `bucket`.
//! - `sketch`: exact, mergeable fit statistics (`sketch` module): a
//!   `FitSketch` per data partition, merged associatively, fitted on one
//!   machine to the same map as the raw rows; metrics and the ĉ bootstrap
//!   from sketches; versioned, checksummed bytes. Implies `alloc`. no_std.
//!
//! The [parity report](parity) comes with `alloc`.
//!
//! Without `alloc` (so without any of the above), the crate is `#![no_std]`
//! with no allocator: maps over borrowed breakpoints, PAV on caller buffers,
//! histogram fitting into caller buffers, and metric accumulators.
//!
//! ## Errors
//!
//! One model, written out in [`error`]: [`Error`] (with [`ErrorKind`]) for
//! the numeric core, and one error type for each subsystem with failures of
//! its own — manifests, the rollout controller and its store, the audit log,
//! the drift pack. Every one is opaque and answers the same three questions:
//! `kind()`, a stable `code()` that the bindings and the CLI's JSON pass on
//! unchanged (one table in [`error`] lists every code), and a one-line
//! message naming the offending argument, position and value.
//!
//! ```
//! use calib_core::ErrorKind;
//! use calib_core::metrics::evaluate;
//!
//! let err = evaluate(&[0.2, 0.7], &[0.0, 1.5], None, 15).unwrap_err();
//! assert_eq!((err.kind(), err.code()), (ErrorKind::LabelOutOfRange, "label_out_of_range"));
//! assert!(err.to_string().contains("1.5 at index 1 of labels"), "{err}");
//! ```
//!
//! ## Determinism
//!
//! Every sum is formed in a fixed order with scalar arithmetic, and
//! transcendental functions come from `libm` rather than the platform, so
//! results are bit-identical across targets. PAV results do not depend on
//! the order of the input rows.
//!
// Links to the modules behind a feature: the module when it is compiled,
// else its section above (so the docs build, warning-free, either way).
#![cfg_attr(feature = "manifest", doc = "[mod-manifest]: manifest")]
#![cfg_attr(not(feature = "manifest"), doc = "[mod-manifest]: #manifests")]
#![cfg_attr(feature = "rollout", doc = "[mod-rollout]: rollout")]
#![cfg_attr(not(feature = "rollout"), doc = "[mod-rollout]: #rollout")]
#![cfg_attr(feature = "monitor", doc = "[mod-monitor]: monitor")]
#![cfg_attr(not(feature = "monitor"), doc = "[mod-monitor]: #monitor")]
#![cfg_attr(feature = "sketch", doc = "[mod-sketch]: sketch")]
#![cfg_attr(not(feature = "sketch"), doc = "[mod-sketch]: #sketches")]
#![cfg_attr(feature = "chaos", doc = "[mod-chaos]: chaos")]
#![cfg_attr(not(feature = "chaos"), doc = "[mod-chaos]: #chaos")]
#![cfg_attr(feature = "governance", doc = "[mod-governance]: governance")]
#![cfg_attr(not(feature = "governance"), doc = "[mod-governance]: #governance")]
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "audit")]
pub mod audit;
pub mod binning;
#[cfg(feature = "bucket")]
pub mod bucket;
#[cfg(feature = "digest")]
pub mod canonical;
#[cfg(feature = "chaos")]
pub mod chaos;
pub mod error;
#[cfg(feature = "digest")]
pub mod fingerprint;
pub mod gate;
#[cfg(feature = "governance")]
pub mod governance;
pub mod histogram;
pub mod isotonic;
#[cfg(feature = "manifest")]
pub mod manifest;
pub mod map;
pub mod metrics;
#[cfg(feature = "alloc")]
pub mod model;
#[cfg(feature = "monitor")]
pub mod monitor;
#[cfg(feature = "alloc")]
pub mod parity;
#[cfg(feature = "gate")]
pub mod recall;
pub mod rng;
#[cfg(feature = "rollout")]
pub mod rollout;
#[cfg(feature = "sketch")]
pub mod sketch;
#[cfg(feature = "alloc")]
mod sort;
#[cfg(feature = "alloc")]
pub mod synthetic;
pub mod tolerance;

pub use error::{Error, ErrorKind, Result};

// The README's Rust example runs as a doctest, so it cannot rot.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
