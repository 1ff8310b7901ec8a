//! Durable files: the rollout's lock, and replacing a file atomically so a
//! crash leaves either the old or the new content, never a mix.

use super::error::{StoreError, StoreErrorKind};
use super::observer::{CrashPoint, Observer};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::{format, io};

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A file beside `path` named `.<name><suffix>`.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(path).join(format!(".{name}{suffix}"))
}

/// fsyncs the directory holding `path`, so a rename or a new file in it
/// survives a power loss.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

/// The rollout's lock: one `init` or `step` at a time per state file. An
/// advisory lock on `.<state>.lock` beside the state file, which the OS
/// releases when the process ends, however it ends, so a crash leaves no
/// stale lock. Held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock of the state file at `state_path` without waiting:
    /// [`StoreErrorKind::Locked`] when another process holds it.
    pub fn take(state_path: &Path) -> Result<Lock, StoreError> {
        let path = beside(state_path, ".lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io(&path, format!("cannot open the lock file: {e}")))?;
        match f.try_lock() {
            Ok(()) => Ok(Lock { _file: f }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::new(
                StoreErrorKind::Locked,
                state_path,
                "another process is working on this state (its lock is held); try again when it is done",
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::io(&path, format!("cannot lock: {e}"))),
        }
    }
}

/// Replaces `path` with `bytes` atomically and durably: a fixed temp file
/// beside it (`.<name>.tmp`; a crash leaves at most this one file, which
/// the next write overwrites), fsync, rename, fsync the directory. Reports
/// [`CrashPoint::StateTempWritten`] and [`CrashPoint::StateRenamed`].
pub fn write_durable(path: &Path, bytes: &[u8], observer: &mut dyn Observer) -> io::Result<()> {
    let tmp = beside(path, ".tmp");
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    observer.reached(CrashPoint::StateTempWritten);
    std::fs::rename(&tmp, path)?;
    observer.reached(CrashPoint::StateRenamed);
    sync_parent(path)
}
