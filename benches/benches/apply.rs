//! Serving: applying a calibration map.
//!
//! - `apply_one/m=…/{model,indexed,plain}`: one score through a fitted map of
//!   about 1160 breakpoints. `model` is what a loaded `Model` serves: a
//!   [`CellIndex`] plus precomputed segment slopes (`calib_core::map::slopes_into`);
//!   `indexed` has the index but divides for the slope on each call; `plain`
//!   is a bare [`MapRef`] (binary search, division). Reported per call; the
//!   scores cycle through 2¹⁶ draws of the ranker (512 KiB, in L2), too many
//!   for the branch predictor to learn: with a 4096-score ring the indexed
//!   apply measured about 3 ns faster, which random serving traffic would
//!   not see.
//! - `apply_batch/{16,256,1024}`: 10⁶ scores into a caller-owned buffer
//!   through the `model` path; throughput is in elements, so criterion
//!   prints the time per score.
//!
//! Run:
//!
//! ```text
//! cargo bench -p calib-benches                                     # every target, about 1.5 min
//! cargo bench -p calib-benches -- --save-baseline main             # record a baseline named main
//! cargo bench -p calib-benches -- --baseline main                  # compare against it
//! cargo bench -p calib-benches --bench apply -- --baseline main    # this target only
//! ```
//!
//! Baselines live in target/criterion/; record one on the commit to compare
//! against, on an otherwise idle machine (criterion measures wall time).

mod common;

use calib_core::map::{ApplyOptions, ApplyStats, CellIndex, MapRef};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const BATCH: usize = 1_000_000;
const RING: usize = 1 << 16;

fn apply_one(c: &mut Criterion) {
    let (xs, ys) = common::fitted_map(common::FITTED_MAP_ROWS);
    let mut buf = common::index_buffer(&xs);
    let index = CellIndex::build(&xs, &mut buf).expect("index");
    let slopes = common::slopes(&xs, &ys);
    let plain = MapRef::new(&xs, &ys, ApplyOptions::default()).expect("map");
    let indexed = plain.with_index(index);
    let model = indexed.with_slopes(&slopes);
    let scores = common::serve_scores(RING);

    let mut g = c.benchmark_group(format!("apply_one/m={}", xs.len()));
    for (name, map) in [("model", model), ("indexed", indexed), ("plain", plain)] {
        g.bench_function(name, |b| {
            let mut i = 0usize;
            b.iter(|| {
                let s = scores[i % RING];
                i = i.wrapping_add(1);
                map.apply(black_box(s))
            })
        });
    }
    g.finish();
}

fn apply_batch(c: &mut Criterion) {
    let scores = common::serve_scores(BATCH);
    let mut out = vec![0.0; BATCH];
    let mut g = c.benchmark_group("apply_batch");
    // Iterations take milliseconds: flat sampling keeps 30 samples within the 3 s budget.
    g.throughput(Throughput::Elements(BATCH as u64)).sample_size(30).sampling_mode(SamplingMode::Flat);
    for m in [16usize, 256, 1024] {
        let (xs, ys) = common::quantile_map(m);
        let mut buf = common::index_buffer(&xs);
        let index = CellIndex::build(&xs, &mut buf).expect("index");
        let slopes = common::slopes(&xs, &ys);
        let map = MapRef::new(&xs, &ys, ApplyOptions::default()).expect("map").with_index(index).with_slopes(&slopes);
        g.bench_with_input(BenchmarkId::from_parameter(m), &map, |b, map| {
            b.iter(|| {
                let mut stats = ApplyStats::default();
                map.apply_batch(black_box(&scores), &mut out, &mut stats).expect("apply");
                black_box(stats)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = apply_one, apply_batch
}
criterion_main!(benches);
