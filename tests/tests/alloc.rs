//! calib's serving and metric paths promise "never allocates": this test
//! proves it with a counting global allocator.
//!
//! The counter is per thread (a const-initialised thread-local `Cell`, which
//! itself never allocates), so tests running in parallel on other threads do
//! not disturb a measurement. Every fixture — models, buffers, expected
//! values — is built before a measured region; only the call under test runs
//! inside it. Error paths are measured too: a no-alloc function must not
//! allocate to report an error (calib's `Error` can carry a `String` detail
//! with the `alloc` feature; these paths must never set it).

use calib_core::binning::{self, SELECT_BUCKETS, SelectScratch};
use calib_core::histogram::{self, HistogramBuffers, HistogramOptions};
use calib_core::isotonic::{self, IsotonicOptions, PavScratch};
use calib_core::map::{ApplyOptions, ApplyStats, CellIndex, MapRef, NonFinite, OutOfBounds};
use calib_core::metrics::{self, BinStats, BinnedAccumulator, ReliabilityBin};
use calib_core::model::{FitConfig, Model, fit_model};
use calib_core::rng::SeededRng;
use calib_core::{Error, ErrorKind};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::thread::LocalKey;

// ---------------------------------------------------------------------------
// The counting allocator
// ---------------------------------------------------------------------------

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static DEALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump(counter: &'static LocalKey<Cell<u64>>) {
    // `try_with`: never panic inside the allocator, even during thread exit.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters only touch a thread-local `Cell` that needs no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&DEALLOCS);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and deallocations made by this thread while `f` ran.
fn count<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    let (a0, d0) = (ALLOCS.with(Cell::get), DEALLOCS.with(Cell::get));
    let r = black_box(f());
    let (a1, d1) = (ALLOCS.with(Cell::get), DEALLOCS.with(Cell::get));
    (r, a1 - a0, d1 - d0)
}

/// Runs `f` and fails the test if it allocated, reallocated or freed.
#[track_caller]
fn no_alloc<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let (r, allocs, deallocs) = count(f);
    assert!(allocs == 0 && deallocs == 0, "{what}: {allocs} allocation(s), {deallocs} deallocation(s)");
    r
}

/// An error from a no-alloc path is of the expected kind and carries no
/// (heap) detail.
#[track_caller]
fn assert_plain(e: &Error, kind: ErrorKind) {
    assert_eq!(e.kind(), kind, "{e}");
    // `Error`'s derived Debug shows the optional detail of the alloc feature.
    let debug = format!("{e:?}");
    assert!(debug.contains("detail: None"), "error carries a detail: {debug}");
}

// ---------------------------------------------------------------------------
// The counter works
// ---------------------------------------------------------------------------

#[test]
fn positive_control_counter_sees_allocations() {
    let (_, allocs, deallocs) = count(|| {
        let v: Vec<u64> = Vec::with_capacity(black_box(16));
        black_box(&v);
    });
    assert!(allocs >= 1 && deallocs >= 1, "the counter missed a Vec: {allocs} allocs, {deallocs} deallocs");

    let (_, allocs, _) = count(|| black_box(String::from("x")).push_str(black_box("grow past capacity")));
    assert!(allocs >= 2, "the counter missed a realloc: {allocs}");

    // An error that carries a detail allocates, and the counter sees it: the
    // zero counts below are not for want of looking.
    let model = fit_model::<&str>(&[0.1, 0.9], &[0.0, 1.0], None, None, &FitConfig::default()).unwrap();
    let (r, allocs, _) = count(|| model.class_map(black_box("no such class")).map(|m| m.xs().len()));
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownClass);
    assert!(!format!("{e:?}").contains("detail: None"), "assert_plain would not see this detail: {e:?}");
    assert!(allocs >= 1, "the detail of an UnknownClass error should be a counted allocation");

    // And no_alloc itself fails on an allocation.
    let caught = std::thread::spawn(|| no_alloc("control", || black_box(Box::new(1u8)))).join();
    assert!(caught.is_err(), "no_alloc accepted an allocating closure");
}

// ---------------------------------------------------------------------------
// Maps
// ---------------------------------------------------------------------------

const XS: [f64; 7] = [0.1, 0.2, 0.35, 0.5, 0.8, 0.9, 0.95];
const YS: [f64; 7] = [0.0, 0.1, 0.3, 0.5, 0.9, 0.9, 1.0];

