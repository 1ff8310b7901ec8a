//! # calib-core
//!
//! The numeric core of calib: it turns a ranker's raw scores into
//! probabilities that mean what they say, and measures how well they do.
//! Every runtime calib ships — the Rust serving binary, the Python module,
//! the Node addon, the WASM module — links this crate, so all of them give
//! the same bits for the same input.
//!
//! ## When to use it
//!
//! - **Serving**: load a [`Model`](model::Model) (or wrap borrowed breakpoints
//!   in a [`MapRef`](map::MapRef)) and call `apply`/`apply_batch`. Applying
//!   never allocates and never panics; out-of-range and non-finite scores
//!   follow the policies in [`ApplyOptions`](map::ApplyOptions) and are
//!   counted in [`ApplyStats`](map::ApplyStats) (the clamp rate).
//! - **Fitting**: [`isotonic::fit`] (pool-adjacent-violators, scikit-learn's
//!   exact semantics, or the strict rank-preserving variant),
//!   [`histogram::fit`], or [`model::fit_model`] for a global map plus one
//!   map per query class.
//! - **Measuring**: [`metrics`] — ECE, adaptive ECE, MCE, debiased ECE,
//!   Brier, log-loss, reliability bins with Wilson intervals, and the AECE
//!   tolerance τ with its bootstrapped constant ĉ ([`tolerance`]).
//!
//! ## Example
//!
//! ```
//! use calib_core::model::{fit_model, FitConfig};
//!
//! // Logged (score, label) pairs: the ranker is over-confident.
//! let scores = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9];
//! let labels = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
//! let model = fit_model::<&str>(&scores, &labels, None, None, &FitConfig::default())?;
//!
//! let p = model.apply(None, 0.65)?;
//! assert!((0.0..=1.0).contains(&p));
//!
//! // Batches go into a caller-owned buffer: no allocation on the hot path.
//! let mut out = [0.0; 3];
//! let mut stats = calib_core::map::ApplyStats::default();
//! model.apply_batch(None, &[0.05, 0.5, 0.95], &mut out, &mut stats)?;
//! assert!(out[0] <= out[1] && out[1] <= out[2]);
//!
//! // Round-trip through the JSON model format.
//! let again = calib_core::model::Model::from_json(&model.to_json())?;
//! assert_eq!(again.apply(None, 0.65)?, p);
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
//! One [`Error`] type with an [`ErrorKind`]. Its message names the offending
//! argument, position and value (`label 1.5 at index 7 of labels is outside
//! [0, 1]`), and [`Error::code`] gives a stable machine-readable kind for the
//! bindings.
//!
//! ## Determinism
//!
//! Every sum is formed in a fixed order with scalar arithmetic, and
//! transcendental functions come from `libm` rather than the platform, so
//! results are bit-identical across targets. PAV results do not depend on
//! the order of the input rows.

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
#[cfg(feature = "alloc")]
pub mod tolerance;

pub use error::{Error, ErrorKind, Result};

// The README's Rust example runs as a doctest, so it cannot rot.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
