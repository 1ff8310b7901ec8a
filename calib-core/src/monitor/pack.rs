//! Owned window storage, and the drift pack: everything `calib report`
//! shows, computed here so every number on the page is the core's.

use super::calendar::{DAY_MS, day_label, iso_week_label, week_start_day};
use super::{Alert, MonitorConfig, Window, WindowBuffers, WindowSummary, evaluate_alerts};
use crate::binning::{BinStrategy, SELECT_BUCKETS};
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{self, BinStats, ReliabilityBin};
use crate::model::Model;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Version of the drift pack's JSON form.
pub const PACK_VERSION: u32 = 1;

/// Buffers for one [`Window`], owned. Allocated once; a window over them
/// allocates nothing per score.
#[derive(Debug, Clone)]
pub struct WindowStorage {
    config: MonitorConfig,
    probs: Vec<f64>,
    labels: Vec<f64>,
    histogram: Vec<u64>,
    select_hist: Vec<u32>,
    select_values: Vec<f64>,
    edges: Vec<f64>,
    bins: Vec<BinStats>,
}

impl WindowStorage {
    /// Storage for windows of `config` (`capacity` rows kept).
    pub fn new(config: &MonitorConfig) -> Result<Self> {
        config.validate()?;
        let c = config.capacity;
        Ok(WindowStorage {
            config: *config,
            probs: vec![0.0; c],
            labels: vec![0.0; c],
            histogram: vec![0; config.histogram_bins],
            select_hist: vec![0; SELECT_BUCKETS],
            select_values: vec![0.0; c],
            edges: vec![0.0; config.bins + 1],
            bins: vec![BinStats::default(); config.bins],
        })
    }

    /// Storage for windows that never hold more than `rows` rows: the
    /// capacity shrinks to that, which changes no result (the reservoir
    /// only starts beyond `capacity`).
    pub fn for_rows(config: &MonitorConfig, rows: usize) -> Result<Self> {
        let mut c = *config;
        c.capacity = config.capacity.min(rows.max(1));
        WindowStorage::new(&c)
    }

    /// An empty window over this storage.
    pub fn window(&mut self) -> Result<Window<'_>> {
        Window::new(
            self.config,
            WindowBuffers {
                probs: &mut self.probs,
                labels: &mut self.labels,
                histogram: &mut self.histogram,
                select_hist: &mut self.select_hist,
                select_values: &mut self.select_values,
                edges: &mut self.edges,
                bins: &mut self.bins,
            },
        )
    }
}

/// Labelled rows to monitor: scores, labels, and optionally each row's class
/// (its map; the global map otherwise) and time (ms since the Unix epoch).
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a, C> {
    /// Raw scores.
    pub scores: &'a [f64],
    /// Labels in [0, 1].
    pub labels: &'a [f64],
    /// Class of each row.
    pub classes: Option<&'a [C]>,
    /// Time of each row, for the daily and weekly trends.
    pub timestamps_ms: Option<&'a [i64]>,
}

impl<C> Rows<'_, C> {
    fn validate(&self) -> Result<()> {
        let n = self.scores.len();
        let lens = [
            ("labels", Some(self.labels.len())),
            ("classes", self.classes.map(<[C]>::len)),
            ("timestamps", self.timestamps_ms.map(<[i64]>::len)),
        ];
        for (what, len) in lens {
            if let Some(l) = len
                && l != n
            {
                return Err(Error::new(ErrorKind::LengthMismatch, what).counts(l, n));
            }
        }
        if n == 0 {
            return Err(Error::new(ErrorKind::EmptyInput, "rows"));
        }
        Ok(())
    }
}

/// A histogram of calibrated probabilities: `counts[b]` over
/// `(edges[b], edges[b + 1]]` (the first bin closed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistogramData {
    /// `histogram_bins + 1` equal-width edges of [0, 1].
    pub edges: Vec<f64>,
    /// Rows per bin.
    pub counts: Vec<u64>,
}

/// One day or ISO week of the trends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// `YYYY-MM-DD` (UTC) or `YYYY-Www` (ISO week).
    pub label: String,
    /// Start, inclusive (ms since the Unix epoch).
    pub start_ms: i64,
    /// End, exclusive.
    pub end_ms: i64,
    /// The period's window.
    pub summary: WindowSummary,
    /// Its alerts (the drift rule against the baseline).
    pub alerts: Vec<Alert>,
}

