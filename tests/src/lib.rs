//! Shared helpers of calib's cross-crate tests: the conformance-vector
//! loader and small, obviously-correct reference implementations that the
//! fast core is checked against (see `reference`).

#![deny(missing_docs)]

pub mod binary;
pub mod fuzz;
pub mod parity;
pub mod reference;
pub mod trust;
pub mod vectors;

/// `a` and `b` agree to `tol` relative to `max(1, |b|)`; NaN only equals NaN.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    (a - b).abs() <= tol * b.abs().max(1.0)
}
