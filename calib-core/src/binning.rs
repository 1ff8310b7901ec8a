//! Bins: edges, the bin convention, equal-mass edges without a full sort, the
//! K policy, and the histogram-binning calibrator.
//!
//! The bin convention (scikit-learn's `calibration_curve`): with edges
//! `e_0 < e_1 < … < e_K`, bin 0 is `[e_0, e_1]` and bin `k > 0` is
//! `(e_k, e_{k+1}]`. A value exactly on an interior edge belongs to the
//! lower bin, and `e_K` itself to the last bin.

use crate::error::{Error, ErrorKind, Result};

/// Number of coarse buckets of the equal-mass selection's first pass.
pub const SELECT_BUCKETS: usize = 1 << 16;

/// How edges are placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum BinStrategy {
    /// `e_k = lo + k·(hi − lo)/K` (for probabilities, `k/K`).
    #[default]
    EqualWidth,
    /// Quantiles of the values, so each bin holds about N/K of them.
    EqualMass,
}

/// How many bins: a fixed K, or the cube root of N clamped to a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "alloc", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "alloc", serde(rename_all = "snake_case"))]
pub enum KPolicy {
    /// Always K bins.
    Fixed(usize),
    /// `clamp(round(N^(1/3)), min, max)`.
    CubeRoot {
        /// Fewest bins.
        min: usize,
        /// Most bins.
        max: usize,
    },
}

impl Default for KPolicy {
    fn default() -> Self {
        KPolicy::Fixed(15)
    }
}

impl KPolicy {
    /// The cube-root policy with calib's default range, 5 to 50 bins.
    pub const CUBE_ROOT: KPolicy = KPolicy::CubeRoot { min: 5, max: 50 };

    /// Number of bins for `n` samples (at least 1).
    pub fn bins(&self, n: usize) -> usize {
        match *self {
            KPolicy::Fixed(k) => k.max(1),
            KPolicy::CubeRoot { min, max } => {
                let k = libm::round(libm::cbrt(n as f64)) as usize;
                k.clamp(min.max(1), max.max(min.max(1)))
            }
        }
    }
}

/// Writes `K + 1` equal-width edges over `[lo, hi]` into `out`.
pub fn equal_width_edges(lo: f64, hi: f64, k: usize, out: &mut [f64]) -> Result<()> {
    check_k(k)?;
    if out.len() < k + 1 {
        return Err(Error::new(ErrorKind::BufferTooSmall, "edges").counts(out.len(), k + 1));
    }
    let span = hi - lo;
    for (i, e) in out[..=k].iter_mut().enumerate() {
        let t = i as f64 / k as f64;
        let v = lo + span * (i as f64) / (k as f64);
        *e = if v.is_finite() {
            v
        } else {
            // The range overflows f64 (scores near ±f64::MAX).
            lo * (1.0 - t) + hi * t
        };
    }
    out[0] = lo;
    out[k] = hi;
    Ok(())
}

/// The most bins calib accepts: far more than any calibration needs, and
/// small enough that the per-bin storage of a request can always be
/// allocated (a K of 10⁹ would otherwise abort the process, which no
/// binding can turn into an error).
pub const MAX_BINS: usize = 1 << 20;

/// The K calib uses when none is given (`calib eval --bins`, the bindings).
pub const DEFAULT_BINS: usize = 15;

/// Checks a requested number of bins: `1..=MAX_BINS`.
pub fn check_k(k: usize) -> Result<()> {
    if k == 0 || k > MAX_BINS {
        return Err(Error::new(ErrorKind::InvalidParameter, "number of bins").value(k as f64));
    }
    Ok(())
}

/// The bin of `v` under the bin convention, for strictly increasing `edges`
/// (`edges.len() >= 2`). Values below `e_0` go to bin 0, above `e_K` to the last.
#[inline(always)]
pub fn bin_index(edges: &[f64], v: f64) -> usize {
    // Number of interior edges strictly below v.
    let interior = &edges[1..edges.len() - 1];
    if interior.len() <= 64 {
        // Counting every edge costs a few vector compares and, unlike a
        // binary search, never mispredicts on random probabilities.
        interior.iter().map(|&e| (e < v) as usize).sum()
    } else {
        interior.partition_point(|&e| e < v)
    }
}