/// Everything the report shows: the window of all rows, its alerts, the
/// baseline's window, histograms, reliability bins, per-class windows and
/// the daily and weekly trends. Its JSON is `calib report --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftPack {
    /// [`PACK_VERSION`].
    pub pack_version: u32,
    /// The monitor's settings.
    pub config: MonitorConfig,
    /// Rows of the input.
    pub rows: u64,
    /// The window of every input row.
    pub window: WindowSummary,
    /// Its alerts, against the baseline.
    pub alerts: Vec<Alert>,
    /// The baseline's window, when one was given.
    pub baseline: Option<WindowSummary>,
    /// Histogram of the input's calibrated probabilities.
    pub histogram: HistogramData,
    /// The baseline's histogram.
    pub baseline_histogram: Option<HistogramData>,
    /// Reliability bins (K equal-width bins, non-empty ones) of the input.
    pub reliability: Vec<ReliabilityBin>,
    /// The baseline's reliability bins.
    pub baseline_reliability: Option<Vec<ReliabilityBin>>,
    /// The window of each class's rows (rows without a class column: none).
    pub classes: BTreeMap<String, WindowSummary>,
    /// One window per UTC day (with a timestamp column).
    pub daily: Vec<Period>,
    /// One window per ISO week (with a timestamp column).
    pub weekly: Vec<Period>,
}

/// A drift-pack failure: a core [`Error`] and which input it is about.
///
/// Its code is the [`Error`]'s: a drift pack adds no failure of its own,
/// only whether the rows at fault are the baseline's.
#[derive(Debug, Clone, PartialEq)]
pub struct PackError {
    baseline: bool,
    error: Error,
}

impl PackError {
    /// Whether the error is about the baseline's rows (else the input's).
    pub fn is_baseline(&self) -> bool {
        self.baseline
    }
    /// The error; its index is the row of that input.
    pub fn error(&self) -> &Error {
        &self.error
    }
    /// The kind of the error.
    pub fn kind(&self) -> ErrorKind {
        self.error.kind()
    }
    /// The stable code of the error (see [`crate::error`]).
    pub fn code(&self) -> &'static str {
        self.error.code()
    }
    /// The error, without saying which input it is about.
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl From<Error> for PackError {
    fn from(error: Error) -> Self {
        PackError { baseline: false, error }
    }
}

impl core::fmt::Display for PackError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.baseline {
            f.write_str("baseline: ")?;
        }
        write!(f, "{}", self.error)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PackError {}

struct Run {
    summary: WindowSummary,
    histogram: Vec<u64>,
    probs: Vec<f64>,
    labels: Vec<f64>,
}

/// Runs `rows` (those at `idx`, or all) through a fresh window.
fn run<C: AsRef<str>>(
    w: &mut Window<'_>,
    model: &Model,
    rows: &Rows<'_, C>,
    idx: Option<&[usize]>,
    keep: bool,
) -> Result<Run> {
    w.reset();
    let (mut probs, mut labels) = (Vec::new(), Vec::new());
    let mut one = |i: usize| -> Result<()> {
        let map = model.map(rows.classes.map(|c| c[i].as_ref()));
        let p = w.observe(&map, rows.scores[i], rows.labels[i]).map_err(|e| e.with_index(i))?;
        if let (true, Some(p)) = (keep, p) {
            probs.push(p);
            labels.push(rows.labels[i]);
        }
        Ok(())
    };
    match idx {
        Some(idx) => idx.iter().try_for_each(|&i| one(i))?,
        None => (0..rows.scores.len()).try_for_each(&mut one)?,
    }
    Ok(Run { summary: w.summary()?, histogram: w.histogram().to_vec(), probs, labels })
}

/// The window of `rows` under `model` — each row served by its class's map
/// — and its histogram: what one monitored window reports.
pub fn window_of<C: AsRef<str>>(
    model: &Model,
    rows: &Rows<'_, C>,
    config: &MonitorConfig,
) -> Result<(WindowSummary, HistogramData)> {
    rows.validate()?;
    let mut storage = WindowStorage::for_rows(config, rows.scores.len())?;
    let mut w = storage.window()?;
    let r = run(&mut w, model, rows, None, false)?;
    Ok((r.summary, histogram_data(r.histogram)))
}

