//! Drift monitoring: streaming window accumulators, alert rules and the
//! Prometheus text exposition of a window.
//!
//! A [`Window`] takes one labelled score at a time, calibrates it with the
//! map the caller serves ([`MapRef`], e.g. `Model::map(class)`) and keeps
//! what the monitor reports: the clamp rate (the [`ApplyStats`] of the
//! apply), the observed positive rate, Brier, a histogram of calibrated
//! probabilities, and — when the window is summarised — AECE, DECE and the
//! merged-bin % over K equal-mass bins. **It never allocates**: every buffer
//! is the caller's ([`WindowBuffers`]; with `alloc`, [`WindowStorage`] owns a
//! set), and its state is a fixed number of counters.
//!
//! # How a streaming monitor gets equal-mass edges
//!
//! AECE and DECE are defined over equal-mass bins: quantiles of the
//! window's own probabilities (docs/concepts.md §7.2). Quantiles need the
//! values, so the window keeps the calibrated probabilities (and labels) it
//! has seen in caller-provided storage of a fixed `capacity`, and computes
//! the exact edges — by the same selection as `metrics::evaluate` — when it
//! is summarised. Up to `capacity` rows, a window's AECE, DECE and
//! merged-bin % are bit-for-bit those of `metrics::evaluate` on the same
//! rows. Beyond it, the stored rows are a uniform **reservoir sample**
//! (Algorithm R, seeded from the config, re-seeded at every reset so a
//! window's result depends only on its rows) and the summary says how many
//! rows the equal-mass metrics used (`sampled`). Every other quantity
//! (counts, clamp rate, positive rate, Brier, histogram) is exact over all
//! rows at any size.
//!
//! *Why not fixed edges from the baseline*, as population-stability checks
//! do? Because the merged-bin alert exists to catch a window whose
//! probabilities collapse onto a few values (a ranker stuck on one score):
//! on baseline edges such a window looks like an ordinary, well-filled bin;
//! on its own equal-mass edges K bins visibly become one. And ΔAECE then
//! compares two AECEs exactly as the glossary defines them.
//!
//! # Alerts
//!
//! [`evaluate_alerts`] judges a window summary, against a baseline window's
//! summary for the drift rule; see [`AlertRule`] for the rules, their
//! severities and when a rule has no data.

mod alert;
#[cfg(feature = "alloc")]
mod calendar;
#[cfg(feature = "alloc")]
mod pack;
mod prometheus;

pub use alert::{
    Alert, AlertConfig, AlertLimit, AlertNote, AlertRule, AlertState, MergedBinsLimit, Severity, evaluate_alerts,
};
#[cfg(feature = "alloc")]
pub use calendar::{day_label, days_from_civil, iso_week_label, week_start_day};
#[cfg(feature = "alloc")]
pub use pack::{DriftPack, HistogramData, PACK_VERSION, PackError, Period, Rows, WindowStorage, drift_pack, window_of};
pub use prometheus::{Exposed, write_prometheus, write_prometheus_windows};

use crate::binning::{self, SELECT_BUCKETS, SelectScratch};
use crate::error::{Error, ErrorKind, Result};
use crate::map::{ApplyStats, MapRef};
use crate::metrics::{BinStats, BinnedAccumulator};
use crate::rng::SeededRng;

/// Histogram bins of calibrated probabilities, by default.
pub const DEFAULT_HISTOGRAM_BINS: usize = 20;
/// Rows a window keeps for its equal-mass metrics, by default (2²⁰: 16 MiB
/// of probabilities and labels, and AECE noise far below 0.01 at K = 15).
pub const DEFAULT_CAPACITY: usize = 1 << 20;
/// Seed of the reservoir, by default (the ĉ bootstrap's).
pub const DEFAULT_SEED: u64 = 0x00ca_11b0;

