//! Seeded benchmark data shared by the bench targets.
//!
//! A miscalibrated ranker: a latent logit `z ~ N(0, 1.5²)`, a score
//! `sigmoid(z)` rounded to f32 (as most rankers emit, so large samples hold
//! real ties), and a label drawn from the true relevance `sigmoid(1.8·z − 0.4)`
//! — over-confident and shifted, so a fitted map has many pooled blocks. The
//! same seed gives the same rows on every run, which is what makes saved
//! baselines comparable.

// Each bench target compiles this module and uses only part of it.
#![allow(dead_code)]

use calib_core::isotonic::{self, IsotonicOptions};
use calib_core::map::{CellIndex, slopes_into};
use calib_core::rng::SeededRng;
use criterion::Criterion;
use std::time::Duration;

/// Seed of the fitting/metric rows.
pub const SEED_TRAIN: u64 = 20_240_601;
/// Seed of the scores a map is applied to (a different draw from the same ranker).
pub const SEED_SERVE: u64 = 20_240_602;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `n` (score, label) rows of the ranker.
pub fn ranker(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = SeededRng::new(seed);
    let (mut scores, mut labels) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let z = 1.5 * rng.normal();
        scores.push(sigmoid(z) as f32 as f64);
        labels.push(rng.bernoulli(sigmoid(1.8 * z - 0.4)));
    }
    (scores, labels)
}

/// `n` scores of the ranker, to apply a map to.
pub fn serve_scores(n: usize) -> Vec<f64> {
    ranker(n, SEED_SERVE).0
}

/// Rows whose isotonic fit gives a map of the size real fitted maps have
/// (1162 breakpoints: maps grow like the cube root of the rows).
pub const FITTED_MAP_ROWS: usize = 9_000_000;

/// The breakpoints of an isotonic fit to `n` rows of the ranker.
pub fn fitted_map(n: usize) -> (Vec<f64>, Vec<f64>) {
    let (s, y) = ranker(n, SEED_TRAIN);
    let bp = isotonic::fit(&s, &y, None, &IsotonicOptions::default()).expect("fit of generated data");
    (bp.x, bp.y)
}

/// A map with exactly `m` breakpoints: the `m` quantiles of the ranker's
/// scores, valued by the true relevance there (strictly increasing both ways).
pub fn quantile_map(m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut s = ranker(200_000, SEED_TRAIN).0;
    s.sort_unstable_by(f64::total_cmp);
    let mut xs: Vec<f64> = Vec::with_capacity(m);
    for i in 0..m {
        let mut x = s[((i as f64 + 0.5) / m as f64 * s.len() as f64) as usize];
        if let Some(&prev) = xs.last()
            && x <= prev
        {
            x = prev.next_up();
        }
        xs.push(x);
    }
    let ys = xs.iter().map(|&x| sigmoid(1.2 * (x / (1.0 - x)).ln() - 0.4)).collect();
    (xs, ys)
}

/// The cell index buffer of `xs`, ready for [`CellIndex::build`].
pub fn index_buffer(xs: &[f64]) -> Vec<u32> {
    vec![0u32; CellIndex::buffer_len(xs.len())]
}

/// The segment slopes of a map, as a loaded `Model` keeps them.
pub fn slopes(xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; xs.len() - 1];
    slopes_into(xs, ys, &mut out).expect("slopes of valid breakpoints");
    out
}

/// The defaults of every target: short, bounded runs (groups with
/// expensive iterations lower their sample size on top of this).
pub fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}
