//! # calib-py
//!
//! The native half of calib's Python package: the extension module
//! `calib._calib`, which the pure-Python package `calib` (in `python/calib/`)
//! wraps with scikit-learn-style estimators, a plotting helper and typed
//! signatures.
//!
//! ## What this crate does — and does not
//!
//! It **converts**: numpy arrays to slices and back, Python options to
//! calib-core's enums, calib-core errors to Python exceptions. It computes
//! nothing itself: every number comes from calib-core (interpolation, PAV,
//! binning, metrics, digests), so Python gets the same bits as Rust, Node and
//! WASM (the parity vectors in `tests/vectors/parity.json` check it).
//!
//! ## Arrays
//!
//! Contiguous `float64` numpy arrays reach the core without a copy;
//! `float32` arrays are widened to f64 (exactly) and, for calibrated scores,
//! the result is rounded back to `float32` at the boundary. Other inputs are
//! converted by `calib._arrays.as_float_array` or refused with a `TypeError`
//! (see [`arrays`]).
//!
//! ## The GIL
//!
//! Batches of at least [`arrays::DETACH_MIN`] elements (and every ĉ
//! bootstrap) run with the GIL released (`Python::detach`): the core borrows
//! the arrays' memory read-only and touches no Python object. As with any
//! extension that releases the GIL, mutating an array from another thread
//! while calib reads it is a data race; don't.
//!
//! ## Errors
//!
//! A calib-core error becomes `calib.CalibError` (a `ValueError`) with
//! `code`/`kind` (calib-core's `Error::code()`), `what`, `index` and `value`
//! (see [`errors`]). Nothing here unwraps user input: no panic crosses into
//! Python.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod arrays;
mod errors;
mod manifest;
mod metrics;
mod model;
mod options;
mod sketch;

use pyo3::prelude::*;

/// The binning-core fingerprint of the calib-core this module links (hex
/// SHA-256 of the core's outputs on its built-in conformance inputs). Equal
/// in every runtime that links the same core.
#[pyfunction]
fn fingerprint() -> String {
    calib_core::fingerprint::core_fingerprint().to_hex()
}

/// The rollout bucket of `key` under `salt`, in `0..10000` (one bucket is
/// one basis point): the first 4 bytes of SHA-256(salt ‖ 0x00 ‖ key) as a
/// big-endian u32, times 10 000, shifted right by 32. Identical in every
/// runtime; salt and key are hashed as UTF-8.
#[pyfunction]
fn bucket(salt: &str, key: &str) -> u32 {
    calib_core::bucket::bucket(salt, key)
}

/// Whether `key` is in a rollout at `percent` % (`bucket < percent × 100`);
/// monotone: a key included at 5 % is included at 25 %.
#[pyfunction]
fn included(salt: &str, key: &str, percent: u32) -> bool {
    calib_core::bucket::included(salt, key, percent)
}

/// The `calib._calib` extension module.
#[pymodule]
fn _calib(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<model::PyModel>()?;
    m.add_class::<model::FittedMap>()?;
    m.add_class::<sketch::PyFitSketch>()?;
    m.add_function(wrap_pyfunction!(model::fit_model_py, m)?)?;
    m.add_function(wrap_pyfunction!(model::_fit_isotonic, m)?)?;
    m.add_function(wrap_pyfunction!(model::_fit_histogram, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::ece, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::aece, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::mce, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::dece, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::brier, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::log_loss, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::_reliability_bins, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::tau, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::bootstrap_c_hat, m)?)?;
    m.add_function(wrap_pyfunction!(fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(bucket, m)?)?;
    m.add_function(wrap_pyfunction!(included, m)?)?;
    m.add_class::<manifest::PyPublicKey>()?;
    m.add_class::<manifest::PySecretKey>()?;
    m.add_class::<manifest::PyTrustPolicy>()?;
    m.add_class::<manifest::PyTrustState>()?;
    m.add_class::<manifest::PyVerifiedManifest>()?;
    m.add_function(wrap_pyfunction!(manifest::verify_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(manifest::load_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(manifest::sign_manifest, m)?)?;
    Ok(())
}