/// How windows are measured and judged.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(default, deny_unknown_fields))]
pub struct MonitorConfig {
    /// Equal-mass bins K of AECE, DECE and the merged-bin %.
    pub bins: usize,
    /// Equal-width bins of the histogram of calibrated probabilities.
    pub histogram_bins: usize,
    /// Rows a window keeps for its equal-mass metrics (a reservoir beyond).
    pub capacity: usize,
    /// Seed of the reservoir sample.
    pub seed: u64,
    /// The alert rules' limits.
    pub alerts: AlertConfig,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            bins: 15,
            histogram_bins: DEFAULT_HISTOGRAM_BINS,
            capacity: DEFAULT_CAPACITY,
            seed: DEFAULT_SEED,
            alerts: AlertConfig::default(),
        }
    }
}

impl MonitorConfig {
    /// Checks bins, capacity and the alert limits.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &'static str, v: f64| Err(Error::new(ErrorKind::InvalidParameter, what).value(v));
        if self.bins == 0 || self.bins > u32::MAX as usize {
            return bad("monitor bins", self.bins as f64);
        }
        if self.histogram_bins == 0 || self.histogram_bins > u32::MAX as usize {
            return bad("monitor histogram bins", self.histogram_bins as f64);
        }
        // The equal-mass selection marks ranks in the top bit of a u32.
        if self.capacity == 0 || self.capacity >= 1 << 31 {
            return bad("monitor capacity", self.capacity as f64);
        }
        self.alerts.validate()
    }
}

/// The caller's storage for one [`Window`]. Sizes: `probs`, `labels` and
/// `select_values` hold `capacity` values, `select_hist`
/// [`SELECT_BUCKETS`], `edges` `bins + 1`, `bins` `bins`, `histogram`
/// `histogram_bins` (see [`WindowBuffers::check`]).
#[derive(Debug)]
pub struct WindowBuffers<'a> {
    /// Calibrated probabilities kept for the equal-mass metrics.
    pub probs: &'a mut [f64],
    /// Their labels.
    pub labels: &'a mut [f64],
    /// Counts of the histogram of calibrated probabilities.
    pub histogram: &'a mut [u64],
    /// Scratch of the equal-mass selection: bucket counters.
    pub select_hist: &'a mut [u32],
    /// Scratch of the equal-mass selection: values.
    pub select_values: &'a mut [f64],
    /// The window's equal-mass edges, written when summarised.
    pub edges: &'a mut [f64],
    /// Per-bin sums, written when summarised.
    pub bins: &'a mut [BinStats],
}

impl WindowBuffers<'_> {
    /// Checks every buffer is large enough for `config`.
    pub fn check(&self, config: &MonitorConfig) -> Result<()> {
        let c = config.capacity;
        let need: [(&'static str, usize, usize); 7] = [
            ("probs", self.probs.len(), c),
            ("labels", self.labels.len(), c),
            ("histogram", self.histogram.len(), config.histogram_bins),
            ("select_hist", self.select_hist.len(), SELECT_BUCKETS),
            ("select_values", self.select_values.len(), c),
            ("edges", self.edges.len(), config.bins + 1),
            ("bins", self.bins.len(), config.bins),
        ];
        for (what, have, want) in need {
            if have < want {
                return Err(Error::new(ErrorKind::BufferTooSmall, what).counts(have, want));
            }
        }
        Ok(())
    }
}

/// What a window measured. `None` means "nothing to measure" (no row got a
/// probability), never NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(deny_unknown_fields))]
pub struct WindowSummary {
    /// Scores observed (every row with a valid label).
    pub scores: u64,
    /// Finite scores outside the map's range (clipped, NaN'd or refused).
    pub out_of_range: u64,
    /// NaN or infinite scores.
    pub non_finite: u64,
    /// Scores the map refused under an `error` policy (a subset of the two above).
    pub refused: u64,
    /// `(out_of_range + non_finite) / scores`, 0 when there are none.
    pub clamp_rate: f64,
    /// Rows that got a probability: the rows of Brier, the histogram and the mean.
    pub calibrated: u64,
    /// Rows the equal-mass metrics used: `calibrated`, or `capacity` when
    /// the window overflowed and they were taken from a uniform sample.
    pub sampled: u64,
    /// Mean label over every observed row.
    pub positive_rate: Option<f64>,
    /// Sum of the calibrated probabilities (the histogram's `_sum`).
    pub probability_sum: f64,
    /// Mean calibrated probability.
    pub mean_probability: Option<f64>,
    /// Brier score of the calibrated probabilities.
    pub brier: Option<f64>,
    /// Adaptive ECE over the window's own K equal-mass bins.
    pub aece: Option<f64>,
    /// Debiased L2 calibration error over the same bins.
    pub dece: Option<f64>,
    /// K requested.
    pub bins_requested: usize,
    /// Equal-mass bins left after duplicate edges collapsed (0 with no data).
    pub bins_left: usize,
    /// `100 × (K − bins left) / K`.
    pub merged_bin_percent: Option<f64>,
}

