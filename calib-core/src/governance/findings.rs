//! What a review tells a person: the findings of the compliance report,
//! and how the current manifest's verification counts among them.
//!
//! Findings are what a reviewer must read before trusting the candidate:
//! a current manifest that was not verified or verified with a flaw, every
//! group that kept its previous map (and why), every gate that did not
//! pass, and a candidate left unsigned. They never change the verdict —
//! the verdict is the review's ([`Review::verdict`]) — but they say what
//! stands behind it.

use super::{GovernanceConfig, GroupStatus, Review};
use crate::gate::{GateKind, Verdict};
use crate::manifest::{ManifestError, ManifestErrorKind};
use alloc::string::String;
use core::fmt;

/// How verifying the current manifest came out, as a review counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrentVerification {
    /// Not verified (no keys to verify it with): a finding.
    Skipped,
    /// Its signatures and every check passed.
    Verified,
    /// Its signatures verified, but it has expired, was made for another
    /// core, or carries no passing gate report: a finding, not an error —
    /// replacing such a manifest is what governance is for.
    Flawed(ManifestError),
}

impl CurrentVerification {
    /// Judges the outcome of verifying the current manifest
    /// (`manifest::verify_manifest`). Any refusal other than the three
    /// flaws (a bad signature, an unknown key, a malformed envelope …) is
    /// returned as the error: a review does not start from a manifest whose
    /// signatures cannot be trusted.
    pub fn judge<T>(outcome: Result<T, ManifestError>) -> Result<Self, ManifestError> {
        match outcome {
            Ok(_) => Ok(CurrentVerification::Verified),
            Err(e)
                if matches!(
                    e.kind(),
                    ManifestErrorKind::Expired
                        | ManifestErrorKind::FingerprintMismatch
                        | ManifestErrorKind::GatesNotPassed
                ) =>
            {
                Ok(CurrentVerification::Flawed(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Its finding, if it is one.
    pub fn finding(&self) -> Option<Finding> {
        match self {
            CurrentVerification::Skipped => Some(Finding::Unverified),
            CurrentVerification::Verified => None,
            CurrentVerification::Flawed(e) => Some(Finding::CurrentManifest(e.clone())),
        }
    }
}

/// One finding of a review. It serialises (and displays) as the sentence
/// the compliance report carries.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Finding {
    /// The current manifest was not verified.
    Unverified,
    /// The current manifest verified with a flaw (see [`CurrentVerification::Flawed`]).
    CurrentManifest(ManifestError),
    /// A group had fewer fresh rows than `min_class_samples`: its previous map was kept.
    TooSmall {
        /// The group ([`super::GroupReview::name`]).
        group: String,
        /// Its fresh rows.
        rows: u64,
        /// The rows it needed.
        min_rows: usize,
    },
    /// A mapped class had no fresh rows: its previous map was kept.
    NoFreshData {
        /// The group.
        group: String,
    },
    /// A group's τ was above the limit: a breach, its previous map kept.
    TauBreach {
        /// The group.
        group: String,
        /// Its τ (NaN if none was measured).
        tau: f64,
        /// `max_allowed_tau`.
        limit: f64,
    },
    /// A gate of the candidate against the current model did not pass.
    Gate {
        /// The gate.
        gate: GateKind,
        /// Its verdict.
        verdict: Verdict,
    },
    /// Keys were given but the candidate was not signed: its verdict is not `pass`.
    NotSigned {
        /// The review's verdict.
        verdict: Verdict,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Unverified => f.write_str("the current manifest was not verified"),
            Finding::CurrentManifest(e) => write!(f, "current manifest: {e}"),
            Finding::TooSmall { group, rows, min_rows } => {
                write!(f, "{group}: {rows} fresh rows, fewer than {min_rows}: previous map kept")
            }
            Finding::NoFreshData { group } => write!(f, "{group}: no fresh rows: previous map kept"),
            Finding::TauBreach { group, tau, limit } => {
                write!(f, "{group}: τ {tau:.4} above the limit {limit}: breach, previous map kept")
            }
            Finding::Gate { gate, verdict } => write!(f, "gate {}: {}", gate.name(), verdict.name()),
            Finding::NotSigned { verdict } => write!(f, "not signed: the verdict is {}, not pass", verdict.name()),
        }
    }
}

impl serde::Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Review {
    /// The review's findings, in the compliance report's order: the current
    /// manifest's verification, then each group that kept its previous map
    /// (groups in review order), then each gate that did not pass. `cfg`
    /// is the config the review ran with. Whether the candidate was signed
    /// comes last, from [`Review::signing`].
    pub fn findings(&self, current: &CurrentVerification, cfg: &GovernanceConfig) -> alloc::vec::Vec<Finding> {
        let groups = self.groups.iter().filter_map(|g| {
            let group = g.name().into();
            match g.status {
                GroupStatus::Refit => None,
                GroupStatus::TooSmall => {
                    Some(Finding::TooSmall { group, rows: g.rows, min_rows: cfg.min_class_samples })
                }
                GroupStatus::NoFreshData => Some(Finding::NoFreshData { group }),
                GroupStatus::TauBreach => {
                    Some(Finding::TauBreach { group, tau: g.tau.unwrap_or(f64::NAN), limit: cfg.max_allowed_tau })
                }
            }
        });
        let gates = self
            .gate_report
            .gates
            .iter()
            .filter(|g| g.verdict != Verdict::Pass)
            .map(|g| Finding::Gate { gate: g.gate, verdict: g.verdict });
        current.finding().into_iter().chain(groups).chain(gates).collect()
    }
}
