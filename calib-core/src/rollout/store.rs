//! The rollout's durable store: the state file, the decision log in calib's
//! audit chain, and the crash protocol that keeps the two in step. One call
//! per operation — [`Store::init`], [`Store::step`], [`Store::status`] —
//! so the `calib rollout` command and a serving binary that steps the
//! controller itself share one implementation.
//!
//! ```no_run
//! use calib_core::rollout::store::{Quiet, Store};
//! use calib_core::rollout::{Config, Controller, WindowReport};
//!
//! let store = Store::new("rollout/state.json");
//! let controller = Controller::new(Config::default())?;
//! // Once per manifest version: the state file and the log's init record.
//! store.init(&controller, None, None, 1_772_409_600_000, &mut Quiet)?;
//! // Once per window: decided, logged and saved, crash-safely.
//! let window: WindowReport = serde_json::from_str(&std::fs::read_to_string("window.json")?)?;
//! let stepped = store.step(&window, window.end_ms, &mut Quiet)?;
//! println!("{}", stepped.step.decision.name());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The step protocol
//!
//! 0. Take the state's lock ([`Lock`]): one step at a time.
//! 1. Load the state file (it names the rollout, the log, and how many
//!    decisions it has applied: `seq`, and the hash of the last: `head`),
//!    and open the log, verifying its whole chain.
//! 2. Reconcile the state with the log (below).
//! 3. Decide: the pure [`Controller::step`].
//! 4. **Append** the decision record (rollout id, `seq + 1`, window, time of
//!    decision, stages, verdict, decision, reasons, SHA-256 of the resulting
//!    state) to the log and fsync it. From here on the decision exists.
//! 5. **Save** the state: write a temp file, fsync, rename over the state
//!    file, fsync the directory ([`write_durable`]).
//!
//! A crash before 4 leaves no trace: rerunning the step decides the same
//! (the controller is pure). A crash during 4 leaves at most a torn last
//! line, never acknowledged, which the next append cuts. A crash between 4
//! and 5 leaves the log one decision ahead of the state: step 2 of the next
//! run re-derives that decision from the record's window and time, checks
//! the result against the record's state hash, and saves it — the decision
//! is neither lost nor applied twice, and the rerun window is then refused
//! as a duplicate. A crash during 5 leaves the old state file (rename is
//! atomic) and is the same case. Anything else (the log behind the state,
//! more than one decision ahead, or hashes that disagree) is refused.
//!
//! `init` is the same in small: lock, refuse an existing state file, append
//! the init record, save the state. A crash between the two leaves the init
//! record last in the log with no state file; the next `init` with the same
//! config and state file adopts that record instead of writing a second.
//!
//! Every named point of the protocol is reported to an [`Observer`]
//! ([`CrashPoint`]), which is how calib's tests crash a step at each point;
//! the store itself reads no environment and prints nothing.

mod durable;
mod error;
mod format;
mod log;
mod observer;
mod reconcile;
#[cfg(test)]
mod tests;

pub use durable::{Lock, resolve, sync_parent, write_durable};
pub use error::{StoreError, StoreErrorKind};
pub use format::{DecisionRecord, InitRecord, KIND_DECISION, KIND_INIT, SCHEMA_VERSION, StateFile, config_sha256};
pub use log::{DecisionLog, LoggedDecision};
pub use observer::{CrashPoint, Notice, Observer, Quiet};

use crate::rollout::{Controller, NextStep, Phase, Step, WindowReport};
use serde_json::Value;
use std::format;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};

/// A rollout's store, named by its state file. The decision log's place is
/// written in the state file (chosen at [`Store::init`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    state_path: PathBuf,
}

/// What [`Store::init`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initialised {
    /// The rollout's id: the hash of its init record.
    pub rollout_id: String,
    /// Where the decision log is.
    pub log_path: PathBuf,
}

/// What [`Store::step`] did: the decision, applied and saved.
#[derive(Debug, Clone, PartialEq)]
pub struct Stepped {
    /// The decisions applied before this one (this decision's 0-based index).
    pub index: u64,
    /// The phase before the window.
    pub before: Phase,
    /// The controller's step: the new state, decision, verdict and reasons.
    pub step: Step,
}

