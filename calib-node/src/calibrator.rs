//! The `Calibrator` class: a loaded calib-core [`Model`] and the clamp-rate
//! counts of what it has calibrated.

use crate::convert::{FloatsArg, NumberArg, Result, StringArg, core_error, floats, number, opt_string, string};
use calib_core::map::ApplyStats;
use calib_core::model::Model;
use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;

/// A calibration model: a global map plus one map per query class.
///
/// A class without a map of its own (unknown, or too small when fitted) and
/// a missing class are served by the global map. Every score calibrated is
/// counted (see `stats()`), so a service can watch its clamp rate.
#[napi]
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
        let text = string("text", text)?;
        let model = Model::from_json(&text).map_err(core_error)?;
        Ok(Calibrator::new(model, None))
    }

    /// Calibrated probability of one score, with the map of `cls`
    /// (the global map when `cls` is omitted or has no map of its own).
    #[napi]
    pub fn apply(
        &mut self,
        #[napi(ts_arg_type = "number")] score: NumberArg<'_>,
        #[napi(ts_arg_type = "string | null")] cls: Option<StringArg<'_>>,
    ) -> Result<f64> {
        let score = number("score", score)?;
        let cls = opt_string("cls", cls)?;
        self.model.map(cls.as_deref()).apply_counted(score, &mut self.stats).map_err(core_error)
    }

    /// Calibrates a batch of scores of one class into a new `Float64Array`.
    /// A `Float64Array` is read in place (no copy). An error names the
    /// index of the offending score.
    #[napi(ts_return_type = "Float64Array")]
    pub fn apply_batch(
        &mut self,
        #[napi(ts_arg_type = "Float64Array | Float32Array | number[]")] scores: FloatsArg<'_>,
        #[napi(ts_arg_type = "string | null")] cls: Option<StringArg<'_>>,
    ) -> Result<Float64Array> {
        let scores = floats("scores", scores)?;
        let cls = opt_string("cls", cls)?;
        let mut out = vec![0.0; scores.len()];
        self.model.apply_batch(cls.as_deref(), &scores, &mut out, &mut self.stats).map_err(core_error)?;
        Ok(Float64Array::new(out))
    }

    /// The classes that have a map of their own, in sorted order.
    #[napi]
    pub fn classes(&self) -> Vec<String> {
        self.model.classes().map(str::to_string).collect()
    }

    /// The counts of everything calibrated since loading or `resetStats()`.
    #[napi]
    pub fn stats(&self) -> ApplyCounts {
        let s = &self.stats;
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
        self.stats = ApplyStats::default();
    }

    /// After `fromManifest`: the trust state to persist and pass as
    /// `trust.state` to the next load (it records this manifest's version).
    /// `null` for a calibrator loaded with `fromJSON`.
    #[napi]
    pub fn trust_state(&self) -> Option<String> {
        self.trust_state.clone()
    }
}