/// Scores that exercise every branch: in range, on breakpoints, below and
/// above, non-finite, signed zero, extremes.
const PROBES: [f64; 14] =
    [0.15, 0.1, 0.2, 0.42, 0.95, 0.85, -1.0, 2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e308, 0.5];

fn all_options() -> Vec<ApplyOptions> {
    let mut v = Vec::new();
    for out_of_bounds in [OutOfBounds::Clip, OutOfBounds::Nan, OutOfBounds::Error] {
        for non_finite in [NonFinite::Error, NonFinite::Fallback(0.25)] {
            for epsilon in [0.0, 0.01] {
                v.push(ApplyOptions { out_of_bounds, non_finite, epsilon });
            }
        }
    }
    v
}

type Outcome = Result<u64, ErrorKind>;

fn outcome(r: &Result<f64, Error>) -> Outcome {
    r.as_ref().map(|v| v.to_bits()).map_err(|e| e.kind())
}

#[test]
fn map_apply_and_apply_batch_never_allocate() {
    let mut cells = vec![0u32; CellIndex::buffer_len(XS.len())];
    let mut out = vec![0.0; PROBES.len()];
    for options in all_options() {
        // Building a map and its index over caller buffers is allocation-free too.
        let (plain, indexed) = no_alloc("MapRef::new + CellIndex::build", || {
            let plain = MapRef::new(&XS, &YS, options).unwrap();
            let index = CellIndex::build(&XS, &mut cells).unwrap();
            (plain, plain.with_index(index))
        });

        for (i, &s) in PROBES.iter().enumerate() {
            let (a, b, c, stats) = no_alloc("MapRef::apply", || {
                let mut stats = ApplyStats::default();
                (plain.apply(s), indexed.apply(s), indexed.apply_counted(s, &mut stats), stats)
            });
            assert_eq!(outcome(&a), outcome(&b), "{options:?} score {s}: index changes the result");
            assert_eq!(outcome(&a), outcome(&c));
            assert_eq!(stats.n, 1);
            for r in [&a, &b, &c] {
                if let Err(e) = r {
                    let kind = if s.is_finite() { ErrorKind::OutOfBounds } else { ErrorKind::NonFiniteInput };
                    assert_plain(e, kind);
                }
            }
            if let Ok(v) = a
                && options.epsilon > 0.0
                && !v.is_nan()
            {
                assert!((0.01..=0.99).contains(&v), "ε not applied at probe {i}: {v}");
            }
        }

        // Batches, with and without the index: same outcomes as one by one.
        let want: Vec<Outcome> = PROBES.iter().map(|&s| outcome(&plain.apply(s))).collect();
        let first_err = want.iter().position(Result::is_err);
        for (name, map) in [("plain", plain), ("indexed", indexed)] {
            let (r, stats) = no_alloc("MapRef::apply_batch", || {
                let mut stats = ApplyStats::default();
                (map.apply_batch(&PROBES, &mut out, &mut stats), stats)
            });
            match first_err {
                None => {
                    r.unwrap();
                    let got: Vec<Outcome> = out.iter().map(|v| Ok(v.to_bits())).collect();
                    assert_eq!(got, want, "{name} {options:?}");
                    assert_eq!(stats.n, PROBES.len() as u64);
                }
                Some(i) => {
                    let e = r.unwrap_err();
                    assert_eq!(e.index(), Some(i), "{name} {options:?}: {e}");
                    assert_plain(&e, want[i].unwrap_err());
                    assert_eq!(stats.n, i as u64 + 1);
                }
            }
            // Too small an output buffer is an error, not an allocation.
            let e = no_alloc("MapRef::apply_batch (short out)", || {
                map.apply_batch(&PROBES, &mut out[..3], &mut ApplyStats::default()).unwrap_err()
            });
            assert_plain(&e, ErrorKind::BufferTooSmall);
        }
    }

    // Invalid maps and options are refused without allocating.
    let e = no_alloc("MapRef::new (unsorted)", || MapRef::new(&[0.2, 0.1], &[0.0, 1.0], ApplyOptions::default()));
    assert_plain(&e.unwrap_err(), ErrorKind::Unsorted);
    let bad = ApplyOptions { epsilon: 0.7, ..ApplyOptions::default() };
    let e = no_alloc("MapRef::new (bad epsilon)", || MapRef::new(&XS, &YS, bad));
    assert_plain(&e.unwrap_err(), ErrorKind::InvalidParameter);
    let e = no_alloc("CellIndex::build (short buffer)", || CellIndex::build(&XS, &mut cells[..2]).map(|_| ()));
    assert_plain(&e.unwrap_err(), ErrorKind::BufferTooSmall);
}

