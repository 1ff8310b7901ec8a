//! The workflow's built-in data: two quarters of the demo ranker's traffic
//! (calib-core's `synthetic::demo_dataset`), the incumbent and candidate
//! fitted on them, and the traffic of the rollout's windows.
//!
//! - **Last quarter** (seed + 1): the incumbent, plain isotonic, fitted on
//!   its training split and gated (against itself: it was the first
//!   release) on its holdout.
//! - **This quarter** (seed): the candidate, strict (rank-preserving)
//!   isotonic, fitted on its training split and gated against the incumbent
//!   on its holdout.
//! - **Window traffic**: fresh rows of the same ranker, one seed per window.
//!   The injected breach flips a share of the labels (what users find
//!   relevant changed), drawn with calib-core's seeded generator.

use crate::io::CliError;
use calib_core::gate::Holdout;
use calib_core::model::{FitConfig, Model, fit_model};
use calib_core::rng::SeededRng;
use calib_core::synthetic::{DEMO_CLASSES, demo_dataset};

/// Labelled rows: one query per 20 consecutive rows, a class per row.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub query_ids: Vec<String>,
    pub classes: Vec<&'static str>,
    pub scores: Vec<f64>,
    pub labels: Vec<f64>,
}

impl Rows {
    /// The rows as a gate holdout.
    pub fn holdout(&self) -> Holdout<'_, String, &'static str> {
        Holdout { query_ids: &self.query_ids, scores: &self.scores, labels: &self.labels, classes: Some(&self.classes) }
    }

    fn push(&mut self, query: String, class: &'static str, score: f64, label: f64) {
        self.query_ids.push(query);
        self.classes.push(class);
        self.scores.push(score);
        self.labels.push(label);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Writes the rows as CSV (`query_id,class,score,label`, and
    /// `timestamp` when given), the input `calib gate` and `calib report` read.
    pub fn write_csv(&self, w: &mut dyn std::io::Write, timestamps: Option<&[String]>) -> std::io::Result<()> {
        writeln!(w, "query_id,class,score,label{}", if timestamps.is_some() { ",timestamp" } else { "" })?;
        for i in 0..self.len() {
            write!(w, "{},{},{},{}", self.query_ids[i], self.classes[i], self.scores[i], self.labels[i])?;
            match timestamps {
                Some(t) => writeln!(w, ",{}", t[i])?,
                None => writeln!(w)?,
            }
        }
        Ok(())
    }
}

/// One quarter of traffic, split as `calib demo` splits it.
#[derive(Debug, Clone)]
pub struct Quarter {
    pub train: Rows,
    pub holdout: Rows,
}

/// `rows` rows of the demo ranker from `seed`; query ids carry `prefix`
/// so two quarters never share one.
pub fn quarter(rows: usize, seed: u64, prefix: &str) -> Quarter {
    let d = demo_dataset(rows, seed);
    let mut q = Quarter { train: Rows::default(), holdout: Rows::default() };
    for i in 0..d.score.len() {
        let part = if d.train[i] { &mut q.train } else { &mut q.holdout };
        part.push(format!("{prefix}{}", d.query_id[i]), DEMO_CLASSES[d.class[i] as usize], d.score[i], d.label[i]);
    }
    q
}

/// A per-class model fitted on the rows (plain or strict isotonic; calib's
/// defaults otherwise).
pub fn fit(rows: &Rows, strict: bool) -> Result<Model, CliError> {
    let cfg = FitConfig { strict, ..FitConfig::default() };
    fit_model(&rows.scores, &rows.labels, None, Some(&rows.classes), &cfg)
        .map_err(|e| CliError::Usage(format!("fitting the built-in data: {e}")))
}

/// The traffic of one window: `rows` fresh rows from `seed`, with each
/// label flipped with probability `flip` (0: healthy).
pub fn window_traffic(rows: usize, seed: u64, flip: f64, prefix: &str) -> Rows {
    let d = demo_dataset(rows, seed);
    let mut rng = SeededRng::new(seed ^ 0x5eed_f11b);
    let mut out = Rows::default();
    for i in 0..d.score.len() {
        let flipped = flip > 0.0 && rng.bernoulli(flip) == 1.0;
        let label = if flipped { 1.0 - d.label[i] } else { d.label[i] };
        out.push(format!("{prefix}{}", d.query_id[i]), DEMO_CLASSES[d.class[i] as usize], d.score[i], label);
    }
    out
}
