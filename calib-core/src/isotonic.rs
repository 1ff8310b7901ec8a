//! Isotonic regression by weighted pool-adjacent-violators (PAV).
//!
//! calib reproduces scikit-learn's `IsotonicRegression` step by step, because
//! teams move from it and compare against it:
//!
//! 1. points with zero weight are dropped;
//! 2. points whose scores lie within `1e-15` of the first score of their group
//!    (float64 "resolution", scikit-learn's `_make_unique`) are pooled into one
//!    point: the group's first score, the weighted mean label, the **sum** of
//!    the weights;
//! 3. PAV pools adjacent violators;
//! 4. values are clipped to `[y_min, y_max]`;
//! 5. interior breakpoints equal to both neighbours are trimmed.
//!
//! Strict mode (centered isotonic regression, Oron & Flournoy 2017) instead
//! places one breakpoint per pooled block at the block's weighted mean score,
//! and pools blocks of *equal* value too, so the map is strictly monotone on
//! its range: calibration then never ties two items that were not tied.
//!
//! Everything here works on caller-provided buffers and never allocates; the
//! `alloc` feature adds `fit`, which sorts unsorted input first.

use crate::error::{Error, ErrorKind, Result, finite_sum};

/// The tie tolerance of scikit-learn's `_make_unique`: `np.finfo(np.float64).resolution`.
pub const TIE_TOLERANCE: f64 = 1e-15;

/// Options of an isotonic fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsotonicOptions {
    /// Fit a non-decreasing map (`true`) or a non-increasing one.
    pub increasing: bool,
    /// Lower bound for fitted values.
    pub y_min: Option<f64>,
    /// Upper bound for fitted values.
    pub y_max: Option<f64>,
    /// Centered isotonic regression: strictly monotone, rank-preserving.
    pub strict: bool,
}

impl Default for IsotonicOptions {
    fn default() -> Self {
        IsotonicOptions { increasing: true, y_min: None, y_max: None, strict: false }
    }
}

impl IsotonicOptions {
    /// Checks that bounds are not NaN and `y_min <= y_max`.
    pub fn validate(&self) -> Result<()> {
        if let Some(v) = self.y_min
            && v.is_nan()
        {
            return Err(Error::new(ErrorKind::InvalidParameter, "y_min").value(v));
        }
        if let Some(v) = self.y_max
            && v.is_nan()
        {
            return Err(Error::new(ErrorKind::InvalidParameter, "y_max").value(v));
        }
        if let (Some(a), Some(b)) = (self.y_min, self.y_max)
            && a > b
        {
            return Err(Error::new(ErrorKind::InvalidParameter, "y_min (greater than y_max)").value(a));
        }
        Ok(())
    }
}

/// Scratch space for [`fit_sorted_in_place`]: `blocks` needs one entry per
/// point; `centroids` one per point in strict mode (may be empty otherwise).
#[derive(Debug)]
pub struct PavScratch<'a> {
    /// Block boundary links (PAV's `target` array).
    pub blocks: &'a mut [usize],
    /// Weighted score sums per block, for strict mode.
    pub centroids: &'a mut [f64],
}

/// Validates fit inputs: equal lengths, finite scores and values, valid
/// weights, and (for calibration) labels in [0, 1]. Rows are checked in
/// order, so the error names the first bad row whatever the column.
pub(crate) fn validate_rows(x: &[f64], y: &[f64], w: Option<&[f64]>, labels_01: bool) -> Result<()> {
    if x.is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput, "scores"));
    }
    if y.len() != x.len() {
        return Err(Error::new(ErrorKind::LengthMismatch, "labels").counts(y.len(), x.len()));
    }
    if let Some(w) = w
        && w.len() != x.len()
    {
        return Err(Error::new(ErrorKind::LengthMismatch, "weights").counts(w.len(), x.len()));
    }
    for i in 0..x.len() {
        if !x[i].is_finite() {
            return Err(Error::new(ErrorKind::NonFiniteScore, "scores").at(i).value(x[i]));
        }
        let label_ok = if labels_01 { (0.0..=1.0).contains(&y[i]) } else { y[i].is_finite() };
        if !label_ok {
            return Err(Error::new(ErrorKind::LabelOutOfRange, "labels").at(i).value(y[i]));
        }
        if let Some(w) = w
            && !(w[i].is_finite() && w[i] >= 0.0)
        {
            return Err(Error::new(ErrorKind::InvalidWeight, "weights").at(i).value(w[i]));
        }
    }
    Ok(())
}