#[test]
fn map_batch_of_many_scores_never_allocates() {
    // A long, realistic batch through a fitted map with many breakpoints.
    let mut rng = SeededRng::new(1);
    let scores: Vec<f64> = (0..20_000).map(|_| rng.uniform()).collect();
    let labels: Vec<f64> = scores.iter().map(|&s| rng.bernoulli(s * s)).collect();
    let bp = isotonic::fit(&scores, &labels, None, &IsotonicOptions::default()).unwrap();
    assert!(bp.x.len() > 20);
    let mut cells = vec![0u32; CellIndex::buffer_len(bp.x.len())];
    let mut out = vec![0.0; scores.len()];
    let mut out2 = vec![0.0; scores.len()];
    let stats = no_alloc("MapRef::apply_batch (20k)", || {
        let map = MapRef::new(&bp.x, &bp.y, ApplyOptions::default()).unwrap();
        let indexed = map.with_index(CellIndex::build(&bp.x, &mut cells).unwrap());
        let mut stats = ApplyStats::default();
        map.apply_batch(&scores, &mut out, &mut stats).unwrap();
        indexed.apply_batch(&scores, &mut out2, &mut stats).unwrap();
        let mut merged = ApplyStats::default();
        merged.merge(&stats);
        (merged, merged.clamp_rate())
    });
    assert_eq!(stats.0.n, 40_000);
    assert!(out.iter().zip(&out2).all(|(a, b)| a.to_bits() == b.to_bits()));
}

// ---------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------

fn fitted_model(cfg: &FitConfig) -> (Model, Vec<f64>, Vec<&'static str>) {
    let mut rng = SeededRng::new(2);
    let n = 3000;
    let scores: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let labels: Vec<f64> = scores.iter().map(|&s| rng.bernoulli(s)).collect();
    let names = ["a", "b", "c", "small"];
    let classes: Vec<&'static str> = (0..n).map(|i| if i % 100 == 0 { names[3] } else { names[i % 3] }).collect();
    let cfg = FitConfig { min_class_samples: 500, ..*cfg };
    let model = fit_model(&scores, &labels, None, Some(&classes[..]), &cfg).unwrap();
    (model, scores, classes)
}

