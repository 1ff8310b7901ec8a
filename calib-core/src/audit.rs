//! The audit chain: an append-only, hash-chained JSON-lines log.
//!
//! Each line is one record, written as canonical JSON (see
//! [`crate::canonical`]):
//!
//! ```json
//! {"data":{…},"hash":"…","kind":"manifest.signed","prev":"…","seq":0,"time":"2025-01-01T00:00:00Z","v":1}
//! ```
//!
//! - `seq` counts records from 0;
//! - `prev` is the `hash` of the record before (64 zeros for the first);
//! - `hash` is the SHA-256 of the record's canonical JSON **without** its
//!   `hash` field.
//!
//! So an edited line no longer matches its own hash (or, if the editor
//! recomputed it, the next line's `prev`); a removed line leaves a gap in
//! `seq` and in the chain; reordered lines break both. [`verify_chain`]
//! names every line where that happens. A chain cannot show that lines were
//! cut off **at the end**: keep the head hash that verification prints
//! somewhere else, and pass it back ([`ChainCheck::head`]).
//!
//! The payload is generic — a `kind` and any JSON `data` — so the same chain
//! records manifest events ([`ManifestEvent`]) and rollout decisions.
//!
//! **Appends** take an exclusive advisory lock on the file, read its last
//! record, write the new line with one `write` call on a file opened for
//! appending, and `fsync` it (and the directory, when the file was
//! created). A crash can at worst leave a torn last line without its
//! newline; verification reports it and appends refuse to chain onto it,
//! so nothing is ever silently built on a damaged tail.

use crate::canonical::{Sha256Digest, canonical_json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::string::{String, ToString};
use std::time::SystemTime;
use std::vec::Vec;
use std::{format, vec};

/// The record format version (`v`).
pub const AUDIT_FORMAT: u32 = 1;
/// `prev` of the first record.
pub const GENESIS: Sha256Digest = Sha256Digest([0; 32]);

/// The manifest events the chain records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManifestEvent {
    /// A manifest was signed.
    Signed,
    /// A manifest was verified.
    Verified,
    /// A manifest was refused.
    Rejected,
    /// A manifest was published (handed to serving).
    Published,
}

impl ManifestEvent {
    /// Every event.
    pub const ALL: [ManifestEvent; 4] =
        [ManifestEvent::Signed, ManifestEvent::Verified, ManifestEvent::Rejected, ManifestEvent::Published];

    /// The record `kind`, e.g. `manifest.signed`.
    pub fn kind(self) -> &'static str {
        match self {
            ManifestEvent::Signed => "manifest.signed",
            ManifestEvent::Verified => "manifest.verified",
            ManifestEvent::Rejected => "manifest.rejected",
            ManifestEvent::Published => "manifest.published",
        }
    }
}

/// One record of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// [`AUDIT_FORMAT`].
    pub v: u32,
    /// Position in the chain, from 0.
    pub seq: u64,
    /// When it was appended (RFC 3339, UTC).
    pub time: String,
    /// What happened (`[a-z0-9._-]`, e.g. `manifest.signed`).
    pub kind: String,
    /// Event details.
    pub data: Value,
    /// The previous record's hash ([`GENESIS`] for the first).
    pub prev: Sha256Digest,
    /// SHA-256 of this record's canonical JSON without `hash`.
    pub hash: Sha256Digest,
}

impl AuditRecord {
    /// The hash this record should carry.
    pub fn expected_hash(&self) -> Sha256Digest {
        let mut v = serde_json::to_value(self).expect("a record serialises");
        if let Value::Object(m) = &mut v {
            m.remove("hash");
        }
        Sha256Digest::of(&canonical_json(&v))
    }

    /// The record's line (canonical JSON, without the newline).
    pub fn to_line(&self) -> Vec<u8> {
        canonical_json(&serde_json::to_value(self).expect("a record serialises"))
    }
}

/// What kind of problem an audit operation met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuditErrorKind {
    /// The file could not be read or written.
    Io,
    /// A line is not a record.
    Malformed,
    /// A line's content does not match its hash, or is not in canonical form.
    Edited,
    /// A line does not follow the one before it: removed or reordered lines.
    Broken,
    /// The last line has no newline: an append was interrupted.
    Torn,
    /// The chain's last hash is not the head the caller expected.
    HeadMismatch,
    /// An event kind outside `[a-z0-9._-]{1,64}`.
    BadKind,
}

impl AuditErrorKind {
    /// A stable code (`"torn"`), listed in [`crate::error`]'s table.
    pub fn code(self) -> &'static str {
        match self {
            AuditErrorKind::Io => "io",
            AuditErrorKind::Malformed => "malformed",
            AuditErrorKind::Edited => "edited",
            AuditErrorKind::Broken => "broken",
            AuditErrorKind::Torn => "torn",
            AuditErrorKind::HeadMismatch => "head_mismatch",
            AuditErrorKind::BadKind => "bad_kind",
        }
    }
}

