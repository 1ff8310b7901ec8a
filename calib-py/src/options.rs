//! Python option values (strings, bools, numbers) to calib-core's enums.
//!
//! The names are calib's own (docs/concepts.md), with scikit-learn's names
//! accepted where scikit-learn users would reach for them: `"raise"` for the
//! `error` out-of-bounds policy (IsotonicRegression), `"quantile"` and
//! `"uniform"` for equal-mass and equal-width bins (calibration_curve).

use crate::errors::{type_error, value_error};
use calib_core::binning::{BinStrategy, KPolicy};
use calib_core::map::{NonFinite, OutOfBounds};
use calib_core::model::{Direction, Method};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};

/// `"clip"`, `"nan"`, `"error"` (or `"raise"`).
pub(crate) fn out_of_bounds(s: &str) -> PyResult<OutOfBounds> {
    match s {
        "clip" => Ok(OutOfBounds::Clip),
        "nan" => Ok(OutOfBounds::Nan),
        "error" | "raise" => Ok(OutOfBounds::Error),
        _ => Err(value_error(format!("out_of_bounds must be 'clip', 'nan' or 'error' ('raise'), got {s:?}"))),
    }
}

/// The name calib writes for an out-of-bounds policy.
pub(crate) fn out_of_bounds_name(o: OutOfBounds) -> &'static str {
    match o {
        OutOfBounds::Clip => "clip",
        OutOfBounds::Nan => "nan",
        OutOfBounds::Error => "error",
    }
}

/// `"error"`, or a float: the fallback value for NaN/±inf scores.
pub(crate) fn non_finite(obj: &Bound<'_, PyAny>) -> PyResult<NonFinite> {
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_cow()?.as_ref() {
            "error" => Ok(NonFinite::Error),
            other => Err(value_error(format!("non_finite must be 'error' or a float fallback value, got {other:?}"))),
        };
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(type_error("non_finite must be 'error' or a float fallback value, got a bool".into()));
    }
    match obj.extract::<f64>() {
        Ok(v) => Ok(NonFinite::Fallback(v)),
        Err(_) => Err(type_error(format!(
            "non_finite must be 'error' or a float fallback value, got {}",
            obj.get_type().name()?
        ))),
    }
}

/// `True`, `False` or `"auto"`.
pub(crate) fn direction(obj: &Bound<'_, PyAny>) -> PyResult<Direction> {
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_cow()?.as_ref() {
            "auto" => Ok(Direction::Auto),
            other => Err(value_error(format!("increasing must be True, False or 'auto', got {other:?}"))),
        };
    }
    // numpy bools are accepted too; ints are not (as in scikit-learn).
    let type_name = obj.get_type().name()?;
    if obj.is_instance_of::<PyBool>() || type_name == "bool" || type_name == "bool_" {
        return Ok(if obj.is_truthy()? { Direction::Increasing } else { Direction::Decreasing });
    }
    Err(type_error(format!("increasing must be True, False or 'auto', got {type_name}")))
}

/// `"equal_mass"`/`"quantile"` or `"equal_width"`/`"uniform"`.
pub(crate) fn strategy(s: &str) -> PyResult<BinStrategy> {
    match s {
        "equal_mass" | "quantile" => Ok(BinStrategy::EqualMass),
        "equal_width" | "uniform" => Ok(BinStrategy::EqualWidth),
        _ => Err(value_error(format!(
            "strategy must be 'equal_mass' ('quantile') or 'equal_width' ('uniform'), got {s:?}"
        ))),
    }
}

/// `"isotonic"` or `"histogram"`.
pub(crate) fn method(s: &str) -> PyResult<Method> {
    match s {
        "isotonic" => Ok(Method::Isotonic),
        "histogram" => Ok(Method::Histogram),
        _ => Err(value_error(format!("method must be 'isotonic' or 'histogram', got {s:?}"))),
    }
}

/// A positive count (bins, samples): Python ints only, and negative values
/// refused here rather than wrapped.
pub(crate) fn count(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<usize> {
    if obj.is_instance_of::<PyBool>() {
        return Err(type_error(format!("{what} must be an int, got a bool")));
    }
    match obj.extract::<i64>() {
        Ok(v) if v >= 0 => usize::try_from(v).map_err(|_| value_error(format!("{what} is too large: {v}"))),
        Ok(v) => Err(value_error(format!("{what} must not be negative, got {v}"))),
        Err(_) => Err(type_error(format!("{what} must be an int, got {}", obj.get_type().name()?))),
    }
}

/// The largest ĉ resample count the binding passes on.
///
/// calib-core checks the number of bins (`binning::MAX_BINS`) before it
/// allocates, but sizes the bootstrap's list of resampled AECEs by B
/// unchecked, and a failed allocation aborts the whole Python process.
/// Until the core refuses such a B itself, the binding does (a `ValueError`);
/// 2²⁰ resamples is far beyond any useful B.
pub(crate) const MAX_RESAMPLES: usize = 1 << 20;

/// A count given as a Python int: negative values are refused here rather
/// than wrapped.
pub(crate) fn non_negative(v: i64, what: &str) -> PyResult<usize> {
    if v < 0 {
        return Err(value_error(format!("{what} must not be negative, got {v}")));
    }
    usize::try_from(v).map_err(|_| value_error(format!("{what} is too large: {v}")))
}

/// The ĉ bootstrap's B: at most [`MAX_RESAMPLES`].
pub(crate) fn resamples(v: i64) -> PyResult<usize> {
    let n = non_negative(v, "resamples")?;
    if n > MAX_RESAMPLES {
        return Err(value_error(format!("resamples must be at most {MAX_RESAMPLES}, got {v}")));
    }
    Ok(n)
}

/// Bins of a histogram fit: an int K, or `"cube_root"` (calib's default
/// range, 5 to 50).
pub(crate) fn k_policy(obj: &Bound<'_, PyAny>) -> PyResult<KPolicy> {
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_cow()?.as_ref() {
            "cube_root" => Ok(KPolicy::CUBE_ROOT),
            other => Err(value_error(format!("n_bins must be an int or 'cube_root', got {other:?}"))),
        };
    }
    // calib-core refuses K outside 1..=MAX_BINS with `invalid_parameter`.
    Ok(KPolicy::Fixed(count(obj, "n_bins")?))
}

/// An optional finite-or-not float bound (`None` means unbounded).
pub(crate) fn bound(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<f64>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => o.extract::<f64>().map(Some).map_err(|_| {
            type_error(format!(
                "{what} must be a float or None, got {}",
                o.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        }),
    }
}
