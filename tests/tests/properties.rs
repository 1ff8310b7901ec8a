//! Property tests: calib-core's invariants, and calib-core against the slow
//! reference implementations in `calib_tests::reference`.
//!
//! Generators lean towards the inputs that break numeric code: scores on a
//! small grid (ties), zero weights, tiny and huge magnitudes, probabilities
//! exactly on bin edges, and every f64 (NaN, ±inf, subnormals) at apply time.

use calib_core::binning::{self, BinStrategy, KPolicy, SELECT_BUCKETS, SelectScratch};
use calib_core::histogram::{self, HistogramOptions};
use calib_core::isotonic::{self, Breakpoints, IsotonicOptions};
use calib_core::map::{ApplyOptions, ApplyStats, CellIndex, MapRef, NonFinite, OutOfBounds};
use calib_core::metrics;
use calib_core::model::{Direction, FitConfig, Method, Model, fit_model};
use calib_core::{Error, ErrorKind};
use calib_tests::{close, reference};
use proptest::prelude::*;

/// `cases` per property unless `PROPTEST_CASES` asks for a longer soak.
/// Failures are not persisted to a regressions file: each one found is kept
/// as a named test at the end of this file instead.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------- generators

/// A fitting row: (score, label, weight).
type Row = (f64, f64, f64);

/// Scores on a grid of eighths: exact, well separated, many ties.
fn grid() -> impl Strategy<Value = f64> {
    (-4i32..=12).prop_map(|i| f64::from(i) / 8.0)
}

/// Scores of every magnitude a ranker might emit; the tiny ones fall within
/// the 1e-15 tie tolerance of each other and of zero.
fn score() -> BoxedStrategy<f64> {
    prop_oneof![
        6 => grid(),
        2 => -1e3..1e3f64,
        1 => grid().prop_map(|v| v * 1e-300),
        1 => grid().prop_map(|v| v * 1e-16),
        1 => grid().prop_map(|v| v * 1e300),
    ]
    .boxed()
}

fn label() -> BoxedStrategy<f64> {
    prop_oneof![
        4 => any::<bool>().prop_map(f64::from),
        1 => (0u8..=4).prop_map(|i| f64::from(i) / 4.0),
        1 => 0.0..=1.0f64,
    ]
    .boxed()
}

fn weight() -> BoxedStrategy<f64> {
    prop_oneof![1 => Just(0.0), 3 => Just(1.0), 2 => (1u8..=8).prop_map(|i| f64::from(i) / 2.0), 2 => 1e-3..1e3f64]
        .boxed()
}

/// Rows with at least one positive weight.
fn rows_of(
    score: impl Strategy<Value = f64>,
    label: impl Strategy<Value = f64>,
    weight: impl Strategy<Value = f64>,
    n: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec((score, label, weight), n).prop_filter("a positive weight", |r| r.iter().any(|p| p.2 > 0.0))
}

fn rows(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<Row>> {
    rows_of(score(), label(), weight(), n)
}

/// Rows whose sums are exact in f64 (dyadic scores, labels and weights), so
/// two correct implementations agree bit for bit whatever order they add in.
fn exact_rows(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<Row>> {
    let label = (0u8..=4).prop_map(|i| f64::from(i) / 4.0);
    let weight = (0u8..=4).prop_map(|i| f64::from(i) / 2.0);
    rows_of(grid(), label, weight, n)
}

fn split(r: &[Row]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    (r.iter().map(|p| p.0).collect(), r.iter().map(|p| p.1).collect(), r.iter().map(|p| p.2).collect())
}

/// Any finite f64, every magnitude and both signs.
fn finite() -> prop::num::f64::Any {
    use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

/// Breakpoints: strictly increasing `xs` from `coord`, sorted `ys` in [0, 1].
fn breakpoints_of(coord: impl Strategy<Value = f64>) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (prop::collection::vec(coord, 1..=12), prop::collection::vec(0.0..=1.0f64, 12)).prop_map(|(mut xs, mut ys)| {
        xs.sort_by(f64::total_cmp);
        xs.dedup(); // `==`, so -0.0 and 0.0 are one breakpoint
        ys.truncate(xs.len());
        ys.sort_by(f64::total_cmp);
        (xs, ys)
    })
}

/// Breakpoint positions as fitted maps have them: well-separated, any scale.
fn sane_coord() -> BoxedStrategy<f64> {
    prop_oneof![4 => -2.0..2.0f64, 2 => grid(), 1 => -1e300..1e300f64, 1 => grid().prop_map(|v| v * 1e-290)].boxed()
}

fn apply_options() -> impl Strategy<Value = ApplyOptions> {
    let oob = prop_oneof![Just(OutOfBounds::Clip), Just(OutOfBounds::Nan), Just(OutOfBounds::Error)];
    let nf = prop_oneof![
        Just(NonFinite::Error),
        (0.0..=1.0f64).prop_map(NonFinite::Fallback),
        finite().prop_map(NonFinite::Fallback)
    ];
    let eps = prop_oneof![Just(0.0), Just(1e-15), 0.0..0.5f64];
    (oob, nf, eps).prop_map(|(out_of_bounds, non_finite, epsilon)| ApplyOptions { out_of_bounds, non_finite, epsilon })
}

/// A query score relative to the breakpoints: on one, one ulp either side,
/// between two, one of the values a lookup must not trip on (NaN, ±∞, ±0,
/// the ends of the map) or anything at all (`kind`, `index`, `t`, `any`).
type Query = (u8, prop::sample::Index, f64, f64);

fn query() -> impl Strategy<Value = Query> {
    (0u8..6, any::<prop::sample::Index>(), 0.0..=1.0f64, prop::num::f64::ANY)
}

fn resolve(xs: &[f64], (kind, i, t, any): Query) -> f64 {
    let i = i.index(xs.len());
    let j = (i + 1).min(xs.len() - 1);
    match kind {
        0 => xs[i],
        1 => xs[i].next_up(),
        2 => xs[i].next_down(),
        // Written so it cannot overflow between two huge breakpoints.
        3 => (xs[i] * (1.0 - t) + xs[j] * t).clamp(xs[i], xs[j]),
        4 => {
            let special = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, xs[0], xs[xs.len() - 1]];
            special[((t * special.len() as f64) as usize).min(special.len() - 1)]
        }
        _ => any,
    }
}

/// Two apply results are the same: equal bits, or errors of the same kind.
fn same(a: &Result<f64, Error>, b: &Result<f64, Error>) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x.to_bits() == y.to_bits(),
        (Err(e), Err(f)) => e.kind() == f.kind(),
        _ => false,
    }
}

