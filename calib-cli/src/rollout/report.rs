//! Printing decisions, plans and status, as text for people and JSON for
//! machines. Nothing is decided here.

use super::{format_time, store_error};
use crate::io::CliError;
use calib_core::gate::{GateKind, Verdict};
use calib_core::rollout::store::Store;
use calib_core::rollout::{
    Config, Counter, Decision, NextStep, Phase, Plan, ProblemSeverity, Reason, Step, WindowReport,
};
use serde::Serialize;
use std::path::Path;

/// One decided window, as `simulate` and `step` print it.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub index: u64,
    pub start: String,
    pub stage_before: String,
    pub stage_after: String,
    pub verdict: Verdict,
    pub decision: Decision,
    pub reasons: Vec<Reason>,
}

impl Entry {
    pub fn new(index: u64, window: &WindowReport, before: Phase, step: &Step) -> Entry {
        Entry {
            index,
            start: format_time(window.start_ms),
            stage_before: before.to_string(),
            stage_after: step.state.phase.to_string(),
            verdict: step.verdict,
            decision: step.decision,
            reasons: step.reasons.clone(),
        }
    }

    /// `index  start  before -> after  verdict  decision  reasons`.
    fn line(&self) -> String {
        format!(
            "{:>4}  {}  {:>9} -> {:<9}  {:<7}  {:<7}  {}",
            self.index,
            self.start,
            self.stage_before,
            self.stage_after,
            self.verdict.name(),
            self.decision.name(),
            reasons_text(&self.reasons)
        )
    }
}

/// A number for people: at most 6 decimals, no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn gate_op(g: GateKind) -> &'static str {
    match g {
        GateKind::P99Latency => "<",
        GateKind::AeceExcess | GateKind::MedianShift => "<=",
        GateKind::RecallAt50 => ">=",
    }
}

/// `rule, note | gate value op threshold verdict; … | counter v/limit, …`.
pub fn reasons_text(reasons: &[Reason]) -> String {
    let (mut rules, mut gates, mut counters) = (Vec::new(), Vec::new(), Vec::new());
    for r in reasons {
        match r {
            Reason::Rule { rule } => rules.push(rule.name().to_string()),
            Reason::Gate(g) => {
                let value = match g.value {
                    Some(v) => num(v),
                    None => "missing".into(),
                };
                let mut s = format!(
                    "{} {value} {} (needs {} {})",
                    g.gate.name(),
                    g.verdict.name(),
                    gate_op(g.gate),
                    num(g.threshold)
                );
                if g.samples < g.min_samples {
                    s.push_str(&format!(" (samples {} < {})", g.samples, g.min_samples));
                }
                if g.dry_run {
                    s.push_str(" (dry-run)");
                }
                gates.push(s);
            }
            Reason::Counter { counter, value, limit, of } => counters.push(match of {
                Some(n) => format!("{} {value}/{limit} of {n}", counter.name()),
                None => format!("{} {value}/{limit}", counter.name()),
            }),
        }
    }
    format!("{} | {} | {}", rules.join(", "), gates.join("; "), counters.join(", "))
}

/// Prints decided windows: one line each (with a header unless `single`),
/// or a JSON array (a single object when `single`).
pub fn print_entries(entries: &[Entry], json: bool, single: bool) {
    if json {
        let text = match entries {
            [one] if single => serde_json::to_string_pretty(one),
            _ => serde_json::to_string_pretty(entries),
        };
        outln!("{}", text.expect("entries serialise"));
        return;
    }
    if !single {
        outln!(
            "{:>4}  {:<20}  {:>9}    {:<9}  {:<7}  {:<7}  reasons (rule | gates | counters)",
            "#",
            "start",
            "before",
            "after",
            "verdict",
            "decision"
        );
    }
    for e in entries {
        outln!("{}", e.line());
    }
}

