//! The service's own counters: request latency, requests, served scores and
//! their clamp rate per calibrator, reloads. Lock-free (atomics), so
//! counting never makes a request wait.

use crate::load::{Role, Snapshot};
use crate::prometheus::{Family, per_calibrator};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper edges (seconds) of the latency histogram: fine below the 1 ms SLA.
pub const LATENCY_BUCKETS: [f64; 15] = [
    0.000_01, 0.000_02, 0.000_03, 0.000_05, 0.000_1, 0.000_2, 0.000_3, 0.000_5, 0.000_75, 0.001, 0.002, 0.005, 0.01,
    0.05, 0.25,
];

/// Who a request was answered by: a calibrator, or nobody (refused before
/// routing, e.g. malformed JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Served (or refused by) a calibrator.
    Role(Role),
    /// Not routed.
    Unrouted,
}

impl Outcome {
    fn index(self) -> usize {
        match self {
            Outcome::Role(r) => r.index(),
            Outcome::Unrouted => 2,
        }
    }
    fn label(self) -> &'static str {
        match self {
            Outcome::Role(r) => r.name(),
            Outcome::Unrouted => "none",
        }
    }
    const ALL: [Outcome; 3] = [Outcome::Role(Role::Incumbent), Outcome::Role(Role::Candidate), Outcome::Unrouted];
}

/// Why `POST /calibrate` refused a body before reading it as a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRefusal {
    /// Longer than the limit: declared so in `Content-Length` (refused
    /// before a byte of it is read), or found so while reading it.
    TooLarge,
    /// Not a well-formed HTTP body (e.g. a broken chunked encoding).
    Broken,
    /// Not all there within the body timeout.
    Timeout,
}

impl BodyRefusal {
    /// Every reason, in exposition order.
    pub const ALL: [BodyRefusal; 3] = [BodyRefusal::TooLarge, BodyRefusal::Broken, BodyRefusal::Timeout];

    /// The error code of the JSON answer, and the metric's `reason` label.
    pub fn code(self) -> &'static str {
        match self {
            BodyRefusal::TooLarge => "body_too_large",
            BodyRefusal::Broken => "bad_body",
            BodyRefusal::Timeout => "body_timeout",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Default)]
struct Latency {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

#[derive(Debug, Default)]
struct Counters {
    latency: Latency,
    /// Requests answered 2xx.
    ok: AtomicU64,
    /// Requests answered 4xx/5xx.
    failed: AtomicU64,
    scores: AtomicU64,
    clamped: AtomicU64,
}

/// Every counter of the service.
#[derive(Debug, Default)]
pub struct Metrics {
    by: [Counters; 3],
    reloads_ok: AtomicU64,
    reloads_refused: AtomicU64,
    body_refusals: [AtomicU64; BodyRefusal::ALL.len()],
}

impl Metrics {
    /// Records one request: who answered, whether it succeeded, and its
    /// server-side span (from the whole body's arrival to the encoded
    /// answer; `None` for a body refused before it arrived, which is
    /// counted but not timed).
    pub fn request(&self, who: Outcome, ok: bool, span: Option<Duration>) {
        let c = &self.by[who.index()];
        if let Some(elapsed) = span {
            let secs = elapsed.as_secs_f64();
            // Non-cumulative here; the exposition accumulates.
            if let Some(b) = LATENCY_BUCKETS.iter().position(|&le| secs <= le) {
                c.latency.buckets[b].fetch_add(1, Relaxed);
            }
            c.latency.count.fetch_add(1, Relaxed);
            c.latency.sum_ns.fetch_add(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX), Relaxed);
        }
        if ok { &c.ok } else { &c.failed }.fetch_add(1, Relaxed);
    }

    /// Records the scores a calibrator served and how many of them it
    /// clamped (out of its range, or not finite).
    pub fn scores(&self, role: Role, n: u64, clamped: u64) {
        let c = &self.by[role.index()];
        c.scores.fetch_add(n, Relaxed);
        c.clamped.fetch_add(clamped, Relaxed);
    }

    /// Records a body refused before it was read as a request (the request
    /// itself is counted by [`request`](Self::request) too).
    pub fn body_refused(&self, why: BodyRefusal) {
        self.body_refusals[why.index()].fetch_add(1, Relaxed);
    }

    /// Records a reload.
    pub fn reload(&self, ok: bool) {
        if ok { &self.reloads_ok } else { &self.reloads_refused }.fetch_add(1, Relaxed);
    }

    /// Successful and refused reloads so far.
    pub fn reloads(&self) -> (u64, u64) {
        (self.reloads_ok.load(Relaxed), self.reloads_refused.load(Relaxed))
    }

    /// Requests answered 2xx and otherwise, over every calibrator.
    pub fn requests(&self) -> (u64, u64) {
        self.by.iter().fold((0, 0), |(o, f), c| (o + c.ok.load(Relaxed), f + c.failed.load(Relaxed)))
    }