fn map_of(bp: &Breakpoints) -> MapRef<'_> {
    MapRef::new(&bp.x, &bp.y, ApplyOptions::default()).expect("fitted breakpoints are valid")
}

fn iso(increasing: bool, strict: bool) -> IsotonicOptions {
    IsotonicOptions { increasing, y_min: None, y_max: None, strict }
}

// ---------------------------------------------------------------- apply

proptest! {
    #![proptest_config(config(256))]

    // This property found that numpy's interpolation formula can round one
    // ulp past a segment's end (see `interpolation_stays_within_the_segment`).
    /// A map with sorted values is monotone in the score and stays within
    /// its values (and within [ε, 1−ε] when ε > 0): checked along a chain of
    /// scores through every breakpoint and its neighbouring floats.
    #[test]
    fn apply_is_monotone_and_bounded(
        (xs, ys) in breakpoints_of(sane_coord()),
        queries in prop::collection::vec(query(), 0..=8),
        eps in prop_oneof![Just(0.0), 0.0..0.5f64],
    ) {
        let opts = ApplyOptions { epsilon: eps, ..ApplyOptions::default() };
        let map = MapRef::new(&xs, &ys, opts).unwrap();
        let mut chain: Vec<f64> = xs.iter().flat_map(|&x| [x.next_down(), x, x.next_up()]).collect();
        chain.extend(queries.into_iter().map(|q| resolve(&xs, q)).filter(|s| s.is_finite()));
        chain.sort_by(f64::total_cmp);
        let g: Vec<f64> = chain.iter().map(|&s| map.apply(s).unwrap()).collect();
        for i in 1..chain.len() {
            prop_assert!(g[i - 1] <= g[i], "g({:e}) = {:e} > g({:e}) = {:e}", chain[i - 1], g[i - 1], chain[i], g[i]);
        }
        // The floor moves the end values too.
        let floor = |v: f64| if eps > 0.0 { v.clamp(eps, 1.0 - eps) } else { v };
        let (lo, hi) = (floor(ys[0]), floor(ys[ys.len() - 1]));
        for (&s, &v) in chain.iter().zip(&g) {
            prop_assert!(lo <= v && v <= hi, "g({s:e}) = {v:e} outside [{lo:e}, {hi:e}]");
        }
    }

    /// Any f64 under any policy: no panic, and the policy decides the result.
    #[test]
    fn apply_never_panics_and_follows_the_policy(
        (xs, ys) in breakpoints_of(finite()),
        opts in apply_options(),
        s in prop::num::f64::ANY,
    ) {
        let map = MapRef::new(&xs, &ys, opts).unwrap();
        let mut stats = ApplyStats::default();
        let r = map.apply_counted(s, &mut stats);
        let (lo, hi) = (xs[0], xs[xs.len() - 1]);
        prop_assert_eq!(stats.n, 1);
        if !s.is_finite() {
            prop_assert_eq!(stats.non_finite, 1);
            match opts.non_finite {
                NonFinite::Error => prop_assert_eq!(r.unwrap_err().kind(), ErrorKind::NonFiniteInput),
                NonFinite::Fallback(_) => prop_assert!(r.is_ok()),
            }
        } else if s < lo || s > hi {
            prop_assert_eq!(stats.out_of_range, 1);
            match opts.out_of_bounds {
                OutOfBounds::Clip => prop_assert!(r.is_ok()),
                OutOfBounds::Nan => prop_assert!(r.unwrap().is_nan()),
                OutOfBounds::Error => prop_assert_eq!(r.unwrap_err().kind(), ErrorKind::OutOfBounds),
            }
        } else {
            prop_assert_eq!(stats, ApplyStats { n: 1, ..ApplyStats::default() });
            prop_assert!(r.is_ok());
        }
    }

    /// The cell-index lookup gives the same bits as the binary search, on
    /// any breakpoints (subnormal gaps, spans that overflow) and any score.
    #[test]
    fn cell_index_equals_plain_path(
        (xs, ys) in breakpoints_of(finite()),
        opts in apply_options(),
        queries in prop::collection::vec(query(), 1..=32),
    ) {
        let plain = MapRef::new(&xs, &ys, opts).unwrap();
        let mut buf = vec![0u32; CellIndex::buffer_len(xs.len())];
        let indexed = plain.with_index(CellIndex::build(&xs, &mut buf).unwrap());
        for q in queries {
            let s = resolve(&xs, q);
            let (a, b) = (plain.apply(s), indexed.apply(s));
            prop_assert!(same(&a, &b), "score {s:e}: plain {a:?}, indexed {b:?}");
        }
    }

    /// apply_batch gives the bits and the counts of one apply per score,
    /// stopping at the first error, on every path: plain search, cell index,
    /// and cell index with slopes (the served path of a loaded model).
    #[test]
    fn apply_batch_equals_apply(
        (xs, ys) in breakpoints_of(sane_coord()),
        decreasing in any::<bool>(),
        opts in apply_options(),
        queries in prop::collection::vec(query(), 0..=32),
        path in 0u8..3,
    ) {
        let scores: Vec<f64> = queries.into_iter().map(|q| resolve(&xs, q)).collect();
        check_batch(&xs, &ys, decreasing, opts, path, &scores)?;
    }

    /// The same for batches longer than apply_batch's blocks of 256, with at
    /// most one score anywhere that the policies may refuse.
    #[test]
    fn long_apply_batch_equals_apply(
        (xs, ys) in breakpoints_of(sane_coord()),
        decreasing in any::<bool>(),
        opts in apply_options(),
        queries in prop::collection::vec((0u8..4, any::<prop::sample::Index>(), 0.0..=1.0f64, Just(0.0)), 300..=800),
        odd in prop::option::of((any::<prop::sample::Index>(), prop::num::f64::ANY)),
        path in 0u8..3,
    ) {
        let mut scores: Vec<f64> = queries.into_iter().map(|q| resolve(&xs, q)).collect();
        if let Some((at, v)) = odd {
            let at = at.index(scores.len());
            scores[at] = v;
        }
        check_batch(&xs, &ys, decreasing, opts, path, &scores)?;
    }
}

