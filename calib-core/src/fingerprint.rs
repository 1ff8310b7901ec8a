//! The binning-core fingerprint: one SHA-256 that names calib's numeric
//! behaviour.
//!
//! [`core_fingerprint`] runs the core on built-in conformance inputs — a
//! seeded synthetic data set — and hashes the little-endian IEEE-754 bytes
//! of everything it computes: plain, strict and bounded isotonic fits, two
//! histogram fits, a per-class model applied on a probe grid (with and
//! without the cell index), every metric, reliability bins, equal-mass
//! edges, the K policy, the ĉ bootstrap and τ, and raw generator draws.
//!
//! Two runtimes that link the same core (native, WASM, Python, Node) compute
//! the same fingerprint; every manifest records it, and a loader whose own
//! fingerprint differs refuses the manifest. That is how an old core is
//! retired: a model signed for one numeric behaviour is never served by
//! another.
//!
//! **Changing numeric behaviour must change the fingerprint, on purpose.**
//! The pinned value lives in `tests/vectors/core_fingerprint.json` and is
//! checked by `tests/tests/trust_fingerprint.rs`. When a change moves it,
//! that test fails: if the change was meant, update the vector in the same
//! commit and say why in its message (every manifest signed before it will
//! be refused by the new core); if it was not meant, the change is a bug.
//! Do not change the conformance inputs below to "fix" the test — that
//! retires every core in the field for no reason.

use crate::binning::{BinStrategy, KPolicy};
use crate::canonical::Sha256Digest;
use crate::histogram::{self, HistogramOptions};
use crate::isotonic::{self, IsotonicOptions};
use crate::map::{ApplyOptions, ApplyStats, MapRef, NonFinite, OutOfBounds};
use crate::metrics;
use crate::model::{Direction, FitConfig, fit_model};
use crate::rng::SeededRng;
use crate::tolerance::{BootstrapOptions, bootstrap_c_hat};
use alloc::vec::Vec;
use sha2::{Digest as _, Sha256};

/// Version of the conformance transcript (its inputs and the order of its
/// sections). Hashed first, so a new transcript can never collide with an
/// old one.
pub const TRANSCRIPT: &[u8] = b"calib-core binning fingerprint v1\0";

/// Rows of the conformance data set.
const ROWS: usize = 4096;
/// Seed of the conformance data set.
const SEED: u64 = 0x0f19_e2c0_ca11_b001;

/// The hash input, fed section by section.
struct Transcript(Sha256);