/// A fast exact bin lookup for equal-width probability edges `k/K`: a guess
/// from `v·K`, corrected against the edge table, so a value on an edge lands
/// where [`bin_index`] puts it.
#[inline(always)]
pub fn equal_width_bin(edges: &[f64], v: f64) -> usize {
    let k = edges.len() - 1;
    let g = (v * k as f64) as usize; // saturating: negatives to 0
    let mut b = if g >= k { k - 1 } else { g };
    if b > 0 && v <= edges[b] {
        b -= 1;
    } else if b + 1 < k && v > edges[b + 1] {
        b += 1;
    }
    b
}

/// Scratch space for [`equal_mass_edges`]: `hist` holds [`SELECT_BUCKETS`]
/// counters and `values` as many f64 as there are values.
#[derive(Debug)]
pub struct SelectScratch<'a> {
    /// Bucket counters.
    pub hist: &'a mut [u32],
    /// Room for the values of the buckets that hold a wanted rank.
    pub values: &'a mut [f64],
}

/// Edges after merging: how many bins are left, and how many were merged away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeSummary {
    /// Bins left (`edges` written: `bins + 1`).
    pub bins: usize,
    /// Requested bins that were merged away.
    pub merged: usize,
}

impl EdgeSummary {
    /// Merged-bin %: `100 × merged / requested`.
    pub fn merged_percent(&self) -> f64 {
        let requested = self.bins + self.merged;
        if requested == 0 { 0.0 } else { 100.0 * self.merged as f64 / requested as f64 }
    }
}

/// numpy's `_lerp`, which is monotone and exact at both ends.
///
/// One guard departs from numpy: when `b − a` is not finite (the two values
/// straddle most of the f64 range, or one is infinite) it blends
/// `a·(1 − t) + b·t` instead, which stays finite for finite `a` and `b`
/// where numpy's form would give ±∞ or NaN.
#[inline]
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if !d.is_finite() {
        // a and b straddle most of the f64 range.
        return a * (1.0 - t) + b * t;
    }
    if t >= 0.5 { b - d * (1.0 - t) } else { a + d * t }
}

/// Where numpy's linear quantile `q` of `n` sorted values sits: between the
/// values of 0-based ranks `r` and `r + 1`, a fraction `t` of the way,
/// with `h = (n − 1)·q`, `r = ⌊h⌋` and `t = h − r`. `n` must be positive.
pub(crate) fn quantile_rank(n: u64, q: f64) -> (u64, f64) {
    let h = (n - 1) as f64 * q;
    let f = libm::floor(h);
    (f as u64, h - f)
}

/// numpy's default ("linear") quantile `q ∈ [0, 1]` of `n > 0` sorted
/// values, where `at(r)` is the value of 0-based rank `r`: calib's one
/// quantile, behind equal-mass edges (on rows and on sketches), ĉ's 95th
/// percentile, the median shift and the p99 latency.
///
/// It reads ranks `r` and `r + 1` of [`quantile_rank`] (only `r` at the top
/// rank, which then stands for both) and interpolates with numpy's `_lerp`,
/// guarded where `at(r + 1) − at(r)` is not finite (see [`lerp`]); on
/// values whose neighbouring differences are finite the result is numpy's
/// bit for bit.
pub(crate) fn linear_quantile(n: u64, q: f64, mut at: impl FnMut(u64) -> f64) -> f64 {
    let (r, t) = quantile_rank(n, q);
    let a = at(r);
    let b = if r + 1 < n { at(r + 1) } else { a };
    lerp(a, b, t)
}

/// [`linear_quantile`] of a non-empty sorted slice.
#[cfg(feature = "alloc")]
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    linear_quantile(sorted.len() as u64, q, |r| sorted[r as usize])
}

