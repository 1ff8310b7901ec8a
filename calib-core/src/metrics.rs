//! Calibration metrics: ECE, adaptive ECE, MCE, debiased ECE, Brier,
//! log-loss and reliability bins.
//!
//! The work happens in a [`BinnedAccumulator`]: it borrows bin edges and a
//! caller-provided slice of [`BinStats`], accepts probabilities in batches
//! (or one at a time, from a stream), and never allocates. Every sum is
//! formed in input order with plain scalar arithmetic, so native, WASM and
//! every binding produce the same bits.
//!
//! Definitions (weights replace counts when given; `W` is the total weight):
//! - ECE: `Σ_b (W_b/W)·|ȳ_b − p̄_b|` over equal-width bins `k/K`;
//! - AECE: the same over equal-mass bins;
//! - MCE: `max_b |ȳ_b − p̄_b|` over non-empty equal-width bins;
//! - DECE: `sqrt(max(0, Σ_b (W_b/W)·[(p̄_b − ȳ_b)² − ȳ_b(1 − ȳ_b)/(n_b − 1)]))`
//!   over equal-mass bins; bins with fewer than 2 points contribute 0;
//! - Brier: weighted mean of `(p − y)²`;
//! - log-loss: weighted mean of `−[y ln p + (1−y) ln(1−p)]`, p clipped to
//!   `[1e-15, 1 − 1e-15]`.

use crate::binning;
use crate::error::{Error, ErrorKind, Result, finite_sum};

/// The z of a two-sided 95 % normal interval.
pub const Z95: f64 = 1.959963984540054;
/// The clip of probabilities in log-loss.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Sums kept per bin.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BinStats {
    /// Points in the bin.
    pub count: u64,
    /// Their total weight (the count when unweighted).
    pub weight: f64,
    /// Σ w·p.
    pub sum_p: f64,
    /// Σ w·y.
    pub sum_y: f64,
}

impl BinStats {
    /// Mean probability p̄ (NaN when empty).
    pub fn mean_p(&self) -> f64 {
        self.sum_p / self.weight
    }
    /// Observed rate ȳ (NaN when empty).
    pub fn observed(&self) -> f64 {
        self.sum_y / self.weight
    }
    /// Adds another accumulator's sums for the same bin.
    pub fn merge(&mut self, o: &BinStats) {
        self.count += o.count;
        self.weight += o.weight;
        self.sum_p += o.sum_p;
        self.sum_y += o.sum_y;
    }
}

/// One bin of a reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
pub struct ReliabilityBin {
    /// Lower edge.
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Points in the bin.
    pub count: u64,
    /// Their weight.
    pub weight: f64,
    /// Mean probability.
    pub mean_p: f64,
    /// Observed positive rate.
    pub observed: f64,
    /// Wilson 95 % interval, lower end.
    pub ci_low: f64,
    /// Wilson 95 % interval, upper end.
    pub ci_high: f64,
}

/// Wilson score interval for rate `p` observed over `n` (weight) trials.
pub fn wilson_interval(p: f64, n: f64, z: f64) -> (f64, f64) {
    if n.is_nan() || n <= 0.0 {
        return (0.0, 1.0);
    }
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * libm::sqrt((p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0));
    ((center - half).max(0.0), (center + half).min(1.0))
}

/// The scalar results of one binning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinnedSummary {
    /// Points accumulated.
    pub n: u64,
    /// Their total weight.
    pub weight: f64,
    /// L1 calibration error over these bins (ECE or AECE).
    pub calibration_error: f64,
    /// Largest per-bin gap.
    pub max_calibration_error: f64,
    /// Debiased L2 calibration error over these bins.
    pub debiased: f64,
    /// Brier score.
    pub brier: f64,
    /// Non-empty bins.
    pub nonempty_bins: usize,
}

/// Streaming metric accumulator over fixed edges. Never allocates.
#[derive(Debug)]
pub struct BinnedAccumulator<'a> {
    edges: &'a [f64],
    bins: &'a mut [BinStats],
    equal_width: bool,
    n: u64,
    weight: f64,
    sq_err: f64,
}

#[inline(always)]
fn check_p(p: f64, i: usize) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::ProbabilityOutOfRange, "probabilities").at(i).value(p))
    }
}
#[inline(always)]
fn check_y(y: f64, i: usize) -> Result<()> {
    if (0.0..=1.0).contains(&y) { Ok(()) } else { Err(Error::new(ErrorKind::LabelOutOfRange, "labels").at(i).value(y)) }
}
#[inline(always)]
fn check_w(w: f64, i: usize) -> Result<()> {
    if w.is_finite() && w >= 0.0 { Ok(()) } else { Err(Error::new(ErrorKind::InvalidWeight, "weights").at(i).value(w)) }
}

