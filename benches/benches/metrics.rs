//! Measuring: ECE, AECE and DECE with 15 bins on 10⁶ (probability, label)
//! rows, through the public functions (`calib_core::metrics::{ece, aece,
//! dece}`: each validates, allocates its edges, scratch and reliability
//! bins, then accumulates).
//!
//! Two allocation-free variants separate the cost of those allocations
//! (the equal-mass selection's scratch is 8 bytes per row) from the work:
//! - `ece_noalloc`: a [`BinnedAccumulator`] over equal-width edges and bins
//!   the caller owns;
//! - `aece_dece_noalloc`: equal-mass edges selected into caller-owned scratch,
//!   then the accumulator; one pass gives both AECE and DECE.
//!
//! ```text
//! cargo bench -p calib-benches                                     # every target, about 1.5 min
//! cargo bench -p calib-benches -- --save-baseline main             # record a baseline named main
//! cargo bench -p calib-benches -- --baseline main                  # compare against it
//! cargo bench -p calib-benches --bench metrics -- --baseline main  # this target only
//! ```
//!
//! Baselines live in target/criterion/; record one on the commit to compare
//! against, on an otherwise idle machine (criterion measures wall time).

mod common;

use calib_core::binning::{self, SELECT_BUCKETS, SelectScratch};
use calib_core::metrics::{self, BinStats, BinnedAccumulator};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const N: usize = 1_000_000;
const K: usize = 15;

fn calibration_errors(c: &mut Criterion) {
    // The ranker's scores lie in (0, 1): they are the (miscalibrated) probabilities.
    let (p, y) = common::ranker(N, common::SEED_TRAIN);
    let mut g = c.benchmark_group("metrics/n=1e6,K=15");
    // Iterations take milliseconds: flat sampling keeps 30 samples within the 3 s budget.
    g.throughput(Throughput::Elements(N as u64)).sample_size(30).sampling_mode(SamplingMode::Flat);

    g.bench_function("ece", |b| b.iter(|| metrics::ece(black_box(&p), black_box(&y), None, K).expect("ece")));
    g.bench_function("aece", |b| b.iter(|| metrics::aece(black_box(&p), black_box(&y), None, K).expect("aece")));
    g.bench_function("dece", |b| b.iter(|| metrics::dece(black_box(&p), black_box(&y), None, K).expect("dece")));

    let mut edges = [0.0; K + 1];
    binning::equal_width_edges(0.0, 1.0, K, &mut edges).expect("edges");
    let mut bins = [BinStats::default(); K];
    g.bench_function("ece_noalloc", |b| {
        b.iter(|| {
            let mut acc = BinnedAccumulator::new(&edges, &mut bins).expect("accumulator");
            acc.add_batch(black_box(&p), black_box(&y), None).expect("add");
            acc.summary().calibration_error
        })
    });

    let (mut hist, mut values) = (vec![0u32; SELECT_BUCKETS], vec![0.0; N]);
    let mut mass_edges = [0.0; K + 1];
    g.bench_function("aece_dece_noalloc", |b| {
        b.iter(|| {
            let scratch = SelectScratch { hist: &mut hist, values: &mut values };
            let es = binning::equal_mass_edges(black_box(&p), 0.0, 1.0, K, scratch, &mut mass_edges).expect("edges");
            let mut acc = BinnedAccumulator::new(&mass_edges[..=es.bins], &mut bins).expect("accumulator");
            acc.add_batch(&p, black_box(&y), None).expect("add");
            let s = acc.summary();
            (s.calibration_error, s.debiased)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = calibration_errors
}
criterion_main!(benches);
