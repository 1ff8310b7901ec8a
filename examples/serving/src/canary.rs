//! The live canary's windows: every request scored by both calibrators,
//! held in calib-core's [`LiveWindow`] of the time it was served in, joined
//! with labels that arrive later (`POST /feedback`), and judged into a
//! [`WindowReport`] once the window and its label grace period are over.
//!
//! This module only moves data and time; what a window measures, how its
//! p99 is read from the histogram and how windows merge are calib-core's
//! (`rollout::LiveWindow`). See docs/design/live-canary.md.
//!
//! - **Windows** are `window_minutes` of the rollout config long, aligned
//!   to the epoch, by the canary's [`Clock`]: the system clock, or one the
//!   tests set (`--canary-manual-clock-ms` and `POST /canary/clock`).
//! - **Judging**: a window is judged when the clock has passed its end plus
//!   `label_delay_minutes`, at the next request or read that looks (every
//!   `/calibrate`, `/feedback`, `/canary` and `/metrics`).
//! - **The join store** holds the rows of every window not yet judged, at
//!   most `--canary-capacity-rows` of them; a request that does not fit is
//!   served but not held (no `request_id`), and counted.

use crate::load::{Role, Snapshot};
use crate::prometheus::Family;
use calib_core::monitor::MonitorConfig;
use calib_core::rollout::{Config, LiveWindow, WindowGate, WindowReport};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::Duration;

/// Closed windows kept for `/canary` and `/metrics` (a day of 15-minute windows).
pub const KEPT_REPORTS: usize = 96;

/// The default bound of the join store, in rows: 1 Mi rows, about 24 MiB of
/// probabilities and labels (three `f64` a row) plus the per-request index.
pub const DEFAULT_CAPACITY_ROWS: usize = 1 << 20;

/// Where the canary's time comes from.
#[derive(Debug)]
pub enum Clock {
    /// The system clock.
    System,
    /// A clock only `POST /canary/clock` moves (tests: many windows in
    /// seconds, none slept through).
    Manual(AtomicI64),
}

impl Clock {
    /// Now, in ms since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
            Clock::Manual(ms) => ms.load(Relaxed),
        }
    }
}

/// Why `POST /feedback` refused labels; each is counted on `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackRefusal {
    /// Not an id this process issued (another process or replica, or garbage).
    Unknown,
    /// Issued here, but its window has been judged (or it was never held).
    Expired,
    /// The request's labels are known already.
    AlreadyLabelled,
    /// Not one label in [0, 1] per score of the request.
    BadLabels,
}

impl FeedbackRefusal {
    /// Every refusal, in exposition order.
    pub const ALL: [FeedbackRefusal; 4] = [
        FeedbackRefusal::Unknown,
        FeedbackRefusal::Expired,
        FeedbackRefusal::AlreadyLabelled,
        FeedbackRefusal::BadLabels,
    ];

    /// The answer's error code and the metric's `result` label.
    pub fn code(self) -> &'static str {
        match self {
            FeedbackRefusal::Unknown => "unknown_request_id",
            FeedbackRefusal::Expired => "request_expired",
            FeedbackRefusal::AlreadyLabelled => "already_labelled",
            FeedbackRefusal::BadLabels => "bad_labels",
        }
    }
}

/// A closed window: its report and the gates' verdicts under the config.
#[derive(Debug, Clone, Serialize)]
pub struct Closed {
    /// When it was judged (canary clock, ms).
    pub judged_at_ms: i64,
    /// What it measured.
    pub report: WindowReport,
    /// Each gate's verdict, in calib-core's gate order.
    pub gates: [WindowGate; 4],
}

/// Why a served request was not held for the canary; each is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotHeld {
    /// The join store holds `--canary-capacity-rows` rows already.
    Full,
    /// Its window has been judged (the manual clock was set back).
    Judged,
    /// Its window measures another candidate or incumbent: a reload
    /// swapped a model in within the window. The next window measures the
    /// new pair.
    ModelChanged,
}

impl NotHeld {
    /// Every reason, in exposition order.
    pub const ALL: [NotHeld; 3] = [NotHeld::Full, NotHeld::Judged, NotHeld::ModelChanged];

