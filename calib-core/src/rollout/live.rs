//! A window of live traffic as a serving process accumulates it: every
//! query scored by both calibrators, its labels when they arrive, and the
//! candidate's request times in the service's latency histogram. Windows of
//! several replicas merge; a closed window becomes the controller's
//! [`WindowReport`] by [`WindowReport::measure`].

use super::WindowReport;
use super::window::WindowTraffic;
use crate::error::{Error, ErrorKind, Result};
use crate::monitor::{MonitorConfig, WindowStorage, evaluate_alerts};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// One window of live traffic, mergeable across replicas.
///
/// Each query (one request) holds its rows' probabilities from the
/// candidate and the incumbent — whichever of them answered, the other
/// scored the same scores in shadow — and, once known, the rows' labels.
/// Request times are counted in buckets with the service's own latency
/// edges, so the window's p99 is the one the service's histogram shows:
/// those of the requests the candidate answered, and apart those of the
/// requests it scored in shadow (see [`LiveWindow::p99_latency_ms`]).
///
/// Only labelled queries are measured ([`LiveWindow::report`]): every gate
/// judges the same rows, and `samples` counts them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveWindow {
    /// Start of the window (ms since the Unix epoch), inclusive.
    pub start_ms: i64,
    /// End of the window (ms since the Unix epoch), exclusive.
    pub end_ms: i64,
    /// Upper edges (ms, increasing) of the latency buckets; one more
    /// bucket counts what lies beyond the last.
    latency_edges_ms: Vec<f64>,
    /// Times of requests the candidate answered, per bucket
    /// (`latency_edges_ms.len() + 1`).
    latency_counts: Vec<u64>,
    /// Times of requests the incumbent answered with the candidate in
    /// shadow, per bucket.
    shadow_latency_counts: Vec<u64>,
    /// Where each query's rows end (exclusive), in query order.
    query_ends: Vec<usize>,
    /// Whether each query's labels are known.
    labelled: Vec<bool>,
    candidate: Vec<f64>,
    incumbent: Vec<f64>,
    /// Labels by row; 0 where the query is not labelled yet.
    labels: Vec<f64>,
}

fn invalid(what: &'static str, detail: alloc::string::String) -> Error {
    Error::new(ErrorKind::InvalidParameter, what).detail(detail)
}

fn check_labels(labels: &[f64], rows: usize) -> Result<()> {
    if labels.len() != rows {
        return Err(Error::new(ErrorKind::LengthMismatch, "labels").counts(labels.len(), rows));
    }
    match labels.iter().position(|y| !(0.0..=1.0).contains(y)) {
        Some(i) => Err(Error::new(ErrorKind::LabelOutOfRange, "labels").at(i).value(labels[i])),
        None => Ok(()),
    }
}

impl LiveWindow {
    /// An empty window over `[start_ms, end_ms)` whose latency buckets end
    /// at `latency_edges_ms` (finite, strictly increasing).
    pub fn new(start_ms: i64, end_ms: i64, latency_edges_ms: &[f64]) -> Result<LiveWindow> {
        if end_ms <= start_ms {
            return Err(invalid("window", alloc::format!("ends at {end_ms}, not after its start {start_ms}")));
        }
        if let Some(i) = (0..latency_edges_ms.len())
            .find(|&i| !latency_edges_ms[i].is_finite() || (i > 0 && latency_edges_ms[i] <= latency_edges_ms[i - 1]))
        {
            return Err(Error::new(ErrorKind::Unsorted, "latency_edges_ms").at(i).value(latency_edges_ms[i]));
        }
        Ok(LiveWindow {
            start_ms,
            end_ms,
            latency_edges_ms: latency_edges_ms.to_vec(),
            latency_counts: alloc::vec![0; latency_edges_ms.len() + 1],
            shadow_latency_counts: alloc::vec![0; latency_edges_ms.len() + 1],
            query_ends: Vec::new(),
            labelled: Vec::new(),
            candidate: Vec::new(),
            incumbent: Vec::new(),
            labels: Vec::new(),
        })
    }

    /// Queries held.
    pub fn queries(&self) -> usize {
        self.query_ends.len()
    }

    /// Rows held (labelled or not).
    pub fn rows(&self) -> usize {
        self.candidate.len()
    }

    /// Rows whose labels are known.
    pub fn labelled_rows(&self) -> usize {
        (0..self.queries()).filter(|&q| self.labelled[q]).map(|q| self.range(q).len()).sum()
    }

