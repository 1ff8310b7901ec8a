//! From a batch to the controller: a batch run through the candidate (with
//! the drift monitor) and the incumbent, and the monitored window handed to
//! the one window rule, `WindowReport::measure`.

use super::{Batch, ITEMS_PER_QUERY, WINDOW_MS, World};
use crate::error::Result;
use crate::map::MapRef;
use crate::monitor::{WindowStorage, WindowSummary, evaluate_alerts};
use crate::rollout::{WindowReport, WindowTraffic};
use alloc::borrow::Cow;
use alloc::format;
use alloc::vec::Vec;

/// One window as the monitor saw it.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The monitor's summary.
    pub summary: WindowSummary,
    /// The alerts, against the world's baseline.
    pub alerts: [crate::monitor::Alert; 3],
    /// The candidate's probability for each row (`None`: refused or NaN).
    pub outputs: Vec<Option<f64>>,
    /// The incumbent's.
    pub incumbent: Vec<Option<f64>>,
    /// The rows' labels.
    pub labels: Vec<f64>,
    /// Probabilities outside [0, 1] or not finite that the monitor refused.
    pub bad_outputs: u64,
}

/// Runs a batch through the candidate (with the drift monitor) and the incumbent.
pub fn measure(world: &World, storage: &mut WindowStorage, batch: &Batch) -> Result<Measured> {
    let mut w = storage.window()?;
    let cand = world.candidate.global_map();
    let inc: MapRef<'_> = world.incumbent.global_map();
    let mut outputs = Vec::with_capacity(batch.scores.len());
    let mut incumbent = Vec::with_capacity(batch.scores.len());
    let mut bad = 0u64;
    for (&s, &y) in batch.scores.iter().zip(&batch.labels) {
        match w.observe(&cand, s, y) {
            Ok(p) => outputs.push(p),
            Err(_) => {
                bad += 1;
                outputs.push(None);
            }
        }
        incumbent.push(inc.apply(s).ok().filter(|p| p.is_finite()));
    }
    let summary = w.summary()?;
    let alerts = evaluate_alerts(&summary, Some(&world.baseline), &world.monitor.alerts);
    Ok(Measured { summary, alerts, outputs, incumbent, labels: batch.labels.clone(), bad_outputs: bad })
}

/// The controller's window for a monitored window starting at `start_ms`:
/// the world's traffic handed to [`WindowReport::measure`], without timings
/// (latency is not what chaos tests), against the world's ĉ (see the module
/// docs for which measurements a window lacks).
pub fn window_report(world: &World, m: &Measured, start_ms: i64) -> Result<WindowReport> {
    let served = |p: &[Option<f64>]| -> Vec<f64> { p.iter().map(|p| p.unwrap_or(f64::NAN)).collect() };
    let (candidate, incumbent) = (served(&m.outputs), served(&m.incumbent));
    // Queries are consecutive blocks of ITEMS_PER_QUERY rows.
    let query_ids: Vec<Cow<'_, str>> = (0..m.outputs.len())
        .map(|i| match world.query_ids.get(i / ITEMS_PER_QUERY) {
            Some(q) => Cow::Borrowed(q.as_str()),
            None => Cow::Owned(format!("q{}", i / ITEMS_PER_QUERY)),
        })
        .collect();
    WindowReport::measure(&WindowTraffic {
        start_ms,
        end_ms: start_ms + WINDOW_MS,
        candidate: &candidate,
        incumbent: &incumbent,
        labels: &m.labels,
        query_ids: &query_ids,
        latencies_ms: None,
        monitor: &m.summary,
        alerts: &m.alerts,
        c_hat: world.c_hat,
    })
}
