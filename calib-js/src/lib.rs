//! # calib-js
//!
//! calib's JavaScript API (tests/js/API.md) as plain Rust, shared by its two
//! packages: calib-node (napi-rs) and calib-wasm (wasm-bindgen). Each rule
//! of that API that is a JavaScript convention rather than a calib rule is
//! written here once:
//!
//! - what each argument may be, and the words of the `invalid_argument`
//!   error when it is something else ([`arg`]);
//! - a count is a non-negative integer that a JS number holds exactly, at
//!   most 2^53 − 1 ([`arg`]);
//! - `now` is whole milliseconds since the Unix epoch, as `Date.now()` gives
//!   it, and how `fromManifest` builds the trust policy and trust state
//!   ([`manifest`]);
//! - the bin-strategy names `equal_width` and `equal_mass` ([`metrics`]);
//! - which error `code` a calib-core or manifest error becomes ([`Error`]).
//!
//! The numbers themselves are calib-core's: every function here converts
//! and calls the core function of the same name.
//!
//! ## What the bindings keep
//!
//! A binding turns each JavaScript value into an [`Arg`]: the Rust value
//! the API wants, or the [`JsType`] of whatever came instead (it alone can
//! look at a JS value). It calls the function here of the same name, turns
//! the result into JS values, and throws an [`Error`] as a JS `Error` whose
//! `code` is [`Error::code`]. So calib-node and calib-wasm hold only their
//! `#[napi]` and `#[wasm_bindgen]` exports.
//!
//! ## Panics
//!
//! None: no conversion here unwraps what a caller gave, and the core's
//! load, apply, metric and verification paths return errors. The bindings
//! rely on that, since a panic must not cross into JavaScript.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod arg;
mod calibrator;
mod error;
#[cfg(feature = "full")]
pub mod manifest;
pub mod metrics;
pub mod rollout;

pub use arg::{Arg, Bytes, Floats, JsType};
pub use calibrator::Calibrator;
pub use error::{Error, INVALID_ARGUMENT, Result};
#[cfg(feature = "full")]
pub use manifest::{Clock, TrustOptions};
