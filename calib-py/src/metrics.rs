//! Calibration metrics, the tolerance τ and the ĉ bootstrap: calib-core's
//! `metrics` and `tolerance` modules, with arrays converted and the GIL
//! released for large inputs.

use crate::arrays::{Floats, maybe_detach};
use crate::errors::check;
use crate::options;
use calib_core::binning::BinStrategy;
use calib_core::metrics::{self, ReliabilityBin};
use calib_core::tolerance::{self, BootstrapOptions};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

// The signatures' literal defaults (literals, so that Python's
// `__text_signature__` shows them) are calib-core's.
const _: () = assert!(tolerance::GOVERNANCE_MIN_SAMPLES == 10_000);
const _: () = assert!(calib_core::binning::DEFAULT_BINS == 15);

type MetricFn = fn(&[f64], &[f64], Option<&[f64]>, usize) -> calib_core::Result<f64>;

/// Converts the three metric inputs and runs `f` on them.
fn with_inputs<T: Send>(
    py: Python<'_>,
    probs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    f: impl FnOnce(&[f64], &[f64], Option<&[f64]>) -> calib_core::Result<T> + Send,
) -> PyResult<T> {
    let pa = Floats::extract(probs, "probs")?;
    let la = Floats::extract(labels, "labels")?;
    let wa = Floats::extract_opt(sample_weight, "sample_weight")?;
    let (p, l, w) = (pa.f64s(), la.f64s(), wa.as_ref().map(|w| w.f64s()));
    let r = maybe_detach(py, p.len(), || f(&p, &l, w.as_deref()));
    check(py, r)
}

fn binned_metric(
    py: Python<'_>,
    probs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    n_bins: i64,
    f: MetricFn,
) -> PyResult<f64> {
    let k = options::non_negative(n_bins, "n_bins")?;
    with_inputs(py, probs, labels, sample_weight, |p, l, w| f(p, l, w, k))
}

/// Expected calibration error over `n_bins` equal-width bins (L1; weights
/// replace counts when given).
#[pyfunction]
#[pyo3(signature = (probs, labels, sample_weight = None, n_bins = 15))]
pub(crate) fn ece(
    py: Python<'_>,
    probs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    n_bins: i64,
) -> PyResult<f64> {
    binned_metric(py, probs, labels, sample_weight, n_bins, metrics::ece)
}

/// Adaptive ECE: the ECE over `n_bins` equal-mass bins.
#[pyfunction]
#[pyo3(signature = (probs, labels, sample_weight = None, n_bins = 15))]
pub(crate) fn aece(
    py: Python<'_>,
    probs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    n_bins: i64,
) -> PyResult<f64> {
    binned_metric(py, probs, labels, sample_weight, n_bins, metrics::aece)
}

/// Maximum calibration error: the largest bin gap over `n_bins` equal-width bins.
#[pyfunction]
#[pyo3(signature = (probs, labels, sample_weight = None, n_bins = 15))]
pub(crate) fn mce(
    py: Python<'_>,
    probs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    n_bins: i64,
) -> PyResult<f64> {
    binned_metric(py, probs, labels, sample_weight, n_bins, metrics::mce)
}

/// Debiased L2 calibration error (Kumar, Liang & Ma 2019) over `n_bins`
/// equal-mass bins.
#[pyfunction]
#[pyo3(signature = (probs, labels, sample_weight = None, n_bins = 15))]
pub(crate) fn dece(
    py: Python<'_>,
    probs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
    n_bins: i64,
) -> PyResult<f64> {
    binned_metric(py, probs, labels, sample_weight, n_bins, metrics::dece)
}

/// Brier score: the (weighted) mean of `(p − y)²`.
#[pyfunction]
#[pyo3(signature = (probs, labels, sample_weight = None))]
pub(crate) fn brier(
    py: Python<'_>,
    probs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
) -> PyResult<f64> {
    with_inputs(py, probs, labels, sample_weight, metrics::brier)
}

/// Log-loss, with probabilities clipped to `[1e-15, 1 − 1e-15]`.
#[pyfunction]
#[pyo3(signature = (probs, labels, sample_weight = None))]
pub(crate) fn log_loss(
    py: Python<'_>,
    probs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    sample_weight: Option<&Bound<'_, PyAny>>,
) -> PyResult<f64> {
    with_inputs(py, probs, labels, sample_weight, metrics::log_loss)
}

