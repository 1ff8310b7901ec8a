//! The `Calibrator` class: a loaded calib-core [`Model`] and the clamp-rate
//! counts of what it has calibrated.

use crate::convert::{Result, core_error, floats, number, object, opt_string, string};
use calib_core::map::ApplyStats;
use calib_core::model::Model;
use js_sys::Float64Array;
use wasm_bindgen::prelude::*;

/// A calibration model: a global map plus one map per query class.
///
/// A class without a map of its own (unknown, or too small when fitted) and
/// a missing class are served by the global map. Every score calibrated is
/// counted (see `stats()`), so a service can watch its clamp rate.
#[wasm_bindgen]
pub struct Calibrator {
    model: Model,
    stats: ApplyStats,
    /// The loader's trust state after a `fromManifest`, as JSON.
    trust_state: Option<String>,
}

impl Calibrator {
    pub(crate) fn new(model: Model, trust_state: Option<String>) -> Calibrator {
        Calibrator { model, stats: ApplyStats::default(), trust_state }
    }
}

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
        let text = string("text", &text)?;
        let model = Model::from_json(&text).map_err(core_error)?;
        Ok(Calibrator::new(model, None))
    }

    /// Calibrated probability of one score, with the map of `cls`
    /// (the global map when `cls` is omitted or has no map of its own).
    pub fn apply(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] score: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] cls: Option<JsValue>,
    ) -> Result<f64> {
        let score = number("score", &score)?;
        let cls = opt_string("cls", cls)?;
        self.model.map(cls.as_deref()).apply_counted(score, &mut self.stats).map_err(core_error)
    }

    /// Calibrates a batch of scores of one class into a new `Float64Array`.
    /// An error names the index of the offending score.
    #[wasm_bindgen(js_name = applyBatch)]
    pub fn apply_batch(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Float64Array | Float32Array | number[]")] scores: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] cls: Option<JsValue>,
    ) -> Result<Float64Array> {
        let scores = floats("scores", &scores)?;
        let cls = opt_string("cls", cls)?;
        let mut out = vec![0.0; scores.len()];
        self.model.apply_batch(cls.as_deref(), &scores, &mut out, &mut self.stats).map_err(core_error)?;
        Ok(Float64Array::from(&out[..]))
    }

    /// The classes that have a map of their own, in sorted order.
    pub fn classes(&self) -> Vec<String> {
        self.model.classes().map(str::to_string).collect()
    }

    /// The counts of everything calibrated since loading or `resetStats()`.
    #[wasm_bindgen(unchecked_return_type = "ApplyCounts")]
    pub fn stats(&self) -> JsValue {
        let s = &self.stats;
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
        self.stats = ApplyStats::default();
    }

    /// After `fromManifest`: the trust state to persist and pass as
    /// `trust.state` to the next load (it records this manifest's version).
    /// `null` for a calibrator loaded with `fromJSON`.
    #[wasm_bindgen(js_name = trustState, unchecked_return_type = "string | null")]
    pub fn trust_state(&self) -> JsValue {
        self.trust_state.as_deref().map_or(JsValue::NULL, JsValue::from_str)
    }
}
