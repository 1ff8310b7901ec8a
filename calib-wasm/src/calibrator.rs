//! The `Calibrator` class over calib-js's [`calib_js::Calibrator`].

use crate::convert::{Result, arg, object, opt, throw};
use js_sys::Float64Array;
use wasm_bindgen::prelude::*;

/// A calibration model: a global map plus one map per query class.
///
/// A class without a map of its own (unknown, or too small when fitted) and
/// a missing class are served by the global map. Every score calibrated is
/// counted (see `stats()`), so a service can watch its clamp rate.
#[wasm_bindgen]
pub struct Calibrator(pub(crate) calib_js::Calibrator);

#[wasm_bindgen(typescript_custom_section)]
const APPLY_COUNTS: &str = r#"
/** Counts of the scores a calibrator has calibrated since it was loaded or its stats were last reset. */
export interface ApplyCounts {
  /** Scores seen. */
  n: number;
  /** Finite scores outside the map's fitted range (clipped, NaN'd or refused). */
  outOfRange: number;
  /** NaN or infinite scores. */
  nonFinite: number;
  /** `(outOfRange + nonFinite) / n`, 0 when `n` is 0. */
  clampRate: number;
}
"#;

#[wasm_bindgen]
impl Calibrator {
    /// Loads a model from calib's JSON model format (`schema_version` 1).
    /// Throws `bad_model` for anything calib would not serve.
    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(#[wasm_bindgen(unchecked_param_type = "string")] text: JsValue) -> Result<Calibrator> {
        calib_js::Calibrator::from_json(arg(&text)).map(Calibrator).map_err(throw)
    }

    /// Calibrated probability of one score, with the map of `cls`
    /// (the global map when `cls` is omitted or has no map of its own).
    pub fn apply(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] score: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] cls: Option<JsValue>,
    ) -> Result<f64> {
        self.0.apply(arg(&score), opt(cls)).map_err(throw)
    }

    /// Calibrates a batch of scores of one class into a new `Float64Array`.
    /// An error names the index of the offending score.
    #[wasm_bindgen(js_name = applyBatch)]
    pub fn apply_batch(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Float64Array | Float32Array | number[]")] scores: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] cls: Option<JsValue>,
    ) -> Result<Float64Array> {
        let out = self.0.apply_batch(arg(&scores), opt(cls)).map_err(throw)?;
        Ok(Float64Array::from(&out[..]))
    }

    /// The classes that have a map of their own, in sorted order.
    pub fn classes(&self) -> Vec<String> {
        self.0.classes()
    }

    /// The counts of everything calibrated since loading or `resetStats()`.
    #[wasm_bindgen(unchecked_return_type = "ApplyCounts")]
    pub fn stats(&self) -> JsValue {
        let s = self.0.stats();
        object(&[
            ("n", (s.n as f64).into()),
            ("outOfRange", (s.out_of_range as f64).into()),
            ("nonFinite", (s.non_finite as f64).into()),
            ("clampRate", s.clamp_rate().into()),
        ])
    }

    /// Starts a new counting window.
    #[wasm_bindgen(js_name = resetStats)]
    pub fn reset_stats(&mut self) {
        self.0.reset_stats();
    }

    /// After `fromManifest`: the trust state to persist and pass as
    /// `trust.state` to the next load (it records this manifest's version).
    /// `null` for a calibrator loaded with `fromJSON`.
    #[wasm_bindgen(js_name = trustState, unchecked_return_type = "string | null")]
    pub fn trust_state(&self) -> JsValue {
        self.0.trust_state().map_or(JsValue::NULL, JsValue::from_str)
    }
}