/// `90` → `1h30m`.
fn duration(minutes: u64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

pub fn print_plan(config: &Config, plan: &Plan, json: bool) {
    if json {
        outln!("{}", serde_json::to_string_pretty(plan).expect("a plan serialises"));
        return;
    }
    outln!("{:<9}  {:>6}  {:>11}  {:>8}", "stage", "share", "min windows", "min time");
    for s in &plan.stages {
        outln!("{:<9}  {:>4} %  {:>11}  {:>8}", s.stage.to_string(), s.percent, s.min_windows, duration(s.min_minutes));
    }
    outln!(
        "publish at the earliest {} after the first window starts ({} windows of {} min)",
        duration(plan.min_minutes_to_publish),
        plan.min_windows_to_publish,
        config.window_minutes
    );
    let mut breaker = format!("{} consecutive breaches", config.consecutive_breaches_to_trip);
    if let Some(r) = config.breaches_in_last {
        breaker.push_str(&format!(" or {} of the last {} judged windows", r.m, r.n));
    }
    outln!(
        "breaker: {breaker} trip it (one breach in the stable hold); nodata = {}; cooldown {}; {} trip(s) per manifest version",
        if config.nodata == calib_core::rollout::NoDataPolicy::Hold { "hold" } else { "breach" },
        duration(config.cooldown_minutes.into()),
        config.max_trips_per_version
    );
    for g in GateKind::ALL {
        let t = config.thresholds.get(g);
        outln!(
            "gate {:<13} {} {} (min samples {}){}",
            g.name(),
            gate_op(g),
            num(t.threshold),
            t.min_samples.max(config.min_samples),
            if config.acts_on(g) { "" } else { "  dry-run: recorded, never acted on" }
        );
    }
    for p in &plan.problems {
        let label = if p.severity == ProblemSeverity::Refuse { "refused" } else { "warning" };
        outln!("{label}: {}: {}", p.code, p.message);
    }
}

/// The controller's next move ([`calib_core::rollout::Controller::next_step`]), in words.
fn next_text(next: NextStep) -> String {
    match next {
        NextStep::Start { stage } => format!("a pass window starts stage {stage} %"),
        NextStep::Advance { at, passes_left, to } => {
            let to = if to == Phase::Stable { "the stable hold".to_string() } else { format!("{to} %") };
            format!("{passes_left} more pass window(s) at {at} % advance to {to}")
        }
        NextStep::Publish { passes_left } => format!("{passes_left} more pass window(s) publish"),
        NextStep::Abort { trips, max_trips } => {
            format!("out of trips ({trips}/{max_trips}): the next window aborts; a new manifest version is needed")
        }
        NextStep::Cooldown { until_ms, stage } => {
            format!("cooling down until {}; then a pass window restarts stage {stage} %", format_time(until_ms))
        }
        NextStep::Published => "published: nothing left to do".into(),
        NextStep::Aborted => "aborted: a new manifest version is needed".into(),
    }
}

#[derive(Serialize)]
struct StatusJson<'a> {
    rollout_id: &'a str,
    manifest: &'a Option<serde_json::Value>,
    stage: String,
    traffic_percent: u32,
    decisions: u64,
    state: &'a calib_core::rollout::State,
    next: String,
    audit_log: String,
    log_records: usize,
    pending_recovery: bool,
    replay_matches: bool,
}

/// `calib rollout status`: reads only. The core's store verifies the log's
/// chain and replays its decisions from the initial state; the result must
/// equal the state file (or be one decision ahead, which the next step
/// recovers).
pub fn status(path: &Path, json: bool) -> Result<u8, CliError> {
    let status = Store::new(path).status().map_err(store_error)?;
    let sf = &status.file;
    let (log_path, pending) = (&status.log_path, status.pending_recovery);
    let s = &sf.state;
    let next = next_text(status.next);
    if json {
        let out = StatusJson {
            rollout_id: &sf.rollout_id,
            manifest: &sf.manifest,
            stage: s.phase.to_string(),
            traffic_percent: s.phase.traffic_percent(),
            decisions: sf.seq,
            state: s,
            next,
            audit_log: log_path.display().to_string(),
            log_records: status.log_records,
            pending_recovery: pending,
            // A state that differs from the replay is refused above.
            replay_matches: true,
        };
        outln!("{}", serde_json::to_string_pretty(&out).expect("status serialises"));
        return Ok(0);
    }
    outln!("rollout    {}", sf.rollout_id);
    match &sf.manifest {
        Some(m) => outln!(
            "manifest   {} (version {}, envelope sha256 {})",
            m["manifest"].as_str().unwrap_or("?"),
            m.get("version").map_or("unknown".to_string(), |v| v.to_string()),
            m["envelope_sha256"].as_str().unwrap_or("?")
        ),
        None => outln!("manifest   none"),
    }
    outln!("stage      {} ({} % of traffic)", s.phase, s.phase.traffic_percent());
    match s.last_window {
        Some(w) => outln!(
            "windows    {} decided; the last {} to {}",
            s.windows,
            format_time(w.start_ms),
            format_time(w.end_ms)
        ),
        None => outln!("windows    none yet"),
    }
    let c = &sf.config;
    let mut counters = vec![
        format!("{} {}", Counter::PassesAtStage.name(), s.passes_at_stage),
        format!(
            "{} {}/{}",
            Counter::ConsecutiveBreaches.name(),
            s.consecutive_breaches,
            c.consecutive_breaches_to_trip
        ),
        format!("{} {}/{}", Counter::Trips.name(), s.trips, c.max_trips_per_version),
    ];
    if let Some(r) = c.breaches_in_last {
        let b = s.recent.iter().filter(|&&v| v == Verdict::Breach).count();
        counters.push(format!("{} {b}/{} of {}", Counter::BreachesInLast.name(), r.m, r.n));
    }
    outln!("counters   {}", counters.join(", "));
    outln!("next       {next}");
    outln!(
        "audit log  {}: {} records, chain verified; replaying its {} decisions gives this state{}{}",
        log_path.display(),
        status.log_records,
        sf.seq,
        if pending { "; one more decision is logged but not yet in the state (the next step applies it)" } else { "" },
        if status.torn_tail { "; a torn last line (never acknowledged) is ignored" } else { "" }
    );
    Ok(0)
}