/// Every metric with one K: `{"n", "ece", "aece", "mce", "dece", "brier",
/// "log_loss", "merged_bin_percent"}` (calib-core's `evaluate`).
#[pyfunction]
#[pyo3(signature = (probs, labels, sample_weight = None, n_bins = 15))]
pub(crate) fn evaluate<'py>(
    py: Python<'py>,
    probs: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    sample_weight: Option<&Bound<'py, PyAny>>,
    n_bins: i64,
) -> PyResult<Bound<'py, PyDict>> {
    let k = options::non_negative(n_bins, "n_bins")?;
    let m = with_inputs(py, probs, labels, sample_weight, |p, l, w| metrics::evaluate(p, l, w, k))?;
    let d = PyDict::new(py);
    d.set_item("n", m.n)?;
    for (key, v) in [
        ("ece", m.ece),
        ("aece", m.aece),
        ("mce", m.mce),
        ("dece", m.dece),
        ("brier", m.brier),
        ("log_loss", m.log_loss),
        ("merged_bin_percent", m.merged_bin_percent),
    ] {
        d.set_item(key, v)?;
    }
    Ok(d)
}

/// Reliability-diagram bins (non-empty bins only), as a dict of arrays:
/// `lower`, `upper`, `count`, `weight`, `mean_p`, `observed`, `ci_low`,
/// `ci_high` (Wilson 95 % interval of the observed rate).
#[pyfunction]
#[pyo3(signature = (probs, labels, sample_weight = None, n_bins = 15, strategy = "equal_width"))]
pub(crate) fn _reliability_bins<'py>(
    py: Python<'py>,
    probs: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    sample_weight: Option<&Bound<'py, PyAny>>,
    n_bins: i64,
    strategy: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let k = options::non_negative(n_bins, "n_bins")?;
    let strategy: BinStrategy = options::strategy(strategy)?;
    let bins: Vec<ReliabilityBin> =
        with_inputs(py, probs, labels, sample_weight, |p, l, w| metrics::reliability_bins(p, l, w, k, strategy))?;
    let d = PyDict::new(py);
    let col = |f: fn(&ReliabilityBin) -> f64| -> Vec<f64> { bins.iter().map(f).collect() };
    d.set_item("lower", PyArray1::from_vec(py, col(|b| b.lower)))?;
    d.set_item("upper", PyArray1::from_vec(py, col(|b| b.upper)))?;
    d.set_item("count", PyArray1::from_vec(py, bins.iter().map(|b| b.count as i64).collect::<Vec<i64>>()))?;
    d.set_item("weight", PyArray1::from_vec(py, col(|b| b.weight)))?;
    d.set_item("mean_p", PyArray1::from_vec(py, col(|b| b.mean_p)))?;
    d.set_item("observed", PyArray1::from_vec(py, col(|b| b.observed)))?;
    d.set_item("ci_low", PyArray1::from_vec(py, col(|b| b.ci_low)))?;
    d.set_item("ci_high", PyArray1::from_vec(py, col(|b| b.ci_high)))?;
    Ok(d)
}

/// The AECE tolerance `τ(N, K) = max(0.015, ĉ·√(K/N))` (∞ when N = 0).
#[pyfunction]
#[pyo3(signature = (n, n_bins, c_hat))]
pub(crate) fn tau(n: i64, n_bins: i64, c_hat: f64) -> PyResult<f64> {
    let n = options::non_negative(n, "n")? as u64;
    Ok(metrics::tau(n, options::non_negative(n_bins, "n_bins")?, c_hat))
}

/// Bootstraps ĉ from one class's calibrated probabilities: returns
/// `(c_hat, aeces)` with the B resampled AECEs sorted. Deterministic for a
/// seed; refuses fewer than `min_samples` probabilities.
#[pyfunction]
#[pyo3(signature = (calibrated, *, resamples = 200, n_bins = 15, seed = 0x00ca_11b0, min_samples = 10_000))]
pub(crate) fn bootstrap_c_hat<'py>(
    py: Python<'py>,
    calibrated: &Bound<'py, PyAny>,
    resamples: i64,
    n_bins: i64,
    seed: u64,
    min_samples: i64,
) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
    let min_samples = options::non_negative(min_samples, "min_samples")?;
    let resamples = options::resamples(resamples)?;
    let bins = options::non_negative(n_bins, "n_bins")?;
    let ca = Floats::extract(calibrated, "calibrated")?;
    let c = ca.f64s();
    let opts = BootstrapOptions { resamples, bins, seed, min_samples };
    // The bootstrap is heavy whatever N is: always release the GIL.
    let r = py.detach(|| tolerance::bootstrap_c_hat(&c, &opts));
    let (c_hat, aeces) = check(py, r)?;
    Ok((c_hat, PyArray1::from_vec(py, aeces)))
}