/// A problem with an audit log: its kind, the line (1-based) when there is
/// one, and a message saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditError {
    kind: AuditErrorKind,
    line: Option<u64>,
    message: String,
}

impl AuditError {
    /// What went wrong.
    pub fn kind(&self) -> AuditErrorKind {
        self.kind
    }
    /// The stable code of the kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
    /// The line of the log it is about, 1-based, when there is one.
    pub fn line(&self) -> Option<u64> {
        self.line
    }
    /// Why, in words, without the line.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for AuditError {}

fn err(kind: AuditErrorKind, line: Option<u64>, message: impl Into<String>) -> AuditError {
    AuditError { kind, line, message: message.into() }
}

/// An I/O failure, in the OS's words. The message does not name the file:
/// every caller passed the path and names it itself (the CLI prints
/// `<path>: <message>`), so naming it here printed it twice.
fn io_err(e: std::io::Error) -> AuditError {
    err(AuditErrorKind::Io, None, e.to_string())
}

/// The outcome of checking a whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    /// Lines read (including bad ones).
    pub records: u64,
    /// The hash of the last line (the head to keep elsewhere); [`GENESIS`]
    /// for an empty log.
    pub head: Sha256Digest,
    /// Every problem, in line order. Empty: the chain is intact.
    pub problems: Vec<AuditError>,
}

impl ChainCheck {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Parses and self-checks one line: canonical form and own hash.
fn check_line(line: &[u8], n: u64) -> Result<AuditRecord, AuditError> {
    let record: AuditRecord = serde_json::from_slice(line)
        .map_err(|e| err(AuditErrorKind::Malformed, Some(n), format!("not an audit record: {e}")))?;
    if record.v != AUDIT_FORMAT {
        return Err(err(
            AuditErrorKind::Malformed,
            Some(n),
            format!("record format v{} is not supported (this calib reads v{AUDIT_FORMAT})", record.v),
        ));
    }
    if record.expected_hash() != record.hash {
        return Err(err(AuditErrorKind::Edited, Some(n), "was edited: its content does not match its hash"));
    }
    if record.to_line() != line {
        return Err(err(AuditErrorKind::Edited, Some(n), "was edited: it is not in the canonical form calib writes"));
    }
    Ok(record)
}

/// Checks a whole log's bytes: every line's own hash and form, and that
/// each line follows the one before it (`seq` and `prev`).
pub fn verify_chain(bytes: &[u8]) -> ChainCheck {
    let mut problems = Vec::new();
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // A complete log ends with a newline, so the split leaves an empty tail.
    let torn = lines.last().is_some_and(|l| !l.is_empty());
    if !torn {
        lines.pop();
    }
    let mut head = GENESIS;
    // The previous line's (seq, hash), as it claims them.
    let mut prev: Option<(u64, Sha256Digest)> = None;
    // The line before was not a record at all (blank, or not JSON): it was
    // either inserted or it replaced one record, so the next line may
    // follow `prev` directly or skip one seq (whose hash is unknown).
    let mut unreadable_before = false;
    for (i, line) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        if torn && i + 1 == lines.len() {
            problems.push(err(
                AuditErrorKind::Torn,
                Some(n),
                "is incomplete (no newline at the end): an append was interrupted",
            ));
            break;
        }
        let record = match check_line(line, n) {
            Ok(r) => r,
            Err(e) => {
                // Keep going from the hash the line claims, so a single
                // edited line is reported once, not at every later line.
                let claimed = serde_json::from_slice::<AuditRecord>(line).ok().map(|r| (r.seq, r.hash));
                problems.push(e);
                unreadable_before = claimed.is_none();
                if claimed.is_some() {
                    prev = claimed;
                }
                head = prev.map_or(GENESIS, |p| p.1);
                continue;
            }
        };
        let (want_seq, want_prev) = prev.map_or((0, GENESIS), |(s, h)| (s + 1, h));
        let after_unreadable = std::mem::take(&mut unreadable_before);
        let follows =
            (record.seq == want_seq && record.prev == want_prev) || (after_unreadable && record.seq == want_seq + 1);
        if !follows {
            let what = if record.seq > want_seq {
                format!(
                    "does not follow line {}: seq {} where {want_seq} was expected, so {} record(s) before it were removed",
                    n - 1,
                    record.seq,
                    record.seq - want_seq
                )
            } else if record.seq < want_seq {
                format!(
                    "does not follow line {}: seq {} where {want_seq} was expected, so lines were reordered or duplicated",
                    n - 1,
                    record.seq
                )
            } else if n == 1 {
                "is not the start of a chain: its prev hash is not the genesis hash, so the lines before it were removed"
                    .to_string()
            } else {
                format!(
                    "does not follow line {}: its prev hash does not match line {}'s hash, so a record was removed or \
                     replaced, or line {} was rewritten",
                    n - 1,
                    n - 1,
                    n - 1
                )
            };
            problems.push(err(AuditErrorKind::Broken, Some(n), what));
        }
        prev = Some((record.seq, record.hash));
        head = record.hash;
    }
    ChainCheck { records: lines.len() as u64, head, problems }
}

