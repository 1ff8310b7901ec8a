//! The `Calibrator` class over calib-js's [`calib_js::Calibrator`].

use crate::convert::{FloatsArg, NumberArg, Result, StringArg, ToArg, opt, throw};
use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;

/// A calibration model: a global map plus one map per query class.
///
/// A class without a map of its own (unknown, or too small when fitted) and
/// a missing class are served by the global map. Every score calibrated is
/// counted (see `stats()`), so a service can watch its clamp rate.
#[napi]
pub struct Calibrator(pub(crate) calib_js::Calibrator);

/// Counts of the scores a calibrator has calibrated since it was loaded or
/// its stats were last reset.
#[napi(object)]
pub struct ApplyCounts {
    /// Scores seen.
    pub n: f64,
    /// Finite scores outside the map's fitted range (clipped, NaN'd or refused).
    pub out_of_range: f64,
    /// NaN or infinite scores.
    pub non_finite: f64,
    /// `(outOfRange + nonFinite) / n`, 0 when `n` is 0.
    pub clamp_rate: f64,
}

#[napi]
impl Calibrator {
    /// Loads a model from calib's JSON model format (`schema_version` 1).
    /// Throws `bad_model` for anything calib would not serve.
    #[napi(factory, js_name = "fromJSON")]
    pub fn from_json(#[napi(ts_arg_type = "string")] text: StringArg<'_>) -> Result<Calibrator> {
        calib_js::Calibrator::from_json(text.arg()).map(Calibrator).map_err(throw)
    }

    /// Calibrated probability of one score, with the map of `cls`
    /// (the global map when `cls` is omitted or has no map of its own).
    #[napi]
    pub fn apply(
        &mut self,
        #[napi(ts_arg_type = "number")] score: NumberArg<'_>,
        #[napi(ts_arg_type = "string | null")] cls: Option<StringArg<'_>>,
    ) -> Result<f64> {
        self.0.apply(score.arg(), opt(cls)).map_err(throw)
    }

    /// Calibrates a batch of scores of one class into a new `Float64Array`.
    /// An error names the index of the offending score. (calib-node reads
    /// a `Float64Array` in place; calib-wasm copies it into its memory.)
    #[napi(ts_return_type = "Float64Array")]
    pub fn apply_batch(
        &mut self,
        #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] scores: FloatsArg<'_>,
        #[napi(ts_arg_type = "string | null")] cls: Option<StringArg<'_>>,
    ) -> Result<Float64Array> {
        self.0.apply_batch(scores.arg(), opt(cls)).map(Float64Array::new).map_err(throw)
    }

    /// The classes that have a map of their own, in sorted order.
    #[napi]
    pub fn classes(&self) -> Vec<String> {
        self.0.classes()
    }

    /// The counts of everything calibrated since loading or `resetStats()`.
    #[napi]
    pub fn stats(&self) -> ApplyCounts {
        let s = self.0.stats();
        ApplyCounts {
            n: s.n as f64,
            out_of_range: s.out_of_range as f64,
            non_finite: s.non_finite as f64,
            clamp_rate: s.clamp_rate(),
        }
    }

    /// Starts a new counting window.
    #[napi]
    pub fn reset_stats(&mut self) {
        self.0.reset_stats();
    }

    /// After `fromManifest`: the trust state to persist and pass as
    /// `trust.state` to the next load (it records this manifest's version).
    /// `null` for a calibrator loaded with `fromJSON`.
    #[napi]
    pub fn trust_state(&self) -> Option<String> {
        self.0.trust_state().map(str::to_string)
    }
}
