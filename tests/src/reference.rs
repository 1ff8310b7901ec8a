//! Reference implementations: slow, short and obviously right.
//!
//! Each function is the definition from the glossary written out directly,
//! in the spirit of BLAKE3's `reference_impl`: no buffers, no tricks, no
//! speed. The property tests (`tests/tests/properties.rs`) check calib-core's
//! fast paths against them. Constants are written out here rather than
//! imported from calib-core, so an oracle never inherits a mistake from the
//! code it checks.

/// scikit-learn's tie tolerance, `np.finfo(np.float64).resolution`.
pub const TIE_TOLERANCE: f64 = 1e-15;
/// The z of a two-sided 95 % normal interval.
pub const Z95: f64 = 1.959963984540054;
/// Probabilities are clipped to `[LOG_LOSS_EPS, 1 − LOG_LOSS_EPS]` in log-loss.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Points sorted by score, one per score after pooling.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// Scores, increasing.
    pub x: Vec<f64>,
    /// Weighted mean target of each pooled point.
    pub y: Vec<f64>,
    /// Summed weight of each pooled point.
    pub w: Vec<f64>,
}

/// Weighted mean of `y` over `range`.
fn mean(y: &[f64], w: &[f64], range: core::ops::Range<usize>) -> f64 {
    let (s, t) = range.fold((0.0, 0.0), |(s, t), i| (s + w[i] * y[i], t + w[i]));
    s / t
}

/// Per-point values of the weighted isotonic least-squares fit of `y`
/// (sorted by score, positive weights). Why right: merging any adjacent pair
/// of blocks whose means violate the order, until none does, reaches the
/// unique optimum whatever the merge order (Barlow et al. 1972).
pub fn pav(y: &[f64], w: &[f64], increasing: bool) -> Vec<f64> {
    let mut blocks: Vec<core::ops::Range<usize>> = (0..y.len()).map(|i| i..i + 1).collect();
    let violates = |a: f64, b: f64| if increasing { a > b } else { a < b };
    while let Some(i) = (1..blocks.len())
        .map(|i| i - 1)
        .find(|&i| violates(mean(y, w, blocks[i].clone()), mean(y, w, blocks[i + 1].clone())))
    {
        blocks[i].end = blocks[i + 1].end;
        blocks.remove(i + 1);
    }
    let mut out = vec![0.0; y.len()];
    for b in blocks {
        let m = mean(y, w, b.clone());
        out[b].iter_mut().for_each(|v| *v = m);
    }
    out
}

/// scikit-learn's `_make_unique` after dropping zero weights. Why right: it
/// is the glossary's rule verbatim — sort by score, start a new group when a
/// score is at least 1e-15 above the group's first, keep the first score, the
/// weighted mean target and the summed weight.
pub fn pool_ties(x: &[f64], y: &[f64], w: Option<&[f64]>) -> Points {
    let w_of = |i: usize| w.map_or(1.0, |w| w[i]);
    // `+ 0.0` makes -0.0 the same score as 0.0.
    let mut pts: Vec<(f64, f64, f64)> =
        (0..x.len()).filter(|&i| w_of(i) != 0.0).map(|i| (x[i] + 0.0, y[i], w_of(i))).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut groups: Vec<Vec<(f64, f64, f64)>> = Vec::new();
    for p in pts {
        match groups.last_mut() {
            Some(g) if p.0 - g[0].0 < TIE_TOLERANCE => g.push(p),
            _ => groups.push(vec![p]),
        }
    }
    let mut out = Points { x: vec![], y: vec![], w: vec![] };
    for g in groups {
        let sw: f64 = g.iter().map(|p| p.2).sum();
        out.x.push(g[0].0);
        out.y.push(g.iter().map(|p| p.1 * p.2).sum::<f64>() / sw);
        out.w.push(sw);
    }
    out
}

/// Drops interior points whose value equals both neighbours' (scikit-learn's
/// `keep_data`). Why right: such a point lies on a flat segment, so removing
/// it leaves the interpolated function unchanged.
pub fn trim(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    trim_by(x, y, |a, b| a == b)
}