/// Checks metric inputs: same lengths, probabilities and labels in [0, 1],
/// valid weights. Rows are checked in order; the error names the first bad one.
pub fn validate_metric_input(probs: &[f64], labels: &[f64], weights: Option<&[f64]>) -> Result<()> {
    if labels.len() != probs.len() {
        return Err(Error::new(ErrorKind::LengthMismatch, "labels").counts(labels.len(), probs.len()));
    }
    if let Some(w) = weights
        && w.len() != probs.len()
    {
        return Err(Error::new(ErrorKind::LengthMismatch, "weights").counts(w.len(), probs.len()));
    }
    for i in 0..probs.len() {
        check_p(probs[i], i)?;
        check_y(labels[i], i)?;
        if let Some(w) = weights {
            check_w(w[i], i)?;
        }
    }
    Ok(())
}

/// Checks that a total weight can divide: a set whose weights are all zero
/// has no calibration to measure.
fn check_total(total: f64) -> Result<()> {
    // The sums of a bin are at most the total weight: checking it after
    // the pass covers them all.
    finite_sum(total, "weights")?;
    if total > 0.0 {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::TooFewSamples, "metrics (total weight is zero)").counts(0, 1))
    }
}

impl<'a> BinnedAccumulator<'a> {
    /// An empty accumulator over `edges` (strictly increasing, at least two,
    /// within [0, 1]) with `bins[..edges.len() - 1]` as its storage.
    pub fn new(edges: &'a [f64], bins: &'a mut [BinStats]) -> Result<Self> {
        if edges.len() < 2 {
            return Err(Error::new(ErrorKind::TooFewSamples, "bin edges").counts(edges.len(), 2));
        }
        let k = edges.len() - 1;
        for i in 1..edges.len() {
            // A single degenerate bin [a, a] is allowed (all values equal).
            if !(edges[i] > edges[i - 1] || (k == 1 && edges[i] == edges[i - 1])) {
                return Err(Error::new(ErrorKind::Unsorted, "bin edges").at(i).value(edges[i]));
            }
        }
        if bins.len() < k {
            return Err(Error::new(ErrorKind::BufferTooSmall, "bins").counts(bins.len(), k));
        }
        let bins = &mut bins[..k];
        bins.iter_mut().for_each(|b| *b = BinStats::default());
        let equal_width = edges.iter().enumerate().all(|(i, &e)| e == i as f64 / k as f64);
        Ok(BinnedAccumulator { edges, bins, equal_width, n: 0, weight: 0.0, sq_err: 0.0 })
    }

    #[inline(always)]
    fn bin(&self, p: f64) -> usize {
        if self.equal_width { binning::equal_width_bin(self.edges, p) } else { binning::bin_index(self.edges, p) }
    }

    /// Adds one weighted point (validated).
    #[inline]
    pub fn add(&mut self, p: f64, y: f64, w: f64) -> Result<()> {
        check_p(p, 0)?;
        check_y(y, 0)?;
        check_w(w, 0)?;
        self.add_unchecked(p, y, w);
        Ok(())
    }

    #[inline(always)]
    fn add_unchecked(&mut self, p: f64, y: f64, w: f64) {
        // A zero-weight row is not a sample: it must not count towards n_b.
        if w == 0.0 {
            return;
        }
        let b = self.bin(p);
        let s = &mut self.bins[b];
        s.count += 1;
        s.weight += w;
        s.sum_p += w * p;
        s.sum_y += w * y;
        self.n += 1;
        self.weight += w;
        let d = p - y;
        self.sq_err += w * d * d;
    }

    /// Adds a batch; on an invalid value nothing of the batch is added.
    pub fn add_batch(&mut self, probs: &[f64], labels: &[f64], weights: Option<&[f64]>) -> Result<()> {
        validate_metric_input(probs, labels, weights)?;
        self.add_batch_unchecked(probs, labels, weights);
        Ok(())
    }

    /// [`BinnedAccumulator::add_batch`] on validated input.
    pub(crate) fn add_batch_unchecked(&mut self, probs: &[f64], labels: &[f64], weights: Option<&[f64]>) {
        match weights {
            Some(w) => {
                for i in 0..probs.len() {
                    self.add_unchecked(probs[i], labels[i], w[i]);
                }
            }
            None if self.equal_width => self.add_unit(probs, labels, binning::equal_width_bin),
            None => self.add_unit(probs, labels, binning::bin_index),
        }
    }

