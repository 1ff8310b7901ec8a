//! The on-disk formats: the state file, and the payloads of the rollout's
//! two record kinds in the audit log.

use super::durable::{parent_dir, write_durable};
use super::error::{StoreError, StoreErrorKind};
use super::observer::Observer;
use crate::rollout::{Config, Controller, State, WindowReport};
use serde::{Deserialize, Serialize};
use std::format;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};

/// The state file's format version (`schema_version`).
pub const SCHEMA_VERSION: u32 = 1;
/// The `kind` of a rollout's first record: [`InitRecord`].
pub const KIND_INIT: &str = "rollout.init";
/// The `kind` of a decision record: [`DecisionRecord`].
pub const KIND_DECISION: &str = "rollout.decision";

/// The state file: which rollout, where its log is, how far the state has
/// applied the log, and the controller's config and state. Written as
/// pretty JSON with a final newline, fields in this order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The hash of the rollout's init record.
    pub rollout_id: String,
    /// What the trust commands record about the manifest being rolled out
    /// (file, digests, version), if one was named.
    pub manifest: Option<serde_json::Value>,
    /// The decision log: absolute, or relative to the state file's directory.
    pub audit_log: String,
    /// Decisions applied.
    pub seq: u64,
    /// Hash of the last applied record (the init record when `seq` is 0).
    pub head: String,
    /// The controller's config.
    pub config: Config,
    /// The controller's state.
    pub state: State,
}

/// The payload of a `rollout.init` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitRecord {
    /// The state file (absolute path) this rollout keeps its state in.
    pub state_file: String,
    /// The controller's config.
    pub config: Config,
    /// SHA-256 of the config ([`config_sha256`]), which binds every later
    /// decision and the state file to it. Logs written before calib hashed
    /// the config have none; their `config` is still in the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_sha256: Option<String>,
    /// What the trust commands record about a manifest (file, digests, version).
    pub manifest: Option<serde_json::Value>,
    /// SHA-256 of the initial state ([`State::digest_hex`]).
    pub state_sha256: String,
    /// When the rollout was initialised (ms since the Unix epoch).
    pub now_ms: i64,
}

/// The payload of a `rollout.decision` record, as replay reads it: the
/// window, the time and the resulting state's hash (the record's other
/// fields — stages, verdict, reasons — are for people).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DecisionRecord {
    /// The decision's number, from 1.
    pub seq: u64,
    /// When it was decided (ms since the Unix epoch).
    pub now_ms: i64,
    /// The window it decided.
    pub window: WindowReport,
    /// The decision's name (`"advance"`).
    pub decision: String,
    /// SHA-256 of the state after it ([`State::digest_hex`]).
    pub state_sha256: String,
    /// SHA-256 of the config it was decided under ([`config_sha256`]);
    /// absent in logs written before calib hashed the config.
    #[serde(default)]
    pub config_sha256: Option<String>,
}

/// SHA-256 (hex) of a config's canonical JSON
/// ([`canonical_json_of`](crate::canonical::canonical_json_of)): the hash
/// that binds a rollout's records and state file to the config in force.
pub fn config_sha256(config: &Config) -> String {
    let bytes = crate::canonical::canonical_json_of(config).expect("a rollout config always serialises");
    crate::canonical::Sha256Digest::of(&bytes).to_hex()
}

impl StateFile {
    /// Reads the state file at `path` ([`StateFile::parse`]).
    pub fn load(path: &Path) -> Result<StateFile, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, format!("cannot read: {e}")))?;
        StateFile::parse(text.as_bytes(), path)
    }

    /// Parses a state file's bytes, refusing unknown fields and any other
    /// [`SCHEMA_VERSION`] ([`StoreErrorKind::BadStateFile`], naming `path`).
    pub fn parse(bytes: &[u8], path: &Path) -> Result<StateFile, StoreError> {
        let bad = |m: String| StoreError::new(StoreErrorKind::BadStateFile, path, m);
        let sf: StateFile = serde_json::from_slice(bytes).map_err(|e| bad(format!("not a rollout state: {e}")))?;
        if sf.schema_version != SCHEMA_VERSION {
            return Err(bad(format!(
                "schema_version {} is not {SCHEMA_VERSION}, the one this calib reads",
                sf.schema_version
            )));
        }
        Ok(sf)
    }

    /// The controller for the file's config, checked to fit its state
    /// (`path` names the file in the error).
    pub fn controller(&self, path: &Path) -> Result<Controller, StoreError> {
        let bad = |e: crate::rollout::RolloutError| StoreError::new(StoreErrorKind::BadStateFile, path, e.to_string());
        let c = Controller::new(self.config.clone()).map_err(bad)?;
        c.check_state(&self.state).map_err(bad)?;
        Ok(c)
    }

    /// Where the log is, given where the state file is.
    pub fn log_path(&self, state_path: &Path) -> PathBuf {
        let p = Path::new(&self.audit_log);
        if p.is_absolute() { p.to_path_buf() } else { parent_dir(state_path).join(p) }
    }

    /// The file's bytes: pretty JSON and a final newline.
    pub fn to_bytes(&self) -> std::vec::Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).expect("a state file always serialises");
        text.push('\n');
        text.into_bytes()
    }

    /// Saves the file at `path` atomically and durably
    /// ([`write_durable`](super::write_durable)).
    pub fn save(&self, path: &Path, observer: &mut dyn Observer) -> Result<(), StoreError> {
        write_durable(path, &self.to_bytes(), observer).map_err(|e| StoreError::io(path, format!("cannot save: {e}")))
    }
}