#[test]
fn model_apply_paths_never_allocate() {
    let (model, _, _) = fitted_model(&FitConfig::default());
    assert_eq!(model.classes().collect::<Vec<_>>(), ["a", "b", "c"]);
    // Rows in range plus clipped ones, in class runs and interleaved, with
    // unknown and too-small classes that fall back to the global map.
    let scores: Vec<f64> = (0..600).map(|i| (i as f64 / 600.0) * 1.2 - 0.1).collect();
    let owned: Vec<String> = (0..600).map(|i| ["a", "b", "c", "small", "zzz", ""][(i / 7) % 6].to_string()).collect();
    let borrowed: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut out = vec![0.0; scores.len()];

    for class in [Some("a"), Some("b"), Some("small"), Some("unknown"), None] {
        let (one, map_one) =
            no_alloc("Model::apply", || (model.apply(class, 0.42).unwrap(), model.map(class).apply(0.42).unwrap()));
        assert_eq!(one.to_bits(), map_one.to_bits());
        let stats = no_alloc("Model::apply_batch", || {
            let mut stats = ApplyStats::default();
            model.apply_batch(class, &scores, &mut out, &mut stats).unwrap();
            stats
        });
        assert_eq!(stats.n, 600);
        assert!(stats.out_of_range > 0);
        for (s, o) in scores.iter().zip(&out) {
            assert_eq!(o.to_bits(), model.apply(class, *s).unwrap().to_bits());
        }
    }

    let stats = no_alloc("Model::apply_rows (&str classes)", || {
        let mut stats = ApplyStats::default();
        model.apply_rows(Some(&borrowed[..]), &scores, &mut out, &mut stats).unwrap();
        stats
    });
    assert_eq!(stats.n, 600);
    for ((s, c), o) in scores.iter().zip(&borrowed).zip(&out) {
        assert_eq!(o.to_bits(), model.apply(Some(*c), *s).unwrap().to_bits());
    }
    no_alloc("Model::apply_rows (String classes)", || {
        model.apply_rows(Some(&owned[..]), &scores, &mut out, &mut ApplyStats::default()).unwrap()
    });
    no_alloc("Model::apply_rows (no classes)", || {
        model.apply_rows::<&str>(None, &scores, &mut out, &mut ApplyStats::default()).unwrap()
    });
    no_alloc("Model::map / global_map / class_map", || {
        (model.map(Some("c")).xs().len(), model.global_map().ys().len(), model.class_map("a").unwrap().xs().len())
    });

    // Errors: non-finite scores (default policy), short buffers, mismatched classes.
    let mut bad = scores.clone();
    bad[17] = f64::NAN;
    let e = no_alloc("Model::apply (NaN)", || model.apply(Some("a"), f64::NAN).unwrap_err());
    assert_plain(&e, ErrorKind::NonFiniteInput);
    let e = no_alloc("Model::apply_batch (NaN)", || {
        model.apply_batch(Some("b"), &bad, &mut out, &mut ApplyStats::default()).unwrap_err()
    });
    assert_plain(&e, ErrorKind::NonFiniteInput);
    assert_eq!(e.index(), Some(17));
    let e = no_alloc("Model::apply_rows (NaN)", || {
        model.apply_rows(Some(&borrowed[..]), &bad, &mut out, &mut ApplyStats::default()).unwrap_err()
    });
    assert_plain(&e, ErrorKind::NonFiniteInput);
    assert_eq!(e.index(), Some(17));
    let e = no_alloc("Model::apply_rows (short out)", || {
        model.apply_rows(Some(&borrowed[..]), &scores, &mut out[..10], &mut ApplyStats::default()).unwrap_err()
    });
    assert_plain(&e, ErrorKind::BufferTooSmall);
    let e = no_alloc("Model::apply_rows (class count)", || {
        model.apply_rows(Some(&borrowed[..5]), &scores, &mut out, &mut ApplyStats::default()).unwrap_err()
    });
    assert_plain(&e, ErrorKind::LengthMismatch);

    // A model with the `error` out-of-bounds policy.
    let (strict, _, _) = fitted_model(&FitConfig { out_of_bounds: OutOfBounds::Error, ..FitConfig::default() });
    let e = no_alloc("Model::apply (out of bounds)", || strict.apply(Some("a"), 7.0).unwrap_err());
    assert_plain(&e, ErrorKind::OutOfBounds);
    let e = no_alloc("Model::apply_rows (out of bounds)", || {
        strict.apply_rows(Some(&borrowed[..]), &scores, &mut out, &mut ApplyStats::default()).unwrap_err()
    });
    assert_plain(&e, ErrorKind::OutOfBounds);
    assert_eq!(e.index(), Some(0), "the first score (-0.1) is below every map");
}

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

fn probe_data(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = SeededRng::new(seed);
    let p: Vec<f64> = (0..n).map(|i| if i % 97 == 0 { 1.0 } else { rng.uniform() }).collect();
    let y: Vec<f64> = p.iter().map(|&p| rng.bernoulli(p * 0.8)).collect();
    let w: Vec<f64> = (0..n).map(|_| rng.uniform() * 2.0).collect();
    (p, y, w)
}

fn empty_reliability() -> ReliabilityBin {
    ReliabilityBin {
        lower: 0.0,
        upper: 0.0,
        count: 0,
        weight: 0.0,
        mean_p: 0.0,
        observed: 0.0,
        ci_low: 0.0,
        ci_high: 0.0,
    }
}

