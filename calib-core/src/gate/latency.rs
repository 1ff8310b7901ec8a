//! The p99-latency gate's timings, and taking them in-process (with `std`).

use crate::error::Error;
#[cfg(feature = "std")]
use {
    super::Holdout, crate::error::Result, crate::map::ApplyStats, crate::model::Model, crate::recall::QueryGroups,
    alloc::vec::Vec,
};

/// Items per query that the latency gate applies the candidate to.
pub const LATENCY_ITEMS: usize = 50;

/// Timings for the p99-latency gate.
#[derive(Debug, Clone)]
pub enum Latencies<'a> {
    /// Per-query wall times in milliseconds.
    Measured(&'a [f64]),
    /// Not measured (e.g. no clock without `std`): the gate has no data.
    Missing,
    /// The measurement failed: the gate is `Error`.
    Failed(Error),
}

/// Times the candidate in-process: for each query, the wall time (ms)
/// to apply it to the query's first [`LATENCY_ITEMS`] items, after one
/// untimed warm-up pass over every query.
#[cfg(feature = "std")]
pub fn measure_latencies<Q: AsRef<str>, C: AsRef<str>>(model: &Model, holdout: &Holdout<'_, Q, C>) -> Result<Vec<f64>> {
    holdout.validate()?;
    let groups = QueryGroups::new(holdout.query_ids);
    // Gather each query's inputs first, so only the apply is timed.
    let batches: Vec<(Vec<f64>, Option<Vec<&str>>)> = groups
        .iter()
        .map(|rows| {
            let rows = &rows[..rows.len().min(LATENCY_ITEMS)];
            let scores = rows.iter().map(|&i| holdout.scores[i]).collect();
            let classes = holdout.classes.map(|c| rows.iter().map(|&i| c[i].as_ref()).collect());
            (scores, classes)
        })
        .collect();
    let mut out = [0.0; LATENCY_ITEMS];
    let mut stats = ApplyStats::default();
    let mut run = |(scores, classes): &(Vec<f64>, Option<Vec<&str>>)| {
        let r = model.apply_rows(classes.as_deref(), scores, &mut out, &mut stats);
        // Keep the optimiser from dropping the work being timed.
        std::hint::black_box(&out);
        r
    };
    for b in &batches {
        run(b)?;
    }
    let mut times = Vec::with_capacity(batches.len());
    for b in &batches {
        let start = std::time::Instant::now();
        run(b)?;
        let elapsed = start.elapsed();
        times.push(elapsed.as_secs_f64() * 1e3);
    }
    Ok(times)
}
