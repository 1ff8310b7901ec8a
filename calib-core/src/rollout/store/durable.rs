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

/// The file `path` names: every symlink on the way followed (the file's own,
/// as often as it chains, and its directory's), as an absolute path. The
/// file itself need not exist (a dangling symlink resolves to the file it
/// would create); its directory must. The rollout locks and writes the file
/// this returns, so two names for one state file share one lock, and the
/// atomic rename replaces the file, never a symlink to it.
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
    // Linux's limit on a chain of symlinks (ELOOP).
    const MAX_LINKS: usize = 40;
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                // A relative target is relative to the link's directory; an
                // absolute one replaces the path (`join`).
                path = parent_dir(&path).join(std::fs::read_link(&path)?);
            }
            _ => {
                let name = path.file_name().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, format!("{} names no file", path.display()))
                })?;
                return Ok(std::fs::canonicalize(parent_dir(&path))?.join(name));
            }
        }
    }
    Err(io::Error::other(format!("more than {MAX_LINKS} symbolic links in a chain")))
}

/// fsyncs the directory holding `path`, so a rename or a new file in it
/// survives a power loss.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

/// The rollout's lock: one `init` or `step` at a time per state file. An
/// advisory lock on `.<state>.lock` beside the state file, which the OS
/// releases when the process ends, however it ends, so a crash leaves no
/// stale lock. Held until dropped. The lock file is created once and never
/// renamed or removed, so every process locks the same inode; the store
/// takes it for the resolved state file ([`resolve`]), so two names of one
/// file share it.
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
