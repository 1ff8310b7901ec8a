//! Fitting: `calib_core::isotonic::fit` (radix sort + tie pooling + PAV)
//! on 10⁴, 10⁶ and 10⁷ rows of a miscalibrated ranker, unit weights,
//! binary labels, f32-rounded scores (so the large sizes hold real ties).
//! Every iteration fits from the unsorted rows and allocates its own
//! buffers, as a user's call does.
//!
//! The 10⁷ case runs 10 samples (flat sampling) in a 5 s budget: one fit per
//! sample while a fit takes over 0.5 s, so it costs about max(5 s, 10 fits)
//! plus warm-up. criterion warns that it cannot finish in 5 s; that is expected.
//!
//! ```text
//! cargo bench -p calib-benches                                     # every target, about 1.5 min
//! cargo bench -p calib-benches -- --save-baseline main             # record a baseline named main
//! cargo bench -p calib-benches -- --baseline main                  # compare against it
//! cargo bench -p calib-benches --bench fit -- --baseline main      # this target only
//! ```
//!
//! Baselines live in target/criterion/; record one on the commit to compare
//! against, on an otherwise idle machine (criterion measures wall time).

mod common;

use calib_core::isotonic::{IsotonicOptions, fit};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn isotonic_fit(c: &mut Criterion) {
    let options = IsotonicOptions::default();
    let mut g = c.benchmark_group("isotonic_fit");
    for n in [10_000usize, 1_000_000, 10_000_000] {
        let (scores, labels) = common::ranker(n, common::SEED_TRAIN);
        g.throughput(Throughput::Elements(n as u64));
        match n {
            10_000 => g.sample_size(100),
            1_000_000 => g.sample_size(20),
            _ => g.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(5)),
        };
        g.bench_with_input(BenchmarkId::from_parameter(n), &(scores, labels), |b, (s, y)| {
            b.iter(|| fit(black_box(s), black_box(y), None, &options).expect("fit"))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = isotonic_fit
}
criterion_main!(benches);
