//! The histogram-binning calibrator.
//!
//! Scores are cut into bins (equal-width over the observed score range, or
//! equal-mass); each bin's calibrated value is its weighted label mean. Bins
//! with fewer than `min_samples_per_bin` points are merged into a neighbour,
//! and the number merged away is reported, because a histogram calibrator
//! that silently loses half its bins is not the one that was asked for.
//!
//! The result is served by the same [`MapRef`](crate::map::MapRef) as an
//! isotonic map: a step function is written as breakpoints `(e_k, v_k)` and
//! `(next_up(e_k), v_{k+1})`. No f64 lies strictly between the two, so the
//! interpolation is exactly the step, and a score on an edge gets the lower
//! bin's value — the bin convention.

use crate::binning::{self, BinStrategy, SelectScratch};
use crate::error::{Error, ErrorKind, Result, finite_sum};
use crate::isotonic::validate_rows;

/// Options of a histogram fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramOptions {
    /// Equal-width or equal-mass edges.
    pub strategy: BinStrategy,
    /// Requested number of bins K.
    pub bins: usize,
    /// Bins with fewer points are merged into a neighbour (at least 1: empty
    /// bins are always merged).
    pub min_samples_per_bin: u64,
}

impl Default for HistogramOptions {
    fn default() -> Self {
        HistogramOptions { strategy: BinStrategy::EqualMass, bins: 15, min_samples_per_bin: 1 }
    }
}

/// What a histogram fit produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramFit {
    /// Breakpoints written to the output buffers.
    pub breakpoints: usize,
    /// Bins left after merging.
    pub bins: usize,
    /// Requested bins merged away (duplicate edges or too few samples).
    pub merged: usize,
}

/// Caller-provided buffers for [`fit_into`]; `K` is the requested bins.
#[derive(Debug)]
pub struct HistogramBuffers<'a> {
    /// Selection scratch (equal-mass only; may be empty for equal-width).
    pub select: SelectScratch<'a>,
    /// `K + 1` edges.
    pub edges: &'a mut [f64],
    /// `K` counts.
    pub counts: &'a mut [u64],
    /// `K` weight sums.
    pub weights: &'a mut [f64],
    /// `K` weighted label sums.
    pub sums: &'a mut [f64],
    /// `2K` breakpoint scores (output).
    pub out_x: &'a mut [f64],
    /// `2K` breakpoint values (output).
    pub out_y: &'a mut [f64],
}

/// The next f64 above a finite `v`.
fn next_up(v: f64) -> f64 {
    if v == 0.0 {
        return f64::from_bits(1);
    }
    let b = v.to_bits();
    f64::from_bits(if v > 0.0 { b + 1 } else { b - 1 })
}

