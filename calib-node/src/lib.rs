//! # calib-node
//!
//! calib for Node.js: the npm package `calib-node`, a napi-rs addon over
//! calib-core. It serves calibration models and computes calibration
//! metrics with the same core, and so the same bits, as every other calib
//! runtime (Rust, Python, WASM). It also loads models through signed
//! manifests with the core's verified loader, reports the core's
//! fingerprint and computes rollout buckets.
//!
//! This crate holds **only the napi exports**: each one turns its napi
//! arguments into calib-js arguments, calls the calib-js function of the
//! same name and turns the result into JavaScript values. The JavaScript
//! API itself (which argument may be what, the 2^53 count rule, the
//! millisecond clock, the trust policy of `fromManifest`, the messages) is
//! calib-js's, shared with calib-wasm; the numbers are calib-core's.
//!
//! The API is written down in `tests/js/API.md`, and
//! `tests/js/calib.test.mjs` tests both packages. The `index.d.ts` napi
//! generates from this crate's exports is the TypeScript of both:
//! calib-wasm's `.d.ts` is made from it (calib-wasm/dts.mjs), so the doc
//! comments here speak for both packages.
//!
//! ## Errors
//!
//! Every thrown value is a JS `Error` with a string `code`, calib-js's
//! [`Error::code`](calib_js::Error::code): calib-core's `"bad_model"`,
//! `"probability_out_of_range"`, …, the manifest loader's
//! `"bad_signature"`, `"rollback"`, …, or `"invalid_argument"` when an
//! argument has the wrong JavaScript type.
//!
//! ## Panics
//!
//! None reach JavaScript: no conversion here or in calib-js unwraps user
//! input, and the core's load, apply, metric and manifest paths return
//! errors rather than panic
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
