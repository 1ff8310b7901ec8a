//! # calib-wasm
//!
//! calib for the browser and for Node as one WebAssembly module: the npm
//! package `calib-wasm`. It serves calibration models and computes
//! calibration metrics with the same core, and so the same bits, as every
//! other calib runtime (Rust, Python, Node): calib-core is built for wasm32
//! with `libm`, so even its logarithms and square roots are the native ones.
//!
//! This crate **only converts**: JavaScript numbers, strings and typed
//! arrays in, calib-core calls, numbers, typed arrays, plain objects and
//! errors out. Any numeric behaviour a binding needs belongs in calib-core.
//!
//! The JavaScript API is the one calib-node also implements, so one
//! TypeScript interface describes both; it is written down in
//! `tests/js/API.md`, and `tests/js/calib.test.mjs` tests calib-node,
//! calib-wasm in Node and calib-wasm in Chromium with the same file.
//!
//! ## Builds
//!
//! `calib-wasm/test.sh` builds this crate for `wasm32-unknown-unknown` with
//! the workspace's `wasm` profile, runs wasm-bindgen twice (`--target web`:
//! an ES module that `init()` loads; `--target nodejs`: CommonJS that loads
//! the module synchronously) and shrinks both with `wasm-opt -Oz`.
//!
//! ## Errors
//!
//! Every thrown value is a JS `Error` with a string `code`: calib-core's
//! [`Error::code`](calib_core::Error::code) (`"bad_model"`,
//! `"probability_out_of_range"`, …) or the manifest loader's
//! ([`ManifestError::code`](calib_core::manifest::ManifestError::code):
//! `"bad_signature"`, `"expired"`, `"rollback"`, …) with the core's one-line
//! message, or `"invalid_argument"` when an argument has the wrong
//! JavaScript type. The messages are calib-node's, word for word.
//!
//! ## Clock
//!
//! WebAssembly has no clock of its own: `fromManifest` checks expiry against
//! `trust.now`, or else the JavaScript clock (`Date.now()`), and never asks
//! the core for the system time (which would trap on wasm32).
//!
//! ## Panics
//!
//! None reach JavaScript: no conversion unwraps user input, and the core's
//! load, apply, metric and verification paths return errors rather than
//! panic. (The module is built with `panic = "abort"`: a panic would surface
//! as a `RuntimeError: unreachable` and leave the instance unusable.)

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bucket;
mod calibrator;
mod convert;
mod fingerprint;
mod manifest;
mod metrics;

pub use bucket::{bucket, included};
pub use calibrator::Calibrator;
pub use fingerprint::fingerprint;
pub use metrics::{aece, brier, dece, ece, evaluate, log_loss, mce, reliability_bins, tau};
