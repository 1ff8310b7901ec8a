//! The seeded random numbers calib uses (bootstrap, synthetic data).
//!
//! Every draw is spelled out here from raw `u64`s of xoshiro256++, rather
//! than taken from a distribution library whose algorithms may change
//! between versions: a seed must give the same numbers in every runtime and
//! every release, or ĉ and the demo would silently move.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A seeded generator.
#[derive(Debug, Clone)]
pub struct SeededRng(Xoshiro256PlusPlus);

impl SeededRng {
    /// The generator for `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }
    /// 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in [0, 1), 53 bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Uniform index in `0..n` (multiply-shift; `n > 0`).
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
    /// Standard normal (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
    }
    /// 1.0 with probability `p`, else 0.0.
    #[inline]
    pub fn bernoulli(&mut self, p: f64) -> f64 {
        if self.uniform() < p { 1.0 } else { 0.0 }
    }
}