/// A streaming accumulator over one window of traffic. Never allocates.
#[derive(Debug)]
pub struct Window<'a> {
    config: MonitorConfig,
    buf: WindowBuffers<'a>,
    stats: ApplyStats,
    refused: u64,
    labelled: u64,
    label_sum: f64,
    calibrated: u64,
    stored: usize,
    prob_sum: f64,
    sq_err: f64,
    rng: SeededRng,
}

#[inline]
fn check_label(y: f64) -> Result<()> {
    if (0.0..=1.0).contains(&y) { Ok(()) } else { Err(Error::new(ErrorKind::LabelOutOfRange, "labels").at(0).value(y)) }
}

impl<'a> Window<'a> {
    /// An empty window over the caller's buffers.
    pub fn new(config: MonitorConfig, buffers: WindowBuffers<'a>) -> Result<Self> {
        config.validate()?;
        buffers.check(&config)?;
        let mut w = Window {
            config,
            buf: buffers,
            stats: ApplyStats::default(),
            refused: 0,
            labelled: 0,
            label_sum: 0.0,
            calibrated: 0,
            stored: 0,
            prob_sum: 0.0,
            sq_err: 0.0,
            rng: SeededRng::new(config.seed),
        };
        w.reset();
        Ok(w)
    }

    /// The config.
    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    /// Empties the window for the next one (buffers are reused; the
    /// reservoir is re-seeded, so equal rows give equal summaries).
    pub fn reset(&mut self) {
        self.stats = ApplyStats::default();
        self.refused = 0;
        self.labelled = 0;
        self.label_sum = 0.0;
        self.calibrated = 0;
        self.stored = 0;
        self.prob_sum = 0.0;
        self.sq_err = 0.0;
        self.rng = SeededRng::new(self.config.seed);
        self.buf.histogram[..self.config.histogram_bins].iter_mut().for_each(|c| *c = 0);
    }