/// Validates fit inputs for plain isotonic regression (any finite targets).
pub(crate) fn validate_fit_input(x: &[f64], y: &[f64], w: Option<&[f64]>) -> Result<()> {
    validate_rows(x, y, w, false)
}

/// Checks that labels lie in `[0, 1]` (calibration targets).
pub fn validate_labels(y: &[f64]) -> Result<()> {
    for (i, &v) in y.iter().enumerate() {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::new(ErrorKind::LabelOutOfRange, "labels").at(i).value(v));
        }
    }
    Ok(())
}

/// Step 1–2: drops zero weights and pools near-equal scores, in place.
///
/// On return, for `k < n_unique`: `x[k]` is the group's first score, `y[k]`
/// the group's weighted label **sum**, `w[k]` its weight sum. With `summed`,
/// `y` already holds weighted sums (pre-grouped rows) rather than labels.
fn pool_ties(x: &mut [f64], y: &mut [f64], w: &mut [f64], summed: bool) -> usize {
    let n = x.len();
    let mut out = 0usize;
    let mut started = false;
    let (mut cx, mut cy, mut cw) = (0.0f64, 0.0f64, 0.0f64);
    for j in 0..n {
        let wj = w[j];
        if wj == 0.0 {
            continue;
        }
        // -0.0 and 0.0 are the same score.
        let xj = x[j] + 0.0;
        let yw = if summed { y[j] } else { y[j] * wj };
        if !started {
            (cx, cy, cw, started) = (xj, yw, wj, true);
        } else if xj - cx >= TIE_TOLERANCE {
            x[out] = cx;
            y[out] = cy;
            w[out] = cw;
            out += 1;
            (cx, cy, cw) = (xj, yw, wj);
        } else {
            cy += yw;
            cw += wj;
        }
    }
    if started {
        x[out] = cx;
        y[out] = cy;
        w[out] = cw;
        out += 1;
    }
    out
}

/// Refuses weight sums `w` or weighted label sums `y` that overflowed
/// (the sums of pooled ties, or of PAV's blocks).
fn check_sums(y: &[f64], w: &[f64]) -> Result<()> {
    if let Some(&v) = w.iter().find(|v| !v.is_finite()) {
        return finite_sum(v, "weights");
    }
    if let Some(&v) = y.iter().find(|v| !v.is_finite()) {
        return finite_sum(v, "weighted labels");
    }
    Ok(())
}

/// Step 3: PAV over block sums. `sy`/`sw` hold label and weight sums; on
/// return, for each block start `i`, `sy[i]`/`sw[i]` are the block's sums,
/// `blocks[i]` its last index and `blocks[last] == i`.
fn pav(sy: &mut [f64], sw: &mut [f64], wx: &mut [f64], blocks: &mut [usize], pool_equal: bool) {
    let n = sy.len();
    for (i, b) in blocks.iter_mut().enumerate() {
        *b = i;
    }
    let strict = !wx.is_empty();
    // Block a violates block b when its mean is above b's (or equal, when
    // equal blocks are pooled too). Written with divisions, not
    // cross-multiplication, so the comparison is exact on the means.
    let violates = |sy: &[f64], sw: &[f64], a: usize, b: usize| {
        let (ma, mb) = (sy[a] / sw[a], sy[b] / sw[b]);
        if pool_equal { ma >= mb } else { ma > mb }
    };
    let mut i = 0usize;
    while i < n {
        let mut k = blocks[i] + 1;
        if k >= n {
            break;
        }
        if !violates(sy, sw, i, k) {
            i = k;
            continue;
        }
        loop {
            sy[i] += sy[k];
            sw[i] += sw[k];
            if strict {
                wx[i] += wx[k];
            }
            k = blocks[k] + 1;
            if k >= n || !violates(sy, sw, i, k) {
                break;
            }
        }
        blocks[i] = k - 1;
        blocks[k - 1] = i;
        // The pooled block may now violate the block before it.
        if i > 0 {
            i = blocks[i - 1];
        }
    }
}