    /// Unit weights: the same operations as `add_unchecked(p, y, 1.0)` (so
    /// the same bits), with the running totals kept in registers.
    #[inline(always)]
    fn add_unit(&mut self, probs: &[f64], labels: &[f64], bin: impl Fn(&[f64], f64) -> usize) {
        let (mut n, mut weight, mut sq) = (self.n, self.weight, self.sq_err);
        let edges = self.edges;
        for (&p, &y) in probs.iter().zip(labels) {
            let s = &mut self.bins[bin(edges, p)];
            s.count += 1;
            s.weight += 1.0;
            s.sum_p += p;
            s.sum_y += y;
            n += 1;
            weight += 1.0;
            let d = p - y;
            sq += d * d;
        }
        (self.n, self.weight, self.sq_err) = (n, weight, sq);
    }

    /// The edges.
    pub fn edges(&self) -> &[f64] {
        self.edges
    }
    /// The per-bin sums.
    pub fn bins(&self) -> &[BinStats] {
        self.bins
    }

    /// ECE/AECE, MCE, DECE and Brier over what was added.
    pub fn summary(&self) -> BinnedSummary {
        let (mut l1, mut mce, mut l2, mut nonempty) = (0.0f64, 0.0f64, 0.0f64, 0usize);
        let total = self.weight;
        for s in self.bins.iter() {
            if s.count == 0 || s.weight <= 0.0 {
                continue;
            }
            nonempty += 1;
            let (pb, yb) = (s.mean_p(), s.observed());
            let gap = (yb - pb).abs();
            let share = s.weight / total;
            l1 += share * gap;
            mce = mce.max(gap);
            if s.count >= 2 {
                l2 += share * (gap * gap - yb * (1.0 - yb) / (s.count - 1) as f64);
            }
        }
        let brier = if total > 0.0 { self.sq_err / total } else { 0.0 };
        BinnedSummary {
            n: self.n,
            weight: total,
            calibration_error: l1,
            max_calibration_error: mce,
            debiased: libm::sqrt(l2.max(0.0)),
            brier,
            nonempty_bins: nonempty,
        }
    }

    /// Writes the non-empty bins as reliability bins into `out`; returns how
    /// many were written (at most `out.len()`).
    pub fn reliability(&self, out: &mut [ReliabilityBin]) -> usize {
        let mut m = 0;
        for (b, s) in self.bins.iter().enumerate() {
            if s.count == 0 || s.weight <= 0.0 || m >= out.len() {
                continue;
            }
            let obs = s.observed();
            let (lo, hi) = wilson_interval(obs, s.weight, Z95);
            out[m] = ReliabilityBin {
                lower: self.edges[b],
                upper: self.edges[b + 1],
                count: s.count,
                weight: s.weight,
                mean_p: s.mean_p(),
                observed: obs,
                ci_low: lo,
                ci_high: hi,
            };
            m += 1;
        }
        m
    }
}

/// Brier score (weighted mean squared error). Never allocates.
pub fn brier(probs: &[f64], labels: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    validate_metric_input(probs, labels, weights)?;
    if probs.is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput, "probabilities"));
    }
    let (mut s, mut tw) = (0.0, 0.0);
    for i in 0..probs.len() {
        let w = weights.map_or(1.0, |w| w[i]);
        let d = probs[i] - labels[i];
        s += w * d * d;
        tw += w;
    }
    check_total(tw)?;
    Ok(s / tw)
}

/// Log-loss with probabilities clipped to `[1e-15, 1 − 1e-15]`. Never allocates.
pub fn log_loss(probs: &[f64], labels: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    validate_metric_input(probs, labels, weights)?;
    if probs.is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput, "probabilities"));
    }
    let (mut s, mut tw) = (0.0, 0.0);
    for i in 0..probs.len() {
        let w = weights.map_or(1.0, |w| w[i]);
        let p = probs[i].clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        let y = labels[i];
        s += -w * (y * libm::log(p) + (1.0 - y) * libm::log(1.0 - p));
        tw += w;
    }
    check_total(tw)?;
    // Each loss is at most 34.6 (the clip), so s can overflow where tw did not.
    finite_sum(s, "weighted log losses")?;
    Ok(s / tw)
}

/// The tolerance τ, defined beside ĉ in [`tolerance`](crate::tolerance).
pub use crate::tolerance::tau;

#[cfg(feature = "alloc")]
pub use self::owned::*;