#[test]
fn binned_accumulator_never_allocates() {
    let (p, y, w) = probe_data(5000, 3);
    const K: usize = 15;
    let mut width_edges = [0.0; K + 1];
    no_alloc("equal_width_edges", || binning::equal_width_edges(0.0, 1.0, K, &mut width_edges).unwrap());
    let uneven = [0.0, 0.05, 0.3, 0.31, 0.7, 1.0];
    let mut bins = [BinStats::default(); K];
    let mut rel = [empty_reliability(); K];

    for (edges, name) in [(&width_edges[..], "equal width"), (&uneven[..], "uneven")] {
        for weights in [None, Some(&w[..])] {
            let (summary, m) = no_alloc("BinnedAccumulator new/add_batch/add/summary/reliability", || {
                let mut acc = BinnedAccumulator::new(edges, &mut bins).unwrap();
                acc.add_batch(&p[..4000], &y[..4000], weights.map(|w| &w[..4000])).unwrap();
                for i in 4000..p.len() {
                    acc.add(p[i], y[i], weights.map_or(1.0, |w| w[i])).unwrap();
                }
                let _ = (acc.edges().len(), acc.bins().len());
                (acc.summary(), acc.reliability(&mut rel))
            });
            assert_eq!(summary.n, 5000, "{name}");
            assert_eq!(m, edges.len() - 1, "{name}: every bin is populated");
            assert!(rel[..m].iter().all(|b| b.ci_low <= b.observed && b.observed <= b.ci_high));
            if edges.len() == K + 1 {
                // The same numbers as the allocating convenience API.
                let ece = metrics::ece(&p, &y, weights, K).unwrap();
                assert!((summary.calibration_error - ece).abs() < 1e-12, "{} vs {ece}", summary.calibration_error);
            }
            // A short reliability buffer truncates, it does not grow.
            let n = no_alloc("reliability (short)", || {
                let mut acc = BinnedAccumulator::new(edges, &mut bins).unwrap();
                acc.add_batch(&p, &y, weights).unwrap();
                acc.reliability(&mut rel[..2])
            });
            assert_eq!(n, 2);
        }
    }

    // Every refusal, without allocating.
    let errs: [(ErrorKind, Error); 8] = [
        (
            ErrorKind::ProbabilityOutOfRange,
            no_alloc("add(1.5)", || BinnedAccumulator::new(&width_edges, &mut bins).unwrap().add(1.5, 0.0, 1.0))
                .unwrap_err(),
        ),
        (
            ErrorKind::ProbabilityOutOfRange,
            no_alloc("add(NaN)", || BinnedAccumulator::new(&width_edges, &mut bins).unwrap().add(f64::NAN, 0.0, 1.0))
                .unwrap_err(),
        ),
        (
            ErrorKind::LabelOutOfRange,
            no_alloc("add(y=2)", || BinnedAccumulator::new(&width_edges, &mut bins).unwrap().add(0.5, 2.0, 1.0))
                .unwrap_err(),
        ),
        (
            ErrorKind::InvalidWeight,
            no_alloc("add(w=-1)", || BinnedAccumulator::new(&width_edges, &mut bins).unwrap().add(0.5, 1.0, -1.0))
                .unwrap_err(),
        ),
        (
            ErrorKind::ProbabilityOutOfRange,
            no_alloc("add_batch(bad)", || {
                BinnedAccumulator::new(&width_edges, &mut bins).unwrap().add_batch(&[0.1, -0.5], &[0.0, 1.0], None)
            })
            .unwrap_err(),
        ),
        (
            ErrorKind::LengthMismatch,
            no_alloc("add_batch(lengths)", || {
                BinnedAccumulator::new(&width_edges, &mut bins).unwrap().add_batch(&[0.1, 0.5], &[0.0], None)
            })
            .unwrap_err(),
        ),
        (
            ErrorKind::Unsorted,
            no_alloc("new(unsorted)", || BinnedAccumulator::new(&[0.0, 0.6, 0.5, 1.0], &mut bins).map(|_| ()))
                .unwrap_err(),
        ),
        (
            ErrorKind::BufferTooSmall,
            no_alloc("new(short bins)", || BinnedAccumulator::new(&width_edges, &mut bins[..3]).map(|_| ()))
                .unwrap_err(),
        ),
    ];
    for (kind, e) in &errs {
        assert_plain(e, *kind);
    }
}

#[test]
fn brier_log_loss_tau_never_allocate() {
    let (p, y, w) = probe_data(3000, 4);
    let (b, bw, l, lw) = no_alloc("brier/log_loss", || {
        (
            metrics::brier(&p, &y, None).unwrap(),
            metrics::brier(&p, &y, Some(&w)).unwrap(),
            metrics::log_loss(&p, &y, None).unwrap(),
            metrics::log_loss(&p, &y, Some(&w)).unwrap(),
        )
    });
    let want = metrics::evaluate(&p, &y, None, 15).unwrap();
    assert_eq!((b, l), (want.brier, want.log_loss));
    let want_w = metrics::evaluate(&p, &y, Some(&w), 15).unwrap();
    assert_eq!((bw, lw), (want_w.brier, want_w.log_loss));

    for (kind, e) in [
        (ErrorKind::EmptyInput, no_alloc("brier([])", || metrics::brier(&[], &[], None)).unwrap_err()),
        (
            ErrorKind::ProbabilityOutOfRange,
            no_alloc("brier(p=2)", || metrics::brier(&[0.5, 2.0], &[0.0, 1.0], None)).unwrap_err(),
        ),
        (
            ErrorKind::InvalidWeight,
            no_alloc("brier(w=NaN)", || metrics::brier(&[0.5], &[0.0], Some(&[f64::NAN]))).unwrap_err(),
        ),
        (
            ErrorKind::LabelOutOfRange,
            no_alloc("log_loss(y=-1)", || metrics::log_loss(&[0.5], &[-1.0], None)).unwrap_err(),
        ),
        (
            ErrorKind::LengthMismatch,
            no_alloc("log_loss(lengths)", || metrics::log_loss(&[0.5, 0.5], &[1.0], None)).unwrap_err(),
        ),
        (ErrorKind::EmptyInput, no_alloc("log_loss([])", || metrics::log_loss(&[], &[], None)).unwrap_err()),
    ] {
        assert_plain(&e, kind);
    }

    let taus =
        no_alloc("tau", || [metrics::tau(0, 15, 1.0), metrics::tau(100, 15, 1.0), metrics::tau(1_000_000, 15, 1.0)]);
    assert_eq!(taus[0], f64::INFINITY);
    assert_eq!(taus[1], (15.0f64 / 100.0).sqrt());
    assert_eq!(taus[2], 0.015);
    let ci = no_alloc("wilson_interval", || metrics::wilson_interval(0.3, 50.0, metrics::Z95));
    assert!(ci.0 < 0.3 && 0.3 < ci.1);
}

