//! # calib-node
//!
//! calib for Node.js: the npm package `calib-node`, a napi-rs addon over
//! calib-core. It serves calibration models and computes calibration
//! metrics with the same core, and so the same bits, as every other calib
//! runtime (Rust, Python, WASM). It also loads models through signed
//! manifests with the core's verified loader, reports the core's
//! fingerprint and computes rollout buckets.
//!
//! This crate **only converts**: JavaScript numbers, strings and typed
//! arrays in, calib-core calls, numbers, typed arrays and errors out. Any
//! numeric behaviour a binding needs belongs in calib-core.
//!
//! The JavaScript API is the one calib-wasm also implements; it is written
//! down in `tests/js/API.md`, and `tests/js/calib.test.mjs` tests both.
//!
//! ## Errors
//!
//! Every thrown value is a JS `Error` with a string `code`: calib-core's
//! [`Error::code`](calib_core::Error::code) (`"bad_model"`,
//! `"probability_out_of_range"`, …) and its one-line message; the manifest
//! loader's `ManifestError::code` (`"bad_signature"`, `"rollback"`, …); or
//! `"invalid_argument"` when an argument has the wrong JavaScript type.
//!
//! ## Panics
//!
//! None reach JavaScript: no conversion unwraps user input, and the core's
//! load, apply, metric and manifest paths return errors rather than panic
//! (tests/js/calib.test.mjs throws random and damaged inputs at every
//! export). One way to bring the process down remains, in the core: a huge
//! `bins` makes the metrics allocate O(bins) memory, and a failed allocation
//! aborts (tests/js/API.md, "Known limit").

#![deny(missing_docs)]

mod calibrator;
mod convert;
mod manifest;
mod metrics;
mod rollout;

pub use calibrator::{ApplyCounts, Calibrator};
pub use manifest::TrustOptions;
pub use metrics::{Metrics, ReliabilityBin, aece, brier, dece, ece, evaluate, log_loss, mce, reliability_bins, tau};
pub use rollout::{bucket, fingerprint, included};
