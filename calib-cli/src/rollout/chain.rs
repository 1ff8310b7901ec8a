//! The rollout's records in calib's audit chain (`calib_core::audit`):
//! reading them back verified, and appending new ones.
//!
//! The chain itself (canonical JSON lines, `seq`, `prev`, `hash`) is
//! calib-core's; this module adds what the rollout's crash protocol needs:
//!
//! - records are appended with the **decision time** as their `time`, so a
//!   replayed or resumed run writes byte-identical records;
//! - a **torn last line** (an append interrupted by a crash: no newline) was
//!   never acknowledged to anyone, so the next append drops it, under the
//!   log's lock, and says so on stderr. `calib_core::audit::append` refuses
//!   to chain onto one; every other kind of damage is refused here too.

use super::{crash_point, crashing_at};
use crate::io::CliError;
use calib_core::audit::{self, AUDIT_FORMAT, AuditErrorKind, AuditRecord, GENESIS};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// One verified record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The record's hash (hex).
    pub hash: String,
    /// What the record is (`"rollout.decision"`).
    pub kind: String,
    /// The payload.
    pub data: serde_json::Value,
}

/// An opened, verified log.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    records: Vec<AuditRecord>,
    entries: Vec<Entry>,
    /// Bytes of complete lines; a torn last line starts here.
    good_len: u64,
    torn: bool,
}

/// `ms` since the Unix epoch as a `SystemTime` (clamped at the epoch).
fn system_time(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl AuditLog {
    /// Reads and verifies the whole chain. A missing file is an empty log.
    pub fn open(path: &Path) -> Result<AuditLog, CliError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(CliError::file(path, format!("cannot read: {e}"))),
        };
        let check = audit::verify_chain(&bytes);
        if let Some(p) = check.problems.iter().find(|p| p.kind() != AuditErrorKind::Torn) {
            return Err(CliError::file(path, format!("the audit log is damaged: {p} (see `calib audit verify`)")));
        }
        let good_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let records: Vec<AuditRecord> = bytes[..good_len]
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("verify_chain accepted the line"))
            .collect();
        let entries = records
            .iter()
            .map(|r| Entry { hash: r.hash.to_hex(), kind: r.kind.clone(), data: r.data.clone() })
            .collect();
        Ok(AuditLog {
            path: path.to_path_buf(),
            records,
            entries,
            good_len: good_len as u64,
            torn: good_len < bytes.len(),
        })
    }

    /// The verified records, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether a torn (unacknowledged) last line was set aside.
    pub fn torn_tail(&self) -> bool {
        self.torn
    }

    /// Appends one record stamped with `time_ms` and makes it durable;
    /// returns its hash.
    pub fn append(&mut self, kind: &str, data: serde_json::Value, time_ms: i64) -> Result<String, CliError> {
        if self.torn {
            self.drop_torn_tail()?;
        }
        if crashing_at("step-log-torn") {
            self.write_torn(kind, &data, time_ms);
            crash_point("step-log-torn");
        }
        let record = audit::append_at(&self.path, kind, data, system_time(time_ms))
            .map_err(|e| CliError::file(&self.path, e))?;
        let line_len = record.to_line().len() as u64 + 1;
        self.good_len += line_len;
        let hash = record.hash.to_hex();
        self.entries.push(Entry { hash: hash.clone(), kind: record.kind.clone(), data: record.data.clone() });
        self.records.push(record);
        Ok(hash)
    }

    /// Truncates the torn last line, under the log's lock, if the file is
    /// still exactly as it was read.
    fn drop_torn_tail(&mut self) -> Result<(), CliError> {
        let err = |m: String| CliError::file(&self.path, m);
        let f = OpenOptions::new().write(true).open(&self.path).map_err(|e| err(format!("cannot open: {e}")))?;
        f.lock().map_err(|e| err(format!("cannot lock: {e}")))?;
        if AuditLog::open(&self.path)?.good_len != self.good_len {
            return Err(err("the audit log changed while this step ran; run it again".into()));
        }
        let len = f.metadata().map_err(|e| err(format!("cannot stat: {e}")))?.len();
        let dropped = len.saturating_sub(self.good_len);
        f.set_len(self.good_len).and_then(|_| f.sync_all()).map_err(|e| err(format!("cannot truncate: {e}")))?;
        eprintln!(
            "calib: dropped a torn last line ({dropped} bytes) from {}: an append interrupted by a crash, never acknowledged",
            self.path.display()
        );
        self.torn = false;
        Ok(())
    }

    /// Test-only (`CALIB_CRASH_AT=step-log-torn`): writes the first half of
    /// the record `append` would write, as a crash mid-write would leave it.
    fn write_torn(&self, kind: &str, data: &serde_json::Value, time_ms: i64) {
        let last = self.records.last();
        let mut record = AuditRecord {
            v: AUDIT_FORMAT,
            seq: last.map_or(0, |r| r.seq + 1),
            time: super::format_time(time_ms),
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
