//! The trust state: the loader's memory of the last trusted version, its
//! protection against rollback.

use super::error::{ManifestError, ManifestErrorKind, Result, malformed};
use super::verify::VerifiedManifest;
use crate::canonical::Sha256Digest;
use serde::{Deserialize, Serialize};
use std::format;
use std::string::String;

/// The loader's memory between loads: the last trusted version and the
/// manifest that carried it. Persist it (e.g. as JSON) between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustState {
    /// The highest version trusted so far (0: none).
    pub version: u64,
    /// The digest of the manifest that carried it.
    pub manifest_sha256: Option<Sha256Digest>,
}

impl TrustState {
    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<TrustState> {
        serde_json::from_str(text).map_err(|e| malformed(format!("not a trust state: {e}")))
    }
    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a trust state serialises")
    }
    /// Refuses a version below the last trusted one, or the same version
    /// with other content (TUF's rollback and mix-and-match protection).
    pub fn check(&self, m: &VerifiedManifest) -> Result<()> {
        let v = m.version();
        if v < self.version {
            return Err(ManifestError::new(
                ManifestErrorKind::Rollback,
                format!("version {v} is lower than the last trusted version {}", self.version),
            ));
        }
        if v == self.version && self.manifest_sha256.is_some_and(|d| d != m.digest()) {
            return Err(ManifestError::new(
                ManifestErrorKind::Rollback,
                format!("version {v} was already trusted with other content"),
            ));
        }
        Ok(())
    }
    /// Records a manifest as trusted (call after every check passed).
    pub fn accept(&mut self, m: &VerifiedManifest) {
        self.version = m.version();
        self.manifest_sha256 = Some(m.digest());
    }
}