// ---------------------------------------------------------------------------
// Binning and fitting on caller buffers
// ---------------------------------------------------------------------------

#[test]
fn equal_mass_edges_with_caller_scratch_never_allocates() {
    let (p, _, _) = probe_data(10_000, 5);
    let mut hist = vec![0u32; SELECT_BUCKETS];
    let mut values = vec![0.0; p.len()];
    let mut edges = [0.0; 21];
    for k in [1, 2, 10, 20] {
        let s = no_alloc("equal_mass_edges", || {
            binning::equal_mass_edges(
                &p,
                0.0,
                1.0,
                k,
                SelectScratch { hist: &mut hist, values: &mut values },
                &mut edges,
            )
            .unwrap()
        });
        assert_eq!(s.bins, k);
        let e = &edges[..=s.bins];
        assert!(e.windows(2).all(|w| w[0] < w[1]) && e[0] == 0.0 && e[k] == 1.0, "{e:?}");
        // Each equal-mass bin holds about N/K values.
        let mut counts = [0usize; 20];
        for &v in &p {
            counts[binning::bin_index(e, v)] += 1;
        }
        assert!(counts[..k].iter().all(|&c| c.abs_diff(p.len() / k) <= 2), "{counts:?}");
    }
    // Ties merge edges, still without allocating.
    let tied = vec![0.5; 100];
    let s = no_alloc("equal_mass_edges (ties)", || {
        binning::equal_mass_edges(
            &tied,
            0.0,
            1.0,
            10,
            SelectScratch { hist: &mut hist, values: &mut values },
            &mut edges,
        )
        .unwrap()
    });
    assert!(s.merged > 0);

    let errs = [
        (
            ErrorKind::BufferTooSmall,
            no_alloc("equal_mass_edges (short hist)", || {
                binning::equal_mass_edges(
                    &p,
                    0.0,
                    1.0,
                    10,
                    SelectScratch { hist: &mut hist[..100], values: &mut values },
                    &mut edges,
                )
            }),
        ),
        (
            ErrorKind::BufferTooSmall,
            no_alloc("equal_mass_edges (short values)", || {
                binning::equal_mass_edges(
                    &p,
                    0.0,
                    1.0,
                    10,
                    SelectScratch { hist: &mut hist, values: &mut values[..5] },
                    &mut edges,
                )
            }),
        ),
        (
            ErrorKind::BufferTooSmall,
            no_alloc("equal_mass_edges (short out)", || {
                binning::equal_mass_edges(
                    &p,
                    0.0,
                    1.0,
                    10,
                    SelectScratch { hist: &mut hist, values: &mut values },
                    &mut edges[..4],
                )
            }),
        ),
        (
            ErrorKind::EmptyInput,
            no_alloc("equal_mass_edges (empty)", || {
                binning::equal_mass_edges(
                    &[],
                    0.0,
                    1.0,
                    10,
                    SelectScratch { hist: &mut hist, values: &mut values },
                    &mut edges,
                )
            }),
        ),
        (
            ErrorKind::InvalidParameter,
            no_alloc("equal_mass_edges (k = 0)", || {
                binning::equal_mass_edges(
                    &p,
                    0.0,
                    1.0,
                    0,
                    SelectScratch { hist: &mut hist, values: &mut values },
                    &mut edges,
                )
            }),
        ),
    ];
    for (kind, r) in errs {
        assert_plain(&r.unwrap_err(), kind);
    }
}