/// The body of the apply_batch properties: `path` 0 is the plain search,
/// 1 the cell index, 2 the cell index with slopes. Every path must give the
/// bits, errors and counts of the plain map's one-by-one apply.
fn check_batch(
    xs: &[f64],
    ys: &[f64],
    decreasing: bool,
    opts: ApplyOptions,
    path: u8,
    scores: &[f64],
) -> Result<(), TestCaseError> {
    let ys: Vec<f64> = if decreasing { ys.iter().rev().copied().collect() } else { ys.to_vec() };
    let mut buf = vec![0u32; CellIndex::buffer_len(xs.len())];
    let mut slopes = vec![0.0; xs.len() - 1];
    calib_core::map::slopes_into(xs, &ys, &mut slopes).unwrap();
    let mut map = MapRef::new(xs, &ys, opts).unwrap();
    if path >= 1 {
        map = map.with_index(CellIndex::build(xs, &mut buf).unwrap());
    }
    if path == 2 {
        map = map.with_slopes(&slopes);
    }
    let mut out = vec![0.0; scores.len()];
    let mut batch_stats = ApplyStats::default();
    let batch = map.apply_batch(scores, &mut out, &mut batch_stats);
    // One apply per score on the plain map: the reference for every path.
    let plain = MapRef::new(xs, &ys, opts).unwrap();
    let mut stats = ApplyStats::default();
    for (i, &s) in scores.iter().enumerate() {
        match plain.apply_counted(s, &mut stats) {
            Ok(v) => prop_assert_eq!(v.to_bits(), out[i].to_bits(), "score {} at {}", s, i),
            Err(e) => {
                let be = batch.unwrap_err();
                prop_assert_eq!((be.kind(), be.index()), (e.kind(), Some(i)));
                prop_assert_eq!(batch_stats, stats);
                return Ok(());
            }
        }
    }
    prop_assert!(batch.is_ok());
    prop_assert_eq!(batch_stats, stats);
    Ok(())
}

// ---------------------------------------------------------------- isotonic

/// The body of `fit_matches_reference`.
///
/// calib pools exact sums (Σw·y, Σw) per score; scikit-learn, and the
/// reference with it, turns each group into a mean and multiplies it back by
/// the weight. The values can then differ by an ulp, and the trim step, which
/// compares values exactly, can keep a breakpoint on one side that it drops on
/// the other. So the maps are compared as functions first, then the
/// breakpoints once both sides are trimmed with the 1e-12 tolerance.
fn check_fit_against_reference(
    r: &[Row],
    increasing: bool,
    weighted: bool,
    bounds: (Option<f64>, Option<f64>),
) -> Result<(), TestCaseError> {
    let (x, y, w) = split(r);
    let w = weighted.then_some(&w[..]);
    let opts = IsotonicOptions { increasing, y_min: bounds.0, y_max: bounds.1, strict: false };
    let bp = isotonic::fit(&x, &y, w, &opts).unwrap();
    let (rx, ry) = reference::isotonic_fit(&x, &y, w, increasing, bounds.0, bounds.1);
    for &s in bp.x.iter().chain(&rx) {
        let (a, b) = (reference::interp(&bp.x, &bp.y, s), reference::interp(&rx, &ry, s));
        prop_assert!(close(a, b, 1e-12), "at {s:e}: calib {a}, reference {b}");
    }
    let near = |a: f64, b: f64| close(a, b, 1e-12);
    let ((cx, cy), (qx, qy)) = (reference::trim_by(&bp.x, &bp.y, near), reference::trim_by(&rx, &ry, near));
    prop_assert_eq!(&cx, &qx, "calib {:?} {:?}, reference {:?} {:?}", bp.x, bp.y, rx, ry);
    for (a, b) in cy.iter().zip(&qy) {
        prop_assert!(close(*a, *b, 1e-12), "calib {:?} vs reference {:?}", bp.y, ry);
    }
    Ok(())
}

/// The case CI found (proptest, 2026-11-27): the block at 0.125–0.25 has the
/// exact mean 3.75/7.5 = 0.5 in calib, equal to the value at 0.375, so calib
/// trims 0.25. The reference's mean is 0.4999999999999999, so it keeps 0.25,
/// as scikit-learn does. Both are the same function.
#[test]
fn trim_decided_by_rounding_is_not_a_difference() {
    let r = [
        (0.125, 0.0, 1.0),
        (0.125, 1.0, 2.5),
        (0.875, 1.0, 0.0),
        (0.0, 0.0, 0.0),
        (0.125, 1.0, 1.0),
        (0.25, 0.0, 2.0),
        (0.375, 0.5, 1.0),
        (0.125, 0.25, 1.0),
        (0.0, 0.0, 0.0),
    ];
    let (x, y, w) = split(&r);
    let bp = isotonic::fit(&x, &y, Some(&w), &IsotonicOptions::default()).unwrap();
    assert_eq!((bp.x.as_slice(), bp.y.as_slice()), ([0.125, 0.375].as_slice(), [0.5, 0.5].as_slice()));
    let (rx, ry) = reference::isotonic_fit(&x, &y, Some(&w), true, None, None);
    assert_eq!(rx, [0.125, 0.25, 0.375]);
    assert_eq!(ry[1].to_bits(), 0.5f64.next_down().to_bits());
    check_fit_against_reference(&r, true, true, (None, None)).unwrap();
}

