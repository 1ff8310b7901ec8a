//! Helpers shared by the rollout test files: running the `calib` binary
//! (located by `calib_tests::binary`) with an environment, and window
//! builders. (Each test file includes this module; not every file uses all.)
#![allow(dead_code)]

use calib_core::rollout::WindowReport;
use calib_tests::binary::calib_bin;
use std::path::Path;
use std::process::{Command, Output};

pub const MINUTE: i64 = 60_000;
/// 2026-03-02T00:00:00Z.
pub const T0: i64 = 1_772_409_600_000;

/// Runs `calib` in `dir` with extra environment variables.
pub fn calib_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(calib_bin());
    cmd.current_dir(dir).args(args).env_remove("CALIB_CRASH_AT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("cannot run calib")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// What a window measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every gate passes.
    Pass,
    /// AECE excess 0.025 > 0.01.
    Breach,
    /// Too few samples: every gate no_data.
    NoData,
    /// Only the median shift breaches (dry-run in some configs).
    ShiftBreach,
}

/// Window `i` (15 minutes, back to back from T0) of a kind.
pub fn window(i: i64, kind: Kind) -> WindowReport {
    let start = T0 + i * 15 * MINUTE;
    WindowReport {
        start_ms: start,
        end_ms: start + 15 * MINUTE,
        samples: if kind == Kind::NoData { 200 } else { 5000 },
        p99_latency_ms: Some(0.42),
        aece: Some(if kind == Kind::Breach { 0.04 } else { 0.021 }),
        tau: Some(0.015),
        median_confidence_shift: Some(if kind == Kind::ShiftBreach { 0.05 } else { 0.004 }),
        recall_at_50_delta: Some(0.0),
    }
}

/// RFC 3339 of a time at or after T0 in March 2026, on a whole minute.
pub fn rfc3339(ms: i64) -> String {
    let minutes = (ms - T0) / MINUTE;
    assert!(minutes >= 0 && (ms - T0) % MINUTE == 0 && minutes < 20 * 24 * 60);
    let (h, m) = (minutes / 60, minutes % 60);
    format!("2026-03-{:02}T{:02}:{:02}:00Z", 2 + h / 24, h % 24, m)
}

/// A window as the CLI reads it (RFC 3339 times).
pub fn window_json(i: i64, kind: Kind) -> String {
    let w = window(i, kind);
    serde_json::json!({
        "start": rfc3339(w.start_ms),
        "end": rfc3339(w.end_ms),
        "samples": w.samples,
        "p99_latency_ms": w.p99_latency_ms,
        "aece": w.aece,
        "tau": w.tau,
        "median_confidence_shift": w.median_confidence_shift,
        "recall_at_50_delta": w.recall_at_50_delta,
    })
    .to_string()
}