#[test]
fn isotonic_fit_sorted_in_place_never_allocates() {
    let mut rng = SeededRng::new(6);
    let n = 4000;
    let mut rows: Vec<(f64, f64, f64)> = (0..n)
        .map(|i| {
            let s = (rng.uniform() * 500.0).floor() / 500.0;
            (s, rng.bernoulli(s), if i % 50 == 0 { 0.0 } else { 0.5 + rng.uniform() })
        })
        .collect();
    // Sorted by score, then label, then weight: the order calib's own sort
    // gives tied scores, so pooled sums are formed in the same order.
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
    let x: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let y: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let w: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let mut blocks = vec![0usize; n];
    let mut centroids = vec![0.0; n];
    let (mut bx, mut by, mut bw) = (x.clone(), y.clone(), w.clone());

    for increasing in [true, false] {
        for strict in [false, true] {
            for (y_min, y_max) in [(None, None), (Some(0.1), Some(0.9))] {
                let opts = IsotonicOptions { increasing, y_min, y_max, strict };
                bx.copy_from_slice(&x);
                by.copy_from_slice(&y);
                bw.copy_from_slice(&w);
                let m = no_alloc("isotonic::fit_sorted_in_place", || {
                    let scratch = PavScratch { blocks: &mut blocks, centroids: &mut centroids };
                    isotonic::fit_sorted_in_place(&mut bx, &mut by, &mut bw, scratch, &opts).unwrap()
                });
                // The same breakpoints as the allocating fit from unsorted input.
                let want = isotonic::fit(&x, &y, Some(&w), &opts).unwrap();
                assert_eq!(&bx[..m], &want.x[..], "{opts:?}");
                assert_eq!(&by[..m], &want.y[..], "{opts:?}");
            }
        }
    }
    // Non-strict fits need no centroid buffer.
    bx.copy_from_slice(&x);
    by.copy_from_slice(&y);
    bw.copy_from_slice(&w);
    no_alloc("isotonic::fit_sorted_in_place (no centroids)", || {
        let scratch = PavScratch { blocks: &mut blocks, centroids: &mut [] };
        isotonic::fit_sorted_in_place(&mut bx, &mut by, &mut bw, scratch, &IsotonicOptions::default()).unwrap()
    });

    // Refusals.
    let opts = IsotonicOptions::default();
    let strict = IsotonicOptions { strict: true, ..opts };
    let mut run = |x: &mut [f64], y: &mut [f64], w: &mut [f64], opts: &IsotonicOptions, short: bool| {
        let nb = if short { 1 } else { x.len() };
        no_alloc("isotonic::fit_sorted_in_place (error)", || {
            let scratch = PavScratch { blocks: &mut blocks[..nb], centroids: &mut centroids[..nb] };
            isotonic::fit_sorted_in_place(x, y, w, scratch, opts).unwrap_err()
        })
    };
    let cases = [
        (ErrorKind::Unsorted, run(&mut [0.2, 0.1], &mut [0.0, 1.0], &mut [1.0, 1.0], &opts, false)),
        (ErrorKind::NonFiniteScore, run(&mut [0.1, f64::NAN], &mut [0.0, 1.0], &mut [1.0, 1.0], &opts, false)),
        (ErrorKind::InvalidWeight, run(&mut [0.1, 0.2], &mut [0.0, 1.0], &mut [1.0, -1.0], &opts, false)),
        (ErrorKind::TooFewSamples, run(&mut [0.1, 0.2], &mut [0.0, 1.0], &mut [0.0, 0.0], &opts, false)),
        (ErrorKind::BufferTooSmall, run(&mut [0.1, 0.2], &mut [0.0, 1.0], &mut [1.0, 1.0], &opts, true)),
        (ErrorKind::BufferTooSmall, run(&mut [0.1, 0.2], &mut [0.0, 1.0], &mut [1.0, 1.0], &strict, true)),
        (ErrorKind::EmptyInput, run(&mut [], &mut [], &mut [], &opts, false)),
        (
            ErrorKind::InvalidParameter,
            run(
                &mut [0.1, 0.2],
                &mut [0.0, 1.0],
                &mut [1.0, 1.0],
                &IsotonicOptions { y_min: Some(0.9), y_max: Some(0.1), ..opts },
                false,
            ),
        ),
    ];
    for (kind, e) in &cases {
        assert_plain(e, *kind);
    }
}

