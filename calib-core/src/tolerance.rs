//! The AECE tolerance τ and the bootstrap of its constant ĉ.
//!
//! A perfectly calibrated model still shows some AECE with finite data. ĉ
//! measures how much, for one class's score distribution: resample the
//! class's scores, relabel each by Bernoulli(g(s)) so the map is calibrated
//! by construction, and take the 95th percentile of the AECEs, scaled by
//! `√(N/K)`. Then `τ(N, K) = max(0.015, ĉ·√(K/N))` ([`tau`]).
//!
//! [`tau`] needs no allocator; the bootstrap needs `alloc`.

#[cfg(feature = "alloc")]
use crate::binning::{self, SELECT_BUCKETS, SelectScratch, quantile_sorted};
#[cfg(feature = "alloc")]
use crate::error::{Error, ErrorKind, Result};
#[cfg(feature = "alloc")]
use crate::metrics::{BinStats, BinnedAccumulator};
#[cfg(feature = "alloc")]
use crate::rng::SeededRng;
#[cfg(feature = "alloc")]
use alloc::vec;
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// The tolerance `τ(N, K) = max(0.015, ĉ·√(K/N))`: how much AECE a perfectly
/// calibrated model shows by chance with N samples in K bins.
pub fn tau(n: u64, k: usize, c_hat: f64) -> f64 {
    if n == 0 {
        return f64::INFINITY;
    }
    (c_hat * libm::sqrt(k as f64 / n as f64)).max(0.015)
}

/// The most resamples the bootstrap accepts (its result list is allocated up
/// front; an absurd count must be an error, not an aborted process).
pub const MAX_RESAMPLES: usize = 1 << 20;

/// Samples a class needs before calib governs it with a bootstrapped ĉ.
pub const GOVERNANCE_MIN_SAMPLES: usize = 10_000;

/// Options of the ĉ bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapOptions {
    /// Resamples B.
    pub resamples: usize,
    /// Equal-mass bins K of the AECE.
    pub bins: usize,
    /// Seed of the generator.
    pub seed: u64,
    /// Fewest samples accepted (use [`GOVERNANCE_MIN_SAMPLES`] for governance).
    pub min_samples: usize,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        BootstrapOptions { resamples: 200, bins: 15, seed: 0x00ca_11b0, min_samples: GOVERNANCE_MIN_SAMPLES }
    }
}

#[cfg(feature = "alloc")]
/// Bootstraps ĉ from a class's calibrated probabilities `g(s_i)`.
/// Deterministic for a given seed. Returns the AECEs too (sorted).
pub fn bootstrap_c_hat(calibrated: &[f64], options: &BootstrapOptions) -> Result<(f64, Vec<f64>)> {
    let n = calibrated.len();
    if n < options.min_samples.max(2) {
        return Err(Error::new(ErrorKind::TooFewSamples, "ĉ bootstrap").counts(n, options.min_samples.max(2)));
    }
    if options.resamples > MAX_RESAMPLES {
        return Err(Error::new(ErrorKind::InvalidParameter, "bootstrap resamples").value(options.resamples as f64));
    }
    if options.resamples == 0 || options.bins == 0 {
        return Err(Error::new(ErrorKind::InvalidParameter, "bootstrap resamples/bins").value(0.0));
    }
    for (i, &p) in calibrated.iter().enumerate() {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::new(ErrorKind::ProbabilityOutOfRange, "calibrated").at(i).value(p));
        }
    }
    resampled_c_hat(n, options, |rng| calibrated[rng.index(n)])
}

#[cfg(feature = "alloc")]
/// The bootstrap itself, shared by rows and sketches: `draw` picks one
/// calibrated probability of the population (uniformly, with replacement);
/// each draw is relabelled by Bernoulli(p), in that order of random draws.
pub(crate) fn resampled_c_hat(
    n: usize,
    options: &BootstrapOptions,
    mut draw: impl FnMut(&mut SeededRng) -> f64,
) -> Result<(f64, Vec<f64>)> {
    let k = options.bins;
    binning::check_k(k)?;
    let mut rng = SeededRng::new(options.seed);
    let (mut ps, mut ys) = (vec![0.0; n], vec![0.0; n]);
    let (mut hist, mut vals) = (vec![0u32; SELECT_BUCKETS], vec![0.0; n]);
    let mut edges = vec![0.0; k + 1];
    let mut bins = vec![BinStats::default(); k];
    let mut aeces = Vec::with_capacity(options.resamples);
    for _ in 0..options.resamples {
        for j in 0..n {
            let p = draw(&mut rng);
            ps[j] = p;
            ys[j] = rng.bernoulli(p);
        }
        let es = binning::equal_mass_edges(
            &ps,
            0.0,
            1.0,
            k,
            SelectScratch { hist: &mut hist, values: &mut vals },
            &mut edges,
        )?;
        let mut acc = BinnedAccumulator::new(&edges[..=es.bins], &mut bins)?;
        acc.add_batch(&ps, &ys, None)?;
        aeces.push(acc.summary().calibration_error);
    }
    aeces.sort_unstable_by(|a, b| a.total_cmp(b));
    let q95 = quantile_sorted(&aeces, 0.95);
    Ok((q95 * libm::sqrt(n as f64 / k as f64), aeces))
}