/// Reads and checks the log at `path` (a missing file is an error).
pub fn verify_file(path: &Path) -> Result<ChainCheck, AuditError> {
    let bytes = std::fs::read(path).map_err(io_err)?;
    Ok(verify_chain(&bytes))
}

fn check_kind(kind: &str) -> Result<(), AuditError> {
    let ok = !kind.is_empty()
        && kind.len() <= 64
        && kind.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(&c));
    if ok {
        Ok(())
    } else {
        Err(err(AuditErrorKind::BadKind, None, format!("event kind {kind:?} is not 1–64 characters of [a-z0-9._-]")))
    }
}

/// RFC 3339 (UTC) of a time.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a SystemTime within RFC 3339's years formats")
}

/// Reads the last line of a non-empty file (without its newline). Reads
/// only the tail: a few KiB, doubling until a line break is found.
fn last_line(f: &mut File, len: u64) -> Result<Vec<u8>, AuditError> {
    let mut chunk = 4096u64;
    loop {
        let start = len.saturating_sub(chunk);
        f.seek(SeekFrom::Start(start)).map_err(io_err)?;
        let mut buf = vec![0u8; (len - start) as usize];
        f.read_exact(&mut buf).map_err(io_err)?;
        if buf.last() != Some(&b'\n') {
            return Err(err(
                AuditErrorKind::Torn,
                Some(line_breaks(f)? + 1),
                "the last line is incomplete (an earlier append was interrupted); run `calib audit verify` and \
                 repair the log before appending",
            ));
        }
        let body = &buf[..buf.len() - 1];
        if let Some(p) = body.iter().rposition(|&b| b == b'\n') {
            return Ok(body[p + 1..].to_vec());
        }
        if start == 0 {
            return Ok(body.to_vec());
        }
        chunk *= 2;
    }
}

/// The number of line breaks in the whole file: the 1-based number of its
/// last complete line. Only a refused append needs it, so appends stay
/// O(1) in the log's size; counting only the tail that was read named the
/// wrong line in a log longer than that tail.
fn line_breaks(f: &mut File) -> Result<u64, AuditError> {
    f.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let got = f.read(&mut buf).map_err(io_err)?;
        if got == 0 {
            return Ok(n);
        }
        n += buf[..got].iter().filter(|&&c| c == b'\n').count() as u64;
    }
}

/// Appends an event now. See [`append_at`].
pub fn append(path: &Path, kind: &str, data: Value) -> Result<AuditRecord, AuditError> {
    append_at(path, kind, data, SystemTime::now())
}

/// Appends an event with the given time, creating the log if needed. The
/// new record chains onto the last line, which must be intact.
pub fn append_at(path: &Path, kind: &str, data: Value, time: SystemTime) -> Result<AuditRecord, AuditError> {
    check_kind(kind)?;
    let mut f = OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io_err)?;
    // Two appenders must not both chain onto the same last record.
    f.lock().map_err(io_err)?;
    let len = f.metadata().map_err(io_err)?.len();
    let (seq, prev) = if len == 0 {
        (0, GENESIS)
    } else {
        let line = last_line(&mut f, len)?;
        // Only the tail is checked here (appends stay O(1) in the log's
        // size); `verify_chain` checks the rest. The line's number is only
        // counted when it is refused.
        let last = match check_line(&line, 0) {
            Ok(r) => r,
            Err(mut e) => {
                e.line = Some(line_breaks(&mut f)?);
                e.message = format!("cannot append after a damaged last line: {}", e.message);
                return Err(e);
            }
        };
        (last.seq + 1, last.hash)
    };
    let mut record =
        AuditRecord { v: AUDIT_FORMAT, seq, time: rfc3339(time), kind: kind.to_string(), data, prev, hash: GENESIS };
    record.hash = record.expected_hash();
    let mut line = record.to_line();
    line.push(b'\n');
    // One write of the whole line on an O_APPEND file, then fsync.
    f.write_all(&line).map_err(io_err)?;
    f.sync_data().map_err(io_err)?;
    if len == 0 {
        sync_dir(path);
    }
    Ok(record)
}

/// Makes a new file's directory entry durable (best effort; not possible
/// on every platform).
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