    /// Calibrates `score` with `map` and adds it with its `label`.
    ///
    /// Returns the probability, or `None` when the map gave none: a score
    /// it refused under an `error` policy, or NaN under the `nan` policy.
    /// Either way the score counts in the clamp rate (as [`MapRef`] counts
    /// it) and its label in the positive rate. Fails — adding nothing —
    /// on a label outside [0, 1], and on a probability outside [0, 1] (a
    /// map whose values or fallback are not probabilities).
    #[inline]
    pub fn observe(&mut self, map: &MapRef<'_>, score: f64, label: f64) -> Result<Option<f64>> {
        check_label(label)?;
        let mut stats = self.stats;
        let p = match map.apply_counted(score, &mut stats) {
            Ok(p) => p,
            Err(_) => {
                self.stats = stats;
                self.refused += 1;
                self.add_label(label);
                return Ok(None);
            }
        };
        if p.is_nan() {
            self.stats = stats;
            self.add_label(label);
            return Ok(None);
        }
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::new(ErrorKind::ProbabilityOutOfRange, "calibrated").at(0).value(p));
        }
        self.stats = stats;
        self.add_label(label);
        self.record(p, label);
        Ok(Some(p))
    }

    /// Adds a probability the caller computed (no clamp statistics: the
    /// row counts as an in-range score).
    pub fn observe_probability(&mut self, p: f64, label: f64) -> Result<()> {
        check_label(label)?;
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::new(ErrorKind::ProbabilityOutOfRange, "probabilities").at(0).value(p));
        }
        self.stats.n += 1;
        self.add_label(label);
        self.record(p, label);
        Ok(())
    }

    #[inline]
    fn add_label(&mut self, y: f64) {
        self.labelled += 1;
        self.label_sum += y;
    }

    #[inline]
    fn record(&mut self, p: f64, y: f64) {
        let i = self.calibrated;
        self.calibrated += 1;
        self.prob_sum += p;
        let d = p - y;
        self.sq_err += d * d;
        let h = self.config.histogram_bins;
        self.buf.histogram[histogram_bin(p, h)] += 1;
        let cap = self.config.capacity;
        if self.stored < cap {
            self.buf.probs[self.stored] = p;
            self.buf.labels[self.stored] = y;
            self.stored += 1;
        } else {
            // Algorithm R: row i (0-based) replaces a kept row with
            // probability cap / (i + 1), so the kept rows stay a uniform sample.
            let j = self.rng.index((i as usize).saturating_add(1));
            if j < cap {
                self.buf.probs[j] = p;
                self.buf.labels[j] = y;
            }
        }
    }

    /// The clamp counters so far.
    pub fn apply_stats(&self) -> ApplyStats {
        self.stats
    }

    /// The histogram of calibrated probabilities so far: `histogram_bins`
    /// equal-width bins of [0, 1] under the bin convention (a value on an
    /// interior edge counts in the lower bin).
    pub fn histogram(&self) -> &[u64] {
        &self.buf.histogram[..self.config.histogram_bins]
    }

    /// Summarises the window: exact counts, rates and Brier, and AECE, DECE
    /// and merged-bin % over the window's own equal-mass edges (see the
    /// module docs). Uses the scratch buffers; never allocates. The window
    /// keeps its rows (summarise again, or [`reset`](Window::reset)).
    pub fn summary(&mut self) -> Result<WindowSummary> {
        let k = self.config.bins;
        let n = self.stored;
        let cal = self.calibrated;
        let mean = |s: f64, c: u64| if c == 0 { None } else { Some(s / c as f64) };
        let mut out = WindowSummary {
            scores: self.stats.n,
            out_of_range: self.stats.out_of_range,
            non_finite: self.stats.non_finite,
            refused: self.refused,
            clamp_rate: self.stats.clamp_rate(),
            calibrated: cal,
            sampled: n as u64,
            positive_rate: mean(self.label_sum, self.labelled),
            probability_sum: self.prob_sum,
            mean_probability: mean(self.prob_sum, cal),
            brier: mean(self.sq_err, cal),
            aece: None,
            dece: None,
            bins_requested: k,
            bins_left: 0,
            merged_bin_percent: None,
        };
        if n == 0 {
            return Ok(out);
        }
        let b = &mut self.buf;
        let es = binning::equal_mass_edges(
            &b.probs[..n],
            0.0,
            1.0,
            k,
            SelectScratch { hist: &mut *b.select_hist, values: &mut *b.select_values },
            &mut *b.edges,
        )?;
        let mut acc = BinnedAccumulator::new(&b.edges[..=es.bins], &mut *b.bins)?;
        acc.add_batch_unchecked(&b.probs[..n], &b.labels[..n], None);
        let s = acc.summary();
        out.aece = Some(s.calibration_error);
        out.dece = Some(s.debiased);
        out.bins_left = es.bins;
        out.merged_bin_percent = Some(es.merged_percent());
        Ok(out)
    }
}

/// The equal-width bin of `p` in [0, 1] among `h` bins, under the bin
/// convention: a guess from `p·h`, corrected against the edges `k/h` exactly
/// as the metrics compute them (so an edge value lands in the lower bin).
#[inline]
pub fn histogram_bin(p: f64, h: usize) -> usize {
    let edge = |k: usize| k as f64 / h as f64;
    let g = (p * h as f64) as usize; // saturating: negatives to 0
    let mut b = if g >= h { h - 1 } else { g };
    if b > 0 && p <= edge(b) {
        b -= 1;
    } else if b + 1 < h && p > edge(b + 1) {
        b += 1;
    }
    b
}
