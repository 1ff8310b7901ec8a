//! # calib-wasm
//!
//! calib for the browser and for Node as one WebAssembly module: the npm
//! package `calib-wasm`. It serves calibration models and computes
//! calibration metrics with the same core, and so the same bits, as every
//! other calib runtime (Rust, Python, Node): calib-core is built for wasm32
//! with `libm`, so even its logarithms and square roots are the native ones.
//!
//! This crate holds **only the wasm-bindgen exports**: each one reads its
//! JavaScript values into calib-js arguments, calls the calib-js function
//! of the same name and turns the result into JavaScript values. The
//! JavaScript API itself (which argument may be what, the 2^53 count rule,
//! the millisecond clock, the trust policy of `fromManifest`, the messages)
//! is calib-js's, shared with calib-node, so both packages say the same
//! thing word for word; the numbers are calib-core's.
//!
//! The API is written down in `tests/js/API.md`, and
//! `tests/js/calib.test.mjs` tests calib-node, calib-wasm in Node and
//! calib-wasm in Chromium with the same file.
//!
//! ## Builds
//!
//! `calib-wasm/test.sh` builds this crate for `wasm32-unknown-unknown` with
//! the workspace's `wasm` profile, runs wasm-bindgen twice (`--target web`:
//! an ES module that `init()` loads; `--target nodejs`: CommonJS that loads
//! the module synchronously) and shrinks both with `wasm-opt -Oz`.
//!
//! Built without its default `full` feature, the same crate is the package's
//! `calib-wasm/serve` entry: only what serving a model needs
//! (`Calibrator.fromJSON`, `apply`, `applyBatch`, `classes`, `stats`,
//! `resetStats`, `bucket`, `included`), and `fingerprint()` as the pinned
//! value of `tests/vectors/core_fingerprint.json` rather than computed, since
//! computing it links every fit. test.sh builds both and checks that the
//! serve entry's constant equals the full entry's computed fingerprint.
//!
//! ## Errors
//!
//! Every thrown value is a JS `Error` with a string `code`, calib-js's
//! [`Error::code`](calib_js::Error::code): calib-core's `"bad_model"`,
//! `"probability_out_of_range"`, …, the manifest loader's
//! `"bad_signature"`, `"expired"`, `"rollback"`, …, or `"invalid_argument"`
//! when an argument has the wrong JavaScript type.
//!
//! ## Clock
//!
//! WebAssembly has no clock of its own: `fromManifest` checks expiry against
//! `trust.now`, or else the JavaScript clock (`Date.now()`, calib-js's
//! `Clock::Millis`), and never asks Rust for the system time (which would
//! trap on wasm32; calib-js has no `Clock::System` there).
//!
//! ## Panics
//!
//! None reach JavaScript: no conversion here or in calib-js unwraps user
//! input, and the core's load, apply, metric and verification paths return
//! errors rather than panic. (The module is built with `panic = "abort"`: a panic would surface
//! as a `RuntimeError: unreachable` and leave the instance unusable.)

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod calibrator;
mod convert;
#[cfg(feature = "full")]
mod manifest;
#[cfg(feature = "full")]
mod metrics;
mod rollout;

pub use calibrator::Calibrator;
#[cfg(feature = "full")]
pub use metrics::{aece, brier, dece, ece, evaluate, log_loss, mce, reliability_bins, tau};
pub use rollout::{bucket, fingerprint, included};
