//! The state file, saved atomically and durably, and how it is kept in step
//! with the decision log across crashes.
//!
//! # The step protocol
//!
//! 0. Take the state's lock ([`Lock`]): one step at a time.
//! 1. Load the state file (it names the rollout, the log, and how many
//!    decisions it has applied: `seq`, and the hash of the last: `head`).
//! 2. Reconcile with the log (below).
//! 3. Decide (the pure controller step).
//! 4. **Append** the decision record (rollout id, `seq + 1`, window, time of
//!    decision, decision, reasons, SHA-256 of the resulting state) to the log
//!    and fsync it. From here on the decision exists.
//! 5. **Save** the state: write a temp file, fsync, rename over the state
//!    file, fsync the directory.
//!
//! A crash before 4 leaves no trace: rerunning the step decides the same
//! (the controller is pure). A crash during 4 leaves at most a torn last
//! line, never acknowledged, which the log drops. A crash between 4 and 5
//! leaves the log one decision ahead of the state: step 2 of the next run
//! re-derives that decision from the record's window and time, checks the
//! result against the record's state hash, and saves it — the decision is
//! neither lost nor applied twice, and the rerun window is then refused as
//! a duplicate. A crash during 5 leaves the old state file (rename is
//! atomic) and is the same case. Anything else (the log behind the state,
//! or more than one decision ahead, or hashes that disagree) is refused.

use super::chain::{AuditLog, Entry};
use super::crash_point;
use crate::io::CliError;
use calib_core::rollout::{Config, Controller, State, WindowReport};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The state file's format version.
pub const SCHEMA_VERSION: u32 = 1;
/// Record kinds in the log.
pub const KIND_INIT: &str = "rollout.init";
pub const KIND_DECISION: &str = "rollout.decision";

/// The state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    pub schema_version: u32,
    /// The hash of the rollout's init record.
    pub rollout_id: String,
    /// What the trust commands record about a manifest (file, digests, version).
    pub manifest: Option<serde_json::Value>,
    /// The decision log: absolute, or relative to the state file's directory.
    pub audit_log: String,
    /// Decisions applied.
    pub seq: u64,
    /// Hash of the last applied record (the init record when `seq` is 0).
    pub head: String,
    pub config: Config,
    pub state: State,
}

/// The payload of a `rollout.init` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitRecord {
    /// The state file (absolute path) this rollout keeps its state in.
    pub state_file: String,
    pub config: Config,
    /// What the trust commands record about a manifest (file, digests, version).
    pub manifest: Option<serde_json::Value>,
    pub state_sha256: String,
    pub now_ms: i64,
}

/// The payload of a `rollout.decision` record (read side: the reasons and
/// names are for people; replay needs the window, the time and the hash).
#[derive(Debug, Clone, Deserialize)]
pub struct DecisionRecord {
    pub seq: u64,
    pub now_ms: i64,
    pub window: WindowReport,
    pub decision: String,
    pub state_sha256: String,
}

