//! The `Calibrator` class over calib-js's [`calib_js::Calibrator`].

use crate::convert::{Result, arg, object, opt, throw};
use js_sys::Float64Array;
use wasm_bindgen::prelude::*;

/// The JS `Calibrator` class (tests/js/API.md).
#[wasm_bindgen(skip_typescript)]
pub struct Calibrator(pub(crate) calib_js::Calibrator);

#[wasm_bindgen]
impl Calibrator {
    /// `Calibrator.fromJSON(text)`.
    #[wasm_bindgen(skip_typescript, js_name = fromJSON)]
    pub fn from_json(text: JsValue) -> Result<Calibrator> {
        calib_js::Calibrator::from_json(arg(&text)).map(Calibrator).map_err(throw)
    }

    /// `apply(score, cls?)`.
    #[wasm_bindgen(skip_typescript)]
    pub fn apply(&mut self, score: JsValue, cls: Option<JsValue>) -> Result<f64> {
        self.0.apply(arg(&score), opt(cls)).map_err(throw)
    }

    /// `applyBatch(scores, cls?)`: a new `Float64Array`.
    #[wasm_bindgen(skip_typescript, js_name = applyBatch)]
    pub fn apply_batch(&mut self, scores: JsValue, cls: Option<JsValue>) -> Result<Float64Array> {
        let out = self.0.apply_batch(arg(&scores), opt(cls)).map_err(throw)?;
        Ok(Float64Array::from(&out[..]))
    }

    /// `classes()`.
    #[wasm_bindgen(skip_typescript)]
    pub fn classes(&self) -> Vec<String> {
        self.0.classes()
    }

    /// `stats()`: a plain `ApplyCounts` object.
    #[wasm_bindgen(skip_typescript)]
    pub fn stats(&self) -> JsValue {
        let s = self.0.stats();
        object(&[
            ("n", (s.n as f64).into()),
            ("outOfRange", (s.out_of_range as f64).into()),
            ("nonFinite", (s.non_finite as f64).into()),
            ("clampRate", s.clamp_rate().into()),
        ])
    }

    /// `resetStats()`.
    #[wasm_bindgen(skip_typescript, js_name = resetStats)]
    pub fn reset_stats(&mut self) {
        self.0.reset_stats();
    }

    /// `trustState()`: a string, or `null` after `fromJSON`.
    #[cfg(feature = "full")]
    #[wasm_bindgen(skip_typescript, js_name = trustState)]
    pub fn trust_state(&self) -> JsValue {
        self.0.trust_state().map_or(JsValue::NULL, JsValue::from_str)
    }
}