/// Equal-mass edges: `e_0 = lo`, `e_K = hi`, and interior edges at the
/// quantiles `k/K` of `values` (numpy's default "linear" quantile), with
/// duplicate edges merged. All values must lie in `[lo, hi]`.
///
/// Finds the needed order statistics with a two-pass bucket select rather
/// than a full sort: values are counted into [`SELECT_BUCKETS`] buckets by
/// position in `[lo, hi]`, then only the buckets that hold a wanted rank are
/// gathered and sorted. Never allocates.
pub fn equal_mass_edges(
    values: &[f64],
    lo: f64,
    hi: f64,
    k: usize,
    scratch: SelectScratch<'_>,
    out: &mut [f64],
) -> Result<EdgeSummary> {
    equal_mass_edges_where(values, None, lo, hi, k, scratch, out)
}

/// [`equal_mass_edges`] over the values whose weight is positive (all of
/// them when `weights` is `None`): rows a fit ignores must not move edges.
pub fn equal_mass_edges_where(
    values: &[f64],
    weights: Option<&[f64]>,
    lo: f64,
    hi: f64,
    k: usize,
    scratch: SelectScratch<'_>,
    out: &mut [f64],
) -> Result<EdgeSummary> {
    check_k(k)?;
    if lo.partial_cmp(&hi).is_none_or(|o| o == core::cmp::Ordering::Greater) {
        return Err(Error::new(ErrorKind::InvalidParameter, "edge range (lo > hi)").value(lo));
    }
    if let Some(w) = weights
        && w.len() != values.len()
    {
        return Err(Error::new(ErrorKind::LengthMismatch, "weights").counts(w.len(), values.len()));
    }
    let kept = |i: usize| weights.is_none_or(|w| w[i] > 0.0);
    let n = match weights {
        None => values.len(),
        Some(w) => w.iter().filter(|&&x| x > 0.0).count(),
    };
    if n == 0 {
        return Err(Error::new(ErrorKind::EmptyInput, "values"));
    }
    if out.len() < k + 1 {
        return Err(Error::new(ErrorKind::BufferTooSmall, "edges").counts(out.len(), k + 1));
    }
    if scratch.hist.len() < SELECT_BUCKETS {
        return Err(Error::new(ErrorKind::BufferTooSmall, "hist").counts(scratch.hist.len(), SELECT_BUCKETS));
    }
    if scratch.values.len() < n {
        return Err(Error::new(ErrorKind::BufferTooSmall, "values").counts(scratch.values.len(), n));
    }
    let span = hi - lo;
    let scale = if span.is_finite() && span > 0.0 { SELECT_BUCKETS as f64 / span } else { 0.0 };
    // Monotone in v, so buckets are ordered like the values they hold.
    let bucket = |v: f64| -> usize {
        let b = ((v - lo) * scale) as usize;
        if b >= SELECT_BUCKETS { SELECT_BUCKETS - 1 } else { b }
    };
    // Bucket start offsets keep a "wanted" mark in their top bit.
    const WANT: u32 = 1 << 31;
    if n >= WANT as usize {
        return Err(Error::new(ErrorKind::InvalidParameter, "number of values").value(n as f64));
    }
    let hist = &mut scratch.hist[..SELECT_BUCKETS];
    hist.iter_mut().for_each(|c| *c = 0);
    for (i, &v) in values.iter().enumerate() {
        if kept(i) {
            hist[bucket(v)] += 1;
        }
    }
    let mut total = 0u32;
    for c in hist.iter_mut() {
        let cnt = *c;
        *c = total;
        total += cnt;
    }
    let start = |hist: &[u32], b: usize| (hist[b] & !WANT) as usize;
    let end = |hist: &[u32], b: usize| if b + 1 < SELECT_BUCKETS { start(hist, b + 1) } else { n };
    // The (non-empty) bucket holding rank r: the last one starting at or before r.
    let find = |hist: &[u32], r: usize| hist.partition_point(|&s| (s & !WANT) as usize <= r) - 1;
    // Interior edge i is the quantile i/K: it reads ranks r and r+1.
    let q = |i: usize| i as f64 / k as f64;
    let rank_of = |i: usize| quantile_rank(n as u64, q(i)).0 as usize;
    for i in 1..k {
        let r = rank_of(i);
        for rr in [r, (r + 1).min(n - 1)] {
            let b = find(hist, rr);
            hist[b] |= WANT;
        }
    }
    // Gather and sort the values of the wanted buckets only. Their sorted
    // union holds every wanted rank, in rank order.
    let buf = &mut scratch.values[..n];
    let mut g = 0usize;
    for (i, &v) in values.iter().enumerate() {
        if kept(i) && hist[bucket(v)] & WANT != 0 {
            buf[g] = v;
            g += 1;
        }
    }
    let gathered = &mut buf[..g];
    gathered.sort_unstable_by(|a, b| a.total_cmp(b));
    // Walk wanted ranks (non-decreasing in i) and buckets together: `before`
    // counts gathered values in wanted buckets below the current one.
    let (mut before, mut cursor) = (0usize, 0usize);
    out[0] = lo;
    for (i, edge) in out.iter_mut().enumerate().take(k).skip(1) {
        let r = rank_of(i);
        let b = find(hist, r);
        while cursor < b {
            if hist[cursor] & WANT != 0 {
                before += end(hist, cursor) - start(hist, cursor);
            }
            cursor += 1;
        }
        let pos = before + (r - start(hist, b));
        // Rank r+1 is the next gathered value: its bucket is wanted too and
        // every bucket in between is empty.
        *edge = linear_quantile(n as u64, q(i), |rank| gathered[pos + (rank as usize - r)]).clamp(lo, hi);
    }
    out[k] = hi;
    Ok(dedup_edges(&mut out[..=k], k))
}