/// Fits a histogram calibrator into caller buffers. Never allocates.
pub fn fit_into(
    scores: &[f64],
    labels: &[f64],
    weights: Option<&[f64]>,
    options: &HistogramOptions,
    buf: HistogramBuffers<'_>,
) -> Result<HistogramFit> {
    validate_rows(scores, labels, weights, true)?;
    let k = options.bins;
    if k == 0 {
        return Err(Error::new(ErrorKind::InvalidParameter, "number of bins").value(0.0));
    }
    let need = [
        (buf.edges.len(), k + 1, "edges"),
        (buf.counts.len(), k, "counts"),
        (buf.weights.len(), k, "weights"),
        (buf.sums.len(), k, "sums"),
        (buf.out_x.len(), 2 * k, "out_x"),
        (buf.out_y.len(), 2 * k, "out_y"),
    ];
    for (have, want, what) in need {
        if have < want {
            return Err(Error::new(ErrorKind::BufferTooSmall, what).counts(have, want));
        }
    }
    let w_of = |i: usize| weights.map_or(1.0, |w| w[i]);
    let (mut lo, mut hi, mut any) = (f64::INFINITY, f64::NEG_INFINITY, false);
    for (i, &s) in scores.iter().enumerate() {
        if w_of(i) > 0.0 {
            lo = lo.min(s);
            hi = hi.max(s);
            any = true;
        }
    }
    if !any {
        return Err(Error::new(ErrorKind::TooFewSamples, "histogram fit (all weights are zero)").counts(0, 1));
    }
    let edges = &mut buf.edges[..=k];
    let summary = match options.strategy {
        BinStrategy::EqualWidth => {
            binning::equal_width_edges(lo, hi, k, edges)?;
            let mut m = 1;
            for i in 1..=k {
                if edges[i] > edges[m - 1] {
                    edges[m] = edges[i];
                    m += 1;
                }
            }
            if m == 1 {
                edges[1] = edges[0];
                m = 2;
            }
            binning::EdgeSummary { bins: m - 1, merged: k - (m - 1) }
        }
        BinStrategy::EqualMass => binning::equal_mass_edges_where(scores, weights, lo, hi, k, buf.select, edges)?,
    };
    let mut bins = summary.bins;
    let count = |edges: &[f64], bins: usize, counts: &mut [u64], ws: &mut [f64], sums: &mut [f64]| {
        counts[..bins].iter_mut().for_each(|c| *c = 0);
        ws[..bins].iter_mut().for_each(|c| *c = 0.0);
        sums[..bins].iter_mut().for_each(|c| *c = 0.0);
        for (i, &s) in scores.iter().enumerate() {
            let w = w_of(i);
            if w > 0.0 {
                let b = binning::bin_index(&edges[..=bins], s);
                counts[b] += 1;
                ws[b] += w;
                sums[b] += w * labels[i];
            }
        }
    };
    count(edges, bins, buf.counts, buf.weights, buf.sums);
    let min = options.min_samples_per_bin.max(1);
    let merged_bins = binning::merge_small_bins(&mut edges[..=bins], &mut buf.counts[..bins], min);
    if merged_bins != bins {
        bins = merged_bins;
        count(edges, bins, buf.counts, buf.weights, buf.sums);
    }
    // A bin's sums that overflowed have no mean: one pass after counting.
    for b in 0..bins {
        finite_sum(buf.weights[b], "weights")?;
        finite_sum(buf.sums[b], "weighted labels")?;
    }
    let (ox, oy) = (&mut *buf.out_x, &mut *buf.out_y);
    let mut m = 0usize;
    for b in 0..bins {
        let v = buf.sums[b] / buf.weights[b];
        let left = if b == 0 { edges[0] } else { next_up(edges[b]) };
        let right = edges[b + 1];
        for x in [left, right] {
            if m == 0 || x > ox[m - 1] {
                ox[m] = x;
                oy[m] = v;
                m += 1;
            }
        }
    }
    Ok(HistogramFit { breakpoints: m, bins, merged: k - bins })
}

#[cfg(feature = "alloc")]
pub use self::owned::fit;

#[cfg(feature = "alloc")]
mod owned {
    use super::*;
    use crate::isotonic::Breakpoints;
    use alloc::vec;

    /// Fits a histogram calibrator; returns its breakpoints and the fit summary.
    pub fn fit(
        scores: &[f64],
        labels: &[f64],
        weights: Option<&[f64]>,
        options: &HistogramOptions,
    ) -> Result<(Breakpoints, HistogramFit)> {
        let k = options.bins.max(1);
        let n = scores.len();
        let mass = options.strategy == BinStrategy::EqualMass;
        let (mut hist, mut vals) =
            if mass { (vec![0u32; binning::SELECT_BUCKETS], vec![0.0; n]) } else { (vec![], vec![]) };
        crate::binning::check_k(k)?;
        let (mut edges, mut counts, mut ws, mut sums) = (vec![0.0; k + 1], vec![0u64; k], vec![0.0; k], vec![0.0; k]);
        let (mut ox, mut oy) = (vec![0.0; 2 * k], vec![0.0; 2 * k]);
        let fit = fit_into(
            scores,
            labels,
            weights,
            options,
            HistogramBuffers {
                select: SelectScratch { hist: &mut hist, values: &mut vals },
                edges: &mut edges,
                counts: &mut counts,
                weights: &mut ws,
                sums: &mut sums,
                out_x: &mut ox,
                out_y: &mut oy,
            },
        )?;
        ox.truncate(fit.breakpoints);
        oy.truncate(fit.breakpoints);
        Ok((Breakpoints { x: ox, y: oy, increasing: true }, fit))
    }
}