#[test]
fn histogram_fit_into_never_allocates() {
    let mut rng = SeededRng::new(7);
    let n = 5000;
    let scores: Vec<f64> = (0..n).map(|_| rng.uniform() * 3.0 - 1.0).collect();
    let labels: Vec<f64> = scores.iter().map(|&s| rng.bernoulli(((s + 1.0) / 3.0).clamp(0.0, 1.0))).collect();
    let weights: Vec<f64> = (0..n).map(|i| if i % 10 == 0 { 0.0 } else { 1.0 + rng.uniform() }).collect();
    const K: usize = 12;
    let mut hist = vec![0u32; SELECT_BUCKETS];
    let mut values = vec![0.0; n];
    let (mut edges, mut counts, mut ws, mut sums) = ([0.0; K + 1], [0u64; K], [0.0; K], [0.0; K]);
    let (mut ox, mut oy) = ([0.0; 2 * K], [0.0; 2 * K]);

    for strategy in [binning::BinStrategy::EqualMass, binning::BinStrategy::EqualWidth] {
        for min_samples_per_bin in [1, 600] {
            for w in [None, Some(&weights[..])] {
                let opts = HistogramOptions { strategy, bins: K, min_samples_per_bin };
                let fit = no_alloc("histogram::fit_into", || {
                    histogram::fit_into(
                        &scores,
                        &labels,
                        w,
                        &opts,
                        HistogramBuffers {
                            select: SelectScratch { hist: &mut hist, values: &mut values },
                            edges: &mut edges,
                            counts: &mut counts,
                            weights: &mut ws,
                            sums: &mut sums,
                            out_x: &mut ox,
                            out_y: &mut oy,
                        },
                    )
                    .unwrap()
                });
                let (want, want_fit) = histogram::fit(&scores, &labels, w, &opts).unwrap();
                assert_eq!(fit, want_fit, "{opts:?}");
                assert_eq!(&ox[..fit.breakpoints], &want.x[..]);
                assert_eq!(&oy[..fit.breakpoints], &want.y[..]);
            }
        }
    }

    // Equal-width fits need no selection scratch.
    let opts = HistogramOptions { strategy: binning::BinStrategy::EqualWidth, bins: K, min_samples_per_bin: 1 };
    let mut buffers = |hist: &mut [u32], values: &mut [f64], short: bool, opts: HistogramOptions, w: &[f64]| {
        let out_len = if short { 3 } else { 2 * K };
        no_alloc("histogram::fit_into (edge cases)", || {
            histogram::fit_into(
                &scores,
                &labels,
                Some(w),
                &opts,
                HistogramBuffers {
                    select: SelectScratch { hist, values },
                    edges: &mut edges,
                    counts: &mut counts,
                    weights: &mut ws,
                    sums: &mut sums,
                    out_x: &mut ox[..out_len],
                    out_y: &mut oy[..out_len],
                },
            )
        })
    };
    buffers(&mut [], &mut [], false, opts, &weights).unwrap();
    let zero = vec![0.0; n];
    let cases = [
        (ErrorKind::BufferTooSmall, buffers(&mut [], &mut [], true, opts, &weights)),
        (ErrorKind::InvalidParameter, buffers(&mut [], &mut [], false, HistogramOptions { bins: 0, ..opts }, &weights)),
        (ErrorKind::TooFewSamples, buffers(&mut [], &mut [], false, opts, &zero)),
        (
            ErrorKind::BufferTooSmall,
            buffers(
                &mut [],
                &mut [],
                false,
                HistogramOptions { strategy: binning::BinStrategy::EqualMass, ..opts },
                &weights,
            ),
        ),
    ];
    for (kind, r) in cases {
        assert_plain(&r.unwrap_err(), kind);
    }
}

#[test]
fn small_binning_helpers_never_allocate() {
    let edges = [0.0, 0.25, 0.5, 0.75, 1.0];
    let (a, b, c) = no_alloc("bin_index / equal_width_bin", || {
        (
            binning::bin_index(&edges, 0.25),
            binning::equal_width_bin(&edges, 0.25),
            [0.0, 0.1, 0.5, 0.51, 1.0].map(|v| binning::bin_index(&edges, v)),
        )
    });
    assert_eq!((a, b, c), (0, 0, [0, 0, 1, 2, 3]));
    let mut e = [0.0, 0.1, 0.2, 0.3, 1.0];
    let mut counts = [5u64, 0, 1, 9];
    let bins = no_alloc("merge_small_bins", || binning::merge_small_bins(&mut e, &mut counts, 2));
    assert_eq!(bins, 2);
    assert_eq!(&counts[..bins], &[5, 10]);
}