/// What [`Store::status`] found: the state file, checked against a replay
/// of its log.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The state file as loaded.
    pub file: StateFile,
    /// Where the decision log is.
    pub log_path: PathBuf,
    /// Records in the log (of every kind and rollout).
    pub log_records: usize,
    /// The log holds one decision more than the state applied (a step
    /// stopped before saving); the next [`Store::step`] applies it.
    pub pending_recovery: bool,
    /// The log ends in a torn (never acknowledged) line, which is ignored.
    pub torn_tail: bool,
    /// The controller's next move from this state.
    pub next: NextStep,
}

fn absolute(path: &Path) -> Result<PathBuf, StoreError> {
    std::path::absolute(path).map_err(|e| StoreError::io(path, format!("cannot resolve the path: {e}")))
}

impl Store {
    /// The store whose state file is `state_path`. Touches no file.
    pub fn new(state_path: impl Into<PathBuf>) -> Store {
        Store { state_path: state_path.into() }
    }

    /// The state file.
    pub fn state_path(&self) -> &Path {
        &self.state_path
    }

    /// Starts a rollout: writes the log's init record (to `audit_log`, or by
    /// default `<state file stem>.audit.jsonl` beside the state file) and a
    /// new state file at Off. `manifest` is what the trust commands record
    /// about the manifest being rolled out. Refuses an existing state file
    /// ([`StoreErrorKind::AlreadyExists`]): a new manifest version gets a
    /// new one.
    pub fn init(
        &self,
        controller: &Controller,
        manifest: Option<Value>,
        audit_log: Option<&Path>,
        now_ms: i64,
        observer: &mut dyn Observer,
    ) -> Result<Initialised, StoreError> {
        self.at_real_path(|path| init_at(path, controller, manifest, audit_log, now_ms, observer))
    }

    /// Decides one window decided at `now_ms`, following the step protocol
    /// (module docs): lock, load, verify the log, recover a decision a crash
    /// left unsaved, decide, append the decision to the log, save the state.
    /// A window the controller refuses is [`StoreErrorKind::WindowRejected`]
    /// and changes nothing (beyond a recovered decision).
    pub fn step(&self, window: &WindowReport, now_ms: i64, observer: &mut dyn Observer) -> Result<Stepped, StoreError> {
        self.at_real_path(|path| step_at(path, window, now_ms, observer))
    }

    /// Where the rollout is, read-only and without the lock: the log's chain
    /// is verified and its applied decisions replayed from the initial
    /// state; the result must equal the state file
    /// ([`StoreErrorKind::Disagree`] otherwise). The log may be one decision
    /// ahead ([`Status::pending_recovery`]).
    pub fn status(&self) -> Result<Status, StoreError> {
        self.at_real_path(status_at)
    }

    /// Runs `op` on the file the state path names ([`resolve`]: symlinks
    /// followed), so the lock, the reads and the atomic rename all concern
    /// the real file, whichever name reached it. An alias and the real name
    /// thus share one lock, and a symlink is never replaced by a regular
    /// file. Errors about the real file name the path the caller gave.
    fn at_real_path<T>(&self, op: impl FnOnce(&Path) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let real = resolve(&self.state_path)
            .map_err(|e| StoreError::io(&self.state_path, format!("cannot resolve the path: {e}")))?;
        op(&real).map_err(|e| e.renamed(&real, &self.state_path))
    }
}