    /// Request times counted: those the candidate answered, and those it
    /// scored in shadow.
    pub fn timed(&self) -> (u64, u64) {
        (self.latency_counts.iter().sum(), self.shadow_latency_counts.iter().sum())
    }

    fn range(&self, query: usize) -> core::ops::Range<usize> {
        let start = if query == 0 { 0 } else { self.query_ends[query - 1] };
        start..self.query_ends[query]
    }

    /// Adds one query: both calibrators' probability of each row (NaN, or
    /// any non-finite value, where one gave none), and its labels when the
    /// request carried them. Returns the query's index in the window, for
    /// [`LiveWindow::label`]. Adds nothing on an error.
    pub fn push_query(&mut self, candidate: &[f64], incumbent: &[f64], labels: Option<&[f64]>) -> Result<usize> {
        if incumbent.len() != candidate.len() {
            return Err(Error::new(ErrorKind::LengthMismatch, "incumbent").counts(incumbent.len(), candidate.len()));
        }
        if let Some(y) = labels {
            check_labels(y, candidate.len())?;
        }
        self.candidate.extend_from_slice(candidate);
        self.incumbent.extend_from_slice(incumbent);
        match labels {
            Some(y) => self.labels.extend_from_slice(y),
            None => self.labels.resize(self.candidate.len(), 0.0),
        }
        self.query_ends.push(self.candidate.len());
        self.labelled.push(labels.is_some());
        Ok(self.queries() - 1)
    }

    /// Attaches the labels of query `query`, which arrived after its
    /// scores. Refuses an unknown query, one already labelled, and labels
    /// that are not one in [0, 1] per row.
    pub fn label(&mut self, query: usize, labels: &[f64]) -> Result<()> {
        if query >= self.queries() {
            return Err(invalid(
                "query",
                alloc::format!("query {query} is not in the window ({} queries)", self.queries()),
            ));
        }
        if self.labelled[query] {
            return Err(invalid("query", alloc::format!("query {query} is labelled already")));
        }
        let rows = self.range(query);
        check_labels(labels, rows.len())?;
        self.labels[rows].copy_from_slice(labels);
        self.labelled[query] = true;
        Ok(())
    }

    /// Counts one request that took `ms` from its arrival to its answer,
    /// answered by the candidate or (`answered = false`) by the incumbent
    /// with the candidate in shadow: into the first bucket whose edge it
    /// does not exceed (the Prometheus `le` rule), or the one beyond the
    /// last edge.
    pub fn observe_latency_ms(&mut self, ms: f64, answered: bool) {
        let b = self.latency_edges_ms.iter().position(|&le| ms <= le).unwrap_or(self.latency_edges_ms.len());
        let counts = if answered { &mut self.latency_counts } else { &mut self.shadow_latency_counts };
        counts[b] += 1;
    }

    /// Adds another replica's window of the same span and latency buckets:
    /// its queries follow this window's, its request times add up.
    pub fn merge(&mut self, other: &LiveWindow) -> Result<()> {
        if (other.start_ms, other.end_ms) != (self.start_ms, self.end_ms) {
            return Err(invalid(
                "window",
                alloc::format!(
                    "[{}, {}) cannot merge into [{}, {})",
                    other.start_ms,
                    other.end_ms,
                    self.start_ms,
                    self.end_ms
                ),
            ));
        }
        if other.latency_edges_ms != self.latency_edges_ms {
            return Err(invalid("latency_edges_ms", "the windows' latency buckets differ".into()));
        }
        let offset = self.rows();
        self.query_ends.extend(other.query_ends.iter().map(|e| e + offset));
        self.labelled.extend_from_slice(&other.labelled);
        self.candidate.extend_from_slice(&other.candidate);
        self.incumbent.extend_from_slice(&other.incumbent);
        self.labels.extend_from_slice(&other.labels);
        for (a, b) in self.latency_counts.iter_mut().zip(&other.latency_counts) {
            *a += b;
        }
        for (a, b) in self.shadow_latency_counts.iter_mut().zip(&other.shadow_latency_counts) {
            *a += b;
        }
        Ok(())
    }