/// Fits an isotonic map to points sorted by score, in place.
///
/// `x` must be sorted non-decreasing (an unsorted `x` is refused, naming the
/// first index out of order); `y` are finite targets (labels for
/// calibration), `w` non-negative finite weights. On success the breakpoints
/// are in `x[..m]`, `y[..m]` and `m` is returned. Never allocates.
///
/// Fails on empty input, mismatched lengths, non-finite scores or values,
/// invalid weights, all-zero weights, invalid options, or scratch buffers
/// shorter than the input.
pub fn fit_sorted_in_place(
    x: &mut [f64],
    y: &mut [f64],
    w: &mut [f64],
    scratch: PavScratch<'_>,
    options: &IsotonicOptions,
) -> Result<usize> {
    options.validate()?;
    validate_fit_input(x, y, Some(w))?;
    let n = x.len();
    for i in 1..n {
        if x[i] < x[i - 1] {
            return Err(Error::new(ErrorKind::Unsorted, "scores").at(i).value(x[i]));
        }
    }
    if scratch.blocks.len() < n {
        return Err(Error::new(ErrorKind::BufferTooSmall, "blocks").counts(scratch.blocks.len(), n));
    }
    if options.strict && scratch.centroids.len() < n {
        return Err(Error::new(ErrorKind::BufferTooSmall, "centroids").counts(scratch.centroids.len(), n));
    }
    fit_sorted_unchecked(x, y, w, scratch, options)
}

/// [`fit_sorted_in_place`] after validation.
pub(crate) fn fit_sorted_unchecked(
    x: &mut [f64],
    y: &mut [f64],
    w: &mut [f64],
    scratch: PavScratch<'_>,
    options: &IsotonicOptions,
) -> Result<usize> {
    fit_pooled(x, y, w, false, scratch, options)
}

/// Steps 2–5 on sorted rows; `summed`: `y` holds weighted label sums.
fn fit_pooled(
    x: &mut [f64],
    y: &mut [f64],
    w: &mut [f64],
    summed: bool,
    scratch: PavScratch<'_>,
    options: &IsotonicOptions,
) -> Result<usize> {
    let u = pool_ties(x, y, w, summed);
    if u == 0 {
        return Err(Error::new(ErrorKind::TooFewSamples, "isotonic fit (all weights are zero)").counts(0, 1));
    }
    let (x, y, w) = (&mut x[..u], &mut y[..u], &mut w[..u]);
    // Sums that overflow would turn into NaN values; refuse them up front.
    check_sums(y, w)?;
    // A non-increasing fit of y is minus the non-decreasing fit of -y;
    // negation is exact, so both directions share one PAV.
    if !options.increasing {
        y.iter_mut().for_each(|v| *v = -*v);
    }
    let wx: &mut [f64] = if options.strict {
        let c = &mut scratch.centroids[..u];
        for k in 0..u {
            c[k] = x[k] * w[k];
        }
        c
    } else {
        &mut []
    };
    let blocks = &mut scratch.blocks[..u];
    pav(y, w, wx, blocks, options.strict);
    // Pooling adds block sums: finite ties can still overflow together.
    // Blocks only grow, so one pass after PAV finds any that did.
    check_sums(y, w)?;

    // Write breakpoints to the front of x/y: one per block in strict mode
    // (its centroid), else the block's first and last scores.
    let sign = if options.increasing { 1.0 } else { -1.0 };
    let mut out = 0usize;
    let mut i = 0usize;
    while i < u {
        let end = blocks[i];
        let value = sign * (y[i] / w[i]);
        if options.strict {
            // The centroid lies within the block's scores; rounding must not
            // push it past them, or centroids could collide.
            let mut c = wx[i] / w[i];
            if !c.is_finite() {
                // Σw·x overflowed (scores near ±f64::MAX): fall back to the
                // block's midpoint, computed without overflow.
                c = x[i] * 0.5 + x[end] * 0.5;
            }
            let c = c.clamp(x[i], x[end]);
            x[out] = c;
            y[out] = value;
            out += 1;
        } else {
            let (first, last) = (x[i], x[end]);
            x[out] = first;
            y[out] = value;
            out += 1;
            if end > i {
                x[out] = last;
                y[out] = value;
                out += 1;
            }
        }
        i = end + 1;
    }
    let (lo, hi) = (options.y_min.unwrap_or(f64::NEG_INFINITY), options.y_max.unwrap_or(f64::INFINITY));
    for v in &mut y[..out] {
        *v = v.clamp(lo, hi);
    }
    Ok(trim(&mut x[..out], &mut y[..out]))
}

/// Step 5: drops interior breakpoints whose value equals both neighbours'.
fn trim(x: &mut [f64], y: &mut [f64]) -> usize {
    let m = x.len();
    if m <= 2 {
        return m;
    }
    let mut out = 1usize;
    let mut prev = y[0];
    for i in 1..m - 1 {
        let cur = y[i];
        if cur != prev || cur != y[i + 1] {
            x[out] = x[i];
            y[out] = cur;
            out += 1;
        }
        prev = cur;
    }
    x[out] = x[m - 1];
    y[out] = y[m - 1];
    out + 1
}