proptest! {
    #![proptest_config(config(256))]

    /// Fitted breakpoints: strictly increasing scores, monotone values.
    #[test]
    fn fit_is_isotonic(r in rows(1..=60), increasing in any::<bool>(), weighted in any::<bool>()) {
        let (x, y, w) = split(&r);
        let bp = isotonic::fit(&x, &y, weighted.then_some(&w[..]), &iso(increasing, false)).unwrap();
        prop_assert!(bp.x.windows(2).all(|p| p[0] < p[1]), "{:?}", bp.x);
        let ordered = |p: &[f64]| if increasing { p[0] <= p[1] } else { p[0] >= p[1] };
        prop_assert!(bp.y.windows(2).all(ordered), "{:?}", bp.y);
    }

    /// calib's thresholds are the reference fit's: same scores bit for bit,
    /// values to 1e-12, including bounds and both directions.
    #[test]
    fn fit_matches_reference(
        r in rows(1..=60),
        increasing in any::<bool>(),
        weighted in any::<bool>(),
        bounds in (prop::option::of(0.0..=0.5f64), prop::option::of(0.5..=1.0f64)),
    ) {
        check_fit_against_reference(&r, increasing, weighted, bounds)?;
    }

    /// Refitting on the fitted thresholds returns the same map, bit for bit.
    #[test]
    fn refit_on_thresholds_is_a_fixed_point(
        r in rows(1..=60),
        increasing in any::<bool>(),
        bounds in (prop::option::of(0.0..=0.5f64), prop::option::of(0.5..=1.0f64)),
    ) {
        let (x, y, w) = split(&r);
        let opts = IsotonicOptions { increasing, y_min: bounds.0, y_max: bounds.1, strict: false };
        let bp = isotonic::fit(&x, &y, Some(&w), &opts).unwrap();
        let again = isotonic::fit(&bp.x, &bp.y, None, &opts).unwrap();
        prop_assert_eq!(again, bp);
    }

    /// The order of the input rows does not change a single bit.
    #[test]
    fn fit_is_permutation_invariant(
        (r, shuffled) in rows(1..=60).prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle())),
        increasing in any::<bool>(),
        strict in any::<bool>(),
    ) {
        let (x, y, w) = split(&r);
        let (sx, sy, sw) = split(&shuffled);
        let opts = iso(increasing, strict);
        let a = isotonic::fit(&x, &y, Some(&w), &opts).unwrap();
        let b = isotonic::fit(&sx, &sy, Some(&sw), &opts).unwrap();
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!((bits(&a.x), bits(&a.y)), (bits(&b.x), bits(&b.y)));
    }

    /// A decreasing fit is the increasing fit of the mirrored scores, mirrored back.
    #[test]
    fn decreasing_is_mirrored_increasing(r in exact_rows(1..=60), strict in any::<bool>()) {
        let (x, y, w) = split(&r);
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        let dec = isotonic::fit(&x, &y, Some(&w), &iso(false, strict)).unwrap();
        let inc = isotonic::fit(&neg, &y, Some(&w), &iso(true, strict)).unwrap();
        let mx: Vec<f64> = inc.x.iter().rev().map(|v| -v).collect();
        let my: Vec<f64> = inc.y.iter().rev().copied().collect();
        prop_assert_eq!(&dec.x, &mx);
        prop_assert_eq!(&dec.y, &my);
    }

    /// Bounds hold for every value, strict or not.
    #[test]
    fn bounds_are_respected(
        r in rows(1..=60),
        increasing in any::<bool>(),
        strict in any::<bool>(),
        (lo, hi) in (0.0..=1.0f64, 0.0..=1.0f64).prop_map(|(a, b)| (a.min(b), a.max(b))),
    ) {
        let (x, y, w) = split(&r);
        let opts = IsotonicOptions { increasing, y_min: Some(lo), y_max: Some(hi), strict };
        let bp = isotonic::fit(&x, &y, Some(&w), &opts).unwrap();
        prop_assert!(bp.y.iter().all(|v| (lo..=hi).contains(v)), "{:?} outside [{lo}, {hi}]", bp.y);
    }

    /// Strict mode: strictly monotone values on strictly increasing
    /// breakpoints inside the data's range.
    #[test]
    fn strict_is_strictly_monotone(r in rows(1..=60), increasing in any::<bool>(), weighted in any::<bool>()) {
        let (x, y, w) = split(&r);
        let bp = isotonic::fit(&x, &y, weighted.then_some(&w[..]), &iso(increasing, true)).unwrap();
        let p = reference::pool_ties(&x, &y, weighted.then_some(&w[..]));
        let (lo, hi) = (p.x[0], p.x[p.x.len() - 1]);
        prop_assert!(bp.x.iter().all(|v| (lo..=hi).contains(v)), "{:?} outside [{lo:e}, {hi:e}]", bp.x);
        prop_assert!(bp.x.windows(2).all(|p| p[0] < p[1]), "{:?}", bp.x);
        let strictly = |p: &[f64]| if increasing { p[0] < p[1] } else { p[0] > p[1] };
        prop_assert!(bp.y.windows(2).all(strictly), "{:?}", bp.y);
    }

    /// Strict mode preserves ranks: a < b in the fitted range gives g(a) < g(b).
    /// (0/1 labels and whole weights keep slopes far above an ulp.)
    #[test]
    fn strict_preserves_ranks(
        r in rows_of(grid(), any::<bool>().prop_map(f64::from), (0u8..=4).prop_map(f64::from), 1..=60),
        increasing in any::<bool>(),
        ts in prop::collection::vec(0.0..=1.0f64, 0..=8),
    ) {
        let (x, y, w) = split(&r);
        let bp = isotonic::fit(&x, &y, Some(&w), &iso(increasing, true)).unwrap();
        let map = map_of(&bp);
        let (lo, hi) = (bp.x[0], bp.x[bp.x.len() - 1]);
        let mut q: Vec<f64> = x.iter().chain(&bp.x).copied().filter(|s| (lo..=hi).contains(s)).collect();
        q.extend(ts.iter().map(|t| lo + (hi - lo) * t));
        q.sort_by(f64::total_cmp);
        q.dedup();
        for p in q.windows(2) {
            let (ga, gb) = (map.apply(p[0]).unwrap(), map.apply(p[1]).unwrap());
            let ok = if increasing { ga < gb } else { ga > gb };
            prop_assert!(ok, "g({}) = {ga}, g({}) = {gb}", p[0], p[1]);
        }
    }
}