    /// The p99 of the candidate's request path by the histogram: the upper
    /// edge of the bucket that holds the request of rank ⌈0.99·n⌉ — the
    /// smallest bound the histogram can vouch for, never an interpolation
    /// below it. Beyond the last edge it is `f64::MAX` (above every
    /// threshold); `None` when no request was timed.
    ///
    /// Over the requests the candidate answered; in a window where it
    /// answered none (the rollout is off, so it only runs in shadow), over
    /// the requests it scored in shadow. Those ran it on the same path and
    /// ran the incumbent besides, so they can only overstate its p99.
    pub fn p99_latency_ms(&self) -> Option<f64> {
        let (answered, shadow) = self.timed();
        let (counts, n) =
            if answered > 0 { (&self.latency_counts, answered) } else { (&self.shadow_latency_counts, shadow) };
        if n == 0 {
            return None;
        }
        // ⌈0.99·n⌉ in integers: exact, and no float rounding at the edge.
        let rank = n.saturating_mul(99).div_ceil(100).clamp(1, n);
        let mut seen = 0;
        for (b, &c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(self.latency_edges_ms.get(b).copied().unwrap_or(f64::MAX));
            }
        }
        Some(f64::MAX)
    }

    /// The controller's report of the window, by [`WindowReport::measure`]
    /// over its labelled queries (the candidate's monitor summary is taken
    /// over those rows with `monitor`'s bins, and judged by its alert rules
    /// without a baseline), with the p99 of
    /// [`LiveWindow::p99_latency_ms`]. `c_hat` is the candidate manifest's
    /// ĉ; without one the window has no AECE (nor τ). A window without a
    /// labelled row has `samples = 0`, so every gate is `NoData`.
    pub fn report(&self, c_hat: Option<f64>, monitor: &MonitorConfig) -> Result<WindowReport> {
        let rows = self.labelled_rows();
        let (mut candidate, mut incumbent, mut labels) =
            (Vec::with_capacity(rows), Vec::with_capacity(rows), Vec::with_capacity(rows));
        let mut query_ids: Vec<alloc::string::String> = Vec::with_capacity(rows);
        let mut storage = WindowStorage::for_rows(monitor, rows)?;
        let mut window = storage.window()?;
        for q in (0..self.queries()).filter(|&q| self.labelled[q]) {
            let name = alloc::format!("{q}");
            for i in self.range(q) {
                let (p, y) = (self.candidate[i], self.labels[i]);
                // A row the candidate gave no probability is in the traffic
                // (so the window has no shift nor Recall@50) but not in the
                // monitor's summary of what it calibrated.
                if p.is_finite() {
                    window.observe_probability(p, y)?;
                }
                candidate.push(p);
                incumbent.push(self.incumbent[i]);
                labels.push(y);
                query_ids.push(name.clone());
            }
        }
        let summary = window.summary()?;
        let alerts = evaluate_alerts(&summary, None, &monitor.alerts);
        let mut report = WindowReport::measure(&WindowTraffic {
            start_ms: self.start_ms,
            end_ms: self.end_ms,
            candidate: &candidate,
            incumbent: &incumbent,
            labels: &labels,
            query_ids: &query_ids,
            latencies_ms: None,
            monitor: &summary,
            alerts: &alerts,
            c_hat: c_hat.unwrap_or(0.0),
        })?;
        report.p99_latency_ms = self.p99_latency_ms();
        if c_hat.is_none() {
            (report.aece, report.tau) = (None, None);
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::MINUTE_MS;

    const EDGES: [f64; 3] = [0.1, 0.5, 1.0];

    fn window() -> LiveWindow {
        LiveWindow::new(0, 15 * MINUTE_MS, &EDGES).unwrap()
    }

    #[test]
    fn late_labels_join_their_query_and_only_labelled_queries_are_measured() {
        let mut w = window();
        let a = w.push_query(&[0.2, 0.8], &[0.3, 0.7], None).unwrap();
        let b = w.push_query(&[0.1, 0.9, 0.6], &[0.1, 0.9, 0.5], Some(&[0.0, 1.0, 1.0])).unwrap();
        assert_eq!((a, b, w.rows(), w.labelled_rows()), (0, 1, 5, 3));
        let r = w.report(Some(1.0), &MonitorConfig::default()).unwrap();
        assert_eq!(r.samples, 3);
        assert_eq!(r.median_confidence_shift, Some(0.0));

        // The wrong number of labels, or one out of range, changes nothing.
        assert_eq!(w.label(a, &[1.0]).unwrap_err().kind(), ErrorKind::LengthMismatch);
        assert_eq!(w.label(a, &[1.0, 2.0]).unwrap_err().kind(), ErrorKind::LabelOutOfRange);
        assert_eq!(w.labelled_rows(), 3);
        w.label(a, &[0.0, 1.0]).unwrap();
        assert_eq!(w.label(a, &[0.0, 1.0]).unwrap_err().kind(), ErrorKind::InvalidParameter);
        assert_eq!(w.label(7, &[0.0]).unwrap_err().kind(), ErrorKind::InvalidParameter);

        let r = w.report(Some(1.0), &MonitorConfig::default()).unwrap();
        assert_eq!(r.samples, 5);
        // |Δ| = 0.1, 0.1, 0, 0, 0.1: the median is 0.1 (to rounding).
        assert!(r.median_confidence_shift.is_some_and(|m| (m - 0.1).abs() < 1e-12));
        let m = crate::metrics::tau(5, MonitorConfig::default().bins, 1.0);
        assert_eq!(r.tau, Some(m));
        let no_c_hat = w.report(None, &MonitorConfig::default()).unwrap();
        assert_eq!((no_c_hat.aece, no_c_hat.tau), (None, None));
        assert_eq!(no_c_hat.median_confidence_shift, r.median_confidence_shift);
    }

    #[test]
    fn p99_is_the_bucket_edge_the_histogram_vouches_for() {
        let mut w = window();
        assert_eq!(w.p99_latency_ms(), None);
        // Only shadow requests (the rollout is off): they are what there is.
        w.observe_latency_ms(0.3, false);
        assert_eq!(w.p99_latency_ms(), Some(0.5));
        for _ in 0..99 {
            w.observe_latency_ms(0.05, true);
        }
        w.observe_latency_ms(0.7, true);
        // Rank ⌈0.99 · 100⌉ = 99 is in the first bucket.
        assert_eq!(w.p99_latency_ms(), Some(0.1));
        w.observe_latency_ms(0.1, true);
        // 101 requests: rank 100 is the one at 0.1 (an edge counts in its bucket).
        assert_eq!(w.p99_latency_ms(), Some(0.1));
        w.observe_latency_ms(5.0, true);
        w.observe_latency_ms(5.0, true);
        // 103 requests: rank 102 lies beyond the last edge.
        assert_eq!(w.p99_latency_ms(), Some(f64::MAX));
    }

    #[test]
    fn merged_windows_measure_what_one_window_of_all_the_traffic_does() {
        let queries: [(&[f64], &[f64], &[f64]); 4] = [
            (&[0.2, 0.8], &[0.3, 0.7], &[0.0, 1.0]),
            (&[0.1, 0.9, 0.6], &[0.1, 0.9, 0.5], &[0.0, 1.0, 1.0]),
            (&[0.4], &[0.45], &[0.0]),
            (&[0.7, 0.3], &[0.6, 0.2], &[1.0, 0.0]),
        ];
        let mut whole = window();
        let (mut left, mut right) = (window(), window());
        for (i, (c, inc, y)) in queries.iter().enumerate() {
            whole.push_query(c, inc, Some(y)).unwrap();
            let part = if i % 2 == 0 { &mut left } else { &mut right };
            part.push_query(c, inc, None).unwrap();
            part.label(part.queries() - 1, y).unwrap();
            part.observe_latency_ms(0.2 * i as f64, i != 1);
            whole.observe_latency_ms(0.2 * i as f64, i != 1);
        }
        let mut merged = left.clone();
        merged.merge(&right).unwrap();
        let config = MonitorConfig::default();
        let (m, w) = (merged.report(Some(1.0), &config).unwrap(), whole.report(Some(1.0), &config).unwrap());
        // Row order differs, which no measurement depends on.
        assert_eq!((m.samples, m.p99_latency_ms, m.tau), (w.samples, w.p99_latency_ms, w.tau));
        assert_eq!((merged.timed(), merged.rows()), ((3, 1), whole.rows()));
        assert_eq!(
            (m.median_confidence_shift, m.recall_at_50_delta),
            (w.median_confidence_shift, w.recall_at_50_delta)
        );
        assert!(m.aece.zip(w.aece).is_some_and(|(a, b)| (a - b).abs() < 1e-12));

        let other = LiveWindow::new(15 * MINUTE_MS, 30 * MINUTE_MS, &EDGES).unwrap();
        assert_eq!(merged.merge(&other).unwrap_err().kind(), ErrorKind::InvalidParameter);
        let buckets = LiveWindow::new(0, 15 * MINUTE_MS, &[1.0]).unwrap();
        assert_eq!(merged.merge(&buckets).unwrap_err().kind(), ErrorKind::InvalidParameter);
        assert!(LiveWindow::new(0, 1, &[1.0, 1.0]).is_err());
    }
}
