//! The `Calibrator` class: a loaded calib-core [`Model`] and the clamp-rate
//! counts of what it has calibrated.

use crate::arg::{Arg, Floats, floats, number, opt_string, string};
use crate::error::Result;
use calib_core::map::ApplyStats;
use calib_core::model::Model;

/// What a JS `Calibrator` holds: the model, the counts of what it has
/// calibrated (its `stats()`), and after `fromManifest` the loader's trust
/// state. Each binding's `Calibrator` class wraps one.
#[derive(Debug, Clone)]
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

    /// `Calibrator.fromJSON(text)`: a model in calib's JSON model format.
    pub fn from_json(text: Arg<String>) -> Result<Calibrator> {
        let text = string("text", text)?;
        Ok(Calibrator::new(Model::from_json(&text)?, None))
    }

    /// `apply(score, cls?)`: one score through the map of `cls` (the
    /// global map for none, or a class without a map of its own), counted.
    pub fn apply(&mut self, score: Arg<f64>, cls: Option<Arg<String>>) -> Result<f64> {
        let score = number("score", score)?;
        let cls = opt_string("cls", cls)?;
        Ok(self.model.map(cls.as_deref()).apply_counted(score, &mut self.stats)?)
    }

    /// `applyBatch(scores, cls?)`: a batch of scores of one class, counted.
    pub fn apply_batch(&mut self, scores: Arg<Floats<'_>>, cls: Option<Arg<String>>) -> Result<Vec<f64>> {
        let scores = floats("scores", scores)?;
        let cls = opt_string("cls", cls)?;
        let mut out = vec![0.0; scores.len()];
        self.model.apply_batch(cls.as_deref(), &scores, &mut out, &mut self.stats)?;
        Ok(out)
    }

    /// `classes()`: the classes with a map of their own, sorted.
    pub fn classes(&self) -> Vec<String> {
        self.model.classes().map(str::to_string).collect()
    }

    /// `stats()`: the counts since loading or `resetStats()`. (A count goes
    /// to JavaScript as a number, exact up to 2^53.)
    pub fn stats(&self) -> &ApplyStats {
        &self.stats
    }

    /// `resetStats()`: starts a new counting window.
    pub fn reset_stats(&mut self) {
        self.stats = ApplyStats::default();
    }

    /// `trustState()`: after `fromManifest`, the trust state to persist and
    /// pass as `trust.state` to the next load; `None` (`null`) after `fromJSON`.
    pub fn trust_state(&self) -> Option<&str> {
        self.trust_state.as_deref()
    }
}