/// [`trim`] with `same` deciding when two values are equal, judged against
/// the original neighbours as scikit-learn does. With a tolerance it removes
/// the points whose keeping hinged on rounding alone.
pub fn trim_by(x: &[f64], y: &[f64], same: impl Fn(f64, f64) -> bool) -> (Vec<f64>, Vec<f64>) {
    let n = x.len();
    let keep = |i: usize| i == 0 || i + 1 == n || !same(y[i], y[i - 1]) || !same(y[i], y[i + 1]);
    ((0..n).filter(|&i| keep(i)).map(|i| x[i]).collect(), (0..n).filter(|&i| keep(i)).map(|i| y[i]).collect())
}

/// scikit-learn's `IsotonicRegression.fit` thresholds `(X_thresholds_,
/// y_thresholds_)`. Why right: it composes the steps above in the order
/// scikit-learn runs them — pool, PAV, clip to the bounds, trim.
pub fn isotonic_fit(
    x: &[f64],
    y: &[f64],
    w: Option<&[f64]>,
    increasing: bool,
    y_min: Option<f64>,
    y_max: Option<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let p = pool_ties(x, y, w);
    let lo = y_min.unwrap_or(f64::NEG_INFINITY);
    let hi = y_max.unwrap_or(f64::INFINITY);
    let fitted: Vec<f64> = pav(&p.y, &p.w, increasing).into_iter().map(|v| v.clamp(lo, hi)).collect();
    trim(&p.x, &fitted)
}

/// Weighted squared error `Σ w (y − f)²`.
pub fn sse(y: &[f64], w: &[f64], fitted: &[f64]) -> f64 {
    (0..y.len()).map(|i| w[i] * (y[i] - fitted[i]) * (y[i] - fitted[i])).sum()
}

/// The least weighted squared error of any non-decreasing fit of `y`, by
/// brute force over all `2^(n-1)` splits into contiguous blocks (n ≤ ~12).
/// Why right: the optimum is constant on contiguous blocks at the block
/// means, and every monotone block-mean fit is feasible, so the least error
/// among them is the optimum.
pub fn brute_force_isotonic(y: &[f64], w: &[f64]) -> (f64, Vec<f64>) {
    let n = y.len();
    let mut best = (f64::INFINITY, vec![]);
    for cuts in 0u32..1 << (n - 1) {
        // Bit i set: a block ends after point i.
        let mut fitted = vec![0.0; n];
        let mut start = 0;
        for end in 1..=n {
            if end == n || cuts >> (end - 1) & 1 == 1 {
                let m = mean(y, w, start..end);
                fitted[start..end].iter_mut().for_each(|v| *v = m);
                start = end;
            }
        }
        if fitted.windows(2).all(|p| p[0] <= p[1]) {
            let e = sse(y, w, &fitted);
            if e < best.0 {
                best = (e, fitted);
            }
        }
    }
    best
}

/// numpy's default ("linear") quantile of `sorted` at `q`. Why right: it is
/// numpy's `_quantile` line by line — virtual index `h = (n−1)·q`, neighbours
/// `floor(h)` and `floor(h)+1` (capped at `n−1`), and `_lerp`, which computes
/// `b − (b−a)(1−t)` when `t ≥ 0.5`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let h = (n - 1) as f64 * q;
    let f = h.floor();
    let (a, b) = (sorted[f as usize], sorted[(f as usize + 1).min(n - 1)]);
    let t = h - f;
    if t >= 0.5 { b - (b - a) * (1.0 - t) } else { a + (b - a) * t }
}

/// `K + 1` equal-width edges over `[lo, hi]`, `e_k = lo + (hi − lo)·k/K`,
/// with repeated edges removed. Why right: the glossary's definition.
pub fn equal_width_edges(lo: f64, hi: f64, k: usize) -> Vec<f64> {
    let mut e: Vec<f64> = (0..=k).map(|i| lo + (hi - lo) * i as f64 / k as f64).collect();
    (e[0], e[k]) = (lo, hi);
    dedup(e)
}