proptest! {
    // The oracle enumerates 2^(n-1) partitions: fewer, smaller cases.
    #![proptest_config(config(128))]

    /// PAV is optimal: its weighted squared error is the brute-force minimum.
    #[test]
    fn pav_is_least_squares_optimal(r in rows(1..=7), increasing in any::<bool>()) {
        let (x, y, w) = split(&r);
        // A decreasing fit of y is a mirrored increasing one: flip the targets.
        let t: Vec<f64> = if increasing { y.clone() } else { y.iter().map(|v| -v).collect() };
        let p = reference::pool_ties(&x, &t, Some(&w));
        let (best, _) = reference::brute_force_isotonic(&p.y, &p.w);
        let bp = isotonic::fit(&x, &y, Some(&w), &iso(increasing, false)).unwrap();
        let map = map_of(&bp);
        let sign = if increasing { 1.0 } else { -1.0 };
        let fitted: Vec<f64> = p.x.iter().map(|&s| sign * map.apply(s).unwrap()).collect();
        let calib = reference::sse(&p.y, &p.w, &fitted);
        prop_assert!((calib - best).abs() <= 1e-9 * best.max(1e-300), "calib {calib}, optimum {best}");
        // The reference PAV is optimal too (the oracle checks the oracle).
        let ref_sse = reference::sse(&p.y, &p.w, &reference::pav(&p.y, &p.w, true));
        prop_assert!((ref_sse - best).abs() <= 1e-9 * best.max(1e-300), "reference {ref_sse}, optimum {best}");
    }
}

// ---------------------------------------------------------------- metrics

/// Probabilities: on edges `i/K`, repeated grid values (so quantile edges
/// fall on data), the ends, and anything in [0, 1].
fn probability(k: usize) -> BoxedStrategy<f64> {
    prop_oneof![
        2 => (0..=k).prop_map(move |i| i as f64 / k as f64),
        2 => prop::sample::select(vec![0.0, -0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 1.0]),
        1 => (0..=k).prop_map(move |i| (i as f64 / k as f64).next_up().min(1.0)),
        3 => 0.0..=1.0f64,
    ]
    .boxed()
}