#[cfg(feature = "alloc")]
pub use self::owned::*;

#[cfg(feature = "alloc")]
mod owned {
    use super::*;
    use crate::sort::sort_points;
    use alloc::vec;
    use alloc::vec::Vec;

    /// Breakpoints produced by a fit.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Breakpoints {
        /// Scores, strictly increasing.
        pub x: Vec<f64>,
        /// Values at those scores.
        pub y: Vec<f64>,
        /// The direction that was fitted (decided from the data for `auto`).
        pub increasing: bool,
    }

    /// Fits isotonic breakpoints to unsorted points (any finite targets;
    /// see [`validate_labels`] for calibration labels). Sorting is an LSD
    /// radix sort on the score bits, then (label, weight) within equal
    /// scores, so the result is exactly the same for any order of the input.
    pub fn fit(
        scores: &[f64],
        targets: &[f64],
        weights: Option<&[f64]>,
        options: &IsotonicOptions,
    ) -> Result<Breakpoints> {
        options.validate()?;
        validate_fit_input(scores, targets, weights)?;
        let grouped = if weights.is_none() { crate::sort::group_binary(scores, targets) } else { None };
        let summed = grouped.is_some();
        let (x, y, w) = match grouped {
            Some(g) => g,
            None => sort_points(scores, targets, weights),
        };
        fit_sorted_owned(x, y, w, summed, options)
    }

    /// Steps 2–5 on owned sorted rows (`summed`: `y` holds weighted label
    /// sums), with scratch allocated here; the breakpoints reuse `x` and `y`.
    fn fit_sorted_owned(
        mut x: Vec<f64>,
        mut y: Vec<f64>,
        mut w: Vec<f64>,
        summed: bool,
        options: &IsotonicOptions,
    ) -> Result<Breakpoints> {
        let n = x.len();
        let mut blocks = vec![0usize; n];
        let mut centroids = if options.strict { vec![0.0f64; n] } else { Vec::new() };
        let scratch = PavScratch { blocks: &mut blocks, centroids: &mut centroids };
        let m = fit_pooled(&mut x, &mut y, &mut w, summed, scratch, options)?;
        x.truncate(m);
        y.truncate(m);
        x.shrink_to_fit();
        y.shrink_to_fit();
        Ok(Breakpoints { x, y, increasing: options.increasing })
    }

    /// Fits isotonic breakpoints to pre-summed points: `x` the distinct
    /// scores, sorted increasing, with `sum_wy[k]` the weighted label sum
    /// and `sum_w[k]` the (positive) weight sum at `x[k]`. This is the route
    /// [`fit`] takes for unweighted 0/1 labels, and the one a
    /// [`FitSketch`](crate::sketch::FitSketch) takes: near-equal scores are
    /// pooled with the same `1e-15` tolerance, so the map is the one [`fit`]
    /// gives on the rows these sums came from.
    #[cfg(feature = "sketch")]
    pub(crate) fn fit_summed(
        x: Vec<f64>,
        sum_wy: Vec<f64>,
        sum_w: Vec<f64>,
        options: &IsotonicOptions,
    ) -> Result<Breakpoints> {
        options.validate()?;
        // No points at all (every row had zero weight) is refused by
        // `fit_pooled` exactly as `fit` refuses it.
        fit_sorted_owned(x, sum_wy, sum_w, true, options)
    }

    /// scikit-learn's `check_increasing`: the sign of Spearman's rank
    /// correlation between scores and targets. A correlation that is NaN
    /// (constant scores or targets) counts as decreasing, as in scikit-learn.
    pub fn check_increasing(scores: &[f64], targets: &[f64]) -> Result<bool> {
        validate_fit_input(scores, targets, None)?;
        let rx = average_ranks(scores);
        let ry = average_ranks(targets);
        let n = rx.len() as f64;
        let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for (a, b) in rx.iter().zip(&ry) {
            let (da, db) = (a - mx, b - my);
            sxy += da * db;
            sxx += da * da;
            syy += db * db;
        }
        let rho = sxy / libm::sqrt(sxx * syy);
        Ok(rho >= 0.0)
    }

    /// Ranks 1..=n with ties given their average rank.
    fn average_ranks(v: &[f64]) -> Vec<f64> {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut ranks = vec![0.0; v.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
                j += 1;
            }
            let r = (i + j) as f64 / 2.0 + 1.0;
            for &o in &order[i..=j] {
                ranks[o] = r;
            }
            i = j + 1;
        }
        ranks
    }
}