    /// The metric's `reason` label.
    pub fn code(self) -> &'static str {
        match self {
            NotHeld::Full => "full",
            NotHeld::Judged => "judged",
            NotHeld::ModelChanged => "model_changed",
        }
    }
}

#[derive(Debug)]
struct Open {
    window: LiveWindow,
    /// The model digests (candidate, incumbent) the window measures.
    models: (String, String),
    /// ĉ of that candidate's manifest.
    c_hat: Option<f64>,
    /// Request sequence numbers held in this window → their query.
    ids: HashMap<u64, usize>,
}

#[derive(Debug, Default)]
struct Inner {
    open: BTreeMap<i64, Open>,
    /// Request sequence number → the start of its window.
    held: HashMap<u64, i64>,
    held_rows: usize,
    next_seq: u64,
    /// Windows starting before this are judged.
    judged_until_ms: i64,
    closed: VecDeque<Closed>,
    windows_closed: u64,
    not_held: [u64; NotHeld::ALL.len()],
    not_held_rows: u64,
    feedback_ok: u64,
    refused: [u64; FeedbackRefusal::ALL.len()],
    report_errors: u64,
}

/// The canary's windows and join store.
#[derive(Debug)]
pub struct Canary {
    config: Config,
    monitor: MonitorConfig,
    clock: Clock,
    capacity_rows: usize,
    latency_edges_ms: Vec<f64>,
    /// Distinguishes this process's request ids from an earlier one's.
    boot: u64,
    inner: Mutex<Inner>,
}

/// A request held in a window, for its latency and its `request_id`.
#[derive(Debug, Clone, Copy)]
pub struct Held {
    /// Its window's start.
    pub window_start_ms: i64,
    seq: u64,
}

impl Canary {
    /// A canary under `config` (validated), measuring AECE with `monitor`'s
    /// bins and alert rules, timing requests in buckets with
    /// `latency_edges_s` (the service histogram's, in seconds).
    pub fn new(
        config: Config,
        monitor: MonitorConfig,
        clock: Clock,
        capacity_rows: usize,
        latency_edges_s: &[f64],
    ) -> Result<Canary, String> {
        config.validate().map_err(|e| e.to_string())?;
        let boot = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
        Ok(Canary {
            config,
            monitor,
            clock,
            capacity_rows,
            latency_edges_ms: latency_edges_s.iter().map(|s| s * 1e3).collect(),
            boot,
            inner: Mutex::new(Inner::default()),
        })
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The canary's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    fn window_ms(&self) -> i64 {
        i64::from(self.config.window_minutes) * 60_000
    }

    fn delay_ms(&self) -> i64 {
        i64::from(self.config.label_delay_minutes) * 60_000
    }

    /// The `request_id` of a held request.
    pub fn request_id(&self, held: &Held) -> String {
        format!("{:x}-{}", self.boot, held.seq)
    }

    /// Judges every window whose end plus the label delay has passed.
    pub fn tick(&self) {
        let now = self.clock.now_ms();
        let mut g = self.inner();
        self.judge_due(&mut g, now);
    }

    fn judge_due(&self, g: &mut Inner, now: i64) {
        while let Some((&start, open)) = g.open.first_key_value() {
            if self.config.judged_at_ms(open.window.end_ms) > now {
                break;
            }
            let open = g.open.remove(&start).expect("just seen");
            g.held_rows -= open.window.rows();
            for seq in open.ids.keys() {
                g.held.remove(seq);
            }
            g.judged_until_ms = g.judged_until_ms.max(open.window.end_ms);
            match open.window.report(open.c_hat, &self.monitor) {
                Ok(report) => {
                    let gates = report.judge(&self.config);
                    if g.closed.len() == KEPT_REPORTS {
                        g.closed.pop_front();
                    }
                    g.closed.push_back(Closed { judged_at_ms: now, report, gates });
                    g.windows_closed += 1;
                }
                Err(e) => {
                    g.report_errors += 1;
                    eprintln!("calib-serving: canary window at {start} ms could not be measured: {e}");
                }
            }
        }
    }