fn init_at(
    path: &Path,
    controller: &Controller,
    manifest: Option<Value>,
    audit_log: Option<&Path>,
    now_ms: i64,
    observer: &mut dyn Observer,
) -> Result<Initialised, StoreError> {
    let _lock = Lock::take(path)?;
    if path.exists() {
        return Err(StoreError::new(
            StoreErrorKind::AlreadyExists,
            path,
            "already exists: a rollout is initialised once (a new manifest version gets a new state file)",
        ));
    }
    let audit_log = match audit_log {
        Some(p) => absolute(p)?.display().to_string(),
        None => {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            format!("{stem}.audit.jsonl")
        }
    };
    let config = controller.config().clone();
    let state = controller.initial_state();
    let record = InitRecord {
        state_file: absolute(path)?.display().to_string(),
        config_sha256: Some(config_sha256(&config)),
        config: config.clone(),
        manifest: manifest.clone(),
        state_sha256: state.digest_hex(),
        now_ms,
    };
    let mut sf = StateFile {
        schema_version: SCHEMA_VERSION,
        rollout_id: String::new(),
        manifest,
        audit_log,
        seq: 0,
        head: String::new(),
        config,
        state,
    };
    let log_path = sf.log_path(path);
    let mut log = DecisionLog::open(&log_path)?;
    // A crash between the init record and the state file leaves the
    // record last in the log with no state: adopt it rather than start a
    // second rollout. Only the time may differ (the rerun is later).
    let adopted = log.records().last().filter(|r| {
        r.kind == KIND_INIT
            && serde_json::from_value::<InitRecord>(r.data.clone()).is_ok_and(|r| InitRecord { now_ms, ..r } == record)
    });
    let id = match adopted {
        Some(r) => {
            let id = r.hash.to_hex();
            observer.notice(&Notice::AdoptedInit { record: id.clone() });
            id
        }
        None => {
            let data = serde_json::to_value(&record).expect("an init record serialises");
            let id = log.append(KIND_INIT, data, now_ms, observer)?;
            observer.reached(CrashPoint::InitLogged);
            id
        }
    };
    sf.rollout_id = id.clone();
    sf.head = id.clone();
    sf.save(path, observer)?;
    Ok(Initialised { rollout_id: id, log_path })
}

fn step_at(
    path: &Path,
    window: &WindowReport,
    now_ms: i64,
    observer: &mut dyn Observer,
) -> Result<Stepped, StoreError> {
    let _lock = Lock::take(path)?;
    let mut sf = StateFile::load(path)?;
    let controller = sf.controller(path)?;
    let mut log = DecisionLog::open(&sf.log_path(path))?;
    if reconcile::reconcile(&mut sf, path, &controller, &log, observer)? {
        observer.notice(&Notice::RecoveredDecision { seq: sf.seq });
    }
    let before = sf.state.phase;
    let step =
        controller.step(&sf.state, window, now_ms).map_err(|e| StoreError::rejected(path, e, sf.state.clone()))?;
    observer.reached(CrashPoint::StepDecided);
    let record = serde_json::json!({
        "rollout": sf.rollout_id,
        "seq": sf.seq + 1,
        "now_ms": now_ms,
        "window": window,
        "stage_before": before.to_string(),
        "stage_after": step.state.phase.to_string(),
        "verdict": step.verdict,
        "decision": step.decision,
        "reasons": step.reasons,
        "state_sha256": step.state.digest_hex(),
        "config_sha256": config_sha256(&sf.config),
    });
    let hash = log.append(KIND_DECISION, record, now_ms, observer)?;
    observer.reached(CrashPoint::StepLogged);
    let index = sf.seq;
    sf.state = step.state.clone();
    sf.seq += 1;
    sf.head = hash;
    sf.save(path, observer)?;
    observer.reached(CrashPoint::StepSaved);
    Ok(Stepped { index, before, step })
}

fn status_at(path: &Path) -> Result<Status, StoreError> {
    let sf = StateFile::load(path)?;
    let controller = sf.controller(path)?;
    let log_path = sf.log_path(path);
    let log = DecisionLog::open(&log_path)?;
    let (_, records) = reconcile::bound(&sf, path, &log)?;
    let applied = usize::try_from(sf.seq).unwrap_or(usize::MAX);
    let disagree = |m: String| StoreError::new(StoreErrorKind::Disagree, path, m);
    let pending_recovery = match records.len().checked_sub(applied) {
        Some(0) => false,
        Some(1) => true,
        _ => {
            return Err(disagree(format!(
                "state and audit log disagree: {} decisions applied, {} logged",
                sf.seq,
                records.len()
            )));
        }
    };
    let replayed = controller
        .replay_verified(
            &controller.initial_state(),
            records[..applied].iter().map(|d| (&d.record.window, d.record.now_ms, d.record.state_sha256.as_str())),
        )
        .map_err(|e| StoreError::new(StoreErrorKind::Disagree, &log_path, e.to_string()))?;
    if replayed != sf.state {
        return Err(disagree("the state differs from the replay of its audit log".into()));
    }
    let next = controller.next_step(&sf.state);
    Ok(Status {
        log_records: log.records().len(),
        torn_tail: log.torn_tail(),
        file: sf,
        log_path,
        pending_recovery,
        next,
    })
}