impl Transcript {
    fn section(&mut self, name: &str) {
        // A length-prefixed tag: sections cannot run into each other.
        self.u64(name.len() as u64);
        self.0.update(name.as_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.update(v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.update(v.to_le_bytes());
    }
    fn f64s(&mut self, vs: &[f64]) {
        self.u64(vs.len() as u64);
        for &v in vs {
            self.f64(v);
        }
    }
}

/// The conformance data: scores with exact ties, labels, weights (some 0)
/// and three classes.
struct Data {
    scores: Vec<f64>,
    labels: Vec<f64>,
    weights: Vec<f64>,
    classes: Vec<&'static str>,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-z))
}

fn data() -> Data {
    let mut rng = SeededRng::new(SEED);
    let mut d = Data {
        scores: Vec::with_capacity(ROWS),
        labels: Vec::with_capacity(ROWS),
        weights: Vec::with_capacity(ROWS),
        classes: Vec::with_capacity(ROWS),
    };
    for i in 0..ROWS {
        let z = rng.normal();
        let mut s = sigmoid(1.3 * z);
        if i % 10 == 0 {
            // Exact ties: the pooling of equal scores is part of the behaviour.
            s = libm::round(s * 100.0) / 100.0;
        }
        d.scores.push(s);
        d.labels.push(rng.bernoulli(sigmoid(0.7 * z - 0.3)));
        d.weights.push(if i % 97 == 0 { 0.0 } else { 0.5 + rng.uniform() });
        d.classes.push(["a", "b", "c"][rng.index(3)]);
    }
    d
}

/// Computes the fingerprint from scratch (a few milliseconds). Prefer
/// [`core_fingerprint`], which caches it when `std` is on.
pub fn compute_core_fingerprint() -> Sha256Digest {
    let mut t = Transcript(Sha256::new());
    t.0.update(TRANSCRIPT);
    run(&mut t).expect("the conformance inputs are valid");
    Sha256Digest(t.0.finalize().into())
}

/// This core's fingerprint. Every runtime calls this one function.
pub fn core_fingerprint() -> Sha256Digest {
    #[cfg(feature = "std")]
    {
        static CACHE: std::sync::OnceLock<Sha256Digest> = std::sync::OnceLock::new();
        *CACHE.get_or_init(compute_core_fingerprint)
    }
    #[cfg(not(feature = "std"))]
    {
        compute_core_fingerprint()
    }
}

fn run(t: &mut Transcript) -> crate::Result<()> {
    let d = data();
    let w = Some(&d.weights[..]);

    t.section("rng");
    let mut rng = SeededRng::new(7);
    for _ in 0..4 {
        t.u64(rng.next_u64());
        t.f64(rng.uniform());
        t.f64(rng.normal());
        t.u64(rng.index(1000) as u64);
    }

    t.section("isotonic");
    for opts in [
        IsotonicOptions { increasing: true, y_min: None, y_max: None, strict: false },
        IsotonicOptions { increasing: true, y_min: None, y_max: None, strict: true },
        IsotonicOptions { increasing: false, y_min: Some(0.05), y_max: Some(0.95), strict: false },
    ] {
        let bp = isotonic::fit(&d.scores, &d.labels, w, &opts)?;
        t.f64s(&bp.x);
        t.f64s(&bp.y);
    }
    t.u64(isotonic::check_increasing(&d.scores, &d.labels)? as u64);

    t.section("histogram");
    for opts in [
        HistogramOptions { strategy: BinStrategy::EqualMass, bins: 12, min_samples_per_bin: 5 },
        HistogramOptions { strategy: BinStrategy::EqualWidth, bins: 10, min_samples_per_bin: 1 },
    ] {
        let (bp, fit) = histogram::fit(&d.scores, &d.labels, w, &opts)?;
        t.f64s(&bp.x);
        t.f64s(&bp.y);
        t.u64(fit.bins as u64);
        t.u64(fit.merged as u64);
    }

    t.section("model apply");
    let cfg = FitConfig {
        direction: Direction::Auto,
        min_class_samples: 1000,
        epsilon: 1e-3,
        non_finite: NonFinite::Fallback(0.5),
        ..FitConfig::default()
    };
    let model = fit_model(&d.scores, &d.labels, w, Some(&d.classes), &cfg)?;
    // A probe grid beyond the fitted range on both sides, plus every
    // breakpoint and non-finite scores.
    let mut probes: Vec<f64> = (0..=96).map(|i| -0.25 + i as f64 / 64.0).collect();
    probes.extend_from_slice(model.global_map().xs());
    probes.extend_from_slice(&[f64::NAN, f64::INFINITY, -0.0]);
    let mut out = alloc::vec![0.0; probes.len()];
    let mut stats = ApplyStats::default();
    for class in [None, Some("a"), Some("c"), Some("unknown")] {
        model.apply_batch(class, &probes, &mut out, &mut stats)?;
        t.f64s(&out);
    }
    t.u64(stats.n);
    t.u64(stats.out_of_range);
    t.u64(stats.non_finite);
    // The same map without the cell index (plain search) must agree.
    let g = model.global_map();
    let plain = MapRef::new(
        g.xs(),
        g.ys(),
        ApplyOptions { out_of_bounds: OutOfBounds::Clip, non_finite: NonFinite::Fallback(0.5), epsilon: 1e-3 },
    )?;
    for &s in &probes {
        t.f64(plain.apply(s)?);
    }

    t.section("metrics");
    let mut probs = alloc::vec![0.0; ROWS];
    model.apply_rows(Some(&d.classes), &d.scores, &mut probs, &mut stats)?;
    let m = metrics::evaluate(&probs, &d.labels, w, 15)?;
    for v in [m.ece, m.aece, m.mce, m.dece, m.brier, m.log_loss, m.merged_bin_percent] {
        t.f64(v);
    }
    t.u64(m.n);
    for strategy in [BinStrategy::EqualWidth, BinStrategy::EqualMass] {
        for b in metrics::reliability_bins(&probs, &d.labels, w, 10, strategy)? {
            t.u64(b.count);
            for v in [b.lower, b.upper, b.weight, b.mean_p, b.observed, b.ci_low, b.ci_high] {
                t.f64(v);
            }
        }
    }

    t.section("equal-mass edges");
    // Rounded probabilities: many ties, so edges merge.
    let coarse: Vec<f64> = probs.iter().map(|p| libm::round(p * 20.0) / 20.0).collect();
    for k in [7, 20, 50] {
        let (edges, es) = metrics::probability_edges(&coarse, k, BinStrategy::EqualMass)?;
        t.f64s(&edges);
        t.u64(es.merged as u64);
    }

    t.section("k policy");
    for n in [0usize, 1, 7, 8, 999, 1000, 200_000, 1_000_000] {
        t.u64(KPolicy::CUBE_ROOT.bins(n) as u64);
    }

    t.section("tolerance");
    let opts = BootstrapOptions { resamples: 25, bins: 15, seed: 0x00ca_11b0, min_samples: 2 };
    let (c_hat, aeces) = bootstrap_c_hat(&probs, &opts)?;
    t.f64(c_hat);
    t.f64s(&aeces);
    t.f64(metrics::tau(ROWS as u64, 15, c_hat));
    t.f64(metrics::tau(100, 15, c_hat));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn deterministic() {
        assert_eq!(super::compute_core_fingerprint(), super::compute_core_fingerprint());
        assert_eq!(super::core_fingerprint(), super::compute_core_fingerprint());
    }
}