    /// Holds one served request: `served` is the answering calibrator's
    /// probabilities, `shadow` the other's on the same scores. `None` when
    /// it is not held ([`NotHeld`]).
    pub fn hold(
        &self,
        snapshot: &Snapshot,
        role: Role,
        served: &[f64],
        shadow: &[f64],
        labels: Option<&[f64]>,
    ) -> Option<Held> {
        let (cand, _, _) = snapshot.candidate.as_ref()?;
        let models = (cand.model_sha256.as_str(), snapshot.incumbent.model_sha256.as_str());
        let now = self.clock.now_ms();
        let mut g = self.inner();
        self.judge_due(&mut g, now);
        let start = self.config.window_start_ms(now);
        let why = if start < g.judged_until_ms {
            Some(NotHeld::Judged)
        } else if g.open.get(&start).is_some_and(|o| (o.models.0.as_str(), o.models.1.as_str()) != models) {
            Some(NotHeld::ModelChanged)
        } else if g.held_rows + served.len() > self.capacity_rows {
            Some(NotHeld::Full)
        } else {
            None
        };
        if let Some(why) = why {
            g.not_held[why as usize] += 1;
            g.not_held_rows += served.len() as u64;
            return None;
        }
        let (candidate, incumbent) = match role {
            Role::Candidate => (served, shadow),
            Role::Incumbent => (shadow, served),
        };
        let open = match g.open.entry(start) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                let window = LiveWindow::new(start, start + self.window_ms(), &self.latency_edges_ms).ok()?;
                let c_hat = cand.predicate().parameters.c_hat.overall;
                let models = (models.0.to_string(), models.1.to_string());
                v.insert(Open { window, models, c_hat, ids: HashMap::new() })
            }
        };
        // Lengths and labels were checked by the handler; an error here
        // holds nothing.
        let query = open.window.push_query(candidate, incumbent, labels).ok()?;
        let seq = g.next_seq;
        g.open.get_mut(&start).expect("inserted").ids.insert(seq, query);
        g.next_seq += 1;
        g.held.insert(seq, start);
        g.held_rows += served.len();
        Some(Held { window_start_ms: start, seq })
    }

    /// Counts the time of a held request in its window: one the candidate
    /// answered (`answered`), or one it scored in shadow.
    pub fn latency(&self, held: &Held, span: Duration, answered: bool) {
        let mut g = self.inner();
        if let Some(open) = g.open.get_mut(&held.window_start_ms) {
            open.window.observe_latency_ms(span.as_secs_f64() * 1e3, answered);
        }
    }

    /// Attaches late labels to the request `request_id`; on success, the
    /// start of the window they count in.
    pub fn feedback(&self, request_id: &str, labels: &[f64]) -> Result<i64, (FeedbackRefusal, String)> {
        let now = self.clock.now_ms();
        let mut g = self.inner();
        self.judge_due(&mut g, now);
        let outcome = self.attach(&mut g, request_id, labels);
        match &outcome {
            Ok(_) => g.feedback_ok += 1,
            Err((why, _)) => g.refused[*why as usize] += 1,
        }
        outcome
    }

    fn attach(&self, g: &mut Inner, request_id: &str, labels: &[f64]) -> Result<i64, (FeedbackRefusal, String)> {
        let unknown =
            || (FeedbackRefusal::Unknown, format!("request_id {request_id:?} was not issued by this process"));
        let (boot, seq) = request_id.split_once('-').ok_or_else(unknown)?;
        let seq: u64 = seq.parse().map_err(|_| unknown())?;
        if u64::from_str_radix(boot, 16).ok() != Some(self.boot) || seq >= g.next_seq {
            return Err(unknown());
        }
        let Some(&start) = g.held.get(&seq) else {
            return Err((
                FeedbackRefusal::Expired,
                format!("request_id {request_id:?}: its window has been judged, so its labels can no longer count"),
            ));
        };
        let open = g.open.get_mut(&start).expect("a held request's window is open");
        let query = open.ids[&seq];
        open.window.label(query, labels).map_err(|e| {
            let why = if e.kind() == calib_core::ErrorKind::InvalidParameter {
                FeedbackRefusal::AlreadyLabelled
            } else {
                FeedbackRefusal::BadLabels
            };
            (why, format!("request_id {request_id:?}: {e}"))
        })?;
        Ok(start)
    }

    /// The canary's status for `GET /canary`: config, clock, open windows,
    /// the closed windows' reports (oldest first) and the counters.
    pub fn status(&self) -> serde_json::Value {
        let now = self.clock.now_ms();
        let mut g = self.inner();
        self.judge_due(&mut g, now);
        let open: Vec<_> = g
            .open
            .values()
            .map(|o| {
                serde_json::json!({
                    "start_ms": o.window.start_ms, "end_ms": o.window.end_ms,
                    "candidate_model_sha256": o.models.0, "incumbent_model_sha256": o.models.1,
                    "judged_from_ms": self.config.judged_at_ms(o.window.end_ms),
                    "queries": o.window.queries(), "rows": o.window.rows(),
                    "labelled_rows": o.window.labelled_rows(),
                    "timed": { "answered": o.window.timed().0, "shadow": o.window.timed().1 },
                })
            })
            .collect();
        let refused: serde_json::Map<_, _> =
            FeedbackRefusal::ALL.iter().map(|r| (r.code().to_string(), g.refused[*r as usize].into())).collect();
        serde_json::json!({
            "now_ms": now,
            "window_ms": self.window_ms(),
            "label_delay_ms": self.delay_ms(),
            "min_samples": self.config.min_samples,
            "capacity_rows": self.capacity_rows,
            "held_rows": g.held_rows,
            "open": open,
            "closed": g.closed,
            "windows_closed": g.windows_closed,
            "report_errors": g.report_errors,
            "not_held": {
                "requests": g.not_held.iter().sum::<u64>(),
                "rows": g.not_held_rows,
                "by_reason": NotHeld::ALL.iter().map(|r| (r.code().to_string(), g.not_held[*r as usize].into())).collect::<serde_json::Map<_, _>>(),
            },
            "feedback": { "ok": g.feedback_ok, "refused": refused },
        })
    }

    /// The canary's families on `/metrics`.
    pub fn expose(&self, out: &mut String) {
        let now = self.clock.now_ms();
        let mut g = self.inner();
        self.judge_due(&mut g, now);
        let mut f = Family::new(out, "calib_canary_windows_closed_total", "counter", "Live canary windows judged.");
        f.sample(&[], g.windows_closed as f64);
        let mut f = Family::new(
            out,
            "calib_canary_held_rows",
            "gauge",
            "Rows held for the label join (windows not yet judged), against calib_canary_capacity_rows.",
        );
        f.sample(&[], g.held_rows as f64);
        let mut f = Family::new(out, "calib_canary_capacity_rows", "gauge", "Bound of the label join, in rows.");
        f.sample(&[], self.capacity_rows as f64);
        let mut f = Family::new(
            out,
            "calib_canary_not_held_requests_total",
            "counter",
            "Requests served but not held for the canary, by reason (full: the join store; judged: their window was; model_changed: a reload within the window).",
        );
        for r in NotHeld::ALL {
            f.sample(&[("reason", r.code())], g.not_held[r as usize] as f64);
        }
        let mut f = Family::new(out, "calib_canary_feedback_total", "counter", "POST /feedback answers, by result.");
        f.sample(&[("result", "ok")], g.feedback_ok as f64);
        for r in FeedbackRefusal::ALL {
            f.sample(&[("result", r.code())], g.refused[r as usize] as f64);
        }
        let Some(last) = g.closed.back() else { return };
        let r = &last.report;
        let mut f = Family::new(
            out,
            "calib_canary_last_window",
            "gauge",
            "The last judged window's measurements (absent when not measured), by measurement.",
        );
        let measured = [
            ("start_ms", Some(r.start_ms as f64)),
            ("samples", Some(r.samples as f64)),
            ("p99_latency_ms", r.p99_latency_ms),
            ("aece", r.aece),
            ("tau", r.tau),
            ("median_confidence_shift", r.median_confidence_shift),
            ("recall_at_50_delta", r.recall_at_50_delta),
        ];
        for (name, value) in measured {
            if let Some(v) = value {
                f.sample(&[("measurement", name)], v);
            }
        }
        let mut f = Family::new(
            out,
            "calib_canary_last_window_gate",
            "gauge",
            "1 for each gate's verdict in the last judged window.",
        );
        for gate in &last.gates {
            let verdict = serde_json::to_value(gate.verdict).ok();
            let verdict = verdict.as_ref().and_then(|v| v.as_str()).unwrap_or("unknown");
            f.sample(&[("gate", gate.gate.name()), ("verdict", verdict)], 1.0);
        }
    }
}