/// (K, probabilities, labels, weights), weights with zeros but a positive total.
fn metric_input() -> impl Strategy<Value = (usize, Vec<f64>, Vec<f64>, Option<Vec<f64>>)> {
    (1usize..=20, 1usize..=80).prop_flat_map(|(k, n)| {
        let w = prop::collection::vec(weight(), n).prop_filter("a positive weight", |w| w.iter().any(|&v| v > 0.0));
        (Just(k), prop::collection::vec(probability(k), n), prop::collection::vec(label(), n), prop::option::of(w))
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Every scalar metric equals its naive definition.
    #[test]
    fn metrics_match_reference((k, p, y, w) in metric_input()) {
        let w = w.as_deref();
        let pairs = [
            ("ece", metrics::ece(&p, &y, w, k).unwrap(), reference::ece(&p, &y, w, k)),
            ("aece", metrics::aece(&p, &y, w, k).unwrap(), reference::aece(&p, &y, w, k)),
            ("mce", metrics::mce(&p, &y, w, k).unwrap(), reference::mce(&p, &y, w, k)),
            ("dece", metrics::dece(&p, &y, w, k).unwrap(), reference::dece(&p, &y, w, k)),
            ("brier", metrics::brier(&p, &y, w).unwrap(), reference::brier(&p, &y, w)),
            ("log_loss", metrics::log_loss(&p, &y, w).unwrap(), reference::log_loss(&p, &y, w)),
        ];
        for (name, a, b) in pairs {
            prop_assert!(close(a, b, 1e-12), "{name}: calib {a}, reference {b}");
        }
    }

    /// Reliability bins: same edges and counts (so every probability on an
    /// edge landed in the same bin), same means and Wilson intervals.
    #[test]
    fn reliability_bins_match_reference((k, p, y, w) in metric_input(), mass in any::<bool>()) {
        let w = w.as_deref();
        let (strategy, edges) = if mass {
            // Equal-mass edges are quantiles of the rows of positive weight.
            let sampled: Vec<f64> = (0..p.len()).filter(|&i| w.is_none_or(|w| w[i] > 0.0)).map(|i| p[i]).collect();
            (BinStrategy::EqualMass, reference::equal_mass_edges(&sampled, 0.0, 1.0, k))
        } else {
            (BinStrategy::EqualWidth, reference::equal_width_edges(0.0, 1.0, k))
        };
        let got = metrics::reliability_bins(&p, &y, w, k, strategy).unwrap();
        let want: Vec<reference::Bin> =
            reference::bins(&p, &y, w, &edges).into_iter().filter(|b| b.weight > 0.0).collect();
        prop_assert_eq!(got.len(), want.len(), "{:?} vs {:?}", got, want);
        for (g, r) in got.iter().zip(&want) {
            let key = |lower: f64, upper: f64, count: u64| (lower.to_bits(), upper.to_bits(), count);
            prop_assert_eq!(key(g.lower, g.upper, g.count), key(r.lower, r.upper, r.count));
            let (lo, hi) = reference::wilson(r.observed, r.weight);
            let pairs = [
                (g.weight, r.weight),
                (g.mean_p, r.mean_p),
                (g.observed, r.observed),
                (g.ci_low, lo),
                (g.ci_high, hi),
            ];
            for (a, b) in pairs {
                prop_assert!(close(a, b, 1e-12), "{:?} vs {:?}", g, r);
            }
        }
    }

    /// The fast bin lookups put values on, just above and just below every
    /// edge where the linear scan does (interior edges go to the lower bin).
    #[test]
    fn bin_lookup_follows_the_convention(
        k in 1usize..=64,
        mass_values in prop::collection::vec(probability(7), 1..=40),
    ) {
        let width = reference::equal_width_edges(0.0, 1.0, k);
        let mass = reference::equal_mass_edges(&mass_values, 0.0, 1.0, k);
        for edges in [&width, &mass] {
            for &e in edges.iter() {
                for v in [e, e.next_up(), e.next_down()].into_iter().filter(|v| (0.0..=1.0).contains(v)) {
                    prop_assert_eq!(binning::bin_index(edges, v), reference::bin_of(edges, v), "{} in {:?}", v, edges);
                }
            }
        }
        for &e in &width {
            for v in [e, e.next_up(), e.next_down()].into_iter().filter(|v| (0.0..=1.0).contains(v)) {
                let (got, want) = (binning::equal_width_bin(&width, v), reference::bin_of(&width, v));
                prop_assert_eq!(got, want, "{} in {:?}", v, width);
            }
        }
    }

    /// The bucket-select equal-mass edges are the full sort's, bit for bit.
    #[test]
    fn equal_mass_edges_match_full_sort(
        k in 1usize..=40,
        (lo, hi, values) in prop_oneof![
            Just((0.0, 1.0)),
            (finite(), finite()).prop_map(|(a, b)| (a.min(b), a.max(b))),
        ]
        .prop_flat_map(|(lo, hi)| {
            let v = prop_oneof![
                Just(lo),
                Just(hi),
                (0.0..=1.0f64).prop_map(move |t| (lo + (hi - lo) * t).clamp(lo, hi)),
                prop::sample::select(vec![0.0, 0.25, 0.5, 1.0]).prop_map(move |v: f64| v.clamp(lo, hi)),
            ];
            (Just(lo), Just(hi), prop::collection::vec(v, 1..=300))
        }),
    ) {
        let (mut hist, mut scratch) = (vec![0u32; SELECT_BUCKETS], vec![0.0; values.len()]);
        let mut out = vec![0.0; k + 1];
        let select = SelectScratch { hist: &mut hist, values: &mut scratch };
        let s = binning::equal_mass_edges(&values, lo, hi, k, select, &mut out).unwrap();
        let want = reference::equal_mass_edges(&values, lo, hi, k);
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&out[..=s.bins]), bits(&want));
        prop_assert_eq!(s.merged, k - s.bins);
    }

    /// τ(N, K) = max(0.015, ĉ·√(K/N)).
    #[test]
    fn tau_formula(n in prop_oneof![Just(0u64), 1u64..=1_000_000_000_000], k in 1usize..=100, c in 0.0..=10.0f64) {
        let (a, b) = (metrics::tau(n, k, c), reference::tau(n, k, c));
        prop_assert_eq!(a.to_bits(), b.to_bits(), "τ({}, {}, {}) = {} vs {}", n, k, c, a, b);
    }
}

// ---------------------------------------------------------------- histogram

