//! The rollout's records in calib's audit chain ([`crate::audit`]): read
//! back verified, and appended durably.
//!
//! The chain itself (canonical JSON lines, `seq`, `prev`, `hash`) is the
//! audit module's; this adds what the rollout's crash protocol needs:
//!
//! - records are appended with the **decision time** as their `time`, so a
//!   replayed or resumed run writes byte-identical records;
//! - a **torn last line** (an append interrupted by a crash: no newline)
//!   was never acknowledged to anyone, so the next append cuts it, under the
//!   log's lock, and says so ([`Notice::DroppedTornTail`]).
//!   [`audit::append_at`] refuses to chain onto one; every other kind of
//!   damage is refused here when the log is opened.

use super::error::{StoreError, StoreErrorKind};
use super::format::{DecisionRecord, InitRecord, KIND_DECISION, KIND_INIT, config_sha256};
use super::observer::{CrashPoint, Notice, Observer};
use crate::audit::{self, AUDIT_FORMAT, AuditErrorKind, AuditRecord, GENESIS};
use serde_json::Value;
use std::format;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::time::{Duration, SystemTime};
use std::vec::Vec;

/// One of a rollout's decision records, with the hash of its line.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedDecision {
    /// The record's hash (hex).
    pub hash: String,
    /// Its payload.
    pub record: DecisionRecord,
}

/// An opened, verified audit log holding a rollout's records.
#[derive(Debug)]
pub struct DecisionLog {
    path: PathBuf,
    records: Vec<AuditRecord>,
    /// Bytes of complete lines; a torn last line starts here.
    good_len: u64,
    torn: bool,
}

