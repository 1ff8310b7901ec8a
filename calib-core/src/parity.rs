//! Parity reports: do two runtimes compute the same outputs?
//!
//! Given the outputs of two runtimes (say native and WASM) for the same
//! inputs, in the same order, the report gives the largest absolute
//! difference L∞, the number of outputs whose bits differ, |ΔECE| (when
//! labels are given), and the per-bin counts of both over K equal-width
//! bins of [0, 1]. calib's target for all of them is 0: the report passes
//! only when every output is **bitwise** identical, unless a tolerance is
//! given, in which case it passes when L∞ ≤ tolerance and |ΔECE| ≤
//! tolerance.
//!
//! Bitwise means exactly that: `0.0` and `-0.0` differ, and NaNs with
//! different payloads differ. An output that is NaN on one side only is
//! infinitely far from the other.

use crate::binning;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics;
use alloc::vec;
use alloc::vec::Vec;

/// Options of a parity report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParityOptions {
    /// Equal-width bins K of the per-bin counts and of ECE.
    pub bins: usize,
    /// Pass when L∞ and |ΔECE| are at most this; `None`: bitwise identity.
    pub tolerance: Option<f64>,
}

impl Default for ParityOptions {
    fn default() -> Self {
        ParityOptions { bins: 15, tolerance: None }
    }
}

/// One equal-width bin and how many outputs of each runtime fall in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ParityBin {
    /// Index of the bin (0-based).
    pub bin: u64,
    /// Outputs of runtime a in the bin.
    pub count_a: u64,
    /// Outputs of runtime b in the bin.
    pub count_b: u64,
}

/// The comparison of two output vectors.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParityReport {
    /// Outputs compared.
    pub n: u64,
    /// Outputs whose bits differ.
    pub bitwise_different: u64,
    /// The first such output (0-based), if any.
    pub first_different: Option<u64>,
    /// `max |a_i − b_i|` (0 for identical bits, +∞ when only one is NaN).
    pub linf: f64,
    /// ECE of a (with labels, when every output is a probability).
    pub ece_a: Option<f64>,
    /// ECE of b.
    pub ece_b: Option<f64>,
    /// `|ECE_a − ECE_b|`.
    pub delta_ece: Option<f64>,
    /// The bin edges `k/K`.
    pub edges: Vec<f64>,
    /// Per-bin counts of both runtimes.
    pub bins: Vec<ParityBin>,
    /// Outputs of a outside [0, 1] or NaN (not binned).
    pub unbinned_a: u64,
    /// Outputs of b outside [0, 1] or NaN (not binned).
    pub unbinned_b: u64,
    /// The tolerance used, if any.
    pub tolerance: Option<f64>,
    /// Whether the runtimes agree (see the module docs).
    pub pass: bool,
}

fn distance(a: f64, b: f64) -> f64 {
    if a.to_bits() == b.to_bits() {
        0.0
    } else if a.is_nan() || b.is_nan() {
        f64::INFINITY
    } else {
        let d = (a - b).abs();
        // ∞ − ∞ of the same sign has equal bits (handled above); of
        // opposite signs it is ∞.
        if d.is_nan() { f64::INFINITY } else { d }
    }
}

fn is_probability(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

/// Compares `a` and `b` (same inputs, same order). `labels`, when given,
/// add ECE of both sides.
pub fn parity_report(a: &[f64], b: &[f64], labels: Option<&[f64]>, options: &ParityOptions) -> Result<ParityReport> {
    if a.len() != b.len() {
        return Err(Error::new(ErrorKind::LengthMismatch, "outputs b").counts(b.len(), a.len()));
    }
    if a.is_empty() {
        return Err(Error::new(ErrorKind::EmptyInput, "outputs"));
    }
    if let Some(l) = labels
        && l.len() != a.len()
    {
        return Err(Error::new(ErrorKind::LengthMismatch, "labels").counts(l.len(), a.len()));
    }
    if let Some(t) = options.tolerance
        && !(t.is_finite() && t >= 0.0)
    {
        return Err(Error::new(ErrorKind::InvalidParameter, "parity tolerance").value(t));
    }
    let k = options.bins;
    binning::check_k(k)?;
    let mut edges = vec![0.0; k + 1];
    binning::equal_width_edges(0.0, 1.0, k, &mut edges)?;
    let mut bins: Vec<ParityBin> = (0..k).map(|i| ParityBin { bin: i as u64, count_a: 0, count_b: 0 }).collect();
    let (mut unbinned_a, mut unbinned_b) = (0u64, 0u64);
    let (mut different, mut first, mut linf) = (0u64, None, 0.0f64);
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        if x.to_bits() != y.to_bits() {
            different += 1;
            first.get_or_insert(i as u64);
            linf = linf.max(distance(x, y));
        }
        match is_probability(x) {
            true => bins[binning::bin_index(&edges, x)].count_a += 1,
            false => unbinned_a += 1,
        }
        match is_probability(y) {
            true => bins[binning::bin_index(&edges, y)].count_b += 1,
            false => unbinned_b += 1,
        }
    }
    let (mut ece_a, mut ece_b) = (None, None);
    if let Some(l) = labels
        && unbinned_a == 0
        && unbinned_b == 0
    {
        ece_a = Some(metrics::ece(a, l, None, k)?);
        ece_b = Some(metrics::ece(b, l, None, k)?);
    }
    let delta_ece = ece_a.zip(ece_b).map(|(x, y)| (x - y).abs());
    let pass = match options.tolerance {
        None => different == 0,
        Some(t) => linf <= t && delta_ece.is_none_or(|d| d <= t),
    };
    Ok(ParityReport {
        n: a.len() as u64,
        bitwise_different: different,
        first_different: first,
        linf,
        ece_a,
        ece_b,
        delta_ece,
        edges,
        bins,
        unbinned_a,
        unbinned_b,
        tolerance: options.tolerance,
        pass,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_and_signed_zero() {
        let r = parity_report(&[0.1, 0.0, 1.0], &[0.1, 0.0, 1.0], None, &ParityOptions::default()).unwrap();
        assert!(r.pass && r.bitwise_different == 0 && r.linf == 0.0);
        let r = parity_report(&[0.1, 0.0], &[0.1, -0.0], None, &ParityOptions::default()).unwrap();
        assert!(!r.pass);
        assert_eq!((r.bitwise_different, r.first_different, r.linf), (1, Some(1), 0.0));
    }

    #[test]
    fn nan_on_one_side_is_infinitely_far() {
        let r = parity_report(&[f64::NAN], &[0.5], None, &ParityOptions { bins: 2, tolerance: Some(1.0) }).unwrap();
        assert_eq!(r.linf, f64::INFINITY);
        assert!(!r.pass);
        assert_eq!((r.unbinned_a, r.unbinned_b), (1, 0));
    }
}
