//! Metrics and the ĉ bootstrap from a sketch of calibrated probabilities,
//! equal to what the rows would give.

use super::{ClassSketch, FitSketch};
use crate::binning::{self, EdgeSummary};
use crate::error::{Error, ErrorKind, Result, finite_sum};
use crate::metrics::{BinStats, LOG_LOSS_EPS, Metrics};
use crate::model::Model;
use crate::tolerance::BootstrapOptions;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

impl FitSketch {
    /// Every metric with K bins, for a sketch whose scores are calibrated
    /// probabilities (all classes together).
    pub fn evaluate(&self, k: usize) -> Result<Metrics> {
        evaluate_class(&self.global(), k)
    }

    /// Bootstraps ĉ for one class (`None`: every row) from the sketch of its
    /// raw scores and the `model` that calibrates them: rows are drawn
    /// multinomially from the counts, relabelled by Bernoulli(g(s)).
    /// Deterministic for a given seed.
    pub fn bootstrap_c_hat(
        &self,
        model: &Model,
        class: Option<&str>,
        options: &BootstrapOptions,
    ) -> Result<(f64, Vec<f64>)> {
        let g = match class {
            None => self.global(),
            Some(c) => self
                .class(c)
                .cloned()
                .ok_or_else(|| Error::new(ErrorKind::UnknownClass, "class").detail(format!("{c:?}")))?,
        };
        let map = model.map(class);
        let mut calibrated = Vec::with_capacity(g.len());
        for (s, _) in g.iter() {
            calibrated.push(map.apply(s)?);
        }
        let mut cum = Vec::with_capacity(g.len());
        let mut acc = 0u64;
        for c in &g.cells {
            acc += c.count;
            cum.push(acc);
        }
        bootstrap(&calibrated, &cum, options)
    }
}

/// The value of 0-based rank `r` among rows with cumulative counts `cum`.
fn at_rank(values: &[f64], cum: &[u64], r: u64) -> f64 {
    values[cum.partition_point(|&c| c <= r)]
}

/// Equal-mass edges over `[0, 1]` exactly as `binning::equal_mass_edges`
/// computes them on the rows: numpy's linear quantiles `i/K` of the rows,
/// duplicate edges merged.
fn sketch_equal_mass_edges(values: &[f64], cum: &[u64], k: usize) -> (Vec<f64>, EdgeSummary) {
    let n = *cum.last().expect("a non-empty sketch");
    let mut e = vec![0.0; k + 1];
    for (i, edge) in e.iter_mut().enumerate().take(k).skip(1) {
        *edge = binning::linear_quantile(n, i as f64 / k as f64, |r| at_rank(values, cum, r)).clamp(0.0, 1.0);
    }
    e[k] = 1.0;
    let summary = binning::dedup_edges(&mut e, k);
    e.truncate(summary.bins + 1);
    (e, summary)
}

struct Summed {
    l1: f64,
    mce: f64,
    dece: f64,
}

/// The binned errors of cells over `edges` (the same formulas as
/// `BinnedAccumulator::summary`, with a cell's sums added at once).
fn binned_cells(g: &ClassSketch, edges: &[f64]) -> Summed {
    let k = edges.len() - 1;
    let equal_width = edges.iter().enumerate().all(|(i, &e)| e == i as f64 / k as f64);
    let mut bins = vec![BinStats::default(); k];
    let mut total = 0.0;
    for (p, c) in g.iter() {
        let b = if equal_width { binning::equal_width_bin(edges, p) } else { binning::bin_index(edges, p) };
        let s = &mut bins[b];
        s.count += c.count;
        s.weight += c.sum_w;
        s.sum_p += c.sum_w * p;
        s.sum_y += c.sum_wy;
        total += c.sum_w;
    }
    let (mut l1, mut mce, mut l2) = (0.0f64, 0.0f64, 0.0f64);
    for s in &bins {
        if s.count == 0 || s.weight <= 0.0 {
            continue;
        }
        let (pb, yb) = (s.mean_p(), s.observed());
        let gap = (yb - pb).abs();
        let share = s.weight / total;
        l1 += share * gap;
        mce = mce.max(gap);
        if s.count >= 2 {
            l2 += share * (gap * gap - yb * (1.0 - yb) / (s.count - 1) as f64);
        }
    }
    Summed { l1, mce, dece: libm::sqrt(l2.max(0.0)) }
}

fn evaluate_class(g: &ClassSketch, k: usize) -> Result<Metrics> {
    binning::check_k(k)?;
    if g.is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput, "probabilities"));
    }
    let values: Vec<f64> = g.iter().map(|(p, _)| p).collect();
    if let Some(i) = values.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::new(ErrorKind::ProbabilityOutOfRange, "probabilities (sketch scores)")
            .at(i)
            .value(values[i]));
    }
    let mut cum = Vec::with_capacity(g.len());
    let (mut acc, mut total, mut sq, mut ll) = (0u64, 0.0f64, 0.0f64, 0.0f64);
    for (&p, c) in values.iter().zip(&g.cells) {
        acc += c.count;
        cum.push(acc);
        total += c.sum_w;
        // Σw(p − y)² = p²Σw − 2pΣwy + Σwy².
        sq += p * p * c.sum_w - 2.0 * p * c.sum_wy + c.sum_wyy;
        let pc = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        ll += -(c.sum_wy * libm::log(pc) + (c.sum_w - c.sum_wy) * libm::log(1.0 - pc));
    }
    let mut width = vec![0.0; k + 1];
    binning::equal_width_edges(0.0, 1.0, k, &mut width)?;
    // The weight is bounded by the sketch's checked total; the loss is not.
    finite_sum(sq, "weighted squared errors")?;
    finite_sum(ll, "weighted log losses")?;
    let w = binned_cells(g, &width);
    let (mass_edges, es) = sketch_equal_mass_edges(&values, &cum, k);
    let m = binned_cells(g, &mass_edges);
    Ok(Metrics {
        n: acc,
        ece: w.l1,
        aece: m.l1,
        mce: w.mce,
        dece: m.dece,
        brier: sq.max(0.0) / total,
        log_loss: ll / total,
        merged_bin_percent: es.merged_percent(),
    })
}

/// `tolerance::bootstrap_c_hat` over rows given as distinct calibrated
/// values with cumulative counts: drawing row `rng.index(N)` of the rows
/// sorted by score is drawing its distinct value by `cum`.
fn bootstrap(calibrated: &[f64], cum: &[u64], options: &BootstrapOptions) -> Result<(f64, Vec<f64>)> {
    let n64 = cum.last().copied().unwrap_or(0);
    let n = usize::try_from(n64).map_err(|_| Error::new(ErrorKind::InvalidParameter, "rows").value(n64 as f64))?;
    if n < options.min_samples.max(2) {
        return Err(Error::new(ErrorKind::TooFewSamples, "ĉ bootstrap").counts(n, options.min_samples.max(2)));
    }
    if options.resamples > crate::tolerance::MAX_RESAMPLES {
        return Err(Error::new(ErrorKind::InvalidParameter, "bootstrap resamples").value(options.resamples as f64));
    }
    if options.resamples == 0 || options.bins == 0 {
        return Err(Error::new(ErrorKind::InvalidParameter, "bootstrap resamples/bins").value(0.0));
    }
    if let Some(i) = calibrated.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::new(ErrorKind::ProbabilityOutOfRange, "calibrated").at(i).value(calibrated[i]));
    }
    crate::tolerance::resampled_c_hat(n, options, |rng| at_rank(calibrated, cum, rng.index(n) as u64))
}
