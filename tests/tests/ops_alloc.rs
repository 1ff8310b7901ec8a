//! The drift monitor promises "never allocates" per score, per summary,
//! per alert evaluation and per exposition: a counting allocator proves it
//! (the same pattern as tests/tests/alloc.rs, per thread).

use calib_core::binning::SELECT_BUCKETS;
use calib_core::map::{ApplyOptions, MapRef, NonFinite};
use calib_core::metrics::BinStats;
use calib_core::monitor::{self, MonitorConfig, Window, WindowBuffers, evaluate_alerts};
use calib_core::rng::SeededRng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter only touches a thread-local `Cell` that needs no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[track_caller]
fn no_alloc<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let before = ALLOCS.with(Cell::get);
    let r = std::hint::black_box(f());
    assert_eq!(ALLOCS.with(Cell::get) - before, 0, "{what} allocated");
    r
}

/// A `fmt::Write` into a fixed buffer.
struct Fixed<'a>(&'a mut [u8], usize);
impl Write for Fixed<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.1 + s.len();
        if end > self.0.len() {
            return Err(std::fmt::Error);
        }
        self.0[self.1..end].copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

#[test]
fn positive_control_the_counter_sees_allocations() {
    let before = ALLOCS.with(Cell::get);
    std::hint::black_box(vec![1u8; 16]);
    assert!(ALLOCS.with(Cell::get) > before);
}

#[test]
fn observing_summarising_judging_and_exposing_never_allocate() {
    let cfg = MonitorConfig { capacity: 2000, ..MonitorConfig::default() };
    let (mut probs, mut labels, mut sv) = (vec![0.0; 2000], vec![0.0; 2000], vec![0.0; 2000]);
    let mut hist = vec![0u64; cfg.histogram_bins];
    let mut sh = vec![0u32; SELECT_BUCKETS];
    let mut edges = vec![0.0; cfg.bins + 1];
    let mut bins = vec![BinStats::default(); cfg.bins];
    let xs = [0.1, 0.4, 0.6, 0.9];
    let ys = [0.05, 0.3, 0.5, 0.95];
    let map = MapRef::new(&xs, &ys, ApplyOptions::default()).unwrap();
    let fallback =
        MapRef::new(&xs, &ys, ApplyOptions { non_finite: NonFinite::Fallback(0.5), ..Default::default() }).unwrap();
    let mut rng = SeededRng::new(3);
    // More rows than the capacity, so the reservoir path runs too.
    let rows: Vec<(f64, f64)> = (0..5000)
        .map(|i| {
            let s = if i % 97 == 0 { f64::NAN } else { rng.uniform() * 1.2 - 0.1 };
            (s, rng.bernoulli(0.4))
        })
        .collect();
    let mut text = vec![0u8; 16 * 1024];
    no_alloc("a whole window", || {
        let buffers = WindowBuffers {
            probs: &mut probs,
            labels: &mut labels,
            histogram: &mut hist,
            select_hist: &mut sh,
            select_values: &mut sv,
            edges: &mut edges,
            bins: &mut bins,
        };
        let mut w = Window::new(cfg, buffers).unwrap();
        for &(s, y) in &rows {
            let _ = w.observe(&map, s, y).unwrap();
            let _ = w.observe(&fallback, s, y).unwrap();
        }
        assert!(w.observe(&map, 0.5, 2.0).is_err(), "errors do not allocate either");
        let s = w.summary().unwrap();
        assert_eq!(s.sampled, 2000);
        let alerts = evaluate_alerts(&s, Some(&s), &cfg.alerts);
        let mut out = Fixed(&mut text, 0);
        monitor::write_prometheus(&mut out, &s, w.histogram(), &alerts, &[("model", "m")]).unwrap();
        assert!(out.1 > 1000);
        let (a, b) = ([("model", "a")], [("model", "b")]);
        let windows = [
            monitor::Exposed { summary: &s, histogram: w.histogram(), alerts: &alerts, labels: &a },
            monitor::Exposed { summary: &s, histogram: w.histogram(), alerts: &alerts, labels: &b },
        ];
        let mut out = Fixed(&mut text, 0);
        monitor::write_prometheus_windows(&mut out, &windows).unwrap();
        assert!(out.1 > 2000);
        w.reset();
    });
}
