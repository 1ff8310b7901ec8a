//! The trust policy: which keys a loader trusts, and how many must sign.

use super::error::{ManifestError, ManifestErrorKind, Result};
use super::keys::PublicKey;
use std::format;
use std::vec;
use std::vec::Vec;

/// Which keys a loader trusts, and how many must sign.
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    keys: Vec<PublicKey>,
    threshold: usize,
    /// Refuse manifests without a passing gate report (default `true`).
    pub require_gate_report: bool,
}

impl TrustPolicy {
    /// Trust `keys` (duplicates count once) and require `threshold` of them.
    pub fn new(keys: Vec<PublicKey>, threshold: usize) -> Result<TrustPolicy> {
        let mut unique: Vec<PublicKey> = Vec::new();
        for k in keys {
            if !unique.contains(&k) {
                unique.push(k);
            }
        }
        if unique.is_empty() {
            return Err(ManifestError::new(ManifestErrorKind::BadPolicy, "a trust policy needs at least one key"));
        }
        if threshold == 0 || threshold > unique.len() {
            return Err(ManifestError::new(
                ManifestErrorKind::BadPolicy,
                format!("threshold {threshold} needs 1 ≤ t ≤ {} (the number of distinct trusted keys)", unique.len()),
            ));
        }
        Ok(TrustPolicy { keys: unique, threshold, require_gate_report: true })
    }
    /// Trust one key.
    pub fn single(key: PublicKey) -> TrustPolicy {
        TrustPolicy { keys: vec![key], threshold: 1, require_gate_report: true }
    }
    /// The trusted keys.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }
    /// Distinct trusted keys that must sign.
    pub fn threshold(&self) -> usize {
        self.threshold
    }
}