proptest! {
    #![proptest_config(config(256))]

    /// The histogram map: strictly increasing finite breakpoints; merged =
    /// requested − bins; each training score maps to the weighted label mean
    /// of its bin (reference edges over the positive-weight rows, empty bins
    /// merged away).
    #[test]
    fn histogram_matches_reference(r in rows(1..=60), k in 1usize..=20, mass in any::<bool>()) {
        let (x, y, w) = split(&r);
        let strategy = if mass { BinStrategy::EqualMass } else { BinStrategy::EqualWidth };
        let opts = HistogramOptions { strategy, bins: k, min_samples_per_bin: 1 };
        let (bp, fit) = histogram::fit(&x, &y, Some(&w), &opts).unwrap();
        prop_assert!(bp.x.iter().all(|v| v.is_finite()), "{:?}", bp.x);
        prop_assert!(bp.x.windows(2).all(|p| p[0] < p[1]), "{:?}", bp.x);
        prop_assert_eq!(fit.breakpoints, bp.x.len());
        prop_assert_eq!(fit.merged, k - fit.bins);
        let (px, py, pw) = split(&r.iter().copied().filter(|p| p.2 > 0.0).collect::<Vec<_>>());
        let (lo, hi) = px.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let edges =
            if mass { reference::equal_mass_edges(&px, lo, hi, k) } else { reference::equal_width_edges(lo, hi, k) };
        let bins = reference::bins(&px, &py, Some(&pw), &edges);
        prop_assert_eq!(fit.bins, bins.iter().filter(|b| b.count > 0).count());
        let map = map_of(&bp);
        for &s in &px {
            let (g, want) = (map.apply(s).unwrap(), bins[reference::bin_of(&edges, s)].observed);
            prop_assert!(close(g, want, 1e-12), "score {s:e}: g = {g}, bin mean {want}, edges {edges:?}");
        }
    }

    /// With any minimum bin size, every value the map gives a training score
    /// is the weighted label mean of the training points that get it.
    #[test]
    fn histogram_values_are_bin_means(
        r in rows(1..=60),
        k in 1usize..=20,
        mass in any::<bool>(),
        min in 1u64..=6,
    ) {
        let (x, y, w) = split(&r);
        let strategy = if mass { BinStrategy::EqualMass } else { BinStrategy::EqualWidth };
        let opts = HistogramOptions { strategy, bins: k, min_samples_per_bin: min };
        let (bp, fit) = histogram::fit(&x, &y, Some(&w), &opts).unwrap();
        prop_assert!(bp.x.windows(2).all(|p| p[0] < p[1]), "{:?}", bp.x);
        prop_assert_eq!(fit.merged, k - fit.bins);
        let map = map_of(&bp);
        let g: Vec<f64> = x.iter().map(|&s| map.apply(s).unwrap()).collect();
        for &v in &g {
            let idx: Vec<usize> = (0..x.len()).filter(|&i| g[i] == v && w[i] > 0.0).collect();
            if idx.is_empty() {
                continue; // only zero-weight rows get this value
            }
            let m = idx.iter().map(|&i| w[i] * y[i]).sum::<f64>() / idx.iter().map(|&i| w[i]).sum::<f64>();
            prop_assert!(close(v, m, 1e-9), "value {v}, mean of its points {m}");
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// A zero-weight row is no row: isotonic (plain and strict) and
    /// histogram fits give the same bits with and without them.
    #[test]
    fn zero_weight_rows_change_nothing(
        r in rows(1..=60),
        ghosts in prop::collection::vec((score(), label()), 1..=10),
        k in 1usize..=20,
        strict in any::<bool>(),
    ) {
        let (x, y, w) = split(&r);
        let mut with = r.clone();
        with.extend(ghosts.iter().map(|&(s, l)| (s, l, 0.0)));
        let (gx, gy, gw) = split(&with);
        let a = isotonic::fit(&x, &y, Some(&w), &iso(true, strict)).unwrap();
        let b = isotonic::fit(&gx, &gy, Some(&gw), &iso(true, strict)).unwrap();
        prop_assert_eq!(a, b);
        for strategy in [BinStrategy::EqualMass, BinStrategy::EqualWidth] {
            let opts = HistogramOptions { strategy, bins: k, min_samples_per_bin: 2 };
            let a = histogram::fit(&x, &y, Some(&w), &opts).unwrap();
            let b = histogram::fit(&gx, &gy, Some(&gw), &opts).unwrap();
            prop_assert_eq!(a, b, "{:?}", strategy);
        }
    }
}

// ---------------------------------------------------------------- model

fn fit_config() -> impl Strategy<Value = FitConfig> {
    let method = prop_oneof![Just(Method::Isotonic), Just(Method::Histogram)];
    let direction = prop_oneof![Just(Direction::Increasing), Just(Direction::Decreasing), Just(Direction::Auto)];
    let bins = prop_oneof![(1usize..=20).prop_map(KPolicy::Fixed), Just(KPolicy::CUBE_ROOT)];
    let strategy = prop_oneof![Just(BinStrategy::EqualMass), Just(BinStrategy::EqualWidth)];
    (method, direction, any::<bool>(), bins, strategy, 1u64..=4, 1usize..=10, apply_options()).prop_map(
        |(method, direction, strict, bins, strategy, min_samples_per_bin, min_class_samples, o)| FitConfig {
            method,
            direction,
            strict,
            bins,
            strategy,
            min_samples_per_bin,
            min_class_samples,
            out_of_bounds: o.out_of_bounds,
            non_finite: o.non_finite,
            epsilon: o.epsilon,
            ..FitConfig::default()
        },
    )
}

proptest! {
    #![proptest_config(config(256))]

    /// from_json(to_json(m)) serves the same bits as m, and writes the same JSON.
    #[test]
    fn model_json_round_trip(
        r in rows(1..=60),
        classes in prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 60),
        cfg in fit_config(),
        queries in prop::collection::vec(query(), 1..=16),
    ) {
        let (x, y, w) = split(&r);
        let model = fit_model(&x, &y, Some(&w), Some(&classes[..x.len()]), &cfg).unwrap();
        let json = model.to_json();
        let again = Model::from_json(&json).unwrap();
        prop_assert_eq!(again.to_json(), json);
        for class in [None, Some("a"), Some("b"), Some("c"), Some("unknown")] {
            let xs = model.map(class).xs();
            for &q in &queries {
                let s = resolve(xs, q);
                let (a, b) = (model.apply(class, s), again.apply(class, s));
                prop_assert!(same(&a, &b), "class {class:?}, score {s:e}: {a:?} vs {b:?}");
            }
        }
    }
}

// ---------------------------------------------------------------- regressions
//
// Each test below is the smallest input a property once failed on, with
// what calib returned then. All are fixed; the tests keep them fixed.

// Regression: a map fitted on ordinary data returns a probability above 1.
// numpy.interp's formula `slope·(x − x0) + y0` (which calib copies) rounds
// one ulp past y1 just below x1. Thresholds (0.1, 1/6), (0.45, 1.0); at
// 0.45.next_down() calib returns 1.0000000000000002, which calib's own
// metrics then refuse. Expected: a value in [1/6, 1]. Clamping the result
// into [min(y0, y1), max(y0, y1)] moves it by at most one ulp, well inside
// the 1e-12 parity with scikit-learn.
#[test]
fn interpolation_stays_within_the_segment() {
    let x = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.45];
    let y = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    let bp = isotonic::fit(&x, &y, None, &IsotonicOptions::default()).unwrap();
    assert_eq!((&bp.x[..], &bp.y[..]), (&[0.1, 0.45][..], &[1.0 / 6.0, 1.0][..]));
    let s = 0.45f64.next_down();
    let g = map_of(&bp).apply(s).unwrap();
    let metric = metrics::brier(&[g], &[1.0], None);
    assert!(g <= 1.0, "g({s:e}) = {g:e} > g(0.45) = 1 (and brier on it: {metric:?})");
}

