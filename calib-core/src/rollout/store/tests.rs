//! The crash protocol in process: an observer that panics at a named point
//! stands in for a killed process, and the rerun must end in the same
//! files as an uninterrupted run.

use super::*;
use crate::rollout::{Config, RolloutErrorKind};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU32, Ordering};
use std::vec::Vec;

const T0: i64 = 1_772_409_600_000;
const WINDOW: i64 = 15 * 60_000;

fn window(i: i64, breach: bool) -> WindowReport {
    WindowReport {
        start_ms: T0 + i * WINDOW,
        end_ms: T0 + (i + 1) * WINDOW,
        samples: 5_000,
        p99_latency_ms: Some(0.3),
        aece: Some(if breach { 0.04 } else { 0.02 }),
        tau: Some(0.015),
        median_confidence_shift: Some(0.004),
        recall_at_50_delta: Some(0.0),
    }
}

/// Advance, advance, breach (revert: one breach trips here), hold in the
/// cooldown, advance.
const TIMELINE: [bool; 5] = [false, false, true, false, false];

fn controller() -> Controller {
    let config = Config { min_windows_per_stage: 1, consecutive_breaches_to_trip: 1, ..Config::default() };
    Controller::new(config).unwrap()
}

fn fresh_dir() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir =
        std::env::temp_dir().join(format!("calib-store-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (std::fs::read(dir.join("s.json")).unwrap(), std::fs::read(dir.join("s.audit.jsonl")).unwrap())
}

/// Panics (a crash, in process) at one point; records notices.
#[derive(Default)]
struct Crash {
    at: Option<CrashPoint>,
    notices: Vec<Notice>,
}

impl Observer for Crash {
    fn reached(&mut self, point: CrashPoint) {
        if self.at == Some(point) {
            panic!("crash at {}", point.name());
        }
    }
    fn tear_append(&mut self) -> bool {
        self.at == Some(CrashPoint::StepLogTorn)
    }
    fn notice(&mut self, notice: &Notice) {
        self.notices.push(notice.clone());
    }
}

/// Runs the timeline in `dir`, crashing window `i` at `crash(i)` and then
/// rerunning it as an operator would.
fn run(dir: &Path, crash: &dyn Fn(usize) -> Option<CrashPoint>) -> (Vec<u8>, Vec<u8>) {
    let store = Store::new(dir.join("s.json"));
    store.init(&controller(), None, None, T0, &mut Quiet).unwrap();
    for (i, &breach) in TIMELINE.iter().enumerate() {
        let w = window(i as i64, breach);
        let Some(point) = crash(i) else {
            store.step(&w, w.end_ms, &mut Quiet).unwrap();
            continue;
        };
        let crashed = catch_unwind(AssertUnwindSafe(|| {
            store.step(&w, w.end_ms, &mut Crash { at: Some(point), ..Crash::default() })
        }));
        assert!(crashed.is_err(), "window {i}: no crash at {}", point.name());
        let status = store.status().unwrap();
        let logged = CrashPoint::ALL.iter().position(|&p| p == point) >= Some(3);
        assert_eq!(status.pending_recovery, matches!(point, CrashPoint::StepLogged | CrashPoint::StateTempWritten));
        let mut again = Crash::default();
        let rerun = store.step(&w, w.end_ms, &mut again);
        if logged {
            let e = rerun.unwrap_err();
            assert_eq!(e.kind(), StoreErrorKind::WindowRejected, "{e}");
            assert_eq!(e.rollout_error().unwrap().kind(), RolloutErrorKind::DuplicateWindow);
        } else {
            rerun.unwrap();
        }
        let recovered = again.notices.iter().any(|n| matches!(n, Notice::RecoveredDecision { .. }));
        assert_eq!(recovered, matches!(point, CrashPoint::StepLogged | CrashPoint::StateTempWritten), "{point:?}");
        let dropped = again.notices.iter().any(|n| matches!(n, Notice::DroppedTornTail { .. }));
        assert_eq!(dropped, point == CrashPoint::StepLogTorn, "{point:?}");
    }
    files(dir)
}

#[test]
fn a_crash_at_any_point_of_a_step_loses_no_decision_and_applies_none_twice() {
    // One directory, emptied in between: the init record names the state
    // file's absolute path.
    let dir = fresh_dir();
    let empty = || {
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::create_dir(&dir).unwrap();
    };
    let reference = run(&dir, &|_| None);
    let points = &CrashPoint::ALL[1..];
    for k in 0..points.len() {
        empty();
        let got = run(&dir, &|i| Some(points[(i + k) % points.len()]));
        assert!(got.0 == reference.0 && got.1 == reference.1, "rotation {k}: the files differ");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_interrupted_init_is_adopted_and_a_second_init_refused() {
    let dir = fresh_dir();
    let store = Store::new(dir.join("s.json"));
    let mut crash = Crash { at: Some(CrashPoint::InitLogged), ..Crash::default() };
    assert!(catch_unwind(AssertUnwindSafe(|| store.init(&controller(), None, None, T0, &mut crash))).is_err());
    assert!(!dir.join("s.json").exists());
    let mut again = Crash::default();
    let done = store.init(&controller(), None, None, T0 + 1, &mut again).unwrap();
    assert_eq!(again.notices, [Notice::AdoptedInit { record: done.rollout_id.clone() }]);
    let e = store.init(&controller(), None, None, T0, &mut Quiet).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::AlreadyExists);
    let status = store.status().unwrap();
    assert_eq!((status.log_records, status.file.rollout_id), (1, done.rollout_id));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_torn_write_that_does_not_crash_is_cut_and_the_record_appended() {
    struct TearOnly(Vec<Notice>);
    impl Observer for TearOnly {
        fn tear_append(&mut self) -> bool {
            true
        }
        fn notice(&mut self, notice: &Notice) {
            self.0.push(notice.clone());
        }
    }
    let (a, b) = (fresh_dir(), fresh_dir());
    for (dir, torn) in [(&a, false), (&b, true)] {
        let store = Store::new(dir.join("s.json"));
        store.init(&controller(), None, None, T0, &mut Quiet).unwrap();
        let w = window(0, false);
        let mut tear = TearOnly(Vec::new());
        let obs: &mut dyn Observer = if torn { &mut tear } else { &mut Quiet };
        assert_eq!(store.step(&w, w.end_ms, obs).unwrap().index, 0);
        assert_eq!(tear.0.len(), usize::from(torn));
    }
    // The init records name their own state file, so compare the decision lines.
    let last = |d: &Path| files(d).1.split(|&c| c == b'\n').nth(1).map(<[u8]>::to_vec);
    let (la, lb) = (last(&a), last(&b));
    let strip = |l: Option<Vec<u8>>| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_slice(&l.unwrap()).unwrap();
        v["data"]["rollout"] = serde_json::Value::Null;
        v["prev"] = serde_json::Value::Null;
        v["hash"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(la), strip(lb));
    let _ = (std::fs::remove_dir_all(&a), std::fs::remove_dir_all(&b));
}

#[test]
fn a_state_that_disagrees_with_its_log_is_refused() {
    let dir = fresh_dir();
    let store = Store::new(dir.join("s.json"));
    store.init(&controller(), None, None, T0, &mut Quiet).unwrap();
    let w = window(0, false);
    store.step(&w, w.end_ms, &mut Quiet).unwrap();
    let good = std::fs::read_to_string(dir.join("s.json")).unwrap();
    std::fs::write(dir.join("s.json"), good.replace("\"trips\": 0", "\"trips\": 1")).unwrap();
    let w = window(1, false);
    let e = store.step(&w, w.end_ms, &mut Quiet).unwrap_err();
    assert_eq!((e.kind(), e.code()), (StoreErrorKind::Disagree, "disagree"));
    assert!(e.message().contains("disagree"), "{e}");
    assert_eq!(store.status().unwrap_err().kind(), StoreErrorKind::Disagree);
    // The lock refuses a second step while one holds it.
    let _held = Lock::take(store.state_path()).unwrap();
    assert_eq!(store.step(&w, w.end_ms, &mut Quiet).unwrap_err().kind(), StoreErrorKind::Locked);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The config is bound to the rollout: a state file holding another config
/// than its init record is `config_mismatch`; a log from before calib hashed
/// the config (no `config_sha256` in its records) still steps, its config
/// compared with the one the init record holds.
#[test]
fn the_config_in_force_is_the_init_records() {
    let dir = fresh_dir();
    let store = Store::new(dir.join("s.json"));
    store.init(&controller(), None, None, T0, &mut Quiet).unwrap();
    store.step(&window(0, false), T0 + WINDOW, &mut Quiet).unwrap();
    let good = std::fs::read(dir.join("s.json")).unwrap();
    let mut sf = StateFile::load(&dir.join("s.json")).unwrap();
    sf.config.thresholds.aece_excess.threshold = 1.0;
    std::fs::write(dir.join("s.json"), sf.to_bytes()).unwrap();
    let e = store.step(&window(1, true), T0 + 2 * WINDOW, &mut Quiet).unwrap_err();
    assert_eq!(e.code(), "config_mismatch", "{e}");
    assert_eq!(store.status().unwrap_err().kind(), StoreErrorKind::ConfigMismatch);
    std::fs::write(dir.join("s.json"), &good).unwrap();

    // The same rollout written by an older calib: no config hashes.
    let log = dir.join("s.audit.jsonl");
    let old = dir.join("old.jsonl");
    let mut id = String::new();
    for r in DecisionLog::open(&log).unwrap().records() {
        let mut data = r.data.clone();
        data.as_object_mut().unwrap().remove("config_sha256");
        if r.kind == KIND_DECISION {
            data["rollout"] = id.clone().into();
        }
        let time = time::OffsetDateTime::parse(&r.time, &time::format_description::well_known::Rfc3339).unwrap();
        let written = crate::audit::append_at(&old, &r.kind, data, time.into()).unwrap();
        if r.kind == KIND_INIT {
            id = written.hash.to_hex();
        }
    }
    std::fs::rename(&old, &log).unwrap();
    let log_now = DecisionLog::open(&log).unwrap();
    let mut sf = StateFile::load(&dir.join("s.json")).unwrap();
    sf.rollout_id = log_now.records()[0].hash.to_hex();
    sf.head = log_now.records()[1].hash.to_hex();
    std::fs::write(dir.join("s.json"), sf.to_bytes()).unwrap();
    assert!(log_now.config_problems().is_empty());
    store.status().unwrap();
    store.step(&window(1, false), T0 + 2 * WINDOW, &mut Quiet).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `resolve` follows a chain of symlinks, a symlinked directory and a
/// dangling link (init through an alias creates the real file).
#[cfg(unix)]
#[test]
fn resolve_follows_every_symlink() {
    use std::os::unix::fs::symlink;
    let dir = fresh_dir();
    let real = std::fs::canonicalize(&dir).unwrap();
    std::fs::create_dir(dir.join("d")).unwrap();
    symlink("d", dir.join("d-link")).unwrap();
    symlink("d-link/s.json", dir.join("a")).unwrap();
    symlink(dir.join("a"), dir.join("b")).unwrap();
    assert_eq!(resolve(&dir.join("b")).unwrap(), real.join("d/s.json"));
    let store = Store::new(dir.join("b"));
    store.init(&controller(), None, None, T0, &mut Quiet).unwrap();
    assert!(dir.join("d/s.json").is_file() && dir.join("d/.s.json.lock").is_file());
    assert!(std::fs::symlink_metadata(dir.join("b")).unwrap().file_type().is_symlink());
    store.step(&window(0, false), T0 + WINDOW, &mut Quiet).unwrap();
    Store::new(dir.join("d/s.json")).status().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