/// Equal-mass edges: `lo`, the quantiles `k/K` of `values` (sorted in full)
/// clamped to `[lo, hi]`, `hi`; repeated edges removed. Why right: a full
/// sort and [`quantile`] are the definition, with no selection shortcut.
pub fn equal_mass_edges(values: &[f64], lo: f64, hi: f64, k: usize) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut e: Vec<f64> = (0..=k).map(|i| quantile(&sorted, i as f64 / k as f64).clamp(lo, hi)).collect();
    (e[0], e[k]) = (lo, hi);
    dedup(e)
}

/// Keeps the first of each run of equal edges (a single value keeps one
/// degenerate bin `[v, v]`). Why right: equal edges bound an empty bin.
fn dedup(mut e: Vec<f64>) -> Vec<f64> {
    e.dedup_by(|b, a| *b <= *a);
    if e.len() == 1 {
        e.push(e[0]);
    }
    e
}

/// The bin of `p`: 0 for `p ≤ e_1`, else the last `k` with `e_k < p`, at
/// most `K − 1`. Why right: bin 0 is `[e_0, e_1]`, bin k > 0 is
/// `(e_k, e_{k+1}]`, so an interior edge goes to the lower bin and 1.0 to the
/// last — the glossary's convention, read off by a linear scan.
pub fn bin_of(edges: &[f64], p: f64) -> usize {
    (1..edges.len() - 1).filter(|&k| edges[k] < p).max().unwrap_or(0)
}

/// Sums of one bin.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bin {
    /// Lower edge.
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Points of positive weight in the bin (a zero-weight row is no sample).
    pub count: u64,
    /// Their total weight.
    pub weight: f64,
    /// Weighted mean probability p̄.
    pub mean_p: f64,
    /// Weighted observed rate ȳ.
    pub observed: f64,
}

/// Every bin of `edges`, summed in input order. Why right: each bin's sums
/// are formed by a separate pass over all points, keeping those in the bin.
pub fn bins(p: &[f64], y: &[f64], w: Option<&[f64]>, edges: &[f64]) -> Vec<Bin> {
    let w_of = |i: usize| w.map_or(1.0, |w| w[i]);
    (0..edges.len() - 1)
        .map(|b| {
            let inside: Vec<usize> = (0..p.len()).filter(|&i| w_of(i) > 0.0 && bin_of(edges, p[i]) == b).collect();
            let weight: f64 = inside.iter().map(|&i| w_of(i)).sum();
            let sum_p: f64 = inside.iter().map(|&i| w_of(i) * p[i]).sum();
            let sum_y: f64 = inside.iter().map(|&i| w_of(i) * y[i]).sum();
            let (lower, upper, count) = (edges[b], edges[b + 1], inside.len() as u64);
            Bin { lower, upper, count, weight, mean_p: sum_p / weight, observed: sum_y / weight }
        })
        .collect()
}

/// The probabilities of positive-weight rows: the sample equal-mass edges are
/// the quantiles of.
fn sampled(p: &[f64], w: Option<&[f64]>) -> Vec<f64> {
    (0..p.len()).filter(|&i| w.is_none_or(|w| w[i] > 0.0)).map(|i| p[i]).collect()
}

/// Total weight (the count when unweighted).
fn total(p: &[f64], w: Option<&[f64]>) -> f64 {
    w.map_or(p.len() as f64, |w| w.iter().sum())
}

/// `Σ_b (W_b/W)·|ȳ_b − p̄_b|` over non-empty bins. Why right: the definition.
pub fn l1_error(p: &[f64], y: &[f64], w: Option<&[f64]>, edges: &[f64]) -> f64 {
    let t = total(p, w);
    bins(p, y, w, edges).iter().filter(|b| b.weight > 0.0).map(|b| b.weight / t * (b.observed - b.mean_p).abs()).sum()
}

/// ECE over `K` equal-width bins of `[0, 1]`.
pub fn ece(p: &[f64], y: &[f64], w: Option<&[f64]>, k: usize) -> f64 {
    l1_error(p, y, w, &equal_width_edges(0.0, 1.0, k))
}

/// AECE over `K` equal-mass bins of `[0, 1]`.
pub fn aece(p: &[f64], y: &[f64], w: Option<&[f64]>, k: usize) -> f64 {
    l1_error(p, y, w, &equal_mass_edges(&sampled(p, w), 0.0, 1.0, k))
}