impl StateFile {
    pub fn load(path: &Path) -> Result<StateFile, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::file(path, format!("cannot read: {e}")))?;
        let sf: StateFile =
            serde_json::from_str(&text).map_err(|e| CliError::file(path, format!("not a rollout state: {e}")))?;
        if sf.schema_version != SCHEMA_VERSION {
            return Err(CliError::file(
                path,
                format!("schema_version {} is not {SCHEMA_VERSION}, the one this calib reads", sf.schema_version),
            ));
        }
        Ok(sf)
    }

    pub fn controller(&self, path: &Path) -> Result<Controller, CliError> {
        let c = Controller::new(self.config.clone()).map_err(|e| CliError::file(path, e))?;
        c.check_state(&self.state).map_err(|e| CliError::file(path, e))?;
        Ok(c)
    }

    /// Where the log is, given where the state file is.
    pub fn log_path(&self, state_path: &Path) -> PathBuf {
        let p = Path::new(&self.audit_log);
        if p.is_absolute() { p.to_path_buf() } else { parent_dir(state_path).join(p) }
    }

    pub fn save(&self, path: &Path) -> Result<(), CliError> {
        let mut text = serde_json::to_string_pretty(self).expect("a state file always serialises");
        text.push('\n');
        write_durable(path, text.as_bytes()).map_err(|e| CliError::file(path, format!("cannot save: {e}")))
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// fsyncs the directory holding `path`, so a rename or a new file in it
/// survives a power loss.
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

/// Holds the rollout's lock: one `init`/`step` at a time per state file.
/// An advisory lock on `.<state>.lock` beside it, which the OS releases
/// when the process ends, however it ends — so a crash leaves no stale lock.
pub struct Lock(#[allow(dead_code)] File);

impl Lock {
    pub fn take(state_path: &Path) -> Result<Lock, CliError> {
        let name = state_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let path = parent_dir(state_path).join(format!(".{name}.lock"));
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| CliError::file(&path, format!("cannot open the lock file: {e}")))?;
        match f.try_lock() {
            Ok(()) => Ok(Lock(f)),
            Err(std::fs::TryLockError::WouldBlock) => Err(CliError::file(
                state_path,
                "another `calib rollout` is working on this state (its lock is held); try again when it is done",
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(CliError::file(&path, format!("cannot lock: {e}"))),
        }
    }
}

/// Replaces `path` with `bytes` atomically and durably: a fixed temp file
/// beside it (a crash leaves at most this one file, overwritten next
/// time), fsync, rename, fsync the directory.
pub fn write_durable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent_dir(path).join(format!(".{name}.tmp"));
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    crash_point("state-temp-written");
    std::fs::rename(&tmp, path)?;
    crash_point("state-renamed");
    sync_parent(path)
}

/// This rollout's decision records in the log, checked to be numbered 1, 2, …
pub fn decisions(log: &AuditLog, rollout: &str, log_path: &Path) -> Result<Vec<(Entry, DecisionRecord)>, CliError> {
    let mut out = Vec::new();
    for e in log.entries().iter().filter(|e| e.kind == KIND_DECISION) {
        if e.data.get("rollout").and_then(|r| r.as_str()) != Some(rollout) {
            continue;
        }
        let r: DecisionRecord = serde_json::from_value(e.data.clone())
            .map_err(|err| CliError::file(log_path, format!("record {} is not a decision record: {err}", e.hash)))?;
        if r.seq != out.len() as u64 + 1 {
            return Err(CliError::file(
                log_path,
                format!("decision records of rollout {rollout} skip from {} to {}", out.len(), r.seq),
            ));
        }
        out.push((e.clone(), r));
    }
    Ok(out)
}

/// Checks the log against the state file and brings the state up to the log
/// when a crash left it one decision behind. Returns whether it recovered one.
pub fn reconcile(sf: &mut StateFile, state_path: &Path, log: &AuditLog) -> Result<bool, CliError> {
    let log_path = sf.log_path(state_path);
    let refuse = |m: String| CliError::file(state_path, m);
    let init = log.entries().iter().find(|e| e.kind == KIND_INIT && e.hash == sf.rollout_id).ok_or_else(|| {
        refuse(format!("the audit log {} has no init record {} for this rollout", log_path.display(), sf.rollout_id))
    })?;
    let init: InitRecord = serde_json::from_value(init.data.clone())
        .map_err(|e| CliError::file(&log_path, format!("init record {} is unreadable: {e}", sf.rollout_id)))?;
    let records = decisions(log, &sf.rollout_id, &log_path)?;
    let logged = records.len() as u64;
    match logged.checked_sub(sf.seq) {
        Some(0) => {
            let (head, digest) = match records.last() {
                Some((e, r)) => (e.hash.as_str(), r.state_sha256.as_str()),
                None => (sf.rollout_id.as_str(), init.state_sha256.as_str()),
            };
            if head != sf.head || digest != sf.state.digest_hex() {
                return Err(refuse(format!(
                    "state and audit log disagree: the state's head {} and state hash {} are not the log's {head} \
                     and {digest}",
                    sf.head,
                    sf.state.digest_hex()
                )));
            }
            Ok(false)
        }
        Some(1) => {
            let (entry, record) = records.last().expect("one record ahead");
            let previous = records.len().checked_sub(2).map_or(sf.rollout_id.as_str(), |i| records[i].0.hash.as_str());
            if previous != sf.head {
                return Err(refuse(format!(
                    "state and audit log disagree: the state's head {} is not the log's {previous}",
                    sf.head
                )));
            }
            let controller = sf.controller(state_path)?;
            let step = controller
                .step(&sf.state, &record.window, record.now_ms)
                .map_err(|e| refuse(format!("cannot re-derive decision {} from the audit log: {e}", record.seq)))?;
            if step.state.digest_hex() != record.state_sha256 || step.decision.name() != record.decision {
                return Err(refuse(format!(
                    "decision {} in the audit log does not follow from the state: recorded {} with state {}, \
                     re-derived {} with state {}",
                    record.seq,
                    record.decision,
                    record.state_sha256,
                    step.decision.name(),
                    step.state.digest_hex()
                )));
            }
            sf.state = step.state;
            sf.seq = record.seq;
            sf.head = entry.hash.clone();
            sf.save(state_path)?;
            Ok(true)
        }
        _ => Err(refuse(format!(
            "state and audit log disagree: the state has applied {} decisions, the log {} holds {logged}; \
             refusing to guess",
            sf.seq,
            log_path.display()
        ))),
    }
}
