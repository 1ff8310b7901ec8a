//! The metric functions, each calib-js's function of the same name.

use crate::convert::{FloatsArg, NumberArg, Result, StringArg, ToArg, opt, throw};
use calib_js::metrics::{self, Binned};
use napi_derive::napi;

/// Expected calibration error over `bins` equal-width bins (default 15).
#[napi]
pub fn ece(
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] probs: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] labels: FloatsArg<'_>,
    #[napi(ts_arg_type = "number")] bins: Option<NumberArg<'_>>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] weights: Option<FloatsArg<'_>>,
) -> Result<f64> {
    metrics::binned(Binned::Ece, probs.arg(), labels.arg(), opt(bins), opt(weights)).map_err(throw)
}

/// Adaptive ECE over `bins` equal-mass bins (default 15).
#[napi]
pub fn aece(
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] probs: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] labels: FloatsArg<'_>,
    #[napi(ts_arg_type = "number")] bins: Option<NumberArg<'_>>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] weights: Option<FloatsArg<'_>>,
) -> Result<f64> {
    metrics::binned(Binned::Aece, probs.arg(), labels.arg(), opt(bins), opt(weights)).map_err(throw)
}

/// Maximum calibration error over the non-empty of `bins` equal-width bins.
#[napi]
pub fn mce(
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] probs: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] labels: FloatsArg<'_>,
    #[napi(ts_arg_type = "number")] bins: Option<NumberArg<'_>>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] weights: Option<FloatsArg<'_>>,
) -> Result<f64> {
    metrics::binned(Binned::Mce, probs.arg(), labels.arg(), opt(bins), opt(weights)).map_err(throw)
}

/// Debiased L2 calibration error over `bins` equal-mass bins (default 15).
#[napi]
pub fn dece(
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] probs: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] labels: FloatsArg<'_>,
    #[napi(ts_arg_type = "number")] bins: Option<NumberArg<'_>>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] weights: Option<FloatsArg<'_>>,
) -> Result<f64> {
    metrics::binned(Binned::Dece, probs.arg(), labels.arg(), opt(bins), opt(weights)).map_err(throw)
}

/// Brier score: the (weighted) mean of `(p − y)²`.
#[napi]
pub fn brier(
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] probs: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] labels: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] weights: Option<FloatsArg<'_>>,
) -> Result<f64> {
    metrics::brier(probs.arg(), labels.arg(), opt(weights)).map_err(throw)
}

/// Log-loss, with probabilities clipped to `[1e-15, 1 − 1e-15]`.
#[napi]
pub fn log_loss(
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] probs: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] labels: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] weights: Option<FloatsArg<'_>>,
) -> Result<f64> {
    metrics::log_loss(probs.arg(), labels.arg(), opt(weights)).map_err(throw)
}

/// Every metric of one set of probabilities, with one K.
#[napi(object)]
pub struct Metrics {
    /// Points.
    pub n: f64,
    /// ECE over K equal-width bins.
    pub ece: f64,
    /// Adaptive ECE over K equal-mass bins.
    pub aece: f64,
    /// MCE over K equal-width bins.
    pub mce: f64,
    /// Debiased L2 error over K equal-mass bins.
    pub dece: f64,
    /// Brier score.
    pub brier: f64,
    /// Log-loss.
    pub log_loss: f64,
    /// Equal-mass bins merged away as duplicate edges, in % of K.
    pub merged_bin_percent: f64,
}

/// All metrics at once (ECE, MCE and Brier from equal-width bins, AECE and
/// DECE from equal-mass bins), as calib-core's `evaluate` computes them.
#[napi]
pub fn evaluate(
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] probs: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] labels: FloatsArg<'_>,
    #[napi(ts_arg_type = "number")] bins: Option<NumberArg<'_>>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] weights: Option<FloatsArg<'_>>,
) -> Result<Metrics> {
    let m = metrics::evaluate(probs.arg(), labels.arg(), opt(bins), opt(weights)).map_err(throw)?;
    Ok(Metrics {
        n: m.n as f64,
        ece: m.ece,
        aece: m.aece,
        mce: m.mce,
        dece: m.dece,
        brier: m.brier,
        log_loss: m.log_loss,
        merged_bin_percent: m.merged_bin_percent,
    })
}

/// One non-empty bin of a reliability diagram.
#[napi(object)]
pub struct ReliabilityBin {
    /// Lower edge.
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Points in the bin.
    pub count: f64,
    /// Their weight.
    pub weight: f64,
    /// Mean probability.
    pub mean_p: f64,
    /// Observed positive rate.
    pub observed: f64,
    /// Wilson 95 % interval of the observed rate, lower end.
    pub ci_low: f64,
    /// Wilson 95 % interval of the observed rate, upper end.
    pub ci_high: f64,
}

/// The non-empty bins of a reliability diagram, `bins` bins (default 15)
/// placed by `strategy` (`"equal_width"`, the default, or `"equal_mass"`).
#[napi]
pub fn reliability_bins(
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] probs: FloatsArg<'_>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] labels: FloatsArg<'_>,
    #[napi(ts_arg_type = "number")] bins: Option<NumberArg<'_>>,
    #[napi(ts_arg_type = "'equal_width' | 'equal_mass'")] strategy: Option<StringArg<'_>>,
    #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] weights: Option<FloatsArg<'_>>,
) -> Result<Vec<ReliabilityBin>> {
    let bins = metrics::reliability_bins(probs.arg(), labels.arg(), opt(bins), opt(strategy), opt(weights));
    Ok(bins
        .map_err(throw)?
        .into_iter()
        .map(|b| ReliabilityBin {
            lower: b.lower,
            upper: b.upper,
            count: b.count as f64,
            weight: b.weight,
            mean_p: b.mean_p,
            observed: b.observed,
            ci_low: b.ci_low,
            ci_high: b.ci_high,
        })
        .collect())
}

/// The AECE tolerance `τ(N, K) = max(0.015, ĉ·√(K/N))` (`Infinity` when N is 0).
#[napi]
pub fn tau(
    #[napi(ts_arg_type = "number")] n: NumberArg<'_>,
    #[napi(ts_arg_type = "number")] k: NumberArg<'_>,
    #[napi(ts_arg_type = "number")] c_hat: NumberArg<'_>,
) -> Result<f64> {
    metrics::tau(n.arg(), k.arg(), c_hat.arg()).map_err(throw)
}