/// `ms` since the Unix epoch as a `SystemTime` (clamped at the epoch).
fn system_time(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl DecisionLog {
    /// Reads and verifies the whole chain; a missing file is an empty log.
    /// Any damage but a torn last line is [`StoreErrorKind::DamagedLog`].
    pub fn open(path: &Path) -> Result<DecisionLog, StoreError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(StoreError::io(path, format!("cannot read: {e}"))),
        };
        let check = audit::verify_chain(&bytes);
        if let Some(p) = check.problems.iter().find(|p| p.kind() != AuditErrorKind::Torn) {
            return Err(StoreError::new(
                StoreErrorKind::DamagedLog,
                path,
                format!("the audit log is damaged: {p} (see `calib audit verify`)"),
            ));
        }
        let good_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let records = bytes[..good_len]
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("verify_chain accepted the line"))
            .collect();
        Ok(DecisionLog { path: path.to_path_buf(), records, good_len: good_len as u64, torn: good_len < bytes.len() })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The verified records, oldest first (of every kind and rollout).
    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }

    /// Whether a torn (unacknowledged) last line was set aside.
    pub fn torn_tail(&self) -> bool {
        self.torn
    }

    /// The init record whose hash is `rollout`.
    pub fn init_record(&self, rollout: &str) -> Option<Result<InitRecord, StoreError>> {
        let r = self.records.iter().find(|r| r.kind == KIND_INIT && r.hash.to_hex() == rollout)?;
        Some(serde_json::from_value(r.data.clone()).map_err(|e| {
            StoreError::new(StoreErrorKind::DamagedLog, &self.path, format!("init record {rollout} is unreadable: {e}"))
        }))
    }

    /// The decision records of rollout `rollout`, checked to be numbered
    /// 1, 2, …
    pub fn decisions(&self, rollout: &str) -> Result<Vec<LoggedDecision>, StoreError> {
        let damaged = |m: String| StoreError::new(StoreErrorKind::DamagedLog, &self.path, m);
        let mut out: Vec<LoggedDecision> = Vec::new();
        for r in self.records.iter().filter(|r| r.kind == KIND_DECISION) {
            if r.data.get("rollout").and_then(|v| v.as_str()) != Some(rollout) {
                continue;
            }
            let hash = r.hash.to_hex();
            let record: DecisionRecord = serde_json::from_value(r.data.clone())
                .map_err(|e| damaged(format!("record {hash} is not a decision record: {e}")))?;
            if record.seq != out.len() as u64 + 1 {
                return Err(damaged(format!(
                    "decision records of rollout {rollout} skip from {} to {}",
                    out.len(),
                    record.seq
                )));
            }
            out.push(LoggedDecision { hash, record });
        }
        Ok(out)
    }

    /// Every rollout record in the log that is not bound to its rollout's
    /// config, as [`StoreErrorKind::ConfigMismatch`] errors whose message
    /// starts with the line (`line 7: …`): an init record whose
    /// `config_sha256` is not the hash of its `config`, and a decision whose
    /// `config_sha256` is not its rollout's. This needs only the log, so
    /// `calib audit verify` runs it beside the chain check. (Records from
    /// before calib hashed the config carry no hash and are not judged.)
    pub fn config_problems(&self) -> Vec<StoreError> {
        let mut fixed: Vec<(String, String)> = Vec::new();
        let mut out = Vec::new();
        let mut problem = |line: usize, m: String| {
            out.push(StoreError::new(StoreErrorKind::ConfigMismatch, &self.path, format!("line {}: {m}", line + 1)))
        };
        for (i, r) in self.records.iter().enumerate() {
            if r.kind == KIND_INIT {
                let Ok(init) = serde_json::from_value::<InitRecord>(r.data.clone()) else { continue };
                let hash = config_sha256(&init.config);
                if init.config_sha256.as_ref().is_some_and(|h| *h != hash) {
                    problem(i, format!("the init record's config_sha256 is not the SHA-256 of its config ({hash})"));
                }
                fixed.push((r.hash.to_hex(), hash));
            } else if r.kind == KIND_DECISION {
                let named = r.data.get("config_sha256").and_then(Value::as_str);
                let rollout = r.data.get("rollout").and_then(Value::as_str);
                let Some((named, rollout)) = named.zip(rollout) else { continue };
                if let Some((_, hash)) = fixed.iter().find(|(id, _)| id == rollout)
                    && named != hash
                {
                    problem(
                        i,
                        format!("a decision under config {named}, not its rollout's {hash} (init record {rollout})"),
                    );
                }
            }
        }
        out
    }

    /// Appends one record stamped with `time_ms` and makes it durable;
    /// returns its hash (hex). A torn last line is cut first.
    pub fn append(
        &mut self,
        kind: &str,
        data: Value,
        time_ms: i64,
        observer: &mut dyn Observer,
    ) -> Result<String, StoreError> {
        if self.torn {
            self.drop_torn_tail(observer)?;
        }
        if observer.tear_append() {
            self.write_torn(kind, &data, time_ms);
            self.torn = true;
            observer.reached(CrashPoint::StepLogTorn);
            self.drop_torn_tail(observer)?;
        }
        let record = audit::append_at(&self.path, kind, data, system_time(time_ms)).map_err(|e| {
            let kind = if e.kind() == AuditErrorKind::Io { StoreErrorKind::Io } else { StoreErrorKind::DamagedLog };
            StoreError::new(kind, &self.path, e.to_string())
        })?;
        self.good_len += record.to_line().len() as u64 + 1;
        let hash = record.hash.to_hex();
        self.records.push(record);
        Ok(hash)
    }

    /// Cuts the torn last line, under the log's lock, if the file is still
    /// exactly as it was read.
    fn drop_torn_tail(&mut self, observer: &mut dyn Observer) -> Result<(), StoreError> {
        let io = |m: String| StoreError::io(&self.path, m);
        let f = OpenOptions::new().write(true).open(&self.path).map_err(|e| io(format!("cannot open: {e}")))?;
        f.lock().map_err(|e| io(format!("cannot lock: {e}")))?;
        if DecisionLog::open(&self.path)?.good_len != self.good_len {
            return Err(StoreError::new(
                StoreErrorKind::LogChanged,
                &self.path,
                "the audit log changed while this step ran; run it again",
            ));
        }
        let len = f.metadata().map_err(|e| io(format!("cannot stat: {e}")))?.len();
        let bytes = len.saturating_sub(self.good_len);
        f.set_len(self.good_len).and_then(|_| f.sync_all()).map_err(|e| io(format!("cannot truncate: {e}")))?;
        self.torn = false;
        observer.notice(&Notice::DroppedTornTail { log: self.path.clone(), bytes });
        Ok(())
    }

    /// Writes the first half of the record `append` would write, as a crash
    /// mid-write would leave it ([`Observer::tear_append`]).
    fn write_torn(&self, kind: &str, data: &Value, time_ms: i64) {
        let last = self.records.last();
        let mut record = AuditRecord {
            v: AUDIT_FORMAT,
            seq: last.map_or(0, |r| r.seq + 1),
            time: audit::rfc3339(system_time(time_ms)),
            kind: kind.to_string(),
            data: data.clone(),
            prev: last.map_or(GENESIS, |r| r.hash),
            hash: GENESIS,
        };
        record.hash = record.expected_hash();
        let line = record.to_line();
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(&self.path) {
            let _ = f.write_all(&line[..line.len() / 2]).and_then(|_| f.sync_data());
        }
    }
}