/// Removes repeated edges in place (edges are non-decreasing).
pub(crate) fn dedup_edges(edges: &mut [f64], requested: usize) -> EdgeSummary {
    let mut m = 1usize;
    for i in 1..edges.len() {
        if edges[i] > edges[m - 1] {
            edges[m] = edges[i];
            m += 1;
        }
    }
    // A single distinct value leaves one degenerate bin [lo, lo].
    if m == 1 {
        edges[1] = edges[0];
        m = 2;
    }
    EdgeSummary { bins: m - 1, merged: requested - (m - 1) }
}

/// Merges every bin holding fewer than `min` samples into a neighbour (the
/// next one; the last bin into the previous one), in place. `counts` has one
/// entry per bin and is merged alongside. Returns the number of bins left.
pub fn merge_small_bins(edges: &mut [f64], counts: &mut [u64], min: u64) -> usize {
    let mut bins = counts.len().min(edges.len().saturating_sub(1));
    if bins <= 1 || min == 0 {
        return bins;
    }
    let mut i = 0usize;
    while i < bins && bins > 1 {
        if counts[i] >= min {
            i += 1;
            continue;
        }
        let j = if i + 1 < bins { i } else { i - 1 };
        // Merge bin j+1 into bin j: drop edge j+1.
        counts[j] += counts[j + 1];
        for t in j + 1..bins - 1 {
            counts[t] = counts[t + 1];
        }
        for t in j + 1..bins {
            edges[t] = edges[t + 1];
        }
        bins -= 1;
        if j < i {
            i = j;
        }
    }
    bins
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::quantile_sorted;

    #[test]
    fn linear_quantile_is_numpys() {
        // np.quantile(v, q) for these v and q.
        let v = [1.0, 2.0, 4.0, 8.0];
        for (q, want) in [(0.0, 1.0), (0.5, 3.0), (0.95, 7.4), (0.99, 7.88), (1.0, 8.0)] {
            assert!((quantile_sorted(&v, q) - want).abs() < 1e-12, "q = {q}");
        }
        assert_eq!(quantile_sorted(&[5.0], 0.5), 5.0);
        // Exact at both ends of an interval (numpy's _lerp).
        assert_eq!(quantile_sorted(&[0.1, 0.7], 1.0), 0.7);
        // The guard: neighbours whose difference overflows stay finite.
        assert_eq!(quantile_sorted(&[-f64::MAX, f64::MAX], 0.5), 0.0);
    }
}