fn histogram_data(counts: Vec<u64>) -> HistogramData {
    let h = counts.len();
    HistogramData { edges: (0..=h).map(|k| k as f64 / h as f64).collect(), counts }
}

fn reliability(r: &Run, k: usize) -> Result<Vec<ReliabilityBin>> {
    if r.probs.is_empty() {
        return Ok(Vec::new());
    }
    metrics::reliability_bins(&r.probs, &r.labels, None, k, BinStrategy::EqualWidth)
}

/// Groups row indices by a key, keys ascending, rows in input order.
fn groups<K: Ord>(n: usize, key: impl Fn(usize) -> K) -> BTreeMap<K, Vec<usize>> {
    let mut g: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        g.entry(key(i)).or_default().push(i);
    }
    g
}

/// Builds the drift pack of `current` (and `baseline`) under `model`.
///
/// Decisions (docs/concepts.md §15): each row is served by its class's map
/// (the global map without one), exactly as in serving; days are UTC days
/// and weeks ISO weeks (Monday to Sunday, named by the year of their
/// Thursday); a period's drift rule compares it with the baseline's window
/// (no baseline: no data); reliability bins are K equal-width bins, like
/// `calib demo`'s diagram.
pub fn drift_pack<C: AsRef<str>>(
    model: &Model,
    current: &Rows<'_, C>,
    baseline: Option<&Rows<'_, C>>,
    config: &MonitorConfig,
) -> core::result::Result<DriftPack, PackError> {
    config.validate()?;
    current.validate()?;
    let as_baseline = |error: Error| PackError { baseline: true, error };
    if let Some(b) = baseline {
        b.validate().map_err(as_baseline)?;
    }
    let most = current.scores.len().max(baseline.map_or(0, |b| b.scores.len()));
    let mut storage = WindowStorage::for_rows(config, most)?;
    let mut w = storage.window()?;
    let k = config.bins;

    let base = match baseline {
        Some(b) => Some(run(&mut w, model, b, None, true).map_err(as_baseline)?),
        None => None,
    };
    let base_summary = base.as_ref().map(|b| b.summary);
    let all = run(&mut w, model, current, None, true)?;
    let judge = |s: &WindowSummary| evaluate_alerts(s, base_summary.as_ref(), &config.alerts).to_vec();

    let mut classes = BTreeMap::new();
    if let Some(c) = current.classes {
        for (name, idx) in groups(c.len(), |i| c[i].as_ref()) {
            classes.insert(name.to_string(), run(&mut w, model, current, Some(&idx), false)?.summary);
        }
    }

    let (mut daily, mut weekly) = (Vec::new(), Vec::new());
    if let Some(t) = current.timestamps_ms {
        let day = |i: usize| t[i].div_euclid(DAY_MS);
        for (d, idx) in groups(t.len(), day) {
            let summary = run(&mut w, model, current, Some(&idx), false)?.summary;
            let start = d * DAY_MS;
            daily.push(Period {
                label: day_label(d),
                start_ms: start,
                end_ms: start + DAY_MS,
                alerts: judge(&summary),
                summary,
            });
        }
        for (d, idx) in groups(t.len(), |i| week_start_day(day(i))) {
            let summary = run(&mut w, model, current, Some(&idx), false)?.summary;
            let start = d * DAY_MS;
            weekly.push(Period {
                label: iso_week_label(d),
                start_ms: start,
                end_ms: start + 7 * DAY_MS,
                alerts: judge(&summary),
                summary,
            });
        }
    }

    Ok(DriftPack {
        pack_version: PACK_VERSION,
        config: *config,
        rows: current.scores.len() as u64,
        window: all.summary,
        alerts: judge(&all.summary),
        baseline: base_summary,
        reliability: reliability(&all, k)?,
        baseline_reliability: base.as_ref().map(|b| reliability(b, k)).transpose().map_err(as_baseline)?,
        histogram: histogram_data(all.histogram),
        baseline_histogram: base.map(|b| histogram_data(b.histogram)),
        classes,
        daily,
        weekly,
    })
}
