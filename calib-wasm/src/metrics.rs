//! The metric functions, each calib-js's function of the same name.

use crate::convert::{Result, arg, object, opt, throw};
use calib_js::metrics::{self, Binned};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Float inputs: read as f64 (a Float32Array is widened exactly). */
export type Floats = Float64Array | Float32Array | number[];
/** Every metric of one set of probabilities, with one K. */
export interface Metrics {
  /** Points. */
  n: number;
  /** ECE over K equal-width bins. */
  ece: number;
  /** Adaptive ECE over K equal-mass bins. */
  aece: number;
  /** MCE over K equal-width bins. */
  mce: number;
  /** Debiased L2 error over K equal-mass bins. */
  dece: number;
  /** Brier score. */
  brier: number;
  /** Log-loss. */
  logLoss: number;
  /** Equal-mass bins merged away as duplicate edges, in % of K. */
  mergedBinPercent: number;
}
/** One non-empty bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Lower edge. */
  lower: number;
  /** Upper edge. */
  upper: number;
  /** Points in the bin. */
  count: number;
  /** Their weight. */
  weight: number;
  /** Mean probability. */
  meanP: number;
  /** Observed positive rate. */
  observed: number;
  /** Wilson 95 % interval of the observed rate, lower end. */
  ciLow: number;
  /** Wilson 95 % interval of the observed rate, upper end. */
  ciHigh: number;
}
"#;

/// Expected calibration error over `bins` equal-width bins (default 15).
#[wasm_bindgen]
pub fn ece(
    #[wasm_bindgen(unchecked_param_type = "Floats")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Floats")] labels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number | null")] bins: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "Floats | null")] weights: Option<JsValue>,
) -> Result<f64> {
    metrics::binned(Binned::Ece, arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)
}

/// Adaptive ECE over `bins` equal-mass bins (default 15).
#[wasm_bindgen]
pub fn aece(
    #[wasm_bindgen(unchecked_param_type = "Floats")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Floats")] labels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number | null")] bins: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "Floats | null")] weights: Option<JsValue>,
) -> Result<f64> {
    metrics::binned(Binned::Aece, arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)
}

/// Maximum calibration error over the non-empty of `bins` equal-width bins.
#[wasm_bindgen]
pub fn mce(
    #[wasm_bindgen(unchecked_param_type = "Floats")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Floats")] labels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number | null")] bins: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "Floats | null")] weights: Option<JsValue>,
) -> Result<f64> {
    metrics::binned(Binned::Mce, arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)
}

/// Debiased L2 calibration error over `bins` equal-mass bins (default 15).
#[wasm_bindgen]
pub fn dece(
    #[wasm_bindgen(unchecked_param_type = "Floats")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Floats")] labels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number | null")] bins: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "Floats | null")] weights: Option<JsValue>,
) -> Result<f64> {
    metrics::binned(Binned::Dece, arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)
}

/// Brier score: the (weighted) mean of `(p − y)²`.
#[wasm_bindgen]
pub fn brier(
    #[wasm_bindgen(unchecked_param_type = "Floats")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Floats")] labels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Floats | null")] weights: Option<JsValue>,
) -> Result<f64> {
    metrics::brier(arg(&probs), arg(&labels), opt(weights)).map_err(throw)
}

/// Log-loss, with probabilities clipped to `[1e-15, 1 − 1e-15]`.
#[wasm_bindgen(js_name = logLoss)]
pub fn log_loss(
    #[wasm_bindgen(unchecked_param_type = "Floats")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Floats")] labels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Floats | null")] weights: Option<JsValue>,
) -> Result<f64> {
    metrics::log_loss(arg(&probs), arg(&labels), opt(weights)).map_err(throw)
}

/// All metrics at once (ECE, MCE and Brier from equal-width bins, AECE and
/// DECE from equal-mass bins), as calib-core's `evaluate` computes them.
#[wasm_bindgen(unchecked_return_type = "Metrics")]
pub fn evaluate(
    #[wasm_bindgen(unchecked_param_type = "Floats")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Floats")] labels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number | null")] bins: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "Floats | null")] weights: Option<JsValue>,
) -> Result<JsValue> {
    let m = metrics::evaluate(arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)?;
    Ok(object(&[
        ("n", (m.n as f64).into()),
        ("ece", m.ece.into()),
        ("aece", m.aece.into()),
        ("mce", m.mce.into()),
        ("dece", m.dece.into()),
        ("brier", m.brier.into()),
        ("logLoss", m.log_loss.into()),
        ("mergedBinPercent", m.merged_bin_percent.into()),
    ]))
}

/// The non-empty bins of a reliability diagram, `bins` bins (default 15)
/// placed by `strategy` (`"equal_width"`, the default, or `"equal_mass"`).
#[wasm_bindgen(js_name = reliabilityBins, unchecked_return_type = "ReliabilityBin[]")]
pub fn reliability_bins(
    #[wasm_bindgen(unchecked_param_type = "Floats")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Floats")] labels: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number | null")] bins: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "'equal_width' | 'equal_mass' | null")] strategy: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "Floats | null")] weights: Option<JsValue>,
) -> Result<JsValue> {
    let bins =
        metrics::reliability_bins(arg(&probs), arg(&labels), opt(bins), opt(strategy), opt(weights)).map_err(throw)?;
    let out = js_sys::Array::new();
    for b in bins {
        out.push(&object(&[
            ("lower", b.lower.into()),
            ("upper", b.upper.into()),
            ("count", (b.count as f64).into()),
            ("weight", b.weight.into()),
            ("meanP", b.mean_p.into()),
            ("observed", b.observed.into()),
            ("ciLow", b.ci_low.into()),
            ("ciHigh", b.ci_high.into()),
        ]));
    }
    Ok(out.into())
}

/// The AECE tolerance `τ(N, K) = max(0.015, ĉ·√(K/N))` (`Infinity` when N is 0).
#[wasm_bindgen]
pub fn tau(
    #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] k: JsValue,
    #[wasm_bindgen(js_name = cHat, unchecked_param_type = "number")] c_hat: JsValue,
) -> Result<f64> {
    metrics::tau(arg(&n), arg(&k), arg(&c_hat)).map_err(throw)
}
