//! The drift monitor of each calibrator: calib-core's streaming
//! [`Window`], fed with the labelled rows requests carry.
//!
//! A score's label is known only later (a click, a judgement), so requests
//! may carry `labels`; only those rows reach the monitor. The clamp rate of
//! *all* served scores is counted separately (see `metrics`).
//!
//! Each role has one window of `window` length. The first completed window
//! with enough rows for the drift rule becomes that calibrator's
//! **baseline**; `/metrics` exposes the window in progress, judged by the
//! alert rules against it. A new model in a role (another model digest)
//! starts that role's monitor afresh: drift is measured against the model
//! being served.
//!
//! The windows' buffers are allocated once, when the service starts, for
//! the life of the process (one per role), so a window never allocates per
//! score.

use crate::load::{Role, Served, Snapshot};
use crate::prometheus;
use calib_core::monitor::{
    Exposed, MonitorConfig, Window, WindowStorage, WindowSummary, evaluate_alerts, write_prometheus_windows,
};
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct RoleWindow {
    window: Window<'static>,
    started: Instant,
    /// The model digest the window measures.
    model: Option<String>,
    baseline: Option<WindowSummary>,
    completed: u64,
}

impl RoleWindow {
    /// Starts afresh when the role now serves another model, and closes the
    /// window when its time is up.
    fn bring_up_to_date(
        &mut self,
        served: &Served,
        length: Duration,
        config: &MonitorConfig,
    ) -> calib_core::Result<()> {
        if self.model.as_deref() != Some(served.model_sha256.as_str()) {
            self.window.reset();
            self.started = Instant::now();
            self.model = Some(served.model_sha256.clone());
            self.baseline = None;
            self.completed = 0;
        }
        if self.started.elapsed() >= length {
            let summary = self.window.summary()?;
            if self.baseline.is_none() && summary.sampled >= config.alerts.aece_drift.min_samples {
                self.baseline = Some(summary);
            }
            self.completed += 1;
            self.window.reset();
            self.started = Instant::now();
        }
        Ok(())
    }
}

/// The drift monitors of both roles.
pub struct Drift {
    config: MonitorConfig,
    length: Duration,
    roles: [Mutex<RoleWindow>; 2],
}

impl std::fmt::Debug for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drift").field("config", &self.config).field("length", &self.length).finish_non_exhaustive()
    }
}

/// Why labelled rows were not monitored.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftError(pub String);

/// Labels a request may carry: one per score, each in [0, 1].
pub fn check_labels(scores: &[f64], labels: &[f64]) -> Result<(), DriftError> {
    if labels.len() != scores.len() {
        return Err(DriftError(format!("{} labels for {} scores", labels.len(), scores.len())));
    }
    match labels.iter().enumerate().find(|(_, y)| !(0.0..=1.0).contains(*y)) {
        Some((i, y)) => Err(DriftError(format!("label {y} at index {i} of labels is outside [0, 1]"))),
        None => Ok(()),
    }
}

impl Drift {
    /// Monitors with windows of `length`, keeping `config.capacity` rows each.
    pub fn new(config: MonitorConfig, length: Duration) -> calib_core::Result<Drift> {
        let make = || -> calib_core::Result<Mutex<RoleWindow>> {
            // Two storages for the life of the process: the window borrows
            // its buffers, and the monitor lives as long as the service.
            let storage: &'static mut WindowStorage = Box::leak(Box::new(WindowStorage::new(&config)?));
            Ok(Mutex::new(RoleWindow {
                window: storage.window()?,
                started: Instant::now(),
                model: None,
                baseline: None,
                completed: 0,
            }))
        };
        Ok(Drift { config, length, roles: [make()?, make()?] })
    }

    fn role(&self, role: Role) -> std::sync::MutexGuard<'_, RoleWindow> {
        // A panic while holding the lock leaves counters, not broken memory.
        self.roles[role.index()].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds labelled rows served by `served` (class `class`).
    pub fn observe(
        &self,
        served: &Served,
        class: Option<&str>,
        scores: &[f64],
        labels: &[f64],
    ) -> Result<(), DriftError> {
        // Checked first, so a bad label adds no row of the request.
        check_labels(scores, labels)?;
        let map = served.calibrator.model().map(class);
        let mut rw = self.role(served.role);
        rw.bring_up_to_date(served, self.length, &self.config).map_err(|e| DriftError(e.to_string()))?;
        for (&s, &y) in scores.iter().zip(labels) {
            rw.window.observe(&map, s, y).map_err(|e| DriftError(e.to_string()))?;
        }
        Ok(())
    }

    /// The exposition of every loaded calibrator's window in progress, one
    /// family per metric with a sample per calibrator, plus whether each
    /// has its baseline and how many windows it completed.
    pub fn expose(&self, snapshot: &Snapshot, out: &mut String) {
        // Each calibrator's window, summarised under its lock, then written
        // together so every family appears once.
        let mut parts = Vec::new();
        let mut ready = Vec::new();
        for served in snapshot.served() {
            let mut rw = self.role(served.role);
            let measured = rw.bring_up_to_date(served, self.length, &self.config).and_then(|()| {
                let summary = rw.window.summary()?;
                let alerts = evaluate_alerts(&summary, rw.baseline.as_ref(), &self.config.alerts);
                Ok((summary, rw.window.histogram().to_vec(), alerts))
            });
            match measured {
                Ok(part) => parts.push((served, part)),
                Err(e) => eprintln!("calib-serving: drift metrics of the {}: {e}", served.role.name()),
            }
            ready.push((served.role, rw.baseline.is_some(), rw.completed));
        }
        let labels: Vec<[(&str, &str); 2]> = parts
            .iter()
            .map(|(served, _)| [("calibrator", served.role.name()), ("model_sha256", served.model_sha256.as_str())])
            .collect();
        let windows: Vec<Exposed<'_>> = parts
            .iter()
            .zip(&labels)
            .map(|((_, (summary, histogram, alerts)), labels)| Exposed { summary, histogram, alerts, labels })
            .collect();
        if let Err(e) = write_prometheus_windows(out, &windows) {
            eprintln!("calib-serving: drift metrics: {e}");
        }
        prometheus::per_calibrator(
            out,
            "calib_serving_drift_baseline_ready",
            "gauge",
            "1 once the calibrator's drift baseline (its first full window with enough rows) is set.",
            ready.iter().map(|(role, has, _)| (role.name(), f64::from(u8::from(*has)))),
        );
        prometheus::per_calibrator(
            out,
            "calib_serving_drift_windows_total",
            "counter",
            "Drift windows the calibrator's monitor completed since its model was loaded.",
            ready.iter().map(|(role, _, completed)| (role.name(), *completed as f64)),
        );
    }
}