    /// Writes the service's families (the drift monitor's are written by `drift`).
    pub fn expose(&self, snapshot: &Snapshot, out: &mut String) {
        let mut f = Family::new(
            out,
            "calib_serving_request_duration_seconds",
            "histogram",
            "Server-side time of POST /calibrate from the whole body's arrival to the encoded answer (parse, route, calibrate, encode; not the client's upload), by calibrator.",
        );
        for who in Outcome::ALL {
            let l = &self.by[who.index()].latency;
            let mut cum = 0u64;
            for (b, le) in LATENCY_BUCKETS.iter().enumerate() {
                cum += l.buckets[b].load(Relaxed);
                f.suffixed("_bucket", &[("calibrator", who.label()), ("le", &le.to_string())], cum as f64);
            }
            let count = l.count.load(Relaxed);
            f.suffixed("_bucket", &[("calibrator", who.label()), ("le", "+Inf")], count as f64);
            f.suffixed("_sum", &[("calibrator", who.label())], l.sum_ns.load(Relaxed) as f64 / 1e9);
            f.suffixed("_count", &[("calibrator", who.label())], count as f64);
        }
        let mut f =
            Family::new(out, "calib_serving_requests_total", "counter", "Requests answered, by calibrator and result.");
        for who in Outcome::ALL {
            let c = &self.by[who.index()];
            f.sample(&[("calibrator", who.label()), ("result", "ok")], c.ok.load(Relaxed) as f64);
            f.sample(&[("calibrator", who.label()), ("result", "error")], c.failed.load(Relaxed) as f64);
        }
        let mut f = Family::new(
            out,
            "calib_serving_body_refusals_total",
            "counter",
            "POST /calibrate bodies refused before parsing, by reason (body_too_large, bad_body, body_timeout).",
        );
        for why in BodyRefusal::ALL {
            f.sample(&[("reason", why.code())], self.body_refusals[why.index()].load(Relaxed) as f64);
        }
        let roles = Role::ALL.map(|r| (r.name(), &self.by[r.index()]));
        let count = |get: fn(&Counters) -> &AtomicU64| roles.map(|(r, c)| (r, get(c).load(Relaxed) as f64));
        per_calibrator(
            out,
            "calib_serving_scores_total",
            "counter",
            "Scores calibrated, by calibrator.",
            count(|c| &c.scores),
        );
        per_calibrator(
            out,
            "calib_serving_clamped_scores_total",
            "counter",
            "Scores outside the calibrator's fitted range (clipped) or not finite, by calibrator.",
            count(|c| &c.clamped),
        );
        let rates = roles.map(|(r, c)| {
            let n = c.scores.load(Relaxed);
            (r, if n == 0 { 0.0 } else { c.clamped.load(Relaxed) as f64 / n as f64 })
        });
        per_calibrator(
            out,
            "calib_serving_clamp_ratio",
            "gauge",
            "Clamp rate of every score served since start: clamped over calibrated (0 with none).",
            rates,
        );
        let phase = snapshot.phase();
        let mut f = Family::new(
            out,
            "calib_rollout_stage_percent",
            "gauge",
            "Share of keys (percent) the candidate serves at the current rollout stage.",
        );
        f.sample(&[], f64::from(phase.traffic_percent()));
        let mut f = Family::new(
            out,
            "calib_rollout_phase",
            "gauge",
            "1 for the current rollout phase (off, 5, …, published, reverted).",
        );
        f.sample(&[("phase", &phase.to_string())], 1.0);
        let mut f = Family::new(
            out,
            "calib_serving_manifest_info",
            "gauge",
            "1 for each loaded calibrator, with its manifest version and digests.",
        );
        for s in snapshot.served() {
            let version = s.version.to_string();
            let labels = [
                ("calibrator", s.role.name()),
                ("version", version.as_str()),
                ("manifest_sha256", s.manifest_sha256.as_str()),
                ("model_sha256", s.model_sha256.as_str()),
            ];
            f.sample(&labels, 1.0);
        }
        let now = time::OffsetDateTime::now_utc();
        per_calibrator(
            out,
            "calib_serving_manifest_expiry_seconds",
            "gauge",
            "Seconds until the loaded calibrator's manifest expires (negative once past), by calibrator.",
            snapshot.served().map(|s| (s.role.name(), s.seconds_to_expiry(now))),
        );
        per_calibrator(
            out,
            "calib_serving_manifest_expired",
            "gauge",
            "1 when the calibrator's manifest has expired: an expired candidate's keys fall back to the incumbent, an expired incumbent's are refused (503).",
            snapshot.served().map(|s| (s.role.name(), f64::from(u8::from(s.expired_at(now))))),
        );
        let mut f = Family::new(out, "calib_serving_generation", "gauge", "Snapshots loaded (start-up is 1).");
        f.sample(&[], snapshot.generation as f64);
        let mut f = Family::new(
            out,
            "calib_serving_reloads_total",
            "counter",
            "Reloads, by result (refused: the old snapshot kept serving).",
        );
        f.sample(&[("result", "ok")], self.reloads_ok.load(Relaxed) as f64);
        f.sample(&[("result", "refused")], self.reloads_refused.load(Relaxed) as f64);
    }
}