#[cfg(feature = "alloc")]
mod owned {
    use super::*;
    use crate::binning::{BinStrategy, SELECT_BUCKETS, SelectScratch};
    use alloc::vec;
    use alloc::vec::Vec;

    /// Every metric of one set of probabilities.
    #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Metrics {
        /// Points.
        pub n: u64,
        /// ECE over K equal-width bins.
        pub ece: f64,
        /// Adaptive ECE over K equal-mass bins.
        pub aece: f64,
        /// MCE over K equal-width bins.
        pub mce: f64,
        /// Debiased L2 error over K equal-mass bins.
        pub dece: f64,
        /// Brier score.
        pub brier: f64,
        /// Log-loss.
        pub log_loss: f64,
        /// Equal-mass bins merged away as duplicate edges, in % of K.
        pub merged_bin_percent: f64,
    }

    /// Edges of K bins of the given strategy over probabilities.
    pub fn probability_edges(
        probs: &[f64],
        k: usize,
        strategy: BinStrategy,
    ) -> Result<(Vec<f64>, binning::EdgeSummary)> {
        weighted_probability_edges(probs, None, k, strategy)
    }

    /// [`probability_edges`] over the rows of positive weight: a zero-weight
    /// row is not a sample and must not move an equal-mass edge.
    pub fn weighted_probability_edges(
        probs: &[f64],
        weights: Option<&[f64]>,
        k: usize,
        strategy: BinStrategy,
    ) -> Result<(Vec<f64>, binning::EdgeSummary)> {
        if strategy == BinStrategy::EqualMass {
            for (i, &p) in probs.iter().enumerate() {
                check_p(p, i)?;
            }
        }
        edges_unchecked(probs, weights, k, strategy)
    }

    fn edges_unchecked(
        probs: &[f64],
        weights: Option<&[f64]>,
        k: usize,
        strategy: BinStrategy,
    ) -> Result<(Vec<f64>, binning::EdgeSummary)> {
        binning::check_k(k)?;
        let mut edges = vec![0.0; k + 1];
        match strategy {
            BinStrategy::EqualWidth => {
                binning::equal_width_edges(0.0, 1.0, k, &mut edges)?;
                Ok((edges, binning::EdgeSummary { bins: k, merged: 0 }))
            }
            BinStrategy::EqualMass => {
                let (mut hist, mut vals) = (vec![0u32; SELECT_BUCKETS], vec![0.0; probs.len()]);
                let s = binning::equal_mass_edges_where(
                    probs,
                    weights,
                    0.0,
                    1.0,
                    k,
                    SelectScratch { hist: &mut hist, values: &mut vals },
                    &mut edges,
                )?;
                edges.truncate(s.bins + 1);
                Ok((edges, s))
            }
        }
    }

    /// Accumulates `probs` over K bins of `strategy`.
    pub fn binned(
        probs: &[f64],
        labels: &[f64],
        weights: Option<&[f64]>,
        k: usize,
        strategy: BinStrategy,
    ) -> Result<(BinnedSummary, Vec<ReliabilityBin>, binning::EdgeSummary)> {
        validate_metric_input(probs, labels, weights)?;
        if probs.is_empty() {
            return Err(Error::new(ErrorKind::EmptyInput, "probabilities"));
        }
        let (edges, es) = edges_unchecked(probs, weights, k, strategy)?;
        let mut bins = vec![BinStats::default(); edges.len() - 1];
        let mut acc = BinnedAccumulator::new(&edges, &mut bins)?;
        acc.add_batch_unchecked(probs, labels, weights);
        check_total(acc.summary().weight)?;
        let mut rel = vec![
            ReliabilityBin {
                lower: 0.0,
                upper: 0.0,
                count: 0,
                weight: 0.0,
                mean_p: 0.0,
                observed: 0.0,
                ci_low: 0.0,
                ci_high: 0.0
            };
            edges.len() - 1
        ];
        let m = acc.reliability(&mut rel);
        rel.truncate(m);
        Ok((acc.summary(), rel, es))
    }

    /// ECE over K equal-width bins.
    pub fn ece(probs: &[f64], labels: &[f64], weights: Option<&[f64]>, k: usize) -> Result<f64> {
        Ok(binned(probs, labels, weights, k, BinStrategy::EqualWidth)?.0.calibration_error)
    }
    /// Adaptive ECE over K equal-mass bins.
    pub fn aece(probs: &[f64], labels: &[f64], weights: Option<&[f64]>, k: usize) -> Result<f64> {
        Ok(binned(probs, labels, weights, k, BinStrategy::EqualMass)?.0.calibration_error)
    }
    /// MCE over K equal-width bins.
    pub fn mce(probs: &[f64], labels: &[f64], weights: Option<&[f64]>, k: usize) -> Result<f64> {
        Ok(binned(probs, labels, weights, k, BinStrategy::EqualWidth)?.0.max_calibration_error)
    }
    /// Debiased L2 calibration error over K equal-mass bins.
    pub fn dece(probs: &[f64], labels: &[f64], weights: Option<&[f64]>, k: usize) -> Result<f64> {
        Ok(binned(probs, labels, weights, k, BinStrategy::EqualMass)?.0.debiased)
    }
    /// Reliability bins (non-empty bins only).
    pub fn reliability_bins(
        probs: &[f64],
        labels: &[f64],
        weights: Option<&[f64]>,
        k: usize,
        strategy: BinStrategy,
    ) -> Result<Vec<ReliabilityBin>> {
        Ok(binned(probs, labels, weights, k, strategy)?.1)
    }

    /// All metrics with K bins.
    pub fn evaluate(probs: &[f64], labels: &[f64], weights: Option<&[f64]>, k: usize) -> Result<Metrics> {
        let (w, _, _) = binned(probs, labels, weights, k, BinStrategy::EqualWidth)?;
        let (m, _, es) = binned(probs, labels, weights, k, BinStrategy::EqualMass)?;
        Ok(Metrics {
            n: w.n,
            ece: w.calibration_error,
            aece: m.calibration_error,
            mce: w.max_calibration_error,
            dece: m.debiased,
            brier: w.brier,
            log_loss: log_loss(probs, labels, weights)?,
            merged_bin_percent: es.merged_percent(),
        })
    }

    /// The rows of each class in `report`, in that order, and then of every
    /// row together (`None`, "overall"): the grouping every per-class report
    /// of calib uses (`calib demo`, the workflow's baseline), so that a
    /// class's numbers mean the same rows wherever they are printed. A class
    /// of `report` with no rows gets an empty group.
    pub fn class_groups<'r, C: AsRef<str>>(classes: &[C], report: &[&'r str]) -> Vec<(Option<&'r str>, Vec<usize>)> {
        let mut groups: Vec<(Option<&'r str>, Vec<usize>)> = report.iter().map(|&c| (Some(c), Vec::new())).collect();
        for (i, c) in classes.iter().enumerate() {
            if let Some(g) = groups.iter_mut().find(|(name, _)| *name == Some(c.as_ref())) {
                g.1.push(i);
            }
        }
        groups.push((None, (0..classes.len()).collect()));
        groups
    }

    /// [`evaluate`] for each group of [`class_groups`]: every metric with K
    /// bins for the rows of each class in `report`, then for all rows
    /// (`None`). `probs`, `labels` and `classes` are one row each.
    ///
    /// ```
    /// use calib_core::metrics::evaluate_by_class;
    ///
    /// let probs = [0.2, 0.8, 0.3, 0.9];
    /// let labels = [0.0, 1.0, 0.0, 1.0];
    /// let classes = ["web", "news", "web", "news"];
    /// let by_class = evaluate_by_class(&probs, &labels, &classes, &["web", "news"], 2)?;
    /// assert_eq!(by_class.len(), 3);
    /// assert_eq!((by_class[0].0, by_class[0].1.n), (Some("web"), 2));
    /// assert_eq!((by_class[2].0, by_class[2].1.n), (None, 4));
    /// # Ok::<(), calib_core::Error>(())
    /// ```
    pub fn evaluate_by_class<'r, C: AsRef<str>>(
        probs: &[f64],
        labels: &[f64],
        classes: &[C],
        report: &[&'r str],
        k: usize,
    ) -> Result<Vec<(Option<&'r str>, Metrics)>> {
        if probs.len() != classes.len() {
            return Err(Error::new(ErrorKind::LengthMismatch, "classes").counts(classes.len(), probs.len()));
        }
        if labels.len() != probs.len() {
            return Err(Error::new(ErrorKind::LengthMismatch, "labels").counts(labels.len(), probs.len()));
        }
        class_groups(classes, report)
            .into_iter()
            .map(|(class, rows)| {
                let p: Vec<f64> = rows.iter().map(|&i| probs[i]).collect();
                let y: Vec<f64> = rows.iter().map(|&i| labels[i]).collect();
                Ok((class, evaluate(&p, &y, None, k)?))
            })
            .collect()
    }
}