// Regression: between two breakpoints a subnormal distance apart the slope
// overflows to +inf and apply returns +inf (numpy.interp does the same).
// Breakpoints (0, 0), (1e-320, 1); apply(5e-321) = inf, apply(1e-320) = 1.
// Expected: a value in [0, 1]. Model files with such breakpoints load
// (only y is range-checked), so a served model can emit inf.
#[test]
fn subnormal_gap_interpolates_within_the_segment() {
    let (xs, ys) = ([0.0, 1e-320], [0.0, 1.0]);
    let map = MapRef::new(&xs, &ys, ApplyOptions::default()).unwrap();
    let g = map.apply(5e-321).unwrap();
    assert!((0.0..=1.0).contains(&g), "g(5e-321) = {g} on breakpoints {xs:?} -> {ys:?}");
}

// Regression: strict mode sums w·x per block and overflows. Scores
// [-1e308, 1e308], labels [1, 0], weights [2, 2] pool into one block whose
// Σ w·x is -inf + inf = NaN: calib returns the breakpoint x = [NaN]
// (y = [0.5]), which MapRef::new and Model refuse. Expected: x = [0.0], the
// block's weighted mean score. With unit weights, scores
// [-1e308, -1e308, 1e308, 1e308] and labels [1, 1, 0, 0] fail the same way.
#[test]
fn strict_centroid_does_not_overflow() {
    let bp = isotonic::fit(&[-1e308, 1e308], &[1.0, 0.0], Some(&[2.0, 2.0]), &iso(true, true)).unwrap();
    assert_eq!((&bp.x[..], &bp.y[..]), (&[0.0][..], &[0.5][..]));
}

// Regression: equal-width histogram edges `lo + span·i/K` overflow when
// span·i exceeds f64::MAX, although every score is finite. Scores
// [0, 1.5e308], labels [0, 1], K = 15: calib's breakpoints are
// [0, 1e307, 1.0000000000000001e307, inf] — the last bin's upper edge is
// +inf instead of 1.5e308, and fit_model refuses its own map (BadModel).
// Expected: finite breakpoints ending at 1.5e308.
#[test]
fn equal_width_histogram_edges_do_not_overflow() {
    let opts = HistogramOptions { strategy: BinStrategy::EqualWidth, bins: 15, min_samples_per_bin: 1 };
    let (bp, _) = histogram::fit(&[0.0, 1.5e308], &[0.0, 1.0], None, &opts).unwrap();
    assert!(bp.x.iter().all(|v| v.is_finite()) && bp.x.last() == Some(&1.5e308), "breakpoints {:?}", bp.x);
}

// Regression: equal-mass histogram edges overflow in numpy's `_lerp` when the
// two neighbouring scores are more than f64::MAX apart. Scores
// [-1e308, 1e308], labels [0, 1], K = 2: the median edge is computed as
// 1e308 − inf·0.5 = −inf, clamped to lo, then merged away; calib returns one
// bin with value 0.5 (merged = 1). Expected: edges [-1e308, 0, 1e308], two
// bins with values 0 and 1.
#[test]
fn equal_mass_histogram_edges_do_not_overflow() {
    let opts = HistogramOptions { strategy: BinStrategy::EqualMass, bins: 2, min_samples_per_bin: 1 };
    let (bp, fit) = histogram::fit(&[-1e308, 1e308], &[0.0, 1.0], None, &opts).unwrap();
    assert_eq!((fit.bins, fit.merged), (2, 0), "breakpoints {:?} -> {:?}", bp.x, bp.y);
}

proptest! {
    #![proptest_config(config(256))]

    /// Unit weights and 0/1 labels take a faster route (labels split and
    /// merged, rows pre-grouped by score); it must give the same bits as the
    /// general route, which explicit unit weights force.
    #[test]
    fn binary_label_route_equals_general_route(
        r in prop::collection::vec((grid(), prop::bool::ANY), 1..=200),
        increasing in any::<bool>(),
        strict in any::<bool>(),
    ) {
        let x: Vec<f64> = r.iter().map(|p| p.0).collect();
        let y: Vec<f64> = r.iter().map(|p| f64::from(u8::from(p.1))).collect();
        let ones = vec![1.0; x.len()];
        let fast = isotonic::fit(&x, &y, None, &iso(increasing, strict)).unwrap();
        let general = isotonic::fit(&x, &y, Some(&ones), &iso(increasing, strict)).unwrap();
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&fast.x), bits(&general.x));
        prop_assert_eq!(bits(&fast.y), bits(&general.y));
    }
}

/// A map too large for eight cells per breakpoint gets a capped index
/// (2²² cells for 700 000 breakpoints: several in the clustered cells) whose
/// fuller cells are searched: still the bits of the binary search.
#[test]
fn capped_cell_index_of_a_huge_map_equals_plain_path() {
    let m = 700_000usize;
    assert!(CellIndex::buffer_len(m) == (1 << 22) + 1, "the index is capped");
    // Breakpoints crowded towards 0 (t⁴): the low cells hold hundreds.
    let xs: Vec<f64> = (0..m).map(|i| ((i as f64 + 0.5) / m as f64).powi(4)).collect();
    let ys: Vec<f64> = (0..m).map(|i| i as f64 / m as f64).collect();
    let plain = MapRef::new(&xs, &ys, ApplyOptions::default()).unwrap();
    let mut buf = vec![0u32; CellIndex::buffer_len(m)];
    let indexed = plain.with_index(CellIndex::build(&xs, &mut buf).unwrap());
    let mut rng = calib_core::rng::SeededRng::new(7);
    let mut scores: Vec<f64> = (0..20_000).map(|_| rng.uniform()).collect();
    scores.extend((0..20_000).map(|_| rng.uniform().powi(4))); // into the crowded cells
    scores.extend(xs.iter().step_by(997).copied());
    let mut out = vec![0.0; scores.len()];
    indexed.apply_batch(&scores, &mut out, &mut ApplyStats::default()).unwrap();
    for (s, o) in scores.iter().zip(&out) {
        assert_eq!(plain.apply(*s).unwrap().to_bits(), o.to_bits(), "score {s:e}");
    }
}
