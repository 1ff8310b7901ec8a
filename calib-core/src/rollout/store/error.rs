//! Why a store operation was refused: one error type with a stable code,
//! the file it concerns and a message naming what was wrong.

use crate::rollout::{RolloutError, State};
use std::boxed::Box;
use std::fmt;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};

/// What kind of problem a store operation met. New kinds may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// A file could not be read, written, synced or locked.
    Io,
    /// Another process holds the rollout's lock.
    Locked,
    /// `init` on a state file that already exists.
    AlreadyExists,
    /// The state file is not one this calib reads (JSON, fields, schema
    /// version), or its config or state is not usable.
    BadStateFile,
    /// The audit log failed verification, or a rollout record in it is
    /// unreadable or out of sequence.
    DamagedLog,
    /// The state file and the audit log disagree and no single recorded
    /// decision brings them together.
    Disagree,
    /// The audit log changed under a step (someone else wrote to it).
    LogChanged,
    /// The config in force is not the one the rollout was initialised with:
    /// the state file's `config` differs from its init record's, or a
    /// record names another config than its rollout's.
    ConfigMismatch,
    /// The controller refused the window ([`StoreError::rollout_error`]).
    WindowRejected,
}

impl StoreErrorKind {
    /// A short stable name for the kind (`"disagree"`), listed in
    /// [`crate::error`]'s table.
    pub fn code(self) -> &'static str {
        match self {
            StoreErrorKind::Io => "io",
            StoreErrorKind::Locked => "locked",
            StoreErrorKind::AlreadyExists => "already_exists",
            StoreErrorKind::BadStateFile => "bad_state_file",
            StoreErrorKind::DamagedLog => "damaged_log",
            StoreErrorKind::Disagree => "disagree",
            StoreErrorKind::LogChanged => "log_changed",
            StoreErrorKind::ConfigMismatch => "config_mismatch",
            StoreErrorKind::WindowRejected => "window_rejected",
        }
    }
}

/// A store operation that was refused: its kind, the file it concerns and
/// why. Nothing was changed unless the message says so.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreError {
    kind: StoreErrorKind,
    path: PathBuf,
    message: String,
    rejected: Option<Box<(RolloutError, State)>>,
}

impl StoreError {
    pub(crate) fn new(kind: StoreErrorKind, path: &Path, message: impl Into<String>) -> Self {
        StoreError { kind, path: path.to_path_buf(), message: message.into(), rejected: None }
    }

    pub(crate) fn io(path: &Path, message: impl Into<String>) -> Self {
        StoreError::new(StoreErrorKind::Io, path, message)
    }

    pub(crate) fn rejected(path: &Path, error: RolloutError, state: State) -> Self {
        StoreError {
            kind: StoreErrorKind::WindowRejected,
            path: path.to_path_buf(),
            message: error.to_string(),
            rejected: Some(Box::new((error, state))),
        }
    }

    /// The same error naming `to` where it named `from` (the path a caller
    /// gave for the file the store resolved it to).
    pub(crate) fn renamed(mut self, from: &Path, to: &Path) -> Self {
        if self.path == from {
            self.path = to.to_path_buf();
        }
        self
    }

    /// The kind of problem.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
    /// A short stable name for the kind ([`StoreErrorKind::code`]).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
    /// The file concerned: the state file, the audit log or the lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Why, in words, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// For [`StoreErrorKind::WindowRejected`]: the controller's refusal.
    pub fn rollout_error(&self) -> Option<&RolloutError> {
        self.rejected.as_deref().map(|(e, _)| e)
    }
    /// For [`StoreErrorKind::WindowRejected`]: the state the window was
    /// judged against (where the rollout is), to explain the refusal.
    pub fn state(&self) -> Option<&State> {
        self.rejected.as_deref().map(|(_, s)| s)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.rollout_error().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