/// MCE: the largest `|ȳ_b − p̄_b|` over non-empty equal-width bins.
pub fn mce(p: &[f64], y: &[f64], w: Option<&[f64]>, k: usize) -> f64 {
    let b = bins(p, y, w, &equal_width_edges(0.0, 1.0, k));
    b.iter().filter(|b| b.weight > 0.0).map(|b| (b.observed - b.mean_p).abs()).fold(0.0, f64::max)
}

/// DECE over `K` equal-mass bins: `sqrt(max(0, Σ_b (W_b/W)[(p̄−ȳ)² −
/// ȳ(1−ȳ)/(n_b−1)]))`, bins with `n_b < 2` (a count) adding 0. Why right:
/// Kumar, Liang & Ma's estimator as the glossary writes it.
pub fn dece(p: &[f64], y: &[f64], w: Option<&[f64]>, k: usize) -> f64 {
    let t = total(p, w);
    let s: f64 = bins(p, y, w, &equal_mass_edges(&sampled(p, w), 0.0, 1.0, k))
        .iter()
        .filter(|b| b.weight > 0.0 && b.count >= 2)
        .map(|b| {
            let (pb, yb) = (b.mean_p, b.observed);
            b.weight / t * ((pb - yb) * (pb - yb) - yb * (1.0 - yb) / (b.count - 1) as f64)
        })
        .sum();
    s.max(0.0).sqrt()
}

/// Weighted mean of `(p − y)²`.
pub fn brier(p: &[f64], y: &[f64], w: Option<&[f64]>) -> f64 {
    let w_of = |i: usize| w.map_or(1.0, |w| w[i]);
    (0..p.len()).map(|i| w_of(i) * (p[i] - y[i]) * (p[i] - y[i])).sum::<f64>() / total(p, w)
}

/// Weighted mean of `−[y ln p + (1−y) ln(1−p)]`, p clipped to `[1e-15, 1 − 1e-15]`.
pub fn log_loss(p: &[f64], y: &[f64], w: Option<&[f64]>) -> f64 {
    let w_of = |i: usize| w.map_or(1.0, |w| w[i]);
    let term = |i: usize| {
        let q = p[i].clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        -w_of(i) * (y[i] * q.ln() + (1.0 - y[i]) * (1.0 - q).ln())
    };
    (0..p.len()).map(term).sum::<f64>() / total(p, w)
}

/// Wilson 95 % score interval of a rate `r` over `n` trials, clipped to
/// [0, 1]; `(0, 1)` when `n ≤ 0`. Why right: Wilson (1927),
/// `(r + z²/2n ± z·sqrt(r(1−r)/n + z²/4n²)) / (1 + z²/n)`.
pub fn wilson(r: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let z = Z95;
    let centre = r + z * z / (2.0 * n);
    let half = z * (r * (1.0 - r) / n + z * z / (4.0 * n * n)).sqrt();
    let d = 1.0 + z * z / n;
    (((centre - half) / d).max(0.0), ((centre + half) / d).min(1.0))
}

/// τ(N, K) = max(0.015, ĉ·√(K/N)); infinite for N = 0 (nothing measured).
pub fn tau(n: u64, k: usize, c_hat: f64) -> f64 {
    if n == 0 { f64::INFINITY } else { (c_hat * (k as f64 / n as f64).sqrt()).max(0.015) }
}

/// `numpy.interp` on breakpoints, clipping outside them. Why right: find the
/// segment by a linear scan and interpolate on it; used only to compare two
/// maps as functions, never bit for bit.
pub fn interp(xs: &[f64], ys: &[f64], s: f64) -> f64 {
    let m = xs.len();
    if s <= xs[0] {
        return ys[0];
    }
    if s >= xs[m - 1] {
        return ys[m - 1];
    }
    let j = (0..m - 1).find(|&j| xs[j] <= s && s < xs[j + 1]).expect("s lies inside the breakpoints");
    ys[j] + (ys[j + 1] - ys[j]) * ((s - xs[j]) / (xs[j + 1] - xs[j]))
}
