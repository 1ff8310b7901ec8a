//! The metric functions, each calib-js's function of the same name.

use crate::convert::{Result, arg, object, opt, throw};
use calib_js::metrics::{self, Binned};
use wasm_bindgen::prelude::*;

/// `ece(probs, labels, bins?, weights?)`.
#[wasm_bindgen(skip_typescript)]
pub fn ece(probs: JsValue, labels: JsValue, bins: Option<JsValue>, weights: Option<JsValue>) -> Result<f64> {
    metrics::binned(Binned::Ece, arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)
}

/// `aece(probs, labels, bins?, weights?)`.
#[wasm_bindgen(skip_typescript)]
pub fn aece(probs: JsValue, labels: JsValue, bins: Option<JsValue>, weights: Option<JsValue>) -> Result<f64> {
    metrics::binned(Binned::Aece, arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)
}

/// `mce(probs, labels, bins?, weights?)`.
#[wasm_bindgen(skip_typescript)]
pub fn mce(probs: JsValue, labels: JsValue, bins: Option<JsValue>, weights: Option<JsValue>) -> Result<f64> {
    metrics::binned(Binned::Mce, arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)
}

/// `dece(probs, labels, bins?, weights?)`.
#[wasm_bindgen(skip_typescript)]
pub fn dece(probs: JsValue, labels: JsValue, bins: Option<JsValue>, weights: Option<JsValue>) -> Result<f64> {
    metrics::binned(Binned::Dece, arg(&probs), arg(&labels), opt(bins), opt(weights)).map_err(throw)
}

/// `brier(probs, labels, weights?)`.
#[wasm_bindgen(skip_typescript)]
pub fn brier(probs: JsValue, labels: JsValue, weights: Option<JsValue>) -> Result<f64> {
    metrics::brier(arg(&probs), arg(&labels), opt(weights)).map_err(throw)
}

/// `logLoss(probs, labels, weights?)`.
#[wasm_bindgen(skip_typescript, js_name = logLoss)]
pub fn log_loss(probs: JsValue, labels: JsValue, weights: Option<JsValue>) -> Result<f64> {
    metrics::log_loss(arg(&probs), arg(&labels), opt(weights)).map_err(throw)
}

/// `evaluate(probs, labels, bins?, weights?)`: a plain `Metrics` object.
#[wasm_bindgen(skip_typescript)]
pub fn evaluate(probs: JsValue, labels: JsValue, bins: Option<JsValue>, weights: Option<JsValue>) -> Result<JsValue> {
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

/// `reliabilityBins(probs, labels, bins?, strategy?, weights?)`: an array
/// of plain `ReliabilityBin` objects.
#[wasm_bindgen(skip_typescript, js_name = reliabilityBins)]
pub fn reliability_bins(
    probs: JsValue,
    labels: JsValue,
    bins: Option<JsValue>,
    strategy: Option<JsValue>,
    weights: Option<JsValue>,
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

/// `tau(n, k, cHat)`.
#[wasm_bindgen(skip_typescript)]
pub fn tau(n: JsValue, k: JsValue, #[wasm_bindgen(js_name = cHat)] c_hat: JsValue) -> Result<f64> {
    metrics::tau(arg(&n), arg(&k), arg(&c_hat)).map_err(throw)
}
